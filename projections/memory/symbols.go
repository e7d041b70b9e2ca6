package memory

import (
	"strings"
)

// sym names an interned string. A log of a million events holds only a
// few thousand distinct streams, types, item ids, body codes, basis
// documents, reasons and actors; the read models keep each once and refer
// to it by a four-byte number, which also keeps the log entries free of
// pointers for the collector to follow. The zero sym is "".
type sym uint32

// symbols is the store's table of interned strings. It only grows: a
// string once interned stays for the life of the store.
type symbols struct {
	ids  map[string]sym
	strs []string
	// recent remembers the sym last found for each value of a cheap hash
	// of the text. Applying an event looks up a score of strings, mostly
	// the same few dozen member names and values (pack.go), and a hit
	// costs a fraction of hashing the whole text into the large map.
	recent [1 << recentBits]sym
}

const recentBits = 12

func newSymbols() symbols {
	return symbols{ids: map[string]sym{"": 0}, strs: []string{""}}
}

// find returns the sym of the text b, if it is interned, and remembers it
// in recent: only the applier calls it, under the store's write lock.
func find[T string | []byte](t *symbols, b T) (sym, bool) {
	h := recentHash(b)
	if id := t.recent[h]; t.strs[id] == string(b) { // no allocation: a comparison
		return id, true
	}
	id, ok := t.ids[string(b)] // no allocation: the conversion only indexes
	if ok {
		t.recent[h] = id
	}
	return id, ok
}

// recentHash mixes the length and the first and last eight bytes of b,
// which tell apart the ids, codes and names of a log.
func recentHash[T string | []byte](b T) uint32 {
	n := len(b)
	h := uint64(n)
	if n >= 8 {
		h ^= load64(b[:8]) ^ load64(b[n-8:])*0xff51afd7ed558ccd
	} else {
		for i := range n {
			h = h<<8 | uint64(b[i])
		}
	}
	return uint32((h * 0x9e3779b97f4a7c15) >> (64 - recentBits))
}

// load64 reads eight bytes little-endian; the compiler makes it one load.
func load64[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// intern returns the sym of s, adding s if it is new. A new string is
// copied: what the decoder hands over is usually a substring of the event's
// whole text, which keeping would pin.
func (t *symbols) intern(s string) sym {
	if id, ok := find(t, s); ok {
		return id
	}
	return t.add(strings.Clone(s))
}

// internBytes is intern for text in a byte slice.
func (t *symbols) internBytes(b []byte) sym {
	if id, ok := find(t, b); ok {
		return id
	}
	return t.add(string(b))
}

func (t *symbols) add(s string) sym {
	id := sym(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = id
	t.recent[recentHash(s)] = id
	return id
}

// lookup returns the sym of s if s is interned. Queries call it under the
// read lock, many at once, so it leaves recent alone.
func (t *symbols) lookup(s string) (sym, bool) {
	id, ok := t.ids[s]
	return id, ok
}

// recentBytes returns the sym of the text b if it was interned or found
// lately: it looks only in the cache, never in the map.
func (t *symbols) recentBytes(b []byte) (sym, bool) {
	id := t.recent[recentHash(b)]
	return id, id != 0 && t.strs[id] == string(b)
}

// str returns the string id names.
func (t *symbols) str(id sym) string { return t.strs[id] }
