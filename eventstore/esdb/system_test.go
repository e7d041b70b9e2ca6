package esdb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/esdb"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
)

// TestFeedSkipsSystemEventsInProjectStreams writes, into the project's
// own streams, what an operator's tools make a real server write there: a
// `$`-typed event, stream metadata (`$metadata` in `$$item-…`) and a
// tombstone (`$streamDeleted` in the stream itself). With the production
// prefix filter none of them may reach the feed (ReadAll, LastPosition,
// Subscribe): a projector cannot decode them and would stop on each
// restart. Test server, real client.
func TestFeedSkipsSystemEventsInProjectStreams(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{StreamPrefixes: domain.StreamPrefixes()})
	ctx := context.Background()
	kept, gone := "item-"+uuid.NewString(), "item-"+uuid.NewString()
	appendRetrying(t, s, kept, eventstore.NoStream(), newEvents(1))
	appendRetrying(t, s, gone, eventstore.NoStream(), newEvents(1))

	_, err := srv.AppendSystemEvent(kept, "$operator-note")
	require.NoError(t, err)
	_, err = srv.SetStreamMetadata(kept, []byte(`{"$maxCount": 10}`))
	require.NoError(t, err)
	_, err = srv.Tombstone(gone)
	require.NoError(t, err)
	appendRetrying(t, s, kept, eventstore.Exact(1), newEvents(1)) // revision 1 is the $-typed event
	_, err = srv.AppendSystemEvent(kept, "$operator-note")        // last in the log
	require.NoError(t, err)

	ours := func(evs []eventstore.RecordedEvent) {
		t.Helper()
		require.Len(t, evs, 3)
		for _, e := range evs {
			require.Equal(t, "Tested.v1", e.Type, "a system event reached the feed: %+v", e)
		}
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 100)
	require.NoError(t, err)
	ours(all)
	last, err := s.LastPosition(ctx)
	require.NoError(t, err)
	require.Equal(t, all[2].Position, last, "the feed's end is our last event, not the system event after it")

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- s.Subscribe(sctx, eventstore.Start, r.handle, r.onCaughtUp) }()
	r.waitFor(t, 3)
	_, err = srv.AppendSystemEvent(kept, "$operator-note") // live, too
	require.NoError(t, err)
	appendRetrying(t, s, kept, eventstore.Exact(4), newEvents(1))
	got := r.waitFor(t, 4)
	time.Sleep(50 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	ours(got[:3])
	require.Len(t, r.events, 4)
	require.Equal(t, "Tested.v1", r.events[3].Type)

	// The tombstoned stream itself is gone for reads and appends.
	_, err = s.ReadStream(ctx, gone, 0)
	require.ErrorIs(t, err, esdb.ErrStreamDeleted)
	_, err = s.Append(ctx, gone, eventstore.Exact(0), newEvents(1))
	require.ErrorIs(t, err, esdb.ErrStreamDeleted)
}

// TestRetryAfterForgottenCommits: once the server's commit cache has
// forgotten a write (a busy node, a restart), only an exact expectation
// still recognises a retry; the adapter and the ledger use exact ones.
func TestRetryAfterForgottenCommits(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{})
	ctx := context.Background()
	st := "item-" + uuid.NewString()
	evs := newEvents(2)
	first, err := s.Append(ctx, st, eventstore.NoStream(), evs)
	require.NoError(t, err)
	srv.ForgetCommits()

	retry, err := s.Append(ctx, st, eventstore.NoStream(), evs)
	require.NoError(t, err)
	require.Equal(t, first, retry, "the original write's result")
	got, err := s.ReadStream(ctx, st, 0)
	require.NoError(t, err)
	require.Len(t, got, 2, "written once")

	// Another client (no memory of the ids) retrying with Any: the server
	// appends again, as a real one may — why Any is never relied on.
	other := open(t, srv.URL(), esdb.Options{})
	_, err = other.Append(ctx, st, eventstore.Any(), evs)
	require.NoError(t, err)
	got, err = s.ReadStream(ctx, st, 0)
	require.NoError(t, err)
	require.Len(t, got, 4, "a forgotten commit retried with Any is written again")
}

// TestAppendTooLarge: an append over the server's size limit fails with
// ErrAppendTooLarge, which no retry cures, and writes nothing.
func TestAppendTooLarge(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{})
	ctx := context.Background()
	st := "item-" + uuid.NewString()
	big := []eventstore.EventData{{ID: uuid.New(), Type: "Tested.v1", Data: []byte(`"` + strings.Repeat("x", esdbtest.MaxAppendSize) + `"`)}}
	_, err := s.Append(ctx, st, eventstore.NoStream(), big)
	require.ErrorIs(t, err, esdb.ErrAppendTooLarge)
	require.NotErrorIs(t, err, esdb.ErrUnavailable)
	got, err := s.ReadStream(ctx, st, 0)
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestReadAfterMaxCount: with `$maxCount` set, a stream read returns the
// last events with the server's revisions, and a conflict names the
// stream's real current revision.
func TestReadAfterMaxCount(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{})
	ctx := context.Background()
	st := "item-" + uuid.NewString()
	_, err := s.Append(ctx, st, eventstore.NoStream(), newEvents(5))
	require.NoError(t, err)
	_, err = srv.SetStreamMetadata(st, []byte(`{"$maxCount": 2}`))
	require.NoError(t, err)
	got, err := s.ReadStream(ctx, st, 0)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, []uint64{3, 4}, []uint64{got[0].Revision, got[1].Revision})
	_, err = s.Append(ctx, st, eventstore.Exact(1), newEvents(1))
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, uint64(5), ce.Current)
}

// TestReadAfterMaxAge: events older than `$maxAge` are no longer read;
// the ones after them keep their revisions.
func TestReadAfterMaxAge(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{})
	ctx := context.Background()
	st := "item-" + uuid.NewString()
	_, err := s.Append(ctx, st, eventstore.NoStream(), newEvents(2))
	require.NoError(t, err)
	time.Sleep(4500 * time.Millisecond) // a 2 s margin either side of $maxAge
	_, err = s.Append(ctx, st, eventstore.Exact(1), newEvents(1))
	require.NoError(t, err)
	_, err = srv.SetStreamMetadata(st, []byte(`{"$maxAge": 2}`))
	require.NoError(t, err)
	got, err := s.ReadStream(ctx, st, 0)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, uint64(2), got[0].Revision)
}
