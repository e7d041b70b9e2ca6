package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/graph/auth"
)

// startService starts the service on a data directory in-process and
// returns it with its log and a stop function, which the test's end also
// calls.
func startService(t *testing.T, dir string) (*app.Service, *bytes.Buffer, func(), error) {
	t.Helper()
	var logs bytes.Buffer
	svc, err := app.Start(t.Context(), app.Config{DataDir: dir, Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		return nil, &logs, nil, err
	}
	stop := sync.OnceFunc(func() { require.NoError(t, svc.Close(context.Background())) })
	t.Cleanup(stop)
	return svc, &logs, stop, nil
}

// TestFirstTokenOnlyForANewDataDirectory: serve creates the first admin
// token for a new data directory, owner-only — also when a command such as
// `catalogue bodies import` recorded the first events before serve's first
// start; but a token file missing beside a log that has events mints none:
// serve starts and says how to issue one. A token file readable by others
// is made owner-only; an unreadable one stops the start.
func TestFirstTokenOnlyForANewDataDirectory(t *testing.T) {
	fresh := t.TempDir()
	svc, _, _, err := startService(t, fresh)
	require.NoError(t, err)
	require.NotEmpty(t, svc.FirstToken, "a new data directory gets its first token")
	fi, err := os.Stat(filepath.Join(fresh, auth.FileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the token file is its owner's only")

	dir := t.TempDir()
	path := filepath.Join(dir, auth.FileName)
	bodies := filepath.Join(t.TempDir(), "bodies.csv")
	require.NoError(t, os.WriteFile(bodies, []byte("code,name,parent_code\n370000,山东省,\n"), 0o600))
	_, errOut, err := cli(t, "bodies", "import", bodies, "--data", dir)
	require.NoError(t, err, errOut)
	svc, _, stop, err := startService(t, dir)
	require.NoError(t, err)
	require.NotEmpty(t, svc.FirstToken, "the first start after the first import is still a first start")
	stop()

	require.NoError(t, os.Remove(path))
	svc, logs, stop, err := startService(t, dir)
	require.NoError(t, err)
	require.Empty(t, svc.FirstToken, "no admin token when the token file is missing beside a log that has events")
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "no token file is written")
	require.Contains(t, logs.String(), "level=WARN")
	require.Contains(t, logs.String(), "catalogue token create --role legal_officer")
	stop()

	// A token issued by hand, then the file made readable by all (a
	// restored backup): the next start makes it owner-only again.
	_, _, err = cli(t, "token", "create", "--role", "auditor", "--data", dir)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))
	_, logs, stop, err = startService(t, dir)
	require.NoError(t, err)
	fi, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Contains(t, logs.String(), "made it owner-only")
	stop()

	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, _, _, err = startService(t, dir)
	require.ErrorContains(t, err, path, "an unreadable token file stops the start, saying which")
}

// subscription is a live events subscription over graphql-transport-ws.
type subscription struct {
	t    *testing.T
	conn *websocket.Conn
}

// subscribeEvents subscribes to the audit log of the server at base as the
// holder of token.
func subscribeEvents(t *testing.T, base, token string) *subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	type msg struct {
		ID      string `json:"id,omitempty"`
		Type    string `json:"type"`
		Payload any    `json:"payload,omitempty"`
	}
	require.NoError(t, wsjson.Write(ctx, conn, msg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + token}}))
	var ack struct{ Type string }
	require.NoError(t, wsjson.Read(ctx, conn, &ack))
	require.Equal(t, "connection_ack", ack.Type)
	require.NoError(t, wsjson.Write(ctx, conn, msg{ID: "1", Type: "subscribe", Payload: map[string]any{"query": "subscription { events { type } }"}}))
	return &subscription{t: t, conn: conn}
}

// closed reads until the server closes the connection (for at most 5 s)
// and returns how long it took and why.
func (s *subscription) closed() (time.Duration, error) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(s.t.Context(), 5*time.Second)
	defer cancel()
	for {
		var m json.RawMessage
		if err := wsjson.Read(ctx, s.conn, &m); err != nil {
			return time.Since(began), err
		}
	}
}
