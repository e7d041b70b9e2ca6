package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
	"github.com/catalogue/catalogue/projections/postgres"
)

// DefaultReadModelSchema is the schema of the PostgreSQL read models when
// the connection string names none.
const DefaultReadModelSchema = "catalogue"

// ReadModel is the read-model store the service reads and its projector
// writes, with how to run that projector and how to let go of the store.
type ReadModel struct {
	Store projections.Store
	// Project runs the projector: at once for the in-memory store (one per
	// process); for PostgreSQL only while this process holds the read
	// model's projector lock, so that of several processes one projects
	// and the others stand by (postgres.Exclusive).
	Project func(ctx context.Context, run func(context.Context) error) error
	Close   func()
}

// OpenReadModel opens the read models readModel names: empty for memory
// (rebuilt from the log at start), or a postgres:// (postgresql://)
// connection string, pgx's, whose optional "schema" parameter names the
// schema (default DefaultReadModelSchema). The schema is migrated first,
// so a server that cannot be reached fails here, at start.
func OpenReadModel(ctx context.Context, readModel string) (*ReadModel, error) {
	if readModel == "" {
		return &ReadModel{Store: memory.New(), Close: func() {},
			Project: func(ctx context.Context, run func(context.Context) error) error { return run(ctx) }}, nil
	}
	conn, schema, err := splitSchema(readModel)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", redact(conn), err)
	}
	store, err := postgres.New(ctx, pool, schema)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("read model %s: %w", redact(conn), err)
	}
	return &ReadModel{Store: store, Close: pool.Close,
		Project: func(ctx context.Context, run func(context.Context) error) error {
			return standBy(ctx, func(ctx context.Context) error { return postgres.Exclusive(ctx, pool, schema, run) })
		}}, nil
}

// standBy runs project again, after a growing pause, whenever it fails in a
// way that may pass (the lock's session lost, the server restarting), so a
// process stands by until it can project again; it returns nil once ctx
// ends, and any other error at once.
func standBy(ctx context.Context, project func(context.Context) error) error {
	pause := time.Second
	for {
		err := project(ctx)
		switch {
		case ctx.Err() != nil:
			return nil // a clean stop
		case err == nil, !errors.Is(err, postgres.ErrLockLost) && !errors.Is(err, postgres.ErrRetry):
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// MigrateReadModel applies the PostgreSQL read models' migrations
// (catalogue migrate) and returns the schema migrated.
func MigrateReadModel(ctx context.Context, readModel string) (string, error) {
	conn, schema, err := splitSchema(readModel)
	if err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, conn)
	if err != nil {
		return "", fmt.Errorf("read model %s: %w", redact(conn), err)
	}
	defer pool.Close()
	return schema, postgres.Migrate(ctx, pool, schema)
}

// splitSchema takes the schema parameter out of a postgres:// connection
// string: pgx would send an unknown parameter to the server as a setting.
func splitSchema(readModel string) (conn, schema string, err error) {
	if !strings.HasPrefix(readModel, "postgres://") && !strings.HasPrefix(readModel, "postgresql://") {
		return "", "", fmt.Errorf("read model %q: want empty (in memory) or a postgres:// connection string", redact(readModel))
	}
	u, err := url.Parse(readModel)
	if err != nil {
		return "", "", fmt.Errorf("read model: not a URL: %w", err)
	}
	q := u.Query()
	schema = q.Get("schema")
	if schema == "" {
		schema = DefaultReadModelSchema
	}
	q.Del("schema")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

// redact hides a password in a connection string shown in an error.
func redact(conn string) string {
	u, err := url.Parse(conn)
	if err != nil {
		return "(unparsable connection string)"
	}
	return u.Redacted()
}
