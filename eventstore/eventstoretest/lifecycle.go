package eventstoretest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// testCancelledContext: a done context stops every call, and an append
// with one writes nothing.
func testCancelledContext(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	st := f.stream("ctx")
	appendOK(t, s, st, eventstore.NoStream(), events(1))
	last, err := s.LastPosition(context.Background())
	require.NoError(t, err)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "expired": expired} {
		t.Run(name, func(t *testing.T) {
			want := ctx.Err()
			_, err := s.Append(ctx, st, eventstore.Exact(0), events(1))
			require.ErrorIs(t, err, want, "Append")
			_, err = s.Append(ctx, f.stream("ctx-new"), eventstore.NoStream(), events(1))
			require.ErrorIs(t, err, want, "Append")
			_, err = s.ReadStream(ctx, st, 0)
			require.ErrorIs(t, err, want, "ReadStream")
			_, err = s.ReadAll(ctx, eventstore.Start, 10)
			require.ErrorIs(t, err, want, "ReadAll")
			_, err = s.LastPosition(ctx)
			require.ErrorIs(t, err, want, "LastPosition")
			r := newRecorder(f)
			require.ErrorIs(t, waitErr(t, subscribe(ctx, s, eventstore.Start, r), "Subscribe"), want, "Subscribe")
		})
	}
	require.Len(t, readStream(t, s, st, 0), 1, "appends with a done context write nothing")
	require.Empty(t, readStream(t, s, f.stream("ctx-new"), 0), "appends with a done context write nothing")
	if !h.Shared {
		now, err := s.LastPosition(context.Background())
		require.NoError(t, err)
		require.Equal(t, last, now)
	}

	t.Run("WhileWaitingLive", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r := newRecorder(f)
		done := subscribe(ctx, s, last, r)
		r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })
		cancel()
		require.ErrorIs(t, waitErr(t, done, "Subscribe after cancel"), context.Canceled)
	})
}

// testClosed: Close ends running subscriptions, and every call after it
// returns eventstore.ErrClosed.
func testClosed(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)
	st := f.stream("closed")
	appendOK(t, s, st, eventstore.NoStream(), events(1))

	r := newRecorder(f)
	done := subscribe(context.Background(), s, before, r)
	r.waitFor(t, "catch-up", func(_ []eventstore.RecordedEvent, c int) bool { return c > 0 })

	require.NoError(t, s.Close())
	require.ErrorIs(t, waitErr(t, done, "a running Subscribe after Close"), eventstore.ErrClosed)

	ctx := context.Background()
	_, err := s.Append(ctx, st, eventstore.Exact(0), events(1))
	require.ErrorIs(t, err, eventstore.ErrClosed, "Append")
	_, err = s.ReadStream(ctx, st, 0)
	require.ErrorIs(t, err, eventstore.ErrClosed, "ReadStream")
	_, err = s.ReadAll(ctx, before, 10)
	require.ErrorIs(t, err, eventstore.ErrClosed, "ReadAll")
	_, err = s.LastPosition(ctx)
	require.ErrorIs(t, err, eventstore.ErrClosed, "LastPosition")
	require.ErrorIs(t, waitErr(t, subscribe(ctx, s, before, newRecorder(f)), "Subscribe"), eventstore.ErrClosed, "Subscribe")
	require.ErrorIs(t, s.Close(), eventstore.ErrClosed, "second Close")
}

// testDurability: after Close and reopen everything acknowledged is there,
// and the reopened store knows stream versions and event ids.
func testDurability(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)

	// Acknowledged appends from concurrent writers and one large event.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			st := f.stream(fmt.Sprintf("durable-%d", w))
			for i := range 10 {
				if _, err := s.Append(context.Background(), st, eventstore.ExpectedFor(uint64(2*i)), events(2)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	big := events(1)
	big[0].Data = bytes.Repeat([]byte(`{"审批":"林木采伐许可证核发"}`), 20000)
	retry := []eventstore.EventData{{ID: eventstore.EventID("durable-cmd", f.stream("big"), 0), Type: "Big.v1", Data: big[0].Data}}
	bigRes := appendOK(t, s, f.stream("big"), eventstore.NoStream(), retry)

	feed := f.feed(t, s, before, 50)
	require.Len(t, feed, 81)
	last, err := s.LastPosition(context.Background())
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = f.openStore(t)
	requireSameEvents(t, feed, f.feed(t, s, before, 50))
	got := readStream(t, s, f.stream("durable-2"), 0)
	require.Len(t, got, 20)
	afterLast, err := s.LastPosition(context.Background())
	require.NoError(t, err)
	if !h.Shared {
		require.Equal(t, last, afterLast)
	}

	// The reopened store knows the streams' versions and event ids.
	_, err = s.Append(context.Background(), f.stream("durable-2"), eventstore.NoStream(), events(1))
	requireConflict(t, err, f.stream("durable-2"), 20)
	_, err = s.Append(context.Background(), f.stream("durable-2"), eventstore.Exact(18), events(1))
	requireConflict(t, err, f.stream("durable-2"), 20)
	require.Equal(t, bigRes, appendOK(t, s, f.stream("big"), eventstore.NoStream(), retry), "a retry after reopen")
	res := appendOK(t, s, f.stream("durable-2"), eventstore.Exact(19), events(1))
	require.Equal(t, uint64(20), res.NextExpected)
	require.Greater(t, res.Position, last, "positions go on increasing after reopen")
	if h.Gapless {
		require.Equal(t, last+1, res.Position)
	}

	// Reopen once more, without writing in between.
	require.NoError(t, s.Close())
	s = f.openStore(t)
	require.Len(t, f.feed(t, s, before, 1000), 82)
}
