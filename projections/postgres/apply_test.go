package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/projections/postgres"
)

// Two writers applying the same feed into one schema at once (e.g. two
// projectors during a hand-over) apply each event once: the checkpoint row
// is locked by the first, and the second skips what it then finds applied.
func TestConcurrentWritersApplyOnce(t *testing.T) {
	log, err := cityLogSmall()
	require.NoError(t, err)
	envs := decodeAll(t, log)
	a := newStore(t)
	b, err := postgres.New(ctx, pool, a.Schema())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for k, s := range []*postgres.Store{a, b} {
		wg.Go(func() {
			size := 50 + 37*k
			for i := 0; i < len(envs); i += size {
				if !assertNoErr(t, s.Apply(ctx, envs[i:min(i+size, len(envs))])) {
					return
				}
			}
		})
	}
	wg.Wait()
	var rows, distinct int64
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT position) FROM "+pgx.Identifier{a.Schema()}.Sanitize()+".log").Scan(&rows, &distinct))
	require.Equal(t, int64(len(envs)), rows)
	require.Equal(t, rows, distinct)
	cp, err := a.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, envs[len(envs)-1].Position, cp)
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil && !errors.Is(err, postgres.ErrRetry) {
		t.Errorf("apply: %v", err)
		return false
	}
	return true
}

// A batch cut off at any point (here by cancelling its context while it is
// being written, which rolls its transaction back as a crash would) leaves
// rows and checkpoint agreeing: all of the batch or none of it, and the
// next delivery applies the rest exactly once.
func TestInterruptedApplyLeavesNoTrace(t *testing.T) {
	log, err := cityLogSmall()
	require.NoError(t, err)
	envs := decodeAll(t, log)
	s := newStore(t)
	logRows := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{s.Schema()}.Sanitize()+".log").Scan(&n))
		return n
	}
	for i, delay := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond} {
		cp, err := s.Checkpoint(ctx)
		require.NoError(t, err)
		cut, cancel := context.WithTimeout(ctx, delay)
		err = s.Apply(cut, envs[cp:])
		cancel()
		after, err2 := s.Checkpoint(ctx)
		require.NoError(t, err2)
		if err != nil {
			require.Equal(t, cp, after, "attempt %d: a failed batch moves nothing", i)
		} else {
			require.Equal(t, envs[len(envs)-1].Position, after)
		}
		require.Equal(t, int(after), logRows(), "attempt %d: rows and checkpoint agree", i)
	}
	require.NoError(t, s.Apply(ctx, envs))
	require.Equal(t, len(envs), logRows())
}
