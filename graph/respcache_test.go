package graph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

type fixedFeed eventstore.Position

func (f fixedFeed) Position() eventstore.Position                      { return eventstore.Position(f) }
func (f fixedFeed) WaitFor(context.Context, eventstore.Position) error { return nil }

// TestResponseCacheKeys: requests that differ only in white space, comments
// or the order of their variables' keys share a key; requests that differ
// in anything an answer depends on do not.
func TestResponseCacheKeys(t *testing.T) {
	c := newResponseCache(fixedFeed(7), func() domain.Date { return domain.Date{} }, 10_000, 1<<20, 1<<16)
	key := func(method, body string) responseKey {
		t.Helper()
		r, _ := http.NewRequest(method, "/query", nil)
		if method == http.MethodGet {
			r.URL.RawQuery = body
		}
		k, ok := c.key(r, []byte(body))
		if !ok {
			t.Fatalf("%s %s: not normalised", method, body)
		}
		return k
	}
	base := key("POST", `{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":1,"b":"x"}}`)
	for _, same := range []string{
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":1,"b":"x"}}`,
		`  {"variables": {"b": "x", "a": 1}, "query": "# a comment\nquery   Q($a:Int,$b:String){catalogue(first:$a){totalCount}}` + strings.Repeat(" ", 5000) + `"}`,
		`{"query":"query Q($a: Int, $b: String) {\n  catalogue(first: $a) {\n    totalCount\n  }\n}\n","variables":{"a":1,"b":"x"},"operationName":""}`,
	} {
		if k := key("POST", same); k != base {
			t.Errorf("a new key for %.80s", same)
		}
	}
	for _, other := range []string{
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":2,"b":"x"}}`,
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":1,"b":"x "}}`,
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":1,"b":"x"},"operationName":"Q"}`,
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount nodes { code } } }","variables":{"a":1,"b":"x"}}`,
		`{"query":"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }","variables":{"a":1,"b":"x"},"extensions":{"e":1}}`,
	} {
		if k := key("POST", other); k == base {
			t.Errorf("the same key for %.100s", other)
		}
	}
	get := url.Values{"query": {"query Q($a: Int, $b: String) { catalogue(first: $a) { totalCount } }"}, "variables": {`{"b":"x","a":1}`}}
	if k := key("GET", get.Encode()); k.request != base.request || k == base {
		t.Error("a GET must share the normalised request of the same POST, and differ by its method")
	}
	r, _ := http.NewRequest("POST", "/query", nil)
	for _, never := range []string{
		`{"query":"{ catalogue { "}`,
		`{"query":"mutation { publishEdition(input: {}) { position } }"}`,
		`{"query":"query A { __typename } mutation B { __typename }","operationName":"B"}`,
		`{"query":"query A { __typename }","operationName":"C"}`,
	} {
		if _, ok := c.key(r, []byte(never)); ok {
			t.Errorf("%s was given a key", never)
		}
	}
}

// TestBytesLRU: the cache keeps at most its limit in bytes, evicting the
// least recently used, and refuses entries larger than its entry bound.
func TestBytesLRU(t *testing.T) {
	c := newBytesLRU[int, string](1000, 400)
	for i := range 10 {
		c.Add(i, "x", 150)
	}
	if c.Bytes() > 1000 {
		t.Fatalf("keeps %d bytes", c.Bytes())
	}
	if _, ok := c.Get(0); ok {
		t.Error("the oldest entry was kept")
	}
	c.Get(4) // used: kept when the next entry comes
	c.Add(10, "x", 150)
	if _, ok := c.Get(4); !ok {
		t.Error("a recently used entry was evicted")
	}
	c.Add(11, "big", 401)
	if _, ok := c.Get(11); ok || c.Bytes() > 1000 {
		t.Errorf("an entry over the entry bound was kept (%d bytes)", c.Bytes())
	}
	// Replacing an entry (two requests that missed the same key both add
	// it) replaces its cost.
	r := newBytesLRU[int, string](1000, 1000)
	r.Add(1, "x", 100)
	r.Add(1, "y", 300)
	if v, _ := r.Get(1); v != "y" || r.Bytes() != 300 {
		t.Errorf("replaced: %q, %d bytes, want 300", v, r.Bytes())
	}
	var off *bytesLRU[int, string] = newBytesLRU[int, string](0, 0)
	off.Add(1, "x", 1)
	if _, ok := off.Get(1); ok {
		t.Error("a cache of no bytes kept something")
	}
}
