package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "清单.csv")
	require.NoError(t, WriteBytes(path, 0o600, []byte("旧")))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// A failed write leaves the old file and no temporary file.
	err = Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "半")
		return errors.New("interrupted")
	})
	require.ErrorContains(t, err, "interrupted")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "旧", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	require.NoError(t, WriteBytes(path, 0o644, []byte("新")))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "新", string(b))
	st, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}
