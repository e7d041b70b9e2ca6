package projections

import (
	"github.com/catalogue/catalogue/domain"
)

// The rules below decide what the recorded facts mean on a date. They are
// pure functions shared by every store, so the memory store and a SQL store
// cannot drift apart on what "in force" or "active" means.

// ItemStatus is an item's standing in the catalogue on a date.
type ItemStatus string

// Item statuses.
const (
	// ItemInForce: listed on or before the date and not revoked by then.
	ItemInForce ItemStatus = "IN_FORCE"
	// ItemNotYetInForce: listed with an effective date after the date.
	ItemNotYetInForce ItemStatus = "NOT_YET_IN_FORCE"
	// ItemRevoked: revoked with an effective date on or before the date.
	ItemRevoked ItemStatus = "REVOKED"
	// ItemAnyStatus is a filter value only: items of every status.
	ItemAnyStatus ItemStatus = "ALL"
)

// Valid reports whether s is a status or ItemAnyStatus.
func (s ItemStatus) Valid() bool {
	switch s {
	case ItemInForce, ItemNotYetInForce, ItemRevoked, ItemAnyStatus:
		return true
	}
	return false
}

// ItemStatusOn decides an item's status on day d from its listing date and,
// if the item has been revoked (as far as the log is read), its revocation
// date. A revocation dated before d wins over everything; an item listed
// after d is not yet in force.
func ItemStatusOn(listedFrom domain.Date, revoked bool, revokedFrom domain.Date, d domain.Date) ItemStatus {
	switch {
	case revoked && !d.Before(revokedFrom):
		return ItemRevoked
	case d.Before(listedFrom):
		return ItemNotYetInForce
	default:
		return ItemInForce
	}
}

// DelegationStatus is a delegation's standing on a date.
type DelegationStatus string

// Delegation statuses.
const (
	DelegationNotYetEffective   DelegationStatus = "NOT_YET_EFFECTIVE"
	DelegationPendingAcceptance DelegationStatus = "PENDING_ACCEPTANCE"
	DelegationActive            DelegationStatus = "ACTIVE"
	DelegationWithdrawn         DelegationStatus = "WITHDRAWN"
	DelegationRevoked           DelegationStatus = "REVOKED"
	DelegationExpired           DelegationStatus = "EXPIRED"
)

// Valid reports whether s is a known status.
func (s DelegationStatus) Valid() bool {
	switch s {
	case DelegationNotYetEffective, DelegationPendingAcceptance, DelegationActive,
		DelegationWithdrawn, DelegationRevoked, DelegationExpired:
		return true
	}
	return false
}

// HeldStatuses are the statuses of a power a body holds: it has taken the
// power over, or the power is already its own and waits for its
// acceptance (承接). They are the default filter for a body's powers.
var HeldStatuses = []DelegationStatus{DelegationActive, DelegationPendingAcceptance}

// AllDelegationStatuses is the filter that lets every delegation through.
var AllDelegationStatuses = []DelegationStatus{DelegationNotYetEffective, DelegationPendingAcceptance,
	DelegationActive, DelegationWithdrawn, DelegationRevoked, DelegationExpired}

// DelegationFacts is what the log says about one delegation up to some
// position: its period and which of acceptance, withdrawal (收回, also of a
// parent delegation it was passed on from) and the end by revocation of its
// item (取消) have been recorded, each with its effective date.
type DelegationFacts struct {
	EffectiveFrom  domain.Date
	EffectiveUntil domain.Date // inclusive; zero = open-ended

	Accepted      bool
	AcceptedFrom  domain.Date
	Withdrawn     bool
	WithdrawnFrom domain.Date
	Revoked       bool
	RevokedFrom   domain.Date
}

// StatusOn decides the delegation's status on day d:
//   - NOT_YET_EFFECTIVE before its EffectiveFrom;
//   - then the earliest end that has happened by d: WITHDRAWN (withdrawn
//     from W ≤ d), REVOKED (its item revoked from R ≤ d), EXPIRED
//     (EffectiveUntil < d); on equal dates in that order;
//   - otherwise ACTIVE once accepted with an acceptance effective on or
//     before d, else PENDING_ACCEPTANCE.
func (f DelegationFacts) StatusOn(d domain.Date) DelegationStatus {
	if d.Before(f.EffectiveFrom) {
		return DelegationNotYetEffective
	}
	var status DelegationStatus
	var first domain.Date // first day of the earliest end found so far
	end := func(ended bool, from domain.Date, s DelegationStatus) {
		if ended && !d.Before(from) && (status == "" || from.Before(first)) {
			status, first = s, from
		}
	}
	end(f.Withdrawn, f.WithdrawnFrom, DelegationWithdrawn)
	end(f.Revoked, f.RevokedFrom, DelegationRevoked)
	if !f.EffectiveUntil.IsZero() {
		end(true, f.EffectiveUntil.AddDays(1), DelegationExpired)
	}
	switch {
	case status != "":
		return status
	case f.Accepted && !d.Before(f.AcceptedFrom):
		return DelegationActive
	default:
		return DelegationPendingAcceptance
	}
}

// Amend applies an amendment to an item's particulars with the domain's
// own evolve function, so the read side reads an amendment exactly as the
// write side decided it.
func Amend(f domain.ItemFacts, e domain.ItemAmended) domain.ItemFacts {
	it := domain.EvolveItem(domain.Item{Listed: true, Code: f.Code, Name: f.Name, Department: f.Department,
		Authority: f.Authority, LegalBasis: f.LegalBasis, Level: f.Level, SubItems: f.SubItems}, e)
	return domain.ItemFacts{Code: it.Code, Name: it.Name, Department: it.Department, Authority: it.Authority,
		LegalBasis: it.LegalBasis, Level: it.Level, SubItems: it.SubItems}
}

// Listed returns the particulars an ItemListed event lists.
func Listed(e domain.ItemListed) domain.ItemFacts {
	return domain.ItemFacts{Code: e.Code, Name: e.Name, Department: e.Department, Authority: e.Authority,
		LegalBasis: e.LegalBasis, Level: e.Level, SubItems: e.SubItems}
}

// ChangedFields names the particulars that differ between a and b, in a
// fixed order (used by edition differences).
func ChangedFields(a, b domain.ItemFacts) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"name", a.Name == b.Name},
		{"department", a.Department == b.Department},
		{"authority", a.Authority == b.Authority},
		{"legalBasis", a.LegalBasis == b.LegalBasis},
		{"level", a.Level == b.Level},
		{"subItems", subItemsEqual(a.SubItems, b.SubItems)},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

func subItemsEqual(a, b []domain.SubItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// MatchesText reports whether text (lower-cased, non-empty) occurs
// in the item's code or name or in a sub-item's code or name, ignoring the
// case of Latin letters (codes such as 00016421300Y are typed either way).
func MatchesText(f domain.ItemFacts, text string) bool {
	if containsFold(f.Code, text) || containsFold(f.Name, text) {
		return true
	}
	for _, si := range f.SubItems {
		if containsFold(si.Code, text) || containsFold(si.Name, text) {
			return true
		}
	}
	return false
}
