package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func newEvents(n int) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "Tested.v1", Data: []byte(`{}`)}
	}
	return evs
}

func newReq(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData) *appendReq {
	return &appendReq{ctx: ctx, stream: stream, expected: exp, events: evs, done: make(chan appendResp, 1)}
}

// One transaction carries appends that succeed, conflict, fail half-way,
// were cancelled, and retry an append of the same batch: each is answered
// on its own and only the good ones are written.
func TestBatchChecksEachAppend(t *testing.T) {
	s, _ := openTemp(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()

	a1 := newEvents(2)
	dupInB := append(newEvents(1), a1[0]) // second event reuses an id of a1
	batch := []*appendReq{
		newReq(bg, "a", eventstore.NoStream(), a1),
		newReq(bg, "a", eventstore.NoStream(), newEvents(1)), // sees a1 in the same transaction
		newReq(bg, "b", eventstore.NoStream(), dupInB),
		newReq(cancelled, "c", eventstore.NoStream(), newEvents(1)),
		newReq(bg, "a", eventstore.Exact(1), newEvents(1)),
		newReq(bg, "a", eventstore.NoStream(), a1), // retry of the first
		newReq(bg, "d", eventstore.NoStream(), newEvents(1)),
	}
	// The writer goroutine only touches w after taking a request, and none
	// is sent, so the test may drive it directly.
	require.True(t, s.w.commit(batch))
	resp := func(i int) appendResp { return <-batch[i].done }

	require.Equal(t, appendResp{res: eventstore.AppendResult{NextExpected: 1, Position: 2}}, resp(0))
	var ce *eventstore.ConflictError
	require.ErrorAs(t, resp(1).err, &ce)
	require.Equal(t, uint64(2), ce.Current)
	require.ErrorContains(t, resp(2).err, "insert event")
	require.ErrorIs(t, resp(3).err, context.Canceled)
	require.Equal(t, appendResp{res: eventstore.AppendResult{NextExpected: 2, Position: 3}}, resp(4))
	require.Equal(t, appendResp{res: eventstore.AppendResult{NextExpected: 1, Position: 2}}, resp(5))
	require.Equal(t, appendResp{res: eventstore.AppendResult{NextExpected: 0, Position: 4}}, resp(6))

	ctx := context.Background()
	for stream, n := range map[string]int{"a": 3, "b": 0, "c": 0, "d": 1} {
		evs, err := s.ReadStream(ctx, stream, 0)
		require.NoError(t, err)
		require.Len(t, evs, n, "stream %s", stream)
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 100)
	require.NoError(t, err)
	for i, e := range all {
		require.Equal(t, eventstore.Position(i+1), e.Position, "the failed append left no gap")
	}
	require.Equal(t, uint64(1), s.w.stats.txs)
	require.Equal(t, uint64(3), s.w.stats.appends)
}

// An append whose context ends while the writer is busy returns at once
// and is never written; the append the writer was busy with commits.
func TestCancelWhileQueued(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()

	// Another connection holds the write lock, so the writer waits in
	// BEGIN IMMEDIATE (up to the busy timeout).
	locker, err := sql.Open("sqlite", dsn(path, "busy_timeout"))
	require.NoError(t, err)
	defer locker.Close()
	conn, err := locker.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
	require.NoError(t, err)

	first := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "held", eventstore.NoStream(), newEvents(1))
		first <- err
	}()

	inner, cancel := context.WithCancel(ctx)
	qctx := &waitingCtx{Context: inner, waiting: make(chan struct{})}
	queued := make(chan error, 1)
	go func() {
		_, err := s.Append(qctx, "queued", eventstore.NoStream(), newEvents(1))
		queued <- err
	}()
	<-qctx.waiting // Append is waiting for the writer (or for its result)
	cancel()
	require.ErrorIs(t, <-queued, context.Canceled)

	_, err = conn.ExecContext(ctx, `COMMIT`)
	require.NoError(t, err)
	require.NoError(t, <-first)

	evs, err := s.ReadStream(ctx, "queued", 0)
	require.NoError(t, err)
	require.Empty(t, evs, "a cancelled append is never written")
	evs, err = s.ReadStream(ctx, "held", 0)
	require.NoError(t, err)
	require.Len(t, evs, 1)
}

// waitingCtx tells when a call first waits on it.
type waitingCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

// Close while appends are under way: every append either succeeded and is
// in the file after reopening, or failed with ErrClosed and is not.
func TestCloseUnderLoad(t *testing.T) {
	s, path := openTemp(t)
	const writers = 16
	var (
		mu    sync.Mutex
		acked = make(map[uuid.UUID]bool)
		tried = make(map[uuid.UUID]bool)
		wg    sync.WaitGroup
		some  = make(chan struct{})
		once  sync.Once
		errs  = make(chan error, writers)
	)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("w%d", w)
			for i := 0; ; i++ {
				evs := newEvents(1)
				mu.Lock()
				tried[evs[0].ID] = true
				mu.Unlock()
				_, err := s.Append(context.Background(), stream, eventstore.ExpectedFor(uint64(i)), evs)
				if errors.Is(err, eventstore.ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				acked[evs[0].ID] = true
				n := len(acked)
				mu.Unlock()
				if n >= 50 {
					once.Do(func() { close(some) })
				}
			}
		})
	}
	<-some
	require.NoError(t, s.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "appends may only fail with ErrClosed")
	}

	s2, err := Open(path)
	require.NoError(t, err)
	defer s2.Close()
	all, err := s2.ReadAll(context.Background(), eventstore.Start, 1_000_000)
	require.NoError(t, err)
	stored := make(map[uuid.UUID]bool, len(all))
	for _, e := range all {
		stored[e.ID] = true
	}
	require.Equal(t, acked, stored, "exactly the acknowledged appends are stored")
	require.Greater(t, len(tried), len(acked), "some appends met the closed store")
}

// Group commit: concurrent appends share transactions.
func TestGroupCommit(t *testing.T) {
	s, _ := openTemp(t)
	const writers, appends = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range appends {
				if _, err := s.Append(context.Background(), fmt.Sprintf("w%d", w), eventstore.ExpectedFor(uint64(i)), newEvents(1)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	st := s.w.stats
	t.Logf("%d appends in %d transactions (%.1f per commit)", st.appends, st.txs, float64(st.appends)/float64(st.txs))
	require.Equal(t, uint64(writers*appends), st.appends)
	require.Less(t, st.txs, st.appends, "concurrent appends should share commits")
}

func TestSchema(t *testing.T) {
	// A name that needs escaping in a URI.
	path := filepath.Join(t.TempDir(), "odd ?#% name", "events.db")
	_, err := Open(path)
	require.Error(t, err, "the directory does not exist")

	path = filepath.Join(t.TempDir(), "odd ?#% name.db")
	s, err := Open(path)
	require.NoError(t, err)
	_, err = s.Append(context.Background(), "x", eventstore.NoStream(), newEvents(1))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	version := func() int {
		db, err := sql.Open("sqlite", dsn(path))
		require.NoError(t, err)
		defer db.Close()
		var v int
		require.NoError(t, db.QueryRow(`PRAGMA user_version`).Scan(&v))
		var mode string
		require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
		require.Equal(t, "wal", mode)
		return v
	}
	require.Equal(t, schemaVersion, version())

	// Reopening an up-to-date file keeps its events and version.
	s, err = Open(path)
	require.NoError(t, err)
	last, err := s.LastPosition(context.Background())
	require.NoError(t, err)
	require.Equal(t, eventstore.Position(1), last)
	require.NoError(t, s.Close())
	require.Equal(t, schemaVersion, version())

	// A file from a newer program is refused, not misread.
	db, err := sql.Open("sqlite", dsn(path))
	require.NoError(t, err)
	_, err = db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion+1))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = Open(path)
	require.ErrorContains(t, err, "newer")
}

func TestInvalidArguments(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	_, err := s.Append(ctx, "", eventstore.Any(), newEvents(1))
	require.Error(t, err)
	_, err = s.Append(ctx, "x", eventstore.Any(), nil)
	require.Error(t, err)
	_, err = s.ReadAll(ctx, eventstore.Start, 0)
	require.Error(t, err)
}

// The DSN's pragmas reach the connections: durability on the writer, no
// writes from the readers.
func TestPragmas(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var syncMode, busy, queryOnly int
	var mode string
	require.NoError(t, s.w.conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&syncMode))
	require.Equal(t, 2, syncMode, "synchronous=FULL")
	require.NoError(t, s.w.conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy))
	require.Equal(t, busyTimeoutMS, busy)
	require.NoError(t, s.w.conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
	require.NoError(t, s.readDB.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&queryOnly))
	require.Equal(t, 1, queryOnly)
	_, err := s.readDB.ExecContext(ctx, `DELETE FROM events`)
	require.Error(t, err, "the read pool cannot write")
}
