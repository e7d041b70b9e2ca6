package graphiql

// Parsers shared by the tests: what an HTML page, a stylesheet or a script in
// dist/ would make a browser load, and which absolute URLs a file contains.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// htmlTag is a start tag of a page, with its attributes (names lower-cased)
// and, for <script> and <style>, the raw text up to the end tag.
type htmlTag struct {
	name  string
	attrs map[string]string
	text  string
}

// parseHTML is a small tokenizer, enough for the pages build.mjs writes (and
// strict: it fails on what it does not understand rather than skip it).
// It avoids a dependency on golang.org/x/net/html for one test.
func parseHTML(s string) ([]htmlTag, error) {
	var tags []htmlTag
	i := 0
	for {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			return tags, nil
		}
		i += lt
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest, "-->")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at %d", i)
			}
			i += end + 3
			continue
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "</"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("unterminated tag at %d", i)
			}
			i += end + 1
			continue
		}
		j := 1
		for j < len(rest) && isNameByte(rest[j]) {
			j++
		}
		if j == 1 {
			i++ // a lone '<' in text
			continue
		}
		tag := htmlTag{name: strings.ToLower(rest[1:j]), attrs: map[string]string{}}
		for {
			for j < len(rest) && isSpace(rest[j]) {
				j++
			}
			if j >= len(rest) {
				return nil, fmt.Errorf("unterminated <%s> at %d", tag.name, i)
			}
			if rest[j] == '>' {
				j++
				break
			}
			if strings.HasPrefix(rest[j:], "/>") {
				j += 2
				break
			}
			k := j
			for k < len(rest) && !isSpace(rest[k]) && rest[k] != '=' && rest[k] != '>' && rest[k] != '/' {
				k++
			}
			if k == j {
				return nil, fmt.Errorf("bad attribute in <%s> at %d", tag.name, i+j)
			}
			name := strings.ToLower(rest[j:k])
			j = k
			for j < len(rest) && isSpace(rest[j]) {
				j++
			}
			val := ""
			if j < len(rest) && rest[j] == '=' {
				j++
				for j < len(rest) && isSpace(rest[j]) {
					j++
				}
				if j < len(rest) && (rest[j] == '"' || rest[j] == '\'') {
					q := rest[j]
					end := strings.IndexByte(rest[j+1:], q)
					if end < 0 {
						return nil, fmt.Errorf("unterminated attribute %s at %d", name, i+j)
					}
					val = rest[j+1 : j+1+end]
					j += end + 2
				} else {
					k := j
					for k < len(rest) && !isSpace(rest[k]) && rest[k] != '>' {
						k++
					}
					val = rest[j:k]
					j = k
				}
			}
			if _, dup := tag.attrs[name]; dup {
				return nil, fmt.Errorf("duplicate attribute %s in <%s>", name, tag.name)
			}
			tag.attrs[name] = htmlUnescape(val)
		}
		i += j
		if tag.name == "script" || tag.name == "style" {
			end := strings.Index(strings.ToLower(s[i:]), "</"+tag.name)
			if end < 0 {
				return nil, fmt.Errorf("unterminated <%s>", tag.name)
			}
			tag.text = s[i : i+end]
			i += end
		}
		tags = append(tags, tag)
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

var htmlEntities = strings.NewReplacer("&amp;", "&", "&quot;", `"`, "&#39;", "'", "&apos;", "'", "&lt;", "<", "&gt;", ">")

func htmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return htmlEntities.Replace(s)
}

// htmlRef is something a page makes the browser load or point at.
type htmlRef struct {
	url  string
	kind string // "script", "style", "icon", "image", "other"
	via  string // for messages: `<script src>`
}

// urlAttrs are the attributes whose value is a URL the browser may fetch or
// follow. Anything in a page's <head> or <body> that names a URL has to be
// one of these, or a style (url()), or <meta http-equiv=refresh>.
var urlAttrs = []string{"src", "href", "srcset", "poster", "data", "action", "formaction",
	"background", "manifest", "cite", "ping", "xlink:href", "imagesrcset", "codebase", "longdesc"}

// htmlRefs lists the references of a page. Inline scripts are an error (the
// page's Content-Security-Policy forbids them), <base> is an error (it would
// move every relative reference), and so is a meta refresh.
func htmlRefs(tags []htmlTag) (refs []htmlRef, cssTexts []string, err error) {
	for _, t := range tags {
		switch t.name {
		case "base":
			return nil, nil, fmt.Errorf("<base> is not allowed: it moves every relative reference")
		case "meta":
			if strings.EqualFold(t.attrs["http-equiv"], "refresh") {
				return nil, nil, fmt.Errorf("<meta http-equiv=refresh> is not allowed")
			}
		case "script":
			if strings.TrimSpace(t.text) != "" {
				return nil, nil, fmt.Errorf("inline <script> is not allowed (the page's CSP has script-src 'self')")
			}
		case "style":
			cssTexts = append(cssTexts, t.text)
		}
		if st, ok := t.attrs["style"]; ok {
			cssTexts = append(cssTexts, st)
		}
		for _, a := range urlAttrs {
			v, ok := t.attrs[a]
			if !ok {
				continue
			}
			kind := "other"
			switch {
			case t.name == "script" && a == "src":
				kind = "script"
			case t.name == "link" && a == "href":
				rel := strings.Fields(strings.ToLower(t.attrs["rel"]))
				for _, r := range rel {
					switch r {
					case "stylesheet":
						kind = "style"
					case "icon", "apple-touch-icon":
						kind = "icon"
					case "modulepreload":
						kind = "script"
					}
				}
			case t.name == "img" && a == "src":
				kind = "image"
			}
			urls := []string{strings.TrimSpace(v)}
			if a == "srcset" || a == "imagesrcset" {
				urls = nil
				for _, cand := range strings.Split(v, ",") {
					if f := strings.Fields(cand); len(f) > 0 {
						urls = append(urls, f[0])
					}
				}
			}
			for _, u := range urls {
				refs = append(refs, htmlRef{url: u, kind: kind, via: fmt.Sprintf("<%s %s>", t.name, a)})
			}
		}
	}
	return refs, cssTexts, nil
}

var (
	cssComment  = regexp.MustCompile(`(?s)/\*.*?\*/`)
	cssURL      = regexp.MustCompile(`(?i)\burl\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)`)
	cssImport   = regexp.MustCompile(`(?i)@import\s+(?:"([^"]*)"|'([^']*)')`)
	cssImageSet = regexp.MustCompile(`(?i)image-set\(\s*["']`)
)

// cssRefs lists what a stylesheet loads: url(…) (fonts, images, and
// @import url(…)) and @import "…".
func cssRefs(css string) ([]string, error) {
	css = cssComment.ReplaceAllString(css, "")
	if cssImageSet.MatchString(css) {
		return nil, fmt.Errorf("image-set() with bare strings is not understood by this check")
	}
	var refs []string
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		refs = append(refs, m[1]+m[2]+m[3])
	}
	for _, m := range cssImport.FindAllStringSubmatch(css, -1) {
		refs = append(refs, m[1]+m[2])
	}
	return refs, nil
}

// isInlineData tells references that need no request at all.
func isInlineData(ref string) bool {
	l := strings.ToLower(ref)
	return strings.HasPrefix(l, "data:") || strings.HasPrefix(l, "#") || ref == ""
}

// isAbsoluteRef tells references that name a scheme or a host of their own
// ("https://…", "//cdn…", "javascript:…"): none is allowed in dist/.
var schemeRef = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

func isAbsoluteRef(ref string) bool {
	r := strings.TrimSpace(ref)
	return strings.HasPrefix(r, "//") || strings.HasPrefix(r, `\\`) || strings.HasPrefix(r, `/\`) ||
		(schemeRef.MatchString(r) && !isInlineData(r))
}

// absURL finds absolute URLs anywhere in a text: http(s), ws(s) and
// protocol-relative ones with a dotted host name.
var absURL = regexp.MustCompile(`(?i)(?:https?:|wss?:)?//[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::[0-9]+)?(?:/[^\s"'` + "`" + `<>()\\\[\]{}|^]*)?`)

// loadingContext matches the text just before a URL when that URL is the
// argument of something that loads it: an attribute or property that makes
// the browser fetch (src=, href=, …), a call (fetch(, import(, new Worker(,
// url(, …) or a CSS @import.
var loadingContext = regexp.MustCompile(`(?i)(?:\b(?:src|srcset|poster|data|action|formaction|background|manifest|codebase|ping|cite|href|xlink:href)\s*[:=]\s*|\b(?:fetch|import|importScripts|Worker|SharedWorker|WebSocket|EventSource|sendBeacon|register|open|url|URL|Image|Audio|preload|prefetch|loadScript|loadStyle|require|setAttribute)\s*\(\s*(?:[^()]{0,60},\s*)?|@import\s+(?:url\(\s*)?)["'` + "`" + `]?$`)

// anchorHref matches the text before a URL that is the href of a JSX <a>
// element: a link the user may click (opening a new page), not a load.
var anchorHref = regexp.MustCompile(`\(\s*"a"\s*,\s*\{[^{}]{0,200}\bhref\s*:\s*["'` + "`" + `]$`)

// inertURL is an absolute URL that may appear in the bundle because nothing
// loads it. The list is exact: a dependency upgrade that brings a new URL
// fails the test until someone has looked at where it is used.
type inertURL struct {
	url    string
	reason string
	link   bool // may be the href of an <a> (opened only by a click)
}

var inertURLs = []inertURL{
	{url: "http://www.w3.org/2000/svg", reason: "XML namespace name (createElementNS, xmlns): an identifier, never fetched"},
	{url: "http://www.w3.org/1999/xlink", reason: "XML namespace name (setAttributeNS): an identifier, never fetched"},
	{url: "http://www.w3.org/XML/1998/namespace", reason: "XML namespace name (xml:lang, xml:base): an identifier, never fetched"},
	{url: "http://www.w3.org/1998/Math/MathML", reason: "XML namespace name (createElementNS): an identifier, never fetched"},
	{url: "https://react.dev/errors/", reason: "React: the start of the text of a minified error message"},
	{url: "https://yarnpkg.com/en/docs/selective-version-resolutions", reason: "graphql-js: text of the duplicate-module error message"},
	{url: "https://en.wikipedia.org/wiki/IEEE_floating_point", reason: "graphql-js: description of the Float scalar (Markdown text in the docs panel)"},
	{url: "https://commonmark.org/", reason: "graphql-js: description of a built-in directive (Markdown text in the docs panel)"},
	{url: "https://github.com/graphql/graphiql", reason: "GraphiQL's stock logo link; our page replaces the logo, so it is never rendered", link: true},
	{url: "https://codemirror.net/5/doc/manual.html#keymaps", reason: "a link in GraphiQL's settings dialog, opened in a new tab only if clicked", link: true},
}

// externalURLProblems lists what is wrong with the absolute URLs in a text
// a browser interprets (a script, a stylesheet, a page): each must be in
// inertURLs, and none may be in a position that loads it.
func externalURLProblems(name, text string) []string {
	allowed := map[string]inertURL{}
	for _, u := range inertURLs {
		allowed[u.url] = u
	}
	var problems []string
	for _, loc := range findAbsURLs(text) {
		u := text[loc[0]:loc[1]]
		before := text[max(0, loc[0]-300):loc[0]]
		where := fmt.Sprintf("%s at byte %d: …%s⟨%s⟩…", name, loc[0], oneLine(tail(before, 60)), u)
		a, ok := allowed[u]
		if !ok {
			problems = append(problems, "absolute URL not known to be inert (review it, then list it in inertURLs): "+where)
			continue
		}
		if loadingContext.MatchString(before) {
			if a.link && anchorHref.MatchString(before) {
				continue
			}
			problems = append(problems, "absolute URL in a loading position: "+where)
		}
	}
	return problems
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// jsLoadRe finds the constructs by which a script loads more code at run
// time. Like absURL it is only run near its keywords (see scanNear).
var (
	jsLoadRe       = regexp.MustCompile(`\bimport\s*\(|\bnew\s+(?:Shared)?Worker\s*\(|\bimportScripts\s*\(|\bserviceWorker\s*\.\s*register\s*\(|\b(?:audio|paint|layout|animation)Worklet\s*\.\s*addModule\s*\(`)
	jsLoadWords    = []string{"import", "Worker", "register", "addModule"}
	jsLiteral      = regexp.MustCompile(`^\s*["'` + "`" + `]([^"'` + "`" + `$]*)["'` + "`" + `]\s*[,)]`)
	jsFromStmt     = regexp.MustCompile(`(?:^|[;}\n])\s*(?:import|export)\b[^;"'` + "`" + `]*\bfrom\s*$`)
	jsImportStmt   = regexp.MustCompile(`(?:^|[;}\n])\s*import\s*$`)
	jsQuotedPrefix = regexp.MustCompile(`^["']([^"']+)["']`)
)

// scanNear returns the matches of re in s that lie near one of the literal
// words: far faster than running re (which starts with \b and so has no
// literal prefix) over a 1.4 MB bundle, which counts under the race detector.
func scanNear(s string, re *regexp.Regexp, words []string, back, fwd int) [][]int {
	seen := map[int]bool{}
	var locs [][]int
	for _, w := range words {
		for off := 0; ; {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			i += off
			off = i + len(w)
			lo, hi := max(0, i-back), min(len(s), i+len(w)+fwd)
			for _, m := range re.FindAllStringIndex(s[lo:hi], -1) {
				if a := lo + m[0]; !seen[a] && lo+m[0] <= i+len(w) && lo+m[1] >= i {
					seen[a] = true
					locs = append(locs, []int{a, lo + m[1]})
				}
			}
		}
	}
	slices.SortFunc(locs, func(a, b []int) int { return a[0] - b[0] })
	return locs
}

// findAbsURLs returns the locations of the absolute URLs in s.
func findAbsURLs(s string) [][]int {
	return scanNear(s, absURL, []string{"//"}, len("https:"), 2048)
}

// before returns up to n bytes of s before i, with a sentinel in front when
// it does not reach the start of s, so that ^ in a pattern means the start
// of s only.
func before(s string, i, n int) string {
	if i <= n {
		return s[:i]
	}
	return "\x00" + s[i-n:i]
}

// jsRefs lists the modules and workers a script loads, as written (relative
// to the script): static imports (import … from "x", export … from "x",
// import "x"), import("x"), new Worker("x") and the like. A run-time load
// whose argument is not a plain string literal is reported as a problem:
// its target cannot be checked here.
func jsRefs(js string) (refs []string, problems []string) {
	for _, w := range []string{"from", "import"} {
		stmt := jsFromStmt
		if w == "import" {
			stmt = jsImportStmt
		}
		for off := 0; ; {
			i := strings.Index(js[off:], w)
			if i < 0 {
				break
			}
			i += off
			off = i + len(w)
			rest := strings.TrimLeft(js[off:min(len(js), off+1024)], " \t\n\r")
			m := jsQuotedPrefix.FindStringSubmatch(rest)
			if m == nil || !stmt.MatchString(before(js, off, 512)) {
				continue
			}
			refs = append(refs, m[1])
		}
	}
	for _, loc := range scanNear(js, jsLoadRe, jsLoadWords, 24, 24) {
		arg := js[loc[1]:min(len(js), loc[1]+300)]
		if m := jsLiteral.FindStringSubmatch(arg); m != nil {
			refs = append(refs, m[1])
			continue
		}
		problems = append(problems, fmt.Sprintf("run-time load with a computed target at byte %d: %s⟨%s⟩", loc[0], js[loc[0]:loc[1]], arg[:min(len(arg), 60)]))
	}
	return refs, problems
}

// isBareSpecifier tells module names ("graphql-ws") from URLs: the bundle has
// none as real imports (esbuild inlined them); one that shows up is text,
// for instance graphql-ws's "import WebSocket from 'ws'" in an error message.
func isBareSpecifier(ref string) bool {
	return !strings.HasPrefix(ref, "./") && !strings.HasPrefix(ref, "../") && !strings.HasPrefix(ref, "/") && !isAbsoluteRef(ref)
}
