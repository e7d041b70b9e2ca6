package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// TestEndToEnd runs the real binary on a temporary data directory the way a
// city office would: first start (which prints the admin token), tokens for
// a district and an auditor from the command line while it serves, the
// Guang'an catalogue imported through the API, delegations to two
// districts, an acceptance, a withdrawal, a revocation and an edition; then
// a restart, after which every answer must be the same.
func TestEndToEnd(t *testing.T) { endToEnd(t, false) }

// TestEndToEndEventStoreDBTestServer runs the same scenario with the event
// log in EventStoreDB: the real EventStore-Client-Go over real gRPC against
// the in-process test server (eventstore/esdb/esdbtest). It proves the
// binary's wiring and the adapter against the client's wire code, not
// against a real EventStoreDB server.
func TestEndToEndEventStoreDBTestServer(t *testing.T) {
	srv, err := esdbtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	endToEnd(t, true, "--events", srv.URL())
}

// TestEndToEndPostgres runs the same scenario with the read models in
// PostgreSQL (a schema of its own on the shared test server): after the
// restart the answers come from the tables the first process wrote.
func TestEndToEndPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pool, base := pgtest.Pool(t), pgtest.URL()
	endToEnd(t, false, "--readmodel", faultReadModel(t, base, faultSchema(t, pool, "e2e")))
}

// endToEnd runs the scenario with serve's extra flags (the event log). With
// kill, the restart in the middle follows a SIGKILL, not a clean stop:
// everything acknowledged must survive a process that dies.
func endToEnd(t *testing.T, kill bool, extra ...string) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "catalogue")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")

	srv := startBinary(t, bin, data, extra...)
	if srv.firstToken == "" {
		t.Fatalf("the first start printed no token:\n%s", srv.stdout.String())
	}
	admin := srv.firstToken
	district := runCLI(t, bin, "token", "create", "--role", "body_officer", "--body", "370202", "--name", "市南区审批局", "--data", data)
	auditor := runCLI(t, bin, "token", "create", "--role", "auditor", "--name", "市审计局", "--data", data)
	if list := runCLI(t, bin, "token", "list", "--data", data); !strings.Contains(list, "市南区审批局") || strings.Contains(list, district) {
		t.Fatalf("token list:\n%s", list)
	}
	c := &gqlClient{t: t, url: srv.url + "/query"}

	// Bodies: the city and two of its districts.
	for _, b := range [][4]string{{"370000", "山东省", "PROVINCE", ""}, {"370200", "青岛市", "CITY", "370000"},
		{"370202", "市南区", "DISTRICT", "370200"}, {"370203", "市北区", "DISTRICT", "370200"}} {
		in := map[string]any{"commandId": "body-" + b[0], "code": b[0], "name": b[1], "kind": b[2], "basis": "国家统计局统计用区划代码", "effectiveFrom": "2022-10-31"}
		if b[3] != "" {
			in["parent"] = b[3]
		}
		c.must(admin, `mutation($in: RegisterBodyInput!) { registerBody(input: $in) { position } }`, map[string]any{"in": in})
	}

	// The Guang'an catalogue, row by row through the API.
	f, err := os.Open("../internal/demo/data/guangan-items.csv")
	if err != nil {
		t.Fatal(err)
	}
	items, err := itemsheet.Parse(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var last string
	for _, it := range items {
		level, ok := domain.ParseLevel(it.Level)
		if !ok {
			level = domain.LevelCounty
		}
		subs := []map[string]any{}
		for _, s := range it.SubItems {
			subs = append(subs, map[string]any{"code": s.Code, "name": s.Name})
		}
		res := c.must(admin, `mutation($in: ListItemInput!) { listItem(input: $in) { itemId position } }`, map[string]any{"in": map[string]any{
			"commandId": "guangan-" + it.Code, "code": it.Code, "name": it.Name, "authority": it.Authority, "department": it.Department,
			"level": level, "subItems": subs, "basis": "广安区政办发〔2023〕1号", "effectiveFrom": "2023-03-01"}})
		ids[it.Code] = res.str("listItem.itemId")
		last = res.str("listItem.position")
	}
	if n := c.must(admin, `query($p: Position) { catalogue(waitFor: $p) { totalCount } }`, map[string]any{"p": last}).num("catalogue.totalCount"); n != len(items) {
		t.Fatalf("catalogue holds %d items, imported %d", n, len(items))
	}

	// Delegations to two districts; 市南区 accepts one; one to 市北区 is withdrawn.
	delegate := func(code, to string) string {
		return c.must(admin, `mutation($in: DelegateItemInput!) { delegateItem(input: $in) { delegationId } }`, map[string]any{"in": map[string]any{
			"commandId": "delegate-" + code + "-" + to, "itemId": ids[code], "to": to, "mode": "DEVOLVE",
			"basis": "青政发〔2023〕12号", "effectiveFrom": "2023-06-01"}}).str("delegateItem.delegationId")
	}
	codes := []string{items[0].Code, items[1].Code, items[2].Code}
	toShinan := delegate(codes[0], "370202")
	delegate(codes[1], "370202")
	toShibei := delegate(codes[2], "370203")
	c.must(district, `mutation($in: AcceptDelegationInput!) { acceptDelegation(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "accept-1", "itemId": ids[codes[0]], "delegationId": toShinan, "basis": "市南政字〔2023〕3号", "effectiveFrom": "2023-06-15"}})
	if res := c.do(district, `mutation($in: AcceptDelegationInput!) { acceptDelegation(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "accept-2", "itemId": ids[codes[2]], "delegationId": toShibei, "basis": "x", "effectiveFrom": "2023-06-15"}}); res.code() != "FORBIDDEN" {
		t.Fatalf("市南区 accepted for 市北区: %+v", res)
	}
	c.must(admin, `mutation($in: WithdrawDelegationInput!) { withdrawDelegation(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "withdraw-1", "itemId": ids[codes[2]], "delegationId": toShibei, "basis": "青政发〔2024〕15号", "effectiveFrom": "2024-01-01"}})
	c.must(admin, `mutation($in: RevokeItemInput!) { revokeItem(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "revoke-1", "itemId": ids[codes[1]], "basis": "国发〔2024〕8号", "reason": "设定依据废止", "effectiveFrom": "2024-03-01"}})
	pub := c.must(admin, `mutation($in: PublishEditionInput!) { publishEdition(input: $in) { position edition { itemCount } } }`, map[string]any{"in": map[string]any{
		"commandId": "edition-2024", "name": "2024年版", "basis": "广安区政办发〔2024〕2号", "effectiveFrom": "2024-06-01"}})
	if n := pub.num("publishEdition.edition.itemCount"); n != len(items)-1 {
		t.Fatalf("the edition holds %d items, want %d", n, len(items)-1)
	}

	// The answers every kind of user gets, before and after a restart.
	type question struct{ who, query string }
	questions := []question{
		{"", `{ catalogue(first: 500, inForceOn: "2024-06-01") { totalCount pageInfo { endCursor hasNextPage } nodes { id code name status revision } } }`},
		{"", `{ catalogue(filter: {all: true}, inForceOn: "2024-06-01", first: 3) { totalCount nodes { code status revokedFrom } } }`},
		{auditor, fmt.Sprintf(`{ item(code: %q, inForceOn: "2024-06-01") { id status revision delegations { id to mode status accepted acceptedFrom withdrawnFrom } history { position type actor basis effectiveFrom recordedAt data } } }`, codes[2])},
		{"", `{ body(code: "370202", inForceOn: "2024-06-01") { name delegatedItems { totalCount nodes { itemCode mode status accepted acceptedFrom effectiveFrom basis } } } }`},
		{"", `{ body(code: "370203", inForceOn: "2024-06-01") { delegatedItems(statuses: [WITHDRAWN]) { totalCount nodes { itemCode withdrawnFrom } } } }`},
		{auditor, `{ events(first: 500, filter: {types: ["ItemDelegated.v1", "DelegationAccepted.v1", "DelegationWithdrawn.v1", "ItemRevoked.v1", "EditionPublished.v1"]}) { nodes { position type actor basis itemId bodies recordedAt } } }`},
		{auditor, `{ editions { name itemCount actor position contentAsOf } edition(name: "2024年版") { items(first: 5) { totalCount nodes { code name } } } }`},
		{district, `{ me { name role body } events(first: 50) { nodes { type actor } } }`},
		{"", `{ bodies(parent: "370200") { totalCount nodes { code name kind } } }`},
	}
	tokens := map[string]string{"": "", auditor: auditor, district: district}
	before := make([]string, len(questions))
	for i, q := range questions {
		before[i] = c.raw(tokens[q.who], q.query)
	}
	if !strings.Contains(before[3], "ACTIVE") || !strings.Contains(before[4], `"withdrawnFrom":"2024-01-01"`) || !strings.Contains(before[5], "市南区审批局") {
		t.Fatalf("unexpected answers before the restart:\n%s\n%s\n%s", before[3], before[4], before[5])
	}

	if kill {
		srv.cmd.Process.Kill()
		<-srv.exited
	} else {
		srv.stop(t)
	}
	srv = startBinary(t, bin, data, extra...)
	if srv.firstToken != "" {
		t.Fatal("a restart printed a new admin token")
	}
	c.url = srv.url + "/query"
	for i, q := range questions {
		if after := c.raw(tokens[q.who], q.query); after != before[i] {
			t.Errorf("answer %d changed across the restart:\nbefore %s\nafter  %s", i, before[i], after)
		}
	}
	// Revoking from the command line takes effect on the running server,
	// on its open subscriptions too.
	sub := subscribeEvents(t, srv.url, district)
	runCLI(t, bin, "token", "revoke", "市南区审批局", "--data", data)
	took, err := sub.closed()
	t.Logf("the revoked token's subscription closed %v after catalogue token revoke returned", took.Round(time.Millisecond))
	if websocket.CloseStatus(err) != 4403 || took > time.Second {
		t.Errorf("the revoked token's subscription: %v after %v, want close 4403 within 1s", err, took)
	}
	if res := c.do(district, `{ me { name } }`, nil); res.code() != "UNAUTHENTICATED" {
		t.Errorf("a revoked token still works: %+v", res)
	}
	checkGraphiQL(t, srv.url)
	srv.stop(t)
}

// checkGraphiQL loads GraphiQL's page from the binary and every asset it
// refers to: all must come from the binary itself, none from another host.
func checkGraphiQL(t *testing.T, base string) {
	t.Helper()
	page := httpGet(t, base+"/")
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).MatchString(page) {
		t.Fatalf("GraphiQL's page refers to another host:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	assets := 0
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		body := httpGet(t, base+"/"+strings.TrimPrefix(ref, "./"))
		assets++
		if strings.HasSuffix(ref, ".css") {
			for _, u := range regexp.MustCompile(`url\(\s*["']?([^"')]+)`).FindAllStringSubmatch(body, -1) {
				if strings.HasPrefix(u[1], "data:") {
					continue
				}
				if strings.Contains(u[1], "//") {
					t.Errorf("the stylesheet loads %s from another host", u[1])
					continue
				}
				httpGet(t, base+"/assets/"+strings.TrimPrefix(strings.TrimPrefix(u[1], "./"), "assets/"))
				assets++
			}
		}
	}
	if assets < 3 {
		t.Errorf("GraphiQL's page loads only %d assets: %s", assets, page)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

// binary is a running `catalogue serve`.
type binary struct {
	cmd        *exec.Cmd
	url        string
	firstToken string
	stdout     *bytes.Buffer
	exited     chan error
}

var servingLine = regexp.MustCompile(`catalogue serving (http://\S+)`)
var tokenLine = regexp.MustCompile(`^\s+(cat_\S+)\s*$`)

func startBinary(t *testing.T, bin, data string, extra ...string) *binary {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &binary{cmd: cmd, stdout: &bytes.Buffer{}, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			b.stdout.WriteString(line + "\n")
			if m := servingLine.FindStringSubmatch(line); m != nil {
				b.url = m[1]
			}
			if m := tokenLine.FindStringSubmatch(line); m != nil {
				b.firstToken = m[1]
			}
			if strings.HasPrefix(line, "  health:") { // the last line; a first token comes before
				close(ready)
			}
		}
	}()
	go func() { b.exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-b.exited:
		t.Fatalf("serve exited: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s\n%s", b.stdout.String(), stderr.String())
	}
	return b
}

// stop ends the server the way an operator does (SIGTERM) and waits.
func (b *binary) stop(t *testing.T) {
	t.Helper()
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.exited:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// runCLI runs a command of the binary and returns its standard output,
// trimmed.
func runCLI(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("catalogue %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// gqlClient sends GraphQL requests over HTTP.
type gqlClient struct {
	t   *testing.T
	url string
}

type gqlResult struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	s, _ := r.Errors[0].Extensions["code"].(string)
	return s
}

func (r gqlResult) get(path string) any {
	var v any = r.Data
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func (r gqlResult) str(path string) string { s, _ := r.get(path).(string); return s }
func (r gqlResult) num(path string) int    { f, _ := r.get(path).(float64); return int(f) }

func (c *gqlClient) post(token, query string, vars map[string]any) []byte {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func (c *gqlClient) do(token, query string, vars map[string]any) gqlResult {
	c.t.Helper()
	var r gqlResult
	b := c.post(token, query, vars)
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("%s: %s", err, b)
	}
	return r
}

func (c *gqlClient) must(token, query string, vars map[string]any) gqlResult {
	c.t.Helper()
	r := c.do(token, query, vars)
	if len(r.Errors) > 0 {
		c.t.Fatalf("%s\n%+v", query, r.Errors)
	}
	return r
}

// raw returns an answer as bytes, for comparison.
func (c *gqlClient) raw(token, query string) string {
	c.t.Helper()
	b := c.post(token, query, nil)
	if bytes.Contains(b, []byte(`"errors"`)) {
		c.t.Fatalf("%s: %s", query, b)
	}
	return string(b)
}
