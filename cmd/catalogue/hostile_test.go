package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph/hostile"
)

// Budgets of the hostile-input test: every request refused or answered
// within a second of the server's CPU, and the server's resident memory
// under 200 MB after all of them.
const (
	hostileCPUPerRequest = time.Second
	hostileMaxRSS        = 200 << 20
)

// TestHostileRequests sends the real binary (built without -race) about a
// thousand requests meant to exhaust it — fragment fan-out up to 2^60,
// fields repeated 9,990 times, chains of fragments, thousands of
// operations, deep nesting, thousands of aliases, big variables, malformed
// bodies, and 600 whitespace-padded copies of one question meant to fill
// its caches — first to a server that answers anonymous requests, then
// (a shorter run, with the cache fillers signed in) to one that does not.
// Each request must be answered within hostileCPUPerRequest of the
// server's CPU (utime+stime from /proc/<pid>/stat), and the server's RSS
// stay under hostileMaxRSS.
func TestHostileRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to read the server's CPU time and memory")
	}
	bin := faultBuild(t)
	data := filepath.Join(t.TempDir(), "data")
	runCLI(t, bin, "demo", "--data", data) // a log, so that answers are cached by position

	t.Run("anonymous reading", func(t *testing.T) {
		srv := startBinary(t, bin, data)
		awaitExit(t, srv)
		h := &hostileClient{t: t, srv: srv, url: srv.url + "/query"}
		h.battery("", 600)
		h.report()
		srv.stop(t)
	})
	t.Run("anonymous-read=false", func(t *testing.T) {
		token := runCLI(t, bin, "token", "create", "--role", "auditor", "--name", "hostile", "--data", data)
		srv := startBinary(t, bin, data, "--anonymous-read=false")
		awaitExit(t, srv)
		h := &hostileClient{t: t, srv: srv, url: srv.url + "/query"}
		h.battery(token, 200)
		h.report()
		srv.stop(t)
	})
}

// awaitExit kills the server when the test ends, if it still runs, and
// waits for it to exit, so that the next server can take the data
// directory.
func awaitExit(t *testing.T, srv *binary) {
	t.Cleanup(func() {
		srv.cmd.Process.Kill()
		select {
		case <-srv.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// hostileClient sends requests one at a time and checks the server's CPU
// time for each.
type hostileClient struct {
	t      *testing.T
	srv    *binary
	url    string
	sent   int
	most   time.Duration // the most CPU one request took
	mostOf string
}

// battery sends every kind of hostile request anonymously, and fillers
// padded copies of a question with token.
func (h *hostileClient) battery(token string, fillers int) {
	gql := func(query string, vars map[string]any, op string) string {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "operationName": op})
		return string(b)
	}
	h.post("", "fan-out 2^4", gql(hostile.FanOut(4), nil, ""), wantCode(""))                                // __typename 16 times: answered
	h.post("", "fan-out 2^10", gql(hostile.FanOut(10), nil, ""), wantReason("FIELD_REPEAT_LIMIT_EXCEEDED")) // 1,024 times
	for _, n := range []int{16, 22, 30, 39, 60} {
		h.post("", fmt.Sprintf("fan-out 2^%d", n), gql(hostile.FanOut(n), nil, ""), wantReason("SELECTION_LIMIT_EXCEEDED"))
	}
	h.post("", "fan-out 2^30 under __schema", gql(hostile.IntrospectionFanOut(30), nil, ""), wantReason("SELECTION_LIMIT_EXCEEDED"))
	h.post("", "fan-out with a cycle", gql(hostile.FanOutCycle(30), nil, ""), wantCode("BAD_USER_INPUT"))
	h.post("", "9,990 __typename", gql(hostile.Repeated("__typename", 9990), nil, ""), wantReason("FIELD_REPEAT_LIMIT_EXCEEDED"))
	h.post("", "2,000 __typename", gql(hostile.Repeated("__typename", 2000), nil, ""), wantReason("FIELD_REPEAT_LIMIT_EXCEEDED"))
	h.post("", "100 copies with 29 children", gql(hostile.Wide(100, 29), nil, ""), wantReason("FIELD_REPEAT_LIMIT_EXCEEDED"))
	h.post("", "20 copies with 148 children", gql(hostile.Wide(20, 148), nil, ""), nil)
	h.post("", "chain of 1,000 fragments", gql(hostile.Chain(1000), nil, ""), wantReason("SELECTION_LIMIT_EXCEEDED"))
	h.post("", "1,000 operations sharing a fragment", gql(hostile.Operations(1000, 1000), nil, "q0"), wantReason("SELECTION_LIMIT_EXCEEDED"))
	h.post("", "2,000 operations", gql(hostile.Operations(2000, 1), nil, "q1999"), nil)
	h.post("", "3,000 aliases", gql(hostile.Aliases("__typename", 3000), nil, ""), nil)
	h.post("", "300 aliased catalogue pages", gql(hostile.Aliases("catalogue(first: 500) { nodes { code name } }", 300), nil, ""), wantCode("BAD_USER_INPUT"))
	h.post("", "3,000 unknown fields", gql(hostile.Aliases("nosuchfield", 3000), nil, ""), wantCode("BAD_USER_INPUT"))
	deep := `{ body(code: "370202") ` + strings.Repeat("{ parentBody ", 3000) + "{ code }" + strings.Repeat(" }", 3000) + " }"
	h.post("", "nesting 3,000 deep", gql(deep, nil, ""), wantCode("BAD_USER_INPUT"))
	h.post("", "a 900 KiB variable", gql(`query($t: String) { catalogue(filter: {text: $t}) { totalCount } }`, map[string]any{"t": strings.Repeat("政", 300<<10)}, ""), nil)
	statuses := make([]string, 60_000)
	for i := range statuses {
		statuses[i] = "ACTIVE"
	}
	h.post("", "a list variable of 60,000", gql(`query($s: [DelegationStatus!]) { body(code: "370202") { delegatedItems(statuses: $s) { totalCount } } }`, map[string]any{"s": statuses}, ""), nil)
	var uses strings.Builder
	uses.WriteString("query($s: [DelegationStatus!]) {")
	for i := range 1000 {
		fmt.Fprintf(&uses, ` a%d: body(code: "370202") { ...D }`, i)
	}
	uses.WriteString(" }\nfragment D on Body { delegatedItems(statuses: $s, first: 1) { totalCount } }")
	h.post("", "a list variable of 60,000 used 1,000 times", gql(uses.String(), map[string]any{"s": statuses}, ""), nil)
	h.post("", "a 1 MiB malformed body", `{"query": "`+strings.Repeat("x", 1<<20-64)+`" `, wantNoEcho)
	h.post("", "a 1 MiB field name", gql("{ "+strings.Repeat("x", 1<<20-64)+" }", nil, ""), wantShort)
	h.post("", "a 1 MiB unterminated string", gql(`{ item(code: "`+strings.Repeat("x", 1<<20-64)+` }`, nil, ""), wantShort)
	h.post("", "a body over the limit", gql("{ __typename }", map[string]any{"pad": strings.Repeat("x", 2<<20)}, ""), wantCode("BAD_USER_INPUT"))
	h.get("a 900 KiB GET", url.Values{"query": {hostile.Padded("{ catalogue { totalCount } }", 900<<10)}}.Encode())
	for i := 0; h.sent < 400; i++ { // fan-outs, and padding of another kind: unused variables
		h.post("", "fan-out 2^39 again", gql(hostile.FanOut(39), map[string]any{"unused": i}, ""), wantReason("SELECTION_LIMIT_EXCEEDED"))
	}
	// Cache fillers: the same question, padded differently each time (the
	// JSON written by hand: encoding half a megabyte 600 times is most of
	// this test's time under -race).
	for i := range fillers {
		body := `{"query": "# ` + strconv.Itoa(i) + `\n` + strings.Repeat(" ", 512<<10+i) + `{ catalogue { totalCount } }"}`
		h.post(token, "a padded copy of one question", body, wantCode(""))
	}
}

// post sends a POST body and checks the answer with check (nil: any
// answer will do).
func (h *hostileClient) post(token, what, body string, check func(int, []byte) string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	h.do(req, what, check)
}

func (h *hostileClient) get(what, query string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url+"?"+query, nil)
	h.do(req, what, nil)
}

var hostileHTTP = &http.Client{Timeout: 30 * time.Second}

func (h *hostileClient) do(req *http.Request, what string, check func(int, []byte) string) {
	h.t.Helper()
	pid := h.srv.cmd.Process.Pid
	before := processCPU(h.t, pid)
	resp, err := hostileHTTP.Do(req)
	if err != nil {
		h.t.Fatalf("%s: no answer: %v", what, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	used := processCPU(h.t, pid) - before
	h.sent++
	if used > h.most {
		h.most, h.mostOf = used, what
	}
	if used > hostileCPUPerRequest {
		h.t.Errorf("%s: %s of server CPU", what, used)
	}
	if check != nil {
		if problem := check(resp.StatusCode, body); problem != "" {
			h.t.Errorf("%s: %s: %d %.300s", what, problem, resp.StatusCode, body)
		}
	}
}

// report checks the server's memory after the requests.
func (h *hostileClient) report() {
	h.t.Helper()
	rss := processRSS(h.t, h.srv.cmd.Process.Pid)
	h.t.Logf("%d requests; the most CPU one took: %s (%s); RSS after them %.1f MB", h.sent, h.most, h.mostOf, float64(rss)/1e6)
	if rss > hostileMaxRSS {
		h.t.Errorf("the server's RSS is %.1f MB after %d hostile requests", float64(rss)/1e6, h.sent)
	}
}

func wantReason(reason string) func(int, []byte) string {
	return func(_ int, body []byte) string {
		var r struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return "not JSON"
		}
		got := ""
		if len(r.Errors) > 0 {
			got, _ = r.Errors[0].Extensions["reason"].(string)
		}
		if got != reason {
			return "want reason " + reason
		}
		return ""
	}
}

func wantCode(code string) func(int, []byte) string {
	return func(_ int, body []byte) string {
		var r gqlResult
		if err := json.Unmarshal(body, &r); err != nil {
			return "not JSON"
		}
		if r.code() != code {
			return "want code " + code
		}
		return ""
	}
}

// wantShort expects a refusal that does not quote the megabyte sent.
func wantShort(status int, body []byte) string {
	if len(body) > 1000 {
		return "want a short refusal"
	}
	return wantCode("BAD_USER_INPUT")(status, body)
}

// wantNoEcho expects a short refusal that does not quote the body.
func wantNoEcho(status int, body []byte) string {
	if status != http.StatusBadRequest || len(body) > 300 || bytes.Contains(body, []byte("xxxxxxxx")) {
		return "want a short 400 that does not echo the body"
	}
	return wantCode("BAD_USER_INPUT")(status, body)
}

// processCPU returns the user and system CPU time a process has used,
// from /proc/<pid>/stat (in clock ticks of 1/100 s, USER_HZ on Linux).
func processCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// processRSS returns a process's resident memory in bytes.
func processRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
