package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// InputError is a malformed scalar value in a request. The error presenter
// reports it as BAD_USER_INPUT; gqlgen adds the path of the argument.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// MarshalDate writes a domain.Date as "YYYY-MM-DD"; the zero date ("not
// set", e.g. no revocation) is null.
func MarshalDate(d domain.Date) graphql.Marshaler {
	if d.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [16]byte
		w.Write(appendQuotedDate(buf[:0], d))
	})
}

// appendQuotedDate appends d as d.String() writes it (%04d-%02d-%02d),
// quoted, without fmt for the dates that fit the format's widths: a page
// of delegations writes three dates a row.
func appendQuotedDate(b []byte, d domain.Date) []byte {
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return append(append(append(b, '"'), d.String()...), '"')
	}
	y, m := d.Year, int(d.Month)
	return append(b, '"', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10), '"')
}

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (domain.Date, error) {
	s, ok := v.(string)
	if !ok {
		return domain.Date{}, &InputError{fmt.Sprintf("a Date is a string YYYY-MM-DD, not %T", v)}
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.Date{}, &InputError{err.Error()}
	}
	return d, nil
}

// MarshalTime writes an instant in RFC 3339 with as many fractional digits
// as it has (gqlgen's own Time marshaling); the zero time is null.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads an instant in RFC 3339, the schema's format. It
// replaces gqlgen's, whose plain error for a malformed time reached clients
// as an internal error, and which also took "" (as the zero time) and
// "2006-01-02 15:04:05" without a zone (as UTC: eight hours off for a
// client in Asia/Shanghai) — both now refused.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &InputError{fmt.Sprintf("a Time is an RFC 3339 string, e.g. 2024-03-01T09:30:00+08:00, not %T", v)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &InputError{fmt.Sprintf("%q is not a time in RFC 3339, e.g. 2024-03-01T09:30:00+08:00", s)}
	}
	return t, nil
}

// MarshalPosition writes a log position as a decimal string, because JSON
// numbers lose precision above 2^53 and EventStoreDB positions are byte
// offsets that get there.
func MarshalPosition(p eventstore.Position) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [24]byte
		b := append(buf[:0], '"')
		b = strconv.AppendUint(b, uint64(p), 10)
		w.Write(append(b, '"'))
	})
}

// UnmarshalPosition reads a position given as a decimal string (what the
// API returns) or, for convenience in hand-written queries, as an integer.
func UnmarshalPosition(v any) (eventstore.Position, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		return 0, &InputError{fmt.Sprintf("a Position is a decimal string, not %T", v)}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, &InputError{fmt.Sprintf("%q is not a position (an unsigned 64-bit decimal integer)", s)}
	}
	return eventstore.Position(n), nil
}

// MarshalJSON writes stored JSON data as it is: event data is valid JSON,
// checked when it was decoded on its way into the read models.
func MarshalJSON(b []byte) graphql.Marshaler {
	if len(b) == 0 {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) { w.Write(b) })
}

// UnmarshalJSON accepts any JSON value (the scalar is output only in this
// schema; gqlgen still needs an unmarshaler).
func UnmarshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &InputError{err.Error()}
	}
	return b, nil
}
