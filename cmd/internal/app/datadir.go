// Package app wires the catalogue's parts together for the binary: which
// event log, which read models, the projector and the HTTP server. Only
// this package (and cmd/catalogue) knows which adapters exist.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/catalogue/catalogue/eventstore"
)

// DataDir is an embedded-mode data directory, held exclusively by one
// process: the SQLite event log keeps per-process state (stream versions,
// subscriptions), so a second writer process must not open it.
type DataDir struct {
	Path   string
	lock   *os.File
	Events eventstore.Store
}

// ErrInUse is returned when another process holds the data directory.
var ErrInUse = errors.New("data directory in use")

// OpenDataDir creates the directory if needed, locks it and opens the
// event log inside it.
func OpenDataDir(path string) (*DataDir, error) {
	return OpenDataDirEvents(context.Background(), path, "", nil, false)
}

// OpenDataDirEvents is OpenDataDir with the event log named by events (see
// OpenEvents): the directory still holds the tokens and the lock when the
// log is elsewhere. acceptDamaged opens a SQLite log that fails its
// start-up checks (sqlite.Options).
//
// The directory is its owner's only (0700): it holds every change with
// its actor, and the tokens.
func OpenDataDirEvents(ctx context.Context, path, events string, log *slog.Logger, acceptDamaged bool) (*DataDir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := ownerOnlyDir(path); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(path, "LOCK")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockPath, err)
	}
	if err := f.Chmod(0o600); err != nil { // a LOCK made before the directory was its owner's only
		f.Close()
		return nil, fmt.Errorf("restrict %s to its owner: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(lockPath)
		f.Close()
		return nil, fmt.Errorf("%w: %s is held by process %s (stop it, or make changes through its API)",
			ErrInUse, path, strings.TrimSpace(string(holder)))
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	store, err := OpenEvents(ctx, path, events, log, acceptDamaged)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open event log: %w", err)
	}
	return &DataDir{Path: path, lock: f, Events: store}, nil
}

// ownerOnlyDir takes group's and others' permissions off an existing data
// directory (MkdirAll leaves one it did not create as it is).
func ownerOnlyDir(path string) error {
	st, err := os.Stat(path)
	if err == nil && st.Mode().Perm()&0o077 != 0 {
		err = os.Chmod(path, st.Mode().Perm()&0o700)
	}
	if err != nil {
		return fmt.Errorf("restrict data directory %s to its owner: %w", path, err)
	}
	return nil
}

// Close closes the event log (finishing acknowledged appends) and releases
// the directory.
func (d *DataDir) Close() error {
	err := d.Events.Close()
	d.lock.Close()
	return err
}
