package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// TestRolesShareReadModels runs the production shape with real processes:
// an event log in EventStoreDB (the in-process test server, over the real
// client), PostgreSQL read models migrated by `catalogue migrate`, one
// two processes with --role projector started at once (one takes the lock
// and projects, the other stands by) and one with --role api, which never
// writes the read models. A write through the API process is read back
// there with waitFor — read-your-writes across processes, woken by the
// projector's notifications. Then the active projector is killed
// (SIGKILL) and the standby takes over; then it is killed too and a
// process with --role all takes over, while the API process goes on
// answering.
func TestRolesShareReadModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pool, base := pgtest.Pool(t), pgtest.URL()
	srv, err := esdbtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	bin := faultBuild(t)
	schema := faultSchema(t, pool, "roles")
	rm := faultReadModel(t, base, schema)
	dir := t.TempDir()

	// Told not to migrate, serve refuses a schema nobody migrated.
	out, err := exec.Command(bin, "serve", "--data", filepath.Join(dir, "early"), "--addr", "127.0.0.1:0", "--events", srv.URL(),
		"--readmodel", rm, "--role", "api", "--migrate=false").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "catalogue migrate") {
		t.Fatalf("serve --migrate=false on an unmigrated schema: %v\n%s", err, out)
	}
	// The API role needs shared read models.
	if out, err := exec.Command(bin, "serve", "--data", filepath.Join(dir, "mem"), "--role", "api").CombinedOutput(); err == nil || !strings.Contains(string(out), "--events esdb") {
		t.Fatalf("serve --role api in memory: %v\n%s", err, out)
	}
	if got := runCLI(t, bin, "migrate", "--readmodel", rm); !strings.Contains(got, schema) {
		t.Fatalf("migrate: %s", got)
	}

	common := []string{"--events", srv.URL(), "--readmodel", rm, "--migrate=false"}
	// Two projectors started at once: one takes the lock, one stands by.
	var projectors [2]*binary
	var started sync.WaitGroup
	for i := range projectors {
		started.Go(func() {
			projectors[i] = startBinary(t, bin, filepath.Join(dir, fmt.Sprint("projector", i)), append(common, "--role", "projector")...)
		})
	}
	started.Wait()
	api := startBinary(t, bin, filepath.Join(dir, "api"), append(common, "--role", "api")...)
	admin := api.firstToken
	c := &gqlClient{t: t, url: api.url + "/query"}
	requireHealth(t, api.url, "api", false)
	active, standby := projectors[0], projectors[1]
	if !waitProjecting(active.url, time.Second) {
		active, standby = standby, active
	}
	requireHealth(t, active.url, "projector", true)
	requireHealth(t, standby.url, "projector", false)

	listAndRead := func(code string, want int) {
		t.Helper()
		pos := c.must(admin, `mutation($in: ListItemInput!) { listItem(input: $in) { position } }`, map[string]any{"in": map[string]any{
			"commandId": "roles-" + code, "code": code, "name": "食品经营许可" + code, "authority": "市场监督管理局", "department": "市场监管局",
			"level": "COUNTY", "subItems": []any{}, "basis": "国发〔2023〕1号", "effectiveFrom": "2023-03-01"}}).str("listItem.position")
		got := c.must("", `query($p: Position) { catalogue(waitFor: $p) { totalCount nodes { name } } }`, map[string]any{"p": pos})
		if n := got.num("catalogue.totalCount"); n != want {
			t.Fatalf("after writing %s at %s the API process reads %d items, want %d", code, pos, n, want)
		}
	}
	listAndRead("000101001000", 1)
	requireHealth(t, standby.url, "projector", false) // still only one

	// The active projector dies; the standby takes over.
	if err := active.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-active.exited
	requireHealth(t, standby.url, "projector", true)
	listAndRead("000101002000", 2)

	// It dies too; a process with role all takes over.
	if err := standby.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-standby.exited
	all := startBinary(t, bin, filepath.Join(dir, "all"), append(common, "--role", "all")...)
	requireHealth(t, all.url, "all", true)
	listAndRead("000101003000", 3)
	requireHealth(t, api.url, "api", false)
	api.stop(t)
	all.stop(t)
}

// waitProjecting reports whether the process at base reports projecting
// within d.
func waitProjecting(base string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, body := faultHealth(base); code == 200 && strings.Contains(body, `"projecting":true`) {
			return true
		}
	}
	return false
}

// requireHealth waits (the projector lock is taken in the background) for
// /healthz to report the role and whether the process projects.
func requireHealth(t *testing.T, base, role string, projecting bool) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, body := faultHealth(base)
		last = body
		var h struct {
			Role       string `json:"role"`
			Projecting bool   `json:"projecting"`
		}
		if code == 200 && json.Unmarshal([]byte(body), &h) == nil && h.Role == role && h.Projecting == projecting {
			return
		}
	}
	t.Fatalf("%s: /healthz never reported role %s, projecting %v: %s", base, role, projecting, last)
}

// TestRebuildBesideServe runs `catalogue rebuild` while `serve` holds the
// data directory and answers from PostgreSQL: the rebuild reads the SQLite
// log beside it, fills <schema>_g2, switches, and the running service goes
// on answering the same — and projecting new writes into the new
// generation.
func TestRebuildBesideServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pool, base := pgtest.Pool(t), pgtest.URL()
	bin := faultBuild(t)
	schema := faultSchema(t, pool, "rebuild")
	rm := faultReadModel(t, base, schema)
	data := filepath.Join(t.TempDir(), "data")
	runCLI(t, bin, "demo", "--data", data)
	srv := startBinary(t, bin, data, "--readmodel", rm)
	c := &gqlClient{t: t, url: srv.url + "/query"}
	const page = `{ catalogue(first: 100, inForceOn: "2024-06-01") { totalCount nodes { code name delegations { to mode status } } } }`
	before := c.raw("", page)

	out := runCLI(t, bin, "rebuild", "--data", data, "--readmodel", rm, "--grace", "100ms")
	if !strings.Contains(out, schema+"_g2") {
		t.Fatalf("rebuild: %s", out)
	}
	var active string
	if err := pool.QueryRow(t.Context(), "SELECT active FROM catalogue_meta.read_models WHERE name = $1", schema).Scan(&active); err != nil || active != schema+"_g2" {
		t.Fatalf("registry: %q %v", active, err)
	}
	if after := c.raw("", page); after != before {
		t.Fatalf("the answer changed with the rebuild:\nbefore %s\nafter  %s", before, after)
	}
	pos := c.must(srv.firstToken, `mutation($in: ListItemInput!) { listItem(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "after-rebuild", "code": "999999999000", "name": "重建后新增事项", "authority": "市场监督管理局", "department": "市场监管局",
		"level": "COUNTY", "subItems": []any{}, "basis": "国发〔2023〕1号", "effectiveFrom": "2023-03-01"}}).str("listItem.position")
	got := c.must("", `query($p: Position) { catalogue(waitFor: $p, filter: {text: "重建后新增"}) { totalCount } }`, map[string]any{"p": pos})
	if got.num("catalogue.totalCount") != 1 {
		t.Fatalf("a write after the rebuild is not read back: %+v", got)
	}
	var cp int64
	if err := pool.QueryRow(t.Context(), "SELECT position FROM "+schema+"_g2.checkpoint").Scan(&cp); err != nil || fmt.Sprint(cp) != pos {
		t.Fatalf("the new generation's checkpoint is %d (%v), the write was at %s", cp, err, pos)
	}
	srv.stop(t)

	// The same read models with another log (a new data directory) are
	// refused at start, not mixed with it.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	refused, err := exec.CommandContext(ctx, bin, "serve", "--data", filepath.Join(t.TempDir(), "other"), "--addr", "127.0.0.1:0", "--readmodel", rm).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(refused), "another event log") {
		t.Fatalf("serve on read models of another log: %v\n%s", err, refused)
	}
}
