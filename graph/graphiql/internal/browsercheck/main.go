// Command browsercheck loads the embedded GraphiQL (graph/graphiql) in a real
// headless Chromium cut off from every host but this machine, uses it the
// way a person would, and takes screenshots.
//
// It serves graphiql.Handler() next to a stub /query (canned introspection
// of schema.graphql, canned answers that echo the Authorization header, and
// a small graphql-transport-ws WebSocket for subscriptions), drives Chromium
// over the DevTools protocol (--remote-debugging-pipe, no extra library),
// and fails if
//
//   - the page loads anything from a host other than its own server (seen in
//     the browser's network events, and by a proxy that catches every
//     off-host request the browser tries),
//   - the page logs a JavaScript error or a Content-Security-Policy
//     violation,
//   - GraphiQL does not render, fetch the schema, show it in the docs panel,
//     run a query with the header editor's Authorization header, or run a
//     subscription over ws://<host>/query with that header in its
//     connection_init payload.
//
// It is not part of `go test` (it needs Chromium); run it with
// graph/graphiql/browser-check.sh, which installs Chromium if needed.
//
// introspection.json is generated from schema.graphql with
// `node introspect.mjs ../internal/browsercheck/schema.graphql ../internal/browsercheck/introspection.json`
// in graph/graphiql/web.
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/catalogue/catalogue/graph/graphiql"
)

//go:embed introspection.json
var introspection []byte

const token = "Bearer browsercheck-token-42"

func main() {
	chromium := flag.String("chromium", "chromium", "Chromium binary")
	out := flag.String("out", ".", "directory for the screenshots")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after this long")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("browsercheck: ")

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *chromium, *out); err != nil {
		log.Fatal("FAIL: ", err)
	}
	log.Print("PASS")
}

func run(ctx context.Context, chromium, outDir string) error {
	st := &stub{}
	srv, base, err := serve(st.routes())
	if err != nil {
		return err
	}
	defer srv.Close()
	catcher := &offHostCatcher{}
	psrv, proxyAddr, err := serve(catcher)
	if err != nil {
		return err
	}
	defer psrv.Close()
	log.Printf("serving GraphiQL at %s (off-host catcher at %s)", base, proxyAddr)

	br, err := startChromium(ctx, chromium, proxyAddr)
	if err != nil {
		return err
	}
	defer br.close()

	page, err := br.newPage(ctx)
	if err != nil {
		return err
	}
	if _, err := page.call(ctx, "Page.navigate", map[string]any{"url": base + "/"}); err != nil {
		return err
	}

	var failures []string
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		log.Print("  ✗ ", msg)
		failures = append(failures, msg)
	}
	ok := func(format string, args ...any) { log.Print("  ✓ ", fmt.Sprintf(format, args...)) }

	// 1. GraphiQL renders (not "Loading…") and fetches the schema.
	if err := page.waitFor(ctx, `!!document.querySelector('.graphiql-container .graphiql-query-editor .CodeMirror')`); err != nil {
		fail("GraphiQL did not render its query editor: %v; body: %s", err, page.evalString(ctx, `document.body.innerText.slice(0, 300)`))
		return summary(failures, br, catcher, base, outDir)
	}
	ok("GraphiQL rendered its editors")
	if err := waitUntil(ctx, func() bool { return st.sawIntrospection() }); err != nil {
		fail("no introspection query reached /query")
	} else {
		ok("introspection query reached /query")
	}
	page.screenshot(ctx, filepath.Join(outDir, "graphiql-1-loaded.png"))

	// 2. The docs panel shows the schema.
	page.eval(ctx, `document.querySelector('[aria-label="Show Documentation Explorer"]').click()`)
	if err := page.waitFor(ctx, `document.querySelector('.graphiql-doc-explorer') !== null && document.querySelector('.graphiql-doc-explorer').innerText.includes('Query')`); err != nil {
		fail("docs panel did not show the schema: %v", err)
	} else {
		page.eval(ctx, `[...document.querySelectorAll('.graphiql-doc-explorer a')].find(a => a.innerText.trim() === 'Query')?.click()`)
		if err := page.waitFor(ctx, `document.querySelector('.graphiql-doc-explorer').innerText.includes('items')`); err != nil {
			fail("docs panel did not open type Query: %v", err)
		} else {
			ok("docs panel shows the schema (type Query, field items)")
		}
	}

	// 3. A query with an Authorization header typed into the header editor.
	page.eval(ctx, `(() => {
		const cm = sel => document.querySelector(sel).CodeMirror;
		cm('.graphiql-query-editor .CodeMirror').setValue('query Items {\n  items(onDate: "2024-06-30") {\n    code\n    name\n    implementingBody\n  }\n}\n');
		const tools = document.querySelector('.graphiql-editor-tools');
		[...tools.querySelectorAll('button')].find(b => b.innerText.trim() === 'Headers').click();
		const headers = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')].find(e => !e.classList.contains('hidden') && e.querySelector('.CodeMirror'));
		headers.querySelector('.CodeMirror').CodeMirror.setValue('{\n  "Authorization": "`+token+`"\n}');
	})()`)
	time.Sleep(time.Second) // GraphiQL parses the edited operation after a short debounce
	page.eval(ctx, `document.querySelector('.graphiql-execute-button').click()`)
	if err := page.waitFor(ctx, `(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() || '').includes('370202')`); err != nil {
		fail("the query's result was not shown: %v; response pane: %s", err, page.evalString(ctx, `document.querySelector('.graphiql-response')?.innerText.slice(0, 300)`))
	} else {
		ok("query ran; result shown in the response pane")
	}
	if got := st.lastAuthorization(); got != token {
		fail("the query reached /query with Authorization %q, want %q (header editor)", got, token)
	} else {
		ok("the header editor's Authorization reached /query")
	}
	page.screenshot(ctx, filepath.Join(outDir, "graphiql-2-query.png"))

	// 4. A subscription over ws://<host>/query (graphql-transport-ws).
	page.eval(ctx, `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('subscription Ledger {\n  ledger {\n    position\n    type\n    stream\n  }\n}\n')`)
	time.Sleep(time.Second) // GraphiQL parses the edited operation after a short debounce
	page.eval(ctx, `document.querySelector('.graphiql-execute-button').click()`)
	if err := page.waitFor(ctx, `(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() || '').includes('"position": 3')`); err != nil {
		fail("the subscription's events were not shown: %v; response pane: %s", err, page.evalString(ctx, `document.querySelector('.graphiql-response')?.innerText.slice(0, 300)`))
	} else {
		ok("subscription ran over WebSocket; its last event is shown")
	}
	if p := st.lastInit(); !strings.Contains(p, token) {
		fail("connection_init payload %s does not carry the Authorization header", p)
	} else {
		ok("connection_init payload carried the Authorization header: %s", p)
	}
	page.screenshot(ctx, filepath.Join(outDir, "graphiql-3-subscription.png"))

	return summary(failures, br, catcher, base, outDir)
}

func summary(failures []string, br *browser, catcher *offHostCatcher, base, outDir string) error {
	time.Sleep(300 * time.Millisecond) // let the last events arrive
	origin, _ := url.Parse(base)
	ev := br.events()
	var requests, offOrigin, problems []string
	for _, e := range ev {
		switch e.Method {
		case "Network.requestWillBeSent":
			var p struct {
				Request struct{ URL, Method string } `json:"request"`
			}
			json.Unmarshal(e.Params, &p)
			requests = append(requests, p.Request.Method+" "+p.Request.URL)
			if u, err := url.Parse(p.Request.URL); err == nil && u.Scheme != "data" && u.Host != origin.Host {
				offOrigin = append(offOrigin, p.Request.URL)
			}
		case "Network.webSocketCreated":
			var p struct{ URL string }
			json.Unmarshal(e.Params, &p)
			requests = append(requests, "WEBSOCKET "+p.URL)
			if u, err := url.Parse(p.URL); err != nil || u.Host != origin.Host {
				offOrigin = append(offOrigin, p.URL)
			}
		case "Runtime.exceptionThrown":
			var p struct {
				ExceptionDetails struct {
					Text      string
					Exception struct{ Description string }
				}
			}
			json.Unmarshal(e.Params, &p)
			problems = append(problems, "exception: "+p.ExceptionDetails.Text+" "+p.ExceptionDetails.Exception.Description)
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string
				Args []struct {
					Value       any
					Description string
				}
			}
			json.Unmarshal(e.Params, &p)
			if p.Type == "error" || p.Type == "assert" {
				var parts []string
				for _, a := range p.Args {
					parts = append(parts, fmt.Sprint(a.Value)+a.Description)
				}
				problems = append(problems, "console."+p.Type+": "+strings.Join(parts, " "))
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Source, Text, URL string }
			}
			json.Unmarshal(e.Params, &p)
			if p.Entry.Level == "error" || p.Entry.Source == "security" {
				problems = append(problems, fmt.Sprintf("log %s/%s: %s %s", p.Entry.Source, p.Entry.Level, p.Entry.Text, p.Entry.URL))
			}
		}
	}
	slices.Sort(requests)
	requests = slices.Compact(requests)
	log.Printf("requests the page made (%d distinct):", len(requests))
	for _, r := range requests {
		log.Print("    ", r)
	}
	if len(offOrigin) > 0 {
		failures = append(failures, fmt.Sprintf("the page requested %d URL(s) off its origin: %v", len(offOrigin), offOrigin))
	}
	for _, p := range problems {
		failures = append(failures, p)
	}
	fromPage, other := catcher.hits(base)
	if len(fromPage) > 0 {
		failures = append(failures, fmt.Sprintf("the off-host catcher got %d request(s) from the page: %v", len(fromPage), fromPage))
	}
	if len(other) > 0 {
		log.Printf("note: Chromium itself tried %d off-host request(s), none from the page: %v", len(other), other)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d problem(s):\n  - %s", len(failures), strings.Join(failures, "\n  - "))
	}
	log.Printf("screenshots in %s: graphiql-1-loaded.png, graphiql-2-query.png, graphiql-3-subscription.png", outDir)
	return nil
}

func waitUntil(ctx context.Context, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func serve(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// ---- the stub GraphQL endpoint ----

type stub struct {
	mu            sync.Mutex
	introspected  bool
	authorization string
	initPayload   string
}

func (s *stub) sawIntrospection() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.introspected }
func (s *stub) lastAuthorization() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authorization
}
func (s *stub) lastInit() string { s.mu.Lock(); defer s.mu.Unlock(); return s.initPayload }

func (s *stub) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", graphiql.Handler())
	mux.HandleFunc("/query", s.query)
	return mux
}

func (s *stub) query(w http.ResponseWriter, r *http.Request) {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.websocket(w, r)
		return
	}
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "POST a GraphQL request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.OperationName == "IntrospectionQuery" || strings.Contains(req.Query, "__schema") {
		s.introspected = true
		w.Write(introspection)
		return
	}
	s.authorization = r.Header.Get("Authorization")
	json.NewEncoder(w).Encode(map[string]any{
		"data": map[string]any{"items": []map[string]any{
			{"code": "370202001000", "name": "建设工程规划许可证核发", "implementingBody": "青岛市市南区行政审批服务局"},
			{"code": "370202002000", "name": "食品经营许可", "implementingBody": "青岛市市南区行政审批服务局"},
		}},
		"extensions": map[string]any{"stub": map[string]any{"receivedAuthorization": s.authorization}},
	})
}

// websocket speaks just enough RFC 6455 and graphql-transport-ws for the
// check: connection_init → connection_ack, subscribe → three next and a
// complete, ping → pong.
func (s *stub) websocket(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if key == "" || !slices.Contains(splitList(r.Header.Get("Sec-WebSocket-Protocol")), "graphql-transport-ws") {
		http.Error(w, "want a graphql-transport-ws WebSocket", http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
	rw.Flush()
	var wmu sync.Mutex
	send := func(v any) {
		b, _ := json.Marshal(v)
		wmu.Lock()
		defer wmu.Unlock()
		writeFrame(rw, 1, b)
		rw.Flush()
	}
	for {
		op, msg, err := readFrame(rw.Reader)
		if err != nil || op == 8 {
			return
		}
		if op == 9 {
			wmu.Lock()
			writeFrame(rw, 10, msg)
			rw.Flush()
			wmu.Unlock()
			continue
		}
		var m struct {
			ID      string          `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(msg, &m) != nil {
			return
		}
		switch m.Type {
		case "connection_init":
			s.mu.Lock()
			s.initPayload = string(m.Payload)
			s.mu.Unlock()
			send(map[string]string{"type": "connection_ack"})
		case "ping":
			send(map[string]string{"type": "pong"})
		case "subscribe":
			go func(id string) {
				for i := 1; i <= 3; i++ {
					time.Sleep(200 * time.Millisecond)
					send(map[string]any{"id": id, "type": "next", "payload": map[string]any{"data": map[string]any{
						"ledger": map[string]any{"position": i, "type": "ItemDelegated.v1", "stream": fmt.Sprintf("item-%d", i)}}}})
				}
				send(map[string]string{"id": id, "type": "complete"})
			}(m.ID)
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

func readFrame(r *bufio.Reader) (op byte, payload []byte, err error) {
	for {
		var h [2]byte
		if _, err = io.ReadFull(r, h[:]); err != nil {
			return 0, nil, err
		}
		fin, opcode := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err = io.ReadFull(r, b[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err = io.ReadFull(r, b[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 1<<20 {
			return 0, nil, errors.New("frame too large")
		}
		var mask [4]byte
		if h[1]&0x80 != 0 {
			if _, err = io.ReadFull(r, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		buf := make([]byte, n)
		if _, err = io.ReadFull(r, buf); err != nil {
			return 0, nil, err
		}
		for i := range buf {
			buf[i] ^= mask[i%4]
		}
		if opcode != 0 {
			op = opcode
		}
		payload = append(payload, buf...)
		if fin {
			return op, payload, nil
		}
	}
}

func writeFrame(w io.Writer, op byte, payload []byte) {
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n < 1<<16:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	w.Write(hdr)
	w.Write(payload)
}

// ---- the off-host catcher ----

// offHostCatcher is Chromium's proxy: loopback requests bypass it, every
// other request the browser tries ends here, is recorded and refused.
type offHostCatcher struct {
	mu   sync.Mutex
	seen []struct{ target, referer string }
}

func (c *offHostCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Method + " " + r.RequestURI
	c.mu.Lock()
	c.seen = append(c.seen, struct{ target, referer string }{target, r.Header.Get("Referer") + r.Header.Get("Origin")})
	c.mu.Unlock()
	http.Error(w, "no internet here", http.StatusForbidden)
}

func (c *offHostCatcher) hits(base string) (fromPage, other []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.seen {
		// The page sends no Referer (Referrer-Policy: no-referrer) but
		// does send Origin on CORS and module requests; a request with
		// neither is the browser's own.
		if s.referer != "" {
			fromPage = append(fromPage, s.target+" (from "+s.referer+")")
		} else {
			other = append(other, s.target)
		}
	}
	return fromPage, other
}

// ---- a minimal DevTools-protocol client over --remote-debugging-pipe ----

type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type browser struct {
	cmd     *exec.Cmd
	dir     string
	toB     *os.File
	mu      sync.Mutex
	nextID  int
	pending map[int]chan message
	evs     []message
}

func startChromium(ctx context.Context, bin, proxy string) (*browser, error) {
	dir, err := os.MkdirTemp("", "browsercheck-")
	if err != nil {
		return nil, err
	}
	inR, inW, _ := os.Pipe()   // we write commands, Chromium reads fd 3
	outR, outW, _ := os.Pipe() // Chromium writes fd 4, we read
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
		"--disable-client-side-phishing-detection", "--disable-domain-reliability",
		"--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate",
		"--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
		"--user-data-dir="+dir,
		"--proxy-server="+proxy,
		// Nothing resolves but loopback: the check cannot reach any other host.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--window-size=1400,900", "--lang=zh-CN",
		"about:blank")
	cmd.ExtraFiles = []*os.File{inR, outW}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w (install it: apt-get install -y chromium)", bin, err)
	}
	inR.Close()
	outW.Close()
	b := &browser{cmd: cmd, dir: dir, toB: inW, pending: map[int]chan message{}}
	go b.read(outR)
	return b, nil
}

func (b *browser) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else {
			b.evs = append(b.evs, m)
		}
		b.mu.Unlock()
	}
}

func (b *browser) events() []message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.evs)
}

func (b *browser) call(ctx context.Context, sessionID, method string, params any) (json.RawMessage, error) {
	p, _ := json.Marshal(params)
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg, _ := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: sessionID})
	if _, err := b.toB.Write(append(msg, 0)); err != nil {
		return nil, err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, errors.New("Chromium went away")
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) close() {
	b.call(context.Background(), "", "Browser.close", nil)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(b.dir)
}

type session struct {
	b  *browser
	id string
}

func (b *browser) newPage(ctx context.Context) (*session, error) {
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	var t struct{ TargetID string }
	json.Unmarshal(res, &t)
	res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true})
	if err != nil {
		return nil, err
	}
	var a struct{ SessionID string }
	json.Unmarshal(res, &a)
	s := &session{b: b, id: a.SessionID}
	for _, m := range []string{"Page.enable", "Network.enable", "Runtime.enable", "Log.enable"} {
		if _, err := s.call(ctx, m, nil); err != nil {
			return nil, err
		}
	}
	_, err = s.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false})
	return s, err
}

func (s *session) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	return s.b.call(ctx, s.id, method, params)
}

func (s *session) eval(ctx context.Context, expr string) (json.RawMessage, error) {
	res, err := s.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	json.Unmarshal(res, &r)
	if r.ExceptionDetails != nil {
		err := fmt.Errorf("%s %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
		log.Printf("  ! evaluating %.60q: %v", expr, err)
		return nil, err
	}
	return r.Result.Value, nil
}

func (s *session) evalString(ctx context.Context, expr string) string {
	v, _ := s.eval(ctx, expr)
	var str string
	if json.Unmarshal(v, &str) == nil {
		return str
	}
	return string(v)
}

func (s *session) waitFor(ctx context.Context, expr string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		if v, err := s.eval(ctx, expr); err == nil && string(v) == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %.80s", expr)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

func (s *session) screenshot(ctx context.Context, file string) {
	time.Sleep(400 * time.Millisecond) // let animations settle
	res, err := s.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		log.Printf("screenshot %s: %v", file, err)
		return
	}
	var r struct{ Data string }
	json.Unmarshal(res, &r)
	png, _ := base64.StdEncoding.DecodeString(r.Data)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		log.Printf("screenshot %s: %v", file, err)
	}
}
