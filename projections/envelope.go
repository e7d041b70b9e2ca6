package projections

import (
	"fmt"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Envelope is one recorded event of the global feed, decoded once for every
// read model: the event as stored (position, stream, revision, raw JSON,
// recorded time), its domain event and its metadata.
//
// Event is nil for an event of a stream this program does not own (an
// EventStoreDB system stream, another application's stream): stores advance
// their checkpoint past it and record nothing else, so a shared log never
// stops the projector.
type Envelope struct {
	eventstore.RecordedEvent
	Event domain.Event
	Meta  eventstore.Metadata
}

// Decode decodes a recorded event. An event of one of our streams whose
// type is unknown or whose data or metadata do not decode is an error that
// names its position: a projector must stop rather than build a read model
// that silently lacks a fact. An event of a foreign stream is returned with
// a nil Event and no error.
func Decode(rec eventstore.RecordedEvent) (Envelope, error) {
	env := Envelope{RecordedEvent: rec}
	if !domain.OwnStream(rec.Stream) { // a foreign stream: tolerated and skipped
		return env, nil
	}
	var err error
	if env.Event, err = decodeEvent(rec.Type, rec.Data); err != nil {
		return env, fmt.Errorf("projections: event at position %d (stream %s, revision %d): %w", rec.Position, rec.Stream, rec.Revision, err)
	}
	if env.Meta, err = decodeMetadata(rec.Metadata); err != nil {
		return env, fmt.Errorf("projections: metadata of event at position %d (stream %s, revision %d): %w", rec.Position, rec.Stream, rec.Revision, err)
	}
	return env, nil
}
