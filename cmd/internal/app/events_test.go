package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore/esdb/esdbtest"
)

// TestServeOnEventStoreDBTestServer starts the service with its event log
// on esdbtest's in-process server (the real EventStore client over real
// gRPC; not a real EventStoreDB), writes through the API, stops, starts
// again on the same log and finds the write.
func TestServeOnEventStoreDBTestServer(t *testing.T) {
	srv, err := esdbtest.Start()
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	cfg := Config{DataDir: t.TempDir(), Events: srv.URL(), Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()

	svc, err := Start(ctx, cfg)
	require.NoError(t, err)
	token := svc.FirstToken
	out := graphql(t, svc.URL(), token, `mutation($in: RegisterBodyInput!) { registerBody(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "body-370000", "code": "370000", "name": "山东省", "kind": "PROVINCE", "basis": "国家统计局统计用区划代码", "effectiveFrom": "2022-10-31",
	}})
	pos := out["registerBody"].(map[string]any)["position"]
	require.NotNil(t, pos, "%v", out)
	require.NoError(t, svc.Close(ctx))

	svc, err = Start(ctx, cfg)
	require.NoError(t, err)
	defer svc.Close(ctx)
	out = graphql(t, svc.URL(), token, `query($p: Position) { body(code: "370000", waitFor: $p) { name } }`, map[string]any{"p": pos})
	require.Equal(t, "山东省", out["body"].(map[string]any)["name"])
}

func TestOpenEventsUnknownScheme(t *testing.T) {
	_, err := OpenEvents(context.Background(), t.TempDir(), "kurrentdb://user:secret@host:2113", nil, false)
	require.ErrorContains(t, err, "esdb://")
	require.NotContains(t, err.Error(), "secret")
}

// graphql posts one request and returns its data, failing on errors.
func graphql(t *testing.T, base, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Empty(t, out.Errors)
	return out.Data
}
