// Package ledger is the write side of the catalogue: it loads the streams a
// command touches, asks the pure domain to decide, and appends the events
// with the expected revision it read, so two writers can never silently
// overwrite each other. It is the only code that turns domain events into
// stored events, and it makes every command idempotent by its command id:
// the same command retried records nothing, and an id reused for another
// command is refused (COMMAND_ID_REUSED).
//
// The load → decide → append loop is written once, in Execute, generic
// over the aggregate's state (an Aggregate names the stream and folds it);
// each command is a thin method that fingerprints what the caller gave,
// fills in what only the log knows and hands the domain's decision to it.
// The acting principal travels in every Request (By). Nothing here reads
// the read models: a stalled projector never delays a write.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Request is what the caller of a command knows besides the command: the
// client's command id (idempotency key), the acting principal, and the
// revision the client last saw, if it wants a conflict rather than a merge.
// Every command takes one, so the principal travels the same way in all of
// them: the recorded metadata's actor is By.Name, and the domain's rules
// about who may act decide on By (the ledger hands it to the commands
// whose rules need it).
type Request struct {
	CommandID string
	// By is who gives the command, as the API signed them in: never a
	// value of the client's request.
	By               domain.Actor
	ExpectedRevision *uint64
	CorrelationID    string

	// hash fingerprints the command the request is for (see fingerprint);
	// set when a command runs (Execute, ListItem), recorded in the metadata.
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
// actor's name. A different actor reusing a command id is a different command:
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
	}{kind, r.By.Name, r.ExpectedRevision, payload})
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
	if strings.TrimSpace(r.By.Name) == "" {
		return domain.Errorf(domain.CodeInvalid, "actor", "no authenticated actor")
	}
	return nil
}

// Envelope encodes the events a command decided on stream name, with their
// deterministic ids and metadata. The ledger uses it for every append; bulk
// loaders that decide many commands themselves (the benchmark log
// generator) use it so that what they write is exactly what the ledger
// would have written.
func Envelope(req Request, name string, events []domain.Event, now time.Time) ([]eventstore.EventData, error) {
	meta, err := json.Marshal(eventstore.Metadata{Actor: req.By.Name, CommandID: req.CommandID,
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
