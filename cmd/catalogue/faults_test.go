package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/catalogue/catalogue/eventstore/sqlite"
	"github.com/catalogue/catalogue/internal/pgserver"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// The fault tests run the real binary against PostgreSQL and break it on
// purpose: the projector process is killed (SIGKILL) in the middle of a
// batch, and the database is restarted under a steady write load. After
// each, the read model the process built must equal, row for row, one
// rebuilt from the same log by a process nobody disturbed
// (faultCompareSchemas): nothing lost, nothing applied twice.
//
// They watch the read model through its checkpoint table and the binary
// through /healthz, not through serve's log lines, whose wording may
// change.

// faultEvents is the size of the generated log of TestFaultProjectorSIGKILL:
// large enough that catching up takes a few seconds (so the kills land
// mid-catch-up, mid-batch), small enough that generating it, catching up
// and rebuilding the reference under -race stays within about half a
// minute on a two-core machine.
const faultEvents = 50_000

// TestFaultProjectorSIGKILL kills the serving process with SIGKILL three
// times while it catches a 50,000-event log up into a PostgreSQL read
// model — just after its first batch, about a third of the way and about
// two thirds of the way, each time a few milliseconds after a batch
// committed, so that the next batch is in flight — then lets a fourth
// process finish. A batch and its checkpoint are one transaction, so a kill
// must lose only uncommitted work, which the next process redoes from the
// checkpoint: the result must equal a reference rebuild exactly.
func TestFaultProjectorSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it against PostgreSQL")
	}
	pool, base := pgtest.Pool(t), pgtest.URL()
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	began := time.Now()
	runCLI(t, bin, "gen", "--data", data, "--events", fmt.Sprint(faultEvents))
	last := faultLastPosition(t, data)
	t.Logf("generated %d events in %s", last, time.Since(began).Round(time.Millisecond))

	schema := faultSchema(t, pool, "killed")
	readModel := faultReadModel(t, base, schema)
	seen := int64(0) // the highest checkpoint seen: it must never go back
	for i, frac := range []float64{0, 0.35, 0.7} {
		above := int64(frac * float64(last))
		p := faultServe(t, bin, data, readModel)
		var at int64
		faultWait(t, 60*time.Second, fmt.Sprintf("the checkpoint to pass %d", above), func() (bool, string) {
			pos, err := faultCheckpoint(pool, schema)
			at = pos
			return err == nil && pos > above, fmt.Sprintf("checkpoint %d, err %v\n%s", pos, err, p.output())
		})
		// A few milliseconds after a commit the next batch is being
		// decoded or written; vary the moment a little between kills.
		time.Sleep(time.Duration(3+7*i) * time.Millisecond)
		open := faultOpenTransactions(pool, schema)
		p.kill(t)
		after, err := faultCheckpoint(pool, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("kill %d: checkpoint %d when polled, %d after the kill (log ends at %d); %d transaction(s) open on the schema just before",
			i+1, at, after, last, open)
		if after >= last {
			t.Fatalf("kill %d came after the catch-up had finished (checkpoint %d of %d): the log is too small for this machine", i+1, after, last)
		}
		if after < seen || after < at {
			t.Fatalf("the checkpoint went back: %d after the kill, %d seen before", after, max(seen, at))
		}
		seen = after
	}

	p := faultServe(t, bin, data, readModel)
	faultWaitCaughtUp(t, p, pool, schema, last)
	t.Logf("caught up to %d after three kills; %s since the log was generated", last, time.Since(began).Round(time.Millisecond))
	p.stop(t)

	ref := faultSchema(t, pool, "reference")
	faultRebuild(t, pool, ref, data, last)
	faultCompareSchemas(t, pool, schema, ref, last)
}

// TestFaultPostgresRestart restarts PostgreSQL (a private server: the
// machine's shared one serves other test packages meanwhile) twice under a
// steady stream of writes through the API — once cleanly (pg_ctl stop -m
// fast, which terminates every session) and once as a crash (-m immediate)
// — each time down for two seconds. The same serve process must reconnect
// on its own, catch up, keep following the log and report healthy, and its
// read model must equal a reference rebuild exactly.
func TestFaultPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a private PostgreSQL server")
	}
	srv := pgserver.New(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	token := runCLI(t, bin, "token", "create", "--role", "legal_officer", "--name", "fault-writer", "--data", data)

	// The private server goes away with the test, and its schemas with it.
	schema := faultSchemaName("restarted")
	p := faultServe(t, bin, data, faultReadModel(t, srv.URL(), schema))
	faultWait(t, 60*time.Second, "serve to answer /healthz", func() (bool, string) {
		code, body := faultHealth(p.url)
		return code == http.StatusOK, fmt.Sprintf("%d %s\n%s", code, body, p.output())
	})

	c := &gqlClient{t: t, url: p.url + "/query"}
	for _, b := range [][4]string{{"370000", "山东省", "PROVINCE", ""}, {"370200", "青岛市", "CITY", "370000"},
		{"370202", "市南区", "DISTRICT", "370200"}, {"370203", "市北区", "DISTRICT", "370200"}} {
		in := map[string]any{"commandId": "body-" + b[0], "code": b[0], "name": b[1], "kind": b[2], "basis": "国家统计局统计用区划代码", "effectiveFrom": "2022-10-31"}
		if b[3] != "" {
			in["parent"] = b[3]
		}
		c.must(token, `mutation($in: RegisterBodyInput!) { registerBody(input: $in) { position } }`, map[string]any{"in": in})
	}

	w := faultStartWriter(p.url+"/query", token)
	defer w.halt()
	progress := func(what string, n int64) {
		t.Helper()
		faultWait(t, 30*time.Second, what, func() (bool, string) {
			failed, errs := w.errs()
			return w.done.Load() >= n, fmt.Sprintf("%d writes done, %d failed %v\n%s", w.done.Load(), failed, errs, p.output())
		})
	}
	for i, outage := range []struct {
		name string
		stop func()
	}{{"pg_ctl stop -m fast", srv.Stop}, {"pg_ctl stop -m immediate", srv.Kill}} {
		progress("writes before the outage", w.done.Load()+50)
		before, _ := faultCheckpoint(pool, schema) // only reported
		outage.stop()
		down := w.done.Load()
		time.Sleep(2 * time.Second)
		srv.Start()
		up, mark := time.Now(), faultLastPosition(t, data)
		t.Logf("outage %d (%s): checkpoint %d before; %d writes while PostgreSQL was down; the log at %d when it came back",
			i+1, outage.name, before, w.done.Load()-down, mark)
		// The projector's backoff starts at a second and doubles: after a
		// two-second outage it is back within seconds, far below this bound.
		faultWait(t, 45*time.Second, fmt.Sprintf("the projector to reconnect after outage %d and pass %d", i+1, mark), func() (bool, string) {
			p.mustBeRunning(t)
			pos, err := faultCheckpoint(pool, schema)
			code, body := faultHealth(p.url)
			return err == nil && pos >= mark && code == http.StatusOK,
				fmt.Sprintf("checkpoint %d (err %v), /healthz %d %s\n%s", pos, err, code, body, p.output())
		})
		t.Logf("outage %d: the read model passed %d %s after PostgreSQL came back", i+1, mark, time.Since(up).Round(time.Millisecond))
		progress("writes after the restart", w.done.Load()+100)
	}
	written := w.halt()
	if n, errs := w.errs(); n > 0 {
		t.Errorf("%d writes failed while PostgreSQL restarted (the log is SQLite, so none should), e.g. %v", n, errs)
	}
	last := faultLastPosition(t, data)
	t.Logf("%d writes; the log ends at %d", written, last)
	faultWaitCaughtUp(t, p, pool, schema, last)

	// Still following, not just caught up once: one more write reaches
	// the read model.
	res := c.must(token, `mutation($in: ListItemInput!) { listItem(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "after-the-restarts", "code": "FAULT-LAST", "name": "重启之后的事项", "level": "COUNTY", "department": "市行政审批服务局",
		"basis": "青政发〔2024〕99号", "effectiveFrom": "2024-01-01"}})
	var lastWrite int64
	if fmt.Sscan(res.str("listItem.position"), &lastWrite); lastWrite <= last {
		t.Fatalf("the write after the restarts is at %q, the log was at %d", res.str("listItem.position"), last)
	}
	faultWaitCaughtUp(t, p, pool, schema, lastWrite)

	p.mustBeRunning(t)
	p.stop(t)

	ref := faultSchemaName("reference")
	faultRebuild(t, pool, ref, data, lastWrite)
	faultCompareSchemas(t, pool, schema, ref, lastWrite)
}

// faultCompareSchemas is the heart of the fault tests: it holds that the
// read model in schema got equals the reference in schema want exactly —
// the same structure (a process killed while it changed the schema must
// not leave it different from one built without a fault) and the same
// multiset of rows in every table (pgtest: EXCEPT ALL both ways, so a row
// lost, a row written twice or a value that differs all show).
//
// The log table is also checked against the SQLite log on its own: the
// log's positions are gapless and every event in it is the catalogue's, so
// the table must hold exactly the positions 1..last.
func faultCompareSchemas(t *testing.T, pool *pgxpool.Pool, got, want string, last int64) {
	t.Helper()
	ctx := context.Background()
	pgtest.RequireSameStructure(t, pool, want, got)
	counts := pgtest.RequireSameRows(t, pool, got, want)
	g := pgx.Identifier{got}.Sanitize()
	var n, lo, hi int64
	if err := pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*), COALESCE(min(position), 0), COALESCE(max(position), 0) FROM %s.log", g)).
		Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if n != last || lo != 1 || hi != last {
		t.Errorf("the log table of %s holds %d rows, positions %d..%d; the event log holds 1..%d", got, n, lo, hi, last)
	}
	var cp int64
	if err := pool.QueryRow(ctx, fmt.Sprintf("SELECT position FROM %s.checkpoint", g)).Scan(&cp); err != nil || cp != last {
		t.Errorf("checkpoint of %s: %d (%v), want %d", got, cp, err, last)
	}
	if !t.Failed() {
		t.Logf("%s equals %s: rows per table %v", got, want, counts)
	}
}

// faultRebuild builds the reference read model: the whole SQLite log of
// data projected into a fresh schema in this process, from scratch, with
// no fault. The serve process must have stopped: a log file is opened by
// one store at a time.
func faultRebuild(t *testing.T, pool *pgxpool.Pool, schema, data string, last int64) {
	t.Helper()
	ctx := context.Background()
	began := time.Now()
	events, err := sqlite.Open(filepath.Join(data, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	store, err := postgres.New(ctx, pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := projections.Rebuild(ctx, events, store)
	if err != nil {
		t.Fatal(err)
	}
	if int64(pos) != last {
		t.Fatalf("the reference rebuild reached %d, the log ends at %d", pos, last)
	}
	t.Logf("reference %s rebuilt to %d in %s", schema, pos, time.Since(began).Round(time.Millisecond))
}

// faultWaitCaughtUp waits until the read model's checkpoint is at last and
// the process answers /healthz with 200; it fails at once if the process
// exits.
func faultWaitCaughtUp(t *testing.T, p *faultProc, pool *pgxpool.Pool, schema string, last int64) {
	t.Helper()
	faultWait(t, 90*time.Second, fmt.Sprintf("the read model to reach %d and /healthz to answer 200", last), func() (bool, string) {
		p.mustBeRunning(t)
		pos, err := faultCheckpoint(pool, schema)
		code, body := faultHealth(p.url)
		return err == nil && pos == last && code == http.StatusOK,
			fmt.Sprintf("checkpoint %d (err %v), /healthz %d %s\n%s", pos, err, code, body, p.output())
	})
}

var faultSchemas atomic.Int64

// faultSchemaName returns a fresh schema name, unique to this test process:
// the shared server serves other packages' tests in parallel.
func faultSchemaName(purpose string) string {
	return fmt.Sprintf("fault_%d_%d_%s", os.Getpid(), faultSchemas.Add(1), purpose)
}

// faultSchema returns a fresh schema name on the shared server and drops
// the schema when the test ends — after the processes the test started
// later, whose cleanups run first — so that the shared server is left as
// found. With it go any later generations of the read model
// (<name>_gN) and its row in the read-model registry, if the program
// made them.
func faultSchema(t *testing.T, pool *pgxpool.Pool, purpose string) string {
	t.Helper()
	name := faultSchemaName(purpose)
	t.Cleanup(func() {
		if err := pgtest.DropReadModel(context.Background(), pool, name); err != nil {
			t.Errorf("drop read model %s: %v", name, err)
		}
	})
	return name
}

// faultReadModel is serve's --readmodel for schema on the server at base.
func faultReadModel(t *testing.T, base, schema string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// faultCheckpoint reads the read model's checkpoint; an error while the
// schema is being created or the server is down.
func faultCheckpoint(pool *pgxpool.Pool, schema string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pos int64
	err := pool.QueryRow(ctx, "SELECT position FROM "+pgx.Identifier{schema}.Sanitize()+".checkpoint").Scan(&pos)
	return pos, err
}

// faultOpenTransactions counts the sessions with a transaction open that
// last ran a statement on schema: the projector's batch in flight. It is
// reported, not asserted: it shows that the kills land mid-batch.
func faultOpenTransactions(pool *pgxpool.Pool, schema string) int {
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query LIKE '%' || $1 || '%'`, schema).Scan(&n)
	return n
}

// faultLastPosition reads the last position of the SQLite log in data,
// read-only (it may be open in a running serve).
func faultLastPosition(t *testing.T, data string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "events.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last int64
	if err := db.QueryRow(`SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	return last
}

// faultHealth asks /healthz; code 0 when the process does not answer.
func faultHealth(base string) (int, string) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// faultWait polls cond every 5ms until it holds, failing the test after
// timeout with what cond last reported.
func faultWait(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; last: %s", timeout, what, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// faultBuild builds the binary as the end-to-end test does.
func faultBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "catalogue")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// faultProc is a running `catalogue serve`. Unlike startBinary it does not
// wait for the process to print that it serves: the fault tests act while
// it is still catching up, and rely on the read model's checkpoint and on
// /healthz at an address chosen in advance, not on the wording of its log.
type faultProc struct {
	*binary // cmd, url and exited; stop (SIGTERM) is the end-to-end test's
	out     *faultBuffer
	gone    chan struct{} // closed when the process has exited
	exitErr error         // how it exited, once gone is closed
}

func faultServe(t *testing.T, bin, data, readModel string) *faultProc {
	t.Helper()
	return startupStart(t, exec.Command(bin, "serve", "--data", data, "--readmodel", readModel))
}

// mustBeRunning fails the test if the process has exited: nothing restarts
// it, so the process answering is the one the test started.
func (p *faultProc) mustBeRunning(t *testing.T) {
	t.Helper()
	select {
	case <-p.gone:
		t.Fatalf("serve (pid %d) exited (%v); it must ride out the fault in the same process\n%s", p.cmd.Process.Pid, p.exitErr, p.output())
	default:
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *faultProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v\n%s", err, p.output())
	}
	select {
	case <-p.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not die of SIGKILL")
	}
}

// output is what the process printed so far (its last 4 KiB), for failures.
func (p *faultProc) output() string {
	s := p.out.String()
	if len(s) > 4096 {
		s = "…" + s[len(s)-4096:]
	}
	return s
}

// faultBuffer collects a process's output; written by exec's copying
// goroutines while the test reads it.
type faultBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *faultBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *faultBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// faultWriter appends to the log through the API at a steady pace, like a
// legal officer's import: items listed, every third one delegated to a
// district. It runs on its own goroutine, so it records errors rather
// than failing the test.
type faultWriter struct {
	done   atomic.Int64
	quit   chan struct{}
	exited chan struct{}
	mu     sync.Mutex
	failed []string
}

// faultWritePace is the pause between two writes.
const faultWritePace = 10 * time.Millisecond

func faultStartWriter(endpoint, token string) *faultWriter {
	w := &faultWriter{quit: make(chan struct{}), exited: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	call := func(query string, in map[string]any) (gqlResult, error) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"in": in}})
		req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return gqlResult{}, err
		}
		defer resp.Body.Close()
		var r gqlResult
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &r); err != nil {
			return r, fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		if len(r.Errors) > 0 {
			return r, fmt.Errorf("%s: %s", r.code(), r.Errors[0].Message)
		}
		return r, nil
	}
	go func() {
		defer close(w.exited)
		for i := 0; ; i++ {
			select {
			case <-w.quit:
				return
			case <-time.After(faultWritePace):
			}
			code := fmt.Sprintf("FAULT-%05d", i)
			res, err := call(`mutation($in: ListItemInput!) { listItem(input: $in) { itemId position } }`, map[string]any{
				"commandId": "list-" + code, "code": code, "name": fmt.Sprintf("压力测试事项%d", i), "level": "COUNTY",
				"department": "市行政审批服务局", "basis": "青政发〔2024〕1号", "effectiveFrom": "2024-01-01"})
			if err == nil && i%3 == 0 {
				w.done.Add(1)
				_, err = call(`mutation($in: DelegateItemInput!) { delegateItem(input: $in) { delegationId position } }`, map[string]any{
					"commandId": "delegate-" + code, "itemId": res.str("listItem.itemId"), "to": []string{"370202", "370203"}[i%2],
					"mode": "DEVOLVE", "basis": "青政发〔2024〕12号", "effectiveFrom": "2024-06-01"})
			}
			if err != nil {
				w.mu.Lock()
				w.failed = append(w.failed, fmt.Sprintf("%s: %v", code, err))
				w.mu.Unlock()
				continue
			}
			w.done.Add(1)
		}
	}()
	return w
}

// halt stops the writer, waits for the write in flight and returns how
// many writes succeeded. It may be called more than once.
func (w *faultWriter) halt() int64 {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.exited
	return w.done.Load()
}

// errs returns how many writes failed, and the first few errors.
func (w *faultWriter) errs() (int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.failed), slices.Clone(w.failed[:min(len(w.failed), 5)])
}
