package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/projections"
)

// httpDo sends a raw HTTP request to a real server and returns the status,
// the Content-Type and the decoded body.
func httpDo(t *testing.T, req *http.Request) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("%s %s: %d %q is not JSON", req.Method, req.URL, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func post(t *testing.T, url, accept, token, body string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func firstCode(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

// TestHTTP checks the endpoint through real HTTP: media types, GET, status
// codes, sign-in and limits.
func TestHTTP(t *testing.T) {
	e := newEnv(t, withLimits(graph.Limits{MaxBodyBytes: 64 << 10, MaxDepth: 6, MaxComplexity: 2000}))
	f := e.fixture()
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	endpoint := srv.URL + "/query"
	q := `{"query":"{ catalogue { totalCount nodes { code } } }"}`

	for _, tc := range []struct{ accept, want string }{
		{"", "application/json"},
		{"application/json", "application/json"},
		{"application/graphql-response+json", "application/graphql-response+json"},
		{"application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json"},
	} {
		status, ct, body := httpDo(t, post(t, endpoint, tc.accept, "", q))
		if status != 200 || ct != tc.want || firstCode(body) != "" {
			t.Errorf("Accept %q: %d %q %v", tc.accept, status, ct, body)
		}
	}

	t.Run("request errors", func(t *testing.T) {
		bad := `{"query":"{ nosuchfield }"}`
		status, _, body := httpDo(t, post(t, endpoint, "application/json", "", bad))
		if _, hasData := body["data"]; status != 200 || hasData || firstCode(body) != "BAD_USER_INPUT" {
			t.Errorf("application/json: %d %v", status, body)
		}
		status, _, body = httpDo(t, post(t, endpoint, "application/graphql-response+json", "", bad))
		if _, hasData := body["data"]; status != 400 || hasData {
			t.Errorf("application/graphql-response+json: %d %v", status, body)
		}
	})

	t.Run("GET runs queries, not mutations", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, endpoint+"?query="+url.QueryEscape(`{ item(code: "370200-XK-001") { id } }`), nil)
		status, _, body := httpDo(t, req)
		if status != 200 || body["data"].(map[string]any)["item"].(map[string]any)["id"] != f.itemID {
			t.Errorf("GET query: %d %v", status, body)
		}
		req, _ = http.NewRequest(http.MethodGet, endpoint+"?query="+url.QueryEscape(`mutation { publishEdition(input: {commandId: "x", name: "x", basis: "x", effectiveFrom: "2024-01-01"}) { position } }`), nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[legal])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET mutation: %d", resp.StatusCode)
		}
	})

	t.Run("sign-in", func(t *testing.T) {
		status, _, body := httpDo(t, post(t, endpoint, "", "cat_forged", q))
		if status != http.StatusUnauthorized || firstCode(body) != "UNAUTHENTICATED" {
			t.Errorf("forged token: %d %v", status, body)
		}
		status, _, body = httpDo(t, post(t, endpoint, "", e.tokens[revoked], q))
		if status != http.StatusUnauthorized || firstCode(body) != "UNAUTHENTICATED" {
			t.Errorf("revoked token: %d %v", status, body)
		}
	})

	t.Run("limits", func(t *testing.T) {
		big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
		status, _, body := httpDo(t, post(t, endpoint, "", "", big))
		if status != http.StatusRequestEntityTooLarge || firstCode(body) != "BAD_USER_INPUT" {
			t.Errorf("large body: %d %v", status, body)
		}
		deep := `{"query":"{ body(code: \"370202\") { parentBody { parentBody { parentBody { parentBody { parentBody { code } } } } } } }"}`
		status, _, body = httpDo(t, post(t, endpoint, "", "", deep))
		if status != 200 || firstCode(body) != "BAD_USER_INPUT" || !strings.Contains(body["errors"].([]any)[0].(map[string]any)["message"].(string), "deep") {
			t.Errorf("deep query: %d %v", status, body)
		}
		costly := `{"query":"{ catalogue(first: 500) { nodes { code name delegations { id toBody { code } } } } }"}`
		status, _, body = httpDo(t, post(t, endpoint, "", "", costly))
		if status != 200 || firstCode(body) != "BAD_USER_INPUT" || !strings.Contains(body["errors"].([]any)[0].(map[string]any)["message"].(string), "complexity") {
			t.Errorf("costly query: %d %v", status, body)
		}
		// GraphiQL's introspection query nests type references deeply; it
		// is not counted against the depth limit.
		intro := `{"query":"{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }"}`
		status, _, body = httpDo(t, post(t, endpoint, "", "", intro))
		if status != 200 || firstCode(body) != "" {
			t.Errorf("introspection: %d %v", status, firstCode(body))
		}
	})

	t.Run("media type", func(t *testing.T) {
		req := post(t, endpoint, "", "", q)
		req.Header.Set("Content-Type", "text/plain")
		status, _, _ := httpDo(t, req)
		if status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: %d", status)
		}
	})
}

// failingRead is a read model whose catalogue fails the way a broken disk
// would.
type failingRead struct{ projections.Store }

func (f failingRead) Views() projections.Views {
	v := f.Store.Views()
	v.CatalogueView = failingCatalogue{v.CatalogueView}
	return v
}

type failingCatalogue struct{ projections.CatalogueView }

func (failingCatalogue) Catalogue(context.Context, projections.CatalogueQuery) (projections.ItemPage, error) {
	return projections.ItemPage{}, errors.New("read /var/lib/catalogue/readmodel: input/output error")
}

// TestInternalErrorHidden: an internal error reaches the client only as
// "internal error" with code INTERNAL, and the log has the detail.
func TestInternalErrorHidden(t *testing.T) {
	e := newEnv(t, func(c *graph.Config, _ *envSettings) { c.Read = failingRead{c.Read.(projections.Store)} })
	res := e.do(anon, `query Broken { catalogue { totalCount } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Message != "internal error" || res.Errors[0].code() != "INTERNAL" {
		t.Fatalf("%+v", res.Errors)
	}
	if log := e.logs.String(); !strings.Contains(log, "input/output error") || !strings.Contains(log, "catalogue") || !strings.Contains(log, "Broken") {
		t.Errorf("the log lacks the detail: %s", log)
	}
}
