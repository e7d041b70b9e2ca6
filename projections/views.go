package projections

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// Item is a licensing item as read on a date (Axes.InForceOn) with the log
// read up to a position (Axes.AsOf).
type Item struct {
	ID string
	// ItemFacts are the particulars in force on the date: the listed facts
	// with every amendment effective on or before the date applied in order
	// of (effective date, position). Before the item is listed they are the
	// facts as listed.
	domain.ItemFacts
	Status     ItemStatus
	ListedFrom domain.Date
	// RevokedFrom is the revocation's effective date when a revocation is
	// recorded, even if it takes effect after the date read; zero otherwise.
	RevokedFrom domain.Date
	// Revision is the revision of the item's stream (0-based) and Position
	// the global position of its last event, both as of the position read:
	// a client amends with Revision as its expected revision.
	Revision uint64
	Position eventstore.Position
	// Delegations are the item's delegations in the order they were made,
	// with their status on the date. Only the Item query fills them; the
	// Catalogue leaves them nil (use Delegations with ItemID).
	Delegations []Delegation
}

// Clone returns a copy of the item that shares no slices with it, so a
// store can hand out items it keeps.
func (it Item) Clone() Item {
	it.SubItems = slices.Clone(it.SubItems)
	it.Delegations = slices.Clone(it.Delegations)
	for i := range it.Delegations {
		it.Delegations[i].Scope = slices.Clone(it.Delegations[i].Scope)
	}
	return it
}

// Delegation is one hand-over of (part of) an item's power to a body, as
// read on a date with the log read up to a position.
type Delegation struct {
	ID string
	// ItemID, ItemCode and ItemName identify the item; the name is the one
	// in force on the date.
	ItemID   string
	ItemCode string
	ItemName string
	// From is the delegating body; "" is the catalogue's own government.
	// ParentID is the delegation From holds the power under.
	From     string
	ParentID string
	To       string
	ToName   string
	Mode     domain.Mode
	// Scope lists the sub-items delegated with their names on the date
	// (a name is empty if the sub-item is not among the item's sub-items on
	// that date); empty means the whole item.
	Scope          []domain.SubItem
	EffectiveFrom  domain.Date
	EffectiveUntil domain.Date // inclusive; zero = open-ended
	// Accepted is true when the acceptance (承接) is recorded; AcceptedFrom
	// is its effective date, which may be after the date read.
	Accepted     bool
	AcceptedFrom domain.Date
	// WithdrawnFrom and RevokedFrom are the effective dates of a recorded
	// withdrawal (its own or its parent's) and of the end by revocation of
	// the item; zero when none is recorded.
	WithdrawnFrom domain.Date
	RevokedFrom   domain.Date
	Status        DelegationStatus
	// Basis and Reason are those of the delegating decision.
	Basis    string
	Reason   string
	Position eventstore.Position
}

// Body is a body that can receive delegations (实施主体).
type Body struct {
	Code           string
	Name           string
	Kind           domain.BodyKind
	Parent         string
	RegisteredFrom domain.Date
	Basis          string
	Position       eventstore.Position
}

// Edition is a published edition of the catalogue (清单版本).
type Edition struct {
	Name          string
	Basis         string
	Reason        string
	EffectiveFrom domain.Date
	Actor         string
	RecordedAt    time.Time
	Position      eventstore.Position
	// ContentAsOf is the log position the edition's content is read at:
	// the position just before the edition's own, so its content is the
	// catalogue in force on EffectiveFrom as recorded before publication,
	// unchanged by anything recorded later.
	ContentAsOf eventstore.Position
	// ItemCount is the number of items the edition holds.
	ItemCount int
}

// EditionDiff is what changed from one edition to another: Added are
// items of To that From lacks, Removed items of From that To lacks.
type EditionDiff struct {
	From, To Edition
	Changes
}

// ItemChange is one item's particulars at two points of the catalogue
// (two editions, two dates).
type ItemChange struct {
	Before, After Item
	// Fields names the particulars that differ: name, department,
	// authority, legalBasis, level, subItems.
	Fields []string
}

// LogEntry is one recorded event for the item history (Q4) and the audit
// log (Q5).
type LogEntry struct {
	Position eventstore.Position
	EventID  uuid.UUID
	Stream   string
	Revision uint64
	Type     string
	// Data is the event's JSON exactly as stored.
	Data []byte
	// ItemID is the item the event concerns, if any.
	ItemID string
	// Bodies are the codes of the bodies the event concerns: the body
	// registered; the delegator and receiver of a delegation and of its
	// acceptance or withdrawal, and of every delegation a withdrawal or a
	// revocation ended.
	Bodies        []string
	Basis         string
	Reason        string
	EffectiveFrom domain.Date
	Actor         string
	CommandID     string
	CorrelationID string
	CausationID   string
	// RecordedAt is when the event store committed the event.
	RecordedAt time.Time
}

// PageInfo tells how to ask for the next page.
type PageInfo struct {
	// EndCursor is the cursor of the last row returned ("" when none);
	// pass it as Page.After.
	EndCursor   string
	HasNextPage bool
}

// ItemPage is a page of the catalogue.
type ItemPage struct {
	Items []Item
	// Total counts every item that matches the filters, on all pages.
	Total int
	PageInfo
	// AsOf is the log position the answer was read at.
	AsOf eventstore.Position
}

// DelegationPage is a page of delegations.
type DelegationPage struct {
	Delegations []Delegation
	Total       int
	PageInfo
	AsOf eventstore.Position
}

// BodyPage is a page of bodies.
type BodyPage struct {
	Bodies []Body
	Total  int
	PageInfo
	AsOf eventstore.Position
}

// LogPage is a page of the audit log. It has no total: counting a filtered
// log of millions of events for every page is not worth its cost.
type LogPage struct {
	Entries []LogEntry
	PageInfo
	AsOf eventstore.Position
}
