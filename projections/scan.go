package projections

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Most events of a log are delegations and acceptances, and every event has
// metadata: flat JSON objects of plain strings, dates and lists of codes,
// written by encoding/json without spaces. scanner reads exactly that form
// by hand, several times faster than a reflective decoder. It accepts
// nothing else: an escape in a string, a member it does not know (a field
// added to a type), other spacing, a number — any of these make it give up,
// and the event goes through the full decoder instead. So the fast path
// can only be faster, never different (TestFastDecodeAgrees compares them).
//
// The member names below are the stored format of the versioned types
// (ItemDelegated.v1 …), which never changes once events are stored.

// The scanner works on one string copy of the data: every value it
// returns is a substring of it, so an event costs one allocation for all
// its text instead of one per field.
type scanner struct {
	b string
	i int
}

func (s *scanner) lit(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// raw reads a string without escapes and returns its text.
func (s *scanner) raw() (string, bool) {
	if !s.lit('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
		if c := s.b[s.i]; c == '\\' || c < 0x20 {
			return "", false
		}
	}
	if s.i == len(s.b) || !utf8.ValidString(s.b[start:s.i]) {
		return "", false
	}
	s.i++
	return s.b[start : s.i-1], true
}

func (s *scanner) str(dst *string) bool {
	v, ok := s.raw()
	*dst = v
	return ok
}

// strs reads an array of strings.
func (s *scanner) strs(dst *[]string) bool {
	if !s.lit('[') {
		return false
	}
	out := []string{}
	for n := 0; !s.lit(']'); n++ {
		var v string
		if n > 0 && !s.lit(',') || !s.str(&v) {
			return false
		}
		out = append(out, v)
	}
	*dst = out
	return true
}

// date reads "YYYY-MM-DD" or null.
func (s *scanner) date(dst *domain.Date) bool {
	if strings.HasPrefix(s.b[s.i:], "null") {
		s.i += 4
		*dst = domain.Date{}
		return true
	}
	v, ok := s.raw()
	if ok {
		*dst, ok = plainDate(v)
	}
	return ok
}

// object reads an object, calling member for each member's value; member
// returns false for a name it does not know or a value it cannot read.
func (s *scanner) object(member func(name string) bool) bool {
	if !s.lit('{') {
		return false
	}
	for n := 0; !s.lit('}'); n++ {
		if n > 0 && !s.lit(',') {
			return false
		}
		name, ok := s.raw()
		if !ok || !s.lit(':') || !member(name) {
			return false
		}
	}
	return s.i == len(s.b)
}

// change reads a member of the embedded domain.Change.
func (s *scanner) change(c *domain.Change, name string) bool {
	switch name {
	case "basis":
		return s.str(&c.Basis)
	case "reason":
		return s.str(&c.Reason)
	case "effectiveFrom":
		return s.date(&c.EffectiveFrom)
	}
	return false
}

// scanners are the fast paths, by type name. Each returns its event after
// the scan, in a statement of its own: the operands of one return statement
// are not evaluated in a specified order.
var scanners = map[string]func(*scanner) (domain.Event, bool){
	domain.TypeItemDelegated: func(s *scanner) (domain.Event, bool) {
		var e domain.ItemDelegated
		ok := s.object(func(name string) bool {
			switch name {
			case "itemId":
				return s.str(&e.ItemID)
			case "delegationId":
				return s.str(&e.DelegationID)
			case "from":
				return s.str(&e.From)
			case "parentDelegationId":
				return s.str(&e.ParentDelegationID)
			case "to":
				return s.str(&e.To)
			case "mode":
				return s.str((*string)(&e.Mode))
			case "scope":
				return s.strs(&e.Scope)
			case "effectiveUntil":
				return s.date(&e.EffectiveUntil)
			}
			return s.change(&e.Change, name)
		})
		return e, ok
	},
	domain.TypeDelegationAccepted: func(s *scanner) (domain.Event, bool) {
		var e domain.DelegationAccepted
		ok := s.object(func(name string) bool {
			switch name {
			case "itemId":
				return s.str(&e.ItemID)
			case "delegationId":
				return s.str(&e.DelegationID)
			case "body":
				return s.str(&e.Body)
			}
			return s.change(&e.Change, name)
		})
		return e, ok
	},
	domain.TypeDelegationWithdrawn: func(s *scanner) (domain.Event, bool) {
		var e domain.DelegationWithdrawn
		ok := s.object(func(name string) bool {
			switch name {
			case "itemId":
				return s.str(&e.ItemID)
			case "delegationId":
				return s.str(&e.DelegationID)
			case "ended":
				return s.strs(&e.Ended)
			}
			return s.change(&e.Change, name)
		})
		return e, ok
	},
	domain.TypeItemRevoked: func(s *scanner) (domain.Event, bool) {
		var e domain.ItemRevoked
		ok := s.object(func(name string) bool {
			switch name {
			case "itemId":
				return s.str(&e.ItemID)
			case "code":
				return s.str(&e.Code)
			case "ended":
				return s.strs(&e.Ended)
			}
			return s.change(&e.Change, name)
		})
		return e, ok
	},
	domain.TypeItemCodeReservedV1: scanReservation,
	// A reservation that carries its listing (all written now) makes the
	// scanner give up at "listing", to the full decoder.
	domain.TypeItemCodeReserved: scanReservation,
}

func scanReservation(s *scanner) (domain.Event, bool) {
	var e domain.ItemCodeReserved
	ok := s.object(func(name string) bool {
		switch name {
		case "code":
			return s.str(&e.Code)
		case "itemId":
			return s.str(&e.ItemID)
		}
		return false
	})
	return e, ok
}

// scanEvent decodes an event by its fast path, if it has one and the data
// is in the plain form.
func scanEvent(eventType string, data []byte) (domain.Event, bool) {
	scan, ok := scanners[eventType]
	if !ok {
		return nil, false
	}
	e, ok := scan(&scanner{b: string(data)})
	return e, ok
}

// scanMetadata decodes metadata in the plain form.
func scanMetadata(data []byte) (m eventstore.Metadata, ok bool) {
	s := &scanner{b: string(data)}
	ok = s.object(func(name string) bool {
		switch name {
		case "actor":
			return s.str(&m.Actor)
		case "commandId":
			return s.str(&m.CommandID)
		case "correlationId":
			return s.str(&m.CorrelationID)
		case "causationId":
			return s.str(&m.CausationID)
		case "commandHash":
			return s.str(&m.CommandHash)
		case "recordedAt":
			v, ok := s.raw()
			if !ok {
				return false
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			m.RecordedAt = t
			return err == nil
		}
		return false
	})
	return m, ok
}
