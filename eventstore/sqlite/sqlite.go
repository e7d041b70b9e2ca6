// Package sqlite is the embedded default eventstore.Store: one SQLite file
// in WAL mode, written by a single goroutine that commits the appends
// waiting for it together (group commit) and read through a separate pool
// of read-only connections.
//
// One writer is what makes the feed simple: positions are the table's
// INTEGER PRIMARY KEY, handed out in commit order, so the feed has no gaps
// and a reader can never see a later position before an earlier one.
//
// Open a file with one Store at a time. The writer caches stream versions
// and the last position; a second writer on the same file would not corrupt
// it (the primary key and UNIQUE(stream, revision) refuse a clashing
// event) but would make appends fail with insert errors instead of clean
// conflicts.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/catalogue/catalogue/eventstore"
)

// schemaVersion is stored in PRAGMA user_version. Bump it with a migration
// step in migrate when the schema changes.
const schemaVersion = 1

// schema is the whole version-1 schema. position is the rowid, so the feed
// is the table's own order; UNIQUE(stream, revision) is both the stream
// index and the last guard against two events at one revision; UNIQUE(id)
// is how a retried append is recognised.
const schema = `
CREATE TABLE IF NOT EXISTS events (
	position    INTEGER PRIMARY KEY,
	stream      TEXT    NOT NULL,
	revision    INTEGER NOT NULL,
	id          BLOB    NOT NULL UNIQUE,
	type        TEXT    NOT NULL,
	data        BLOB    NOT NULL,
	metadata    BLOB    NOT NULL,
	recorded_at INTEGER NOT NULL, -- unix nanoseconds, UTC
	UNIQUE (stream, revision)
)`

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (a checkpoint, or a second process) before failing.
const busyTimeoutMS = 5000

// Store is the SQLite event store. Open it with Open; it is safe for
// concurrent use.
type Store struct {
	path string
	opts Options
	head *headFile // the head recorded beside the log (see head)

	// Write side: one connection, used only by the writer goroutine once
	// Open has returned.
	writeDB *sql.DB
	w       *writer
	reqs    chan *appendReq // unbuffered: a hand-off is an acceptance

	// Read side: a pool of query_only connections.
	readDB                       *sql.DB
	readAll, readStream, lastPos *sql.Stmt

	// changed is closed and replaced after every commit that wrote events,
	// waking subscribers.
	mu      sync.Mutex
	changed chan struct{}

	closed     atomic.Bool
	closing    chan struct{} // closed by Close: stop accepting, wake subscribers
	writerDone chan struct{}

	// damage is what the background quick_check of a large log found
	// (QuickCheckAtOpenMax): once set, Append refuses.
	damage    atomic.Pointer[error]
	stopCheck context.CancelFunc
	checks    sync.WaitGroup
}

var _ eventstore.Store = (*Store)(nil)

// Open opens (creating if needed) the event store in the SQLite file at
// path, creates or checks the schema, runs the start-up checks and starts
// the writer: OpenWith with the default options.
func Open(path string) (*Store, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with options. Before it returns, it checks that the
// log can be written and that it holds the head recorded beside it (see
// head); a log of up to QuickCheckAtOpenMax bytes is checked with PRAGMA
// quick_check too, a larger one in the background. A failed check is an
// error wrapping ErrDamaged, which says what is wrong and how to recover,
// unless opt.AcceptDamaged. Its files are made readable by their owner
// only.
func OpenWith(path string, opt Options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{
		path:       abs,
		opts:       opt,
		reqs:       make(chan *appendReq),
		changed:    make(chan struct{}),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if err := s.open(); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	go s.w.run(s.reqs, s.closing, s.writerDone, s.notify)
	return s, nil
}

// OpenReader opens the event log at path for reading only, without its
// writer: for a process that must read a log another process writes and
// holds (catalogue rebuild beside a running serve). SQLite's WAL lets
// readers of other processes see each commit; as no commit of this
// process wakes its subscribers, they look for new events every
// ReaderPoll. Append fails with ErrReadOnly.
func OpenReader(path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s := &Store{path: abs, changed: make(chan struct{}), closing: make(chan struct{}), writerDone: make(chan struct{})}
	if err := s.openRead(); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	// The first look is taken before any subscriber can read: a commit
	// after it is a change the watch reports.
	last, err := s.LastPosition(context.Background())
	if err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	go s.watch(last, ReaderPoll)
	return s, nil
}

// ReaderPoll is how often a log opened with OpenReader looks for events
// appended by another process.
var ReaderPoll = 200 * time.Millisecond

// ErrReadOnly is returned by Append on a log opened with OpenReader.
var ErrReadOnly = errors.New("sqlite: the event log is open for reading only")

// watch wakes subscribers when the log's last position moves from last,
// until Close.
func (s *Store) watch(last eventstore.Position, every time.Duration) {
	defer close(s.writerDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if p, err := s.LastPosition(context.Background()); err == nil && p != last {
				last = p
				s.notify()
			}
		}
	}
}

func (s *Store) open() error {
	h, found, err := readHead(s.path)
	if err != nil {
		return err
	}
	if err := checkFileBeforeOpen(s.path, h, found); err != nil && !s.opts.AcceptDamaged {
		return err
	}
	if err := probeDir(s.path); err != nil {
		return err
	}
	if err := ownerOnly(s.path); err != nil {
		return fmt.Errorf("create the log, or restrict its files to their owner: %w", err)
	}
	// synchronous=FULL makes every commit fsync the WAL: Append returns
	// only once its events would survive a power cut.
	// _txlock=immediate makes database/sql transactions (the migration)
	// take the write lock up front rather than fail to upgrade later.
	s.writeDB, err = sql.Open("sqlite", dsn(s.path,
		"busy_timeout", "journal_mode(WAL)", "synchronous(FULL)", "_txlock=immediate"))
	if err != nil {
		return err
	}
	s.writeDB.SetMaxOpenConns(1)
	if err := migrate(s.writeDB); err != nil {
		return err
	}
	if s.w, err = newWriter(s.writeDB); err != nil {
		return err
	}
	ctx := context.Background()
	if err := probeWrite(ctx, s.w.conn); err != nil {
		return fmt.Errorf("the log cannot be written (%w): check the owner and mode of %s and of its directory, and the free disk space", err, s.path)
	}
	if found && !s.opts.AcceptDamaged {
		if err := checkHead(ctx, s.w.conn, s.path, s.w.lastPos, h); err != nil {
			return err
		}
	}
	if err := s.openRead(); err != nil {
		return err
	}
	if err := s.startQuickCheck(); err != nil {
		return err
	}
	if s.head, err = createHead(s.path, head{pos: s.w.lastPos, id: s.w.lastID}); err != nil {
		return fmt.Errorf("record the log's head: %w", err)
	}
	s.w.head = s.head
	return nil
}

// probeDir checks that the log's directory can be written: SQLite creates
// the -wal and -shm files beside the log, and Open the head file.
func probeDir(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".write-probe-*")
	if err != nil {
		return fmt.Errorf("the directory of the log cannot be written: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// startQuickCheck runs PRAGMA quick_check now on a log of up to
// QuickCheckAtOpenMax bytes, and in the background on a larger one (see
// QuickCheckAtOpenMax).
func (s *Store) startQuickCheck() error {
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(s.path + suffix); err == nil {
			size += st.Size()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopCheck = cancel
	if size <= QuickCheckAtOpenMax {
		if err := quickCheck(ctx, s.readDB); err != nil && !s.opts.AcceptDamaged {
			return corrupt(s.path, err)
		}
		return nil
	}
	s.checks.Go(func() {
		lowPriority(func() {
			if err := quickCheck(ctx, s.readDB); err != nil && ctx.Err() == nil && !s.opts.AcceptDamaged {
				err = corrupt(s.path, err)
				s.damage.Store(&err)
			}
		})
	})
	return nil
}

// WriteErr reports why appends fail now: damage the background check
// found, or the error of the last transaction that failed through no
// fault of its callers (an I/O error, a full disk) until one commits
// again, or a failure to record the log's head. Nil when writes work, as
// far as this process knows.
func (s *Store) WriteErr() error {
	if err := s.damage.Load(); err != nil {
		return *err
	}
	if s.w == nil {
		return ErrReadOnly
	}
	if err := s.w.failure.Load(); err != nil {
		return *err
	}
	if s.head != nil {
		if err := s.head.err.Load(); err != nil {
			return *err
		}
	}
	return nil
}

// openRead opens the read side: the connections of every query.
func (s *Store) openRead() error {
	var err error
	// query_only guards the single-writer rule: nothing read-side can
	// write, even by mistake.
	s.readDB, err = sql.Open("sqlite", dsn(s.path, "busy_timeout", "query_only(1)"))
	if err != nil {
		return err
	}
	s.readDB.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	s.readDB.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	ctx := context.Background()
	if s.readAll, err = s.readDB.PrepareContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`); err != nil {
		return fmt.Errorf("prepare read all: %w", err)
	}
	if s.readStream, err = s.readDB.PrepareContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`); err != nil {
		return fmt.Errorf("prepare read stream: %w", err)
	}
	if s.lastPos, err = s.readDB.PrepareContext(ctx,
		`SELECT COALESCE(MAX(position), 0) FROM events`); err != nil {
		return fmt.Errorf("prepare last position: %w", err)
	}
	return nil
}

// dsn builds a modernc.org/sqlite URI for path. Each option is a pragma,
// as "synchronous(FULL)", or a driver parameter, as "_txlock=immediate".
// The path is escaped, so names with '?', '#' or '%' are safe.
func dsn(path string, options ...string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), OmitHost: true}
	q := url.Values{}
	for _, o := range options {
		switch key, value, isParam := strings.Cut(o, "="); {
		case isParam:
			q.Add(key, value)
		case o == "busy_timeout":
			q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
		default:
			q.Add("_pragma", o)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// migrate creates the schema on a new file and refuses a file written by a
// newer version. It is idempotent: opening an up-to-date file changes
// nothing.
func migrate(db *sql.DB) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("migrate: schema version %d is newer than this program's %d", version, schemaVersion)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("migrate: create schema: %w", err)
	}
	// PRAGMA takes no parameters; the value is a constant.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return fmt.Errorf("migrate: set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// notify wakes every subscriber waiting for new events. The writer calls it
// after COMMIT has returned, so a subscriber that takes the new channel
// reads a snapshot that holds the commit.
func (s *Store) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Store) changedChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close stops accepting appends, lets the writer finish the appends it has
// already taken (their callers get their real outcome), ends running
// subscriptions with eventstore.ErrClosed and closes the database. Later
// calls, Close included, return eventstore.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return eventstore.ErrClosed
	}
	close(s.closing)
	<-s.writerDone
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// closeDBs closes whatever open managed to open. database/sql waits for
// queries in progress to finish.
func (s *Store) closeDBs() error {
	if s.stopCheck != nil {
		s.stopCheck() // a background quick_check
	}
	s.checks.Wait()
	var errs []error
	for _, st := range []*sql.Stmt{s.readAll, s.readStream, s.lastPos} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.readDB != nil {
		errs = append(errs, s.readDB.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.close())
	}
	errs = append(errs, s.head.close())
	if s.writeDB != nil {
		errs = append(errs, s.writeDB.Close())
	}
	return errors.Join(errs...)
}
