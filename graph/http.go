package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/catalogue/catalogue/graph/auth"
	"github.com/catalogue/catalogue/graph/generated"
)

// NewHandler returns the GraphQL endpoint: POST (queries, mutations) and
// GET (queries only) as GraphQL-over-HTTP describes them, answering
// application/json or application/graphql-response+json as the client
// accepts, and WebSocket subscriptions (graphql-transport-ws, and the older
// graphql-ws) on the same path. Callers sign in with a bearer token in the
// Authorization header, or for a WebSocket in the connection_init payload.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Limits = cfg.Limits.withDefaults()
	l := cfg.Limits
	r := &Resolver{ledger: cfg.Ledger, read: cfg.Read, feed: cfg.Feed, log: cfg.Log, logger: cfg.Logger, now: cfg.Now, limits: l}
	h := &httpHandler{tokens: cfg.Tokens, limits: l, logger: cfg.Logger, anonymous: cfg.AnonymousRead,
		cache: newResponseCache(cfg.Feed, r.today, l.MaxTokens, l.cacheBytes(cacheShareAnswers), l.cacheBytes(cacheShareRequests))}
	documents := newDocumentCache(l.documentCacheBytes())

	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  r,
		Directives: generated.DirectiveRoot{Allow: allow},
		Complexity: complexity(),
	}))
	srv.AddTransport(transport.Websocket{
		Implementation:        wsImplementation{},
		InitFunc:              h.websocketInit,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		// graphql-transport-ws: a client that answers no ping within two
		// intervals (one that stopped reading) is disconnected, which also
		// frees a send blocked on it.
		PingPongInterval: 20 * time.Second,
		PayloadReadLimit: &cfg.Limits.MaxBodyBytes,
	})
	srv.AddTransport(transport.Options{AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions}})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postJSON{})
	srv.SetQueryCache(documents)
	srv.SetParserTokenLimit(cfg.Limits.MaxTokens)
	srv.Use(shapeLimit{maxTokens: l.MaxTokens, maxSelections: l.MaxSelections, maxRepeats: l.MaxRepeats, parsed: documents})
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(cfg.Limits.MaxComplexity))
	srv.Use(depthLimit{max: cfg.Limits.MaxDepth})
	srv.Use(noNUL{})
	srv.AroundOperations(withLoaders)
	srv.AroundOperations(noteOperation)
	srv.AroundResponses(noteResponse)
	if !cfg.AnonymousRead {
		srv.AroundFields(requireSignIn)
	}
	srv.SetErrorPresenter(r.presentError)
	srv.SetRecoverFunc(r.recoverPanic)
	h.gql = srv
	return h
}

type httpHandler struct {
	gql       http.Handler
	tokens    *auth.Store
	limits    Limits
	logger    *slog.Logger
	anonymous bool
	cache     *responseCache // nil when turned off
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	if r.Header.Get("Upgrade") != "" {
		h.gql.ServeHTTP(w, withWSEnd(r)) // a WebSocket: long-lived, bounded by its own pings and read limit
		return
	}
	// A slow client must not hold the server: the request must arrive
	// within ReadTimeout and the answer be taken within WriteTimeout of the
	// execution's own bound.
	rc := http.NewResponseController(w)
	now := time.Now()
	_ = rc.SetReadDeadline(now.Add(h.limits.ReadTimeout))
	_ = rc.SetWriteDeadline(now.Add(h.limits.ReadTimeout + h.limits.RequestTimeout + h.limits.WriteTimeout))
	ctx, cancel := context.WithTimeout(r.Context(), h.limits.RequestTimeout)
	defer cancel()
	r = r.WithContext(ctx)

	var body []byte
	switch r.Method {
	case http.MethodPost:
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			h.fail(w, r, http.StatusUnsupportedMediaType, errors.New("send the request as Content-Type: application/json"))
			return
		}
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.limits.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				h.fail(w, r, http.StatusRequestEntityTooLarge, errors.New("the request body is larger than the limit"))
				return
			}
			h.fail(w, r, http.StatusBadRequest, errors.New("the request body could not be read"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	case http.MethodGet:
		if len(r.URL.RawQuery) > int(h.limits.MaxBodyBytes) {
			h.fail(w, r, http.StatusRequestURITooLong, errors.New("the query string is larger than the limit"))
			return
		}
	case http.MethodOptions:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		h.fail(w, r, http.StatusMethodNotAllowed, errors.New("use POST, or GET for queries"))
		return
	}
	if r.Method == http.MethodOptions {
		h.gql.ServeHTTP(w, r)
		return
	}
	if h.cache == nil {
		h.execute(w, r)
		return
	}
	key, ok := h.cache.key(r, body)
	if !ok {
		h.execute(w, r)
		return
	}
	if h.cache.serve(w, key) {
		return
	}
	note := &cacheNote{}
	cw := &captureWriter{ResponseWriter: w}
	h.execute(cw, r.WithContext(context.WithValue(r.Context(), cacheNoteKey{}, note)))
	h.cache.record(key, cw, note)
}

// execute runs a GET or POST request through gqlgen.
func (h *httpHandler) execute(w http.ResponseWriter, r *http.Request) {
	rw := &requestErrors{ResponseWriter: w, get: r.Method == http.MethodGet}
	h.gql.ServeHTTP(rw, r)
	rw.finish()
}

// authenticate signs r in with its Authorization header, if it has one,
// and returns it with the principal in its context; a header that signs no
// one in is answered 401 (503 when the server cannot read its tokens) and
// ok is false.
func (h *httpHandler) authenticate(w http.ResponseWriter, r *http.Request) (_ *http.Request, ok bool) {
	if r.Header.Get("Authorization") == "" {
		return r, true
	}
	p, err := h.signIn(r.Header.Get("Authorization"))
	if err != nil {
		status := http.StatusUnauthorized
		if ae, ok := err.(*auth.Error); ok && ae.Code == auth.CodeUnavailable {
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "30")
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="catalogue"`)
		}
		h.fail(w, r, status, err)
		return r, false
	}
	return r.WithContext(auth.WithPrincipal(r.Context(), p)), true
}

// signIn returns the principal of an Authorization header.
func (h *httpHandler) signIn(header string) (*auth.Principal, error) {
	token, ok := auth.BearerToken(header)
	if !ok {
		return nil, auth.Unauthenticated("the Authorization header must be \"Bearer <token>\"")
	}
	if h.tokens == nil {
		return nil, auth.Unauthenticated("this server issues no tokens")
	}
	return h.tokens.Authenticate(token)
}

// websocketInit signs a WebSocket in with the Authorization of its
// connection_init payload (browsers cannot set headers on a WebSocket); a
// connection without one keeps what its upgrade request's header said.
// A signed-in connection closes when its token stops signing in.
func (h *httpHandler) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	header := payload.Authorization()
	if header == "" {
		if headers, ok := payload["headers"].(map[string]any); ok { // some clients nest headers
			header, _ = headers["Authorization"].(string)
		}
	}
	if header != "" {
		p, err := h.signIn(header)
		if err != nil {
			return wsRefuse(ctx, err), nil, err
		}
		ctx = auth.WithPrincipal(ctx, p)
	}
	if p := auth.FromContext(ctx); p != nil {
		ctx = h.closeOnRevocation(ctx, p)
	}
	return ctx, nil, nil
}

// fail answers a request refused before GraphQL execution, in the shape of
// a GraphQL response so that every client reads it the same way.
func (h *httpHandler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := "BAD_USER_INPUT"
	var ae *auth.Error
	if errors.As(err, &ae) {
		code = ae.Code
	} else if status >= 500 {
		code = "INTERNAL"
	}
	writeErrorJSON(w, r, status, err.Error(), map[string]any{"code": code})
}

// writeErrorJSON writes one error in the shape of a GraphQL response, as
// application/graphql-response+json when the client accepts it.
func writeErrorJSON(w http.ResponseWriter, r *http.Request, status int, message string, extensions map[string]any) {
	ct := "application/json"
	if strings.Contains(r.Header.Get("Accept"), "application/graphql-response+json") {
		ct = "application/graphql-response+json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": message, "extensions": extensions}}})
}

// requestErrors brings gqlgen's answers to requests refused before
// execution (unparsable, invalid, over a limit) in line with
// GraphQL-over-HTTP: 200 rather than 422 for application/json, 405 rather
// than 406 for a mutation sent with GET, and no "data" entry, since
// execution never began.
type requestErrors struct {
	http.ResponseWriter
	get      bool
	status   int
	buffered *bytes.Buffer // set when the answer is a request error
}

func (w *requestErrors) WriteHeader(status int) {
	switch {
	case w.get && status == http.StatusNotAcceptable:
		w.Header().Set("Allow", "POST")
		status = http.StatusMethodNotAllowed
	case status == http.StatusUnprocessableEntity && w.Header().Get("Content-Type") == "application/json":
		status = http.StatusOK
		w.buffered = &bytes.Buffer{}
	case status == http.StatusUnprocessableEntity:
		status = http.StatusBadRequest
		w.buffered = &bytes.Buffer{}
	case status >= 400:
		w.buffered = &bytes.Buffer{}
	}
	w.status = status
	if w.buffered == nil {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *requestErrors) Write(b []byte) (int, error) {
	if w.buffered != nil {
		return w.buffered.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *requestErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes a buffered request error without its "data": null.
func (w *requestErrors) finish() {
	if w.buffered == nil {
		return
	}
	body := w.buffered.Bytes()
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) == nil {
		if d, ok := resp["data"]; ok && string(d) == "null" {
			delete(resp, "data")
			if b, err := json.Marshal(resp); err == nil {
				body = b
			}
		}
	}
	w.ResponseWriter.WriteHeader(w.status)
	w.ResponseWriter.Write(body)
}

// allow implements @allow: only principals of the listed roles may use the
// field.
func allow(ctx context.Context, obj any, next graphql.Resolver, roles []auth.Role) (any, error) {
	p := auth.FromContext(ctx)
	field := graphql.GetFieldContext(ctx).Field.Name
	if p == nil {
		return nil, auth.Unauthenticated("%s needs a token (role %s): send Authorization: Bearer <token>", field, roleList(roles))
	}
	if !p.Is(roles...) {
		return nil, auth.Forbidden("%s is for %s; %s is a %s", field, roleList(roles), p.Name, p.Role)
	}
	return next(ctx)
}

func roleList(roles []auth.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// requireSignIn refuses every root field but introspection to anonymous
// callers, when the server runs with anonymous reading off. GraphiQL can
// still load the schema before its user pastes a token.
//
// It is a field middleware rather than a root-field one so that the refusal
// is the field's error: gqlgen then nulls the field the way the GraphQL spec
// says — a nullable root field answers null, a non-null one (catalogue:
// ItemConnection!) makes "data" null — where a root-field middleware's
// graphql.Null would put a null into a non-null field.
func requireSignIn(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	// gqlgen gives an operation's fields a parent context of the operation's
	// type (Query, Mutation, Subscription), which has none.
	root := fc.Parent != nil && fc.Parent.Parent == nil
	if root && auth.FromContext(ctx) == nil && !strings.HasPrefix(fc.Field.Name, "__") {
		return nil, auth.Unauthenticated("this server does not answer anonymous requests: send Authorization: Bearer <token>")
	}
	return next(ctx)
}
