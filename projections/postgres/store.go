// Package postgres keeps the catalogue's read models in PostgreSQL (pgx v5):
// the production read side, shared by every API process that reads the
// same database, and written by one projector.
//
// The tables are designed for the two time axes of every query. Each fact
// is stored with the log position that recorded it, and an item's
// particulars are stored as bitemporal versions (valid from–to by effective
// date, recorded–superseded by position), so "in force on D as recorded at
// P" is an indexed lookup, never a replay. Nothing is ever deleted or
// rewritten below the checkpoint: a row visible at a position stays as it
// was, which lets a query read the checkpoint once and then run several
// statements at READ COMMITTED without seeing a later batch.
//
// Apply writes a batch (COPY for new rows, one pgx.Batch for updates) and
// the checkpoint in one transaction. The meaning of the facts — item and
// delegation statuses, how amendments fold — comes from the shared rules
// of package projections; the two status rules also exist as SQL functions
// for filters that must run in the database, and a test holds them equal.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// DB is what the store needs of a connection: satisfied by *pgxpool.Pool
// (the program's one pool, built in cmd) and by pgx.Tx.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// Store is a read-model store in one schema of a PostgreSQL database. A
// schema is one generation of the read models: tests give each test its
// own, and a rebuild can fill a new one while the old one serves.
//
// A Store is safe for concurrent use, and any number of processes may
// read one schema; writers serialise on the checkpoint row (see Apply), and
// Exclusive keeps all but one of them standing by.
type Store struct {
	db     DB
	schema string
	quoted string // the schema as a quoted identifier

	views     projections.Views // of this schema
	liveViews projections.Views // of this schema, for the Live that follows it (if any)
}

var _ projections.Store = (*Store)(nil)

// New returns the store kept in schema (see Migrate for the names
// accepted), migrating the schema first so that the tables it reads exist.
func New(ctx context.Context, db DB, schema string) (*Store, error) {
	if err := Migrate(ctx, db, schema); err != nil {
		return nil, err
	}
	return newStore(db, schema), nil
}

// quoteIdent quotes a name (a schema, a channel) for a statement.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// Schema returns the schema the store reads and writes.
func (s *Store) Schema() string { return s.schema }

// sql qualifies the tables and functions of a statement, written with the
// prefix "{s}.", with the store's schema. The program's pool is shared by
// every generation, so statements never rely on a search_path.
func (s *Store) sql(q string) string { return strings.ReplaceAll(q, "{s}.", s.quoted+".") }

// Checkpoint implements projections.Store.
func (s *Store) Checkpoint(ctx context.Context) (eventstore.Position, error) {
	var pos int64
	if err := s.db.QueryRow(ctx, s.sql("SELECT position FROM {s}.checkpoint")).Scan(&pos); err != nil {
		return 0, s.fail("checkpoint", err)
	}
	return eventstore.Position(pos), nil
}

// readAt returns the position a query reads: asOf bounded by the
// checkpoint (projections.ReadAt). Every row a query then reads is filtered
// by that position, so later batches committed while it runs change nothing.
func (s *Store) readAt(ctx context.Context, asOf eventstore.Position) (eventstore.Position, error) {
	cp, err := s.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	return projections.ReadAt(asOf, cp), nil
}

// PostgreSQL error codes the store tells apart (see translate).
const (
	codeInvalidSchemaName = "3F000"
	codeUndefinedTable    = "42P01"
	codeUndefinedFunction = "42883"
	codeUniqueViolation   = "23505"
	codeSerialization     = "40001"
	codeDeadlock          = "40P01"
	codeQueryCanceled     = "57014"
	codeAdminShutdown     = "57P01"
	codeCrashShutdown     = "57P02"
	codeCannotConnectNow  = "57P03" // the server is starting or stopping
)

// ErrNotMigrated is wrapped by the errors of a store whose schema lacks its
// tables: the schema was dropped or never migrated (catalogue migrate).
var ErrNotMigrated = errors.New("read-model schema not migrated")

// ErrRetry is wrapped by errors after which the same call may succeed if
// made again: a serialization failure, a deadlock, a server going down.
var ErrRetry = errors.New("transient database error; retry")

// translate is the one place where the driver's errors become the store's:
// PostgreSQL error codes are matched here and nowhere else. Errors it does
// not know are returned as they are (internal errors).
func translate(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		if connectionLost(err) {
			return fmt.Errorf("%w: %w", ErrRetry, err)
		}
		return err
	}
	if strings.HasPrefix(pgErr.Code, "08") { // connection exception
		return fmt.Errorf("%w: %w", ErrRetry, err)
	}
	switch pgErr.Code {
	case codeInvalidSchemaName, codeUndefinedTable, codeUndefinedFunction:
		return fmt.Errorf("%w: %w", ErrNotMigrated, err)
	case codeSerialization, codeDeadlock, codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow:
		return fmt.Errorf("%w: %w", ErrRetry, err)
	case codeUniqueViolation:
		return fmt.Errorf("a row written twice (is a second projector writing this schema without the lock?): %w", err)
	case codeQueryCanceled:
		return fmt.Errorf("query canceled: %w", err)
	}
	return err
}

// connectionLost tells the errors of a server that cannot be reached or a
// connection that broke — a restart, a network failure — which pass by
// themselves, from every other error the driver returns.
func connectionLost(err error) bool {
	var connect *pgconn.ConnectError
	var netErr net.Error
	// A refused or reset connection arrives as a *net.OpError, a net.Error.
	return errors.As(err, &connect) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		pgconn.SafeToRetry(err)
}

// fail wraps a database error of operation op, naming the schema.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var rule *domain.Error
	if errors.As(err, &rule) {
		return err // a rule error made by the store itself
	}
	return fmt.Errorf("postgres %s (schema %s): %w", op, s.schema, translate(err))
}

// pos converts a position for the database: bigint is signed.
func pos(p eventstore.Position) int64 {
	if p > math.MaxInt64 {
		return math.MaxInt64 // only as a bound; Apply refuses such events
	}
	return int64(p)
}

// pgDate converts a date: the zero date (not set) is NULL.
func pgDate(d domain.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

// fromPGDate converts back; NULL is the zero date.
func fromPGDate(d pgtype.Date) domain.Date {
	if !d.Valid {
		return domain.Date{}
	}
	return domain.DateOf(d.Time)
}

// nanos and fromNanos carry a recorded time exactly: timestamptz would
// keep only microseconds. A bound outside the years 1678–2262 (which
// UnixNano cannot hold) is clamped, so it still compares right.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var minTime, maxTime = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
