package ledger

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// stream is one aggregate's loaded stream. Its events are those a read
// returns, which need not start at revision 0: on EventStoreDB an
// operator's truncation ($tb, $maxCount) hides the first ones and a soft
// delete all of them, while the server goes on numbering from where the
// stream stood. So revisions are always the events' own, never counts.
type stream struct {
	name    string
	events  []eventstore.RecordedEvent
	decoded []domain.Event
}

// version is the stream's version, the revision its next event gets: one
// past the last event read. (A stream whose every event is truncated away
// reads as new; the store then refuses the append as a conflict.)
func (s *stream) version() uint64 {
	if len(s.events) == 0 {
		return 0
	}
	return s.events[len(s.events)-1].Revision + 1
}

// at is the index in events of the event at revision rev, if it was read.
func (s *stream) at(rev uint64) (int, bool) {
	return slices.BinarySearchFunc(s.events, rev, func(e eventstore.RecordedEvent, rev uint64) int { return cmp.Compare(e.Revision, rev) })
}

func (l *Ledger) load(ctx context.Context, name string) (*stream, error) {
	recs, err := l.store.ReadStream(ctx, name, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	s := &stream{name: name, events: recs, decoded: make([]domain.Event, len(recs))}
	for i, r := range recs {
		if s.decoded[i], err = domain.Decode(r.Type, r.Data); err != nil {
			return nil, fmt.Errorf("stream %s revision %d: %w", name, r.Revision, err)
		}
	}
	return s, nil
}

// recorded returns the result of an earlier run of the same command on this
// stream, if there was one, and refuses a different command recorded under
// the request's command id.
func (s *stream) recorded(req Request) (Result, bool, error) {
	first := eventstore.EventID(req.CommandID, s.name, 0)
	for i, e := range s.events {
		if e.ID != first {
			continue
		}
		if err := req.sameCommand(e.Metadata); err != nil {
			return Result{}, false, err
		}
		last := i
		for n := 1; last+1 < len(s.events) && s.events[last+1].ID == eventstore.EventID(req.CommandID, s.name, n); n++ {
			last++
		}
		return Result{Stream: s.name, Revision: s.events[last].Revision, Position: s.events[last].Position, Replayed: true}, true, nil
	}
	return Result{}, false, nil
}
