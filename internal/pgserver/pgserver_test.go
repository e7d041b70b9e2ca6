package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/internal/pgserver"
)

// TestServer checks what the fault tests rely on: the server answers at
// URL, a stopped server refuses connections on the same port, and what was
// committed survives both a clean restart and a crash (Kill), after which
// the server answers at the same URL again.
func TestServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs initdb and a PostgreSQL server")
	}
	t.Parallel()
	srv := pgserver.New(t)
	ctx := context.Background()

	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, srv.URL())
		if err != nil {
			t.Fatalf("connect to %s: %v", srv.URL(), err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, srv.URL())
		if err != nil {
			t.Fatalf("connect to %s: %v", srv.URL(), err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	exec("CREATE TABLE kept (n int)")
	exec("INSERT INTO kept VALUES (1)")

	// A session open across a restart is terminated, as in production.
	held, err := pgx.Connect(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)

	srv.Stop()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	if conn, err := pgx.Connect(short, srv.URL()); err == nil {
		conn.Close(ctx)
		t.Fatal("a stopped server accepted a connection")
	}
	cancel()
	if err := held.Ping(ctx); err == nil {
		t.Fatal("a session survived the server's stop")
	}
	srv.Start()
	if n := count(); n != 1 {
		t.Fatalf("after a restart the table holds %d rows, want 1", n)
	}

	exec("INSERT INTO kept VALUES (2)")
	srv.Kill()
	srv.Start()
	if n := count(); n != 2 {
		t.Fatalf("after a crash the table holds %d rows, want 2", n)
	}

	port := srv.Port()
	srv.Restart()
	if srv.Port() != port {
		t.Fatalf("the port changed across a restart: %d, then %d", port, srv.Port())
	}
	if n := count(); n != 2 {
		t.Fatalf("after Restart the table holds %d rows, want 2", n)
	}
}
