package eventstoretest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// testFeedUnderConcurrentWriters: a reader following the feed while many
// streams are written sees every event once, in increasing order.
func testFeedUnderConcurrentWriters(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)
	const writers, appends = 8, 50
	const total = writers * appends

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	// The reader follows the feed as it is written. A backend whose
	// positions are assigned before commit and commit out of order would
	// let it step past an event that commits later; it must see every
	// event exactly once, in increasing order.
	type seen struct {
		events []eventstore.RecordedEvent
		err    error
	}
	readerDone := make(chan seen, 1)
	writersDone := make(chan struct{})
	go func() {
		var out seen
		defer func() { readerDone <- out }()
		pos := before
		for len(out.events) < total {
			// Checked here too, so an adapter that ignores ctx cannot
			// hang the suite.
			if err := ctx.Err(); err != nil {
				out.err = fmt.Errorf("reader at %d saw %d of %d events: %w", pos, len(out.events), total, err)
				return
			}
			finished := closed(writersDone) // before the read that may come back empty
			page, err := s.ReadAll(ctx, pos, 37)
			if err != nil {
				out.err = fmt.Errorf("reader at %d after %d events: %w", pos, len(out.events), err)
				return
			}
			if len(page) == 0 {
				if finished {
					out.err = fmt.Errorf("reader at %d saw %d of %d events: the rest were skipped", pos, len(out.events), total)
					return
				}
				runtime.Gosched()
			}
			for _, e := range page {
				if e.Position <= pos {
					out.err = fmt.Errorf("reader: position %d after %d", e.Position, pos)
					return
				}
				pos = e.Position
				if f.mine(e) {
					out.events = append(out.events, e)
				}
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			st := f.stream(fmt.Sprintf("writer-%d", w))
			for i := range appends {
				if _, err := s.Append(ctx, st, eventstore.ExpectedFor(uint64(i)), events(1)); err != nil {
					errs <- fmt.Errorf("writer %d append %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(writersDone)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got := <-readerDone
	require.NoError(t, got.err)
	require.Len(t, got.events, total)
	byID := make(map[uuid.UUID]bool, total)
	next := make(map[string]uint64)
	for _, e := range got.events {
		require.False(t, byID[e.ID], "event %s seen twice", e.ID)
		byID[e.ID] = true
		require.Equal(t, next[e.Stream], e.Revision, "stream %s out of order in the feed", e.Stream)
		next[e.Stream]++
	}
	require.Len(t, next, writers)

	final := f.feed(t, s, before, 1000)
	requireSameEvents(t, final, got.events)
	if h.Gapless {
		for i, e := range final {
			require.Equal(t, before+eventstore.Position(i+1), e.Position, "gapless position")
		}
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// testReadAllFrom: pages of any size from any position give the same
// feed.
func testReadAllFrom(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	before := f.mark(t, s)
	for i := range 10 {
		st := f.stream(fmt.Sprintf("s%d", i%3))
		_, err := s.Append(context.Background(), st, eventstore.Any(), events(1))
		require.NoError(t, err)
	}
	all := f.feed(t, s, before, 1000)
	require.Len(t, all, 10)
	requireIncreasing(t, all)

	// Pages of every size give the same feed.
	for _, limit := range []int{1, 3, 10, 11} {
		requireSameEvents(t, all, f.feed(t, s, before, limit))
	}
	// From each position, the rest.
	for i, e := range all {
		requireSameEvents(t, all[i+1:], f.feed(t, s, e.Position, 4))
	}

	if !h.Shared {
		page, err := s.ReadAll(context.Background(), eventstore.Start, 3)
		require.NoError(t, err)
		requireSameEvents(t, all[:3], page)

		page, err = s.ReadAll(context.Background(), all[4].Position, 3)
		require.NoError(t, err)
		requireSameEvents(t, all[5:8], page)

		page, err = s.ReadAll(context.Background(), all[8].Position, 100)
		require.NoError(t, err)
		requireSameEvents(t, all[9:], page)

		page, err = s.ReadAll(context.Background(), all[9].Position, 100)
		require.NoError(t, err)
		require.Empty(t, page, "from the last position")

		page, err = s.ReadAll(context.Background(), all[9].Position+1000, 100)
		require.NoError(t, err)
		require.Empty(t, page, "from beyond the last position")
	}
}

// testLastPosition: the position of the last event written, unmoved by
// failed appends.
func testLastPosition(t *testing.T, h Harness) {
	f, s := newFixture(t, h)
	f.mark(t, s) // Start on a store of its own
	st := f.stream("last")
	res := appendOK(t, s, st, eventstore.NoStream(), events(3))
	last, err := s.LastPosition(context.Background())
	require.NoError(t, err)
	if h.Shared {
		require.GreaterOrEqual(t, last, res.Position)
		return
	}
	require.Equal(t, res.Position, last)
	_, err = s.Append(context.Background(), st, eventstore.NoStream(), events(1))
	requireConflict(t, err, st, 3)
	last, err = s.LastPosition(context.Background())
	require.NoError(t, err)
	require.Equal(t, res.Position, last, "a failed append does not move LastPosition")
	res = appendOK(t, s, f.stream("last-2"), eventstore.NoStream(), events(1))
	last, err = s.LastPosition(context.Background())
	require.NoError(t, err)
	require.Equal(t, res.Position, last)
}
