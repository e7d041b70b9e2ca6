// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, entirely from
// files embedded in the binary.
//
// Why it exists: gqlgen's playground handler writes a page that loads
// GraphiQL, React and their stylesheets from a public CDN. Our users work on
// government intranets without internet access, where that page stays on
// "Loading…" forever. This package instead embeds a GraphiQL build made with
// npm from a committed lock file (graph/graphiql/web, output in
// graph/graphiql/dist): the page, its script, its stylesheet and its fonts are
// all served by this handler, and nothing is fetched from any other host. The
// page talks to the same-origin endpoint /query (HTTP POST for queries and
// mutations, a graphql-transport-ws WebSocket for subscriptions); its header
// editor takes {"Authorization": "Bearer …"}.
//
// To rebuild dist after changing web/ (needs Node and the npm registry, not
// the internet):
//
//	cd graph/graphiql/web && npm ci && npm run build
//
// Mounting: the page refers to its assets relatively (assets/…), so it works
// at the root or under a prefix:
//
//	mux.Handle("/", graphiql.Handler())
//	mux.Handle("/graphiql/", http.StripPrefix("/graphiql", graphiql.Handler()))
//
// With a prefix, a request for the prefix without its trailing slash is
// redirected to it with the slash.
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var embedded embed.FS

// dist is the build output: index.html, THIRD_PARTY_NOTICES.txt, assets/.
var dist = mustSub(embedded, "dist")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// contentTypes are fixed here rather than taken from mime.TypeByExtension,
// which consults the host's mime.types and so differs between machines.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".ttf":   "font/ttf",
}

// contentType is the Content-Type the handler sends for a file name.
func contentType(name string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// hashedAsset matches the names build.mjs gives content-addressed files
// (assets/main-0123456789abcdef.js): their content never changes under the
// same name, so browsers may keep them for good.
var hashedAsset = regexp.MustCompile(`^assets/[a-z0-9_.-]+-[0-9a-f]{16}\.[a-z0-9]+$`)

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// contentSecurityPolicy is sent with the page. It lets the page load
// scripts, styles and fonts only from this server, so even a future GraphiQL
// build that tried to reach a CDN would be stopped by the browser. Inline
// styles are allowed because React and CodeMirror set style attributes;
// connect-src allows the same-origin /query and its WebSocket (browsers
// before CSP 3 do not count ws: as 'self').
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'self'"

// file is one embedded file, ready to serve.
type file struct {
	name        string
	body        []byte
	contentType string
	cache       string
	etag        string

	gzipOnce sync.Once
	gzipBody []byte // nil when compression does not pay
}

func (f *file) gzipped() []byte {
	f.gzipOnce.Do(func() {
		if !strings.HasPrefix(f.contentType, "text/") && f.contentType != "application/json" && f.contentType != "image/svg+xml" {
			return
		}
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write(f.body)
		w.Close()
		if b.Len() < len(f.body)*9/10 {
			f.gzipBody = b.Bytes()
		}
	})
	return f.gzipBody
}

type handler struct {
	files map[string]*file // by path in dist, "index.html", "assets/…"
}

var (
	loadOnce sync.Once
	loaded   *handler
)

// Handler serves GraphiQL: the page at "/" (and "/index.html"), its assets
// under "/assets/" with long-lived immutable caching, and
// "/THIRD_PARTY_NOTICES.txt". It answers GET and HEAD only; other paths are
// 404 (no directory listings, no fallback to the page).
func Handler() http.Handler {
	loadOnce.Do(func() {
		h := &handler{files: map[string]*file{}}
		err := fs.WalkDir(dist, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(dist, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(body)
			f := &file{
				name:        p,
				body:        body,
				contentType: contentType(p),
				cache:       cacheRevalidate,
				etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
			}
			if hashedAsset.MatchString(p) {
				f.cache = cacheImmutable
			}
			h.files[p] = f
			return nil
		})
		if err != nil {
			panic("graphiql: reading embedded dist: " + err.Error())
		}
		if h.files["index.html"] == nil {
			panic("graphiql: embedded dist has no index.html; run npm ci && npm run build in graph/graphiql/web")
		}
		loaded = h
	})
	return loaded
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "" {
		// Mounted with http.StripPrefix("/graphiql", …) and asked for
		// "/graphiql": the page's relative asset URLs need the slash.
		redirectWithSlash(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		name = "index.html"
	}
	f := h.files[name]
	if f == nil || name != path.Clean(name) {
		http.NotFound(w, r)
		return
	}

	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", f.cache)
	hdr.Set("X-Content-Type-Options", "nosniff")
	if f.contentType == contentTypes[".html"] {
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "SAMEORIGIN")
	}
	body, etag := f.body, f.etag
	if gz := f.gzipped(); gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = gz, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	// ServeContent handles HEAD, If-None-Match (304) and Range.
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(body))
}

// zeroTime makes ServeContent leave Last-Modified out: embedded files have
// no modification time, the ETag stands in for it.
var zeroTime time.Time

// acceptsGzip reports whether the request's Accept-Encoding lists gzip with
// a non-zero quality.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

// redirectWithSlash redirects to the request's original path (before any
// StripPrefix) with a trailing slash, keeping the query string.
func redirectWithSlash(w http.ResponseWriter, r *http.Request) {
	orig := r.URL.RawPath
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && r.RequestURI != "" {
		orig = u.EscapedPath()
	}
	if orig == "" || strings.HasSuffix(orig, "/") {
		http.NotFound(w, r)
		return
	}
	// Only the last path segment is needed for a relative redirect, which
	// stays correct behind proxies that rewrite the path prefix.
	target := "./" + path.Base(orig) + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	hdr := w.Header()
	hdr.Set("Location", target)
	hdr.Set("Cache-Control", cacheRevalidate)
	w.WriteHeader(http.StatusMovedPermanently)
}
