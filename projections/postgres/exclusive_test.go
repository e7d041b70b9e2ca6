package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/projections/postgres"
)

// Of several processes, one projects and the others stand by; when the
// active one's session dies (as when its process is killed), a standby
// takes over at once, and the one that lost the lock — if it still runs —
// is stopped within LockCheckEvery.
func TestExclusiveHandOver(t *testing.T) {
	p := needPostgres(t)
	schema := newSchema(t)
	defer func(every time.Duration) { postgres.LockCheckEvery = every }(postgres.LockCheckEvery)
	postgres.LockCheckEvery = 100 * time.Millisecond

	entered := make(chan int, 3)
	results := make(chan error, 3)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			results <- postgres.Exclusive(ctx, p, schema, func(run context.Context) error {
				entered <- i
				<-run.Done()
				return nil
			})
		})
	}
	first := <-entered
	select {
	case i := <-entered:
		t.Fatalf("projector %d entered while %d holds the lock", i, first)
	case <-time.After(300 * time.Millisecond):
	}

	// Kill the active projector's session, as a SIGKILL of its process would.
	var killed bool
	require.NoError(t, p.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = hashtext($2)::oid`, 0x70726f6a, schema).Scan(&killed))
	require.True(t, killed)
	select {
	case err := <-results:
		require.ErrorIs(t, err, postgres.ErrLockLost)
	case <-time.After(5 * time.Second):
		t.Fatal("the projector that lost its lock did not stop")
	}
	select {
	case second := <-entered:
		require.NotEqual(t, first, second)
	case <-time.After(5 * time.Second):
		t.Fatal("no standby took over")
	}
	cancel()
	wg.Wait()
}

// HeldByOther tells a process that does not project whether another one
// does: whether anyone holds the projector lock.
func TestHeldByOther(t *testing.T) {
	p := needPostgres(t)
	schema := newSchema(t)
	held, err := postgres.HeldByOther(ctx, p, schema)
	require.NoError(t, err)
	require.False(t, held)

	ctx, cancel := context.WithCancel(ctx)
	entered, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- postgres.Exclusive(ctx, p, schema, func(run context.Context) error {
			close(entered)
			<-run.Done()
			return nil
		})
	}()
	<-entered
	held, err = postgres.HeldByOther(ctx, p, schema)
	require.NoError(t, err)
	require.True(t, held)
	held, err = postgres.HeldByOther(ctx, p, schema+"_other")
	require.NoError(t, err)
	require.False(t, held, "another read model's lock")

	cancel()
	require.NoError(t, <-done)
	held, err = postgres.HeldByOther(context.Background(), p, schema)
	require.NoError(t, err)
	require.False(t, held)
}
