package projectionstest

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/catalogue/catalogue/eventstore"
)

// clock is the scenario's clock: every reading is one minute after the
// previous, so every command is recorded at a distinct, known moment.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func (c *clock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// scenarioLog wraps the event log so that each event's recorded time is the
// one the ledger wrote in its metadata from the scenario's clock: recorded
// times (audit ranges, PositionAt) become deterministic instead of
// depending on the wall clock of the test run.
type scenarioLog struct {
	eventstore.Store
}

func (s scenarioLog) retime(e eventstore.RecordedEvent) eventstore.RecordedEvent {
	var m eventstore.Metadata
	if json.Unmarshal(e.Metadata, &m) == nil && !m.RecordedAt.IsZero() {
		e.RecordedAt = m.RecordedAt
	}
	return e
}

// ReadStream, ReadAll and Subscribe retime what the log returns.
func (s scenarioLog) ReadStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	evs, err := s.Store.ReadStream(ctx, stream, from)
	for i := range evs {
		evs[i] = s.retime(evs[i])
	}
	return evs, err
}

func (s scenarioLog) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.Store.ReadAll(ctx, from, limit)
	for i := range evs {
		evs[i] = s.retime(evs[i])
	}
	return evs, err
}

func (s scenarioLog) Subscribe(ctx context.Context, from eventstore.Position, handle func(eventstore.RecordedEvent) error, caughtUp func()) error {
	return s.Store.Subscribe(ctx, from, func(e eventstore.RecordedEvent) error { return handle(s.retime(e)) }, caughtUp)
}
