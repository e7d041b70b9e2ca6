package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/catalogue/catalogue/internal/atomicfile"
)

// FileName is the token file in the data directory.
const FileName = "tokens.json"

// Token is one issued token as stored: everything but the secret.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	Body string `json:"body,omitempty"`
	// Hash is "sha256:" and the hex SHA-256 of the secret.
	Hash      string     `json:"hash"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Active reports whether the token still signs in.
func (t Token) Active() bool { return t.RevokedAt == nil }

type tokenFile struct {
	Tokens []Token `json:"tokens"`
	// AwaitingFirst marks the token file of a new data directory, written
	// by the first command that records events in it (see AwaitFirst).
	AwaitingFirst bool `json:"awaitingFirstToken,omitempty"`
}

// Store is the token file of a data directory. Writers (the CLI, the first
// start of the server) take an exclusive file lock and replace the file
// atomically; a server re-reads it whenever it changed, so a token created
// or revoked from the command line takes effect on the next request, and
// on the connections that signed in with it within PollInterval (see Watch).
type Store struct {
	path   string
	lock   string
	now    func() time.Time
	logger *slog.Logger
	poll   time.Duration

	mu     sync.RWMutex
	stamp  stamp
	byHash map[string]*Principal // active tokens only
	byID   map[string]bool       // ids of the active tokens
	// bad is the version of the file that could not be read, so that it is
	// logged once and not re-read on every request; badMsg its error.
	bad    *stamp
	badMsg string

	watchMu  sync.Mutex
	watchers map[*watcher]struct{}
	polling  bool // a goroutine polls for the watchers
}

// PollInterval is how often a store that has watchers (live connections
// signed in with its tokens) looks at the token file: a revocation ends
// those connections within this interval of the file's change.
const PollInterval = 250 * time.Millisecond

// Option configures a Store.
type Option func(*Store)

// WithLogger makes the store log a token file it cannot read (with its
// path and the error, at ERROR, once per version of the file), which it
// tells clients only as "sign-in unavailable". The default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.logger = l } }

// stamp identifies a version of the file cheaply (one stat).
type stamp struct {
	exists bool
	ino    uint64
	size   int64
	mtime  time.Time
}

// Open returns the token store of a data directory; the file need not exist.
func Open(dataDir string, opts ...Option) *Store {
	s := &Store{path: filepath.Join(dataDir, FileName), lock: filepath.Join(dataDir, "tokens.lock"), now: time.Now,
		logger: slog.New(slog.DiscardHandler), poll: PollInterval}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Path is the token file's path, for messages to the operator.
func (s *Store) Path() string { return s.path }

// ErrNotFound is returned by Revoke for an unknown token.
var ErrNotFound = errors.New("no such token")

// Spec describes a token to create.
type Spec struct {
	Role Role
	// Body is required for a BodyOfficer and refused for the other roles.
	Body string
	// Name is recorded as the actor of the holder's changes; unique among
	// active tokens. Empty picks one from the role, body and id.
	Name string
}

// Create issues a token and returns its secret, which is shown once and
// never stored.
func (s *Store) Create(spec Spec) (string, Token, error) {
	if _, err := ParseRole(string(spec.Role)); err != nil {
		return "", Token{}, err
	}
	switch {
	case spec.Role == BodyOfficer && strings.TrimSpace(spec.Body) == "":
		return "", Token{}, errors.New("a body_officer token needs --body (the body code it is scoped to)")
	case spec.Role != BodyOfficer && spec.Body != "":
		return "", Token{}, fmt.Errorf("--body is only for body_officer tokens; a %s is not scoped to a body", spec.Role)
	}
	var secret string
	var tok Token
	err := s.update(func(f *tokenFile) error {
		var err error
		secret, tok, err = s.issue(f, spec)
		return err
	})
	return secret, tok, err
}

// Bootstrap creates the first token of a new data directory — a legal
// officer named name — and returns its secret. A data directory is new
// when its token file awaits its first token (see AwaitFirst), or when
// there is no token file and the event log is empty (emptyLog). Otherwise
// it returns "": tokens were issued before, even if all are revoked since,
// or the file is missing beside a log that has events — lost or deleted,
// not new, and an admin token minted then would hand the catalogue to
// whoever can restart the server or read its output.
func (s *Store) Bootstrap(name string, emptyLog bool) (string, error) {
	var secret string
	err := s.update(func(f *tokenFile) error {
		if !f.AwaitingFirst && (f.Tokens != nil || !emptyLog) {
			return errUnchanged
		}
		var err error
		secret, _, err = s.issue(f, Spec{Role: LegalOfficer, Name: name})
		return err
	})
	if errors.Is(err, errUnchanged) {
		return "", nil
	}
	return secret, err
}

// AwaitFirst marks a new data directory — one whose event log is still
// empty — as awaiting its first token, if no token file exists: a command
// that records the first events (catalogue demo, import) calls it, so that
// the server's first start still creates the admin token, whereas a token
// file missing beside a log that has events (lost, deleted) creates none.
func (s *Store) AwaitFirst() error {
	err := s.update(func(f *tokenFile) error {
		if f.Tokens != nil {
			return errUnchanged
		}
		f.AwaitingFirst = true
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// Revoke revokes the active token with the given id or name.
func (s *Store) Revoke(idOrName string) (Token, error) {
	var revoked Token
	err := s.update(func(f *tokenFile) error {
		for i := range f.Tokens {
			t := &f.Tokens[i]
			if t.Active() && (t.ID == idOrName || t.Name == idOrName) {
				now := s.now().UTC()
				t.RevokedAt = &now
				revoked = *t
				return nil
			}
		}
		return fmt.Errorf("%w: no active token has id or name %q", ErrNotFound, idOrName)
	})
	return revoked, err
}

// Secure makes the token file readable by its owner only, if it exists
// and is not (a file restored from a backup or copied by hand): it is
// always written so. It logs the change at WARN.
func (s *Store) Secure() error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(s.path, 0o600); err != nil {
		return fmt.Errorf("token file %s is %v, not owner-only, and could not be changed: %w", s.path, fi.Mode().Perm(), err)
	}
	s.logger.Warn("token file was readable by others; made it owner-only", "path", s.path, "was", fi.Mode().Perm().String())
	return nil
}

// List returns every token issued, revoked ones included, in order of issue.
func (s *Store) List() ([]Token, error) {
	f, _, err := s.read()
	return f.Tokens, err
}

// Authenticate returns the principal a secret signs in, an UNAUTHENTICATED
// error, or an UNAVAILABLE one when the token file cannot be read (the
// detail, with the file's path, goes to the store's log, not to clients).
func (s *Store) Authenticate(secret string) (*Principal, error) {
	if err := s.refresh(); err != nil {
		return nil, err
	}
	h := hash(secret)
	s.mu.RLock()
	p := s.byHash[h]
	s.mu.RUnlock()
	if p == nil {
		return nil, Unauthenticated("the bearer token is unknown or revoked")
	}
	return p, nil
}

// refresh re-reads the file if it changed since it was last read. A file
// that cannot be read signs nobody in (UNAVAILABLE) until it is fixed:
// serving on the last good version would keep a token the operator just
// revoked by hand working.
func (s *Store) refresh() error {
	st, err := statFile(s.path)
	if err != nil {
		return s.unreadable(nil, err)
	}
	s.mu.RLock()
	same := st == s.stamp && s.byHash != nil
	known := s.bad != nil && *s.bad == st
	s.mu.RUnlock()
	switch {
	case same:
		return nil
	case known:
		return errUnavailable
	}
	f, read, err := s.read()
	if err != nil {
		return s.unreadable(&st, err)
	}
	byHash := make(map[string]*Principal, len(f.Tokens))
	byID := make(map[string]bool, len(f.Tokens))
	for _, t := range f.Tokens {
		if t.Active() {
			byHash[t.Hash] = &Principal{Name: t.Name, Role: t.Role, Body: t.Body, TokenID: t.ID}
			byID[t.ID] = true
		}
	}
	s.mu.Lock()
	recovered := s.bad != nil || s.badMsg != ""
	s.stamp, s.byHash, s.byID, s.bad, s.badMsg = read, byHash, byID, nil, ""
	s.mu.Unlock()
	if recovered {
		s.logger.Info("token file readable again: sign-in works", "path", s.path)
	}
	return nil
}

// errUnavailable is all a client learns of an unreadable token file: the
// path and the error are for the operator's log.
var errUnavailable = &Error{Code: CodeUnavailable,
	Message: "sign-in is unavailable: the server cannot read its tokens; try again later, or tell the server's operator"}

// unreadable records that the file (at version st, nil when it could not
// even be stat'ed) cannot be read, logs it once per version and error, and
// returns errUnavailable.
func (s *Store) unreadable(st *stamp, err error) error {
	s.mu.Lock()
	fresh := s.badMsg != err.Error() || (st != nil && (s.bad == nil || *s.bad != *st))
	s.bad, s.badMsg = st, err.Error()
	s.mu.Unlock()
	if fresh {
		s.logger.Error("token file unreadable: sign-in is unavailable until it is fixed (catalogue token list shows what is wrong)",
			"path", s.path, "err", err)
	}
	return errUnavailable
}

func statFile(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return stamp{}, nil
	}
	if err != nil {
		return stamp{}, fmt.Errorf("token file: %w", err)
	}
	st := stamp{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st, nil
}

// read returns the file's content (nil Tokens when it does not exist) and
// the stamp of the version read.
func (s *Store) read() (tokenFile, stamp, error) {
	for {
		before, err := statFile(s.path)
		if err != nil || !before.exists {
			return tokenFile{}, before, err
		}
		b, err := os.ReadFile(s.path)
		if errors.Is(err, os.ErrNotExist) {
			continue // replaced between stat and read
		}
		if err != nil {
			return tokenFile{}, stamp{}, fmt.Errorf("token file: %w", err)
		}
		var f tokenFile
		if err := json.Unmarshal(b, &f); err != nil {
			return tokenFile{}, stamp{}, fmt.Errorf("token file %s: %w", s.path, err)
		}
		if f.Tokens == nil {
			f.Tokens = []Token{}
		}
		after, err := statFile(s.path)
		if err != nil {
			return tokenFile{}, stamp{}, err
		}
		if after == before {
			return f, after, nil
		}
	}
}

var errUnchanged = errors.New("unchanged")

// update runs f on the file's content under an exclusive lock shared with
// other processes, and replaces the file with the result atomically. f gets
// nil Tokens when the file does not exist.
func (s *Store) update(f func(*tokenFile) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return err
	}
	lf, err := os.OpenFile(s.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("token file lock: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("token file lock: %w", err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	cur, _, err := s.read()
	if err != nil {
		return err
	}
	if err := f(&cur); err != nil {
		return err
	}
	if cur.Tokens == nil {
		cur.Tokens = []Token{}
	}
	b, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(s.path, append(b, '\n'))
}

// writeAtomic writes a file readable by its owner only, whole or not at
// all (atomicfile).
func writeAtomic(path string, b []byte) error { return atomicfile.WriteBytes(path, 0o600, b) }

// issue adds a new token to f and returns its secret.
func (s *Store) issue(f *tokenFile, spec Spec) (string, Token, error) {
	id, err := randomString(6, hex.EncodeToString)
	if err != nil {
		return "", Token{}, err
	}
	secret, err := randomString(32, base64.RawURLEncoding.EncodeToString)
	if err != nil {
		return "", Token{}, err
	}
	secret = "cat_" + secret
	name := strings.TrimSpace(spec.Name)
	if name == "" {
		name = string(spec.Role)
		if spec.Body != "" {
			name += "@" + spec.Body
		}
		name += "-" + id
	}
	for _, t := range f.Tokens {
		if t.Active() && t.Name == name {
			return "", Token{}, fmt.Errorf("an active token is already named %q (names are recorded as the actor of changes, so they must tell holders apart)", name)
		}
	}
	t := Token{ID: id, Name: name, Role: spec.Role, Body: strings.TrimSpace(spec.Body), Hash: hash(secret), CreatedAt: s.now().UTC()}
	f.Tokens = append(f.Tokens, t)
	f.AwaitingFirst = false // tokens are issued: the first start creates none
	return secret, t, nil
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randomString(n int, encode func([]byte) string) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return encode(b), nil
}
