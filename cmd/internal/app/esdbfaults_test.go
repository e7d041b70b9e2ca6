package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
)

// startOnTestServer starts the service on a fresh esdbtest server.
func startOnTestServer(t *testing.T) (*esdbtest.Server, *Service) {
	t.Helper()
	srv, err := esdbtest.Start()
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	cfg := Config{DataDir: t.TempDir(), Events: srv.URL(), Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc, err := Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return srv, svc
}

// registerBody registers a province through the API and returns the
// position of the write.
func registerBody(t *testing.T, svc *Service, code, name string) any {
	t.Helper()
	out := graphql(t, svc.URL(), svc.FirstToken, `mutation($in: RegisterBodyInput!) { registerBody(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "body-" + code, "code": code, "name": name, "kind": "PROVINCE", "basis": "国家统计局统计用区划代码", "effectiveFrom": "2022-10-31",
	}})
	pos := out["registerBody"].(map[string]any)["position"]
	require.NotNil(t, pos, "%v", out)
	return pos
}

// health reads /healthz.
func health(t *testing.T, svc *Service) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(svc.URL() + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// readsBody waits until the read models show the body written at pos.
func readsBody(t *testing.T, svc *Service, code, name string, pos any) {
	t.Helper()
	out := graphql(t, svc.URL(), svc.FirstToken, `query($c: String!, $p: Position) { body(code: $c, waitFor: $p) { name } }`, map[string]any{"c": code, "p": pos})
	require.Equal(t, name, out["body"].(map[string]any)["name"])
}

// TestProjectorSurvivesSystemEventsOnEventStoreDB: a tombstone and a
// `$`-typed event in the project's streams, as an operator's tools leave
// them, neither stop the projector nor stop it again at the next start.
func TestProjectorSurvivesSystemEventsOnEventStoreDB(t *testing.T) {
	srv, svc := startOnTestServer(t)
	registerBody(t, svc, "370000", "山东省")
	_, err := srv.AppendSystemEvent(domain.BodyStream("370000"), "$operator-note")
	require.NoError(t, err)
	_, err = srv.Tombstone(domain.ItemStream("00000000-0000-0000-0000-000000000000"))
	require.NoError(t, err)
	pos := registerBody(t, svc, "410000", "河南省")
	readsBody(t, svc, "410000", "河南省", pos)
	code, body := health(t, svc)
	require.Equal(t, http.StatusOK, code, "%v", body)
}

// TestProjectorOnSubscriptionEndings: a leader change ending the
// subscription is ridden out; an ending no retry cures stops the
// projector, and /healthz says so.
func TestProjectorOnSubscriptionEndings(t *testing.T) {
	srv, svc := startOnTestServer(t)
	readsBody(t, svc, "370000", "山东省", registerBody(t, svc, "370000", "山东省"))

	srv.EndSubscriptions(status.New(codes.NotFound, "Leader info available"),
		metadata.Pairs("exception", "not-leader", "leader-endpoint-host", "127.0.0.1", "leader-endpoint-port", "2113"))
	readsBody(t, svc, "410000", "河南省", registerBody(t, svc, "410000", "河南省"))
	code, body := health(t, svc)
	require.Equal(t, http.StatusOK, code, "%v", body)

	srv.EndSubscriptions(status.New(codes.PermissionDenied, "Access denied"), nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body = health(t, svc)
		if code == http.StatusServiceUnavailable {
			require.Equal(t, "projector stopped", body["status"])
			return
		}
		require.True(t, time.Now().Before(deadline), "/healthz never reported the stopped projector: %v", body)
		time.Sleep(20 * time.Millisecond)
	}
}
