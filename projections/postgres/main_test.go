package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/projections/postgres"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

var ctx = context.Background()

// pool is the test binary's one pool on the test server (pgtest), or nil:
// tests that use it call needPostgres first.
var pool, _ = pgtest.Connect()

// needPostgres returns the pool, failing the test in CI and skipping it
// elsewhere when there is no server (pgtest.Pool).
func needPostgres(t testing.TB) *pgxpool.Pool { return pgtest.Pool(t) }

var schemas atomic.Int64

// newSchema returns a fresh schema name for one test, dropped when the test
// ends: tests never share mutable state, and may run in parallel.
func newSchema(t testing.TB) string {
	p := needPostgres(t)
	name := fmt.Sprintf("test_%d_%d_%s", os.Getpid(), schemas.Add(1), sanitize(t.Name()))
	if len(name) > 63 {
		name = name[:63]
	}
	t.Cleanup(func() {
		if _, err := p.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// newStore returns a migrated, empty store in a schema of its own.
func newStore(t testing.TB) *postgres.Store {
	s, err := postgres.New(ctx, needPostgres(t), newSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
