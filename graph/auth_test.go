package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRoles: who may do what.
func TestRoles(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	toShinan := e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", nil)
	toShibei := e.delegate(legal, f.itemID, "", "370203", "DEVOLVE", nil)

	t.Run("anonymous cannot write", func(t *testing.T) {
		e.fails(anon, listItem, input(map[string]any{"code": "A-1", "name": "x", "department": "d", "level": "COUNTY"}), "UNAUTHENTICATED", "")
		e.fails(anon, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShinan}), "UNAUTHENTICATED", "")
		e.fails(anon, registerBody, input(map[string]any{"code": "370213", "name": "李沧区", "kind": "DISTRICT", "parent": "370200"}), "UNAUTHENTICATED", "")
	})
	t.Run("anonymous reads the public catalogue, not the audit log", func(t *testing.T) {
		e.ok(anon, `{ catalogue { totalCount } body(code: "370202") { delegatedItems { totalCount } } me { name } }`, nil)
		e.fails(anon, `{ events { nodes { actor } } }`, nil, "UNAUTHENTICATED", "")
		e.fails(anon, `query($id: ID!) { item(id: $id) { history { actor } } }`, map[string]any{"id": f.itemID}, "UNAUTHENTICATED", "")
	})
	t.Run("an auditor reads everything and changes nothing", func(t *testing.T) {
		res := e.ok(auditor, `{ events(first: 500) { nodes { type } } me { name role } }`, nil)
		if len(res.list("events.nodes")) < 10 || res.str("me.role") != "AUDITOR" {
			t.Errorf("%v", res.Data)
		}
		e.fails(auditor, amendItem, input(map[string]any{"itemId": f.itemID, "name": "x"}), "FORBIDDEN", "")
		e.fails(auditor, publishEdition, input(map[string]any{"name": "2030年版"}), "FORBIDDEN", "")
	})
	t.Run("a district officer cannot accept for another body", func(t *testing.T) {
		e.fails(shinan, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShibei}), "FORBIDDEN", "")
		e.fails(shinan, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShibei, "body": "370203"}), "FORBIDDEN", "")
		e.ok(shibei, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShibei}))
		e.ok(shinan, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShinan, "body": "370202"}))
	})
	t.Run("a district officer cannot delegate for another body", func(t *testing.T) {
		e.fails(shibei, delegateItem, input(map[string]any{"itemId": f.itemID, "from": "370202", "to": "370202001", "mode": "DEVOLVE", "effectiveFrom": "2024-03-01"}), "FORBIDDEN", "")
		e.fails(shibei, delegateItem, input(map[string]any{"itemId": f.itemID, "to": "370202", "mode": "DEVOLVE"}), "FORBIDDEN", "")
		passOn := e.delegate(shinan, f.itemID, "370202", "370202001", "DEVOLVE", nil)
		e.fails(shibei, withdrawDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": passOn}), "FORBIDDEN", "")
		e.fails(shinan, withdrawDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": toShibei}), "FORBIDDEN", "")
		e.ok(shinan, withdrawDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": passOn, "effectiveFrom": "2024-04-01"}))
	})
	t.Run("a district officer cannot list, amend, revoke, register or publish", func(t *testing.T) {
		e.fails(shinan, amendItem, input(map[string]any{"itemId": f.itemID, "name": "x"}), "FORBIDDEN", "")
		e.fails(shinan, revokeItem, input(map[string]any{"itemId": f.itemID}), "FORBIDDEN", "")
		e.fails(shinan, registerBody, input(map[string]any{"code": "370202002", "name": "x", "kind": "TOWNSHIP", "parent": "370202"}), "FORBIDDEN", "")
	})
	t.Run("a district officer reads the audit log of its own body", func(t *testing.T) {
		res := e.ok(shinan, `{ events(first: 500) { nodes { bodies } } }`, nil)
		for _, n := range res.list("events.nodes") {
			if !strings.Contains(strings.Join(toStrings(n.(map[string]any)["bodies"]), ","), "370202") {
				t.Errorf("an event not concerning 370202: %v", n)
			}
		}
		e.fails(shinan, `{ events(filter: {body: "370203"}) { nodes { type } } }`, nil, "FORBIDDEN", "")
	})
	t.Run("the actor is the signed-in principal", func(t *testing.T) {
		res := e.ok(auditor, `query($id: ID!) { item(id: $id) { history { type actor } } }`, map[string]any{"id": f.itemID})
		actors := map[string]string{}
		for _, h := range res.list("item.history") {
			m := h.(map[string]any)
			actors[m["type"].(string)] += m["actor"].(string) + ";"
		}
		if actors["ItemListed.v1"] != "法制科·张三;" || !strings.Contains(actors["DelegationAccepted.v1"], "市北区·赵六") ||
			!strings.Contains(actors["DelegationAccepted.v1"], "市南区·王五") {
			t.Errorf("actors: %v", actors)
		}
	})
	t.Run("a revoked or unknown token is refused", func(t *testing.T) {
		for _, user := range []string{revoked} {
			if _, err := e.client(user).RawPost(`{ me { name } }`); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "UNAUTHENTICATED") {
				t.Errorf("%s: %v", user, err)
			}
		}
	})
}

// TestAnonymousOff: with anonymous reading turned off every query needs a
// token, but introspection still works for GraphiQL.
func TestAnonymousOff(t *testing.T) {
	e := newEnv(t, noAnonymous)
	e.fails(anon, `{ catalogue { totalCount } }`, nil, "UNAUTHENTICATED", "")
	res := e.ok(anon, `{ __schema { queryType { name } } }`, nil)
	if res.str("__schema.queryType.name") != "Query" {
		t.Errorf("%v", res.Data)
	}
	e.ok(auditor, `{ catalogue { totalCount } }`, nil)
}

// TestAnonymousOffNullPropagation: refusing an anonymous root field follows
// the GraphQL spec's null propagation. A nullable root field answers null
// beside its error; a non-null one (catalogue: ItemConnection!) cannot be
// null, so the null propagates to the parent and "data" itself is null —
// not {"catalogue": null}, which no client's types allow.
func TestAnonymousOffNullPropagation(t *testing.T) {
	e := newEnv(t, noAnonymous)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ query, data string }{
		{`{ me { name } }`, `{"me":null}`},                                                     // nullable
		{`{ catalogue { totalCount } }`, `null`},                                               // non-null
		{`{ me { name } catalogue { totalCount } }`, `null`},                                   // both: the non-null one nulls data
		{`{ __schema { queryType { name } } }`, `{"__schema":{"queryType":{"name":"Query"}}}`}, // introspection still answers
	} {
		body, _ := json.Marshal(map[string]string{"query": tc.query})
		resp, err := http.DefaultClient.Do(post(t, srv.URL+"/query", "", "", string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Data   json.RawMessage
			Errors []gqlError
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Data) != tc.data {
			t.Errorf("%s: data %s, want %s", tc.query, got.Data, tc.data)
		}
		wantErr := !strings.HasPrefix(tc.query, "{ __")
		if wantErr && (len(got.Errors) == 0 || got.Errors[0].code() != "UNAUTHENTICATED") {
			t.Errorf("%s: errors %+v, want UNAUTHENTICATED", tc.query, got.Errors)
		}
		if !wantErr && len(got.Errors) > 0 {
			t.Errorf("%s: errors %+v", tc.query, got.Errors)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
