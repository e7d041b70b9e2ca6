package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	evmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	projmemory "github.com/catalogue/catalogue/projections/memory"
)

// today is the date the test API takes for "today" (in Asia/Shanghai).
const today = "2024-06-01"

// env is an API over an in-memory log and read models, with one token per
// kind of user.
type env struct {
	t       *testing.T
	handler http.Handler
	events  *evmemory.Store
	read    *projmemory.Store
	proj    *projections.Projector
	tokens  map[string]string // user → secret
	store   *auth.Store       // the server's token store, in dir
	dir     string
	logs    *syncBuffer
	stop    func()
}

// Users of the test API.
const (
	legal    = "legal"   // legal_officer 法制科
	auditor  = "auditor" // auditor
	shinan   = "shinan"  // body_officer of 370202 (市南区)
	shibei   = "shibei"  // body_officer of 370203 (市北区)
	anon     = ""        // no token
	revoked  = "revoked" // a revoked legal officer
	jurisdic = "370200"  // the catalogue's government: 青岛市
)

type envOption func(*graph.Config, *envSettings)

type envSettings struct {
	runProjector bool
	ledgerOpts   []ledger.Option
	read         projections.Store // the read models, when not e.read
}

// noAnonymous turns anonymous reading off.
func noAnonymous(c *graph.Config, _ *envSettings) { c.AnonymousRead = false }

// projectorStopped leaves the read models behind the log until the test
// starts the projector itself.
func projectorStopped(_ *graph.Config, s *envSettings) { s.runProjector = false }

func withLimits(l graph.Limits) envOption {
	return func(c *graph.Config, _ *envSettings) { c.Limits = l }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, events: evmemory.New(), read: projmemory.New(), tokens: map[string]string{}, logs: &syncBuffer{}}
	e.proj = projections.New(e.events, e.read, projections.WithBatchDelay(time.Millisecond))
	e.dir = t.TempDir()
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	store := auth.Open(e.dir, auth.WithLogger(logger))
	e.store = store
	for user, spec := range map[string]auth.Spec{
		legal:   {Role: auth.LegalOfficer, Name: "法制科·张三"},
		auditor: {Role: auth.Auditor, Name: "审计局·李四"},
		shinan:  {Role: auth.BodyOfficer, Body: "370202", Name: "市南区·王五"},
		shibei:  {Role: auth.BodyOfficer, Body: "370203", Name: "市北区·赵六"},
		revoked: {Role: auth.LegalOfficer, Name: "已离职"},
	} {
		secret, _, err := store.Create(spec)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[user] = secret
	}
	if _, err := store.Revoke("已离职"); err != nil {
		t.Fatal(err)
	}
	cfg := graph.Config{
		Read: e.read, Feed: e.proj, Log: e.events, Tokens: store, AnonymousRead: true,
		Logger: logger,
		Now:    func() time.Time { return time.Date(2024, 6, 1, 9, 0, 0, 0, graph.Zone) },
	}
	settings := envSettings{runProjector: true, ledgerOpts: []ledger.Option{ledger.WithJurisdiction(jurisdic)}}
	for _, o := range opts {
		o(&cfg, &settings)
	}
	if settings.read != nil {
		e.proj = projections.New(e.events, settings.read, projections.WithBatchDelay(time.Millisecond))
		cfg.Read, cfg.Feed = settings.read, e.proj
	}
	cfg.Ledger = ledger.New(e.events, settings.ledgerOpts...)
	e.handler = graph.NewHandler(cfg)
	e.stop = func() {}
	if settings.runProjector {
		e.startProjector()
	}
	t.Cleanup(func() { e.stop() })
	return e
}

// startProjector keeps the read models up to date until the test ends.
func (e *env) startProjector() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.proj.Run(ctx); err != nil {
			e.t.Errorf("projector: %v", err)
		}
	}()
	e.stop = func() { cancel(); <-done }
}

// client returns gqlgen's test client signed in as user.
func (e *env) client(user string) *client.Client {
	var opts []client.Option
	if user != anon {
		opts = append(opts, client.AddHeader("Authorization", "Bearer "+e.tokens[user]))
	}
	return client.New(e.handler, opts...)
}

// gqlError is one error of a response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (g gqlError) code() string { s, _ := g.Extensions["code"].(string); return s }
func (g gqlError) rule() string { s, _ := g.Extensions["rule"].(string); return s }

// result is a GraphQL response, decoded loosely.
type result struct {
	Data   map[string]any
	Errors []gqlError
}

// get returns the value at a dotted path of the data ("listItem.item.code";
// a number indexes a list).
func (r result) get(path string) any {
	var v any = r.Data
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (r result) str(path string) string { s, _ := r.get(path).(string); return s }

func (r result) list(path string) []any { l, _ := r.get(path).([]any); return l }

// do runs an operation through gqlgen's client as user.
func (e *env) do(user, query string, vars map[string]any) result {
	e.t.Helper()
	var opts []client.Option
	for k, v := range vars {
		opts = append(opts, client.Var(k, v))
	}
	raw, err := e.client(user).RawPost(query, opts...)
	if err != nil {
		e.t.Fatalf("%s: %v", firstLine(query), err)
	}
	var res result
	if raw.Data != nil {
		res.Data, _ = raw.Data.(map[string]any)
	}
	if len(raw.Errors) > 0 {
		if err := json.Unmarshal(raw.Errors, &res.Errors); err != nil {
			e.t.Fatal(err)
		}
	}
	return res
}

// ok runs an operation that must succeed and returns its result.
func (e *env) ok(user, query string, vars map[string]any) result {
	e.t.Helper()
	res := e.do(user, query, vars)
	if len(res.Errors) > 0 {
		e.t.Fatalf("%s: unexpected errors: %+v", firstLine(query), res.Errors)
	}
	return res
}

// fails runs an operation that must fail with code (and rule, if given) and
// returns the error.
func (e *env) fails(user, query string, vars map[string]any, code, rule string) gqlError {
	e.t.Helper()
	res := e.do(user, query, vars)
	if len(res.Errors) == 0 {
		e.t.Fatalf("%s: succeeded, want %s %s: %v", firstLine(query), code, rule, res.Data)
	}
	got := res.Errors[0]
	if got.code() != code || (rule != "" && got.rule() != rule) {
		e.t.Fatalf("%s: got %s/%s %q, want %s/%s", firstLine(query), got.code(), got.rule(), got.Message, code, rule)
	}
	return got
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return s
}

var commandSeq atomic.Int64

// cmd returns a fresh command id.
func cmd() string { return fmt.Sprintf("test-cmd-%d", commandSeq.Add(1)) }

// vars builds an operation's variables: {"input": input}.
func input(in map[string]any) map[string]any {
	if _, ok := in["commandId"]; !ok {
		in["commandId"] = cmd()
	}
	if _, ok := in["basis"]; !ok {
		in["basis"] = "青政发〔2024〕1号"
	}
	if _, ok := in["effectiveFrom"]; !ok {
		in["effectiveFrom"] = "2024-01-01"
	}
	return map[string]any{"input": in}
}

// syncBuffer collects the API's log for assertions.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
