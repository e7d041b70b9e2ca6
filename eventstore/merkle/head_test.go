package merkle

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignedHeads(t *testing.T) {
	dir := t.TempDir()
	keys, err := LoadOrCreateKeys(dir, "catalogue-370200")
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(dir, PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, err := LoadOrCreateKeys(dir, "ignored once created")
	require.NoError(t, err)
	require.Equal(t, keys.Public, again.Public, "the key is created once")

	h := Head{Origin: "catalogue/370200", Size: 42, Root: Hash{1, 2, 3}, Time: time.Date(2026, 12, 7, 4, 0, 0, 5, time.UTC)}
	signed, err := Sign(h, keys.Signer)
	require.NoError(t, err)
	got, err := Open(signed, keys.Verifier)
	require.NoError(t, err)
	require.Equal(t, h, got)

	// A head signed with another key, or altered after signing, fails.
	other, err := LoadOrCreateKeys(t.TempDir(), "catalogue-370200")
	require.NoError(t, err)
	forged, err := Sign(h, other.Signer)
	require.NoError(t, err)
	_, err = Open(forged, keys.Verifier)
	require.ErrorIs(t, err, ErrBadHead)
	tampered := []byte(string(signed))
	tampered[len("catalogue/370200\n")] = '5' // size 42 → 52
	_, err = Open(tampered, keys.Verifier)
	require.ErrorIs(t, err, ErrBadHead)

	_, err = Sign(Head{Origin: "two\nlines"}, keys.Signer)
	require.Error(t, err)

	// A public key that is not the private key's is refused.
	require.NoError(t, os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte(other.Public+"\n"), 0o644))
	_, err = LoadOrCreateKeys(dir, "x")
	require.Error(t, err)
}
