package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"

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
//
// Requests are keyed by their normalised form — the query as gqlgen's
// formatter prints it, without comments or padding, with the operation
// name and the variables and extensions as canonical JSON — digested, so
// that white space, comments or key order in a request make no new entry
// and a key is small whatever the request's size. Normalising parses the
// query; the normalised key of a request as sent is kept in a second,
// small cache, so that a request asked again is answered without parsing.
// Both caches are bounded by bytes (Limits.CacheBytes).
type responseCache struct {
	feed      Feed
	today     func() domain.Date
	maxTokens int
	answers   *bytesLRU[responseKey, *cachedResponse]
	requests  *bytesLRU[string, requestDigest] // a request as sent → its normalised digest
}

type requestDigest [sha256.Size]byte

type responseKey struct {
	pos       eventstore.Position
	today     domain.Date
	principal string
	method    string
	accept    string
	request   requestDigest // of the normalised request
}

type cachedResponse struct {
	contentType string
	body        []byte
}

// newResponseCache returns a cache of answers of at most answerBytes and
// of normalised requests of at most requestBytes; nil when answerBytes is
// not positive.
func newResponseCache(feed Feed, today func() domain.Date, maxTokens int, answerBytes, requestBytes int64) *responseCache {
	if answerBytes <= 0 {
		return nil
	}
	return &responseCache{feed: feed, today: today, maxTokens: maxTokens,
		answers:  newBytesLRU[responseKey, *cachedResponse](answerBytes, min(answerBytes/16, 1<<20)),
		requests: newBytesLRU[string, requestDigest](requestBytes, requestBytes/64)}
}

// key returns the key of a request whose body has been read; ok is false
// when the request cannot be normalised (it does not parse) or is no query,
// and is then not answered from the cache, nor kept.
func (c *responseCache) key(r *http.Request, body []byte) (k responseKey, ok bool) {
	k = responseKey{pos: c.feed.Position(), today: c.today(), method: r.Method, accept: r.Header.Get("Accept")}
	if p := auth.FromContext(r.Context()); p != nil {
		k.principal = p.TokenID
	}
	sent := r.Method + " " + r.URL.RawQuery
	if r.Method == http.MethodPost {
		sent = r.Method + " " + string(body)
	}
	if k.request, ok = c.requests.Get(sent); ok {
		return k, true
	}
	var params *graphql.RawParams
	if r.Method == http.MethodPost {
		params, ok = postParams(body)
	} else {
		params, ok = getParams(r.URL.RawQuery)
	}
	if !ok {
		return k, false
	}
	if k.request, ok = normalise(params, c.maxTokens); ok {
		c.requests.Add(sent, k.request, int64(len(sent)+len(k.request)+entryOverhead))
	}
	return k, ok
}

// postParams decodes a POST body as gqlgen's POST transport does.
func postParams(body []byte) (*graphql.RawParams, bool) {
	p := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(p); err != nil {
		return nil, false
	}
	return p, true
}

// getParams decodes a GET query string as gqlgen's GET transport does.
func getParams(rawQuery string) (*graphql.RawParams, bool) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, false
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	for name, into := range map[string]*map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := q.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if dec.Decode(into) != nil {
				return nil, false
			}
		}
	}
	return p, true
}

// normalise returns the digest of a query's normalised form (false for a
// request that does not parse or asks for no query): its query
// parsed (with the token limit) and printed by gqlparser's formatter, its
// operation name, and its variables and extensions as encoding/json writes
// maps (keys sorted; numbers as sent, since they are decoded as
// json.Number).
func normalise(p *graphql.RawParams, maxTokens int) (requestDigest, bool) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, maxTokens)
	if err != nil {
		return requestDigest{}, false
	}
	if op := doc.Operations.ForName(p.OperationName); op == nil || op.Operation != ast.Query {
		return requestDigest{}, false // a mutation or subscription: never kept
	}
	h := sha256.New()
	formatter.NewFormatter(h, formatter.WithCompacted()).FormatQueryDocument(doc)
	vars, err := json.Marshal(p.Variables)
	if err != nil {
		return requestDigest{}, false
	}
	ext, err := json.Marshal(p.Extensions)
	if err != nil {
		return requestDigest{}, false
	}
	for _, part := range [][]byte{[]byte(p.OperationName), vars, ext} {
		// Each part with its length first: no two requests share a form.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var d requestDigest
	h.Sum(d[:0])
	return d, true
}

// serve answers from the cache and reports whether it did.
func (c *responseCache) serve(w http.ResponseWriter, k responseKey) bool {
	if c == nil || k.pos == 0 {
		return false
	}
	hit, ok := c.answers.Get(k)
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
	if c == nil || k.pos == 0 || !note.query.Load() || note.errors.Load() || w.status != http.StatusOK {
		return
	}
	ct := w.Header().Get("Content-Type")
	c.answers.Add(k, &cachedResponse{contentType: ct, body: bytes.Clone(w.body.Bytes())},
		int64(w.body.Len()+len(ct)+len(k.principal)+len(k.method)+len(k.accept)+entryOverhead))
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
