// Package pgserver runs a private PostgreSQL server for one test, so that a
// test may stop, crash and restart its database without touching the
// machine's shared server, which other test packages use at the same time.
//
// A Server is a throwaway cluster: initdb into the test's temporary
// directory, trust authentication, fsync off, its unix socket inside that
// directory and TCP on 127.0.0.1 at a free port. It is removed when the
// test ends. fsync is off, but commits are synchronous: a crashed server
// (Kill) comes back with every commit it acknowledged, as a real one does.
//
// The server process (postgres itself, not a daemon left behind by
// pg_ctl) is a child of the test binary with a parent-death signal, so a
// test binary that dies — a panic, go test's timeout, a SIGKILL — takes its
// servers with it instead of leaving postmasters holding ports on a shared
// machine. pg_ctl is still what stops it (pg_ctl stop -m fast or
// immediate), the same way an operator or a crash would.
//
// initdb and postgres refuse to run as root, and tests often do (in CI
// containers): as root the cluster's directory is given to the "postgres"
// OS user and the binaries run as that user.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a private PostgreSQL server. Its methods must be called from the
// test's goroutine: they end the test (t.Fatal) when the server misbehaves.
type Server struct {
	t    testing.TB
	bin  string // directory of initdb, pg_ctl and postgres
	dir  string // the cluster's directory: data/, the socket, the log
	data string
	log  string
	port int
	cred *syscall.Credential // non-nil when running as root: run as postgres

	mu     sync.Mutex
	proc   *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when proc has exited (and been reaped)
}

// ReadyTimeout bounds how long Start waits for the server to accept
// connections.
var ReadyTimeout = 60 * time.Second

// New creates and starts a private server for t, removed when t ends.
// When PostgreSQL's binaries cannot be found (or, as root, there is no
// "postgres" user to run them), the test fails under CI (CI=true), where
// a skipped test would hide a missing dependency, and is skipped elsewhere.
func New(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinaries()
	if err == nil && os.Geteuid() == 0 {
		_, err = postgresUser()
	}
	if err != nil {
		msg := "private PostgreSQL server: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	s.data = filepath.Join(s.dir, "data")
	s.log = filepath.Join(s.dir, "postgres.log")
	if os.Geteuid() == 0 {
		s.cred, _ = postgresUser()
		// t.TempDir's parent is created 0700; postgres needs to pass
		// through it to reach its own directory.
		if err := os.Chmod(filepath.Dir(s.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	s.port = freePort(t)
	out, err := s.command("initdb", "--pgdata", s.data, "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	t.Cleanup(s.cleanup)
	s.Start()
	return s
}

// URL is the connection string of the server's "postgres" database as its
// superuser "postgres", for pgx and for catalogue's --readmodel.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Port is the TCP port the server listens on; it stays the same across
// restarts.
func (s *Server) Port() int { return s.port }

// Start starts the server (stopped by Stop or Kill) on its port and returns
// once it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	if s.proc != nil {
		s.mu.Unlock()
		s.t.Fatal("pgserver: Start: the server is running")
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	cmd := s.command("postgres", "-D", s.data, "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		// A test's data need not survive the machine, only the server:
		// commits still write the WAL (to the OS) before they return,
		// so a crash (Kill) loses nothing acknowledged; nothing waits
		// for the disk.
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=100")
	cmd.Stdout, cmd.Stderr = logf, logf
	// Immediate shutdown (SIGQUIT) if the test binary dies first.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	err = cmd.Start()
	logf.Close()
	if err != nil {
		s.mu.Unlock()
		s.t.Fatalf("pgserver: start postgres: %v", err)
	}
	exited := make(chan struct{})
	s.proc, s.exited = cmd, exited
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.mu.Unlock()

	deadline := time.Now().Add(ReadyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL())
		if err == nil {
			conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-exited:
			s.mu.Lock()
			s.proc = nil
			s.mu.Unlock()
			s.t.Fatalf("pgserver: postgres exited at start: %v\n%s", cmd.ProcessState, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("pgserver: postgres not ready after %s: %v\n%s", ReadyTimeout, err, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down the way an operator restarting it does
// (pg_ctl stop -m fast: sessions are terminated, FATAL 57P01, and the
// server checkpoints and exits) and returns once it has exited.
func (s *Server) Stop() { s.t.Helper(); s.stop("fast") }

// Kill stops the server as a crash would (pg_ctl stop -m immediate: every
// process quits at once, without a checkpoint; the next Start recovers
// from the WAL) and returns once it has exited.
func (s *Server) Kill() { s.t.Helper(); s.stop("immediate") }

// Restart stops the server (fast) and starts it again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

func (s *Server) stop(mode string) {
	s.t.Helper()
	s.mu.Lock()
	proc, exited := s.proc, s.exited
	s.mu.Unlock()
	if proc == nil {
		s.t.Fatal("pgserver: stop: the server is not running")
	}
	if err := s.pgCtlStop(mode); err != nil {
		s.t.Fatalf("pgserver: pg_ctl stop -m %s: %v\n%s", mode, err, s.logTail())
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("pgserver: postgres did not exit after pg_ctl stop -m %s\n%s", mode, s.logTail())
	}
	s.mu.Lock()
	s.proc = nil
	s.mu.Unlock()
}

func (s *Server) pgCtlStop(mode string) error {
	out, err := s.command("pg_ctl", "stop", "-D", s.data, "-m", mode, "-w", "-t", "30").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// cleanup stops a server still running when the test ends; the directory
// itself is t.TempDir's.
func (s *Server) cleanup() {
	s.mu.Lock()
	proc, exited := s.proc, s.exited
	s.proc = nil
	s.mu.Unlock()
	if proc == nil {
		return
	}
	if err := s.pgCtlStop("immediate"); err != nil {
		proc.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		proc.Process.Kill()
		<-exited
	}
}

// Log returns the server's log so far, for a failing test to show.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

func (s *Server) logTail() string {
	l := s.Log()
	if len(l) > 4000 {
		l = "…" + l[len(l)-4000:]
	}
	return l
}

// command returns a command running one of PostgreSQL's binaries, as the
// postgres user when the test runs as root.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	// The test's environment may point libpq-based tools elsewhere.
	env := []string{"LC_ALL=C", "LANG=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// findBinaries returns the directory holding initdb, pg_ctl and postgres:
// pg_config --bindir when pg_config is on the PATH (Debian's pg_config
// names the newest installed version), else the newest
// /usr/lib/postgresql/*/bin, else the directory of initdb on the PATH.
func findBinaries() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	dirs = append(dirs, matches...)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if hasBinaries(d) {
			return d, nil
		}
	}
	return "", errors.New("initdb, pg_ctl and postgres not found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH); install the PostgreSQL server")
}

func version(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// postgresUser returns the credential of the "postgres" OS user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and initdb refuses root: no \"postgres\" user to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a TCP port free on 127.0.0.1 now. Another process could
// take it before the server binds it; Start then fails with the log.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
