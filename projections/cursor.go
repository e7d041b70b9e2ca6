package projections

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Cursor is a row's place in a list's order. Every list is ordered by a
// text key (item code, body code, or none) and then by a log position that
// makes the order total and stable as the log grows: keyset pagination, so
// a page never repeats or skips a row because rows were added before it.
type Cursor struct {
	Key string
	Pos eventstore.Position
}

// Less reports whether c comes before o.
func (c Cursor) Less(o Cursor) bool {
	if c.Key != o.Key {
		return c.Key < o.Key
	}
	return c.Pos < o.Pos
}

// Lists whose cursors are told apart, so a cursor of one is refused by
// another.
const (
	ListItems       = "items"
	ListDelegations = "delegations"
	ListBodies      = "bodies"
	ListLog         = "log"
)

// EncodeCursor returns the opaque cursor of c in list.
func EncodeCursor(list string, c Cursor) string {
	raw := list + "\x00" + c.Key + "\x00" + strconv.FormatUint(uint64(c.Pos), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// NotACursor is the refusal of an "after" that is no cursor of the list
// read: INVALID_INPUT on "after".
func NotACursor() error {
	return domain.Errorf(domain.CodeInvalid, "after", "not a cursor of this list")
}

// DecodeCursor reads a cursor of list; "" is the start (ok false). A
// cursor that is malformed or from another list is INVALID_INPUT.
func DecodeCursor(list, s string) (c Cursor, ok bool, err error) {
	if s == "" {
		return Cursor{}, false, nil
	}
	bad := NotACursor()
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, false, bad
	}
	// list \x00 key \x00 position: the key may hold anything, even \x00.
	name, rest, ok := strings.Cut(string(raw), "\x00")
	i := strings.LastIndexByte(rest, 0)
	if !ok || name != list || i < 0 {
		return Cursor{}, false, bad
	}
	pos, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil {
		return Cursor{}, false, bad
	}
	return Cursor{Key: rest[:i], Pos: eventstore.Position(pos)}, true, nil
}

// Paginator collects one page of a list walked in cursor order, counting
// every row that matches. Stores that filter in Go (the memory store) use
// it so that paging works the same in all of them.
type Paginator[T any] struct {
	list  string
	after Cursor
	from  bool
	size  int

	Rows  []T
	Total int
	last  Cursor
	more  bool
}

// NewPaginator starts a page of list for p.
func NewPaginator[T any](list string, p Page) (*Paginator[T], error) {
	size, err := p.Size()
	if err != nil {
		return nil, err
	}
	after, ok, err := DecodeCursor(list, p.After)
	if err != nil {
		return nil, err
	}
	return &Paginator[T]{list: list, after: after, from: ok, size: size}, nil
}

// After reports whether a row at c is past the cursor, so that a walk may
// skip the rows before it (it must still Count them for the total).
func (p *Paginator[T]) After(c Cursor) bool { return !p.from || p.after.Less(c) }

// Add offers a matching row at c (rows must be offered in cursor order).
// It counts the row and keeps it if it belongs to the page; row is called
// only then, so building a row costs nothing for rows off the page.
func (p *Paginator[T]) Add(c Cursor, row func() T) {
	p.Total++
	if !p.After(c) {
		return
	}
	if len(p.Rows) == p.size {
		p.more = true
		return
	}
	p.Rows = append(p.Rows, row())
	p.last = c
}

// Full reports whether the page is complete and the next row is known to
// exist, for walks that need no total.
func (p *Paginator[T]) Full() bool { return p.more }

// Info returns the page's PageInfo.
func (p *Paginator[T]) Info() PageInfo {
	info := PageInfo{HasNextPage: p.more}
	if len(p.Rows) > 0 {
		info.EndCursor = EncodeCursor(p.list, p.last)
	}
	return info
}
