package graph

import (
	"context"
	"crypto/sha256"
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/ast"
)

// bytesLRU is a least-recently-used cache bounded by the bytes its entries
// take rather than by their number: entries of a cache that keeps what
// clients send, or answers to it, range from a hundred bytes to a megabyte,
// and a bound by number lets a client that sends large ones fill memory.
// An entry costing more than maxEntry is not kept. Safe for concurrent use.
type bytesLRU[K comparable, V any] struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[K, costed[V]]
	used     int64
	limit    int64
	maxEntry int64
}

type costed[V any] struct {
	v    V
	cost int64
}

// newBytesLRU returns a cache of at most limit bytes, or nil when limit is
// not positive (every method of a nil cache is a no-op).
func newBytesLRU[K comparable, V any](limit, maxEntry int64) *bytesLRU[K, V] {
	if limit <= 0 {
		return nil
	}
	c := &bytesLRU[K, V]{limit: limit, maxEntry: min(maxEntry, limit)}
	// Bounded by bytes, not by number: the count bound is never reached.
	c.lru, _ = simplelru.NewLRU(math.MaxInt, func(_ K, e costed[V]) { c.used -= e.cost })
	return c
}

// Get returns the value kept under k and marks it recently used.
func (c *bytesLRU[K, V]) Get(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	e, ok := c.lru.Get(k)
	c.mu.Unlock()
	return e.v, ok
}

// Contains reports whether k is kept, without marking it used.
func (c *bytesLRU[K, V]) Contains(k K) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Contains(k)
}

// Add keeps v under k at the given cost in bytes (which should count the
// key as well), evicting the least recently used entries past the limit.
func (c *bytesLRU[K, V]) Add(k K, v V, cost int64) {
	if c == nil || cost > c.maxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k) // simplelru replaces a value without telling: take its cost off first
	c.lru.Add(k, costed[V]{v, cost})
	c.used += cost
	for c.used > c.limit && c.lru.Len() > 0 {
		c.lru.RemoveOldest()
	}
}

// Bytes returns the cost of what the cache keeps.
func (c *bytesLRU[K, V]) Bytes() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// entryOverhead is what an entry costs beyond its key's and value's own
// bytes: the list element, the map slot, the headers of strings and slices.
const entryOverhead = 160

// documentCache is gqlgen's cache of parsed and validated queries, bounded
// by bytes and keyed by a digest of the query: gqlgen keys it on the query
// text, which may be a megabyte of white space around a small query, and
// its own LRU bounds only the number of entries.
type documentCache struct {
	lru *bytesLRU[[sha256.Size]byte, *ast.QueryDocument]
}

func newDocumentCache(limit int64) *documentCache {
	return &documentCache{lru: newBytesLRU[[sha256.Size]byte, *ast.QueryDocument](limit, limit/16)}
}

// Get implements graphql.Cache.
func (c *documentCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	return c.lru.Get(sha256.Sum256([]byte(query)))
}

// Add implements graphql.Cache. A parsed document keeps the query's text
// (its positions refer to it) and some 40 bytes of syntax tree for each
// byte of text that is not white space.
func (c *documentCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	c.lru.Add(sha256.Sum256([]byte(query)), doc, int64(len(query)+documentBytesPerByte*nonSpace(query)+entryOverhead))
}

// has reports whether query is kept: parsed, validated and, before that,
// found within the shape limits.
func (c *documentCache) has(query string) bool {
	return c.lru.Contains(sha256.Sum256([]byte(query)))
}

// documentBytesPerByte estimates the syntax tree's bytes per byte of query
// text that is not white space, generously: a parsed and validated
// document measured 29 on the benchmark's query and 25 on GraphiQL's
// schema query.
const documentBytesPerByte = 40

func nonSpace(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', ',':
		default:
			n++
		}
	}
	return n
}
