// Package ledger is the write side of the catalogue: it loads the streams a
// command touches, asks the pure domain to decide, and appends the events
// with the expected revision it read, so two writers can never silently
// overwrite each other. It is the only code that turns domain events into
// stored events, and it makes every command idempotent by its command id:
// the same command retried records nothing, and an id reused for another
// command is refused (COMMAND_ID_REUSED).
package ledger

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
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

	// hash fingerprints the command the request is for (see fingerprint);
	// set by the ledger's command methods, recorded in the metadata.
	hash string
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

// fingerprint returns the request with the hash of the command it carries:
// the command's kind and payload as the caller gave them (before the
// ledger derives ids or looks bodies up), the expected revision and the
// actor. A different actor reusing a command id is a different command:
// the log would otherwise tell one officer that another's act was theirs.
// The correlation id is not part of it: it traces a request, and a retry
// may come with another.
//
// The hash is over the JSON of the payload, so it changes if a command
// struct gains or renames a field; a retry across such an upgrade would be
// refused. TestFingerprintIsStable pins it.
func (r Request) fingerprint(kind string, payload any) (Request, error) {
	data, err := json.Marshal(struct {
		Kind             string  `json:"kind"`
		Actor            string  `json:"actor"`
		ExpectedRevision *uint64 `json:"expectedRevision,omitempty"`
		Payload          any     `json:"payload"`
	}{kind, r.Actor, r.ExpectedRevision, payload})
	if err != nil {
		return r, fmt.Errorf("fingerprint %s: %w", kind, err)
	}
	sum := sha256.Sum256(data)
	r.hash = hex.EncodeToString(sum[:16])
	return r, nil
}

// sameCommand checks that an event recorded under the request's command id
// (with metadata meta) was recorded for the same command. Events recorded
// before commands were fingerprinted, and requests built without one (bulk
// loaders using Envelope), pass.
func (r Request) sameCommand(meta []byte) error {
	if r.hash == "" {
		return nil
	}
	var m eventstore.Metadata
	if err := json.Unmarshal(meta, &m); err != nil {
		return fmt.Errorf("metadata of command %s: %w", r.CommandID, err)
	}
	if m.CommandHash == "" || m.CommandHash == r.hash {
		return nil
	}
	return domain.Errorf(domain.CodeCommandIDReused, "commandId",
		"command id %q was already used, by %s at %s, for a different command; a retry must repeat the command exactly, and a new command needs a new id",
		r.CommandID, m.Actor, m.RecordedAt.UTC().Format(time.RFC3339))
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

// decision is what a command decides against a freshly loaded stream.
type decision func(s *stream) ([]domain.Event, error)

// execute runs one command against one stream: load, recognise a retry,
// check the client's expected revision, decide, append with the revision
// read, and decide again if another writer got there first.
func (l *Ledger) execute(ctx context.Context, req Request, name string, decide decision) (Result, error) {
	res, _, err := l.executeOn(ctx, req, name, decide)
	return res, err
}

// executeOn is execute that also returns the stream as it was after the
// command: holding the command's events, new or recorded before.
func (l *Ledger) executeOn(ctx context.Context, req Request, name string, decide decision) (Result, *stream, error) {
	if err := req.validate(); err != nil {
		return Result{}, nil, err
	}
	useCache := true
	for attempt := 1; ; attempt++ {
		s, cached, err := l.stream(ctx, name, useCache)
		if err != nil {
			return Result{}, nil, err
		}
		if res, ok, err := s.recorded(req); ok || err != nil {
			return res, s, err
		}
		if req.ExpectedRevision != nil && (s.version() == 0 || *req.ExpectedRevision != s.version()-1) {
			if cached {
				useCache = false // the cache may be behind: look at the log itself
				continue
			}
			return Result{}, nil, conflict(name, *req.ExpectedRevision, s.version())
		}
		events, err := decide(s)
		if err != nil {
			return Result{}, nil, err
		}
		now := l.now()
		data, err := Envelope(req, name, events, now)
		if err != nil {
			return Result{}, nil, err
		}
		wctx, cancel := writing(ctx)
		ar, err := l.store.Append(wctx, name, eventstore.ExpectedFor(s.version()), data)
		cancel()
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
				return Result{}, nil, conflict(name, *req.ExpectedRevision, cur)
			}
			if attempt < maxAttempts {
				if err := backoff(ctx, attempt); err != nil {
					return Result{}, nil, err
				}
				continue // decide again on the new state
			}
		}
		if err != nil {
			l.cache.drop(name) // the outcome is unknown
			return Result{}, nil, fmt.Errorf("append to %s: %w", name, err)
		}
		s = s.with(data, events, ar, now)
		l.cache.put(s)
		return Result{Stream: name, Revision: ar.NextExpected, Position: ar.Position, Events: events}, s, nil
	}
}

// writeBound bounds how long a command that has begun to write may go on
// after its caller went away (a client's timeout, a closed connection).
const writeBound = 30 * time.Second

type writingKey struct{}

// writing returns ctx freed from its caller's cancellation and deadline,
// bounded by writeBound instead: a command that has begun to write
// finishes, so that a client going away never leaves it half done (a
// listing's code reserved and its item not listed) nor leaves the outcome
// of an append unknown. A context already writing is returned as it is, so
// the bound covers the whole command.
func writing(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Value(writingKey{}) != nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeBound)
	return context.WithValue(ctx, writingKey{}, true), cancel
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
		CorrelationID: req.CorrelationID, RecordedAt: now.UTC(), CommandHash: req.hash})
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
