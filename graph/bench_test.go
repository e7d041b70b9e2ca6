package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/sqlite"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	projmemory "github.com/catalogue/catalogue/projections/memory"
)

// The benchmark's data: the demo catalogue scaled to 5,000 items and 500
// bodies by the benchmark log generator (`catalogue gen`), with its events
// scaled down from the reference million so that setting up takes well
// under a minute. Every district then holds about 5,000 powers.
const (
	benchItems  = 5000
	benchBodies = 500
	benchEvents = 150_000
	benchPage   = 50
)

// benchQuery is a district's question: which powers do we hold now?
const benchQuery = `query Powers($code: String!) {
  body(code: $code) {
    code name kind
    delegatedItems(first: 50) {
      totalCount
      pageInfo { endCursor hasNextPage }
      nodes { id itemId itemCode itemName from mode status effectiveFrom effectiveUntil accepted acceptedFrom basis scope { code name } }
    }
  }
}`

// benchBodiesQueried are the districts asked, in turn.
var benchBodiesQueried = []string{"370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370283", "370285"}

type benchEnv struct {
	read   *projmemory.Store
	srv    *httptest.Server
	bodies [][]byte // request bodies, one per district
	floor  [][]byte // the GraphQL answers, which the floor handler writes as they are
	today  domain.Date
}

var (
	benchOnce  sync.Once
	benchSetup *benchEnv
	benchErr   error
)

// setupBench generates the log with the real generator (through the CLI:
// cmd/internal/gen is internal to cmd), rebuilds the in-memory read models
// from it as `serve` does, and serves the GraphQL endpoint and the HTTP
// floor on one httptest server.
func setupBench(b *testing.B) *benchEnv {
	benchOnce.Do(func() { benchSetup, benchErr = newBenchEnv(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSetup
}

func newBenchEnv(b *testing.B) (*benchEnv, error) {
	began := time.Now()
	dir, err := os.MkdirTemp("", "catalogue-bench-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	gen := exec.Command("go", "run", "../cmd/catalogue", "gen", "--data", data,
		"--events", strconv.Itoa(benchEvents), "--items", strconv.Itoa(benchItems), "--bodies", strconv.Itoa(benchBodies))
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("catalogue gen: %v\n%s", err, out)
	}
	events, err := sqlite.Open(filepath.Join(data, "events.db"))
	if err != nil {
		return nil, err
	}
	e := &benchEnv{read: projmemory.New(), today: domain.DateOf(time.Now().In(graph.Zone))}
	proj := projections.New(events, e.read)
	if err := proj.CatchUp(context.Background()); err != nil {
		return nil, err
	}
	cfg := graph.Config{Ledger: ledger.New(events), Read: e.read, Feed: proj, Log: events,
		AnonymousRead: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	mux.Handle("/query", graph.NewHandler(cfg))
	cfg.Limits.CacheBytes = -1
	mux.Handle("/query-uncached", graph.NewHandler(cfg))
	mux.HandleFunc("/floor", e.serveFloor)
	e.srv = httptest.NewServer(mux)
	for _, code := range benchBodiesQueried {
		body := fmt.Appendf(nil, `{"query":%q,"variables":{"code":%q}}`, benchQuery, code)
		e.bodies = append(e.bodies, body)
		answer, err := e.post("/query", 0, body)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(answer, []byte(`"hasNextPage":true`)) || bytes.Contains(answer, []byte(`"errors"`)) {
			return nil, fmt.Errorf("district %s: unexpected answer %s", code, answer)
		}
		e.floor = append(e.floor, answer)
	}
	pos, _ := e.read.Checkpoint(context.Background())
	b.Logf("setup: %d events, %d items, %d bodies generated and projected in %s; answer %d bytes",
		pos, benchItems, benchBodies, time.Since(began).Round(time.Second), len(e.floor[0]))
	// The data serves every benchmark of the run; TestMain removes it.
	benchCleanup = func() { e.srv.Close(); events.Close(); os.RemoveAll(dir) }
	return e, nil
}

var benchCleanup = func() {}

// TestMain removes the benchmark's data once every benchmark has run.
func TestMain(m *testing.M) {
	code := m.Run()
	benchCleanup()
	os.Exit(code)
}

// serveFloor is the HTTP floor: a plain handler that reads the request as
// the GraphQL endpoint does and writes the same answer bytes, with no
// GraphQL and no read model.
func (e *benchEnv) serveFloor(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	i, _ := strconv.Atoi(r.URL.Query().Get("i"))
	w.Header().Set("Content-Type", "application/json")
	w.Write(e.floor[i%len(e.floor)])
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}}

func (e *benchEnv) post(path string, i int, body []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path+"?i="+strconv.Itoa(i), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := benchClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, out)
	}
	return out, err
}

// lookup is the same question asked of the read model directly.
func (e *benchEnv) lookup(ctx context.Context, i int) error {
	code := benchBodiesQueried[i%len(benchBodiesQueried)]
	at := projections.Axes{InForceOn: e.today}
	if _, err := e.read.Views().Body(ctx, code, at); err != nil {
		return err
	}
	_, err := e.read.Views().Delegations(ctx, projections.DelegationQuery{Axes: at, Body: code, Page: projections.Page{First: benchPage}})
	return err
}

// stats are one measurement: requests per second and latency percentiles.
type stats struct {
	qps, p50, p99 float64 // p50, p99 in milliseconds
}

// measure runs n requests from clients goroutines and returns their rate
// and latencies.
func measure(b *testing.B, clients int, do func(i int) error) stats {
	n := b.N
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	s := stats{qps: float64(n) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99)}
	b.ReportMetric(s.qps, "queries/s")
	b.ReportMetric(s.p50, "p50-ms")
	b.ReportMetric(s.p99, "p99-ms")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless across concurrent clients
	return s
}

// BenchmarkBodyDelegatedItems measures body(code){delegatedItems} over HTTP
// at 1, 16 and 64 concurrent clients, beside two baselines measured in the
// same run: the same lookup called directly on the read model, and the HTTP
// floor (a plain net/http handler on the same server writing the same
// answer bytes). The graphql runs report their throughput as a fraction of
// the floor's (x-floor; target ≥ 0.5 at 16 and 64 clients) and their p99
// (target < 5 ms at 64 clients). "graphql" is the endpoint as served, with
// its answer cache; "graphql-uncached" executes every request, to show what
// the cache saves.
//
//	go test -run '^$' -bench BodyDelegatedItems ./graph
func BenchmarkBodyDelegatedItems(b *testing.B) {
	e := setupBench(b)
	for _, clients := range []int{1, 16, 64} {
		var floor stats
		b.Run(fmt.Sprintf("clients=%d/readmodel", clients), func(b *testing.B) {
			ctx := context.Background()
			measure(b, clients, func(i int) error { return e.lookup(ctx, i) })
		})
		b.Run(fmt.Sprintf("clients=%d/httpfloor", clients), func(b *testing.B) {
			floor = measure(b, clients, func(i int) error {
				_, err := e.post("/floor", i, e.bodies[i%len(e.bodies)])
				return err
			})
		})
		for _, path := range []string{"/query", "/query-uncached"} {
			b.Run(fmt.Sprintf("clients=%d/graphql%s", clients, strings.TrimPrefix(path, "/query")), func(b *testing.B) {
				s := measure(b, clients, func(i int) error {
					_, err := e.post(path, i, e.bodies[i%len(e.bodies)])
					return err
				})
				if floor.qps > 0 {
					b.ReportMetric(s.qps/floor.qps, "x-floor")
				}
			})
		}
	}
}
