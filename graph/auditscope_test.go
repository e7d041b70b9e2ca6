package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/catalogue/catalogue/graph/generated"
)

// exposesAuditTrail reports whether a schema field hands out part of the
// audit trail: events, raw event data (JSON) or who recorded a change.
func exposesAuditTrail(typ, field, named string) bool {
	return typ != "Event" && (named == "Event" || named == "JSON" || field == "actor")
}

// TestBodyOfficerSeesOnlyItsAuditTrail walks every field of the schema that
// exposes the audit trail (found in the generated schema, so a new one
// fails here until it has a probe) and checks, through every probe, that
// 市南区's officer sees its own body's events and none of 市北区's: no
// event that does not concern 370202, and none of 市北区's actors, bases or
// data.
func TestBodyOfficerSeesOnlyItsAuditTrail(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	const (
		ownBasis     = "南下放〔2024〕1号" // the delegation to 市南区
		otherBasis   = "北下放〔2024〕1号" // the delegation to 市北区
		otherAccepts = "北承接〔2024〕1号" // 市北区's acceptance
		otherActor   = "市北区·赵六"
	)
	own := e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", map[string]any{"basis": ownBasis})
	other := e.delegate(legal, f.itemID, "", "370203", "DEVOLVE", map[string]any{"basis": otherBasis})
	e.ok(shibei, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": other, "basis": otherAccepts}))
	e.ok(legal, publishEdition, input(map[string]any{"name": "2024年版", "effectiveFrom": today}))
	secret := []string{otherActor, otherBasis, otherAccepts, other}

	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var ev []string
	for _, fd := range schema.Types["Event"].Fields {
		ev = append(ev, fd.Name)
	}
	events := "{ " + strings.Join(ev, " ") + " }"
	vars := map[string]any{"item": f.itemID, "own": own}

	// probes are, for each field exposing the audit trail, the operations
	// of 市南区's officer that reach it — by every kind of path for an
	// item's history — and whether they must show 市南区's own events.
	type probe struct {
		op   string
		owns bool
	}
	probes := map[string][]probe{
		"EventConnection.nodes": {{`query { events(first: 500) { nodes ` + events + ` } }`, true},
			{`query($item: ID!) { events(filter: {itemId: $item}) { nodes ` + events + ` } }`, true}},
		"Subscription.events": {{`subscription { events(after: "0") ` + events + ` }`, true}},
		"Item.history": {
			{`query($item: ID!) { item(id: $item) { history ` + events + ` } }`, true},
			{`query { catalogue { nodes { history ` + events + ` } } }`, true},
			{`query { delegations(filter: {statuses: [ACTIVE, PENDING_ACCEPTANCE]}) { nodes { item { history ` + events + ` } } } }`, true},
			{`query { body(code: "370203") { delegatedItems { nodes { item { history ` + events + ` } } } } }`, true},
			{`query { edition(name: "2024年版") { items { nodes { history ` + events + ` } } } }`, true},
			{`mutation($item: ID!, $own: ID!) { acceptDelegation(input: {commandId: "scope-accept", itemId: $item, delegationId: $own, basis: "南承接〔2024〕1号", effectiveFrom: "2024-02-01"}) { delegation { item { history ` + events + ` } } } }`, true},
		},
		// An edition's publisher is a legal officer, public with the edition.
		"Edition.actor": {{`query { editions { actor } }`, false}},
	}

	var exposing []string
	for _, def := range schema.Types {
		if strings.HasPrefix(def.Name, "__") || def.Kind == ast.InputObject {
			continue
		}
		for _, fd := range def.Fields {
			if exposesAuditTrail(def.Name, fd.Name, fd.Type.Name()) {
				exposing = append(exposing, def.Name+"."+fd.Name)
			}
		}
	}
	sort.Strings(exposing)
	if len(exposing) < 4 {
		t.Fatalf("found only %v: the walk is broken", exposing)
	}
	for _, field := range exposing {
		if len(probes[field]) == 0 {
			t.Errorf("%s exposes the audit trail but has no probe here: narrow what it returns by auditScope and add one", field)
		}
	}
	for field := range probes {
		if !slices.Contains(exposing, field) {
			t.Errorf("probe for %s, which the walk did not find among %v", field, exposing)
		}
	}

	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	for _, field := range exposing {
		for _, p := range probes[field] {
			var answer []byte
			if strings.HasPrefix(p.op, "subscription") {
				answer = subscribeAll(t, srv, e.tokens[shinan], p.op)
			} else {
				res := e.ok(shinan, p.op, vars)
				answer, _ = json.Marshal(res.Data)
			}
			name := field + ": " + firstLine(p.op)
			n := 0
			eachEvent(answer, func(ev map[string]any) {
				n++
				if !slices.Contains(toStrings(ev["bodies"]), "370202") {
					t.Errorf("%s: shows %v %v, which does not concern 370202", name, ev["type"], ev["bodies"])
				}
			})
			for _, s := range secret {
				if strings.Contains(string(answer), s) {
					t.Errorf("%s: shows 市北区's %q", name, s)
				}
			}
			if p.owns && (n == 0 || !strings.Contains(string(answer), ownBasis)) {
				t.Errorf("%s: does not show 市南区's own events (%d events): %.300s", name, n, answer)
			}
		}
	}
}

// eachEvent calls fn with every event object (one with an eventId) in a
// JSON answer.
func eachEvent(answer []byte, fn func(map[string]any)) {
	var v any
	json.Unmarshal(answer, &v)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["eventId"]; ok {
				fn(x)
				return
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
}

// subscribeAll runs a subscription over a WebSocket and returns what it
// delivers until it stays quiet for half a second, as a JSON list.
func subscribeAll(t *testing.T, srv *httptest.Server, token, op string) []byte {
	t.Helper()
	c := dialWS(t, srv, token)
	c.expect("connection_ack")
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{"query": op})})
	var got []json.RawMessage
	for {
		ctx, cancel := context.WithTimeout(c.ctx, 500*time.Millisecond)
		var m wsMessage
		err := wsjson.Read(ctx, c.conn, &m)
		cancel()
		if err != nil {
			break // quiet (the read's deadline closes the connection)
		}
		if m.Type != "next" {
			t.Fatalf("%s: %s %s", op, m.Type, m.Payload)
		}
		got = append(got, m.Payload)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", op, err))
	}
	return b
}
