package graphiql

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

// expectedContentType is what the browser must get for each kind of
// reference: a module script served as anything else is refused (with
// nosniff), and so is a stylesheet.
func expectedContentType(kind, p string) string {
	switch kind {
	case "page":
		return "text/html; charset=utf-8"
	case "script":
		return "text/javascript; charset=utf-8"
	case "style":
		return "text/css; charset=utf-8"
	}
	switch path.Ext(p) {
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	case ".ttf":
		return "font/ttf"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	}
	return ""
}

var hashedName = regexp.MustCompile(`-[0-9a-f]{16}\.[a-z0-9]+$`)

// crawl loads the page at start from srv the way a browser would — the page,
// then its scripts and stylesheets, then what those load (url()s in CSS,
// imports in scripts) — and fails on anything that is not a 200 with the
// right content type from the same origin.
func crawl(t *testing.T, srv *httptest.Server, start string) map[string]int {
	t.Helper()
	origin, _ := url.Parse(srv.URL)
	type item struct {
		u          *url.URL
		kind, from string
	}
	first, _ := url.Parse(srv.URL + start)
	queue := []item{{first, "page", "(start)"}}
	seen := map[string]bool{}
	counts := map[string]int{}
	enqueue := func(base *url.URL, ref, kind, from string) {
		if isInlineData(ref) {
			return
		}
		u, err := base.Parse(ref)
		if err != nil {
			t.Errorf("%s: bad reference %q: %v", from, ref, err)
			return
		}
		if u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("%s: %q points off-origin (%s://%s): the page must load everything from its own server", from, ref, u.Scheme, u.Host)
			return
		}
		u.Fragment = ""
		queue = append(queue, item{u, kind, from})
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if seen[it.u.String()] {
			continue
		}
		seen[it.u.String()] = true
		res, err := srv.Client().Get(it.u.String())
		if err != nil {
			t.Errorf("GET %s (from %s): %v", it.u, it.from, err)
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s (from %s): %s", it.u.Path, it.from, res.Status)
			continue
		}
		want := expectedContentType(it.kind, it.u.Path)
		if got := res.Header.Get("Content-Type"); want == "" || got != want {
			t.Errorf("GET %s (%s, from %s): Content-Type %q, want %q", it.u.Path, it.kind, it.from, got, want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", it.u.Path)
		}
		cc := res.Header.Get("Cache-Control")
		if it.kind == "page" {
			if cc != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache (the page names the current assets)", it.u.Path, cc)
			}
		} else if hashedName.MatchString(it.u.Path) && cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: hashed asset with Cache-Control %q, want immutable", it.u.Path, cc)
		}
		counts[it.kind]++
		from := it.u.Path
		text := string(body)
		switch it.kind {
		case "page":
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy %q does not confine loads to this server", it.u.Path, csp)
			}
			tags, err := parseHTML(text)
			if err != nil {
				t.Errorf("%s: %v", from, err)
				continue
			}
			if !bytes.Contains(body, []byte(`id="graphiql"`)) {
				t.Errorf("%s: no GraphiQL mount point", from)
			}
			refs, cssTexts, err := htmlRefs(tags)
			if err != nil {
				t.Errorf("%s: %v", from, err)
			}
			for _, r := range refs {
				kind := r.kind
				if kind == "other" || kind == "icon" || kind == "image" {
					kind = "asset"
				}
				enqueue(it.u, r.url, kind, from+" "+r.via)
			}
			for _, css := range cssTexts {
				crefs, err := cssRefs(css)
				if err != nil {
					t.Errorf("%s: %v", from, err)
				}
				for _, r := range crefs {
					enqueue(it.u, r, "asset", from+" inline style")
				}
			}
		case "style":
			refs, err := cssRefs(text)
			if err != nil {
				t.Errorf("%s: %v", from, err)
			}
			for _, r := range refs {
				kind := "asset"
				if strings.HasSuffix(strings.ToLower(strings.SplitN(r, "?", 2)[0]), ".css") {
					kind = "style"
				}
				enqueue(it.u, r, kind, from+" url()")
			}
		case "script":
			refs, problems := jsRefs(text)
			for _, p := range problems {
				t.Errorf("%s: %s", from, p)
			}
			for _, r := range refs {
				if !isBareSpecifier(r) {
					enqueue(it.u, r, "script", from+" import")
				}
			}
		}
		if it.kind != "asset" {
			for _, p := range externalURLProblems(from, text) {
				t.Error(p)
			}
		}
	}
	return counts
}

func TestPageLoadsEverythingFromItsOwnOrigin(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	counts := crawl(t, srv, "/")
	if counts["page"] != 1 || counts["script"] < 1 || counts["style"] < 1 || counts["asset"] < 1 {
		t.Errorf("crawled %v; want the page, at least one script, one stylesheet and its fonts", counts)
	}
	t.Logf("crawled %v", counts)
}

func TestPageWorksUnderAPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	crawl(t, srv, "/graphiql/")

	// Without the slash: redirected (relatively) to the slash.
	mux2 := http.NewServeMux()
	mux2.Handle("/graphiql", http.StripPrefix("/graphiql", Handler()))
	srv2 := httptest.NewServer(mux2)
	defer srv2.Close()
	c := srv2.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(srv2.URL + "/graphiql?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "./graphiql/?x=1" {
		t.Errorf("GET /graphiql: %s, Location %q; want 301 to ./graphiql/?x=1", res.Status, res.Header.Get("Location"))
	}
}

func TestHandlerHTTP(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	c := srv.Client()
	do := func(method, p string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+p, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := c.Transport.RoundTrip(req) // no transparent gunzip
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}

	res, index := do("GET", "/", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("GET /: %s, encoding %q", res.Status, res.Header.Get("Content-Encoding"))
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Error("GET /: no ETag")
	}
	if res, b := do("GET", "/index.html", nil); res.StatusCode != 200 || !bytes.Equal(b, index) {
		t.Errorf("GET /index.html: %s, same body %v", res.Status, bytes.Equal(b, index))
	}
	if res, _ := do("GET", "/", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("GET / If-None-Match: %s, want 304", res.Status)
	}
	if res, b := do("HEAD", "/", nil); res.StatusCode != 200 || len(b) != 0 || res.ContentLength != int64(len(index)) {
		t.Errorf("HEAD /: %s, %d body bytes, Content-Length %d", res.Status, len(b), res.ContentLength)
	}
	if res, _ := do("POST", "/", nil); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %s, Allow %q", res.Status, res.Header.Get("Allow"))
	}
	for _, p := range []string{"/nope", "/assets", "/assets/", "/dist/index.html", "/assets/main.js", "/%2e%2e/graphiql.go"} {
		if res, _ := do("GET", p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, res.Status)
		}
	}
	if res, b := do("GET", "/THIRD_PARTY_NOTICES.txt", nil); res.StatusCode != 200 ||
		res.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !bytes.Contains(b, []byte("react-dom@")) {
		t.Errorf("GET /THIRD_PARTY_NOTICES.txt: %s %q", res.Status, res.Header.Get("Content-Type"))
	}

	// The script: gzip when asked, identical once decompressed.
	tags, err := parseHTML(string(index))
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, tag := range tags {
		if tag.name == "script" {
			script = "/" + tag.attrs["src"]
		}
	}
	_, plain := do("GET", script, nil)
	res, gz := do("GET", script, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("GET %s with gzip: encoding %q, Vary %q", script, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, plain) || len(gz) >= len(plain) {
		t.Errorf("gzip body: %d bytes for %d, round-trips %v", len(gz), len(plain), bytes.Equal(unz, plain))
	}
	if res.Header.Get("ETag") == "" || res.Header.Get("ETag") == etag {
		t.Errorf("gzip ETag %q must differ from the identity one", res.Header.Get("ETag"))
	}
	if res, _ := do("GET", script, map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	t.Logf("script %s: %d bytes, %d gzipped", script, len(plain), len(gz))
}
