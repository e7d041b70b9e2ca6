package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

// newReadModel returns a fresh read-model name for one test; every
// generation of it and its registry entry are dropped when the test ends.
// Names are short: a generation's schema appends _gN.
func newReadModel(t *testing.T) string {
	p := needPostgres(t)
	name := fmt.Sprintf("rm_%d_%d", os.Getpid(), schemas.Add(1))
	t.Cleanup(func() { require.NoError(t, pgtest.DropReadModel(context.Background(), p, name)) })
	return name
}

// freshCity returns a fresh log holding a generated city.
func freshCity(t *testing.T) *eventmemory.Store {
	log := eventmemory.New()
	t.Cleanup(func() { log.Close() })
	_, err := projectionstest.Generate(ctx, log, smallCity(3))
	require.NoError(t, err)
	return log
}

// openLive opens read model name and, with project, runs its projector
// until the test ends.
func openLive(t *testing.T, name string, log eventstore.Store, project bool) *postgres.Live {
	l, err := postgres.OpenLive(ctx, needPostgres(t), name, true)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	if project {
		run, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- l.Project(run, log, projections.WithBatchSize(100)) }()
		t.Cleanup(func() {
			stop()
			require.NoError(t, <-done)
		})
	}
	return l
}

// waitFor waits for a position with a deadline a test can fail on.
func waitFor(t *testing.T, l *postgres.Live, p eventstore.Position) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, l.WaitFor(c, p), "waiting for position %d (at %d)", p, l.Position())
}

// appendForeign appends an event of another application's stream: the
// projector only moves the checkpoint past it.
func appendForeign(t *testing.T, log eventstore.Store) eventstore.Position {
	res, err := log.Append(ctx, "other-"+uuid.NewString(), eventstore.Any(),
		[]eventstore.EventData{{ID: uuid.New(), Type: "Other.v1", Data: []byte(`{}`), Metadata: []byte(`{}`)}})
	require.NoError(t, err)
	return res.Position
}

// TestLiveFollowsAnotherProcess: of two Live read models of one name (two
// processes), only the one whose projector holds the lock writes, and the
// other learns each batch by notification — not by polling, which is set
// beyond the test's deadline — so its WaitFor (read-your-writes) returns.
func TestLiveFollowsAnotherProcess(t *testing.T) {
	defer func(p time.Duration) { postgres.PollEvery = p }(postgres.PollEvery)
	postgres.PollEvery = time.Hour
	log := freshCity(t)
	name := newReadModel(t)
	reader := openLive(t, name, log, false)
	writer := openLive(t, name, log, true)
	standby := openLive(t, name, log, true)

	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	waitFor(t, reader, last)
	require.False(t, reader.Projecting())
	require.True(t, writer.Projecting() != standby.Projecting(), "exactly one projects")

	p := appendForeign(t, log)
	waitFor(t, reader, p)
	cp, err := reader.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, p, cp)
}

// TestLiveNotMigrated: told not to migrate, opening a read model that was
// never migrated fails at once with ErrNotMigrated and the command to run.
func TestLiveNotMigrated(t *testing.T) {
	name := newReadModel(t)
	_, err := postgres.OpenLive(ctx, needPostgres(t), name, false)
	require.ErrorIs(t, err, postgres.ErrNotMigrated)
	require.Contains(t, err.Error(), "catalogue migrate")
	_, err = postgres.MigrateReadModel(ctx, needPostgres(t), name)
	require.NoError(t, err)
	l, err := postgres.OpenLive(ctx, needPostgres(t), name, false)
	require.NoError(t, err)
	l.Close()
}

// TestRebuildSwitchesWhileServing rebuilds a read model that is serving
// and projecting: readers never see an error or an older checkpoint, the
// switch reaches the serving process, its projector moves to the new
// generation, the answers are the same, and the old generation is dropped
// after the grace period.
func TestRebuildSwitchesWhileServing(t *testing.T) {
	log := freshCity(t)
	name := newReadModel(t)
	live := openLive(t, name, log, true)
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	waitFor(t, live, last)
	before := answers(t, live)

	// Readers go on through the rebuild.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	readers.Go(func() {
		var seen eventstore.Position
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := live.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: today, Page: projections.Page{First: 20}})
			if !assertNoError(t, err) {
				return
			}
			p := live.Position()
			if p < seen {
				t.Errorf("position went back from %d to %d", seen, p)
				return
			}
			seen = p
			reads.Add(1)
		}
	})

	var phases []string
	res, err := postgres.Rebuild(ctx, needPostgres(t), name, log, postgres.RebuildOptions{
		Grace: 300 * time.Millisecond, ProgressEvery: time.Millisecond,
		Projector: []projections.Option{projections.WithBatchSize(64)},
		Progress: func(p postgres.RebuildProgress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		},
	})
	require.NoError(t, err)
	close(stop)
	readers.Wait()
	require.Equal(t, name+"_g2", res.Schema)
	require.Equal(t, name, res.Previous)
	require.Equal(t, last, res.Position)
	require.True(t, res.Dropped)
	require.Equal(t, []string{"building", "indexing", "switched", "dropped"}, phases)
	require.Positive(t, reads.Load())

	require.Eventually(t, func() bool { return live.Store().Schema() == res.Schema }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, before, answers(t, live))
	var exists bool
	require.NoError(t, needPostgres(t).QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name).Scan(&exists))
	require.False(t, exists, "the previous generation is dropped")

	// The serving process's projector now writes the new generation.
	p := appendForeign(t, log)
	waitFor(t, live, p)
	cp, err := postgres.New(ctx, needPostgres(t), res.Schema)
	require.NoError(t, err)
	at, err := cp.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, p, at)

	// And a second rebuild makes generation 3.
	res, err = postgres.Rebuild(ctx, needPostgres(t), name, log, postgres.RebuildOptions{Grace: time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, name+"_g3", res.Schema)
	require.Equal(t, name+"_g2", res.Previous)
}

// TestRebuildResumes interrupts a rebuild in the middle and runs it again:
// the second run continues the same generation from its checkpoint.
// Meanwhile a second rebuild of the same read model is refused.
func TestRebuildResumes(t *testing.T) {
	log := freshCity(t)
	name := newReadModel(t)
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)

	run, interrupt := context.WithCancel(ctx)
	var once sync.Once
	var refused error
	_, err = postgres.Rebuild(run, needPostgres(t), name, log, postgres.RebuildOptions{
		ProgressEvery: time.Nanosecond,
		Projector:     []projections.Option{projections.WithBatchSize(50)},
		Progress: func(p postgres.RebuildProgress) {
			if p.Applied > 0 && p.Position < last {
				once.Do(func() {
					_, refused = postgres.Rebuild(ctx, needPostgres(t), name, log, postgres.RebuildOptions{})
					interrupt()
				})
			}
		},
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Error(t, refused)
	require.Contains(t, refused.Error(), "running already")

	half, err := postgres.New(ctx, needPostgres(t), name+"_g2")
	require.NoError(t, err)
	cp, err := half.Checkpoint(ctx)
	require.NoError(t, err)
	require.Positive(t, cp)
	require.Less(t, cp, last)

	var resumedFrom eventstore.Position
	res, err := postgres.Rebuild(ctx, needPostgres(t), name, log, postgres.RebuildOptions{
		Grace: time.Millisecond, ProgressEvery: time.Nanosecond,
		Progress: func(p postgres.RebuildProgress) {
			if resumedFrom == 0 && p.Phase == "building" {
				resumedFrom = p.Position - eventstore.Position(p.Applied)
			}
		},
	})
	require.NoError(t, err)
	require.True(t, res.Resumed)
	require.Equal(t, name+"_g2", res.Schema)
	require.Equal(t, last, res.Position)
	require.GreaterOrEqual(t, resumedFrom, cp, "resumed after the checkpoint, not from zero")

	// The same answers as a read model built in one go.
	whole := newStore(t)
	_, err = projections.Rebuild(ctx, log, whole)
	require.NoError(t, err)
	l, err := postgres.OpenLive(ctx, needPostgres(t), name, false)
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, answers(t, whole), answers(t, l))
}

// answers is a digest of what a read model says: a catalogue page, the
// audit log's first page and every edition.
func answers(t *testing.T, r projections.Reader) string {
	t.Helper()
	q := r.Views()
	page, err := q.Catalogue(ctx, projections.CatalogueQuery{Axes: today, Page: projections.Page{First: 100}, Status: projections.ItemAnyStatus})
	require.NoError(t, err)
	logPage, err := q.AuditLog(ctx, projections.AuditQuery{Page: projections.Page{First: 100}})
	require.NoError(t, err)
	editions, err := q.Editions(ctx, 0)
	require.NoError(t, err)
	var b strings.Builder
	fmt.Fprintf(&b, "%d %+v\n%d %+v\n%+v", page.Total, page.Items, len(logPage.Entries), logPage.Entries, editions)
	return b.String()
}

// today is the date the tests read on.
var today = projections.Axes{InForceOn: domain.MustDate("2026-12-01")}

// assertNoError reports an error from a goroutine other than the test's.
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

// TestVerifyLog: a read model is recognised by the log it was built from,
// and refused by another — a different log, or an empty one.
func TestVerifyLog(t *testing.T) {
	log := freshCity(t)
	s := newStore(t)
	require.NoError(t, s.VerifyLog(ctx, log), "an empty read model fits any log")
	_, err := projections.Rebuild(ctx, log, s)
	require.NoError(t, err)
	require.NoError(t, s.VerifyLog(ctx, log))

	other := eventmemory.New()
	defer other.Close()
	_, err = projectionstest.Generate(ctx, other, smallCity(4))
	require.NoError(t, err)
	require.ErrorIs(t, s.VerifyLog(ctx, other), postgres.ErrOtherLog)
	empty := eventmemory.New()
	defer empty.Close()
	err = s.VerifyLog(ctx, empty)
	require.ErrorIs(t, err, postgres.ErrAheadOfLog)
	require.Contains(t, err.Error(), "the log ends at 0")
}

// TestVerifyLogAheadOfLog: a read model whose checkpoint is past the end of
// its log is refused even when the log holds the last event the read model
// recorded: here the log lost its last events, which belong to no stream
// the read models record (a foreign stream), so only the checkpoint knows
// of them.
func TestVerifyLogAheadOfLog(t *testing.T) {
	log := freshCity(t)
	for i := range 3 {
		_, err := log.Append(ctx, fmt.Sprintf("orders-%d", i), eventstore.NoStream(),
			[]eventstore.EventData{{ID: uuid.New(), Type: "Ordered.v1", Data: []byte(`{}`)}})
		require.NoError(t, err)
	}
	s := newStore(t)
	_, err := projections.Rebuild(ctx, log, s)
	require.NoError(t, err)
	require.NoError(t, s.VerifyLog(ctx, log))

	// The same log without its last three events: the same ids at the
	// same positions.
	lost := eventmemory.New()
	defer lost.Close()
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	recs, err := log.ReadAll(ctx, eventstore.Start, int(last)-3)
	require.NoError(t, err)
	for _, r := range recs {
		_, err := lost.Append(ctx, r.Stream, eventstore.Any(), []eventstore.EventData{{ID: r.ID, Type: r.Type, Data: r.Data, Metadata: r.Metadata}})
		require.NoError(t, err)
	}
	err = s.VerifyLog(ctx, lost)
	require.ErrorIs(t, err, postgres.ErrAheadOfLog)
	require.ErrorContains(t, err, fmt.Sprintf("reached position %d, the log ends at %d", last, last-3))
}
