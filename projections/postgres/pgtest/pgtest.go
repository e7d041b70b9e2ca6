// Package pgtest is what tests of the PostgreSQL read models share, in
// whichever package they live (the store's own tests, the binary's fault
// tests): the test server, the clean-up of a read model's generations, and
// the exact comparison of two generations — structure and rows.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultURL is the local server the README's test command expects.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL is the test server: CATALOGUE_TEST_POSTGRES, or DefaultURL.
func URL() string {
	if u := os.Getenv("CATALOGUE_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

var shared = sync.OnceValues(func() (*pgxpool.Pool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, URL())
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
			pool = nil
		}
	}
	return pool, err
})

// Connect returns the test binary's one pool on the test server, or why
// there is none.
func Connect() (*pgxpool.Pool, error) { return shared() }

// Pool returns the test binary's one pool on the test server (it lives as
// long as the binary). Without a server the test fails in CI (CI=true),
// where a skipped database test would hide a broken read side, and is
// skipped elsewhere with the reason.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := shared()
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable (set CATALOGUE_TEST_POSTGRES, default %s): %v", DefaultURL, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pool
}

// DropReadModel drops read model name: the schema of that name, every
// later generation (<name>_gN) and its entry in the registry, if any.
func DropReadModel(ctx context.Context, pool *pgxpool.Pool, name string) error {
	rows, err := pool.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $1 || '\_g%'`, name)
	if err != nil {
		return err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range schemas {
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
			return err
		}
	}
	_, err = pool.Exec(ctx, `DO $$ BEGIN
		IF to_regclass('catalogue_meta.read_models') IS NOT NULL THEN
			DELETE FROM catalogue_meta.read_models WHERE name = `+quoteLiteral(name)+`;
		END IF; END $$`)
	return err
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// column runs a query of one text column with the schema as $1 and
// returns its rows in order.
func column(t testing.TB, pool *pgxpool.Pool, query, schema string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), query+" ORDER BY 1", schema)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// RequireSameStructure fails the test unless what the catalogs say of
// schemas a and b is the same: relations (tables, indexes) with their
// kind, persistence and columns, index definitions (without the schema's
// name), index flags, constraints, column types and functions.
func RequireSameStructure(t testing.TB, pool *pgxpool.Pool, a, b string) {
	t.Helper()
	for _, q := range []string{
		`SELECT concat_ws(' ', c.relname, c.relkind, c.relpersistence, c.relnatts, c.relchecks, c.relhasindex, c.relhastriggers,
			c.relispartition, c.reloptions::text, am.amname)
			FROM pg_class c LEFT JOIN pg_am am ON am.oid = c.relam WHERE c.relnamespace = $1::text::regnamespace`,
		`SELECT concat_ws(' ', tablename, indexname, replace(indexdef, quote_ident($1::text) || '.', 'S.'), tablespace)
			FROM pg_indexes WHERE schemaname = $1`,
		`SELECT concat_ws(' ', c.relname, i.indisunique, i.indisprimary, i.indimmediate, i.indisvalid, i.indisready, i.indislive)
			FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = $1::text::regnamespace`,
		`SELECT concat_ws(' ', conname, contype, pg_get_constraintdef(oid)) FROM pg_constraint WHERE connamespace = $1::text::regnamespace`,
		`SELECT concat_ws(' ', table_name, ordinal_position, column_name, data_type, udt_name, collation_name, is_nullable, column_default)
			FROM information_schema.columns WHERE table_schema = $1`,
		`SELECT concat_ws(' ', proname, md5(prosrc)) FROM pg_proc WHERE pronamespace = $1::text::regnamespace`,
	} {
		want, got := column(t, pool, q, a), column(t, pool, q, b)
		if len(want) == 0 {
			t.Fatalf("schema %s: nothing for %s", a, q)
		}
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Fatalf("schemas %s and %s differ:\n%s\n%s:\n  %s\n%s:\n  %s", a, b, q, a, strings.Join(want, "\n  "), b, strings.Join(got, "\n  "))
		}
	}
}

// RequireSameRows fails the test unless every table of the read models in
// schemas a and b (schema_migrations aside: it records when) holds the
// same rows, as many times each — EXCEPT ALL both ways — showing a few
// rows of any difference. It returns each table's row count.
func RequireSameRows(t testing.TB, pool *pgxpool.Pool, a, b string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	tables := column(t, pool, `SELECT relname::text FROM pg_class WHERE relnamespace = $1::text::regnamespace AND relkind = 'r'
		AND relname <> 'schema_migrations'`, a)
	if len(tables) == 0 {
		t.Fatalf("schema %s has no tables", a)
	}
	counts := map[string]int64{}
	for _, table := range tables {
		ta, tb := pgx.Identifier{a, table}.Sanitize(), pgx.Identifier{b, table}.Sanitize()
		onlyA, onlyB := fmt.Sprintf("TABLE %s EXCEPT ALL TABLE %s", ta, tb), fmt.Sprintf("TABLE %s EXCEPT ALL TABLE %s", tb, ta)
		var na, nb, nOnlyA, nOnlyB int64
		if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s),
			(SELECT count(*) FROM (%s) x), (SELECT count(*) FROM (%s) x)`, ta, tb, onlyA, onlyB)).Scan(&na, &nb, &nOnlyA, &nOnlyB); err != nil {
			t.Fatalf("compare %s: %v", table, err)
		}
		if na != nb || nOnlyA != 0 || nOnlyB != 0 {
			t.Errorf("table %s: %d rows in %s, %d in %s; %d only in the first, %d only in the second\nonly in %s:\n  %s\nonly in %s:\n  %s",
				table, na, a, nb, b, nOnlyA, nOnlyB, a, sample(pool, onlyA), b, sample(pool, onlyB))
		}
		counts[table] = na
	}
	return counts
}

// sample shows a few rows of a difference, to see what went wrong.
func sample(pool *pgxpool.Pool, query string) string {
	rows, err := pool.Query(context.Background(), "SELECT row_to_json(d)::text FROM ("+query+") d LIMIT 3")
	if err != nil {
		return err.Error()
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err.Error()
	}
	return strings.Join(out, "\n  ")
}
