package domain

import (
	"encoding/json"
	"fmt"
)

// decoders maps every stored type name — current and older versions — to a
// function that decodes its JSON into the current event struct. Names are
// listed by hand, never derived by reflection, so renaming a Go type cannot
// orphan stored history. An older version gets an entry here that upcasts it.
var decoders = map[string]func([]byte) (Event, error){
	TypeItemListed:          decodeAs[ItemListed],
	TypeItemAmended:         decodeAs[ItemAmended],
	TypeItemDelegated:       decodeAs[ItemDelegated],
	TypeDelegationAccepted:  decodeAs[DelegationAccepted],
	TypeDelegationWithdrawn: decodeAs[DelegationWithdrawn],
	TypeItemRevoked:         decodeAs[ItemRevoked],
	TypeItemCodeReserved:    decodeAs[ItemCodeReserved],
	TypeItemCodeReservedV1:  decodeAs[ItemCodeReserved], // has no listing
	TypeBodyRegistered:      decodeAs[BodyRegistered],
	TypeEditionPublished:    decodeAs[EditionPublished],
}

func decodeAs[T Event](data []byte) (Event, error) {
	var e T
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Encode returns an event's type name and JSON data. Strings are written as
// UTF-8 as they are (no \u escapes for Chinese), so stored bytes are
// readable and round-trip exactly.
func Encode(e Event) (string, []byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return e.EventType(), data, nil
}

// Decode turns stored JSON back into an event, upcasting older versions.
func Decode(eventType string, data []byte) (Event, error) {
	dec, ok := decoders[eventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	e, err := dec(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}

// KnownType reports whether the codec can decode eventType.
func KnownType(eventType string) bool {
	_, ok := decoders[eventType]
	return ok
}
