package auth_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/catalogue/catalogue/graph/auth"
)

func TestBootstrapOnce(t *testing.T) {
	dir := t.TempDir()
	s := auth.Open(dir)
	secret, err := s.Bootstrap("admin", true)
	if err != nil || !strings.HasPrefix(secret, "cat_") {
		t.Fatalf("first start: %q %v", secret, err)
	}
	p, err := s.Authenticate(secret)
	if err != nil || p.Role != auth.LegalOfficer || p.Actor() != "admin" {
		t.Fatalf("%+v %v", p, err)
	}
	again, err := auth.Open(dir).Bootstrap("admin", true)
	if err != nil || again != "" {
		t.Fatalf("second start created a token: %q %v", again, err)
	}
	// Even with every token revoked, a restart does not hand out a new
	// admin token: that would let anyone who can restart the server in.
	if _, err := s.Revoke("admin"); err != nil {
		t.Fatal(err)
	}
	if again, _ := auth.Open(dir).Bootstrap("admin", true); again != "" {
		t.Fatal("a restart after revocation created a token")
	}
}

// TestBootstrapOnlyForANewDataDirectory: a token file missing beside a log
// that has events mints no admin token; one marked as awaiting its first
// token (the first import into a new directory) does, once; a token issued
// by hand ends the wait.
func TestBootstrapOnlyForANewDataDirectory(t *testing.T) {
	dir := t.TempDir()
	if secret, err := auth.Open(dir).Bootstrap("admin", false); err != nil || secret != "" {
		t.Fatalf("missing file beside a log with events: %q %v", secret, err)
	}
	if _, err := os.Stat(filepath.Join(dir, auth.FileName)); !os.IsNotExist(err) {
		t.Fatalf("a token file was written: %v", err)
	}
	if err := auth.Open(dir).AwaitFirst(); err != nil {
		t.Fatal(err)
	}
	if secret, err := auth.Open(dir).Bootstrap("admin", false); err != nil || secret == "" {
		t.Fatalf("awaiting its first token: %q %v", secret, err)
	}
	if secret, _ := auth.Open(dir).Bootstrap("admin", false); secret != "" {
		t.Fatal("a second first token")
	}
	if err := auth.Open(dir).AwaitFirst(); err != nil {
		t.Fatal(err)
	}
	if secret, _ := auth.Open(dir).Bootstrap("admin", true); secret != "" {
		t.Fatal("AwaitFirst reopened a directory that has tokens")
	}

	other := t.TempDir()
	s := auth.Open(other)
	if err := s.AwaitFirst(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(auth.Spec{Role: auth.Auditor}); err != nil {
		t.Fatal(err)
	}
	if secret, _ := s.Bootstrap("admin", false); secret != "" {
		t.Fatal("a token issued by hand did not end the wait for the first")
	}
}

func TestOnlyHashesAreStored(t *testing.T) {
	dir := t.TempDir()
	s := auth.Open(dir)
	secret, tok, err := s.Create(auth.Spec{Role: auth.Auditor, Name: "审计局"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, auth.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) || strings.Contains(string(b), strings.TrimPrefix(secret, "cat_")) {
		t.Fatal("the token file holds the secret")
	}
	if !strings.Contains(string(b), tok.Hash) || !strings.HasPrefix(tok.Hash, "sha256:") {
		t.Fatalf("hash %q not stored", tok.Hash)
	}
	if fi, _ := os.Stat(filepath.Join(dir, auth.FileName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

// TestAnotherProcessChangesTokens: a server sees tokens created and revoked
// by the CLI (another Store on the same directory) on the next request.
func TestAnotherProcessChangesTokens(t *testing.T) {
	dir := t.TempDir()
	server, cli := auth.Open(dir), auth.Open(dir)
	if _, err := server.Authenticate("cat_nothing"); err == nil {
		t.Fatal("authenticated without tokens")
	}
	secret, tok, err := cli.Create(auth.Spec{Role: auth.BodyOfficer, Body: "370202"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := server.Authenticate(secret)
	if err != nil || p.Body != "370202" || p.Role != auth.BodyOfficer || !strings.Contains(p.Name, "370202") {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := cli.Revoke(tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = server.Authenticate(secret)
	var ae *auth.Error
	if !asAuthError(err, &ae) || ae.Code != auth.CodeUnauthenticated {
		t.Fatalf("revoked token: %v", err)
	}
}

func asAuthError(err error, target **auth.Error) bool {
	e, ok := err.(*auth.Error)
	*target = e
	return ok
}

func TestSpecRules(t *testing.T) {
	s := auth.Open(t.TempDir())
	for _, spec := range []auth.Spec{
		{Role: auth.BodyOfficer},
		{Role: auth.Auditor, Body: "370202"},
		{Role: "admin"},
	} {
		if _, _, err := s.Create(spec); err == nil {
			t.Errorf("%+v: created", spec)
		}
	}
	if _, _, err := s.Create(auth.Spec{Role: auth.LegalOfficer, Name: "张三"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(auth.Spec{Role: auth.Auditor, Name: "张三"}); err == nil {
		t.Error("two active tokens share a name (and so an actor)")
	}
	if _, err := s.Revoke("nobody"); err == nil {
		t.Error("revoked an unknown token")
	}
	if r, err := auth.ParseRole("LEGAL-OFFICER"); err != nil || r != auth.LegalOfficer {
		t.Errorf("%v %v", r, err)
	}
}

// TestConcurrentCreates: writers from many goroutines (or processes) each
// keep their token: the file lock serialises read-modify-write.
func TestConcurrentCreates(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	secrets := make([]string, 20)
	for i := range secrets {
		wg.Go(func() {
			var err error
			secrets[i], _, err = auth.Open(dir).Create(auth.Spec{Role: auth.Auditor})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := auth.Open(dir)
	for _, secret := range secrets {
		if _, err := s.Authenticate(secret); err != nil {
			t.Errorf("lost token: %v", err)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "abc": ""} {
		got, ok := auth.BearerToken(in)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
}
