// Package atomicfile replaces a file whole or not at all: the content is
// written to a temporary file beside it, synced, given its mode and renamed
// over it, and the directory is synced so the rename survives a crash. A
// reader sees the old file or the whole new one, never half of one — what
// a token file, a signing key or an exported list each need.
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// Write runs write on a temporary file beside path and, only if write and
// the sync succeed, renames it to path with the given mode; otherwise the
// temporary file is removed and path is untouched. The temporary file is
// owner-only until it is complete.
func Write(path string, mode os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes replaces path with data (Write).
func WriteBytes(path string, mode os.FileMode, data []byte) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}
