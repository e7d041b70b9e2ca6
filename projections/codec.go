package projections

import (
	"fmt"
	"time"

	json "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// The projector decodes every event of the log when it rebuilds a read
// model, so decoding is the hot path of a start-up: encoding/json (v1)
// decodes about 120,000 of our events a second on one core, too slow for a
// rebuild of a million events. Decoding here goes, fastest first:
//
//  1. by hand (scan.go) for the flat events that make up most of a log
//     (delegations, acceptances …) and for every event's metadata, when
//     they are in the plain form encoding/json writes;
//  2. by the domain's registry (domain/registry.go), with the encoding/json/v2
//     design (github.com/go-json-experiment/json, pinned; it becomes the
//     standard library's encoding/json/v2) as its unmarshaller, straight into
//     the domain's event structs, with a fast path for domain.Date, which
//     otherwise re-enters encoding/json and time.Parse for every date. The
//     registry upcasts older versions, so upcasting stays the domain's alone
//     and no list of event types is kept here.
//
// Together about three times faster than encoding/json, with a fifth of the
// allocations (BenchmarkDecode). TestFastDecodeAgrees and
// TestScannedEventsAgree check that every path gives the domain's events.

// jsonOptions decode with encoding/json's semantics (v2's v1 options) and
// route dates through the fast path. v2's own defaults differ from
// encoding/json where stored data can go even if domain.Encode never writes
// it — names in another case, a name twice, invalid UTF-8 (FuzzDecodeAgrees
// found all three) — and the read models must read every stored event as
// the write side does, or refuse what it refuses.
var jsonOptions = json.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	json.WithUnmarshalers(json.UnmarshalFunc(unmarshalDate)),
)

// unmarshal is the domain.Unmarshal of the read side.
func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v, jsonOptions) }

// decodeEvent decodes an event of a registered type: by the scanner when
// it has a fast path for the type and the data is in the plain form, else
// by the registry's decoder (which upcasts an older version).
func decodeEvent(eventType string, data []byte) (domain.Event, error) {
	if e, ok := scanEvent(eventType, data); ok {
		return e, nil
	}
	def, ok := domain.Lookup(eventType)
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	e, err := def.Decode(data, unmarshal)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}

// decodeMetadata decodes an event's metadata: by the fast path (scan.go)
// when it is in the plain form, else by the full decoder.
func decodeMetadata(data []byte) (eventstore.Metadata, error) {
	if m, ok := scanMetadata(data); ok {
		return m, nil
	}
	var m eventstore.Metadata
	err := json.Unmarshal(data, &m, jsonOptions)
	return m, err
}

// unmarshalDate reads the "YYYY-MM-DD" that domain.Date writes without
// allocating; anything else (null, another shape, an impossible day) is
// left to domain.Date's own UnmarshalJSON, so the two never disagree.
func unmarshalDate(b []byte, d *domain.Date) error {
	if len(b) == 12 && b[0] == '"' && b[11] == '"' {
		if v, ok := plainDate(string(b[1:11])); ok {
			*d = v
			return nil
		}
	}
	return d.UnmarshalJSON(b)
}

// plainDate parses a valid YYYY-MM-DD.
func plainDate(s string) (domain.Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return domain.Date{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || day < 1 || day > daysIn(y, time.Month(m)) {
		return domain.Date{}, false
	}
	return domain.Date{Year: y, Month: time.Month(m), Day: day}, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
