package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
	"github.com/catalogue/catalogue/projections/postgres"
)

// DefaultPoolSize is the most connections a process opens to the read
// models' database unless the connection string sets pool_max_conns.
const DefaultPoolSize = 16

// DefaultReadModelSchema is the schema of the PostgreSQL read models when
// the connection string names none.
const DefaultReadModelSchema = "catalogue"

// Role says what a serving process does: all of it, only answer the API
// from read models another process keeps, or only keep them.
type Role string

const (
	RoleAll       Role = "all"       // serve the API and project (when holding the lock)
	RoleAPI       Role = "api"       // serve the API; never write the read models
	RoleProjector Role = "projector" // project only; HTTP serves /healthz alone
)

// ParseRole checks a --role value.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAll, RoleAPI, RoleProjector:
		return r, nil
	case "":
		return RoleAll, nil
	}
	return "", fmt.Errorf("role %q: want all, api or projector", s)
}

// Reader is what the service reads: the views and how far they reach.
type Reader interface {
	projections.Reader
	Checkpoint(ctx context.Context) (eventstore.Position, error)
}

// ReadModel is the read models a process serves, whichever store keeps
// them: how to read them, how far they are (Feed, which also gives
// read-your-writes) and how to keep them up to date.
type ReadModel struct {
	Read Reader
	Feed graph.Feed
	// CatchUp brings the read models up to the log's end before the
	// service answers: the in-memory store rebuilds in this process; a
	// PostgreSQL read model waits until its checkpoint — written by
	// whichever process projects — reaches the position the log had.
	CatchUp func(ctx context.Context, progress io.Writer) error
	// Project keeps the read models up to date until ctx ends: at once for
	// memory; for PostgreSQL while this process holds the read model's
	// projector lock, standing by otherwise (postgres.Live.Project).
	Project func(ctx context.Context) error
	// Projecting reports whether this process writes the read models now.
	Projecting func() bool
	// Err reports why the read models cannot be reached now, or nil.
	Err   func() error
	Close func()
	// Live is the PostgreSQL read models as this process follows them; nil
	// for the in-memory ones, which only this process reads and writes.
	Live *postgres.Live
}

// OpenReadModel opens the read models readModel names, fed from events:
// empty for memory (rebuilt from the log at start), or a postgres://
// (postgresql://) connection string, pgx's, whose optional "schema"
// parameter names the read model (default DefaultReadModelSchema; its
// active generation, after rebuilds, is a schema of that name or
// <name>_gN). With migrate the schema is migrated first; without, it must
// be migrated already. A server that cannot be reached, or read models
// built from another log (postgres.VerifyLog), fail here, at start.
func OpenReadModel(ctx context.Context, readModel string, events eventstore.Store, migrate bool, opts ...projections.Option) (*ReadModel, error) {
	if readModel == "" {
		store := memory.New()
		p := projections.New(events, store, opts...)
		return &ReadModel{Read: store, Feed: p, Project: p.Run, Projecting: func() bool { return true },
			CatchUp: func(ctx context.Context, _ io.Writer) error { return p.CatchUp(ctx) },
			Err:     func() error { return nil }, Close: func() {}}, nil
	}
	pool, name, err := openPool(ctx, readModel)
	if err != nil {
		return nil, err
	}
	live, err := postgres.OpenLive(ctx, pool, name, migrate)
	if err == nil {
		if err = live.Store().VerifyLog(ctx, events); err != nil {
			live.Close()
		}
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("read model %s: %w", redact(readModel), err)
	}
	return &ReadModel{Read: live, Feed: live, Projecting: live.Projecting, Err: live.Err, Live: live,
		Project: func(ctx context.Context) error { return live.Project(ctx, events, opts...) },
		CatchUp: func(ctx context.Context, progress io.Writer) error {
			last, err := events.LastPosition(ctx)
			if err != nil {
				return err
			}
			return waitShowing(ctx, live, last, progress)
		},
		Close: func() { live.Close(); pool.Close() }}, nil
}

// waitShowing waits until live reaches position last, telling progress
// every few seconds how far it is.
func waitShowing(ctx context.Context, live *postgres.Live, last eventstore.Position, progress io.Writer) error {
	for {
		wait, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := live.WaitFor(wait, last)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return err // reached, stopped, or closed
		}
		fmt.Fprintf(progress, "waiting for the read models (%s) to reach position %d: at %d\n", live.Store().Schema(), last, live.Position())
	}
}

// openPool opens a pool on the database of a postgres:// read model and
// returns the read model's name.
func openPool(ctx context.Context, readModel string) (*pgxpool.Pool, string, error) {
	conn, name, err := splitSchema(readModel)
	if err != nil {
		return nil, "", err
	}
	cfg, err := pgxpool.ParseConfig(conn)
	if err != nil {
		return nil, "", fmt.Errorf("read model %s: %w", redact(conn), err)
	}
	// pgxpool's default (4 on a 2-core machine) is too few for a serving
	// process: the projector's lock and its batch hold two connections
	// for long stretches. pool_max_conns in the connection string wins.
	if !strings.Contains(conn, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, DefaultPoolSize)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("read model %s: %w", redact(conn), err)
	}
	return pool, name, nil
}

// MigrateReadModel applies the PostgreSQL read models' migrations to the
// active generation (catalogue migrate) and returns the schema migrated.
func MigrateReadModel(ctx context.Context, readModel string) (string, error) {
	pool, name, err := openPool(ctx, readModel)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	return postgres.MigrateReadModel(ctx, pool, name)
}

// RebuildReadModel builds a new generation of a PostgreSQL read model from
// the log while the active one keeps serving, and switches to it
// (catalogue rebuild; see postgres.Rebuild).
func RebuildReadModel(ctx context.Context, readModel string, events eventstore.Store, opt postgres.RebuildOptions) (postgres.RebuildResult, error) {
	if readModel == "" {
		return postgres.RebuildResult{}, errors.New("rebuild: the in-memory read models are rebuilt at every start; give a postgres:// read model")
	}
	pool, name, err := openPool(ctx, readModel)
	if err != nil {
		return postgres.RebuildResult{}, err
	}
	defer pool.Close()
	return postgres.Rebuild(ctx, pool, name, events, opt)
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
