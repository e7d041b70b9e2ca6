package projections

import (
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

var cursorLists = []string{ListItems, ListDelegations, ListBodies, ListLog}

// FuzzCursor: every cursor a list writes reads back as the same place in
// that list and is refused by every other list; any other string is either
// refused as INVALID_INPUT on "after" — never a panic — or read as a place
// that the list writes back as a cursor of the same place.
func FuzzCursor(f *testing.F) {
	f.Add("511A0138600000", uint64(42), "")
	f.Add("", uint64(0), EncodeCursor(ListLog, Cursor{Pos: 18446744073709551615}))
	f.Add("a\x00b\x00", uint64(7), EncodeCursor(ListItems, Cursor{Key: "黄岛区\x00", Pos: 3}))
	f.Add("370202", uint64(1), "not a cursor")
	f.Add("x", uint64(1), "aXRlbXMAeAA") // "items\x00x\x00": no position
	f.Fuzz(func(t *testing.T, key string, pos uint64, s string) {
		want := Cursor{Key: key, Pos: eventstore.Position(pos)}
		for _, list := range cursorLists {
			enc := EncodeCursor(list, want)
			for _, other := range cursorLists {
				got, ok, err := DecodeCursor(other, enc)
				switch {
				case other == list && (err != nil || !ok || got != want):
					t.Fatalf("%s cursor %+v written as %q, read as %+v, %v, %v", list, want, enc, got, ok, err)
				case other != list && err == nil:
					t.Fatalf("%s cursor %q read by %s as %+v", list, enc, other, got)
				}
			}

			got, ok, err := DecodeCursor(list, s)
			if err != nil {
				if e, isRule := err.(*domain.Error); !isRule || e.Code != domain.CodeInvalid || e.Field != "after" {
					t.Fatalf("%q in %s: error %v is not INVALID_INPUT on after", s, list, err)
				}
				continue
			}
			if ok != (s != "") {
				t.Fatalf("%q in %s: ok = %v", s, list, ok)
			}
			if !ok {
				continue
			}
			if again, _, err := DecodeCursor(list, EncodeCursor(list, got)); err != nil || again != got {
				t.Fatalf("%q in %s read as %+v, written and read back as %+v (%v)", s, list, got, again, err)
			}
		}
	})
}
