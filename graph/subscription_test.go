package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws over a real WebSocket.
type wsClient struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
}

func dialWS(t *testing.T, srv *httptest.Server, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	if conn.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	c := &wsClient{t: t, ctx: ctx, conn: conn}
	init := map[string]any{}
	if token != "" {
		init["Authorization"] = "Bearer " + token
	}
	c.send(wsMessage{Type: "connection_init", Payload: mustJSON(init)})
	return c
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	if err := wsjson.Write(c.ctx, c.conn, m); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message that is not a ping (answered with a pong).
func (c *wsClient) next() (wsMessage, error) {
	for {
		var m wsMessage
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			return m, err
		}
		if m.Type == "ping" {
			c.send(wsMessage{Type: "pong"})
			continue
		}
		return m, nil
	}
}

func (c *wsClient) expect(typ string) wsMessage {
	c.t.Helper()
	m, err := c.next()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ {
		c.t.Fatalf("got %s %s, want %s", m.Type, m.Payload, typ)
	}
	return m
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type eventPayload struct {
	Data struct {
		Events struct {
			Position, Type, Actor string
			Bodies                []string
		}
	}
}

// TestSubscriptionBacklogThenLive: the events subscription delivers the
// backlog after the given position, then live events, over a real
// WebSocket with the graphql-transport-ws protocol.
func TestSubscriptionBacklogThenLive(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	backlog, _ := e.events.LastPosition(t.Context())

	c := dialWS(t, srv, e.tokens[auditor])
	c.expect("connection_ack")
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{
		"query":     `subscription($after: Position) { events(after: $after) { position type actor bodies } }`,
		"variables": map[string]any{"after": "0"}})})
	var got []eventPayload
	for range int(backlog) {
		var ev eventPayload
		if err := json.Unmarshal(c.expect("next").Payload, &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if got[0].Data.Events.Type != "BodyRegistered.v1" || got[len(got)-1].Data.Events.Type != "ItemListed.v1" ||
		got[len(got)-1].Data.Events.Position != fmt.Sprint(backlog) {
		t.Fatalf("backlog: %+v", got)
	}

	// A second subscriber filters for what concerns 市北区 only, live.
	c2 := dialWS(t, srv, e.tokens[shibei])
	c2.expect("connection_ack")
	c2.send(wsMessage{ID: "a", Type: "subscribe", Payload: mustJSON(map[string]any{
		"query": `subscription { events { position type actor bodies } }`})})
	time.Sleep(50 * time.Millisecond) // both subscriptions are live

	e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", nil)
	d := e.delegate(legal, f.itemID, "", "370203", "DEVOLVE", nil)
	e.ok(shibei, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": d}))

	var live []eventPayload
	for range 3 {
		var ev eventPayload
		json.Unmarshal(c.expect("next").Payload, &ev)
		live = append(live, ev)
	}
	if live[0].Data.Events.Type != "ItemDelegated.v1" || live[2].Data.Events.Type != "DelegationAccepted.v1" ||
		live[2].Data.Events.Actor != "市北区·赵六" {
		t.Errorf("live: %+v", live)
	}
	for _, want := range []string{"ItemDelegated.v1", "DelegationAccepted.v1"} {
		var ev eventPayload
		json.Unmarshal(c2.expect("next").Payload, &ev)
		if ev.Data.Events.Type != want || !strings.Contains(strings.Join(ev.Data.Events.Bodies, ","), "370203") {
			t.Errorf("市北区's subscription got %+v, want %s", ev, want)
		}
	}
	c.send(wsMessage{ID: "1", Type: "complete"})
}

// TestSubscriptionNeedsToken: anonymous subscribers are refused with
// UNAUTHENTICATED, and a bad token closes the connection with 4403.
func TestSubscriptionNeedsToken(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)

	c := dialWS(t, srv, "")
	c.expect("connection_ack")
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{"query": `subscription { events { type } }`})})
	m, err := c.next()
	if err != nil {
		t.Fatal(err)
	}
	if (m.Type != "next" && m.Type != "error") || !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
		t.Errorf("anonymous subscription: %s %s", m.Type, m.Payload)
	}

	bad := dialWS(t, srv, "cat_not-a-token")
	err = drain(bad)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4403 {
		t.Fatalf("a bad token: %v, want close 4403", err)
	}
	// The close frame says why, in words a person can act on, not gqlgen's
	// bare "terminated".
	if !strings.Contains(ce.Reason, "bearer token is unknown or revoked") {
		t.Errorf("a bad token closes with reason %q, want one that says the token is unknown", ce.Reason)
	}
}

// TestSubscriptionWithoutAfterIsLiveOnly: an events subscription that leaves
// `after` out delivers only events recorded after it started, none of the
// backlog, and the schema says so (it once said "from the start").
func TestSubscriptionWithoutAfterIsLiveOnly(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	backlog, _ := e.events.LastPosition(t.Context())
	if backlog == 0 {
		t.Fatal("the fixture wrote no backlog")
	}

	c := dialWS(t, srv, e.tokens[auditor])
	c.expect("connection_ack")
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{
		"query": `subscription { events { position type } }`})})
	time.Sleep(50 * time.Millisecond) // the subscription is live
	e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", nil)
	var ev eventPayload
	if err := json.Unmarshal(c.expect("next").Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Data.Events.Type != "ItemDelegated.v1" || ev.Data.Events.Position != fmt.Sprint(backlog+1) {
		t.Errorf("first event without after: %+v, want the new ItemDelegated.v1 at %d", ev, backlog+1)
	}

	res := e.ok(anon, `{ __schema { subscriptionType { fields { name description args { name description } } } } }`, nil)
	found := false
	for _, fl := range res.list("__schema.subscriptionType.fields") {
		field := fl.(map[string]any)
		if field["name"] != "events" {
			continue
		}
		found = true
		doc, _ := field["description"].(string)
		for _, a := range field["args"].([]any) {
			if arg := a.(map[string]any); arg["name"] == "after" {
				d, _ := arg["description"].(string)
				doc += "\n" + d
			}
		}
		if strings.Contains(doc, "from the start") || !strings.Contains(doc, "only new events") {
			t.Errorf("the schema documents events(after:) as %q; leaving it out gives only new events", doc)
		}
	}
	if !found {
		t.Error("no events subscription in the schema")
	}
}
