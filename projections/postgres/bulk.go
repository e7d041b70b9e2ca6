package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Bulk mode is how a rebuild fills a fresh generation fast: a schema no
// reader uses yet, into which a projector applies the whole log.
//
// Most of a plain rebuild's time goes to maintaining, row by row, indexes
// that only the queries use (the projector reads one of the log's nine):
// each insert touches pages all over them, and together they outgrow the
// server's cache. BeginBulk drops every non-unique index that Apply's own
// lookups do not use, and EndBulk builds them again at the end, each by
// one sort of the finished table. On the city benchmark (207,000 events,
// BenchmarkRebuild) the catch-up takes 2.2–2.8 s instead of 5.3–5.9 s and
// EndBulk 1.5 s (the builds and the ANALYZE, on two connections). Keeping
// the log indexes that look cheapest to maintain (high_water, actor, type,
// basis: few insertion points each) was tried: they cost the catch-up
// more than their builds cost EndBulk. Unique indexes (primary keys and
// the like) stay: Apply looks rows up by them, and they keep a second
// writer from writing a row twice.
//
// While a schema is in bulk mode Apply also commits without waiting for
// the WAL flush (synchronous_commit off, per transaction). That is safe:
// a batch's rows and its checkpoint are in one transaction, so a crash
// loses at most the last batches whole, and the projector applies them
// again from the checkpoint it finds. (It gains about 5% with batches of
// 1,024 events, nothing measurable with 4,096.)
//
// The tables stay logged. UNLOGGED tables would save the WAL of the rows,
// but ALTER TABLE … SET LOGGED rewrites each table and writes all of it to
// the WAL at once (for the log table that cost three times what it saved),
// and a server crash would empty unlogged tables under a logged checkpoint.
//
// The mode is recorded in the schema — the table bulk_indexes holds the
// definition of each index dropped — so that it survives the process: a
// rebuild interrupted at any point calls BeginBulk again (a no-op for what
// is done) and resumes from the checkpoint, and EndBulk, itself resumable,
// leaves the schema identical in structure to a freshly migrated one
// (TestBulkRebuildSameRows, TestBulkResumes). A migration that changes a
// dropped index should run on a schema out of bulk mode.

// bulkTable lists, while a schema is in bulk mode, the indexes BeginBulk
// dropped and EndBulk has not yet built again. Its existence is the mode.
const bulkTable = "bulk_indexes"

// applyIndexes are the non-unique indexes that Apply's lookups use, kept
// in bulk mode: log_facts finds an item's listing and amendments
// (writer.versions). Apply stays correct without any non-unique index —
// only slower — so an index missing here costs time, never a wrong row.
var applyIndexes = []string{"log_facts"}

// BeginBulk puts the store's schema in bulk mode (see above), before a
// rebuild's catch-up: call it on a fresh or partly built schema that no
// one reads, never on a serving generation, whose queries need every
// index. It is idempotent: calling it again, e.g. when an interrupted
// rebuild resumes, changes nothing more. Apply remains correct throughout.
func (s *Store) BeginBulk(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Serialised with Migrate and the final step of EndBulk.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", migrationLock, s.schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.sql(`CREATE TABLE IF NOT EXISTS {s}.`+bulkTable+` (
			name       text PRIMARY KEY,
			tbl        text NOT NULL, -- the index's table
			definition text NOT NULL  -- CREATE INDEX …, the table qualified by "{s}."
		)`)); err != nil {
			return err
		}
		// pg_get_indexdef qualifies the table with the schema; it is
		// stored with a placeholder, so the definition does not depend on
		// the schema's name. NOT indisunique leaves out primary keys and
		// unique constraints; no table here has an exclusion constraint,
		// whose index is not unique either (left out too).
		rows, err := tx.Query(ctx, s.sql(`INSERT INTO {s}.`+bulkTable+` (name, tbl, definition)
			SELECT c.relname, t.relname, replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident($1::text) || '.', ' ON {s}.')
			FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_class t ON t.oid = i.indrelid
			WHERE c.relnamespace = $1::text::regnamespace AND t.relkind = 'r'
			  AND NOT i.indisunique AND NOT i.indisexclusion AND NOT i.indisprimary
			  AND t.relname NOT IN ('`+bulkTable+`', 'schema_migrations')
			  AND c.relname <> ALL ($2)
			ON CONFLICT (name) DO NOTHING
			RETURNING name`), s.schema, applyIndexes)
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, n := range names {
			if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{s.schema, n}.Sanitize()); err != nil {
				return err
			}
		}
		return nil
	})
	return s.fail("begin bulk", err)
}

// InBulk reports whether the store's schema is in bulk mode: between a
// BeginBulk and the end of the EndBulk that follows.
func (s *Store) InBulk(ctx context.Context) (bool, error) {
	var in bool
	err := s.db.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{s.schema, bulkTable}.Sanitize()).Scan(&in)
	return in, s.fail("in bulk", err)
}

// bulkBuilders is how many jobs (index builds, ANALYZEs) EndBulk runs at
// once when its connection is a pool. On a 2-core server two took 1.5 s
// where one took 2.2 s (the server's own parallel workers help a single
// build only so much); three were no faster.
const bulkBuilders = 2

// EndBulk ends bulk mode: it builds again every index BeginBulk dropped,
// ANALYZEs the tables (their statistics were never gathered, and the
// queries' plans need them), and removes the record of the mode, after
// which the schema is identical in structure to a freshly migrated one.
// It is idempotent and resumable: each index is built in a transaction of
// its own that also removes it from the record, so an EndBulk interrupted
// at any point and called again builds only what is missing. A schema not
// in bulk mode is left as it is.
func (s *Store) EndBulk(ctx context.Context) error {
	// Largest tables first, so that the last builds end together.
	rows, err := s.db.Query(ctx, s.sql(`SELECT name FROM {s}.`+bulkTable+`
		ORDER BY pg_relation_size(to_regclass(quote_ident($1::text) || '.' || quote_ident(tbl))) DESC, name`), s.schema)
	var names []string
	if err == nil {
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeUndefinedTable {
		return nil // not in bulk mode: nothing to do
	}
	if err != nil {
		return s.fail("end bulk", err)
	}
	rows, err = s.db.Query(ctx, `SELECT relname FROM pg_class WHERE relnamespace = $1::text::regnamespace AND relkind = 'r'
		AND relname NOT IN ('`+bulkTable+`', 'schema_migrations') ORDER BY pg_relation_size(oid) DESC, relname`, s.schema)
	var tables []string
	if err == nil {
		tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return s.fail("end bulk", err)
	}

	// The work: each index, then each table's ANALYZE, which may run
	// alongside a build on the same table (their locks do not conflict).
	var jobs []func(context.Context) error
	for _, n := range names {
		jobs = append(jobs, func(ctx context.Context) error { return s.buildIndex(ctx, n) })
	}
	for _, t := range tables {
		jobs = append(jobs, func(ctx context.Context) error {
			_, err := s.db.Exec(ctx, "ANALYZE "+pgx.Identifier{s.schema, t}.Sanitize())
			return err
		})
	}
	workers := 1
	if _, ok := s.db.(*pgxpool.Pool); ok {
		workers = bulkBuilders // each job on a connection of its own
	}
	if err := runJobs(ctx, workers, jobs); err != nil {
		return s.fail("end bulk", err)
	}

	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", migrationLock, s.schema); err != nil {
			return err
		}
		var left int
		if err := tx.QueryRow(ctx, s.sql("SELECT count(*) FROM {s}."+bulkTable)).Scan(&left); err != nil {
			return err
		}
		if left > 0 { // a BeginBulk ran meanwhile: it stays in bulk mode
			return fmt.Errorf("%d indexes were dropped again while bulk mode was ending", left)
		}
		_, err := tx.Exec(ctx, s.sql("DROP TABLE {s}."+bulkTable))
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUndefinedTable {
		return nil // a concurrent EndBulk finished first
	}
	return s.fail("end bulk", err)
}

// buildIndex builds one index that BeginBulk dropped and strikes it from
// the record, in one transaction. The record's row is locked first, so
// two EndBulks at once build each index once: the second finds it gone.
func (s *Store) buildIndex(ctx context.Context, name string) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var def string
		err := tx.QueryRow(ctx, s.sql("SELECT definition FROM {s}."+bulkTable+" WHERE name = $1 FOR UPDATE"), name).Scan(&def)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // built by a concurrent EndBulk
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.sql(def)); err != nil {
			return fmt.Errorf("index %s: %w", name, err)
		}
		_, err = tx.Exec(ctx, s.sql("DELETE FROM {s}."+bulkTable+" WHERE name = $1"), name)
		return err
	})
}

// runJobs runs jobs on n goroutines, in order of the slice, and returns the
// first error; after an error no further job starts.
func runJobs(ctx context.Context, n int, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan func(context.Context) error)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for job := range next {
				if err := job(ctx); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, job := range jobs {
		select {
		case next <- job:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
