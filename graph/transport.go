package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postJSON is gqlgen's POST transport with a cheaper way of writing the
// answer. gqlgen writes every answer with json.Marshal, which scans the
// whole "data" (already compact JSON, written by the generated code) again
// to compact it and escape HTML characters: on a page of 50 delegations
// that second pass is a tenth of the request's cost. postJSON writes a
// plain answer ({"data": ...}, no errors or extensions) with the same
// escaping in one light pass, byte for byte what json.Marshal would have
// written, and leaves everything else — request errors, answers with
// errors — to gqlgen's own transport.
type postJSON struct{ transport.POST }

var _ graphql.Transport = postJSON{}

func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	// Anything but a request that decodes and validates goes through gqlgen's
	// transport as it is, which answers it with its own errors.
	fallback := func() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		t.POST.Do(w, r, exec)
	}
	if err != nil {
		fallback()
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		// Answered here: gqlgen's transport would echo the whole body,
		// up to the body limit, back in its message.
		w.Header().Set("Content-Type", responseContentType(r))
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("%s", decodeError(err))}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	contentType := responseContentType(r)
	w.Header().Add("Content-Type", contentType)
	if opErr != nil {
		// Answered as gqlgen's transport answers it, but here: it would
		// decode, parse and validate the request a second time.
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity // 200 or 400 once requestErrors is done with it
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// decodeError says in a line what is wrong with a request body that does
// not decode, without quoting it.
func decodeError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("the request body is not JSON (at byte %d: %s)", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("the request body's %q must not be a JSON %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("the request body must be a JSON object, not a JSON %s", typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body ends before its JSON does"
	}
	return "the request body is not a GraphQL request in JSON"
}

// responseContentType is the media type gqlgen's POST transport answers
// in: application/json unless the client accepts only
// application/graphql-response+json.
func responseContentType(r *http.Request) string {
	const (
		appJSON     = "application/json"
		appResponse = "application/graphql-response+json"
	)
	accept := r.Header.Get("Accept")
	if accept == "" {
		return appJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", appJSON:
			return appJSON
		case appResponse:
			return appResponse
		}
	}
	return appResponse
}

// writeResponse writes resp as json.Marshal would.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp != nil && len(resp.Errors) == 0 && resp.Label == "" && len(resp.Path) == 0 && resp.HasNext == nil && len(resp.Extensions) == 0 && len(resp.Data) > 0 {
		out := make([]byte, 0, len(resp.Data)+len(`{"data":}`)+64)
		out = append(out, `{"data":`...)
		if out, ok := appendCompactData(out, resp.Data); ok {
			w.Write(append(out, '}'))
			return
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err)
	}
	w.Write(b)
}

// special marks the bytes appendCompactData looks at: quotes, backslashes,
// white space and the characters it escapes.
var special = func() (t [256]bool) {
	for _, c := range []byte("\"\\ \t\n\r<>&\xe2") {
		t[c] = true
	}
	return t
}()

// appendCompactData appends src, JSON without insignificant white space,
// with <, >, &, U+2028 and U+2029 inside its strings escaped as
// encoding/json escapes them when it writes a json.RawMessage. It reports
// false if src has white space outside its strings, or ends inside a
// string: the caller then lets encoding/json compact it.
func appendCompactData(dst, src []byte) ([]byte, bool) {
	const hex = "0123456789abcdef"
	inString := false
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !special[c] {
			continue
		}
		if !inString {
			switch c {
			case '"':
				inString = true
			case ' ', '\t', '\n', '\r':
				return dst, false
			}
			continue
		}
		switch c {
		case '\\':
			i++ // the escaped character, whatever it is
		case '"':
			inString = false
		case '<', '>', '&':
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
			if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
				dst = append(dst, src[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xF])
				i += 2
				start = i + 1
			}
		}
	}
	if inString {
		return dst, false
	}
	return append(dst, src[start:]...), true
}
