package domain

// Event is a fact recorded in the catalogue's log. Each event type has an
// explicit, versioned name that never changes once events of it are stored;
// a new shape gets a new version and the old one is upcast when read.
type Event interface {
	EventType() string
}

// Event type names.
const (
	TypeItemListed          = "ItemListed.v1"
	TypeItemAmended         = "ItemAmended.v1"
	TypeItemDelegated       = "ItemDelegated.v1"
	TypeDelegationAccepted  = "DelegationAccepted.v1"
	TypeDelegationWithdrawn = "DelegationWithdrawn.v1"
	TypeItemRevoked         = "ItemRevoked.v1"
	TypeItemCodeReserved    = "ItemCodeReserved.v2"
	TypeBodyRegistered      = "BodyRegistered.v1"
	TypeEditionPublished    = "EditionPublished.v1"

	// TypeItemCodeReservedV1 is a reservation written before reservations
	// carried their listing: it decodes with a nil Listing.
	TypeItemCodeReservedV1 = "ItemCodeReserved.v1"
)

// SubItem (子项) is a part of an item that can be delegated on its own.
type SubItem struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// ItemListed (新增): an item enters the catalogue.
type ItemListed struct {
	ItemID     string    `json:"itemId"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	Authority  string    `json:"authority"`
	LegalBasis string    `json:"legalBasis"`
	Level      Level     `json:"level"`
	SubItems   []SubItem `json:"subItems"`
	Change
}

// ItemAmended (变更): some of an item's particulars change. Only the fields
// that changed are set; SubItems, when set, is the complete new list.
type ItemAmended struct {
	ItemID     string     `json:"itemId"`
	Name       *string    `json:"name,omitempty"`
	Department *string    `json:"department,omitempty"`
	Authority  *string    `json:"authority,omitempty"`
	LegalBasis *string    `json:"legalBasis,omitempty"`
	Level      *Level     `json:"level,omitempty"`
	SubItems   *[]SubItem `json:"subItems,omitempty"`
	Change
}

// ItemDelegated (下放/委托/赋权): a power is handed to a body. Scope lists the
// sub-item codes delegated; empty means the whole item. From is the body
// that delegates, empty for the catalogue's own government; a delegation
// from a body passes on (part of) the power that body holds under
// ParentDelegationID.
type ItemDelegated struct {
	ItemID             string   `json:"itemId"`
	DelegationID       string   `json:"delegationId"`
	From               string   `json:"from,omitempty"`
	ParentDelegationID string   `json:"parentDelegationId,omitempty"`
	To                 string   `json:"to"`
	Mode               Mode     `json:"mode"`
	Scope              []string `json:"scope,omitempty"`
	EffectiveUntil     Date     `json:"effectiveUntil"` // inclusive; zero = open-ended
	Change
}

// DelegationAccepted (承接): the receiving body confirms it has taken the
// power over.
type DelegationAccepted struct {
	ItemID       string `json:"itemId"`
	DelegationID string `json:"delegationId"`
	Body         string `json:"body"`
	Change
}

// DelegationWithdrawn (收回): the delegator takes the power back from
// EffectiveFrom. Ended lists the delegations passed on from it (to towns),
// which end with it.
type DelegationWithdrawn struct {
	ItemID       string   `json:"itemId"`
	DelegationID string   `json:"delegationId"`
	Ended        []string `json:"ended,omitempty"`
	Change
}

// ItemRevoked (取消): the item leaves the catalogue; Ended lists every
// delegation still running, which ends with it.
type ItemRevoked struct {
	ItemID string   `json:"itemId"`
	Code   string   `json:"code"`
	Ended  []string `json:"ended,omitempty"`
	Change
}

// ItemCodeReserved records, in the reservation stream of a code, which item
// holds that code. Uniqueness of codes among items in force is kept by
// appending to that stream with an expected revision.
//
// Listing is the listing the reservation was made for, decided in full: the
// reservation is the listing's commit point, so whoever finds it with its
// item stream still empty (a writer died between the two appends, a client
// went away) can complete the listing exactly as it was decided, and the
// code never passes to another item meanwhile. Reservations of version 1
// have no Listing.
type ItemCodeReserved struct {
	Code    string      `json:"code"`
	ItemID  string      `json:"itemId"`
	Listing *ItemListed `json:"listing,omitempty"`
}

// BodyRegistered: a district, zone, township (or the city and province
// above them) becomes known as a body that can receive delegations.
type BodyRegistered struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	Kind   BodyKind `json:"kind"`
	Parent string   `json:"parent,omitempty"`
	Change
}

// EditionPublished (清单版本): a named edition of the catalogue is
// published. Its content is the catalogue in force on EffectiveFrom as
// recorded strictly before this event's own global position, so it can be
// reproduced by replay forever.
type EditionPublished struct {
	Name string `json:"name"`
	Change
}

func (ItemListed) EventType() string          { return TypeItemListed }
func (ItemAmended) EventType() string         { return TypeItemAmended }
func (ItemDelegated) EventType() string       { return TypeItemDelegated }
func (DelegationAccepted) EventType() string  { return TypeDelegationAccepted }
func (DelegationWithdrawn) EventType() string { return TypeDelegationWithdrawn }
func (ItemRevoked) EventType() string         { return TypeItemRevoked }
func (ItemCodeReserved) EventType() string    { return TypeItemCodeReserved }
func (BodyRegistered) EventType() string      { return TypeBodyRegistered }
func (EditionPublished) EventType() string    { return TypeEditionPublished }

// concernsItem names the item an event concerns (ItemOf).
func (e ItemListed) concernsItem() string          { return e.ItemID }
func (e ItemAmended) concernsItem() string         { return e.ItemID }
func (e ItemDelegated) concernsItem() string       { return e.ItemID }
func (e DelegationAccepted) concernsItem() string  { return e.ItemID }
func (e DelegationWithdrawn) concernsItem() string { return e.ItemID }
func (e ItemRevoked) concernsItem() string         { return e.ItemID }
func (e ItemCodeReserved) concernsItem() string    { return e.ItemID }

// concernsDelegations names the delegations an event makes, refers to or
// ends (DelegationsOf).
func (e ItemDelegated) concernsDelegations() []string      { return []string{e.DelegationID} }
func (e DelegationAccepted) concernsDelegations() []string { return []string{e.DelegationID} }
func (e DelegationWithdrawn) concernsDelegations() []string {
	return append([]string{e.DelegationID}, e.Ended...)
}
func (e ItemRevoked) concernsDelegations() []string { return e.Ended }

// The events of items, bodies and editions in the registry.
var _ = registerEvents(
	register[ItemListed](ItemStreams),
	register[ItemAmended](ItemStreams),
	register[ItemDelegated](ItemStreams),
	register[DelegationAccepted](ItemStreams),
	register[DelegationWithdrawn](ItemStreams),
	register[ItemRevoked](ItemStreams),
	register[ItemCodeReserved](ItemCodeStreams),
	// A reservation written before reservations carried their listing:
	// the same shape without Listing.
	upcast(TypeItemCodeReservedV1, ItemCodeStreams, func(r ItemCodeReserved) ItemCodeReserved { return r }),
	register[BodyRegistered](BodyStreams),
	register[EditionPublished](EditionStreams),
)
