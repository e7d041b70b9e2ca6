package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// The start-up tests run the real binary on data directories damaged the
// way an unlucky operator damages them, and check that serve refuses them
// with a message that says what is wrong and how to recover; and that
// SIGKILL at any moment never leaves a log that serve refuses or that
// lacks an acknowledged command.

// startupServe starts `catalogue serve` on data with extra flags and waits
// until /healthz answers 200.
func startupServe(t *testing.T, bin, data string, extra ...string) *faultProc {
	t.Helper()
	p := startupStart(t, exec.Command(bin, append([]string{"serve", "--data", data}, extra...)...))
	faultWait(t, 60*time.Second, "serve to answer /healthz", func() (bool, string) {
		select {
		case <-p.gone:
			t.Fatalf("serve exited (%v):\n%s", p.exitErr, p.output())
		default:
		}
		code, body := faultHealth(p.url)
		return code == 200, fmt.Sprintf("%d %s\n%s", code, body, p.output())
	})
	return p
}

// startupStart starts cmd, a serve command line, on a free address.
func startupStart(t *testing.T, cmd *exec.Cmd) *faultProc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd.Args = append(cmd.Args, "--addr", addr)
	out := &faultBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &faultProc{binary: &binary{cmd: cmd, url: "http://" + addr, exited: make(chan error, 1)}, out: out, gone: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.exitErr = err
		close(p.gone)
		p.exited <- err
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-p.gone })
	return p
}

// requireRefused runs serve on data and requires it to exit with an error
// whose output says each of says, within 30 seconds.
func requireRefused(t *testing.T, cmd *exec.Cmd, says ...string) string {
	t.Helper()
	p := startupStart(t, cmd)
	select {
	case <-p.gone:
	case <-time.After(30 * time.Second):
		code, body := faultHealth(p.url)
		t.Fatalf("serve started (/healthz %d %s) on a log it should refuse:\n%s", code, body, p.output())
	}
	if p.exitErr == nil {
		t.Fatalf("serve exited without an error:\n%s", p.output())
	}
	for _, want := range says {
		if !strings.Contains(p.output(), want) {
			t.Fatalf("serve's refusal does not say %q:\n%s", want, p.output())
		}
	}
	return p.output()
}

// listItems lists n items through the API, codes prefix-0 …, and returns
// the acknowledged positions by code.
func listItems(t *testing.T, url, token, prefix string, n int) map[string]int {
	t.Helper()
	c := &gqlClient{t: t, url: url + "/query"}
	acked := map[string]int{}
	for i := range n {
		code := fmt.Sprintf("%s-%04d", prefix, i)
		res := c.must(token, listItemMutation, listItemInput(code))
		pos, err := strconv.Atoi(res.str("listItem.position"))
		if err != nil {
			t.Fatalf("position %v: %v", res.get("listItem.position"), err)
		}
		acked[code] = pos
	}
	return acked
}

const listItemMutation = `mutation($in: ListItemInput!) { listItem(input: $in) { itemId position } }`

func listItemInput(code string) map[string]any {
	return map[string]any{"in": map[string]any{"commandId": "list-" + code, "code": code, "name": "启动检查事项" + code, "level": "COUNTY",
		"department": "市行政审批服务局", "basis": "青政发〔2024〕1号", "effectiveFrom": "2024-01-01"}}
}

// TestServeRefusesLogMissingItsWAL: commands are acknowledged, the process
// is killed (SIGKILL: the WAL is not checkpointed into events.db), and an
// operator deletes events.db-wal. serve must refuse the log — the positions
// of the lost commands would be handed out again — and say what happened
// and how to recover; --accept-damaged-log starts it.
func TestServeRefusesLogMissingItsWAL(t *testing.T) {
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "wal", "--data", data)
	p := startupServe(t, bin, data)
	acked := listItems(t, p.url, token, "WAL", 39)
	p.kill(t)
	if err := os.Remove(filepath.Join(data, "events.db-wal")); err != nil {
		t.Fatal(err)
	}

	requireRefused(t, exec.Command(bin, "serve", "--data", data), "acknowledged events are missing", "events.db-wal", "--accept-damaged-log")
	p = startupServe(t, bin, data, "--accept-damaged-log")
	t.Logf("%d commands acknowledged; the log holds %d events after the WAL was deleted", len(acked), faultLastPosition(t, data))
	p.stop(t)
}

// TestServeRefusesEmptyOrMissingLog: events.db emptied or removed in a
// data directory that held a log.
func TestServeRefusesEmptyOrMissingLog(t *testing.T) {
	bin := faultBuild(t)
	for _, how := range []string{"empty", "missing"} {
		data := filepath.Join(t.TempDir(), "data")
		token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", how, "--data", data)
		p := startupServe(t, bin, data)
		listItems(t, p.url, token, how, 3)
		p.stop(t)
		db := filepath.Join(data, "events.db")
		if how == "empty" {
			if err := os.Truncate(db, 0); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Remove(db); err != nil {
			t.Fatal(err)
		}
		requireRefused(t, exec.Command(bin, "serve", "--data", data), "from a backup", "--accept-damaged-log")
	}
}

// TestServeRefusesCorruptLog: a damaged index page is found at start by
// PRAGMA quick_check.
func TestServeRefusesCorruptLog(t *testing.T) {
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "corrupt", "--data", data)
	p := startupServe(t, bin, data)
	listItems(t, p.url, token, "CORRUPT", 20)
	p.stop(t)

	path := filepath.Join(data, "events.db")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	err = db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name LIMIT 1`).Scan(&root)
	if err == nil {
		err = db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt(bytes.Repeat([]byte{0xEE}, 64), (root-1)*pageSize+8) // the cell pointers
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, exec.Command(bin, "serve", "--data", data), "quick_check", ".recover")
}

// TestServeRefusesUnwritableLog: an events.db its process may not write
// (mode 0444) was opened read-only by SQLite, the service reported healthy
// and every mutation answered INTERNAL. serve must refuse it at start. The
// binary runs as an unprivileged user when the test runs as root, for whom
// modes mean nothing.
func TestServeRefusesUnwritableLog(t *testing.T) {
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "ro", "--data", data)
	p := startupServe(t, bin, data)
	p.stop(t)
	cmd := exec.Command(bin, "serve", "--data", data)
	if os.Geteuid() == 0 {
		cmd = asNobody(t, bin, data)
		data = cmd.Args[len(cmd.Args)-1]
	}
	if err := os.Chmod(filepath.Join(data, "events.db"), 0o444); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, cmd, "cannot be written", "events.db")
}

// asNobody copies bin where any user may run it, moves data beside it,
// gives it to the user nobody and returns a serve command on it that runs
// as that user.
func asNobody(t *testing.T, bin, data string) *exec.Cmd {
	t.Helper()
	const nobody = 65534
	dir, err := os.MkdirTemp("", "catalogue-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	copied := filepath.Join(dir, "catalogue")
	b, err := os.ReadFile(bin)
	if err == nil {
		err = os.WriteFile(copied, b, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	owned := filepath.Join(dir, "data")
	if err := os.Rename(data, owned); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(owned, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copied, "serve", "--data", owned)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// TestHealthzReportsFailingWrites: a log that cannot grow (the file size
// limit stands in for a full disk) makes every mutation fail; /healthz
// must say so — 503, writable false and the error — instead of ok.
func TestHealthzReportsFailingWrites(t *testing.T) {
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "full", "--data", data)
	p := startupServe(t, bin, data)
	p.stop(t)
	// ulimit -f counts 512-byte blocks in sh: 1 MiB for the WAL to fill.
	p = startupStartHealthy(t, exec.Command("sh", "-c", `ulimit -f 2048 && exec "$0" "$@"`, bin, "serve", "--data", data))
	c := &gqlClient{t: t, url: p.url + "/query"}
	failed := ""
	for i := 0; i < 2000 && failed == ""; i++ {
		code := fmt.Sprintf("FULL-%04d", i)
		if r := c.do(token, listItemMutation, listItemInput(code)); len(r.Errors) > 0 {
			failed = r.code()
		}
	}
	if failed == "" {
		t.Fatal("2,000 mutations fitted in a 1 MiB file: the limit did not bite")
	}
	code, body := faultHealth(p.url)
	var h struct {
		Status     string `json:"status"`
		Writable   *bool  `json:"writable"`
		WriteError string `json:"writeError"`
	}
	json.Unmarshal([]byte(body), &h)
	if code != http.StatusServiceUnavailable || h.Writable == nil || *h.Writable || h.WriteError == "" {
		t.Fatalf("mutations fail (%s) but /healthz answers %d %s", failed, code, body)
	}
	t.Logf("mutation answered %s; /healthz %d %s", failed, code, body)
}

// startupStartHealthy is startupServe for a prepared command.
func startupStartHealthy(t *testing.T, cmd *exec.Cmd) *faultProc {
	t.Helper()
	p := startupStart(t, cmd)
	faultWait(t, 60*time.Second, "serve to answer /healthz", func() (bool, string) {
		code, body := faultHealth(p.url)
		return code == 200, fmt.Sprintf("%d %s\n%s", code, body, p.output())
	})
	return p
}

// TestDataDirOwnerOnly: the data directory and the log's files are their
// owner's only, also when the directory existed readable by others.
func TestDataDirOwnerOnly(t *testing.T) {
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	p := startupServe(t, bin, data)
	defer p.stop(t)
	want := map[string]os.FileMode{"": 0o700, "events.db": 0o600, "events.db-wal": 0o600, "events.db-shm": 0o600, "events.db.head": 0o600, "LOCK": 0o600}
	for name, mode := range want {
		st, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %o, want %o", filepath.Join(data, name), st.Mode().Perm(), mode)
		}
	}
}

// TestStandbyOnCopyRefusesWrites: a second serve on a copy of the data
// directory, sharing the first one's PostgreSQL read models, stands by
// while the first projects; what its own log took would never be
// projected, so it must refuse writes (UNAVAILABLE, WRITES_REFUSED) and
// say so on /healthz. Once the first has written, the copy is another log
// and is refused even when its projector takes over.
func TestStandbyOnCopyRefusesWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it against PostgreSQL")
	}
	pool, base := pgtest.Pool(t), pgtest.URL()
	bin := faultBuild(t)
	first := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "copy", "--data", first)
	schema := faultSchema(t, pool, "copy")
	readModel := faultReadModel(t, base, schema)
	a := startupServe(t, bin, first, "--readmodel", readModel)
	listItems(t, a.url, token, "BEFORE", 3)
	a.stop(t)
	second := filepath.Join(t.TempDir(), "data")
	if out, err := exec.Command("cp", "-a", first, second).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}

	a = startupServe(t, bin, first, "--readmodel", readModel)
	if !waitProjecting(a.url, 30*time.Second) {
		t.Fatalf("the first serve does not project:\n%s", a.output())
	}
	b := startupServe(t, bin, second, "--readmodel", readModel)
	// The two logs are alike so far: whichever holds the projector lock is
	// the read models' log, the other stands by (the first usually).
	projector, standby := a, b
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("first serve:\n%s\nsecond serve:\n%s", a.output(), b.output())
		}
	})
	if _, body := faultHealth(b.url); strings.Contains(body, `"projecting":true`) {
		projector, standby = b, a
	}
	requireRefusedWrite(t, standby.url, token, "COPY-0")
	code, body := faultHealth(standby.url)
	if !strings.Contains(body, `"writable":false`) || !strings.Contains(body, "stands by") {
		t.Fatalf("/healthz of the standby on the copy: %d %s", code, body)
	}

	after := listItems(t, projector.url, token, "AFTER", 2) // the standby's log is now another log
	// Once the read models have them, the standby's log is another log.
	// (Were the projector killed before projecting them, the standby
	// would take over with the log it has: nothing in the read models
	// says that the dead process's log held more.)
	faultWait(t, 30*time.Second, "the read models to project the new writes", func() (bool, string) {
		pos, err := faultCheckpoint(pool, schema)
		return err == nil && pos >= int64(max(after["AFTER-0000"], after["AFTER-0001"])), fmt.Sprintf("checkpoint %d, err %v", pos, err)
	})
	projector.kill(t)
	requireRefusedWrite(t, standby.url, token, "COPY-1")
	faultWait(t, 30*time.Second, "the standby's /healthz to report 503", func() (bool, string) {
		code, body := faultHealth(standby.url)
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"writable":false`), fmt.Sprintf("%d %s", code, body)
	})
	_, body = faultHealth(standby.url)
	t.Logf("the standby on the copy, after the projector died: %s", body)
}

// requireRefusedWrite requires a mutation at url to be refused with
// UNAVAILABLE / WRITES_REFUSED.
func requireRefusedWrite(t *testing.T, url, token, code string) {
	t.Helper()
	c := &gqlClient{t: t, url: url + "/query"}
	r := c.do(token, listItemMutation, listItemInput(code))
	if r.code() != "UNAVAILABLE" || r.Errors[0].Extensions["reason"] != "WRITES_REFUSED" {
		t.Fatalf("a write on a log the read models are not built from: %+v %+v", r.Data, r.Errors)
	}
}

var killCycles = flag.Int("kill-cycles", 0, "cycles of TestKillLoop (default 30, or $CATALOGUE_KILL_CYCLES)")

// TestKillLoop kills serve with SIGKILL at random moments while four
// clients write through the API, restarts it and checks, after every
// restart, that every command it acknowledged is in the log at the
// position it was given, once, and that the positions have no gaps — and
// that the start-up checks never refuse a log that SIGKILL left, also in
// the middle of a start (every third cycle). 30
// cycles by default; -kill-cycles=100 (or CATALOGUE_KILL_CYCLES=100) runs
// more.
func TestKillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cycles := 30
	if n, err := strconv.Atoi(os.Getenv("CATALOGUE_KILL_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	if *killCycles > 0 {
		cycles = *killCycles
	}
	const writers = 4
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "killer", "--data", data)
	began := time.Now()

	acked := map[string]killAck{} // by command id
	var mu sync.Mutex
	sent, refused := 0, []string{} // refused: answered with an error
	earlyKills := 0
	for cycle := range cycles {
		if cycle%3 == 2 {
			// Killed while it starts: opening the log, checking it,
			// recording its head, rebuilding the read models.
			early := startupStart(t, exec.Command(bin, "serve", "--data", data))
			time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
			early.kill(t)
			earlyKills++
		}
		p := startupServe(t, bin, data)
		checkAcked(t, data, acked)

		stop := make(chan struct{})
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for w := range writers {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					code := fmt.Sprintf("K%03d-%d-%04d", cycle, w, i)
					mu.Lock()
					sent++
					mu.Unlock()
					id, pos, err := killLoopWrite(client, p.url, token, code)
					var noAnswer *noAnswerError
					if errors.As(err, &noAnswer) {
						return // the process died: the outcome is unknown
					}
					mu.Lock()
					if err != nil {
						refused = append(refused, fmt.Sprintf("%s: %v", code, err))
					} else {
						acked["list-"+code] = killAck{itemID: id, pos: pos}
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		p.kill(t)
		close(stop)
		wg.Wait()
	}
	p := startupServe(t, bin, data)
	last := checkAcked(t, data, acked)
	p.stop(t)
	if len(refused) > 0 {
		t.Errorf("%d commands were answered with an error, as: %v", len(refused), refused[:min(5, len(refused))])
	}
	t.Logf("%d SIGKILLs with %d writers (and %d more while serve started) in %s: %d commands sent, %d acknowledged, %d acknowledged present at their positions, 0 lost, 0 duplicated, %d in flight at a kill; the log holds %d events without gaps; no restart refused",
		cycles, writers, earlyKills, time.Since(began).Round(time.Second), sent, len(acked), len(acked), sent-len(acked)-len(refused), last)
}

// noAnswerError is a request the server did not answer: it died.
type noAnswerError struct{ error }

// killAck is an acknowledged listing: its item and position.
type killAck struct {
	itemID string
	pos    int
}

// killLoopWrite lists one item: the item and position acknowledged, or an
// error, a noAnswerError if the server did not answer.
func killLoopWrite(client *http.Client, url, token, code string) (itemID string, pos int, err error) {
	body, _ := json.Marshal(map[string]any{"query": listItemMutation, "variables": listItemInput(code)})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, &noAnswerError{err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", 0, &noAnswerError{err} // cut off mid-answer
	}
	var r gqlResult
	if err := json.Unmarshal(b, &r); err != nil {
		return "", 0, fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	if len(r.Errors) > 0 {
		return "", 0, fmt.Errorf("%s: %s", r.code(), r.Errors[0].Message)
	}
	pos, err = strconv.Atoi(r.str("listItem.position"))
	if err != nil || r.str("listItem.itemId") == "" {
		return "", 0, fmt.Errorf("no item or position in %s", b)
	}
	return r.str("listItem.itemId"), pos, nil
}

// checkAcked checks the log in data (read-only, beside the running serve)
// against the acknowledged commands: each one's item stream holds exactly
// one event, at the acknowledged position, recorded for that command; the
// positions run from 1 without a gap. It returns the last position.
func checkAcked(t *testing.T, data string, acked map[string]killAck) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "events.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var count, last int
	if err := db.QueryRow(`SELECT count(*), COALESCE(MAX(position), 0) FROM events`).Scan(&count, &last); err != nil {
		t.Fatal(err)
	}
	if count != last {
		t.Fatalf("the log holds %d events up to position %d: positions have gaps", count, last)
	}
	present := 0
	for cmd, a := range acked {
		rows, err := db.Query(`SELECT position, json_extract(metadata, '$.commandId') FROM events WHERE stream = ?`, "item-"+a.itemID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var p int
			var c sql.NullString
			rows.Scan(&p, &c)
			got = append(got, fmt.Sprintf("%d %s", p, c.String))
		}
		rows.Close()
		if len(got) != 1 || got[0] != fmt.Sprintf("%d %s", a.pos, cmd) {
			t.Fatalf("command %s was acknowledged at position %d; its item stream holds %v", cmd, a.pos, got)
		}
		present++
	}
	if present != len(acked) {
		t.Fatalf("%d of %d acknowledged commands present", present, len(acked))
	}
	return last
}
