package graph_test

import (
	"strings"
	"testing"

	"github.com/catalogue/catalogue/projections"
)

// TestMalformedScalarsAreBadUserInput gives every input scalar (Date,
// Position, Time) and cursor a malformed value, as a literal and as a
// variable: each is refused as BAD_USER_INPUT with a message that says
// what is wrong, and none is logged as an internal error.
func TestMalformedScalarsAreBadUserInput(t *testing.T) {
	e := newEnv(t)
	bodiesCursor := projections.EncodeCursor(projections.ListBodies, projections.Cursor{Key: "370202", Pos: 1})
	for _, c := range []struct {
		query string
		vars  map[string]any
	}{
		{`{ positionAt(time: "yesterday") }`, nil},
		{`query($t: Time!) { positionAt(time: $t) }`, map[string]any{"t": "2024-03-01T25:00:00Z"}},
		{`query($t: Time!) { positionAt(time: $t) }`, map[string]any{"t": 1709256600}},
		{`{ positionAt(time: "") }`, nil},
		{`{ positionAt(time: "2024-03-01 09:30:00") }`, nil}, // no zone: which instant?
		{`{ events(filter: {recordedFrom: "2024-03-01"}) { asOf } }`, nil},
		{`query($f: EventFilter) { events(filter: $f) { asOf } }`, map[string]any{"f": map[string]any{"recordedBefore": "soon"}}},
		{`{ catalogue(inForceOn: "2024-02-30") { asOf } }`, nil},
		{`query($d: Date) { catalogue(inForceOn: $d) { asOf } }`, map[string]any{"d": 20240301}},
		{`{ catalogue(asOf: "-1") { asOf } }`, nil},
		{`query($p: Position) { catalogue(waitFor: $p) { asOf } }`, map[string]any{"p": "18446744073709551616"}},
		{`{ catalogue(after: "not a cursor") { asOf } }`, nil},
		{`query($c: String) { catalogue(after: $c) { asOf } }`, map[string]any{"c": bodiesCursor}},
		{`{ events(after: "%%%") { asOf } }`, nil},
	} {
		err := e.fails(auditor, c.query, c.vars, "BAD_USER_INPUT", "")
		if err.Message == "" || strings.Contains(err.Message, "internal error") {
			t.Errorf("%s %v: message %q", c.query, c.vars, err.Message)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "internal error") {
		t.Errorf("malformed input logged as an internal error:\n%s", logs)
	}
	e.ok(auditor, `{ positionAt(time: "2024-03-01T09:30:00.5+08:00") }`, nil)
}
