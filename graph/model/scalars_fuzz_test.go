package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// written returns what m writes into a response.
func written(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// requireInputError fails unless err is an *InputError with a message: the
// error presenter shows those as BAD_USER_INPUT, anything else as internal.
func requireInputError(t *testing.T, v any, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Message == "" {
		t.Fatalf("%#v: error %v (%T) is not an *InputError", v, err, err)
	}
}

// FuzzDate: UnmarshalDate never panics, refuses with an *InputError, and
// what it accepts is written back as the very same string.
func FuzzDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2024-1-01", "2024-03-01T00:00:00Z", "", " 2024-03-01", "２０２４-03-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDate(s)
		if err != nil {
			requireInputError(t, s, err)
			return
		}
		if got := written(MarshalDate(d)); got != strconv.Quote(s) {
			t.Fatalf("%q read as %+v, written as %s", s, d, got)
		}
	})
}

// FuzzPosition: UnmarshalPosition never panics, refuses with an
// *InputError, and reads a position the same from a string, a JSON number
// (a variable) and an integer (a literal); what it writes it reads back.
func FuzzPosition(f *testing.F) {
	for _, s := range []string{"0", "42", "18446744073709551615", "18446744073709551616", "-1", "+1", "007", "1e3", " 1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := UnmarshalPosition(s)
		pn, errn := UnmarshalPosition(json.Number(s))
		if p != pn || (err == nil) != (errn == nil) {
			t.Fatalf("%q read as %d (%v) from a string, %d (%v) from a JSON number", s, p, err, pn, errn)
		}
		if n, perr := strconv.ParseInt(s, 10, 64); perr == nil {
			pi, erri := UnmarshalPosition(n)
			if (erri == nil) != (n >= 0) || (erri == nil && uint64(pi) != uint64(n)) {
				t.Fatalf("integer %d read as %d (%v)", n, pi, erri)
			}
		}
		if err != nil {
			requireInputError(t, s, err)
			return
		}
		out := written(MarshalPosition(p))
		if out != strconv.Quote(strconv.FormatUint(uint64(p), 10)) {
			t.Fatalf("%d written as %s", p, out)
		}
		back, err := UnmarshalPosition(out[1 : len(out)-1])
		if err != nil || back != p {
			t.Fatalf("%d written as %s, read back as %d (%v)", p, out, back, err)
		}
	})
}

// FuzzTime: UnmarshalTime never panics, refuses with an *InputError, and
// what it accepts is written as an RFC 3339 string that reads back as the
// same instant in the same offset.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"2024-03-01T09:30:00Z", "2024-03-01T09:30:00.123456789+08:00", "2024-03-01T09:30:00,5-00:00",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59", "2024-03-01 09:30:00", "", "yesterday", "2024-03-01T25:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := UnmarshalTime(s)
		if err != nil {
			requireInputError(t, s, err)
			return
		}
		out := written(MarshalTime(tm))
		if tm.IsZero() {
			if out != "null" {
				t.Fatalf("the zero time %q written as %s", s, out)
			}
			return
		}
		str, err := strconv.Unquote(out)
		if err != nil {
			t.Fatalf("%q written as %s, not a string: %v", s, out, err)
		}
		back, err := UnmarshalTime(str)
		if err != nil {
			t.Fatalf("%q written as %s, which does not read back: %v", s, out, err)
		}
		_, off1 := tm.Zone()
		_, off2 := back.Zone()
		if !back.Equal(tm) || off1 != off2 {
			t.Fatalf("%q read as %v, written as %s, read back as %v", s, tm, out, back)
		}
	})
}
