package graph_test

import (
	"encoding/json"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph/hostile"
)

// TestCachedAnswersFollowWrites: answers kept by the response cache are
// never older than the read models: after a write, the same question gets
// the new answer; and who asks is part of the question.
func TestCachedAnswersFollowWrites(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	count := `{ catalogue { totalCount } }`
	before := e.ok(anon, count, nil).get("catalogue.totalCount").(float64)
	e.ok(anon, count, nil) // now kept
	res := e.ok(legal, listItem, input(map[string]any{"code": "C-1", "name": "新事项", "department": "市民政局", "level": "MUNICIPAL"}))
	e.ok(anon, `query($p: Position) { catalogue(waitFor: $p) { totalCount } }`, map[string]any{"p": res.str("listItem.position")})
	deadline := time.Now().Add(2 * time.Second)
	for e.ok(anon, count, nil).get("catalogue.totalCount").(float64) != before+1 {
		if time.Now().After(deadline) {
			t.Fatal("the cached answer outlived the write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	me := `{ me { name } }`
	if a, b := e.ok(legal, me, nil).str("me.name"), e.ok(auditor, me, nil).str("me.name"); a == b {
		t.Errorf("two principals got the same answer %q", a)
	}
	if e.ok(anon, me, nil).get("me") != nil {
		t.Error("anonymous got someone's answer")
	}
}

// TestCachesBoundedByBytes sends the same question padded differently each
// time — 200 requests of 200 KiB — and expects the memory the server keeps
// to stay far below what it was sent: the caches key on the normalised
// request and are bounded by bytes (before, the answer cache and gqlgen's
// parsed-query cache each kept every padded body: 600 such requests took a
// server from 49 MB to 1 GB).
func TestCachesBoundedByBytes(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	const n, size = 200, 200 << 10
	before := heap()
	var first string
	for i := range n {
		body, _ := json.Marshal(map[string]any{"query": hostile.Padded(`{ catalogue { totalCount } }`, size+i)})
		status, _, answer := httpDo(t, post(t, srv.URL+"/query", "", "", string(body)))
		got, _ := json.Marshal(answer)
		if first == "" {
			first = string(got)
		}
		if status != 200 || string(got) != first {
			t.Fatalf("request %d: %d %s", i, status, got)
		}
	}
	grown := int64(heap()) - int64(before)
	t.Logf("sent %d MiB; the heap grew by %.1f MiB", n*size>>20, float64(grown)/(1<<20))
	if grown > 16<<20 {
		t.Errorf("the heap grew by %.1f MiB after %d padded requests of %d KiB", float64(grown)/(1<<20), n, size>>10)
	}
}
