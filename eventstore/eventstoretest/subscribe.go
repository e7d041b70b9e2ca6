package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// recorder collects what a subscription delivers, from its goroutine.
type recorder struct {
	f        *fixture
	mu       sync.Mutex
	events   []eventstore.RecordedEvent
	caughtUp int
	changed  chan struct{} // receives after every delivery and catch-up
	failAt   int           // handler fails on this delivery of ours (1-based), 0 never
}

var errHandler = errors.New("handler failed")

func newRecorder(f *fixture) *recorder { return &recorder{f: f, changed: make(chan struct{}, 1)} }

func (r *recorder) handle(e eventstore.RecordedEvent) error {
	if !r.f.mine(e) {
		return nil
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	n := len(r.events)
	r.mu.Unlock()
	r.poke()
	if n == r.failAt {
		return errHandler
	}
	return nil
}

func (r *recorder) onCaughtUp() {
	r.mu.Lock()
	r.caughtUp++
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on the recorder, failing after wait.
func (r *recorder) waitFor(t *testing.T, what string, cond func(events []eventstore.RecordedEvent, caughtUp int) bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		r.mu.Lock()
		ok := cond(r.events, r.caughtUp)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("subscription: timed out waiting for %s", what)
		}
	}
}

func (r *recorder) snapshot() ([]eventstore.RecordedEvent, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), r.events...), r.caughtUp
}

// subscribe starts a subscription and returns the channel its result
// arrives on.
func subscribe(ctx context.Context, s eventstore.Store, from eventstore.Position, r *recorder) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Subscribe(ctx, from, r.handle, r.onCaughtUp) }()
	return done
}

func waitErr(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// testSubscribe: backlog, then catch-up once, then live events, each
// delivered exactly once in order; a handler error ends the subscription.
func testSubscribe(t *testing.T, h Harness) {
	t.Run("BacklogThenLive", func(t *testing.T) {
		f, s := newFixture(t, h)
		before := f.mark(t, s)
		st := f.stream("sub")
		appendOK(t, s, st, eventstore.NoStream(), events(3))

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := newRecorder(f)
		done := subscribe(ctx, s, before, r)

		r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })
		backlog, caughtUp := r.snapshot()
		require.Len(t, backlog, 3, "the backlog is delivered before caughtUp")
		require.Equal(t, 1, caughtUp)

		// Live events, one append at a time and then several streams.
		appendOK(t, s, st, eventstore.Exact(2), events(2))
		r.waitFor(t, "5 events", func(e []eventstore.RecordedEvent, _ int) bool { return len(e) >= 5 })
		for i := range 5 {
			appendOK(t, s, f.stream(fmt.Sprintf("live-%d", i)), eventstore.NoStream(), events(1))
		}
		r.waitFor(t, "10 events", func(e []eventstore.RecordedEvent, _ int) bool { return len(e) >= 10 })

		cancel()
		require.ErrorIs(t, waitErr(t, done, "Subscribe after cancel"), context.Canceled)
		got, caughtUp := r.snapshot()
		require.Equal(t, 1, caughtUp, "caughtUp is called once")
		requireSameEvents(t, f.feed(t, s, before, 100), got)
	})

	t.Run("FromMiddle", func(t *testing.T) {
		f, s := newFixture(t, h)
		before := f.mark(t, s)
		appendOK(t, s, f.stream("mid"), eventstore.NoStream(), events(6))
		all := f.feed(t, s, before, 100)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := newRecorder(f)
		done := subscribe(ctx, s, all[2].Position, r)
		r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })
		cancel()
		require.ErrorIs(t, waitErr(t, done, "Subscribe"), context.Canceled)
		got, _ := r.snapshot()
		requireSameEvents(t, all[3:], got)
	})

	t.Run("EmptyBacklog", func(t *testing.T) {
		f, s := newFixture(t, h)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := newRecorder(f)
		last, err := s.LastPosition(ctx)
		require.NoError(t, err)
		done := subscribe(ctx, s, last, r)
		r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })
		appendOK(t, s, f.stream("late"), eventstore.NoStream(), events(1))
		r.waitFor(t, "live event", func(e []eventstore.RecordedEvent, _ int) bool { return len(e) == 1 })
		cancel()
		require.ErrorIs(t, waitErr(t, done, "Subscribe"), context.Canceled)
	})

	t.Run("NilCaughtUp", func(t *testing.T) {
		f, s := newFixture(t, h)
		before := f.mark(t, s)
		appendOK(t, s, f.stream("nil"), eventstore.NoStream(), events(2))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := newRecorder(f)
		done := make(chan error, 1)
		go func() { done <- s.Subscribe(ctx, before, r.handle, nil) }()
		r.waitFor(t, "2 events", func(e []eventstore.RecordedEvent, _ int) bool { return len(e) == 2 })
		cancel()
		require.ErrorIs(t, waitErr(t, done, "Subscribe"), context.Canceled)
	})

	t.Run("HandlerErrorStops", func(t *testing.T) {
		f, s := newFixture(t, h)
		before := f.mark(t, s)
		appendOK(t, s, f.stream("fail"), eventstore.NoStream(), events(2))
		r := newRecorder(f)
		r.failAt = 4 // a live event
		done := subscribe(context.Background(), s, before, r)
		r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })
		appendOK(t, s, f.stream("fail"), eventstore.Exact(1), events(3))
		require.ErrorIs(t, waitErr(t, done, "Subscribe with a failing handler"), errHandler)
		appendOK(t, s, f.stream("fail"), eventstore.Exact(4), events(1))
		got, _ := r.snapshot()
		require.Len(t, got, 4, "no event is delivered after the handler fails")

		// In the backlog too.
		r = newRecorder(f)
		r.failAt = 1
		err := waitErr(t, subscribe(context.Background(), s, before, r), "Subscribe with a failing handler")
		require.ErrorIs(t, err, errHandler)
		got, caughtUp := r.snapshot()
		require.Len(t, got, 1)
		require.Zero(t, caughtUp, "caughtUp is not called when the backlog fails")
	})
}
