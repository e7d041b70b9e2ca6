package projections

import (
	"context"
	"sync"

	"github.com/catalogue/catalogue/eventstore"
)

// Watermark is how far a read model has got in the log: one side moves it,
// any number of others wait for a position (read-your-writes: a mutation's
// position, then WaitFor). The projector keeps one for the store it writes;
// a PostgreSQL read model followed across processes keeps one for the
// checkpoint it hears of. The zero value is ready to use.
type Watermark struct {
	mu       sync.Mutex
	pos      eventstore.Position
	stopped  error         // why it will not move again, or nil
	advanced chan struct{} // closed and replaced whenever pos or stopped changes
}

// Position returns the position reached.
func (w *Watermark) Position() eventstore.Position {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pos
}

// Set sets the position — forward or, when the thing measured was replaced
// (a projector restarted on another store), back — and whether it is
// stopped (nil: it may move again), and wakes the waiters.
func (w *Watermark) Set(pos eventstore.Position, stopped error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pos, w.stopped = pos, stopped
	w.wake()
}

// Advance moves the position forward to pos; a position not beyond the one
// reached changes nothing.
func (w *Watermark) Advance(pos eventstore.Position) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if pos > w.pos {
		w.pos = pos
		w.wake()
	}
}

// Stop records that the position will not move again, and why: waiters for
// a position not reached get err.
func (w *Watermark) Stop(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = err
	w.wake()
}

// WaitFor blocks until the position reaches pos, ctx is done (its error is
// returned) or the watermark is stopped first (the stop's error).
func (w *Watermark) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		w.mu.Lock()
		reached, stopped := w.pos >= pos, w.stopped
		if w.advanced == nil {
			w.advanced = make(chan struct{})
		}
		advanced := w.advanced
		w.mu.Unlock()
		switch {
		case reached:
			return nil
		case stopped != nil:
			return stopped
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// wake wakes the waiters; w.mu is held.
func (w *Watermark) wake() {
	if w.advanced != nil {
		close(w.advanced)
		w.advanced = nil
	}
}
