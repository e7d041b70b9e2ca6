package memory

import (
	"bytes"
	"encoding/binary"
)

// The event's JSON, which the history and the audit log return exactly as
// stored, is most of a log record, and most of its text is member names
// and values the store interns anyway: item ids, body codes, modes, basis
// documents and reasons. A record therefore keeps the JSON packed: every
// quoted string that is a sym is replaced by a reference to it, which
// halves the log's memory.
//
// A string is only ever replaced by a reference to an identical string,
// so unpacking gives back the very bytes packed, whatever they are: a
// quote inside a string (escaped) that misleads the packer about where
// strings begin merely leaves more text literal.
//
// The packed form is a literal run (its length as an unsigned varint, then
// its bytes), then, while anything follows, a sym (unsigned varint) and
// another literal run.

// minPacked is the shortest string replaced: a reference and the length of
// the literal run after it take two bytes or more.
const minPacked = 3

// maxName is the longest member name interned. Our events' member names are
// a few dozen short words; the bound keeps odd text (a misleading escaped
// quote followed by a colon) from adding long strings to the table.
const maxName = 64

// packJSON appends data in packed form to buf. Member names are interned
// as they are met. Other strings are replaced if the symbol table's cache
// knows them, which it does for the values that applying the event has
// just interned (its item, bodies, basis, reason, mode): a value then costs
// no lookup in the large map, and one that is not a sym (a delegation id,
// a date) costs little.
func (s *logView) packJSON(buf, data []byte) []byte {
	lit := 0 // start of the literal run not yet written
	for i := 0; ; {
		open := bytes.IndexByte(data[i:], '"')
		if open < 0 {
			break
		}
		start := i + open + 1
		n := bytes.IndexByte(data[start:], '"')
		if n < 0 {
			break
		}
		end := start + n
		i = end + 1
		if n < minPacked {
			continue
		}
		str := data[start:end]
		var id sym
		var ok bool
		if n <= maxName && i < len(data) && data[i] == ':' {
			id, ok = s.syms.internBytes(str), true
		} else {
			id, ok = s.syms.recentBytes(str)
		}
		if ok {
			buf = binary.AppendUvarint(buf, uint64(start-lit))
			buf = append(buf, data[lit:start]...)
			buf = binary.AppendUvarint(buf, uint64(id))
			lit = end
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(data)-lit))
	return append(buf, data[lit:]...)
}

// unpackJSON appends the JSON packed in p to buf.
func (s *logView) unpackJSON(buf, p []byte) []byte {
	for {
		n, k := binary.Uvarint(p)
		buf = append(buf, p[k:k+int(n)]...)
		p = p[k+int(n):]
		if len(p) == 0 {
			return buf
		}
		id, k := binary.Uvarint(p)
		buf = append(buf, s.syms.str(sym(id))...)
		p = p[k:]
	}
}
