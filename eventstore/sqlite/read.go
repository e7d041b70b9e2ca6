package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

// eventColumns is the column list every read scans with an eventScanner.
// stream and type are TEXT read as BLOBs, the same bytes: the driver hands
// a BLOB over as it is, while for every TEXT value it looks up the
// column's declared type and copies the text twice, which made reading a
// row a fifth slower.
const eventColumns = `position, CAST(stream AS BLOB), revision, id, CAST(type AS BLOB), data, metadata, recorded_at`

// subscribePage is how many events Subscribe reads per query while it
// catches up.
const subscribePage = 512

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	evs, err := s.query(ctx, nil, s.readStream, stream, int64(from))
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
	return s.readPage(ctx, make([]eventstore.RecordedEvent, 0, min(limit, subscribePage)), from, limit)
}

// readPage appends to page up to limit events of the feed after from.
func (s *Store) readPage(ctx context.Context, page []eventstore.RecordedEvent, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	page, err := s.query(ctx, page, s.readAll, int64(from), limit)
	if err != nil {
		return nil, s.readErr(ctx, fmt.Errorf("sqlite: read all from %d: %w", from, err))
	}
	return page, nil
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
	// Follow reuses one page buffer for the whole subscription: a rebuild
	// reads thousands of pages, and the handler gets each event by value.
	return eventstore.Follow(ctx, from, subscribePage, func(ctx context.Context, buf []eventstore.RecordedEvent, pos eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}, error) {
		// Taken before reading, so a commit after the read closes this
		// channel and is not missed.
		changed := s.changedChan()
		if err := s.readable(ctx); err != nil {
			return nil, nil, err
		}
		page, err := s.readPage(ctx, buf, pos, subscribePage)
		return page, changed, err
	}, s.closing, handle, caughtUp)
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

// query runs a read statement and appends the events it reads to out.
func (s *Store) query(ctx context.Context, out []eventstore.RecordedEvent, stmt *sql.Stmt, args ...any) ([]eventstore.RecordedEvent, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sc eventScanner
	for rows.Next() {
		e, err := sc.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// eventScanner scans rows of eventColumns into events. Reading is the
// narrow stage of a rebuild (one goroutine reads while the others decode),
// so it copies as little as it can: the driver hands each value over in a
// buffer of its own, which the scanner reads in place (sql.RawBytes)
// instead of having database/sql clone it, and an event's data and
// metadata then share one allocation.
type eventScanner struct {
	pos, rev, at                int64
	stream, id, typ, data, meta sql.RawBytes
}

func (sc *eventScanner) scan(rows *sql.Rows) (eventstore.RecordedEvent, error) {
	if err := rows.Scan(&sc.pos, &sc.stream, &sc.rev, &sc.id, &sc.typ, &sc.data, &sc.meta, &sc.at); err != nil {
		return eventstore.RecordedEvent{}, fmt.Errorf("scan event: %w", err)
	}
	e := eventstore.RecordedEvent{
		Position: eventstore.Position(sc.pos), Revision: uint64(sc.rev),
		Stream: string(sc.stream), Type: string(sc.typ),
		RecordedAt: time.Unix(0, sc.at).UTC(),
	}
	var err error
	if e.ID, err = uuid.FromBytes(sc.id); err != nil {
		return e, fmt.Errorf("event at position %d: bad id: %w", e.Position, err)
	}
	// Each slice's capacity ends at its length, so appending to one never
	// writes into the other. An empty value stays nil, as database/sql
	// scans it.
	buf := make([]byte, len(sc.data)+len(sc.meta))
	n := copy(buf, sc.data)
	copy(buf[n:], sc.meta)
	if len(sc.data) > 0 {
		e.Data = buf[:n:n]
	}
	if len(sc.meta) > 0 {
		e.Metadata = buf[n:]
	}
	return e, nil
}
