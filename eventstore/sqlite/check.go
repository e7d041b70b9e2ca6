package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

// The start-up checks. A log can lose acknowledged events in ways SQLite
// itself does not notice: an operator deletes events.db-wal after a crash
// (the commits in it are gone, and their positions would be handed out
// again), events.db is replaced by an empty file or an older copy, a page
// is damaged on disk. Open checks what it can cheaply and refuses such a
// log with ErrDamaged, saying what is wrong and how to recover, unless
// Options.AcceptDamaged says a person has looked.

// ErrDamaged is wrapped by the error of Open when the log fails a start-up
// check, and by Append's once a background check (Options) found damage.
var ErrDamaged = errors.New("the event log is damaged")

// QuickCheckAtOpenMax is the largest log (in bytes: events.db and its WAL)
// that Open checks with PRAGMA quick_check before it returns. quick_check
// reads every page: about 2.7 s for a 600 MB log of a million events on a
// loaded two-core machine, too long for every start, about 0.3 s at this
// size. A larger log is checked in the background after Open; damage found
// there makes every later Append fail with ErrDamaged (WriteErr reports
// it) instead of refusing the start.
var QuickCheckAtOpenMax int64 = 64 << 20

// Options tune OpenWith.
type Options struct {
	// AcceptDamaged opens a log that fails the start-up checks, and records
	// its head as it is now, so that the next start checks against it: for
	// an operator who has looked at the damage and decided to go on (after
	// restoring what could be restored).
	AcceptDamaged bool
}

// headSuffix names the file beside the log that records its head.
const headSuffix = ".head"

// headSize is the fixed length of the head file: every update overwrites
// the same bytes with one write, so a process killed at any moment leaves
// either the old head or the new one.
const headSize = 128

// head is the last event of the log as last committed: its position and
// id. The writer records it after every commit that wrote events, in the
// file path+".head", without an fsync: the commit itself was fsynced
// first, so the recorded head is never ahead of what is durable, and a
// process killed with SIGKILL loses no write that reached the page cache.
// A power cut may leave an older head, or a torn one (its checksum fails
// and it is ignored): either lets a good log open, which is what matters;
// deleting the WAL does not lose the page cache, so the head then says
// what the log lost.
type head struct {
	pos eventstore.Position
	id  uuid.UUID
}

// encode formats h as the head file's fixed-length content: a line naming
// the format, the position, the id and a CRC-32 of the three, padded
// with spaces.
func (h head) encode() []byte {
	line := fmt.Sprintf("catalogue-log-head 1 %d %s", h.pos, h.id)
	line = fmt.Sprintf("%s %08x", line, crc32.ChecksumIEEE([]byte(line)))
	return []byte(line + strings.Repeat(" ", headSize-1-len(line)) + "\n")
}

// decodeHead parses a head file; ok is false when it holds no valid head
// (empty, torn by a power cut, or not a head file).
func decodeHead(b []byte) (h head, ok bool) {
	line := strings.TrimRight(string(b), " \n\x00")
	if len(line) < 9 || line[len(line)-9] != ' ' {
		return head{}, false
	}
	body, sum := line[:len(line)-9], line[len(line)-8:]
	if fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) != sum {
		return head{}, false
	}
	var pos uint64
	var id string
	var version int
	if n, err := fmt.Sscanf(body, "catalogue-log-head %d %d %s", &version, &pos, &id); n != 3 || err != nil || version != 1 {
		return head{}, false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return head{}, false
	}
	return head{pos: eventstore.Position(pos), id: u}, true
}

// headFile is the open head file the writer records into.
type headFile struct {
	f   *os.File
	err atomic.Pointer[error] // the last failure to record, for WriteErr
}

// readHead reads the head recorded beside the log at path; found is false
// when there is none (a log from before heads were recorded, or one whose
// head a power cut tore).
func readHead(path string) (h head, found bool, err error) {
	b, err := os.ReadFile(path + headSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return head{}, false, nil
	}
	if err != nil {
		return head{}, false, fmt.Errorf("read the log's head: %w", err)
	}
	h, ok := decodeHead(b)
	return h, ok, nil
}

// createHead writes h as the head file durably (a new file, fsynced, then
// renamed over the old one and the directory fsynced) and opens it for
// the writer's updates. Open does this once; it also proves that the
// directory can be written.
func createHead(path string, h head) (*headFile, error) {
	tmp := path + headSuffix + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(h.encode())
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path+headSuffix)
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &headFile{f: f}, nil
}

// record overwrites the head after a commit. A failure is kept for
// WriteErr, not returned: the commit stands whatever happens here.
func (hf *headFile) record(h head) {
	if _, err := hf.f.WriteAt(h.encode(), 0); err != nil {
		err = fmt.Errorf("record the log's head: %w", err)
		hf.err.Store(&err)
		return
	}
	hf.err.Store(nil)
}

func (hf *headFile) close() error {
	if hf == nil {
		return nil
	}
	return hf.f.Close()
}

// syncDir makes a rename in the directory of path durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// damaged builds the error of a failed start-up check: what is wrong, then
// how to recover.
func damaged(path, what, recover string) error {
	return fmt.Errorf("%w: %s: %s. %s; or, having looked, start with --accept-damaged-log to use the log as it is", ErrDamaged, path, what, recover)
}

// checkFileBeforeOpen refuses a missing or empty events.db beside a head
// that says it held events: SQLite would make a new empty log of it, and
// positions would start again at 1.
func checkFileBeforeOpen(path string, h head, found bool) error {
	if !found || h.pos == 0 {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return damaged(path, fmt.Sprintf("the log is missing, but the head recorded beside it (%s) says it held %d events", path+headSuffix, h.pos),
			"Restore events.db (with events.db-wal, if there was one) from a backup")
	case err != nil:
		return err
	case st.Size() == 0:
		return damaged(path, fmt.Sprintf("the log is an empty file, but the head recorded beside it (%s) says it held %d events", path+headSuffix, h.pos),
			"Restore events.db (with events.db-wal, if there was one) from a backup")
	}
	return nil
}

// checkHead compares the log's last position with the head recorded
// beside it: the log must hold the recorded event at the recorded
// position.
func checkHead(ctx context.Context, conn *sql.Conn, path string, last eventstore.Position, h head) error {
	if h.pos == 0 {
		return nil
	}
	if last < h.pos {
		return damaged(path, fmt.Sprintf("the log ends at position %d, but %d events were committed (the head recorded in %s): %d acknowledged events are missing",
			last, h.pos, path+headSuffix, h.pos-last),
			"Was events.db-wal deleted, or events.db replaced by an older copy? Put the missing file back (never delete events.db-wal: it holds the latest commits)")
	}
	var id []byte
	err := conn.QueryRowContext(ctx, `SELECT id FROM events WHERE position = ?`, int64(h.pos)).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("check the log's head: %w", err)
	}
	if got, perr := uuid.FromBytes(id); err != nil || perr != nil || got != h.id {
		return damaged(path, fmt.Sprintf("the log does not hold event %s at position %d, which the head recorded in %s says was committed there: this is another log",
			h.id, h.pos, path+headSuffix),
			"Was events.db replaced? Put the right events.db back")
	}
	return nil
}

// quickCheck runs PRAGMA quick_check: every page's structure, without
// comparing indexes with the table.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("quick_check: %w", err)
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		// A damaged page can make the check itself fail.
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// corrupt is the error of a failed quick_check.
func corrupt(path string, problem error) error {
	return damaged(path, fmt.Sprintf("PRAGMA quick_check found damaged pages: %v", problem),
		"Restore the log from a backup, or recover what SQLite can read with the sqlite3 shell's .recover into a new events.db")
}

// probeWrite checks that the log can be written: a change of the schema
// version to itself, rolled back. SQLite opens a file it may not write
// (mode 0444, another owner) read-only without a word; every append would
// then fail.
func probeWrite(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion))
	_, rbErr := conn.ExecContext(ctx, `ROLLBACK`)
	return errors.Join(err, rbErr)
}

// ownerOnly makes the log's files readable and writable by their owner
// only: they hold every change ever made, with its actor. A new events.db
// is created so before SQLite opens it, as SQLite gives its -wal and -shm
// files the mode of the database file.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm", headSuffix} {
		st, err := os.Stat(path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		// Only group's and others' bits are taken away: a file its owner
		// made read-only stays so, and is refused as unwritable.
		if err == nil && st.Mode().Perm()&0o077 != 0 {
			err = os.Chmod(path+suffix, st.Mode().Perm()&0o700)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
