package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/catalogue/catalogue/graph/auth"
)

// TestRevokedTokenClosesSubscription: revoking a token from another
// process (a second store on the same data directory, as `catalogue token
// revoke` does) closes the WebSockets signed in with it — whether the token
// came in connection_init or in the upgrade request's header — within a
// second, with close code 4403 and the reason; other connections stay.
func TestRevokedTokenClosesSubscription(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	leaked, _, err := e.store.Create(auth.Spec{Role: auth.Auditor, Name: "leaked"})
	if err != nil {
		t.Fatal(err)
	}
	subscribe := func(c *wsClient, after string) {
		t.Helper()
		c.expect("connection_ack")
		c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{
			"query": `subscription($after: Position) { events(after: $after) { position type actor } }`, "variables": map[string]any{"after": after}})})
	}
	byInit := dialWS(t, srv, leaked)
	subscribe(byInit, "0")
	byInit.expect("next") // streaming the backlog
	byHeader := dialWSHeader(t, srv, leaked)
	subscribe(byHeader, "0")
	byHeader.expect("next")
	other := dialWS(t, srv, e.tokens[auditor])
	subscribe(other, f.position) // live only

	if _, err := auth.Open(e.dir).Revoke("leaked"); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for name, c := range map[string]*wsClient{"connection_init": byInit, "upgrade header": byHeader} {
		err := drain(c)
		took := time.Since(revoked)
		t.Logf("token in %s: closed %v after the revocation was written", name, took.Round(time.Millisecond))
		if websocket.CloseStatus(err) != 4403 || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("token in %s: %v, want close 4403 saying the token was revoked", name, err)
		}
		if took > time.Second {
			t.Errorf("token in %s: closed %v after the revocation, want within 1s", name, took)
		}
	}

	// The other subscriber still receives what is written next.
	e.delegate(legal, f.itemID, "", "370202", "DEVOLVE", nil)
	if m := other.expect("next"); !strings.Contains(string(m.Payload), "ItemDelegated") {
		t.Errorf("other subscriber: %s", m.Payload)
	}
	if !strings.Contains(e.logs.String(), "websocket closed: its token no longer signs in") {
		t.Errorf("the closing is not logged:\n%s", e.logs)
	}
}

// dialWSHeader opens a graphql-transport-ws connection signed in by the
// upgrade request's Authorization header, with an empty connection_init.
func dialWSHeader(t *testing.T, srv *httptest.Server, token string) *wsClient {
	t.Helper()
	conn, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	c := &wsClient{t: t, ctx: ctx, conn: conn}
	c.send(wsMessage{Type: "connection_init"})
	return c
}

// drain reads until the connection fails and returns why, or gives up
// after 3 s.
func drain(c *wsClient) error {
	ctx, cancel := context.WithTimeout(c.ctx, 3*time.Second)
	defer cancel()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c.conn, &m); err != nil {
			return err
		}
	}
}
