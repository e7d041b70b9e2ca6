package graph_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/graph"
)

// TestExportURL: exportUrl gives the relative URL of a download, checked as
// the endpoint checks it, and the endpoint's parser reads it back to the
// same request.
func TestExportURL(t *testing.T) {
	e := newEnv(t)
	const q = `query($f: ExportFormat!, $e: String, $d: Date, $p: Position, $b: String) {
		exportUrl(format: $f, edition: $e, inForceOn: $d, asOf: $p, body: $b) }`
	res := e.ok(anon, q, map[string]any{"f": "XLSX", "e": "2023年版"})
	got := res.str("exportUrl")
	if got != "/export?edition=2023%E5%B9%B4%E7%89%88&format=xlsx" {
		t.Fatalf("edition URL %q", got)
	}
	res = e.ok(anon, q, map[string]any{"f": "CSV", "d": "2024-03-01", "p": "42"})
	u, err := url.Parse(res.str("exportUrl"))
	if err != nil || u.Path != graph.ExportPath {
		t.Fatalf("date URL %q: %v", res.str("exportUrl"), err)
	}
	parsed, err := graph.ParseExportQuery(u.Query())
	if err != nil || parsed.Format != "csv" || parsed.InForceOn.String() != "2024-03-01" || parsed.AsOf != 42 || parsed.Edition != "" {
		t.Fatalf("parsed back %+v, %v", parsed, err)
	}
	if got := e.ok(anon, q, map[string]any{"f": "CSV", "b": "370202"}).str("exportUrl"); got != "/export?body=370202&format=csv" {
		t.Fatalf("body URL %q", got)
	}

	for name, vars := range map[string]map[string]any{
		"edition with a date": {"f": "XLSX", "e": "2023年版", "d": "2024-03-01"},
		"edition with a body": {"f": "XLSX", "e": "2023年版", "b": "370202"},
		"no list":             {"f": "XLSX"},
		"position alone":      {"f": "XLSX", "p": "7"},
	} {
		if g := e.fails(anon, q, vars, "BAD_USER_INPUT", ""); g.Extensions["field"] == nil {
			t.Errorf("%s: no field in %v", name, g.Extensions)
		}
	}
	e.fails(anon, q, map[string]any{"f": "PDF", "e": "2023年版"}, "BAD_USER_INPUT", "")
}

// TestExportURLAnonymousOff: with anonymous reading off, anonymous callers
// get no download URL either.
func TestExportURLAnonymousOff(t *testing.T) {
	e := newEnv(t, noAnonymous)
	e.fails(anon, `{ exportUrl(format: CSV, inForceOn: "2024-03-01") }`, nil, "UNAUTHENTICATED", "")
	e.ok(legal, `{ exportUrl(format: CSV, inForceOn: "2024-03-01") }`, nil)
}

// TestParseExportQuery: the endpoint's parameters, refused with the
// parameter at fault.
func TestParseExportQuery(t *testing.T) {
	for raw, field := range map[string]string{
		"format=xlsx&inForceOn=2024-02-30":         "inForceOn",
		"format=xlsx&inForceOn=2024-03-01&asOf=-1": "asOf",
		"format=xlsx&inforceon=2024-03-01":         "inforceon",
		"format=xlsx&edition=a&edition=b":          "edition",
		"edition=2023年版":                           "format",
		"format=csv&edition=2023年版&asOf=3":         "edition",
		"format=csv&body=%00":                      "body",
		"format=csv":                               "inForceOn",
	} {
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = graph.ParseExportQuery(v)
		var rule *domain.Error
		if !errors.As(err, &rule) || rule.Code != domain.CodeInvalid || rule.Field != field {
			t.Errorf("%s: %v, want a refusal of %s", raw, err, field)
		}
	}
}
