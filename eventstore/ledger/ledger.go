// Package ledger is the write side of the catalogue: it loads the streams a
// command touches, asks the pure domain to decide, and appends the events
// with the expected revision it read, so two writers can never silently
// overwrite each other. It is the only code that turns domain events into
// stored events, and it makes every command idempotent by its command id.
package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Request is what the caller of a command knows besides the command: the
// client's command id (idempotency key), the authenticated actor, and the
// revision the client last saw, if it wants a conflict rather than a merge.
type Request struct {
	CommandID        string
	Actor            string
	ExpectedRevision *uint64
	CorrelationID    string
}

// Result is what a command wrote — or, for a retried command, what the
// original wrote.
type Result struct {
	// ID identifies the affected aggregate: item id, body code or edition name.
	ID string
	// Stream is the stream written.
	Stream string
	// Revision is the stream's revision after the command (0-based).
	Revision uint64
	// Position is the global position of the last event written; read
	// models that have reached it include the command's effect.
	Position eventstore.Position
	// Replayed is true when the command had been recorded before and this
	// call recorded nothing.
	Replayed bool
	// Events are the events the command recorded (nil when Replayed).
	Events []domain.Event
}

// ConflictError reports that the stream moved past the revision the client
// expected. It unwraps to a domain error with CodeWrongExpectedVersion.
type ConflictError struct {
	Stream   string
	Expected uint64
	// Current is the stream's current revision; HasCurrent is false when
	// the stream is empty.
	Current    uint64
	HasCurrent bool
	err        *domain.Error
}

func (e *ConflictError) Error() string { return e.err.Error() }
func (e *ConflictError) Unwrap() error { return e.err }

// Clock returns the time recorded in event metadata.
type Clock func() time.Time

// Ledger executes commands. It is safe for concurrent use.
type Ledger struct {
	store        eventstore.Store
	jurisdiction string
	now          Clock

	mu     sync.RWMutex
	bodies map[string]domain.Body // registered bodies never change: safe to cache

	cache streamCache
}

// Option configures a Ledger.
type Option func(*Ledger)

// WithJurisdiction sets the body code of the government that keeps this
// catalogue; delegations from it may go only to bodies beneath it.
func WithJurisdiction(code string) Option { return func(l *Ledger) { l.jurisdiction = code } }

// WithClock sets the clock used for recorded-at metadata (tests).
func WithClock(c Clock) Option { return func(l *Ledger) { l.now = c } }

// New returns a ledger writing to store.
func New(store eventstore.Store, opts ...Option) *Ledger {
	l := &Ledger{store: store, now: time.Now, bodies: map[string]domain.Body{}, cache: streamCache{m: map[string]*stream{}, max: cachedStreams}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// maxAttempts bounds how often a command is decided again after another
// writer appended to its stream first (only when the client did not pin an
// expected revision). With the jittered backoff below, dozens of writers on
// one item all get through.
const maxAttempts = 50

// backoff waits a little, more after each lost race, with jitter so that
// writers that collided do not collide again in lockstep.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return ctx.Err()
	}
	d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// idNamespace roots the ids the ledger derives from command ids.
var idNamespace = uuid.MustParse("0b9e2f3c-4d7a-4c1e-8f5b-2a6d9c3e1f70")

// DerivedID returns the id of a new aggregate or delegation created by a
// command: derived, so that a retried command creates the same thing.
func DerivedID(commandID, what string) string {
	return uuid.NewSHA1(idNamespace, []byte(what+"\x00"+commandID)).String()
}

func (r Request) validate() error {
	if strings.TrimSpace(r.CommandID) == "" {
		return domain.Errorf(domain.CodeInvalid, "commandId", "a command id is required (any unique string chosen by the client, e.g. a UUID)")
	}
	if len(r.CommandID) > 128 {
		return domain.Errorf(domain.CodeInvalid, "commandId", "is longer than 128 bytes")
	}
	if strings.TrimSpace(r.Actor) == "" {
		return domain.Errorf(domain.CodeInvalid, "actor", "no authenticated actor")
	}
	return nil
}

// stream is one aggregate's loaded stream.
type stream struct {
	name    string
	events  []eventstore.RecordedEvent
	decoded []domain.Event
}

func (s *stream) version() uint64 { return uint64(len(s.events)) }

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
// stream, if there was one.
func (s *stream) recorded(commandID string) (Result, bool) {
	first := eventstore.EventID(commandID, s.name, 0)
	for i, e := range s.events {
		if e.ID != first {
			continue
		}
		last := i
		for n := 1; last+1 < len(s.events) && s.events[last+1].ID == eventstore.EventID(commandID, s.name, n); n++ {
			last++
		}
		return Result{Stream: s.name, Revision: s.events[last].Revision, Position: s.events[last].Position, Replayed: true}, true
	}
	return Result{}, false
}

// decision is what a command decides against a freshly loaded stream.
type decision func(s *stream) ([]domain.Event, error)

// execute runs one command against one stream: load, recognise a retry,
// check the client's expected revision, decide, append with the revision
// read, and decide again if another writer got there first.
func (l *Ledger) execute(ctx context.Context, req Request, name string, decide decision) (Result, error) {
	if err := req.validate(); err != nil {
		return Result{}, err
	}
	useCache := true
	for attempt := 1; ; attempt++ {
		s, cached, err := l.stream(ctx, name, useCache)
		if err != nil {
			return Result{}, err
		}
		if res, ok := s.recorded(req.CommandID); ok {
			return res, nil
		}
		if req.ExpectedRevision != nil && (s.version() == 0 || *req.ExpectedRevision != s.version()-1) {
			if cached {
				useCache = false // the cache may be behind: look at the log itself
				continue
			}
			return Result{}, conflict(name, *req.ExpectedRevision, s.version())
		}
		events, err := decide(s)
		if err != nil {
			return Result{}, err
		}
		now := l.now()
		data, err := Envelope(req, name, events, now)
		if err != nil {
			return Result{}, err
		}
		ar, err := l.store.Append(ctx, name, eventstore.ExpectedFor(s.version()), data)
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			l.cache.drop(name)
			useCache = false
			if cached {
				// Another process wrote (or this command was recorded by an
				// earlier attempt): decide again on the log's state.
				continue
			}
			if req.ExpectedRevision != nil {
				// The client pinned a revision and someone else wrote first.
				var ce *eventstore.ConflictError
				cur := s.version() + 1
				if errors.As(err, &ce) {
					cur = ce.Current
				}
				return Result{}, conflict(name, *req.ExpectedRevision, cur)
			}
			if attempt < maxAttempts {
				if err := backoff(ctx, attempt); err != nil {
					return Result{}, err
				}
				continue // decide again on the new state
			}
		}
		if err != nil {
			l.cache.drop(name) // the outcome is unknown
			return Result{}, fmt.Errorf("append to %s: %w", name, err)
		}
		l.cache.put(s.with(data, events, ar, now))
		return Result{Stream: name, Revision: ar.NextExpected, Position: ar.Position, Events: events}, nil
	}
}

func conflict(name string, expected, version uint64) *ConflictError {
	e := &ConflictError{Stream: name, Expected: expected, Current: version - 1, HasCurrent: version > 0}
	cur := "it does not exist"
	if version > 0 {
		cur = fmt.Sprintf("it is at revision %d", version-1)
	}
	e.err = domain.Errorf(domain.CodeWrongExpectedVersion, "expectedRevision",
		"%s was changed by someone else: you expected revision %d but %s; reload it and apply your change again", name, expected, cur)
	return e
}

// Envelope encodes the events a command decided on stream name, with their
// deterministic ids and metadata. The ledger uses it for every append; bulk
// loaders that decide many commands themselves (the benchmark log
// generator) use it so that what they write is exactly what the ledger
// would have written.
func Envelope(req Request, name string, events []domain.Event, now time.Time) ([]eventstore.EventData, error) {
	meta, err := json.Marshal(eventstore.Metadata{Actor: req.Actor, CommandID: req.CommandID,
		CorrelationID: req.CorrelationID, RecordedAt: now.UTC()})
	if err != nil {
		return nil, err
	}
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, data, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		out[i] = eventstore.EventData{ID: eventstore.EventID(req.CommandID, name, i), Type: typ, Data: data, Metadata: meta}
	}
	return out, nil
}
