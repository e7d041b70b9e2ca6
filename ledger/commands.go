package ledger

import (
	"context"

	"github.com/catalogue/catalogue/domain"
)

// The commands other than the listing (listing.go): each says what the
// caller gave (the fingerprinted payload), fills in what only the log
// knows (derived ids, looked-up bodies, the request's actor) and hands its
// domain decision to Execute.

// AmendItem (变更) amends an item.
func (l *Ledger) AmendItem(ctx context.Context, req Request, itemID string, c domain.AmendItem) (Result, error) {
	return l.onItem(ctx, req, "AmendItem", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideAmendItem(it, c) })
}

// RevokeItem (取消) revokes an item and ends its delegations.
func (l *Ledger) RevokeItem(ctx context.Context, req Request, itemID string, c domain.RevokeItem) (Result, error) {
	return l.onItem(ctx, req, "RevokeItem", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideRevokeItem(it, c) })
}

// DelegateItem delegates (下放/委托/赋权) an item to body c.To.Code; the
// ledger looks the body and its ancestors up. The delegation id derives from
// the command id and is returned as Result.ID.
func (l *Ledger) DelegateItem(ctx context.Context, req Request, itemID string, c domain.DelegateItem) (Result, error) {
	asked, c, err := l.delegation(ctx, req, c)
	if err != nil {
		return Result{}, err
	}
	res, err := l.onItem(ctx, req, "DelegateItem", itemID, asked, func(it domain.Item) ([]domain.Event, error) { return domain.DecideDelegateItem(it, c) })
	res.ID = c.DelegationID
	return res, err
}

// delegation returns what the caller asked (the fingerprinted payload) and
// the command as the ledger fills it in: the receiving body looked up, the
// delegation id derived from the command id, the actor and jurisdiction.
func (l *Ledger) delegation(ctx context.Context, req Request, c domain.DelegateItem) (asked, filled domain.DelegateItem, err error) {
	asked = c
	asked.To, asked.DelegationID, asked.Jurisdiction = domain.BodyRef{Code: c.To.Code}, "", ""
	ref, err := l.BodyRef(ctx, c.To.Code)
	if err != nil {
		return asked, c, err
	}
	c.By, c.To, c.DelegationID, c.Jurisdiction = req.By, ref, DerivedID(req.CommandID, "delegation"), l.jurisdiction
	return asked, c, nil
}

// AcceptDelegation (承接) records that the receiving body took a power over.
func (l *Ledger) AcceptDelegation(ctx context.Context, req Request, itemID string, c domain.AcceptDelegation) (Result, error) {
	c.By = req.By
	return l.onItem(ctx, req, "AcceptDelegation", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideAcceptDelegation(it, c) })
}

// WithdrawDelegation (收回) takes a delegated power back.
func (l *Ledger) WithdrawDelegation(ctx context.Context, req Request, itemID string, c domain.WithdrawDelegation) (Result, error) {
	c.By = req.By
	return l.onItem(ctx, req, "WithdrawDelegation", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideWithdrawDelegation(it, c) })
}

// onItem runs a command of kind on an existing item; payload is the
// command as the caller gave it, which the request's fingerprint covers
// together with the item's id.
func (l *Ledger) onItem(ctx context.Context, req Request, kind, itemID string, payload any, decide Decision[domain.Item]) (Result, error) {
	if itemID == "" {
		return Result{}, domain.Errorf(domain.CodeInvalid, "itemId", "an item id is required")
	}
	return Execute(ctx, l, req, kind, itemPayload(itemID, payload), itemAggregate(itemID), decide)
}

// itemPayload is what a command on an item fingerprints: the item's id and
// the command as the caller gave it.
func itemPayload(itemID string, payload any) any {
	return struct {
		ItemID  string `json:"itemId"`
		Command any    `json:"command"`
	}{itemID, payload}
}

// RegisterBody registers a body under its (registered) parent, which the
// ledger looks up.
func (l *Ledger) RegisterBody(ctx context.Context, req Request, c domain.RegisterBody) (Result, error) {
	var parent domain.Body
	if c.Parent != "" {
		p, err := l.Body(ctx, c.Parent)
		if err != nil {
			return Result{}, err
		}
		parent = p
	}
	// The payload keeps the shape registrations were fingerprinted with
	// before RegisterBody took a struct, so a retry across the upgrade
	// is still recognised.
	payload := struct {
		Code   string          `json:"code"`
		Name   string          `json:"name"`
		Kind   domain.BodyKind `json:"kind"`
		Parent string          `json:"parent"`
		Change domain.Change   `json:"change"`
	}{c.Code, c.Name, c.Kind, c.Parent, c.Change}
	return Execute(ctx, l, req, "RegisterBody", payload, bodyAggregate(c.Code), func(b domain.Body) ([]domain.Event, error) {
		return domain.DecideRegisterBody(b, parent, c)
	})
}

// PublishEdition publishes a named edition.
func (l *Ledger) PublishEdition(ctx context.Context, req Request, c domain.PublishEdition) (Result, error) {
	if c.Name == "" {
		return Result{}, domain.Errorf(domain.CodeInvalid, "name", "an edition needs a name, e.g. 2023年版")
	}
	return Execute(ctx, l, req, "PublishEdition", c, editionAggregate(c.Name), func(ed domain.Edition) ([]domain.Event, error) {
		return domain.DecidePublishEdition(ed, c)
	})
}

// Body returns a body's decided state; registered bodies are cached since
// a registration never changes.
func (l *Ledger) Body(ctx context.Context, code string) (domain.Body, error) {
	l.mu.RLock()
	b, ok := l.bodies[code]
	l.mu.RUnlock()
	if ok {
		return b, nil
	}
	agg := bodyAggregate(code)
	s, err := l.load(ctx, agg.Stream)
	if err != nil {
		return domain.Body{}, err
	}
	if b = agg.fold(s); b.Registered {
		l.mu.Lock()
		l.bodies[code] = b
		l.mu.Unlock()
	}
	return b, nil
}

// BodyRef looks a body and the chain of bodies above it up.
func (l *Ledger) BodyRef(ctx context.Context, code string) (domain.BodyRef, error) {
	if code == "" {
		return domain.BodyRef{}, domain.Errorf(domain.CodeInvalid, "to", "the receiving body is required")
	}
	b, err := l.Body(ctx, code)
	if err != nil || !b.Registered {
		return domain.BodyRef{Code: code}, err
	}
	ref := domain.BodyRef{Code: code, Known: true, Kind: b.Kind}
	for p := b.Parent; p != "" && len(ref.Ancestors) < 16; {
		ref.Ancestors = append(ref.Ancestors, p)
		pb, err := l.Body(ctx, p)
		if err != nil {
			return domain.BodyRef{}, err
		}
		p = pb.Parent
	}
	return ref, nil
}
