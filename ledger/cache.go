package ledger

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// cachedStreams bounds how many streams the ledger keeps decoded.
const cachedStreams = 16384

// streamCache keeps the streams this process wrote last, decoded, so that
// a command on a busy item does not read and decode its whole stream
// again. It is only a guess of the stream's state: the append's expected
// revision is what guarantees correctness, and a conflict drops the entry
// and decides again on the log itself. Cached streams are never changed in
// place (with returns a new one), so a reader never sees a half update.
type streamCache struct {
	mu  sync.Mutex
	m   map[string]*stream
	max int
}

func (c *streamCache) get(name string) *stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

func (c *streamCache) put(s *stream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[s.name]; !ok && len(c.m) >= c.max {
		for k := range c.m { // evict one at random (map order is random)
			delete(c.m, k)
			break
		}
	}
	c.m[s.name] = s
}

func (c *streamCache) drop(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, name)
}

// stream returns the stream from the cache when allowed and present
// (cached = true), or from the log.
func (l *Ledger) stream(ctx context.Context, name string, useCache bool) (s *stream, cached bool, err error) {
	if useCache {
		if s := l.cache.get(name); s != nil {
			return s, true, nil
		}
	}
	s, err = l.load(ctx, name)
	return s, false, err
}

// with returns the stream after an append of data (the decided events)
// that the log acknowledged with ar. Only the last appended event's
// position is known to the ledger; earlier events of the same append get
// it too, which is all recorded() needs (a command's result is the
// position of its last event).
func (s *stream) with(data []eventstore.EventData, events []domain.Event, ar eventstore.AppendResult, now time.Time) *stream {
	n := &stream{name: s.name, events: slices.Clip(s.events), decoded: slices.Clip(s.decoded)}
	first := ar.NextExpected + 1 - uint64(len(data)) // the server's numbering, as version's
	for i, d := range data {
		n.events = append(n.events, eventstore.RecordedEvent{ID: d.ID, Stream: s.name, Revision: first + uint64(i),
			Position: ar.Position, Type: d.Type, Data: d.Data, Metadata: d.Metadata, RecordedAt: now.UTC()})
	}
	n.decoded = append(n.decoded, events...)
	return n
}
