package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDecodeErrorsDoNotEchoTheBody: a body that is not a GraphQL request
// in JSON is refused with a short message that does not quote it (gqlgen's
// transport echoed the whole body, up to the 1 MiB limit, back).
func TestDecodeErrorsDoNotEchoTheBody(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	secret := strings.Repeat("confidential-", 2000)
	for _, body := range []string{
		`{"query": "{ __typename }", "variables": {"x": "` + secret + `"`, // cut short
		`{"query": "{ __typename }", "variables": "` + secret + `"}`,      // variables of the wrong type
		`["` + secret + `"]`,
		`{"query": "` + secret + `" x}`,
	} {
		status, _, answer := httpDo(t, post(t, srv.URL+"/query", "", "", body))
		msg, _ := json.Marshal(answer)
		if status != http.StatusBadRequest || firstCode(answer) != "BAD_USER_INPUT" || strings.Contains(string(msg), "confidential") || len(msg) > 300 {
			t.Errorf("%.40s…: %d %.300s (%d bytes)", body, status, msg, len(msg))
		}
	}
}

// TestErrorMessagesAreShort: gqlparser quotes the name or token at fault,
// which a client may make as long as the body limit allows; a message is
// cut short rather than echo it.
func TestErrorMessagesAreShort(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	long := strings.Repeat("x", 300<<10)
	for _, query := range []string{"{ " + long + " }", "{ catalogue(" + long + ": 1) { totalCount } }", "query($" + long + ": Int) { __typename }", "{ catalogue " + long + " }"} {
		body, _ := json.Marshal(map[string]any{"query": query})
		_, _, answer := httpDo(t, post(t, srv.URL+"/query", "", "", string(body)))
		msg, _ := json.Marshal(answer)
		if firstCode(answer) != "BAD_USER_INPUT" || len(msg) > 1000 {
			t.Errorf("%.40s…: %.300s (%d bytes)", query, msg, len(msg))
		}
	}
}
