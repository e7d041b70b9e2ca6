package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// RebuildProgress reports how a rebuild advances.
type RebuildProgress struct {
	Phase    string // "building", "indexing" (once caught up), "switched" or "dropped"
	Schema   string // the generation being built (or, once dropped, the one dropped)
	Applied  int64  // events applied by this run
	Position eventstore.Position
	Target   eventstore.Position // the log's last position when the run began
	Rate     float64             // events per second
}

// RebuildOptions tune Rebuild; the zero value is usable.
type RebuildOptions struct {
	// Progress, if set, is called at most once every ProgressEvery (default
	// one second) while building, and once at the switch and the drop.
	Progress      func(RebuildProgress)
	ProgressEvery time.Duration
	// Grace is how long the previous generation is kept after the switch,
	// for queries that began on it to finish; then it is dropped. Default
	// 10 s. Interrupted during it, the previous generation is dropped by
	// the next rebuild instead.
	Grace time.Duration
	// Projector options for the build (batch size, decoders). The batch
	// size defaults to RebuildBatch.
	Projector []projections.Option
}

// RebuildBatch is a rebuild's batch size: larger than a live projector's
// (1024, which suits latency), since fewer, larger transactions fill a
// fresh generation faster (BenchmarkRebuild: about 15% at 4096, little
// more beyond).
const RebuildBatch = 4096

// RebuildResult is what a rebuild did.
type RebuildResult struct {
	Schema   string              // the new active generation
	Previous string              // the generation it replaced
	Position eventstore.Position // its checkpoint at the switch
	Resumed  bool                // it continued an interrupted rebuild
	Dropped  bool                // the previous generation was dropped
}

// Rebuild builds a new generation of read model name from position zero
// while the active one keeps serving, then makes it active atomically
// (catalogue rebuild).
//
// The new generation is the schema <name>_gN, recorded in the registry as
// building before anything is written, so a rebuild that is interrupted
// (ctx) leaves a generation whose checkpoint agrees with its rows, and the
// next Rebuild resumes it where it stopped. Once it has caught up with the
// log, the switch is one transaction on the registry row, taken only when
// the new generation has reached the active one's checkpoint (so a
// position a reader waited for stays reached), with a notification that
// makes every process (Live) read from it at once; their projectors move
// to it too. Two rebuilds of one read model never run at once.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, name string, events eventstore.Store, opt RebuildOptions) (RebuildResult, error) {
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = time.Second
	}
	if opt.Grace <= 0 {
		opt.Grace = 10 * time.Second
	}
	if opt.Progress == nil {
		opt.Progress = func(RebuildProgress) {}
	}
	if err := validSchema(name); err != nil {
		return RebuildResult{}, err
	}
	if err := ensureRegistry(ctx, pool); err != nil {
		return RebuildResult{}, err
	}
	res, err := beginRebuild(ctx, pool, name)
	if err != nil {
		return res, err
	}
	err = TryExclusive(ctx, pool, res.Schema, func(ctx context.Context) error {
		return build(ctx, pool, name, events, opt, &res)
	})
	if errors.Is(err, ErrBusy) {
		return res, fmt.Errorf("postgres: a rebuild of %s is running already (building %s)", name, res.Schema)
	}
	if err != nil {
		return res, err
	}
	opt.Progress(RebuildProgress{Phase: "switched", Schema: res.Schema, Position: res.Position})
	select {
	case <-ctx.Done():
		return res, nil // switched; the previous generation waits for the next rebuild
	case <-time.After(opt.Grace):
	}
	if res.Dropped, err = dropRetired(ctx, pool, name); err == nil && res.Dropped {
		opt.Progress(RebuildProgress{Phase: "dropped", Schema: res.Previous})
	}
	return res, err
}

// beginRebuild records (or finds, to resume) the generation being built,
// dropping first a previous generation an interrupted rebuild kept.
func beginRebuild(ctx context.Context, pool *pgxpool.Pool, name string) (RebuildResult, error) {
	if _, err := dropRetired(ctx, pool, name); err != nil {
		return RebuildResult{}, err
	}
	var res RebuildResult
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO "+registry+" (name, active, generation) VALUES ($1, $1, 1) ON CONFLICT DO NOTHING", name); err != nil {
			return err
		}
		var generation int
		var building *string
		if err := tx.QueryRow(ctx, "SELECT active, generation, building FROM "+registry+" WHERE name = $1 FOR UPDATE", name).
			Scan(&res.Previous, &generation, &building); err != nil {
			return err
		}
		if building != nil {
			res.Schema, res.Resumed = *building, true
			return nil
		}
		var err error
		if res.Schema, err = generationSchema(name, generation+1); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE "+registry+" SET building = $2 WHERE name = $1", name, res.Schema)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("postgres: begin rebuild of %s: %w", name, translate(err))
	}
	return res, nil
}

// build fills the generation being built up to the log's end and switches
// to it; it runs while holding that generation's projector lock.
func build(ctx context.Context, pool *pgxpool.Pool, name string, events eventstore.Store, opt RebuildOptions, res *RebuildResult) error {
	if err := Migrate(ctx, pool, res.Schema); err != nil {
		return err
	}
	target, err := events.LastPosition(ctx)
	if err != nil {
		return err
	}
	store := newStore(pool, res.Schema)
	if err := store.VerifyLog(ctx, events); err != nil {
		return err // a resumed build, begun from another log
	}
	if err := store.BeginBulk(ctx); err != nil {
		return err
	}
	var built atomic.Bool // the catch-ups before the switch are not news
	progress := projections.WithProgress(func(p projections.Progress) {
		if built.Load() {
			return
		}
		opt.Progress(RebuildProgress{Phase: "building", Schema: res.Schema, Applied: p.Applied, Position: p.Position, Target: target, Rate: p.Rate})
	}, opt.ProgressEvery)
	opts := append([]projections.Option{projections.WithBatchSize(RebuildBatch)}, opt.Projector...)
	p := projections.New(events, store, append(opts, progress)...)
	if err := p.CatchUp(ctx); err != nil {
		return err
	}
	built.Store(true)
	opt.Progress(RebuildProgress{Phase: "indexing", Schema: res.Schema, Position: p.Position(), Target: target})
	if err := store.EndBulk(ctx); err != nil {
		return err
	}
	// The active generation's projector goes on while this one catches
	// up: catch up again until, under the registry row's lock, this one
	// has reached it.
	for {
		if err := p.CatchUp(ctx); err != nil {
			return err
		}
		switched, err := switchTo(ctx, pool, name, store, res)
		if err != nil || switched {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// switchTo makes store the active generation if it has reached the active
// one's checkpoint, in one transaction with the notification that tells
// every process.
func switchTo(ctx context.Context, pool *pgxpool.Pool, name string, store *Store, res *RebuildResult) (switched bool, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var active string
		var building *string
		if err := tx.QueryRow(ctx, "SELECT active, building FROM "+registry+" WHERE name = $1 FOR UPDATE", name).Scan(&active, &building); err != nil {
			return err
		}
		if building == nil || *building != store.schema {
			return fmt.Errorf("postgres: rebuild of %s: the registry no longer builds %s", name, store.schema)
		}
		var old, built int64
		if err := tx.QueryRow(ctx, "SELECT position FROM "+quoteIdent(store.schema)+".checkpoint").Scan(&built); err != nil {
			return err
		}
		// Locking the active generation's checkpoint row holds its
		// projector's next batch until the switch is committed: no reader
		// can see that generation pass the one switched to.
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", quoteIdent(active)+".checkpoint").Scan(&exists); err != nil {
			return err
		}
		if exists {
			if err := tx.QueryRow(ctx, "SELECT position FROM "+quoteIdent(active)+".checkpoint FOR UPDATE").Scan(&old); err != nil {
				return err
			}
		}
		if built < old {
			return nil // not yet: catch up again
		}
		if _, err := tx.Exec(ctx, "UPDATE "+registry+` SET active = building, building = NULL, retired = $2,
			generation = generation + 1, switched_at = now() WHERE name = $1`, name, active); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'switch ' || $2)", NotifyChannel, name); err != nil {
			return err
		}
		res.Previous, res.Position, switched = active, eventstore.Position(built), true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("postgres: switch %s to %s: %w", name, store.schema, translate(err))
	}
	return switched, nil
}

// dropRetired drops the previous generation of read model name, if one is
// kept, and reports whether it did.
func dropRetired(ctx context.Context, pool *pgxpool.Pool, name string) (dropped bool, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var retired *string
		err := tx.QueryRow(ctx, "SELECT retired FROM "+registry+" WHERE name = $1 FOR UPDATE", name).Scan(&retired)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && retired == nil {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(*retired)+" CASCADE"); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE "+registry+" SET retired = NULL WHERE name = $1", name)
		dropped = true
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: drop the previous generation of %s: %w", name, translate(err))
	}
	return dropped, nil
}
