package graph

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse must write what gqlgen's transport (json.Marshal) writes.
func TestWriteResponseMatchesMarshal(t *testing.T) {
	yes := true
	datas := []string{
		`{"a":1}`,
		`null`,
		`{"s":"<b>&amp;</b>","t":"\"<\\\\>\"","u":"\u003c"}`,
		`{"s":"line ` + "\u2028" + ` and ` + "\u2029" + ` and ` + "\u2027\u202a" + `"}`,
		`{"s":"青政发〔2023〕5号","n":[1,2.5,-3e2,true,false,null],"o":{}}`,
		`{"s":"with spaces and \t tabs"}`,
		`{ "spaced": [1, 2] }`,
		"{\"a\":\n1}",
		`{"s":"\\"}`,
		`{"bad":"` + string([]byte{0xff, 0xe2, 0x80}) + `"}`,
		`{"e":"` + string([]byte{0xe2}) + `"}`,
	}
	for _, d := range datas {
		for _, resp := range []*graphql.Response{
			{Data: json.RawMessage(d)},
			{Data: json.RawMessage(d), Errors: gqlerror.List{{Message: "boom"}}},
			{Data: json.RawMessage(d), Extensions: map[string]any{"k": "v"}},
			{Data: json.RawMessage(d), HasNext: &yes},
			{Data: json.RawMessage(d), Extensions: map[string]any{}, Path: ast.Path{}},
		} {
			want, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			writeResponse(&got, resp)
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("data %q:\n got %s\nwant %s", d, got.Bytes(), want)
			}
		}
	}
	for _, resp := range []*graphql.Response{{}, {Errors: gqlerror.List{{Message: "x"}}}} {
		want, _ := json.Marshal(resp)
		var got bytes.Buffer
		writeResponse(&got, resp)
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("got %s, want %s", got.Bytes(), want)
		}
	}
}

// TestWSCloseReasonFits: a close reason is cut to a close frame's 123 bytes
// at a rune boundary, so that a Chinese reason stays valid UTF-8.
func TestWSCloseReasonFits(t *testing.T) {
	for _, msg := range []string{"short", strings.Repeat("a", 200), strings.Repeat("区", 60), "a" + strings.Repeat("区", 60)} {
		got := wsCloseReason(msg)
		if len(got) > 123 || !utf8.ValidString(got) {
			t.Errorf("wsCloseReason(%d bytes) = %d bytes, valid UTF-8 %v", len(msg), len(got), utf8.ValidString(got))
		}
		if len(msg) <= 123 && got != msg {
			t.Errorf("a short reason changed: %q", got)
		}
	}
}
