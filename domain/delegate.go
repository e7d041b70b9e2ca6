package domain

import (
	"slices"
	"strings"
)

// Delegation commands (下放/委托/赋权, 承接, 收回) and their decisions on an
// item's stream.

// BodyRef is what the rules need to know about a body named in a command,
// looked up by the caller: whether it is registered, its kind, and the
// codes of the bodies above it (parent first).
type BodyRef struct {
	Code      string
	Known     bool
	Kind      BodyKind
	Ancestors []string
}

// DelegateItem hands (part of) an item's power to a body.
// From is the delegating body ("" = the catalogue's own government);
// Jurisdiction is the code of the government that keeps this catalogue
// ("" = not configured: any registered body may receive).
type DelegateItem struct {
	By             Actor `json:"-"` // set by the ledger from its request (fingerprinted there)
	DelegationID   string
	From           string
	To             BodyRef
	Mode           Mode
	Scope          []string
	EffectiveUntil Date
	Jurisdiction   string
	Change
}

// AcceptDelegation (承接) is made by the receiving body. Body may be left
// empty: a body officer accepts for its own body, a legal officer for the
// delegation's receiver.
type AcceptDelegation struct {
	By           Actor `json:"-"` // set by the ledger from its request (fingerprinted there)
	DelegationID string
	Body         string
	Change
}

// WithdrawDelegation (收回) is made by the delegator.
type WithdrawDelegation struct {
	By           Actor `json:"-"` // set by the ledger from its request (fingerprinted there)
	DelegationID string
	Change
}

// DecideDelegateItem decides a delegation (下放/委托/赋权).
func DecideDelegateItem(s Item, c DelegateItem) ([]Event, error) {
	if err := c.By.mayDelegateFrom(c.From); err != nil {
		return nil, err
	}
	if err := s.mustBeLive(); err != nil {
		return nil, err
	}
	if err := c.Change.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.Valid() {
		return nil, Errorf(CodeInvalid, "mode", "%q is not a mode (DEVOLVE, ENTRUST, EMPOWER)", c.Mode)
	}
	if !c.EffectiveUntil.IsZero() && c.EffectiveUntil.Before(c.EffectiveFrom) {
		return nil, Errorf(CodeEffectiveDate, "effectiveUntil", "ends (%s) before it begins (%s)", c.EffectiveUntil, c.EffectiveFrom)
	}
	if c.EffectiveFrom.Before(s.ListedFrom) {
		return nil, Errorf(CodeEffectiveDate, "effectiveFrom", "the item is listed from %s; it cannot be delegated from an earlier date", s.ListedFrom)
	}
	if err := s.checkScope(c.Scope); err != nil {
		return nil, err
	}
	if !c.To.Known {
		return nil, Errorf(CodeBodyNotFound, "to", "body %s is not registered", c.To.Code)
	}
	if c.From == c.To.Code {
		return nil, Errorf(CodeInvalid, "to", "a body cannot delegate to itself")
	}
	if err := checkModeForKind(c.Mode, c.To.Kind); err != nil {
		return nil, err
	}
	e := ItemDelegated{ItemID: s.ID, DelegationID: c.DelegationID, From: c.From, To: c.To.Code, Mode: c.Mode,
		Scope: c.Scope, EffectiveUntil: c.EffectiveUntil, Change: c.Change}
	if c.From == "" {
		if c.Jurisdiction != "" && !slices.Contains(c.To.Ancestors, c.Jurisdiction) {
			return nil, Errorf(CodeOutsideJurisdiction, "to", "body %s is not under this catalogue's jurisdiction %s", c.To.Code, c.Jurisdiction)
		}
	} else {
		parent, err := s.delegatorPower(c)
		if err != nil {
			return nil, err
		}
		e.ParentDelegationID = parent.ID
	}
	for _, d := range s.Delegations {
		if d.To == c.To.Code && d.intersects(c.Scope) && d.overlaps(c.EffectiveFrom, c.EffectiveUntil) {
			return nil, Errorf(CodeDelegationOverlap, "scope", "body %s already holds this power from %s under delegation %s; a power is held by one body at a time", d.To, d.EffectiveFrom, d.ID)
		}
	}
	if s.Delegation(c.DelegationID) != nil {
		return nil, Errorf(CodeInvalid, "delegationId", "delegation %s already exists", c.DelegationID)
	}
	return []Event{e}, nil
}

func (s Item) checkScope(scope []string) error {
	seen := map[string]bool{}
	for _, code := range scope {
		if seen[code] {
			return Errorf(CodeInvalid, "scope", "sub-item %s is named twice", code)
		}
		seen[code] = true
		if !slices.ContainsFunc(s.SubItems, func(si SubItem) bool { return si.Code == code }) {
			return Errorf(CodeSubItemUnknown, "scope", "item %s has no sub-item %s", s.Code, code)
		}
	}
	return nil
}

func checkModeForKind(m Mode, k BodyKind) error {
	switch {
	case m == ModeEmpower && k != KindZone:
		return Errorf(CodeModeNotAllowed, "mode", "赋权 (EMPOWER) is for functional zones; body is a %s", k)
	case k == KindZone && m == ModeDevolve:
		return Errorf(CodeModeNotAllowed, "mode", "a functional zone is not an administrative division and cannot receive a power in its own name (下放); use EMPOWER or ENTRUST")
	}
	return nil
}

// delegatorPower finds the delegation under which c.From holds the power it
// passes on: it must run over the whole new period, cover the scope, not be
// an entrustment (受委托行政机关不得再委托), and the receiver must sit
// directly under the delegator.
func (s Item) delegatorPower(c DelegateItem) (*Delegation, error) {
	if len(c.To.Ancestors) == 0 || c.To.Ancestors[0] != c.From {
		return nil, Errorf(CodeBodyHierarchy, "to", "body %s is not directly under %s, which delegates", c.To.Code, c.From)
	}
	var entrusted bool
	for _, d := range s.Delegations {
		if d.To != c.From || !d.covers(c.Scope) || !d.RunsOn(c.EffectiveFrom) {
			continue
		}
		if d.Mode == ModeEntrust {
			entrusted = true
			continue
		}
		last, has := d.lastDay()
		if has && (c.EffectiveUntil.IsZero() || c.EffectiveUntil.After(last)) {
			return nil, Errorf(CodeEffectiveDate, "effectiveUntil", "%s holds this power only until %s", c.From, last)
		}
		return d, nil
	}
	if entrusted {
		return nil, Errorf(CodeModeNotAllowed, "from", "%s holds this power by entrustment (委托) and may not delegate it further", c.From)
	}
	return nil, Errorf(CodeDelegatorLacksPower, "from", "%s holds no delegation of this power on %s", c.From, c.EffectiveFrom)
}

// DecideAcceptDelegation decides an acceptance (承接) by the receiving body.
func DecideAcceptDelegation(s Item, c AcceptDelegation) ([]Event, error) {
	body, err := s.acceptingBody(c)
	if err != nil {
		return nil, err
	}
	d, err := s.runningDelegation(c.DelegationID, c.Change)
	if err != nil {
		return nil, err
	}
	if d.To != body {
		return nil, Errorf(CodeWrongBody, "body", "delegation %s goes to %s, not %s; only the receiving body accepts it", d.ID, d.To, body)
	}
	if d.Accepted {
		return nil, Errorf(CodeAlreadyAccepted, "delegationId", "delegation %s was already accepted from %s", d.ID, d.AcceptedFrom)
	}
	if last, has := d.lastDay(); has && c.EffectiveFrom.After(last) {
		return nil, Errorf(CodeEffectiveDate, "effectiveFrom", "delegation %s ends on %s; it cannot be accepted from %s", d.ID, last, c.EffectiveFrom)
	}
	return []Event{DelegationAccepted{ItemID: s.ID, DelegationID: d.ID, Body: body, Change: c.Change}}, nil
}

// DecideWithdrawDelegation decides a withdrawal (收回); delegations the
// receiver passed on end with it.
func DecideWithdrawDelegation(s Item, c WithdrawDelegation) ([]Event, error) {
	if err := s.mayWithdraw(c); err != nil {
		return nil, err
	}
	d, err := s.runningDelegation(c.DelegationID, c.Change)
	if err != nil {
		return nil, err
	}
	if c.EffectiveFrom.Before(d.EffectiveFrom) {
		return nil, Errorf(CodeEffectiveDate, "effectiveFrom", "delegation %s begins on %s; it cannot be withdrawn from an earlier date", d.ID, d.EffectiveFrom)
	}
	if last, has := d.lastDay(); has && c.EffectiveFrom.After(last) {
		return nil, Errorf(CodeDelegationNotActive, "delegationId", "delegation %s already ended on %s", d.ID, last)
	}
	var ended []string
	var collect func(parent string)
	collect = func(parent string) {
		for _, sub := range s.Delegations {
			if sub.Parent == parent && sub.overlaps(c.EffectiveFrom, Date{}) {
				ended = append(ended, sub.ID)
				collect(sub.ID)
			}
		}
	}
	collect(d.ID)
	return []Event{DelegationWithdrawn{ItemID: s.ID, DelegationID: d.ID, Ended: ended, Change: c.Change}}, nil
}

// runningDelegation returns a delegation that exists and has not been
// withdrawn or ended by revocation: the only kind that can be accepted or
// withdrawn.
func (s Item) runningDelegation(id string, c Change) (*Delegation, error) {
	if err := s.mustBeLive(); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	d := s.Delegation(id)
	if d == nil {
		return nil, Errorf(CodeDelegationNotFound, "delegationId", "item %s has no delegation %s", s.Code, id)
	}
	if d.Ended() {
		return nil, Errorf(CodeDelegationNotActive, "delegationId", "delegation %s was %s from %s", d.ID, strings.ToLower(d.EndReason), d.EndedFrom)
	}
	return d, nil
}
