package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// writeLog makes a log of n events, one commit each, at path and closes it.
func writeLog(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	for i := range n {
		_, err := s.Append(context.Background(), "s", eventstore.ExpectedFor(uint64(i)), newEvents(1))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
}

func requireDamaged(t *testing.T, path string, says ...string) {
	t.Helper()
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("a damaged log was opened")
	}
	require.ErrorIs(t, err, ErrDamaged)
	for _, want := range append(says, "--accept-damaged-log") {
		require.ErrorContains(t, err, want)
	}
}

// An events.db that is missing or empty beside the head of a log that held
// events is refused: SQLite would start a new log at position 1. Having
// looked, an operator may accept it, and the next start checks against the
// log as it now is.
func TestOpenRefusesMissingOrEmptyLog(t *testing.T) {
	for _, how := range []string{"empty", "missing"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			writeLog(t, path, 3)
			if how == "empty" {
				require.NoError(t, os.Truncate(path, 0))
			} else {
				require.NoError(t, os.Remove(path))
			}
			requireDamaged(t, path, "says it held 3 events", "from a backup")
			if how == "missing" {
				_, err := os.Stat(path)
				require.ErrorIs(t, err, os.ErrNotExist, "a refused open creates nothing")
			}

			s, err := OpenWith(path, Options{AcceptDamaged: true})
			require.NoError(t, err)
			last, err := s.LastPosition(context.Background())
			require.NoError(t, err)
			require.Zero(t, last)
			require.NoError(t, s.Close())
			s, err = Open(path)
			require.NoError(t, err, "the accepted log is the new reference")
			require.NoError(t, s.Close())
		})
	}
}

// A log missing commits it acknowledged — here events.db without its WAL,
// as a process killed with SIGKILL leaves it when an operator deletes
// events.db-wal — is refused: the positions of the lost events would be
// handed out again.
func TestOpenRefusesLogBehindItsHead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	s, err := Open(path)
	require.NoError(t, err)
	for i := range 39 {
		_, err := s.Append(context.Background(), "s", eventstore.ExpectedFor(uint64(i)), newEvents(1))
		require.NoError(t, err)
	}
	// The process "dies" now: what is on disk stays as it is. Copying the
	// files but the WAL is what deleting the WAL after the death leaves.
	crashed := filepath.Join(t.TempDir(), "events.db")
	copyFile(t, path, crashed)
	copyFile(t, path+headSuffix, crashed+headSuffix)
	require.NoError(t, s.Close())

	requireDamaged(t, crashed, "ends at position 0", "39 acknowledged events are missing", "events.db-wal")
}

// A log replaced by another one at least as long is refused: the recorded
// head's event is not in it.
func TestOpenRefusesAnotherLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	writeLog(t, path, 3)
	other := filepath.Join(t.TempDir(), "events.db")
	writeLog(t, other, 5)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
		if _, err := os.Stat(other + suffix); err == nil {
			copyFile(t, other+suffix, path+suffix)
		}
	}
	requireDamaged(t, path, "at position 3", "another log")
}

// A damaged page is found at open by PRAGMA quick_check: here the cell
// pointers of the event-id index's root page are overwritten.
func TestOpenRefusesCorruptIndexPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	writeLog(t, path, 50)
	corruptIndexPage(t, path)
	requireDamaged(t, path, "quick_check", ".recover")
}

// A log larger than QuickCheckAtOpenMax opens at once; its check runs in
// the background, and damage it finds stops the appends and is reported by
// WriteErr.
func TestLargeLogCheckedInBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	writeLog(t, path, 50)
	corruptIndexPage(t, path)
	old := QuickCheckAtOpenMax
	QuickCheckAtOpenMax = 0
	t.Cleanup(func() { QuickCheckAtOpenMax = old })

	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	deadline := time.Now().Add(30 * time.Second)
	for s.WriteErr() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.ErrorIs(t, s.WriteErr(), ErrDamaged)
	_, err = s.Append(context.Background(), "s", eventstore.Any(), newEvents(1))
	require.ErrorIs(t, err, ErrDamaged)
	require.ErrorIs(t, err, eventstore.ErrWriteRefused)
}

// The log's files are its owner's only, whether Open creates them or finds
// them readable by others.
func TestLogFilesOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path)
	require.NoError(t, err)
	_, err = s.Append(context.Background(), "s", eventstore.NoStream(), newEvents(1))
	require.NoError(t, err)
	for _, suffix := range []string{"", "-wal", "-shm", headSuffix} {
		requireMode(t, path+suffix, 0o600)
	}
	require.NoError(t, s.Close())

	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, os.Chmod(path+headSuffix, 0o664))
	s, err = Open(path)
	require.NoError(t, err)
	defer s.Close()
	requireMode(t, path, 0o600)
	requireMode(t, path+headSuffix, 0o600)
}

// A head recorded after every commit survives the process (the page cache
// keeps it) and says what the log holds; a torn or foreign head file
// checks nothing rather than refusing a good log.
func TestHeadRecordsEveryCommit(t *testing.T) {
	s, path := openTemp(t)
	evs := newEvents(2)
	res, err := s.Append(context.Background(), "s", eventstore.NoStream(), evs)
	require.NoError(t, err)
	h, found, err := readHead(path)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, head{pos: res.Position, id: evs[1].ID}, h)

	for _, garbage := range []string{"", "catalogue-log-head 1 9 x", string(h.encode()[:40]), "\x00\x00\x00"} {
		_, ok := decodeHead([]byte(garbage))
		require.False(t, ok, "%q", garbage)
	}
	b := h.encode()
	b[25] ^= 1 // a digit of the position, as a torn write could leave it
	_, ok := decodeHead(b)
	require.False(t, ok)
}

// A log its process may not write (the file's mode, its owner) is refused
// at open, rather than opened read-only by SQLite with every append to
// fail later.
func TestOpenRefusesUnwritableLog(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any file; cmd/catalogue's TestServeRefusesUnwritableLog runs the binary as another user")
	}
	path := filepath.Join(t.TempDir(), "events.db")
	writeLog(t, path, 1)
	require.NoError(t, os.Chmod(path, 0o400))
	_, err := Open(path)
	require.ErrorContains(t, err, "cannot be written")
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, want, st.Mode().Perm(), path)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, errors.Join(err, out.Close()))
}

// corruptIndexPage overwrites the cell pointer array of the root page of
// the index on events.id in the closed log at path.
func corruptIndexPage(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	require.NoError(t, err)
	var root, pageSize int64
	require.NoError(t, db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NULL ORDER BY name LIMIT 1`).Scan(&root))
	require.NoError(t, db.QueryRow(`PRAGMA page_size`).Scan(&pageSize))
	require.NoError(t, db.Close())
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	junk := make([]byte, 64)
	for i := range junk {
		junk[i] = 0xEE
	}
	_, err = f.WriteAt(junk, (root-1)*pageSize+8)
	require.NoError(t, errors.Join(err, f.Close()))
}

// BenchmarkHeadRecord is what recording the head costs every commit: one
// write of headSize bytes to the page cache, no fsync (a commit's fsync
// takes about a millisecond on this machine).
func BenchmarkHeadRecord(b *testing.B) {
	hf, err := createHead(filepath.Join(b.TempDir(), "events.db"), head{})
	if err != nil {
		b.Fatal(err)
	}
	defer hf.close()
	h := head{id: uuid.New()}
	for i := 0; b.Loop(); i++ {
		h.pos = eventstore.Position(i)
		hf.record(h)
	}
	if err := hf.err.Load(); err != nil {
		b.Fatal(*err)
	}
}
