package graphiql

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

// The committed dist/ is checked as files, independently of the handler:
// every asset the page needs is there, nothing is left over, and no file a
// browser interprets makes it load anything from another host.

// browserInterpreted are the extensions of files whose text a browser
// parses and may follow references from. Fonts are opaque binaries; the
// .txt notices are served as text/plain with nosniff, so a browser shows
// them and loads nothing from them. Any other extension fails the test
// until it is given a place here.
var (
	browserInterpreted = []string{".html", ".js", ".css", ".svg", ".json"}
	opaque             = []string{".woff2", ".woff", ".ttf", ".png", ".txt"}
)

func readDist(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS("dist"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path.Join("dist", p))
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("reading dist/: %v (build it: cd graph/graphiql/web && npm ci && npm run build)", err)
	}
	return files
}

func TestDistReferencesResolveAndNothingIsLeftOver(t *testing.T) {
	files := readDist(t)
	index, ok := files["index.html"]
	if !ok {
		t.Fatal("dist/index.html is missing")
	}
	reached := map[string]bool{"index.html": true}
	var walk func(from, ref string)
	resolve := func(from, ref string) (string, bool) {
		if isInlineData(ref) {
			return "", false
		}
		if isAbsoluteRef(ref) {
			t.Errorf("%s refers to %q, which is not on this server", from, ref)
			return "", false
		}
		ref, _, _ = strings.Cut(ref, "#")
		ref, _, _ = strings.Cut(ref, "?")
		var p string
		if strings.HasPrefix(ref, "/") {
			t.Errorf("%s refers to %q by an absolute path: use a relative one so the page works under a prefix", from, ref)
			p = strings.TrimPrefix(ref, "/")
		} else {
			p = path.Join(path.Dir(from), ref)
		}
		if _, ok := files[p]; !ok {
			t.Errorf("%s refers to %q: dist/%s does not exist", from, ref, p)
			return "", false
		}
		return p, true
	}
	walk = func(from, ref string) {
		p, ok := resolve(from, ref)
		if !ok || reached[p] {
			return
		}
		reached[p] = true
		switch path.Ext(p) {
		case ".css":
			refs, err := cssRefs(files[p])
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
			for _, r := range refs {
				walk(p, r)
			}
		case ".js":
			refs, problems := jsRefs(files[p])
			for _, pr := range problems {
				t.Errorf("%s: %s", p, pr)
			}
			for _, r := range refs {
				if !isBareSpecifier(r) {
					walk(p, r)
				}
			}
		}
	}
	tags, err := parseHTML(index)
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	refs, cssTexts, err := htmlRefs(tags)
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	var kinds []string
	for _, r := range refs {
		walk("index.html", r.url)
		kinds = append(kinds, r.kind)
	}
	for _, css := range cssTexts {
		cr, err := cssRefs(css)
		if err != nil {
			t.Errorf("index.html: %v", err)
		}
		for _, r := range cr {
			walk("index.html", r)
		}
	}
	if !slices.Contains(kinds, "script") || !slices.Contains(kinds, "style") {
		t.Errorf("index.html should load a script and a stylesheet; it references %v", refs)
	}
	for p := range files {
		if reached[p] || p == "THIRD_PARTY_NOTICES.txt" {
			continue
		}
		t.Errorf("dist/%s is not referenced from index.html (stale build output?)", p)
	}
	if _, ok := files["THIRD_PARTY_NOTICES.txt"]; !ok {
		t.Error("dist/THIRD_PARTY_NOTICES.txt is missing (the licences of the bundled packages)")
	}
}

func TestDistLoadsNothingFromOtherHosts(t *testing.T) {
	files := readDist(t)
	scanned := 0
	for p, text := range files {
		ext := path.Ext(p)
		switch {
		case slices.Contains(browserInterpreted, ext):
			scanned++
			for _, pr := range externalURLProblems(p, text) {
				t.Error(pr)
			}
		case slices.Contains(opaque, ext):
		default:
			t.Errorf("dist/%s: unknown kind of file; decide whether a browser interprets it and list its extension in dist_test.go", p)
		}
	}
	if scanned < 3 {
		t.Errorf("scanned %d files; expected at least index.html, a script and a stylesheet", scanned)
	}
}

// The checker itself must catch what it is there to catch.
func TestExternalURLCheckerCatchesLoads(t *testing.T) {
	bad := map[string]string{
		"script from a CDN":       `<script src="https://unpkg.com/graphiql/graphiql.min.js"></script>`,
		"protocol-relative":       `x.src="//cdn.jsdelivr.net/npm/react.js"`,
		"Google Fonts in CSS":     `@import url(https://fonts.googleapis.com/css2?family=Fira+Code);`,
		"font from another host":  `@font-face{src:url("https://fonts.gstatic.com/s/x.woff2")}`,
		"dynamic import":          `await import("https://esm.sh/graphql-ws")`,
		"worker":                  `new Worker("https://cdn.example.org/editor.worker.js")`,
		"fetch":                   `fetch("https://api.example.org/x")`,
		"allowlisted URL fetched": `fetch("https://react.dev/errors/")`,
		"allowlisted URL as src":  `e.src="http://www.w3.org/2000/svg"`,
		"link href outside an a":  `(0,r.jsx)("link",{rel:"stylesheet",href:"https://codemirror.net/5/doc/manual.html#keymaps"})`,
		"websocket elsewhere":     `new WebSocket("wss://evil.example.com/query")`,
		"unknown inert-looking":   `throw Error("see https://example.com/docs")`,
	}
	for name, text := range bad {
		if len(externalURLProblems("t", text)) == 0 {
			t.Errorf("%s: not caught: %s", name, text)
		}
	}
	good := map[string]string{
		"svg namespace":      `a.createElementNS("http://www.w3.org/2000/svg",i)`,
		"xmlns prop":         `fill:"none",xmlns:"http://www.w3.org/2000/svg"`,
		"react error text":   `var t="https://react.dev/errors/"+e;`,
		"anchor href link":   `(0,ge.jsx)("a",{href:"https://codemirror.net/5/doc/manual.html#keymaps",target:"_blank"`,
		"same-origin ws URL": "subscriptionUrl:`${w}//${window.location.host}/query`",
	}
	for name, text := range good {
		if p := externalURLProblems("t", text); len(p) != 0 {
			t.Errorf("%s: false alarm: %v", name, p)
		}
	}
	if _, p := jsRefs(`new Worker(new URL(x))`); len(p) == 0 {
		t.Error("a worker with a computed URL is not caught")
	}
	if refs, p := jsRefs(`import("./chunk-ABC.js").then(f)`); len(p) != 0 || !slices.Equal(refs, []string{"./chunk-ABC.js"}) {
		t.Errorf("dynamic import of a chunk: refs %v, problems %v", refs, p)
	}
	if refs, p := jsRefs("import{a as b}from\"./x.js\";export*from'../y.js';\nimport\"./z.js\";throw Error(`use import WebSocket from 'ws';`)"); len(p) != 0 || !slices.Equal(refs, []string{"./x.js", "../y.js", "./z.js"}) {
		t.Errorf("static imports: refs %v, problems %v", refs, p)
	}
	if refs, _ := cssRefs(`a{background:url( 'img/x.png' )}@import "b.css";`); !slices.Equal(refs, []string{"img/x.png", "b.css"}) {
		t.Errorf("cssRefs = %v", refs)
	}
	for _, r := range []string{"https://x.org/a.js", "//x.org/a.js", "javascript:alert(1)", `\\x.org\a`} {
		if !isAbsoluteRef(r) {
			t.Errorf("isAbsoluteRef(%q) = false", r)
		}
	}
	for _, r := range []string{"assets/a.js", "./a.css", "data:,", "#x"} {
		if isAbsoluteRef(r) {
			t.Errorf("isAbsoluteRef(%q) = true", r)
		}
	}
}
