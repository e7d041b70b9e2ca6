package graph_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFirstZero: `first: 0` on every paged field answers an empty page —
// no nodes, still totalCount, hasNextPage saying whether nodes follow — as
// Relay pagination reads it; a negative first is refused.
func TestFirstZero(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", nil)
	e.ok(legal, publishEdition, input(map[string]any{"name": "2024年版", "effectiveFrom": today}))

	page := `nodes { __typename } pageInfo { hasNextPage endCursor }`
	for _, c := range []struct {
		name, query string
		total       bool // the connection has a totalCount
	}{
		{"catalogue", `{ catalogue(first: 0) { totalCount ` + page + ` } }`, true},
		{"delegations", `{ delegations(first: 0) { totalCount ` + page + ` } }`, true},
		{"bodies", `{ bodies(first: 0) { totalCount ` + page + ` } }`, true},
		{"events", `{ events(first: 0) { ` + page + ` } }`, false},
		{"body.delegatedItems", `{ body(code: "370202") { delegatedItems(first: 0) { totalCount ` + page + ` } } }`, true},
		{"edition.items", `{ edition(name: "2024年版") { items(first: 0) { totalCount ` + page + ` } } }`, true},
	} {
		res := e.ok(auditor, c.query, nil)
		var conn map[string]any
		for _, v := range res.Data {
			conn = v.(map[string]any)
		}
		if inner, ok := conn["delegatedItems"].(map[string]any); ok {
			conn = inner
		}
		if inner, ok := conn["items"].(map[string]any); ok {
			conn = inner
		}
		info, _ := conn["pageInfo"].(map[string]any)
		if nodes, _ := conn["nodes"].([]any); nodes == nil || len(nodes) != 0 || info["hasNextPage"] != true || info["endCursor"] != nil {
			t.Errorf("%s(first: 0): want no nodes, hasNextPage, no endCursor: %v", c.name, conn)
		}
		if total, _ := conn["totalCount"].(float64); c.total && total < 1 {
			t.Errorf("%s(first: 0): totalCount %v, want the count of all nodes", c.name, conn["totalCount"])
		}
	}
	e.fails(auditor, `{ catalogue(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "")
	// Past the last node, first: 0 says no nodes follow.
	all := e.ok(auditor, `{ catalogue(first: 500) { pageInfo { endCursor } } }`, nil)
	res := e.ok(auditor, `query($after: String) { catalogue(first: 0, after: $after) { nodes { code } pageInfo { hasNextPage } } }`,
		map[string]any{"after": all.str("catalogue.pageInfo.endCursor")})
	if res.get("catalogue.pageInfo.hasNextPage") != false || len(res.list("catalogue.nodes")) != 0 {
		t.Errorf("first: 0 after the last node: %v", res.Data)
	}
}

// TestPositionPastTheLogNamesItsArgument: a position past the log's end is
// refused naming the argument that carried it: asOf or waitFor.
func TestPositionPastTheLogNamesItsArgument(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	for _, arg := range []string{"asOf", "waitFor"} {
		for _, field := range []string{"catalogue", "events", "delegations", "bodies", "editions"} {
			sel := map[string]string{"catalogue": "{ totalCount }", "events": "{ asOf }", "delegations": "{ totalCount }", "bodies": "{ totalCount }", "editions": "{ name }"}[field]
			q := fmt.Sprintf(`{ %s(%s: "999999") %s }`, field, arg, sel)
			got := e.fails(auditor, q, nil, "BAD_USER_INPUT", "INVALID_INPUT")
			if got.Extensions["field"] != arg || !strings.HasPrefix(got.Message, arg+": ") {
				t.Errorf("%s: field %v, %q; want it to name %s", q, got.Extensions["field"], got.Message, arg)
			}
		}
	}
}
