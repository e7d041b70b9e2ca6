package graph_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// hostileInputs are inputs a client may send on purpose or by mistake:
// wrong IDs, empty and NUL-bearing strings, cursors of the wrong kind or
// forged, huge and negative page sizes, positions past the log's end. Each
// must be answered (or refused with a client's code), never as an internal
// error.
func hostileInputs(itemID string) []struct {
	query string
	vars  map[string]any
} {
	// forged cursors decode, but name a row and a position no page gave.
	forged := func(list string) string {
		return projections.EncodeCursor(list, projections.Cursor{Key: "a\x00b", Pos: 1 << 62})
	}
	nul := "a\x00b"
	type c = struct {
		query string
		vars  map[string]any
	}
	cases := []c{
		{`{ item(id: "not-an-id") { code } }`, nil},
		{`{ item(id: "") { code } }`, nil},
		{`{ item { code } }`, nil},
		{`{ item(code: "") { code } }`, nil},
		{`query($id: ID) { item(id: $id, code: "370200-XK-001") { code } }`, map[string]any{"id": itemID}},
		{`query($id: ID) { item(id: $id) { code } }`, map[string]any{"id": nul}},
		{`query($c: String) { item(code: $c) { code } }`, map[string]any{"c": nul}},
		{`query($c: String!) { body(code: $c) { name } }`, map[string]any{"c": nul}},
		{`{ body(code: "") { name } }`, nil},
		{`query($p: String) { bodies(parent: $p) { totalCount } }`, map[string]any{"p": nul}},
		{`{ edition(name: "") { name } }`, nil},
		{`query($n: String!) { edition(name: $n) { name } }`, map[string]any{"n": nul}},
		{`{ editionDiff(from: "nope", to: "nope") { added { code } } }`, nil},
		{`query($p: CataloguePoint!) { catalogueDiff(from: $p, to: $p) { addedCount } }`, map[string]any{"p": map[string]any{"edition": nul}}},
		{`{ catalogueDiff(from: {edition: ""}, to: {inForceOn: "0001-01-01"}) { addedCount } }`, nil},
		{`{ catalogueDiff(from: {inForceOn: "0001-01-01"}, to: {inForceOn: "9999-12-31", asOf: "18446744073709551615"}) { addedCount } }`, nil},
		{`query($f: CatalogueFilter) { catalogue(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"department": nul}}},
		{`query($f: CatalogueFilter) { catalogue(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"text": nul}}},
		{`query($f: CatalogueFilter) { catalogue(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"text": strings.Repeat("%_\\", 1000)}}},
		{`query($f: CatalogueFilter) { catalogue(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"level": "NOPE"}}},
		{`query($f: DelegationFilter) { delegations(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"to": nul, "from": nul, "itemId": nul}}},
		{`query($f: DelegationFilter) { delegations(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"statuses": []string{}}}},
		{`query($f: DelegationFilter) { delegations(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"itemId": "not-an-id"}}},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"actor": nul, "basis": nul, "body": nul, "itemId": nul, "types": []string{nul}}}},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"recordedFrom": "2024-03-02T00:00:00Z", "recordedBefore": "2024-03-01T00:00:00Z"}}},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"recordedFrom": "9999-12-31T23:59:59Z"}}},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"recordedFrom": "0001-01-01T00:00:00Z"}}},
		{`{ positionAt(time: "9999-12-31T23:59:59Z") }`, nil},
		{`{ positionAt(time: "0001-01-01T00:00:00Z") }`, nil},
		{`{ positionAt(time: "1969-12-31T23:59:59Z") }`, nil},
		{`{ catalogue(inForceOn: "0001-01-01") { totalCount } }`, nil},
		{`{ catalogue(inForceOn: "9999-12-31") { totalCount } }`, nil},
		{`{ catalogue(first: 2147483647) { totalCount } }`, nil},
		{`{ catalogue(first: 2147483648) { totalCount } }`, nil},
		{`{ catalogue(first: -1) { totalCount } }`, nil},
		{`{ catalogue(first: 0) { totalCount } }`, nil},
		{`{ events(first: -2147483648) { asOf } }`, nil},
		{`{ events(first: 2147483647) { asOf } }`, nil},
		{`{ delegations(first: 2147483647) { totalCount } }`, nil},
		{`{ bodies(first: 2147483647) { totalCount } }`, nil},
		{`{ catalogue(asOf: "18446744073709551615") { totalCount } }`, nil},
		{`{ catalogue(asOf: "0") { totalCount } }`, nil},
		{`{ catalogue(after: "") { totalCount } }`, nil},
		{`query($c: String) { catalogue(after: $c) { totalCount } }`, map[string]any{"c": forged(projections.ListItems)}},
		{`query($c: String) { events(after: $c) { asOf } }`, map[string]any{"c": forged(projections.ListLog)}},
		{`query($c: String) { delegations(after: $c) { totalCount } }`, map[string]any{"c": forged(projections.ListDelegations)}},
		{`query($c: String) { bodies(after: $c) { totalCount } }`, map[string]any{"c": forged(projections.ListBodies)}},
		{`{ bodies(kind: NOPE) { totalCount } }`, nil},
		{`query($k: BodyKind) { bodies(kind: $k) { totalCount } }`, map[string]any{"k": "nope"}},
		{`query($s: [DelegationStatus!]) { delegations(filter: {statuses: $s}) { totalCount } }`, map[string]any{"s": []any{nil}}},
		// Arguments of nested fields.
		{`query($c: String) { body(code: "370202") { delegatedItems(first: 2147483647, after: $c) { totalCount } } }`, map[string]any{"c": forged(projections.ListDelegations)}},
		{`{ body(code: "370202") { delegatedItems(first: -5, after: "%%%", statuses: []) { totalCount } } }`, nil},
		{`query($id: ID) { item(id: $id) { delegations(statuses: []) { id } } }`, map[string]any{"id": itemID}},
		// Writes that must be refused for what they say, not fail.
		{revokeItem, input(map[string]any{"itemId": "not-an-id", "expectedRevision": -1})},
		{revokeItem, input(map[string]any{"itemId": itemID, "expectedRevision": 2147483647})},
		{amendItem, input(map[string]any{"itemId": itemID, "commandId": "", "subItems": []any{}})},
		{delegateItem, input(map[string]any{"itemId": itemID, "to": "370202", "mode": "DEVOLVE", "scope": []string{"no-such-sub-item", ""}, "effectiveUntil": "2023-01-01"})},
		{delegateItem, input(map[string]any{"itemId": itemID, "from": "999999", "to": "", "mode": "DEVOLVE"})},
		{acceptDelegation, input(map[string]any{"itemId": itemID, "delegationId": "not-a-delegation", "body": ""})},
		{withdrawDelegation, input(map[string]any{"itemId": itemID, "delegationId": ""})},
		{publishEdition, input(map[string]any{"name": strings.Repeat("版", 10000)})},
		{registerBody, input(map[string]any{"code": "370213", "name": "李沧区", "kind": "DISTRICT", "parent": "370213"})},
	}
	return cases
}

// TestHostileInputIsNeverInternal sends every hostileInputs case through
// the real handler, over the in-memory read models and over PostgreSQL's
// (which refuse what Go strings allow, such as NUL): none answers INTERNAL,
// and nothing is logged as an internal error.
func TestHostileInputIsNeverInternal(t *testing.T) {
	t.Run("memory", func(t *testing.T) { checkHostileInput(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { checkHostileInput(t, newEnv(t, onPostgres(t))) })
}

// onPostgres keeps the read models in a fresh PostgreSQL schema, dropped
// when the test ends.
func onPostgres(t *testing.T) envOption {
	pool := pgtest.Pool(t)
	schema := fmt.Sprintf("graph_test_%d_%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		if err := pgtest.DropReadModel(context.Background(), pool, schema); err != nil {
			t.Errorf("drop %s: %v", schema, err)
		}
	})
	store, err := postgres.New(t.Context(), pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ *graph.Config, s *envSettings) { s.read = store }
}

func checkHostileInput(t *testing.T, e *env) {
	f := e.fixture()
	for _, c := range hostileInputs(f.itemID) {
		res := e.do(legal, c.query, c.vars)
		for _, err := range res.Errors {
			if err.code() == "INTERNAL" || err.code() == "" {
				t.Errorf("%s %q: %s %q", c.query, c.vars, err.code(), err.Message)
			}
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "internal error") {
		t.Errorf("hostile input logged as an internal error:\n%s", logs)
	}
}

// TestNULInputIsBadUserInput: a string input holding U+0000 — a variable, a
// literal, nested in an input object or a list, in a query or a mutation —
// is BAD_USER_INPUT naming the input, and a write holding one records
// nothing (PostgreSQL's projector could never apply it).
func TestNULInputIsBadUserInput(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	before, _ := e.events.LastPosition(t.Context())
	for _, c := range []struct {
		query string
		vars  map[string]any
		field string
	}{
		{`query($c: String) { item(code: $c) { code } }`, map[string]any{"c": "a\x00"}, "c"},
		{`{ item(code: "a\u0000") { code } }`, nil, "code"},
		{`{ ...F } fragment F on Query { events(filter: {types: ["x", "a\u0000"]}) { asOf } }`, nil, "filter"},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"types": []string{"ok", "\x00"}}}, "f"},
		{listItem, input(map[string]any{"code": "370200-XK-900", "name": "名\x00称", "department": "d", "level": "MUNICIPAL"}), "input"},
	} {
		err := e.fails(legal, c.query, c.vars, "BAD_USER_INPUT", "")
		if err.Extensions["field"] != c.field || !strings.Contains(err.Message, "NUL") {
			t.Errorf("%s: %q field %v, want field %s and a message naming NUL", firstLine(c.query), err.Message, err.Extensions["field"], c.field)
		}
	}
	if after, _ := e.events.LastPosition(t.Context()); after != before {
		t.Errorf("the log moved from %d to %d: a refused write recorded something", before, after)
	}
}
