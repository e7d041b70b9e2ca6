package graph

import (
	"bytes"
	"context"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/auth"
)

// responseCache keeps whole answers to queries by the read models'
// position, so that the question a district asks all day — which powers do
// we hold — is answered with bytes already written, until a change moves
// the position.
//
// Why it is exact: an answer depends only on the request (its body or query
// string and the media type it accepts), on who asks (the principal, for
// @allow, a body officer's scope and `me`), on today's date (the default
// inForceOn) and on the read models, which change only by advancing their
// position. An answer is kept under the position the read models had when
// its request arrived; it was read at that position or a later one, so
// whoever finds it under that key gets an answer at least as new as the
// position they asked at — never an older one. Mutations, subscriptions
// and answers with errors are never kept.
type responseCache struct {
	feed  Feed
	today func() domain.Date
	max   int // bytes of the largest answer kept
	lru   *lru.Cache[responseKey, *cachedResponse]
}

type responseKey struct {
	pos       eventstore.Position
	today     domain.Date
	principal string
	method    string
	accept    string
	request   string // the POST body or the GET query string
}

type cachedResponse struct {
	contentType string
	body        []byte
}

func newResponseCache(feed Feed, today func() domain.Date, size int) *responseCache {
	if size <= 0 {
		return nil
	}
	c, _ := lru.New[responseKey, *cachedResponse](size)
	return &responseCache{feed: feed, today: today, max: 1 << 20, lru: c}
}

// key returns the key of a request whose body has been read.
func (c *responseCache) key(r *http.Request, body []byte) responseKey {
	k := responseKey{pos: c.feed.Position(), today: c.today(), method: r.Method, accept: r.Header.Get("Accept")}
	if p := auth.FromContext(r.Context()); p != nil {
		k.principal = p.TokenID
	}
	if r.Method == http.MethodGet {
		k.request = r.URL.RawQuery
	} else {
		k.request = string(body)
	}
	return k
}

// serve answers from the cache and reports whether it did.
func (c *responseCache) serve(w http.ResponseWriter, k responseKey) bool {
	if c == nil || k.pos == 0 {
		return false
	}
	hit, ok := c.lru.Get(k)
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", hit.contentType)
	w.Write(hit.body)
	return true
}

// record keeps what w captured if the request was a query answered without
// errors.
func (c *responseCache) record(k responseKey, w *captureWriter, note *cacheNote) {
	if c == nil || k.pos == 0 || !note.query.Load() || note.errors.Load() || w.status != http.StatusOK || w.body.Len() > c.max {
		return
	}
	c.lru.Add(k, &cachedResponse{contentType: w.Header().Get("Content-Type"), body: bytes.Clone(w.body.Bytes())})
}

// cacheNote is what execution tells the cache about a request: whether it
// was a query, and whether its answer carries errors.
type cacheNote struct {
	query, errors atomic.Bool
}

type cacheNoteKey struct{}

// noteOperation records whether the operation is a query (not a mutation
// or subscription).
func noteOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if n, ok := ctx.Value(cacheNoteKey{}).(*cacheNote); ok {
		oc := graphql.GetOperationContext(ctx)
		n.query.Store(oc.Operation != nil && oc.Operation.Operation == ast.Query)
	}
	return next(ctx)
}

// noteResponse records whether the answer carries errors.
func noteResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if n, ok := ctx.Value(cacheNoteKey{}).(*cacheNote); ok && resp != nil && len(resp.Errors) > 0 {
		n.errors.Store(true)
	}
	return resp
}

// captureWriter passes an answer through and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
