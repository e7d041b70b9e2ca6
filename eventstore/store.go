// Package eventstore defines the event log port: the envelope every backend
// stores, the expected-revision rules that keep writers from overwriting each
// other, and the global feed that projectors follow.
//
// Backends live in subpackages (memory, sqlite, esdb) and all pass the same
// contract suite in eventstoretest, so the rest of the program never knows
// which one it talks to.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Position is a point in the global feed ($all). Positions are strictly
// increasing in commit order; they may have gaps (EventStoreDB uses byte
// offsets) but a reader of the feed never misses an event below the latest
// position it has seen. Zero means "before the first event".
type Position uint64

// Start is the position before the first event of the feed.
const Start Position = 0

// ExpectedRevision states what the writer believes about a stream before it
// appends. Stream revisions are 0-based: the first event of a stream has
// revision 0, as in EventStoreDB.
type ExpectedRevision struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever the stream's state. Never use it where a lost update
// matters; it also gives no idempotency guarantee on EventStoreDB.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream appends only if the stream has no events yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists appends only if the stream has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact appends only if the stream's last event has revision r.
func Exact(r uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: r} }

// ExpectedFor returns Exact(version-1) for a stream holding version events
// and NoStream for an empty one: the expectation of a writer that has just
// read the whole stream.
func ExpectedFor(version uint64) ExpectedRevision {
	if version == 0 {
		return NoStream()
	}
	return Exact(version - 1)
}

// IsAny, IsNoStream, IsStreamExists and Revision let adapters translate the
// expectation to their own vocabulary.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Revision returns the exact revision expected and true, or false when the
// expectation is not an exact revision.
func (e ExpectedRevision) Revision() (uint64, bool) { return e.revision, e.kind == expectExact }

// Check reports whether a stream whose current version (number of events)
// is version satisfies the expectation. Adapters that decide the check
// themselves (memory, sqlite) use it so the rule lives in one place.
func (e ExpectedRevision) Check(version uint64) bool {
	switch e.kind {
	case expectNoStream:
		return version == 0
	case expectStreamExists:
		return version > 0
	case expectExact:
		return version > 0 && version-1 == e.revision
	default:
		return true
	}
}

// FitsRetry reports whether events stored from revision first of a stream
// could have been written by an append with this expectation: the test an
// adapter applies before it answers an append whose event ids are already
// stored as a retry of that append (and not as a conflict).
func (e ExpectedRevision) FitsRetry(first uint64) bool {
	switch e.kind {
	case expectExact:
		return first == e.revision+1
	case expectNoStream:
		return first == 0
	case expectStreamExists:
		return first > 0
	default:
		return true
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("revision %d", e.revision)
	default:
		return "any"
	}
}

// EventData is an event to append. ID must be deterministic for a given
// command (see EventID) so that a retried command is recognised.
type EventData struct {
	ID       uuid.UUID
	Type     string // explicit, versioned: "ItemDelegated.v1"
	Data     []byte // JSON
	Metadata []byte // JSON
}

// RecordedEvent is an event as stored: the appended data plus where and when
// it was recorded.
type RecordedEvent struct {
	ID         uuid.UUID
	Stream     string
	Revision   uint64 // 0-based within the stream
	Position   Position
	Type       string
	Data       []byte
	Metadata   []byte
	RecordedAt time.Time // UTC
}

// AppendResult reports what an append wrote, or for a recognised retry, what
// the original append wrote.
type AppendResult struct {
	// NextExpected is the revision of the stream's last event after the append.
	NextExpected uint64
	// Position is the global position of the last event written.
	Position Position
}

// Store is the event log port.
//
// Append writes events atomically to one stream if expected holds, and
// returns ErrWrongExpectedRevision (wrapped in *ConflictError) otherwise.
// If the events' IDs are already stored in the stream as the events
// following the expected revision (a retried append), it writes nothing and
// returns the original result. Append returns only once the events are
// durable.
//
// ReadStream returns the events of one stream from revision from (inclusive)
// in order; an unknown stream yields no events and no error.
//
// ReadAll returns up to limit events of the global feed with position > from.
//
// Subscribe delivers every event with position > from to handle, first the
// backlog then live events as they are committed, until ctx is done or
// handle returns an error; it returns that error (or ctx.Err()).
// caughtUp, if not nil, is called once when the backlog has been delivered.
//
// LastPosition returns the position of the latest event (Start when empty).
type Store interface {
	Append(ctx context.Context, stream string, expected ExpectedRevision, events []EventData) (AppendResult, error)
	ReadStream(ctx context.Context, stream string, from uint64) ([]RecordedEvent, error)
	ReadAll(ctx context.Context, from Position, limit int) ([]RecordedEvent, error)
	Subscribe(ctx context.Context, from Position, handle func(RecordedEvent) error, caughtUp func()) error
	LastPosition(ctx context.Context) (Position, error)
	Close() error
}

// ErrWrongExpectedRevision is the sentinel matched with errors.Is for an
// expected-revision conflict.
var ErrWrongExpectedRevision = errors.New("wrong expected revision")

// ErrClosed is returned by every call on a closed store.
var ErrClosed = errors.New("event store closed")

// ErrWriteRefused is wrapped by the error of an append that was refused
// before anything was written because the log must not be written now:
// it failed a check (damaged pages), or it is not the log the read models
// are built from, so what it took would never be seen. The error says
// why, for the operator; a client is told to retry later or elsewhere.
var ErrWriteRefused = errors.New("writes are refused")

// ConflictError carries what the writer expected and what the stream held.
type ConflictError struct {
	Stream   string
	Expected ExpectedRevision
	// Current is the stream's version (number of events); 0 means no stream.
	Current uint64
}

func (e *ConflictError) Error() string {
	cur := "no stream"
	if e.Current > 0 {
		cur = fmt.Sprintf("revision %d", e.Current-1)
	}
	return fmt.Sprintf("stream %s: expected %s, current %s: %v", e.Stream, e.Expected, cur, ErrWrongExpectedRevision)
}

func (e *ConflictError) Unwrap() error { return ErrWrongExpectedRevision }

// eventNamespace roots the deterministic event ids.
var eventNamespace = uuid.MustParse("6f1c7a52-7c1e-4c55-9d0a-3a8d1d7e0b11")

// EventID derives the id of the index-th event written for a command on a
// stream. A retried command derives the same ids, which is how every backend
// recognises it (EventStoreDB by its own event-id deduplication, the SQL
// backends by a unique index).
func EventID(commandID, stream string, index int) uuid.UUID {
	return uuid.NewSHA1(eventNamespace, fmt.Appendf(nil, "%s\x00%s\x00%d", commandID, stream, index))
}

// Metadata is what the envelope of every event of this project carries
// besides its data: who recorded it, for which command, and when. The legal
// basis and effective date are not here: they are part of the legal fact
// and live in the event data.
type Metadata struct {
	Actor         string    `json:"actor"`
	CommandID     string    `json:"commandId"`
	CorrelationID string    `json:"correlationId,omitempty"`
	CausationID   string    `json:"causationId,omitempty"`
	RecordedAt    time.Time `json:"recordedAt"`
	// CommandHash fingerprints the command recorded under CommandID (its
	// kind, target, payload, expected revision and actor), so that a
	// command id reused for a different command is refused rather than
	// answered with the old result. Events written before it existed have
	// none, and replay as before.
	CommandHash string `json:"commandHash,omitempty"`
}
