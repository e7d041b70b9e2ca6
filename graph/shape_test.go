package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph/hostile"
)

// graphiQLQuery is the schema query GraphiQL sends on load (graphql-js's
// getIntrospectionQuery with descriptions): it must always pass the limits.
const graphiQLQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

// TestShapeLimits sends queries whose validation, complexity estimate or
// execution cost far more than their size — fragment fan-out, fragment
// chains, operations sharing a fragment, fields repeated in one place —
// and expects each refused, with its reason, before any of that work: in
// well under the time the work would take (seconds to forever).
func TestShapeLimits(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	endpoint := srv.URL + "/query"
	client := &http.Client{Timeout: 20 * time.Second}

	for _, tc := range []struct {
		name, query, operation, reason string
	}{
		{"fan-out 2^22", hostile.FanOut(22), "", "SELECTION_LIMIT_EXCEEDED"},
		{"fan-out 2^39", hostile.FanOut(39), "", "SELECTION_LIMIT_EXCEEDED"},
		{"fan-out 2^30 under __schema", hostile.IntrospectionFanOut(30), "", "SELECTION_LIMIT_EXCEEDED"},
		{"fan-out with a cycle", hostile.FanOutCycle(30), "", "GRAPHQL_VALIDATION_FAILED"},
		{"chain of 1,000 fragments", hostile.Chain(1000), "", "SELECTION_LIMIT_EXCEEDED"},
		{"1,000 operations sharing a fragment", hostile.Operations(1000, 1000), "q0", "SELECTION_LIMIT_EXCEEDED"},
		{"9,990 __typename", hostile.Repeated("__typename", 9990), "", "FIELD_REPEAT_LIMIT_EXCEEDED"},
		{"100 copies of a field with 29 children", hostile.Wide(100, 29), "", "FIELD_REPEAT_LIMIT_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query, "operationName": tc.operation})
			began := time.Now()
			req := post(t, endpoint, "", "", string(body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%d bytes: no answer: %v", len(tc.query), err)
			}
			defer resp.Body.Close()
			var answer map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
				t.Fatal(err)
			}
			took := time.Since(began)
			if resp.StatusCode != 200 || firstCode(answer) != "BAD_USER_INPUT" || reason(answer) != tc.reason {
				t.Fatalf("%d bytes, answered in %s: %d %.300v; want reason %s", len(tc.query), took, resp.StatusCode, answer, tc.reason)
			}
			t.Logf("%d bytes refused in %s: %s", len(tc.query), took.Round(time.Microsecond), answer["errors"].([]any)[0].(map[string]any)["message"])
		})
	}

	t.Run("over a WebSocket", func(t *testing.T) {
		c := dialWS(t, srv, e.tokens[auditor])
		c.expect("connection_ack")
		fanOut := strings.Replace(hostile.FanOut(39), "query {", "subscription { events { type } ", 1)
		fanOut = strings.ReplaceAll(fanOut, " on Query ", " on Subscription ")
		c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{"query": fanOut})})
		m, err := c.next()
		if err != nil || !strings.Contains(string(m.Payload), "SELECTION_LIMIT_EXCEEDED") {
			t.Errorf("%v %s %s", err, m.Type, m.Payload)
		}
	})

	t.Run("GraphiQL's schema query", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": graphiQLQuery})
		status, _, answer := httpDo(t, post(t, endpoint, "", "", string(body)))
		if status != 200 || answer["errors"] != nil {
			t.Fatalf("%d %.300v", status, answer)
		}
	})
}

func reason(answer map[string]any) string {
	errs, _ := answer["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	r, _ := ext["reason"].(string)
	return r
}
