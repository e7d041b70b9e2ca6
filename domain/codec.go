package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Encode returns an event's type name and JSON data. Strings are written as
// UTF-8 as they are (no \u escapes for Chinese), so stored bytes are
// readable and round-trip exactly.
func Encode(e Event) (string, []byte, error) {
	if def, ok := byType[e.EventType()]; !ok || !def.Current || def.Go != reflect.TypeOf(e) {
		return "", nil, fmt.Errorf("encode %s: %T is not registered as the current version of %s (registry.go)", e.EventType(), e, e.EventType())
	}
	data, err := json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return e.EventType(), data, nil
}

// Decode turns stored JSON back into an event, upcasting older versions.
func Decode(eventType string, data []byte) (Event, error) {
	def, ok := byType[eventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	e, err := def.decode(data, json.Unmarshal)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}

// KnownType reports whether the codec can decode eventType.
func KnownType(eventType string) bool {
	_, ok := byType[eventType]
	return ok
}

// ChangeOf returns the legal change an event records (basis document,
// reason, effective date): every event that embeds Change has one; others
// (a code reservation) give the zero Change.
func ChangeOf(e Event) Change {
	if c, ok := e.(interface{ legalChange() Change }); ok {
		return c.legalChange()
	}
	return Change{}
}

func (c Change) legalChange() Change { return c }

// ItemOf returns the item an event concerns, or "" for an event that
// concerns none.
func ItemOf(e Event) string {
	if i, ok := e.(interface{ concernsItem() string }); ok {
		return i.concernsItem()
	}
	return ""
}

// DelegationsOf returns the delegations an event makes or refers to: the
// one it makes, accepts or withdraws, and those it ends. A read model that
// keeps delegations finds in it which of them an event touches.
func DelegationsOf(e Event) []string {
	if d, ok := e.(interface{ concernsDelegations() []string }); ok {
		return d.concernsDelegations()
	}
	return nil
}
