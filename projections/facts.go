package projections

import (
	"strings"

	"github.com/catalogue/catalogue/domain"
)

// ChangeOf returns the legal change an event records (basis document,
// reason, effective date); events without one (a code reservation) give the
// zero Change.
func ChangeOf(e domain.Event) domain.Change {
	switch e := e.(type) {
	case domain.ItemListed:
		return e.Change
	case domain.ItemAmended:
		return e.Change
	case domain.ItemDelegated:
		return e.Change
	case domain.DelegationAccepted:
		return e.Change
	case domain.DelegationWithdrawn:
		return e.Change
	case domain.ItemRevoked:
		return e.Change
	case domain.BodyRegistered:
		return e.Change
	case domain.EditionPublished:
		return e.Change
	}
	return domain.Change{}
}

// ItemIDOf returns the item an event concerns, or "".
func ItemIDOf(e domain.Event) string {
	switch e := e.(type) {
	case domain.ItemListed:
		return e.ItemID
	case domain.ItemAmended:
		return e.ItemID
	case domain.ItemDelegated:
		return e.ItemID
	case domain.DelegationAccepted:
		return e.ItemID
	case domain.DelegationWithdrawn:
		return e.ItemID
	case domain.ItemRevoked:
		return e.ItemID
	case domain.ItemCodeReserved:
		return e.ItemID
	}
	return ""
}

// Matcher returns the catalogue query's filters on particulars (department,
// level, text) as one function, with the text lowered once.
func (q CatalogueQuery) Matcher() func(domain.ItemFacts) bool {
	text := strings.ToLower(strings.TrimSpace(q.Text))
	return func(f domain.ItemFacts) bool {
		return (q.Department == "" || f.Department == q.Department) &&
			(q.Level == "" || f.Level == q.Level) &&
			(text == "" || MatchesText(f, text))
	}
}
