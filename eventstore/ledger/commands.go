package ledger

import (
	"context"
	"time"

	"github.com/catalogue/catalogue/domain"
)

func foldItem(s *stream) domain.Item {
	var it domain.Item
	for _, e := range s.decoded {
		it = domain.EvolveItem(it, e)
	}
	return it
}

// staleReservation is how long a code reservation whose item was never
// listed (its writer died between the two appends) keeps the code from
// others. A retry of the same command completes the listing at any time.
const staleReservation = time.Minute

// ListItem (新增) lists a new item. The item's id derives from the command
// id. The code is reserved first in the code's reservation stream, which is
// what keeps codes unique among items in force across concurrent writers.
func (l *Ledger) ListItem(ctx context.Context, req Request, c domain.ListItem) (Result, error) {
	if err := req.validate(); err != nil {
		return Result{}, err
	}
	req.ExpectedRevision = nil // a new item has no revision to expect
	c.ItemID = DerivedID(req.CommandID, "item")
	itemStream := domain.ItemStream(c.ItemID)
	// A retry needs no check here: each of the two appends below recognises
	// its own earlier event by the command id and records nothing.
	if c.Code != "" {
		_, err := l.execute(ctx, req, domain.ItemCodeStream(c.Code), func(s *stream) ([]domain.Event, error) {
			if err := l.canList(ctx, s, c); err != nil {
				return nil, err
			}
			return []domain.Event{domain.ItemCodeReserved{Code: c.Code, ItemID: c.ItemID}}, nil
		})
		if err != nil {
			return Result{}, err
		}
	}
	res, err := l.execute(ctx, req, itemStream, func(s *stream) ([]domain.Event, error) {
		return domain.DecideListItem(foldItem(s), c)
	})
	res.ID = c.ItemID
	return res, err
}

// canList decides a listing against the code's reservation stream s: the
// listing's own rules first, so invalid input never reserves a code, then
// whether another item in force holds the code.
func (l *Ledger) canList(ctx context.Context, s *stream, c domain.ListItem) error {
	holder, err := l.codeHolder(ctx, s, c.ItemID)
	if err != nil {
		return err
	}
	c.CodeHeldBy = holder
	_, err = domain.DecideListItem(domain.Item{}, c)
	return err
}

// codeHolder returns the item that holds the code in force, or "" if the
// code is free for item self.
func (l *Ledger) codeHolder(ctx context.Context, s *stream, self string) (string, error) {
	if len(s.decoded) == 0 {
		return "", nil
	}
	last := len(s.decoded) - 1
	r, ok := s.decoded[last].(domain.ItemCodeReserved)
	if !ok || r.ItemID == self {
		return "", nil
	}
	holder, err := l.load(ctx, domain.ItemStream(r.ItemID))
	if err != nil {
		return "", err
	}
	it := foldItem(holder)
	switch {
	case it.Listed && !it.Revoked:
		return r.ItemID, nil
	case it.Listed: // revoked: the code is free again
		return "", nil
	case l.now().Sub(s.events[last].RecordedAt) < staleReservation:
		return r.ItemID, nil // being listed right now
	default:
		return "", nil // the listing never completed
	}
}

// AmendItem (变更) amends an item.
func (l *Ledger) AmendItem(ctx context.Context, req Request, itemID string, c domain.AmendItem) (Result, error) {
	return l.onItem(ctx, req, itemID, func(it domain.Item) ([]domain.Event, error) { return domain.DecideAmendItem(it, c) })
}

// RevokeItem (取消) revokes an item and ends its delegations.
func (l *Ledger) RevokeItem(ctx context.Context, req Request, itemID string, c domain.RevokeItem) (Result, error) {
	return l.onItem(ctx, req, itemID, func(it domain.Item) ([]domain.Event, error) { return domain.DecideRevokeItem(it, c) })
}

// DelegateItem delegates (下放/委托/赋权) an item to body c.To.Code; the
// ledger looks the body and its ancestors up. The delegation id derives from
// the command id and is returned as Result.ID.
func (l *Ledger) DelegateItem(ctx context.Context, req Request, itemID string, c domain.DelegateItem) (Result, error) {
	ref, err := l.BodyRef(ctx, c.To.Code)
	if err != nil {
		return Result{}, err
	}
	c.To = ref
	c.DelegationID = DerivedID(req.CommandID, "delegation")
	c.Jurisdiction = l.jurisdiction
	res, err := l.onItem(ctx, req, itemID, func(it domain.Item) ([]domain.Event, error) { return domain.DecideDelegateItem(it, c) })
	res.ID = c.DelegationID
	return res, err
}

// AcceptDelegation (承接) records that the receiving body took a power over.
func (l *Ledger) AcceptDelegation(ctx context.Context, req Request, itemID string, c domain.AcceptDelegation) (Result, error) {
	return l.onItem(ctx, req, itemID, func(it domain.Item) ([]domain.Event, error) { return domain.DecideAcceptDelegation(it, c) })
}

// WithdrawDelegation (收回) takes a delegated power back.
func (l *Ledger) WithdrawDelegation(ctx context.Context, req Request, itemID string, c domain.WithdrawDelegation) (Result, error) {
	return l.onItem(ctx, req, itemID, func(it domain.Item) ([]domain.Event, error) { return domain.DecideWithdrawDelegation(it, c) })
}

func (l *Ledger) onItem(ctx context.Context, req Request, itemID string, decide func(domain.Item) ([]domain.Event, error)) (Result, error) {
	if itemID == "" {
		return Result{}, domain.Errorf(domain.CodeInvalid, "itemId", "an item id is required")
	}
	res, err := l.execute(ctx, req, domain.ItemStream(itemID), func(s *stream) ([]domain.Event, error) {
		return decide(foldItem(s))
	})
	res.ID = itemID
	return res, err
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
	s, err := l.load(ctx, domain.BodyStream(code))
	if err != nil {
		return domain.Body{}, err
	}
	b = domain.Body{Code: code}
	for _, e := range s.decoded {
		b = domain.EvolveBody(b, e)
	}
	if b.Registered {
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

// RegisterBody registers a body under its (registered) parent.
func (l *Ledger) RegisterBody(ctx context.Context, req Request, code, name string, kind domain.BodyKind, parent string, ch domain.Change) (Result, error) {
	c := domain.RegisterBody{Code: code, Name: name, Kind: kind, Change: ch}
	if parent != "" {
		p, err := l.Body(ctx, parent)
		if err != nil {
			return Result{}, err
		}
		c.Parent = &p
	}
	res, err := l.execute(ctx, req, domain.BodyStream(code), func(s *stream) ([]domain.Event, error) {
		var b domain.Body
		for _, e := range s.decoded {
			b = domain.EvolveBody(b, e)
		}
		return domain.DecideRegisterBody(b, c)
	})
	res.ID = code
	return res, err
}

// PublishEdition publishes a named edition.
func (l *Ledger) PublishEdition(ctx context.Context, req Request, c domain.PublishEdition) (Result, error) {
	if c.Name == "" {
		return Result{}, domain.Errorf(domain.CodeInvalid, "name", "an edition needs a name, e.g. 2023年版")
	}
	res, err := l.execute(ctx, req, domain.EditionStream(c.Name), func(s *stream) ([]domain.Event, error) {
		var ed domain.Edition
		for _, e := range s.decoded {
			ed = domain.EvolveEdition(ed, e)
		}
		return domain.DecidePublishEdition(ed, c)
	})
	res.ID = c.Name
	return res, err
}

// CheckListItem tells, without writing, whether ListItem with this request
// would succeed now — or has already been recorded by it (nil as well).
// Importers use it to refuse a whole file before recording any of it.
func (l *Ledger) CheckListItem(ctx context.Context, req Request, c domain.ListItem) error {
	if err := req.validate(); err != nil {
		return err
	}
	c.ItemID = DerivedID(req.CommandID, "item")
	s, err := l.load(ctx, domain.ItemCodeStream(c.Code))
	if err != nil {
		return err
	}
	return l.canList(ctx, s, c)
}
