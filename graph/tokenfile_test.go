package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/catalogue/catalogue/graph/auth"
)

// TestCorruptTokenFile: while the token file cannot be read, a request
// with a token is answered 503 UNAVAILABLE saying only that sign-in is
// unavailable — not the server's path or the parse error — and the log
// has the path and the error at ERROR, once; a WebSocket signing in is
// closed with 1013 (try again later); mended, sign-in works again.
func TestCorruptTokenFile(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.dir, auth.FileName)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	me := func() (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ me { name } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[auditor])
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if status, body := me(); status != http.StatusOK {
		t.Fatalf("before: %d %s", status, body)
	}

	if err := os.WriteFile(path, append(good[:len(good)/2:len(good)/2], "\x00garbage"...), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		status, body := me()
		var resp struct {
			Errors []gqlError
		}
		json.Unmarshal([]byte(body), &resp)
		if status != http.StatusServiceUnavailable || len(resp.Errors) != 1 || resp.Errors[0].code() != "UNAVAILABLE" ||
			!strings.Contains(resp.Errors[0].Message, "sign-in is unavailable") {
			t.Fatalf("corrupt token file: %d %s", status, body)
		}
		if strings.Contains(body, e.dir) || strings.Contains(body, auth.FileName) || strings.Contains(body, "invalid character") {
			t.Fatalf("the answer tells the client about the server's file: %s", body)
		}
	}
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	ws := dialWS(t, srv, e.tokens[auditor])
	if _, err := ws.next(); websocket.CloseStatus(err) != 1013 || strings.Contains(err.Error(), e.dir) {
		t.Errorf("a WebSocket signing in: %v, want close 1013 (try again later) without the path", err)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "level=ERROR"); n != 1 || !strings.Contains(logs, path) || !strings.Contains(logs, "invalid character") {
		t.Fatalf("want the path and the error logged at ERROR once, got %d:\n%s", n, logs)
	}

	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if status, body := me(); status != http.StatusOK {
		t.Fatalf("mended: %d %s", status, body)
	}
	if !strings.Contains(e.logs.String(), "token file readable again") {
		t.Errorf("the recovery is not logged:\n%s", e.logs)
	}
}
