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
