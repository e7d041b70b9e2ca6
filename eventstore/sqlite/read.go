package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

// eventColumns is the column list every read scans with scanEvent.
const eventColumns = `position, stream, revision, id, type, data, metadata, recorded_at`

// subscribePage is how many events Subscribe reads per query while it
// catches up.
const subscribePage = 512

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	evs, err := s.query(ctx, 0, s.readStream, stream, int64(from))
	if err != nil {
		return nil, s.readErr(ctx, fmt.Errorf("sqlite: read stream %s from %d: %w", stream, from, err))
	}
	return evs, nil
}

// ReadAll implements eventstore.Store. Every page is one read transaction
// on a WAL snapshot, and the single writer commits positions in order, so
// a page never skips an event that a later page would reveal.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: read all: limit %d must be positive", limit)
	}
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	evs, err := s.query(ctx, min(limit, subscribePage), s.readAll, int64(from), limit)
	if err != nil {
		return nil, s.readErr(ctx, fmt.Errorf("sqlite: read all from %d: %w", from, err))
	}
	return evs, nil
}

// LastPosition implements eventstore.Store.
func (s *Store) LastPosition(ctx context.Context) (eventstore.Position, error) {
	if err := s.readable(ctx); err != nil {
		return 0, err
	}
	var p eventstore.Position
	if err := s.lastPos.QueryRowContext(ctx).Scan(&p); err != nil {
		return 0, s.readErr(ctx, fmt.Errorf("sqlite: last position: %w", err))
	}
	return p, nil
}

// Subscribe implements eventstore.Store: it reads the backlog in pages and
// then waits for the writer's notification after each commit; it never
// polls. The handler runs on the caller's goroutine with no lock or
// connection held, so it may call the store.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position, handle func(eventstore.RecordedEvent) error, caughtUp func()) error {
	pos := from
	for {
		// Taken before reading, so a commit after the read closes this
		// channel and is not missed.
		changed := s.changedChan()
		page, err := s.ReadAll(ctx, pos, subscribePage)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := handle(e); err != nil {
				return err
			}
			pos = e.Position
		}
		if len(page) == subscribePage {
			continue
		}
		if caughtUp != nil {
			caughtUp()
			caughtUp = nil
		}
		select {
		case <-changed:
		case <-s.closing:
			return eventstore.ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readable answers a call that must not start: a done context or a closed
// store.
func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	return nil
}

// readErr makes errors caused by Close or by the caller's context
// recognisable as such, whatever the driver reported.
func (s *Store) readErr(ctx context.Context, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("%w: %w", eventstore.ErrClosed, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// query runs a read statement; size is a capacity hint for the result.
func (s *Store) query(ctx context.Context, size int, stmt *sql.Stmt, args ...any) ([]eventstore.RecordedEvent, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]eventstore.RecordedEvent, 0, size)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanEvent(rows *sql.Rows) (eventstore.RecordedEvent, error) {
	var (
		e            eventstore.RecordedEvent
		id           []byte
		pos, rev, at int64
	)
	if err := rows.Scan(&pos, &e.Stream, &rev, &id, &e.Type, &e.Data, &e.Metadata, &at); err != nil {
		return e, fmt.Errorf("scan event: %w", err)
	}
	e.Position, e.Revision = eventstore.Position(pos), uint64(rev)
	var err error
	if e.ID, err = uuid.FromBytes(id); err != nil {
		return e, fmt.Errorf("event at position %d: bad id: %w", e.Position, err)
	}
	e.RecordedAt = time.Unix(0, at).UTC()
	return e, nil
}
