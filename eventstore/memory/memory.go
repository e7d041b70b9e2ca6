// Package memory is an in-memory eventstore.Store for tests and read-model
// tests: the same contract as the durable backends, nothing survives Close.
package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

// Store keeps the feed in a slice: the event at position p is events[p-1],
// so positions are gapless and a reader never sees a later event without
// the earlier ones (appends happen under one lock).
type Store struct {
	mu      sync.RWMutex
	events  []eventstore.RecordedEvent
	streams map[string][]eventstore.Position // positions of a stream's events, by revision
	ids     map[uuid.UUID]eventstore.Position
	// changed is closed and replaced after every append, waking subscribers
	// without polling.
	changed  chan struct{}
	closed   chan struct{}
	isClosed bool
}

var _ eventstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		streams: make(map[string][]eventstore.Position),
		ids:     make(map[uuid.UUID]eventstore.Position),
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
	}
}

// Append implements eventstore.Store. The events are copied, so the caller
// may reuse its buffers.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (eventstore.AppendResult, error) {
	if err := validate(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	positions := s.streams[stream]
	version := uint64(len(positions))

	if res, retried, err := s.retried(stream, expected, version, events); retried || err != nil {
		return res, err
	}
	if !expected.Check(version) {
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Current: version}
	}
	seen := make(map[uuid.UUID]bool, len(events))
	for _, e := range events {
		if _, dup := s.ids[e.ID]; dup || seen[e.ID] {
			return eventstore.AppendResult{}, fmt.Errorf("memory: append to %s: event id %s already stored", stream, e.ID)
		}
		seen[e.ID] = true
	}

	now := time.Now().UTC().Round(0)
	for i, e := range events {
		pos := eventstore.Position(len(s.events) + 1)
		s.events = append(s.events, eventstore.RecordedEvent{
			ID:         e.ID,
			Stream:     stream,
			Revision:   version + uint64(i),
			Position:   pos,
			Type:       e.Type,
			Data:       clone(e.Data),
			Metadata:   clone(e.Metadata),
			RecordedAt: now,
		})
		s.ids[e.ID] = pos
		positions = append(positions, pos)
	}
	s.streams[stream] = positions
	close(s.changed)
	s.changed = make(chan struct{})
	return eventstore.AppendResult{NextExpected: uint64(len(positions)) - 1, Position: positions[len(positions)-1]}, nil
}

// retried recognises a retried append: the first event's id is already in the
// stream, right after the revision the writer expected. It reports retried
// with the original result when every id matches the stored events in
// order, and a conflict when the first id is stored but the rest differ.
func (s *Store) retried(stream string, expected eventstore.ExpectedRevision, version uint64, events []eventstore.EventData) (eventstore.AppendResult, bool, error) {
	pos, ok := s.ids[events[0].ID]
	if !ok {
		return eventstore.AppendResult{}, false, nil
	}
	first := s.events[pos-1]
	if first.Stream != stream {
		return eventstore.AppendResult{}, false, fmt.Errorf("memory: append to %s: event id %s already stored in stream %s", stream, first.ID, first.Stream)
	}
	conflict := &eventstore.ConflictError{Stream: stream, Expected: expected, Current: version}
	if !expected.FitsRetry(first.Revision) || first.Revision+uint64(len(events)) > version {
		return eventstore.AppendResult{}, false, conflict
	}
	positions := s.streams[stream]
	for i, e := range events {
		if s.events[positions[first.Revision+uint64(i)]-1].ID != e.ID {
			return eventstore.AppendResult{}, false, conflict
		}
	}
	last := first.Revision + uint64(len(events)) - 1
	return eventstore.AppendResult{NextExpected: last, Position: positions[last]}, true, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.isClosed {
		return nil, eventstore.ErrClosed
	}
	positions := s.streams[stream]
	if from >= uint64(len(positions)) {
		return nil, nil
	}
	out := make([]eventstore.RecordedEvent, 0, uint64(len(positions))-from)
	for _, p := range positions[from:] {
		out = append(out, copyEvent(s.events[p-1]))
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("memory: read all: limit %d must be positive", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.isClosed {
		return nil, eventstore.ErrClosed
	}
	return s.page(from, limit), nil
}

// page returns up to limit events after from; the caller holds mu.
func (s *Store) page(from eventstore.Position, limit int) []eventstore.RecordedEvent {
	if from >= eventstore.Position(len(s.events)) {
		return nil
	}
	rest := s.events[from:]
	if len(rest) > limit {
		rest = rest[:limit]
	}
	out := make([]eventstore.RecordedEvent, len(rest))
	for i, e := range rest {
		out[i] = copyEvent(e)
	}
	return out
}

// subscribePage is how many events Subscribe copies per lock acquisition,
// so a long backlog does not hold writers off.
const subscribePage = 256

// Subscribe implements eventstore.Store. The handler runs without the lock
// held, so it may call the store.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position, handle func(eventstore.RecordedEvent) error, caughtUp func()) error {
	return eventstore.Follow(ctx, from, subscribePage, func(_ context.Context, _ []eventstore.RecordedEvent, pos eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}, error) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if s.isClosed {
			return nil, nil, eventstore.ErrClosed
		}
		// Taken under the same lock as the page, so an append after the
		// page closes this channel and no wake-up is lost.
		return s.page(pos, subscribePage), s.changed, nil
	}, s.closed, handle, caughtUp)
}

// LastPosition implements eventstore.Store.
func (s *Store) LastPosition(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.isClosed {
		return 0, eventstore.ErrClosed
	}
	return eventstore.Position(len(s.events)), nil
}

// Close drops nothing (the events stay reachable until the Store is
// garbage) but makes every later call return eventstore.ErrClosed and ends
// running subscriptions.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed {
		return eventstore.ErrClosed
	}
	s.isClosed = true
	close(s.closed)
	return nil
}

func validate(stream string, events []eventstore.EventData) error {
	if stream == "" {
		return errors.New("memory: append: empty stream name")
	}
	if len(events) == 0 {
		return fmt.Errorf("memory: append to %s: no events", stream)
	}
	return nil
}

func copyEvent(e eventstore.RecordedEvent) eventstore.RecordedEvent {
	e.Data = clone(e.Data)
	e.Metadata = clone(e.Metadata)
	return e
}

// clone copies b, keeping nil as nil so callers see what they appended.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
