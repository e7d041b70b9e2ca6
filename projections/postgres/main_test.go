package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/projections/postgres"
)

var ctx = context.Background()

// pool is the test binary's one pool, or nil with the reason in poolErr.
var (
	pool    *pgxpool.Pool
	poolErr error
)

// defaultURL is the local server the README's test command expects.
const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func TestMain(m *testing.M) {
	url := os.Getenv("CATALOGUE_TEST_POSTGRES")
	if url == "" {
		url = defaultURL
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	pool, poolErr = pgxpool.New(c, url)
	if poolErr == nil {
		if poolErr = pool.Ping(c); poolErr != nil {
			pool.Close()
			pool = nil
		}
	}
	cancel()
	code := m.Run()
	if pool != nil {
		pool.Close()
	}
	os.Exit(code)
}

// needPostgres returns the pool. Without a server a test fails in CI
// (CI=true), where a skipped database test would hide a broken read side,
// and is skipped elsewhere with the reason.
func needPostgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if pool == nil {
		msg := fmt.Sprintf("PostgreSQL not reachable (set CATALOGUE_TEST_POSTGRES, default %s): %v", defaultURL, poolErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pool
}

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
