package graph

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/auth"
)

// ExportPath is where the serving binary answers downloads of the
// catalogue as a spreadsheet (GET /export?format=…&edition=…). The endpoint
// itself lives beside the export writer (cmd/internal/app); this package
// parses and builds its URLs, so that the exportUrl field and the endpoint
// accept exactly the same requests, and signs its callers in as /query does.
const ExportPath = "/export"

// ExportQuery is what a download asks for: the list of Edition; or the
// powers Body holds on InForceOn (today when zero); or the catalogue in
// force on InForceOn, as known at AsOf (0 = everything recorded).
type ExportQuery struct {
	Format    string // xlsx or csv; checked by the writer, which knows its formats
	Edition   string
	Body      string
	InForceOn domain.Date
	AsOf      eventstore.Position
}

// exportParams are the query parameters the endpoint knows; any other is
// refused, so that a misspelt one (inforceon) is not silently ignored.
var exportParams = map[string]bool{"format": true, "edition": true, "body": true, "inForceOn": true, "asOf": true}

// ParseExportQuery reads the endpoint's query parameters. Refusals are
// domain errors naming the parameter at fault (BAD_USER_INPUT).
func ParseExportQuery(v url.Values) (ExportQuery, error) {
	for k, vs := range v {
		if !exportParams[k] {
			return ExportQuery{}, domain.Errorf(domain.CodeInvalid, shorten(k), "unknown parameter; give format and one of edition, inForceOn (with asOf) or body")
		}
		if len(vs) > 1 {
			return ExportQuery{}, domain.Errorf(domain.CodeInvalid, k, "given %d times; give it once", len(vs))
		}
	}
	q := ExportQuery{Format: v.Get("format"), Edition: v.Get("edition"), Body: v.Get("body")}
	if s := v.Get("inForceOn"); s != "" {
		d, err := domain.ParseDate(s)
		if err != nil {
			return ExportQuery{}, domain.Errorf(domain.CodeInvalid, "inForceOn", "%v", err)
		}
		q.InForceOn = d
	}
	if s := v.Get("asOf"); s != "" {
		p, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return ExportQuery{}, domain.Errorf(domain.CodeInvalid, "asOf", "%q is not a log position (a decimal number)", s)
		}
		q.AsOf = eventstore.Position(p)
	}
	return q, q.check()
}

// check refuses a query that asks for no list, or for an edition with a
// date, position or body (an edition fixes its own).
func (q ExportQuery) check() error {
	switch {
	case q.Format == "":
		return domain.Errorf(domain.CodeInvalid, "format", "give format=xlsx or format=csv")
	case strings.ContainsRune(q.Edition, 0):
		return domain.Errorf(domain.CodeInvalid, "edition", "must not contain NUL")
	case strings.ContainsRune(q.Body, 0):
		return domain.Errorf(domain.CodeInvalid, "body", "must not contain NUL")
	case q.Edition != "" && (q.Body != "" || !q.InForceOn.IsZero() || q.AsOf != 0):
		return domain.Errorf(domain.CodeInvalid, "edition", "an edition fixes its own date and position; give no body, inForceOn or asOf with it")
	case q.Edition == "" && q.Body == "" && q.InForceOn.IsZero():
		return domain.Errorf(domain.CodeInvalid, "inForceOn", "give edition, inForceOn (with asOf) or body")
	}
	return nil
}

// URL is the query's relative URL on the server, e.g.
// /export?edition=2023%E5%B9%B4%E7%89%88&format=xlsx.
func (q ExportQuery) URL() string {
	v := url.Values{"format": {q.Format}}
	if q.Edition != "" {
		v.Set("edition", q.Edition)
	}
	if q.Body != "" {
		v.Set("body", q.Body)
	}
	if !q.InForceOn.IsZero() {
		v.Set("inForceOn", q.InForceOn.String())
	}
	if q.AsOf != 0 {
		v.Set("asOf", strconv.FormatUint(uint64(q.AsOf), 10))
	}
	return ExportPath + "?" + v.Encode()
}

// SignIn wraps a plain HTTP endpoint (not GraphQL) in /query's sign-in: a
// bearer token signs the request in, a bad one is refused 401 (503 when
// the server cannot read its tokens), and a request without one is refused
// 401 unless anonymous reading is on. Refusals are JSON in the shape of a
// GraphQL error, as /query answers them.
func SignIn(tokens *auth.Store, anonymous bool, next http.Handler) http.Handler {
	h := &httpHandler{tokens: tokens, anonymous: anonymous}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ok := h.authenticate(w, r)
		if !ok {
			return
		}
		if !anonymous && auth.FromContext(r.Context()) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="catalogue"`)
			h.fail(w, r, http.StatusUnauthorized, auth.Unauthenticated("this server does not answer anonymous requests: send Authorization: Bearer <token>"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteHTTPError answers a plain HTTP endpoint's refusal in the shape of a
// GraphQL error with the code the API gives the same error:
// BAD_USER_INPUT (400) with the field at fault, NOT_FOUND (404), FORBIDDEN
// (403), UNAUTHENTICATED (401). Any other error is internal: the caller
// logs it, the client sees only "internal error" (500).
func WriteHTTPError(w http.ResponseWriter, r *http.Request, err error) {
	status, ext, msg := http.StatusInternalServerError, map[string]any{"code": CodeInternal}, "internal error"
	var rule *domain.Error
	var ae *auth.Error
	switch {
	case errors.As(err, &ae):
		status, ext["code"], msg = http.StatusForbidden, ae.Code, ae.Message
		if ae.Code == auth.CodeUnauthenticated {
			status = http.StatusUnauthorized
		}
	case errors.As(err, &rule):
		ext["code"], msg = classCodes[domain.ClassOf(rule.Code)], rule.Message
		ext["rule"] = rule.Code
		if rule.Field != "" {
			ext["field"] = rule.Field
		}
		switch domain.ClassOf(rule.Code) {
		case domain.ClassInvalid:
			status = http.StatusBadRequest
		case domain.ClassNotFound:
			status = http.StatusNotFound
		case domain.ClassConflict:
			status = http.StatusConflict
		case domain.ClassForbidden:
			status, ext["code"] = http.StatusForbidden, CodeForbidden
		}
	}
	writeErrorJSON(w, r, status, shorten(msg), ext)
}

// MethodNotAllowed refuses a method a plain HTTP endpoint does not answer
// (405), naming those it does in Allow.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeErrorJSON(w, r, http.StatusMethodNotAllowed, "use "+allow, map[string]any{"code": CodeBadUserInput})
}
