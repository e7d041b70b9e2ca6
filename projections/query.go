package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// CodeEditionNotFound is returned when an edition is not (yet, as of the
// position read) published.
const CodeEditionNotFound = domain.CodeEditionNotFound

// Axes fixes the two time axes of a query.
type Axes struct {
	// InForceOn is the date the legal facts are read on. The caller passes
	// today for "now": a store has no clock, so a zero date is refused
	// (INVALID_INPUT) rather than guessed.
	InForceOn domain.Date
	// AsOf is the log position up to which facts are known; events after
	// it are ignored. Zero means everything the read model holds. A
	// position beyond the read model's checkpoint is read as the
	// checkpoint: to see one's own write, wait for its position first
	// (Projector.WaitFor). Pages report the position they were read at.
	AsOf eventstore.Position
}

func (a Axes) validate() error {
	if a.InForceOn.IsZero() {
		return domain.Errorf(domain.CodeInvalid, "inForceOn", "a date is required (the caller passes today for now)")
	}
	return nil
}

// ReadAt returns the position a query reads: AsOf, or checkpoint when AsOf
// is zero or beyond it.
func ReadAt(asOf, checkpoint eventstore.Position) eventstore.Position {
	if asOf == 0 || asOf > checkpoint {
		return checkpoint
	}
	return asOf
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Page asks for the First rows after the cursor After ("" = from the start).
type Page struct {
	First int
	After string
}

// Size returns the page size: DefaultPageSize when First is zero;
// INVALID_INPUT when First is negative or above MaxPageSize.
func (p Page) Size() (int, error) {
	switch {
	case p.First == 0:
		return DefaultPageSize, nil
	case p.First < 0 || p.First > MaxPageSize:
		return 0, domain.Errorf(domain.CodeInvalid, "first", "must be between 1 and %d", MaxPageSize)
	}
	return p.First, nil
}

// CatalogueQuery asks for the catalogue (Q1), or an edition's items (Q2).
// Items come in order of code (then of listing position, for a code
// listed again after a revocation).
type CatalogueQuery struct {
	Axes
	Page
	// Department matches the competent department exactly.
	Department string
	// Level, when set, matches the item's level.
	Level domain.Level
	// Status filters by status on InForceOn: "" means IN_FORCE; ALL lets
	// every status through.
	Status ItemStatus
	// Text matches a substring of the code or name of the item or of one of
	// its sub-items, ignoring the case of Latin letters.
	Text string
	// Edition, when set, lists the items of that published edition: the
	// catalogue in force on the edition's date as recorded before its
	// publication. Axes and Status must then be left zero.
	Edition string
}

// Validate checks the query and returns the effective status filter.
func (q CatalogueQuery) Validate() (ItemStatus, error) {
	if _, err := q.Size(); err != nil {
		return "", err
	}
	if q.Level != "" && !q.Level.Valid() {
		return "", domain.Errorf(domain.CodeInvalid, "level", "%q is not a level", q.Level)
	}
	if q.Edition != "" {
		if q.Axes != (Axes{}) || (q.Status != "" && q.Status != ItemInForce) {
			return "", domain.Errorf(domain.CodeInvalid, "edition", "an edition fixes its own date, position and status; leave inForceOn, asOf and status unset")
		}
		return ItemInForce, nil
	}
	if err := q.Axes.validate(); err != nil {
		return "", err
	}
	switch {
	case q.Status == "":
		return ItemInForce, nil
	case !q.Status.Valid():
		return "", domain.Errorf(domain.CodeInvalid, "status", "%q is not a status (IN_FORCE, NOT_YET_IN_FORCE, REVOKED, ALL)", q.Status)
	}
	return q.Status, nil
}

// ItemQuery asks for one item by id, or by code: the item with that code in
// force on InForceOn, or if none is, the one listed last (as of AsOf).
type ItemQuery struct {
	Axes
	ID   string
	Code string
}

// Validate checks the query.
func (q ItemQuery) Validate() error {
	if (q.ID == "") == (q.Code == "") {
		return domain.Errorf(domain.CodeInvalid, "id", "give an item id or a code, not both")
	}
	return q.Axes.validate()
}

// DelegationQuery asks for delegations, in order of item code then of the
// delegation's position. A body's delegated powers (Q3) are the query with
// Body set and the default statuses.
type DelegationQuery struct {
	Axes
	Page
	// Body is the receiving body; From the delegating body ("" any).
	Body string
	From string
	// ItemID restricts to one item's delegations.
	ItemID string
	Mode   domain.Mode
	// Statuses on InForceOn; nil means HeldStatuses (ACTIVE and
	// PENDING_ACCEPTANCE): the powers held. AllDelegationStatuses lists all.
	Statuses []DelegationStatus
}

// Validate checks the query and returns the effective status filter.
func (q DelegationQuery) Validate() ([]DelegationStatus, error) {
	if _, err := q.Size(); err != nil {
		return nil, err
	}
	if q.Mode != "" && !q.Mode.Valid() {
		return nil, domain.Errorf(domain.CodeInvalid, "mode", "%q is not a mode", q.Mode)
	}
	for _, s := range q.Statuses {
		if !s.Valid() {
			return nil, domain.Errorf(domain.CodeInvalid, "statuses", "%q is not a delegation status", s)
		}
	}
	if q.Statuses == nil {
		return HeldStatuses, q.Axes.validate()
	}
	return q.Statuses, q.Axes.validate()
}

// WantsStatus reports whether s passes the status filter statuses.
func WantsStatus(statuses []DelegationStatus, s DelegationStatus) bool {
	return slices.Contains(statuses, s)
}

// BodyQuery lists bodies registered (effective) on InForceOn, in order of
// code, filtered by kind and by parent ("" = any).
type BodyQuery struct {
	Axes
	Page
	Kind   domain.BodyKind
	Parent string
}

// Validate checks the query.
func (q BodyQuery) Validate() error {
	if _, err := q.Size(); err != nil {
		return err
	}
	if q.Kind != "" && !q.Kind.Valid() {
		return domain.Errorf(domain.CodeInvalid, "kind", "%q is not a body kind", q.Kind)
	}
	return q.Axes.validate()
}

// AuditQuery asks for the global change log (Q5) in order of position.
// Every filter set must match.
type AuditQuery struct {
	Page
	AsOf eventstore.Position
	// RecordedFrom (inclusive) and RecordedBefore (exclusive) bound the
	// time the events were recorded; zero = unbounded.
	RecordedFrom   time.Time
	RecordedBefore time.Time
	Actor          string
	// Types are event type names, e.g. ItemDelegated.v1; nil = all.
	Types  []string
	ItemID string
	// Body matches events that concern the body (see LogEntry.Bodies).
	Body string
	// Basis matches the basis document (文号) exactly.
	Basis string
}

// Validate checks the query.
func (q AuditQuery) Validate() error {
	if _, err := q.Size(); err != nil {
		return err
	}
	if !q.RecordedFrom.IsZero() && !q.RecordedBefore.IsZero() && !q.RecordedFrom.Before(q.RecordedBefore) {
		return domain.Errorf(domain.CodeInvalid, "recordedBefore", "the time range is empty")
	}
	return nil
}

// Matches reports whether a log entry passes the query's filters. It does
// not read the entry's Data: a store may leave the event's JSON out of the
// entries it filters and add it to those it returns.
func (q AuditQuery) Matches(e *LogEntry) bool {
	return (q.RecordedFrom.IsZero() || !e.RecordedAt.Before(q.RecordedFrom)) &&
		(q.RecordedBefore.IsZero() || e.RecordedAt.Before(q.RecordedBefore)) &&
		(q.Actor == "" || e.Actor == q.Actor) &&
		(q.Types == nil || slices.Contains(q.Types, e.Type)) &&
		(q.ItemID == "" || e.ItemID == q.ItemID) &&
		(q.Body == "" || slices.Contains(e.Bodies, q.Body)) &&
		(q.Basis == "" || e.Basis == q.Basis)
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
