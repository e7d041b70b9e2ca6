package memory

import (
	"context"
	"sort"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// AuditLog implements projections.LogView. An item or body filter walks
// that item's or body's own entries; otherwise the walk starts at the
// cursor, or at the first event recorded in the time range (a binary
// search), and stops as soon as the page is full.
func (s *logView) AuditLog(ctx context.Context, q projections.AuditQuery) (projections.LogPage, error) {
	if err := q.Validate(); err != nil {
		return projections.LogPage{}, err
	}
	page, err := projections.NewPaginator[projections.LogEntry](projections.ListLog, q.Page)
	if err != nil {
		return projections.LogPage{}, err
	}
	after, _, _ := projections.DecodeCursor(projections.ListLog, q.After)
	if err := ctx.Err(); err != nil {
		return projections.LogPage{}, err
	}
	asOf := s.rlock(q.AsOf)
	defer s.mu.RUnlock()
	var bodies []string // reused by every entry visited
	visit := func(i int32) bool {
		if s.entries.at(i).pos > asOf {
			return false
		}
		e, _ := s.entryView(i, bodies)
		bodies = e.Bodies
		if q.Matches(&e) {
			page.Add(projections.Cursor{Pos: e.Position}, func() projections.LogEntry { return s.logEntry(i) })
		}
		return !page.Full()
	}
	first := func(n int, pos func(int) eventstore.Position) int { // first index past the cursor
		return sort.Search(n, func(i int) bool { return pos(i) > after.Pos })
	}
	switch {
	case q.ItemID != "" || q.Body != "":
		var idx []int32
		if it := s.cat.items[q.ItemID]; it != nil {
			idx = it.entries
		} else if b, ok := s.syms.lookup(q.Body); ok && q.ItemID == "" {
			idx = s.bodyEntries[b]
		}
		for _, i := range idx[first(len(idx), func(k int) eventstore.Position { return s.entries.at(idx[k]).pos }):] {
			if !visit(i) {
				break
			}
		}
	default:
		n := s.entries.len()
		start := first(n, func(k int) eventstore.Position { return s.entries.at(int32(k)).pos })
		if !q.RecordedFrom.IsZero() {
			start = max(start, sort.Search(n, func(i int) bool { return !s.entries.highWater(int32(i)).Before(q.RecordedFrom) }))
		}
		for i := start; i < n; i++ {
			if !visit(int32(i)) {
				break
			}
		}
	}
	return projections.LogPage{Entries: page.Rows, PageInfo: page.Info(), AsOf: asOf}, nil
}

// PositionAt implements projections.LogView.
func (s *logView) PositionAt(ctx context.Context, t time.Time) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := sort.Search(s.entries.len(), func(i int) bool { return s.entries.highWater(int32(i)).After(t) })
	if n == 0 {
		return eventstore.Start, nil
	}
	return s.entries.at(int32(n - 1)).pos, nil
}

// ItemHistory implements projections.LogView.
func (s *logView) ItemHistory(ctx context.Context, itemID string, asOf eventstore.Position) ([]projections.LogEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	asOf = s.rlock(asOf)
	defer s.mu.RUnlock()
	it := s.cat.items[itemID]
	if it == nil || !it.listed.at(asOf) {
		return nil, domain.Errorf(domain.CodeItemNotFound, "id", "no item %s as of position %d", itemID, asOf)
	}
	out := []projections.LogEntry{}
	for _, i := range it.stream {
		if s.entries.at(i).pos > asOf {
			break
		}
		out = append(out, s.logEntry(i))
	}
	return out, nil
}
