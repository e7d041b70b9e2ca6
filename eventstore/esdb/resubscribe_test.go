package esdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/esdb"
)

// TestSubscriptionResubscribesOnServerEndings ends a running subscription
// with each status a node (or gRPC under it) sends around restarts,
// overload and leader changes, and checks that Subscribe resubscribes and
// goes on delivering instead of ending the projector for good (test
// server, real client).
func TestSubscriptionResubscribesOnServerEndings(t *testing.T) {
	notLeader := metadata.Pairs("exception", "not-leader", "leader-endpoint-host", "127.0.0.1", "leader-endpoint-port", "2113")
	for name, c := range map[string]struct {
		st      *status.Status
		trailer metadata.MD
	}{
		"NotReady":          {st: status.New(codes.Unavailable, "Server Is Not Ready")},
		"Timeout":           {st: status.New(codes.Aborted, "Operation timed out")},
		"DeadlineExceeded":  {st: status.New(codes.DeadlineExceeded, "deadline exceeded")},
		"ResourceExhausted": {st: status.New(codes.ResourceExhausted, "Server Is Too Busy")},
		"ResetStream":       {st: status.New(codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR")},
		"NotLeader":         {st: status.New(codes.NotFound, "Leader info available"), trailer: notLeader},
		"NoLeaderInfo":      {st: status.New(codes.Unknown, "No leader info available in response")},
	} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t)
			s := open(t, srv.URL(), esdb.Options{StreamPrefixes: domain.StreamPrefixes(), RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
			st := "item-" + uuid.NewString()
			appendRetrying(t, s, st, eventstore.NoStream(), newEvents(1))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &recorder{}
			done := make(chan error, 1)
			go func() { done <- s.Subscribe(ctx, eventstore.Start, r.handle, r.onCaughtUp) }()
			r.waitFor(t, 1)

			srv.EndSubscriptions(c.st, c.trailer)
			appendRetrying(t, s, st, eventstore.Exact(0), newEvents(1))
			waitDelivered(t, r, done, 2)
			require.GreaterOrEqual(t, srv.Subscriptions(), 2, "resubscribed")
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
		})
	}
}

// TestSubscriptionEndsOnPermanentErrors: an ending no resubscription can
// cure (refused rights, a request the server rejects) still ends
// Subscribe with the error, rather than retry forever.
func TestSubscriptionEndsOnPermanentErrors(t *testing.T) {
	for name, st := range map[string]*status.Status{
		"PermissionDenied": status.New(codes.PermissionDenied, "Access denied"),
		"InvalidArgument":  status.New(codes.InvalidArgument, "bad filter"),
		"Unknown":          status.New(codes.Unknown, "Exception was thrown by handler."),
	} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t)
			s := open(t, srv.URL(), esdb.Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
			appendRetrying(t, s, "item-"+uuid.NewString(), eventstore.NoStream(), newEvents(1))
			r := &recorder{}
			done := make(chan error, 1)
			go func() { done <- s.Subscribe(context.Background(), eventstore.Start, r.handle, r.onCaughtUp) }()
			r.waitFor(t, 1)
			srv.EndSubscriptions(st, nil)
			select {
			case err := <-done:
				require.Error(t, err)
				require.NotErrorIs(t, err, esdb.ErrUnavailable)
				require.Contains(t, err.Error(), st.Message())
			case <-time.After(20 * time.Second):
				t.Fatal("Subscribe kept retrying an ending it cannot cure")
			}
		})
	}
}

// waitDelivered waits for n events, failing at once if Subscribe returns.
func waitDelivered(t *testing.T, r *recorder, done <-chan error, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.events)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("Subscribe ended after %d of %d events: %v", got, n, err)
		case <-deadline:
			t.Fatalf("waiting for %d events, got %d", n, got)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestSubscribeRetriesTheFeedEndRead: the read of the feed's end that
// starts a subscription fails as a node changing leader answers it; the
// subscription waits and goes on rather than ending.
func TestSubscribeRetriesTheFeedEndRead(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{StreamPrefixes: domain.StreamPrefixes(), RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	appendRetrying(t, s, "item-"+uuid.NewString(), eventstore.NoStream(), newEvents(1))
	srv.FailReads(2, status.New(codes.Unknown, "No leader info available in response"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- s.Subscribe(ctx, eventstore.Start, r.handle, r.onCaughtUp) }()
	waitDelivered(t, r, done, 1)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
