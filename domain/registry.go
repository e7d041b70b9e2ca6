package domain

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// The registry is the one list of the events the catalogue stores: for each
// stored type name, the Go type it decodes into, the kind of stream that
// holds it, and how it is decoded (an older version is upcast to the
// current one). Everything else that must know every event derives from it
// — the codec here, the read side's decoder and its views' dispatch, the
// feed filter of the EventStoreDB adapter — so a new event is registered
// once, beside its definition (registerEvents), and a read-side view that
// has no handler for it fails its coverage test instead of silently
// dropping it.

// StreamKind is a kind of stream the catalogue writes: one per aggregate
// and one per reservation. A stream's name is the kind's prefix and the id
// of what it holds ("item-<uuid>", "itemcode-<code>").
type StreamKind struct {
	Name   string
	Prefix string
}

// The catalogue's stream kinds. Each aggregate has its own stream;
// reservation streams keep cross-item rules (unique codes) without a
// global lock.
var (
	ItemStreams     = StreamKind{Name: "item", Prefix: "item-"}
	BodyStreams     = StreamKind{Name: "body", Prefix: "body-"}
	EditionStreams  = StreamKind{Name: "edition", Prefix: "edition-"}
	ItemCodeStreams = StreamKind{Name: "itemcode", Prefix: "itemcode-"}
)

// Stream names the stream of id.
func (k StreamKind) Stream(id string) string { return k.Prefix + id }

// Holds reports whether stream is one of this kind's.
func (k StreamKind) Holds(stream string) bool { return strings.HasPrefix(stream, k.Prefix) }

// IsStreamOf reports whether stream is k.Stream(id), without building the
// name (it is asked once per event on the read side's hot path).
func (k StreamKind) IsStreamOf(stream, id string) bool {
	return len(stream) == len(k.Prefix)+len(id) && k.Holds(stream) && stream[len(k.Prefix):] == id
}

// Unmarshal decodes JSON data into v. The domain decodes with
// encoding/json; the read side passes a faster decoder with the same
// semantics, so both read every stored event the same way.
type Unmarshal func(data []byte, v any) error

// EventDef describes one stored event type.
type EventDef struct {
	// Type is the stored, versioned name; it never changes once events of
	// it are stored.
	Type string
	// Go is the struct the event decodes into: the current version's.
	Go reflect.Type
	// Kind is the kind of stream that holds events of this type.
	Kind StreamKind
	// Current is false for an older version: read and upcast, never
	// written.
	Current bool

	decode func(data []byte, u Unmarshal) (Event, error)
}

// Decode decodes data with u, upcasting an older version.
func (d EventDef) Decode(data []byte, u Unmarshal) (Event, error) { return d.decode(data, u) }

// register describes a current event type: its name is T's EventType.
func register[T Event](kind StreamKind) EventDef {
	var zero T
	return EventDef{Type: zero.EventType(), Go: reflect.TypeFor[T](), Kind: kind, Current: true,
		decode: func(data []byte, u Unmarshal) (Event, error) {
			var e T
			if err := u(data, &e); err != nil {
				return nil, err
			}
			return e, nil
		}}
}

// upcast describes an older stored version of T: its data decodes as Old
// and up turns that into the current event.
func upcast[Old any, T Event](name string, kind StreamKind, up func(Old) T) EventDef {
	return EventDef{Type: name, Go: reflect.TypeFor[T](), Kind: kind,
		decode: func(data []byte, u Unmarshal) (Event, error) {
			var o Old
			if err := u(data, &o); err != nil {
				return nil, err
			}
			return up(o), nil
		}}
}

// The registry. Each event is registered beside its definition (events.go,
// draft.go …) by registerEvents in a package variable's initializer, so
// every registration is complete before any code of the program runs.
var (
	events      []EventDef
	byType      = map[string]EventDef{}
	currentOf   = map[reflect.Type]string{}
	streamKinds []StreamKind
)

// registerEvents adds event definitions to the registry. A type name
// registered twice, or two current versions of one Go type, is a mistake
// in the program: it panics at start.
func registerEvents(defs ...EventDef) struct{} {
	for _, d := range defs {
		if _, dup := byType[d.Type]; dup {
			panic(fmt.Sprintf("domain: event type %s registered twice", d.Type))
		}
		if d.Current {
			if prev, dup := currentOf[d.Go]; dup {
				panic(fmt.Sprintf("domain: %s and %s are both current versions of %s", prev, d.Type, d.Go))
			}
			currentOf[d.Go] = d.Type
		}
		byType[d.Type] = d
		events = append(events, d)
		if !slices.ContainsFunc(streamKinds, func(k StreamKind) bool { return k.Prefix == d.Kind.Prefix }) {
			streamKinds = append(streamKinds, d.Kind)
		}
	}
	return struct{}{}
}

// Events returns every registered event type, current and older versions.
func Events() []EventDef { return append([]EventDef(nil), events...) }

// CurrentEvents returns the event types written today, one per Go type.
func CurrentEvents() []EventDef {
	var out []EventDef
	for _, d := range events {
		if d.Current {
			out = append(out, d)
		}
	}
	return out
}

// Lookup returns the definition of a stored type name.
func Lookup(eventType string) (EventDef, bool) {
	d, ok := byType[eventType]
	return d, ok
}

// StreamPrefixes returns the prefixes of every stream the catalogue
// writes: what a shared log's feed is filtered by.
func StreamPrefixes() []string {
	out := make([]string, len(streamKinds))
	for i, k := range streamKinds {
		out[i] = k.Prefix
	}
	return out
}

// OwnStream reports whether stream is one the catalogue writes. Events of
// its streams must decode; anything else in a shared log is someone
// else's.
func OwnStream(stream string) bool {
	for _, k := range streamKinds {
		if k.Holds(stream) {
			return true
		}
	}
	return false
}
