package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/catalogue/catalogue/eventstore"
)

// maxBatch caps how many appends share one transaction, so one commit
// stays short and its callers are answered soon.
const maxBatch = 256

// appendReq is one Append waiting for the writer.
type appendReq struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	done     chan appendResp // buffered: the writer never waits for a caller
	// state settles the race between a caller giving up and the writer
	// starting the append: whoever moves it from reqQueued wins.
	state atomic.Int32
}

const (
	reqQueued    int32 = iota
	reqStarted         // the writer is writing it: the caller waits for the outcome
	reqWithdrawn       // the caller gave up first: the writer skips it
)

type appendResp struct {
	res eventstore.AppendResult
	err error
}

// Append implements eventstore.Store. Appends from all goroutines are
// handed to one writer, which commits those that arrive together in one
// transaction with one fsync; each is checked and answered on its own.
//
// Context: if ctx is done before the writer starts writing the append,
// Append returns ctx's error at once and nothing is, or will be, written.
// Once the writer has started it, the outcome is decided by the shared
// transaction, which no caller's context may interrupt; Append then waits
// for that commit (one transaction, typically one fsync) and reports what
// really happened: nil means durable even though ctx was cancelled
// meanwhile, an error means nothing was written. A caller never has to
// guess whether a cancelled append landed.
//
// The one unknown outcome is a COMMIT that fails with an I/O error: as
// with any database, its WAL frames may or may not have reached the disk.
// Retrying with the same event ids is safe either way: a landed append is
// recognised and answered with its original result.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == "" {
		return eventstore.AppendResult{}, errors.New("sqlite: append: empty stream name")
	}
	if len(events) == 0 {
		return eventstore.AppendResult{}, fmt.Errorf("sqlite: append to %s: no events", stream)
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.closed.Load() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	if s.w == nil {
		return eventstore.AppendResult{}, ErrReadOnly
	}
	if err := s.damage.Load(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("%w: %w", eventstore.ErrWriteRefused, *err)
	}
	req := &appendReq{ctx: ctx, stream: stream, expected: expected, events: events, done: make(chan appendResp, 1)}
	select {
	case s.reqs <- req:
	case <-s.closing:
		return eventstore.AppendResult{}, eventstore.ErrClosed
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	}
	select {
	case resp := <-req.done:
		return resp.res, resp.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqQueued, reqWithdrawn) {
			return eventstore.AppendResult{}, ctx.Err()
		}
		resp := <-req.done
		return resp.res, resp.err
	}
}

// writer owns the write connection. Only its goroutine touches its fields
// after Open.
type writer struct {
	conn                             *sql.Conn
	insert, findID, version, idsFrom *sql.Stmt
	lastPos                          eventstore.Position // committed
	lastID                           uuid.UUID           // the id of the event at lastPos
	head                             *headFile           // where each commit records lastPos and lastID; nil until Open has checked the log
	// failure is the last error of a transaction that failed through no
	// fault of its callers (an I/O error, a full disk), nil once one
	// commits again: what WriteErr reports.
	failure  atomic.Pointer[error]
	versions map[string]uint64 // committed stream versions, loaded lazily
	batch    []*appendReq
	// stats counts committed transactions and the appends they carried,
	// so tests and benchmarks can see the group commit at work. Read it
	// only once the writer has stopped.
	stats struct{ txs, appends uint64 }
}

func newWriter(db *sql.DB) (*writer, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	w := &writer{conn: conn, versions: make(map[string]uint64)}
	prepare := func(name, query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		if st, err = conn.PrepareContext(ctx, query); err != nil {
			err = fmt.Errorf("prepare %s: %w", name, err)
		}
		return st
	}
	w.insert = prepare("insert", `INSERT INTO events (position, stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	w.findID = prepare("find id", `SELECT stream, revision FROM events WHERE id = ?`)
	w.version = prepare("version", `SELECT COALESCE(MAX(revision) + 1, 0) FROM events WHERE stream = ?`)
	w.idsFrom = prepare("ids", `SELECT id, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`)
	if err == nil {
		err = w.loadLast(ctx)
	}
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// loadLast reads the last position and its event's id.
func (w *writer) loadLast(ctx context.Context) error {
	var id []byte
	err := w.conn.QueryRowContext(ctx, `SELECT position, id FROM events ORDER BY position DESC LIMIT 1`).Scan(&w.lastPos, &id)
	if errors.Is(err, sql.ErrNoRows) {
		w.lastPos, w.lastID = 0, uuid.UUID{}
		return nil
	}
	if err != nil {
		return err
	}
	w.lastID, err = uuid.FromBytes(id)
	return err
}

func (w *writer) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.insert, w.findID, w.version, w.idsFrom} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, w.conn.Close())...)
}

// run takes appends until closing is closed. Because reqs is unbuffered,
// an append is either taken here (and answered) or sees closing: none is
// left behind. The appends waiting while one transaction commits form the
// next batch, which is what makes the group commit: the busier the store,
// the more appends share an fsync.
func (w *writer) run(reqs <-chan *appendReq, closing <-chan struct{}, done chan<- struct{}, notify func()) {
	defer close(done)
	for {
		select {
		case r := <-reqs:
			w.batch = append(w.batch[:0], r)
		case <-closing:
			return
		}
	gather:
		for len(w.batch) < maxBatch {
			select {
			case r := <-reqs:
				w.batch = append(w.batch, r)
			default:
				break gather
			}
		}
		if w.commit(w.batch) {
			notify()
		}
		clear(w.batch) // drop references to answered requests
	}
}

// batchState is what one transaction has written so far.
type batchState struct {
	pos      eventstore.Position
	lastID   uuid.UUID         // the id of the event at pos
	versions map[string]uint64 // stream versions as written in this transaction
	appends  uint64            // appends written
}

// commit runs batch in one transaction and answers every request. It
// reports whether events were committed.
func (w *writer) commit(batch []*appendReq) bool {
	ctx := context.Background() // the transaction is shared: no caller's ctx may cancel it
	resps := make([]appendResp, len(batch))
	answer := func() {
		for i, r := range batch {
			r.done <- resps[i]
		}
	}
	failAll := func(err error) {
		w.failure.Store(&err)
		for i := range resps {
			resps[i] = appendResp{err: err}
		}
		answer()
	}

	if _, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		failAll(fmt.Errorf("sqlite: append: begin: %w", err))
		return false
	}
	st := batchState{pos: w.lastPos, versions: make(map[string]uint64)}
	for i, r := range batch {
		if !r.state.CompareAndSwap(reqQueued, reqStarted) {
			resps[i].err = r.ctx.Err() // withdrawn: nobody reads this
			continue
		}
		if err := r.ctx.Err(); err != nil {
			resps[i].err = err // done before it started: nothing written
			continue
		}
		resps[i].res, resps[i].err = w.apply(ctx, &st, r)
		if broken := (txBroken{}); errors.As(resps[i].err, &broken) {
			_, _ = w.conn.ExecContext(ctx, `ROLLBACK`) // may fail if SQLite already rolled back
			failAll(fmt.Errorf("sqlite: append: batch rolled back: %w", broken.error))
			w.forget()
			return false
		}
	}

	if st.pos == w.lastPos { // nothing written: conflicts, retries, cancellations
		if _, err := w.conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			failAll(fmt.Errorf("sqlite: append: rollback: %w", err))
			w.forget()
			return false
		}
		answer()
		return false
	}
	if _, err := w.conn.ExecContext(ctx, `COMMIT`); err != nil {
		// Every answer built on this transaction is void. The callers get
		// the error; whether the commit reached the disk is unknown (see
		// Append) and a retry with the same ids settles it.
		_, _ = w.conn.ExecContext(ctx, `ROLLBACK`)
		failAll(fmt.Errorf("sqlite: append: commit: %w", err))
		w.forget()
		return false
	}
	w.lastPos, w.lastID = st.pos, st.lastID
	w.failure.Store(nil)
	if w.head != nil {
		w.head.record(head{pos: w.lastPos, id: w.lastID})
	}
	w.stats.txs++
	w.stats.appends += st.appends
	for stream, v := range st.versions {
		w.versions[stream] = v
	}
	answer()
	return true
}

// forget drops the caches after a failed transaction; they are reloaded
// from the database on demand.
func (w *writer) forget() {
	w.versions = make(map[string]uint64)
	// On failure keep the old values: were they stale, the next INSERT
	// would fail on the primary key rather than write a wrong position.
	pos, id := w.lastPos, w.lastID
	if err := w.loadLast(context.Background()); err != nil {
		w.lastPos, w.lastID = pos, id
	}
}

// streamVersion returns the stream's version as seen by this transaction.
func (w *writer) streamVersion(ctx context.Context, st *batchState, stream string) (uint64, error) {
	if v, ok := st.versions[stream]; ok {
		return v, nil
	}
	if v, ok := w.versions[stream]; ok {
		return v, nil
	}
	var v uint64
	if err := w.version.QueryRowContext(ctx, stream).Scan(&v); err != nil {
		return 0, fmt.Errorf("load version of %s: %w", stream, err)
	}
	// Not yet written by this transaction, so this is the committed value.
	w.versions[stream] = v
	return v, nil
}

// txBroken marks a database error other than a constraint violation. After
// one the transaction's state is unknown (SQLite rolls a transaction back
// by itself after some I/O errors, and later statements would then run
// outside it), so the whole batch is rolled back and failed.
type txBroken struct{ error }

func (e txBroken) Unwrap() error { return e.error }

// apply checks and writes one append inside the open transaction. A failed
// append leaves the transaction as it found it, unless it returns a
// txBroken error.
func (w *writer) apply(ctx context.Context, st *batchState, r *appendReq) (eventstore.AppendResult, error) {
	version, err := w.streamVersion(ctx, st, r.stream)
	if err != nil {
		return eventstore.AppendResult{}, txBroken{fmt.Errorf("sqlite: append to %s: %w", r.stream, err)}
	}
	if res, retried, err := w.retried(ctx, r, version); retried || err != nil {
		return res, err
	}
	if !r.expected.Check(version) {
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: r.stream, Expected: r.expected, Current: version}
	}

	// With several events, a savepoint undoes those already inserted if a
	// later one fails (a duplicate id), so the other appends of the batch
	// stand. A single INSERT needs none: SQLite undoes a failed statement.
	multi := len(r.events) > 1
	if multi {
		if _, err := w.conn.ExecContext(ctx, `SAVEPOINT one_append`); err != nil {
			return eventstore.AppendResult{}, txBroken{fmt.Errorf("sqlite: append to %s: savepoint: %w", r.stream, err)}
		}
	}
	now := time.Now().UnixNano()
	pos := st.pos
	for i, e := range r.events {
		pos++
		if _, err := w.insert.ExecContext(ctx, int64(pos), r.stream, int64(version)+int64(i), e.ID[:], e.Type, nonNil(e.Data), nonNil(e.Metadata), now); err != nil {
			err = fmt.Errorf("sqlite: append to %s: insert event %s: %w", r.stream, e.ID, err)
			if !isConstraint(err) {
				// An I/O error, a full disk...: SQLite may have rolled
				// the whole transaction back already.
				return eventstore.AppendResult{}, txBroken{err}
			}
			if !multi {
				return eventstore.AppendResult{}, err
			}
			if rbErr := w.undoSavepoint(ctx); rbErr != nil {
				return eventstore.AppendResult{}, txBroken{errors.Join(err, rbErr)}
			}
			return eventstore.AppendResult{}, err
		}
	}
	if multi {
		if _, err := w.conn.ExecContext(ctx, `RELEASE one_append`); err != nil {
			return eventstore.AppendResult{}, txBroken{fmt.Errorf("sqlite: append to %s: release savepoint: %w", r.stream, err)}
		}
	}
	st.pos = pos
	st.lastID = r.events[len(r.events)-1].ID
	st.appends++
	next := version + uint64(len(r.events))
	st.versions[r.stream] = next
	return eventstore.AppendResult{NextExpected: next - 1, Position: pos}, nil
}

// undoSavepoint rolls one append back and ends its savepoint, leaving the
// transaction open for the rest of the batch.
func (w *writer) undoSavepoint(ctx context.Context) error {
	if _, err := w.conn.ExecContext(ctx, `ROLLBACK TO one_append`); err != nil {
		return fmt.Errorf("rollback to savepoint: %w", err)
	}
	if _, err := w.conn.ExecContext(ctx, `RELEASE one_append`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// retried recognises a retried append: its first event's id is stored in
// the stream right after the expected revision, and the following ids
// match the stored events in order. It then returns the original result.
// A first id that is stored but not followed by the same ids is a
// conflict: the command was retried against a stream that has moved on.
func (w *writer) retried(ctx context.Context, r *appendReq, version uint64) (eventstore.AppendResult, bool, error) {
	var stream string
	var first uint64
	err := w.findID.QueryRowContext(ctx, r.events[0].ID[:]).Scan(&stream, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return eventstore.AppendResult{}, false, nil
	}
	if err != nil {
		return eventstore.AppendResult{}, false, txBroken{fmt.Errorf("sqlite: append to %s: look up event %s: %w", r.stream, r.events[0].ID, err)}
	}
	if stream != r.stream {
		return eventstore.AppendResult{}, false, fmt.Errorf("sqlite: append to %s: event id %s already stored in stream %s", r.stream, r.events[0].ID, stream)
	}
	conflict := &eventstore.ConflictError{Stream: r.stream, Expected: r.expected, Current: version}
	n := uint64(len(r.events))
	if !r.expected.FitsRetry(first) || first+n > version {
		return eventstore.AppendResult{}, false, conflict
	}

	rows, err := w.idsFrom.QueryContext(ctx, r.stream, int64(first), int64(n))
	if err != nil {
		return eventstore.AppendResult{}, false, txBroken{fmt.Errorf("sqlite: append to %s: read stored ids: %w", r.stream, err)}
	}
	defer rows.Close()
	var pos eventstore.Position
	i := 0
	for ; rows.Next(); i++ {
		var id []byte
		if err := rows.Scan(&id, &pos); err != nil {
			return eventstore.AppendResult{}, false, txBroken{fmt.Errorf("sqlite: append to %s: read stored ids: %w", r.stream, err)}
		}
		if stored, err := uuid.FromBytes(id); err != nil || stored != r.events[i].ID {
			return eventstore.AppendResult{}, false, conflict
		}
	}
	if err := rows.Err(); err != nil {
		return eventstore.AppendResult{}, false, txBroken{fmt.Errorf("sqlite: append to %s: read stored ids: %w", r.stream, err)}
	}
	if uint64(i) != n {
		return eventstore.AppendResult{}, false, conflict
	}
	return eventstore.AppendResult{NextExpected: first + n - 1, Position: pos}, true, nil
}

// isConstraint reports a constraint violation (a duplicate event id), which
// SQLite undoes by failing only the statement.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// nonNil stores a missing payload as an empty blob: the columns are NOT
// NULL so readers never have to tell the two apart.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
