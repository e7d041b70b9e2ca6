package merkle

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/catalogue/catalogue/internal/atomicfile"
)

// Head is a tree head: the size of the log and the root of its tree at
// that size, and when the head was taken. Signed, it is a promise by the
// key's holder that the log's first Size events are exactly those the
// root commits to; a later head that is not consistent with it
// (ConsistencyProof) shows the past was rewritten.
type Head struct {
	// Origin names the log the head is of (e.g. "catalogue/370200"): a
	// head of one log never passes for another's.
	Origin string
	Size   uint64
	Root   Hash
	Time   time.Time // UTC
}

// A signed head is written in the C2SP tlog-checkpoint format
// (github.com/C2SP/C2SP, tlog-checkpoint.md) — origin, size, base64 root,
// then an extension line with the time — as a signed note
// (golang.org/x/mod/sumdb/note, Ed25519), the format of the Go checksum
// database and other transparency logs, so tools beyond this one can read
// it.
const timeLine = "time "

// Sign signs the head with signer and returns the signed note.
func Sign(h Head, signer note.Signer) ([]byte, error) {
	if h.Origin == "" || strings.ContainsAny(h.Origin, "\n") {
		return nil, fmt.Errorf("merkle: a head needs a one-line origin, not %q", h.Origin)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n%s%s\n", h.Origin, h.Size, base64.StdEncoding.EncodeToString(h.Root[:]),
		timeLine, h.Time.UTC().Format(time.RFC3339Nano))
	return note.Sign(&note.Note{Text: text}, signer)
}

// ErrBadHead is returned for a signed head that does not verify or does
// not parse.
var ErrBadHead = errors.New("merkle: tree head does not verify")

// Open checks a signed head's signature against verifier and returns the
// head.
func Open(signed []byte, verifier note.Verifier) (Head, error) {
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		return Head{}, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return Head{}, fmt.Errorf("%w: %d lines, want origin, size and root", ErrBadHead, len(lines))
	}
	h := Head{Origin: lines[0]}
	if h.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
		return Head{}, fmt.Errorf("%w: size %q", ErrBadHead, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(h.Root) {
		return Head{}, fmt.Errorf("%w: root %q", ErrBadHead, lines[2])
	}
	copy(h.Root[:], root)
	for _, l := range lines[3:] {
		if t, ok := strings.CutPrefix(l, timeLine); ok {
			if h.Time, err = time.Parse(time.RFC3339Nano, t); err != nil {
				return Head{}, fmt.Errorf("%w: time %q", ErrBadHead, t)
			}
		}
	}
	return h, nil
}

// Key file names in a key directory: the private key never leaves its
// file (0600); the public key is what an auditor is given.
const (
	PrivateKeyFile = "treehead.key"
	PublicKeyFile  = "treehead.pub"
)

// Keys is a log's signing key pair.
type Keys struct {
	Signer   note.Signer
	Verifier note.Verifier
	// Public is the verifier key in note's text form
	// ("<name>+<hash>+<base64 key>"): print it, publish it, give it to
	// auditors.
	Public string
}

// LoadOrCreateKeys reads the key pair in dir, creating it (named name) on
// first use. The private key is written owner-only and atomically, so a
// crash never leaves half a key.
func LoadOrCreateKeys(dir, name string) (Keys, error) {
	priv := filepath.Join(dir, PrivateKeyFile)
	skey, err := os.ReadFile(priv)
	if errors.Is(err, os.ErrNotExist) {
		s, v, gerr := note.GenerateKey(rand.Reader, name)
		if gerr != nil {
			return Keys{}, fmt.Errorf("merkle: generate key: %w", gerr)
		}
		if err := atomicfile.WriteBytes(priv, 0o600, []byte(s+"\n")); err != nil {
			return Keys{}, err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, PublicKeyFile), 0o644, []byte(v+"\n")); err != nil {
			return Keys{}, err
		}
		skey, err = []byte(s), nil
	}
	if err != nil {
		return Keys{}, fmt.Errorf("merkle: read signing key: %w", err)
	}
	signer, err := note.NewSigner(string(bytes.TrimSpace(skey)))
	if err != nil {
		return Keys{}, fmt.Errorf("merkle: signing key %s: %w", priv, err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		return Keys{}, fmt.Errorf("merkle: read public key: %w", err)
	}
	verifier, err := note.NewVerifier(string(bytes.TrimSpace(pub)))
	if err != nil {
		return Keys{}, fmt.Errorf("merkle: public key: %w", err)
	}
	if verifier.Name() != signer.Name() || verifier.KeyHash() != signer.KeyHash() {
		return Keys{}, fmt.Errorf("merkle: %s is not the public key of %s", PublicKeyFile, PrivateKeyFile)
	}
	return Keys{Signer: signer, Verifier: verifier, Public: string(bytes.TrimSpace(pub))}, nil
}
