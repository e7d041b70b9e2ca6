package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/catalogue/catalogue/eventstore"
)

// Projector keeps a read-model store up to date with the event log: it
// follows the global feed from the store's checkpoint, decodes events in
// parallel while keeping their order, and applies them in batches.
//
// Batches are bounded in size (BatchSize) and in time: while catching up a
// batch waits at most BatchDelay to fill; once caught up, whatever has
// arrived is applied at once, so a write is visible within milliseconds.
//
// A Projector is safe for concurrent use; Run (or CatchUp) runs at most
// once at a time.
type Projector struct {
	events eventstore.Store
	store  Store
	opt    options

	// mark is the last position applied to store, stopped (with why the
	// last run ended) between runs.
	mark Watermark

	mu       sync.Mutex
	running  bool
	caughtUp bool
}

// ErrStopped is returned by WaitFor when the projector stops (cleanly or
// not) before reaching the position waited for.
var ErrStopped = errors.New("projector stopped")

// Progress reports how a projector advances, e.g. during a long rebuild.
type Progress struct {
	// Position is the last position applied.
	Position eventstore.Position
	// Applied counts the events applied since the run began.
	Applied int64
	// Rate is events applied per second since the previous report.
	Rate float64
	// Elapsed is the time since the run began.
	Elapsed time.Duration
	// CaughtUp is true once the backlog present at the start is applied.
	CaughtUp bool
}

type options struct {
	batchSize     int
	batchDelay    time.Duration
	workers       int
	progress      func(Progress)
	progressEvery time.Duration
}

// Option configures a Projector.
type Option func(*options)

// WithBatchSize sets how many events a batch holds at most. Default 1024.
func WithBatchSize(n int) Option { return func(o *options) { o.batchSize = max(n, 1) } }

// WithBatchDelay sets how long a batch may wait to fill while catching up.
// Default 50ms.
func WithBatchDelay(d time.Duration) Option { return func(o *options) { o.batchDelay = d } }

// WithDecoders sets how many goroutines decode. Default GOMAXPROCS.
func WithDecoders(n int) Option { return func(o *options) { o.workers = max(n, 1) } }

// WithProgress calls f at most once every interval after a batch is
// applied, and always when the projector has caught up. f runs on the
// projector's goroutine: it must be quick.
func WithProgress(f func(Progress), every time.Duration) Option {
	return func(o *options) { o.progress, o.progressEvery = f, every }
}

// New returns a projector from events into store. It does nothing until Run
// or CatchUp.
func New(events eventstore.Store, store Store, opts ...Option) *Projector {
	o := options{batchSize: 1024, batchDelay: 50 * time.Millisecond, workers: runtime.GOMAXPROCS(0)}
	for _, f := range opts {
		f(&o)
	}
	return &Projector{events: events, store: store, opt: o}
}

// Run follows the feed until ctx is done, then returns nil: every event
// applied so far is in the store with its checkpoint, and the next Run
// resumes after it. It returns an error (naming the position) when an event
// of ours does not decode or the store fails; waiters then get it too.
func (p *Projector) Run(ctx context.Context) error { return p.run(ctx, false) }

// CatchUp applies the backlog — every event in the log when it began
// following — and returns. It is what a start-up does before serving.
func (p *Projector) CatchUp(ctx context.Context) error { return p.run(ctx, true) }

// Rebuild projects the whole log into a fresh store and returns the
// position reached. It refuses a store that already holds events: a
// rebuild starts from zero.
func Rebuild(ctx context.Context, events eventstore.Store, into Store, opts ...Option) (eventstore.Position, error) {
	cp, err := into.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	if cp != eventstore.Start {
		return 0, fmt.Errorf("projections: rebuild needs a fresh store; this one is at position %d", cp)
	}
	p := New(events, into, opts...)
	err = p.CatchUp(ctx)
	return p.Position(), err
}

// Position returns the last position applied by this projector (or found
// in the store when it started).
func (p *Projector) Position() eventstore.Position { return p.mark.Position() }

// CaughtUp reports whether the projector has applied the backlog it found
// when it started following.
func (p *Projector) CaughtUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.caughtUp
}

// WaitFor blocks until the read model includes position pos (a mutation's
// Result.Position), ctx is done (its error is returned) or the projector
// stops first (an error wrapping ErrStopped and, if it failed, its cause).
// It makes read-your-writes possible without locking the write side.
func (p *Projector) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return p.mark.WaitFor(ctx, pos)
}

// setCaughtUp records whether the backlog has been applied.
func (p *Projector) setCaughtUp(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.caughtUp = v
}

func (p *Projector) run(ctx context.Context, untilCaughtUp bool) (err error) {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("projections: projector is already running")
	}
	p.running = true
	p.mu.Unlock()

	from, err := p.store.Checkpoint(ctx)
	if err == nil {
		p.setCaughtUp(false)
		p.mark.Set(from, nil)
		err = p.pipeline(ctx, from, untilCaughtUp)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // a clean stop
	}
	if err != nil {
		p.mark.Stop(fmt.Errorf("%w: %w", ErrStopped, err))
	} else {
		p.mark.Stop(ErrStopped)
	}
	p.mu.Lock()
	p.running = false
	p.mu.Unlock()
	return err
}
