package memory

import (
	"encoding/binary"
	"slices"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// The log keeps every event of our streams for the item history (Q4), the
// audit log (Q5) and PositionAt (Q6), and is most of what the store holds:
// a million events. So it is kept in two compact parts:
//
//   - an entry per event, with what the queries search and filter on
//     (position, recorded time, stream, type, item, basis, actor), in
//     fixed-size blocks of structs that hold no pointers, the strings being
//     interned (syms);
//   - a record per event, with the rest (event id, revision, reason,
//     effective date, bodies, command ids and the event's JSON as stored),
//     encoded back to back in the arena's large byte blocks and read only
//     to build the entries a query returns.
//
// Neither part holds a pointer, so the collector skips the whole log
// instead of marking millions of objects. A log of a million events takes
// about 240 MB this way, against 950 MB as projections.LogEntry values
// (with the decoded text their strings pinned).

// entry is the searchable part of a log entry.
type entry struct {
	pos eventstore.Position
	// sec and nsec are the recorded time (UTC), as in time.Unix.
	sec  int64
	rec  ref // the entry's record in the arena
	nsec int32
	// hw is the index of the entry recorded latest up to this one: its
	// recorded time is the high-water mark that makes PositionAt a binary
	// search even if the clock once went backwards.
	hw                                int32
	stream, typ, itemID, basis, actor sym
}

func (e *entry) recordedAt() time.Time { return time.Unix(e.sec, int64(e.nsec)).UTC() }

// after reports whether e was recorded after o.
func (e *entry) after(o *entry) bool { return e.sec > o.sec || e.sec == o.sec && e.nsec > o.nsec }

// entryLog holds the entries in blocks of fixed size: appending never
// copies what is there (a rebuild of a million events would otherwise move
// the log as one slice doubles), and an entry's address never changes.
type entryLog struct {
	blocks [][]entry
	n      int
}

const blockBits = 12 // 4096 entries a block

func (l *entryLog) len() int { return l.n }

// add appends e and returns its index.
func (l *entryLog) add(e entry) int32 {
	if l.n>>blockBits == len(l.blocks) {
		l.blocks = append(l.blocks, make([]entry, 0, 1<<blockBits))
	}
	b := &l.blocks[l.n>>blockBits]
	*b = append(*b, e)
	l.n++
	return int32(l.n - 1)
}

// at returns the entry at index i.
func (l *entryLog) at(i int32) *entry {
	return &l.blocks[i>>blockBits][i&(1<<blockBits-1)]
}

// highWater returns the latest time recorded up to the entry at index i.
func (l *entryLog) highWater(i int32) time.Time { return l.at(l.at(i).hw).recordedAt() }

// ref locates a record in the arena.
type ref struct{ block, off uint32 }

// arena holds records back to back in blocks of arenaBlock bytes (a larger
// record gets a block of its own). Bytes once written are never written
// again, which is what lets entryView hand out strings that share them.
type arena struct {
	blocks [][]byte
}

const arenaBlock = 1 << 20

// add copies rec into the arena and returns where it is.
func (a *arena) add(rec []byte) ref {
	n := len(a.blocks)
	if n == 0 || len(a.blocks[n-1])+len(rec) > cap(a.blocks[n-1]) {
		a.blocks = append(a.blocks, make([]byte, 0, max(arenaBlock, len(rec))))
		n++
	}
	b := &a.blocks[n-1]
	r := ref{block: uint32(n - 1), off: uint32(len(*b))}
	*b = append(*b, rec...)
	return r
}

// at returns the bytes from the record at r to the end of its block.
func (a *arena) at(r ref) []byte { return a.blocks[r.block][r.off:] }

// A record is, in order: the event id (16 bytes); as unsigned varints the
// revision, the reason's sym, the effective date (a day) and the number of
// bodies followed by their syms; then the command id, correlation id,
// causation id and the event's data packed (pack.go), each as an unsigned
// varint length and its bytes.

// appendRecord appends the record of an event to buf.
func (s *logView) appendRecord(buf []byte, env *projections.Envelope, reason sym, effectiveFrom domain.Date, bodies []sym) []byte {
	buf = append(buf, env.ID[:]...)
	buf = binary.AppendUvarint(buf, env.Revision)
	buf = binary.AppendUvarint(buf, uint64(reason))
	buf = binary.AppendUvarint(buf, uint64(dayOf(effectiveFrom)))
	buf = binary.AppendUvarint(buf, uint64(len(bodies)))
	for _, b := range bodies {
		buf = binary.AppendUvarint(buf, uint64(b))
	}
	for _, s := range []string{env.Meta.CommandID, env.Meta.CorrelationID, env.Meta.CausationID} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	s.packed = s.packJSON(s.packed[:0], env.Data)
	buf = binary.AppendUvarint(buf, uint64(len(s.packed)))
	return append(buf, s.packed...)
}

// recordReader reads a record's fields in order.
type recordReader []byte

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(*r)
	*r = (*r)[n:]
	return v
}

// bytes reads a length and that many bytes.
func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	b := (*r)[:n:n]
	*r = (*r)[n:]
	return b
}

// string reads a length and that many bytes as a string that shares the
// arena's memory, which is safe because arena bytes are never written
// again; it saves an allocation per field on every entry a query visits.
func (r *recordReader) string() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// revision returns the revision of the entry at index i.
func (s *logView) revision(i int32) uint64 {
	r := recordReader(s.arena.at(s.entries.at(i).rec)[len(uuid.UUID{}):])
	return r.uvarint()
}

// entryView returns the log entry at index i without its Data, which no
// filter reads: what a query visits costs no allocation. Its strings share
// the store's memory; its Bodies are appended to bodies[:0] (nil for a
// slice of their own). It also returns the packed data.
func (s *logView) entryView(i int32, bodies []string) (projections.LogEntry, []byte) {
	e := s.entries.at(i)
	r := recordReader(s.arena.at(e.rec))
	v := projections.LogEntry{
		Position: e.pos, Stream: s.syms.str(e.stream), Type: s.syms.str(e.typ), ItemID: s.syms.str(e.itemID),
		Basis: s.syms.str(e.basis), Actor: s.syms.str(e.actor), RecordedAt: e.recordedAt(),
	}
	copy(v.EventID[:], r)
	r = r[len(v.EventID):]
	v.Revision = r.uvarint()
	v.Reason = s.syms.str(sym(r.uvarint()))
	v.EffectiveFrom = day(r.uvarint()).date()
	if n := int(r.uvarint()); n > 0 {
		v.Bodies = slices.Grow(bodies[:0], n)
		for range n {
			v.Bodies = append(v.Bodies, s.syms.str(sym(r.uvarint())))
		}
	}
	v.CommandID, v.CorrelationID, v.CausationID = r.string(), r.string(), r.string()
	return v, r.bytes()
}

// logEntry returns the whole log entry at index i for a query's answer:
// its Data and Bodies are its own.
func (s *logView) logEntry(i int32) projections.LogEntry {
	v, packed := s.entryView(i, nil)
	v.Data = s.unpackJSON(nil, packed)
	return v
}
