package domain

import (
	"slices"
	"strings"
)

// Item is the decided state of one licensing item (行政许可事项): what the
// rules need to know about its stream, folded from its events by Evolve.
type Item struct {
	ID         string
	Listed     bool
	Code       string
	Name       string
	Department string
	Authority  string
	LegalBasis string
	Level      Level
	SubItems   []SubItem
	ListedFrom Date

	Revoked     bool
	RevokedFrom Date

	// Delegations in the order they were made.
	Delegations []*Delegation
}

// Delegation is one hand-over of (part of) an item's power to a body.
type Delegation struct {
	ID             string
	From           string // delegating body; "" = the catalogue's own government
	Parent         string // delegation this one passes on, if From != ""
	To             string
	Mode           Mode
	Scope          []string // sub-item codes; empty = whole item
	EffectiveFrom  Date
	EffectiveUntil Date // inclusive; zero = open-ended

	Accepted     bool
	AcceptedFrom Date
	// EndedFrom is the first day the delegation no longer runs because it
	// was withdrawn or its item revoked; zero while it runs.
	EndedFrom Date
	EndReason string // "WITHDRAWN" or "REVOKED"
}

// Ends of a delegation other than its own expiry.
const (
	EndWithdrawn = "WITHDRAWN"
	EndRevoked   = "REVOKED"
)

// lastDay returns the last day the delegation runs, and false if it has no end.
func (d *Delegation) lastDay() (Date, bool) {
	var last Date
	has := false
	if !d.EffectiveUntil.IsZero() {
		last, has = d.EffectiveUntil, true
	}
	if !d.EndedFrom.IsZero() {
		end := d.EndedFrom.AddDays(-1)
		if !has || end.Before(last) {
			last, has = end, true
		}
	}
	return last, has
}

// RunsOn reports whether the delegation is in force on day x: begun, not
// expired, withdrawn or ended by revocation.
func (d *Delegation) RunsOn(x Date) bool {
	if x.Before(d.EffectiveFrom) {
		return false
	}
	last, has := d.lastDay()
	return !has || !x.After(last)
}

// overlaps reports whether d runs on some day of [from, until] (until zero =
// open-ended).
func (d *Delegation) overlaps(from, until Date) bool {
	if !until.IsZero() && until.Before(d.EffectiveFrom) {
		return false
	}
	last, has := d.lastDay()
	return !has || !last.Before(from)
}

// Ended reports whether the delegation has been withdrawn or ended by
// revocation (from any date).
func (d *Delegation) Ended() bool { return !d.EndedFrom.IsZero() }

// covers reports whether d's scope includes every code of scope (an empty
// scope is the whole item).
func (d *Delegation) covers(scope []string) bool {
	if len(d.Scope) == 0 {
		return true
	}
	if len(scope) == 0 {
		return false
	}
	for _, c := range scope {
		if !slices.Contains(d.Scope, c) {
			return false
		}
	}
	return true
}

// intersects reports whether d's scope shares a power with scope.
func (d *Delegation) intersects(scope []string) bool {
	if len(d.Scope) == 0 || len(scope) == 0 {
		return true
	}
	for _, c := range scope {
		if slices.Contains(d.Scope, c) {
			return true
		}
	}
	return false
}

// Delegation returns the delegation with id, or nil.
func (s *Item) Delegation(id string) *Delegation {
	for _, d := range s.Delegations {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// EvolveItem folds one event into the item's state. It never fails: events
// are facts that already passed the rules.
func EvolveItem(s Item, e Event) Item {
	switch e := e.(type) {
	case ItemListed:
		s = Item{ID: e.ItemID, Listed: true, Code: e.Code, Name: e.Name, Department: e.Department,
			Authority: e.Authority, LegalBasis: e.LegalBasis, Level: e.Level,
			SubItems: slices.Clone(e.SubItems), ListedFrom: e.EffectiveFrom}
	case ItemAmended:
		setIf(&s.Name, e.Name)
		setIf(&s.Department, e.Department)
		setIf(&s.Authority, e.Authority)
		setIf(&s.LegalBasis, e.LegalBasis)
		setIf(&s.Level, e.Level)
		if e.SubItems != nil {
			s.SubItems = slices.Clone(*e.SubItems)
		}
	case ItemDelegated:
		s.Delegations = append(slices.Clone(s.Delegations), &Delegation{
			ID: e.DelegationID, From: e.From, Parent: e.ParentDelegationID, To: e.To, Mode: e.Mode,
			Scope: slices.Clone(e.Scope), EffectiveFrom: e.EffectiveFrom, EffectiveUntil: e.EffectiveUntil,
		})
	case DelegationAccepted:
		s.updateDelegation(e.DelegationID, func(d *Delegation) {
			d.Accepted, d.AcceptedFrom = true, e.EffectiveFrom
		})
	case DelegationWithdrawn:
		for _, id := range append([]string{e.DelegationID}, e.Ended...) {
			s.updateDelegation(id, func(d *Delegation) { d.EndedFrom, d.EndReason = e.EffectiveFrom, EndWithdrawn })
		}
	case ItemRevoked:
		s.Revoked, s.RevokedFrom = true, e.EffectiveFrom
		for _, id := range e.Ended {
			s.updateDelegation(id, func(d *Delegation) { d.EndedFrom, d.EndReason = e.EffectiveFrom, EndRevoked })
		}
	}
	return s
}

// updateDelegation replaces one delegation by an updated copy, so that a
// state value handed out earlier is never changed behind its holder's back.
func (s *Item) updateDelegation(id string, f func(*Delegation)) {
	s.Delegations = slices.Clone(s.Delegations)
	for i, d := range s.Delegations {
		if d.ID == id {
			c := *d
			f(&c)
			s.Delegations[i] = &c
		}
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ItemFacts are the particulars of an item, as listed or amended.
type ItemFacts struct {
	Code       string
	Name       string
	Department string
	Authority  string
	LegalBasis string
	Level      Level
	SubItems   []SubItem
}

func (f ItemFacts) validate() error {
	if err := requireText("code", f.Code, 64); err != nil {
		return err
	}
	if strings.ContainsAny(f.Code, " \t\r\n") {
		return Errorf(CodeInvalid, "code", "must not contain spaces")
	}
	if err := requireText("name", f.Name, maxShortText); err != nil {
		return err
	}
	if strings.TrimSpace(f.Department) == "" && strings.TrimSpace(f.Authority) == "" {
		return Errorf(CodeInvalid, "authority", "an item needs its competent department (主管部门) or its implementing authority (实施机关)")
	}
	for _, t := range []struct{ field, s string }{{"department", f.Department}, {"authority", f.Authority}} {
		if err := optionalText(t.field, t.s, maxShortText); err != nil {
			return err
		}
	}
	if err := optionalText("legalBasis", f.LegalBasis, maxLongText); err != nil {
		return err
	}
	if !f.Level.Valid() {
		return Errorf(CodeInvalid, "level", "%q is not a level (NATIONAL, PROVINCIAL, MUNICIPAL, COUNTY, TOWNSHIP)", f.Level)
	}
	return validateSubItems(f.Code, f.SubItems)
}

func validateSubItems(itemCode string, subs []SubItem) error {
	seen := map[string]bool{}
	for _, si := range subs {
		if err := requireText("subItems.code", si.Code, 64); err != nil {
			return err
		}
		if err := requireText("subItems.name", si.Name, maxShortText); err != nil {
			return err
		}
		if si.Code == itemCode || seen[si.Code] {
			return Errorf(CodeInvalid, "subItems.code", "sub-item code %s is used twice", si.Code)
		}
		seen[si.Code] = true
	}
	return nil
}

// ListItem (新增) puts a new item into the catalogue. ItemID is chosen by the
// caller (derived from the command id, so a retry lists the same item).
// CodeHolder is the item currently holding the code in force, if any,
// taken from the code's reservation stream and that item's state.
type ListItem struct {
	ItemID string
	ItemFacts
	Change
	CodeHeldBy string
}

// AmendItem (变更) changes some particulars. Nil fields stay as they are;
// SubItems, when not nil, is the complete new list. The code never changes:
// an item with another code is another item.
type AmendItem struct {
	Name       *string
	Department *string
	Authority  *string
	LegalBasis *string
	Level      *Level
	SubItems   *[]SubItem
	Change
}

// RevokeItem (取消) takes the item out of the catalogue.
type RevokeItem struct {
	Change
}

// DecideListItem decides a ListItem against the item's (empty) stream.
func DecideListItem(s Item, c ListItem) ([]Event, error) {
	if s.Listed {
		return nil, Errorf(CodeItemExists, "", "item %s already exists", s.ID)
	}
	if err := c.ItemFacts.validate(); err != nil {
		return nil, err
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	if c.CodeHeldBy != "" && c.CodeHeldBy != c.ItemID {
		return nil, Errorf(CodeCodeTaken, "code", "code %s is already used by item %s, which is in force", c.Code, c.CodeHeldBy)
	}
	return []Event{ItemListed{ItemID: c.ItemID, Code: c.Code, Name: c.Name, Department: c.Department,
		Authority: c.Authority, LegalBasis: c.LegalBasis, Level: c.Level,
		SubItems: emptyIfNil(c.SubItems), Change: c.Change}}, nil
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s Item) mustBeLive() error {
	if !s.Listed {
		return Errorf(CodeItemNotFound, "itemId", "no such item")
	}
	if s.Revoked {
		return Errorf(CodeItemRevoked, "", "item %s (%s) was revoked from %s; a revoked item cannot be changed", s.Code, s.Name, s.RevokedFrom)
	}
	return nil
}

// DecideAmendItem decides an amendment.
func DecideAmendItem(s Item, c AmendItem) ([]Event, error) {
	if err := s.mustBeLive(); err != nil {
		return nil, err
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	e := ItemAmended{ItemID: s.ID, Change: c.Change}
	after := s
	e.Name = changed(&after.Name, c.Name)
	e.Department = changed(&after.Department, c.Department)
	e.Authority = changed(&after.Authority, c.Authority)
	e.LegalBasis = changed(&after.LegalBasis, c.LegalBasis)
	e.Level = changed(&after.Level, c.Level)
	if c.SubItems != nil && !slices.Equal(*c.SubItems, s.SubItems) {
		subs := emptyIfNil(*c.SubItems)
		e.SubItems, after.SubItems = &subs, subs
	}
	if e.Name == nil && e.Department == nil && e.Authority == nil && e.LegalBasis == nil && e.Level == nil && e.SubItems == nil {
		return nil, Errorf(CodeNoChange, "", "the amendment changes nothing")
	}
	if err := (ItemFacts{Code: after.Code, Name: after.Name, Department: after.Department, Authority: after.Authority,
		LegalBasis: after.LegalBasis, Level: after.Level, SubItems: after.SubItems}).validate(); err != nil {
		return nil, err
	}
	if e.SubItems != nil {
		if err := s.checkRemovedSubItems(*e.SubItems, c.EffectiveFrom); err != nil {
			return nil, err
		}
	}
	return []Event{e}, nil
}

// changed sets *dst to *v and returns v when v differs from *dst.
func changed[T comparable](dst *T, v *T) *T {
	if v == nil || *v == *dst {
		return nil
	}
	*dst = *v
	return v
}

// checkRemovedSubItems refuses to drop a sub-item a body still holds: the
// delegation would point at nothing. Withdraw it first.
func (s Item) checkRemovedSubItems(next []SubItem, from Date) error {
	keep := map[string]bool{}
	for _, si := range next {
		keep[si.Code] = true
	}
	for _, d := range s.Delegations {
		for _, code := range d.Scope {
			if !keep[code] && d.overlaps(from, Date{}) {
				return Errorf(CodeSubItemDelegated, "subItems", "sub-item %s is delegated to %s (delegation %s); withdraw it before removing the sub-item", code, d.To, d.ID)
			}
		}
	}
	return nil
}

// DecideRevokeItem decides a revocation; every delegation still running on
// or after the effective date ends with it.
func DecideRevokeItem(s Item, c RevokeItem) ([]Event, error) {
	if err := s.mustBeLive(); err != nil {
		return nil, err
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	if c.EffectiveFrom.Before(s.ListedFrom) {
		return nil, Errorf(CodeEffectiveDate, "effectiveFrom", "the item is listed from %s; it cannot be revoked from an earlier date", s.ListedFrom)
	}
	var ended []string
	for _, d := range s.Delegations {
		if d.overlaps(c.EffectiveFrom, Date{}) {
			ended = append(ended, d.ID)
		}
	}
	return []Event{ItemRevoked{ItemID: s.ID, Code: s.Code, Ended: ended, Change: c.Change}}, nil
}
