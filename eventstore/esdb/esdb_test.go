package esdb_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/esdb"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
	"github.com/catalogue/catalogue/eventstore/eventstoretest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startServer starts an in-process test server for the test.
func startServer(t testing.TB) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.Start()
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	return srv
}

func open(t testing.TB, url string, opts esdb.Options) *esdb.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := esdb.Open(context.Background(), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContractClientWireTestServer runs the event-store contract through
// the real EventStore-Client-Go v4.2.0 over real gRPC against esdbtest's
// in-process server. It proves the adapter against the client's wire code
// and the documented server semantics, not against a real EventStoreDB
// (TestContractRealServer does that when ESDB_URL is set).
func TestContractClientWireTestServer(t *testing.T) {
	for name, prefixes := range map[string][]string{
		// The suite names its streams "t<8 hex>-…".
		"PrefixFilter":        {"t"},
		"ExcludeSystemEvents": nil,
	} {
		t.Run(name, func(t *testing.T) {
			eventstoretest.Run(t, eventstoretest.Harness{
				Storage: func(t *testing.T) eventstoretest.Opener {
					srv := startServer(t)
					// Reopening is a new client on the same server.
					return func() (eventstore.Store, error) {
						return esdb.Open(context.Background(), srv.URL(), esdb.Options{StreamPrefixes: prefixes, Logger: quiet})
					}
				},
				Durable: true,
				// The test server's commit cache forgets only on Restart
				// and ForgetCommits, which the suite does not call, so a
				// retry with Any is deduplicated too (not so on a real
				// server: TestRetryAfterForgottenCommits).
				AnyRetryBestEffort: false,
			})
		})
	}
}

// TestContractRealServer runs the contract against a real EventStoreDB or
// KurrentDB named by ESDB_URL, e.g.
//
//	docker run --rm -p 2113:2113 eventstore/eventstore:24.10 --insecure --mem-db
//	ESDB_URL='esdb://127.0.0.1:2113?tls=false' go test ./eventstore/esdb/...
func TestContractRealServer(t *testing.T) {
	url := os.Getenv("ESDB_URL")
	if url == "" {
		t.Skip("ESDB_URL not set: no real EventStoreDB to test against (see eventstore/esdb/README.md)")
	}
	eventstoretest.Run(t, eventstoretest.Harness{
		Storage: func(*testing.T) eventstoretest.Opener {
			return func() (eventstore.Store, error) {
				return esdb.Open(context.Background(), url, esdb.Options{Logger: quiet})
			}
		},
		Durable:            true,
		Shared:             true,
		AnyRetryBestEffort: true,
	})
}

// recorder collects a subscription's deliveries.
type recorder struct {
	mu       sync.Mutex
	events   []eventstore.RecordedEvent
	caughtUp int
}

func (r *recorder) handle(e eventstore.RecordedEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) onCaughtUp() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.caughtUp++
}

func (r *recorder) waitFor(t *testing.T, n int) []eventstore.RecordedEvent {
	t.Helper()
	var got []eventstore.RecordedEvent
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = append(got[:0], r.events...)
		return len(r.events) >= n && r.caughtUp > 0
	}, 20*time.Second, 10*time.Millisecond, "waiting for %d events", n)
	return got
}

func newEvents(n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = eventstore.EventData{ID: uuid.New(), Type: "Tested.v1", Data: []byte(`{}`)}
	}
	return out
}

// appendRetrying appends, retrying with the same ids (which makes the
// retry safe) while the client reconnects after a server restart.
func appendRetrying(t *testing.T, s *esdb.Store, stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := s.Append(context.Background(), stream, exp, evs)
		if err == nil {
			return
		}
		require.ErrorIs(t, err, esdb.ErrUnavailable)
		require.True(t, time.Now().Before(deadline), "append kept failing: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSubscriptionResubscribesTestServer drops a running subscription on
// the test server, then restarts the server, with resubscriptions made to
// replay two records, and checks that Subscribe resubscribes and delivers
// every event exactly once, in order (client wire code, test server; not a
// real server's restart).
func TestSubscriptionResubscribesTestServer(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{StreamPrefixes: []string{"item-"}, RetryMin: 10 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	st := "item-" + uuid.NewString()
	appendRetrying(t, s, st, eventstore.NoStream(), newEvents(3))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- s.Subscribe(ctx, eventstore.Start, r.handle, r.onCaughtUp) }()
	r.waitFor(t, 3)

	// Resubscriptions start two records early, as if the server replayed.
	srv.RewindSubscriptions(2)
	srv.DropSubscriptions()
	appendRetrying(t, s, st, eventstore.Exact(2), newEvents(2))
	r.waitFor(t, 5)

	require.NoError(t, srv.Restart())
	appendRetrying(t, s, st, eventstore.Exact(4), newEvents(2))
	got := r.waitFor(t, 7)

	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.events, 7, "every event exactly once")
	require.Equal(t, 1, r.caughtUp)
	require.GreaterOrEqual(t, srv.Subscriptions(), 3, "the subscription was dropped twice and resumed")
	for i, e := range got {
		require.Equal(t, uint64(i), e.Revision, "in order, no duplicate")
	}
}

// TestOpenUnreachable: a server that cannot be reached fails Open with a
// clear error, not the first command.
func TestOpenUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	_, err = esdb.Open(context.Background(), "esdb://admin:secret@"+addr+"?tls=false", esdb.Options{ConnectTimeout: 3 * time.Second, Logger: quiet})
	require.Error(t, err)
	require.ErrorIs(t, err, esdb.ErrUnavailable)
	require.Contains(t, err.Error(), "cannot use the server at esdb://***@"+addr)
	require.False(t, strings.Contains(err.Error(), "secret"), "credentials in the message")
}

// TestAppendConnectionLost: with the server gone, Append fails with
// ErrUnavailable at once and is not retried behind the caller's back; the
// caller's retry with the same ids after the server is back writes once.
func TestAppendConnectionLost(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{})
	st := "item-" + uuid.NewString()
	appendRetrying(t, s, st, eventstore.NoStream(), newEvents(1))

	srv.Stop()
	evs := newEvents(2)
	_, err := s.Append(context.Background(), st, eventstore.Exact(0), evs)
	require.ErrorIs(t, err, esdb.ErrUnavailable)

	require.NoError(t, srv.Restart())
	appendRetrying(t, s, st, eventstore.Exact(0), evs)
	appendRetrying(t, s, st, eventstore.Exact(0), evs) // a second retry
	got, err := s.ReadStream(context.Background(), st, 0)
	require.NoError(t, err)
	require.Len(t, got, 3, "written once")
}

// TestSubscribeServerDownAtStart: a Subscribe that starts while the server
// is unreachable keeps trying and delivers once it is back (test server).
func TestSubscribeServerDownAtStart(t *testing.T) {
	srv := startServer(t)
	s := open(t, srv.URL(), esdb.Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	srv.Stop()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	done := make(chan error, 1)
	go func() { done <- s.Subscribe(ctx, eventstore.Start, r.handle, r.onCaughtUp) }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, srv.Restart())
	appendRetrying(t, s, "item-"+uuid.NewString(), eventstore.NoStream(), newEvents(2))
	r.waitFor(t, 2)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
