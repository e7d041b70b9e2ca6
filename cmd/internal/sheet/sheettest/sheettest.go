// Package sheettest checks what every sheet reader promises about its
// errors, for the readers' fuzz targets: whatever the bytes, a reader that
// refuses a file says why in a *sheet.Error whose problems point into it.
package sheettest

import (
	"errors"
	"strings"
	"testing"

	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// CheckError fails t unless err is a *sheet.Error from source with at
// least one problem, each with a message and a line that exists in text
// (0 for the whole file; one past the last line for a problem at the end of
// a file without a final line break), in line order.
func CheckError(t testing.TB, source string, err error, text []byte) {
	t.Helper()
	var se *sheet.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *sheet.Error", err, err)
	}
	if se.Source != source || len(se.Problems) == 0 {
		t.Fatalf("error %+v: want source %q and at least one problem", se, source)
	}
	lines := 1 + strings.Count(string(text), "\n")
	prev := 0
	for _, p := range se.Problems {
		if p.Message == "" {
			t.Fatalf("problem %+v has no message", p)
		}
		if p.Line < 0 || p.Line > lines+1 || p.Line < prev {
			t.Fatalf("problem %+v: line out of range 0..%d or out of order (previous %d)", p, lines+1, prev)
		}
		prev = p.Line
	}
}
