package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

func foldItem(s *stream) domain.Item {
	var it domain.Item
	for _, e := range s.decoded {
		it = domain.EvolveItem(it, e)
	}
	return it
}

// ListItem (新增) lists a new item. The item's id derives from the command
// id. The code is reserved first in the code's reservation stream, which is
// what keeps codes unique among items in force across concurrent writers.
//
// The reservation carries the listing it was decided for and is the
// listing's commit point: once it is recorded the listing happens, whether
// this call appends it to the item's stream or — if this process dies or
// fails first — a retry of the command, or the next command that meets the
// reservation, does. Each of them appends the same event (same id, same
// metadata), so however many try, the item is listed once, by the command
// that reserved the code, and the code's holder is always the item the
// reservation names.
func (l *Ledger) ListItem(ctx context.Context, req Request, c domain.ListItem) (Result, error) {
	if err := req.validate(); err != nil {
		return Result{}, err
	}
	req.ExpectedRevision = nil // a new item has no revision to expect
	req, err := listRequest(req, &c)
	if err != nil {
		return Result{}, err
	}
	if c.Code == "" {
		_, err := domain.DecideListItem(domain.Item{}, c) // refuses the missing code
		return Result{}, err
	}
	itemStream := domain.ItemStream(c.ItemID)
	// A listing that completed: a retry, or a command id reused.
	if res, ok, err := l.listed(ctx, req, itemStream, true); ok || err != nil {
		res.ID = c.ItemID
		return res, err
	}
	ctx, cancel := writing(ctx)
	defer cancel()
	codeStream := domain.ItemCodeStream(c.Code)
	rr, s, err := l.executeOn(ctx, req, codeStream, func(s *stream) ([]domain.Event, error) {
		events, err := l.decideListing(ctx, s, c, true)
		if err != nil {
			return nil, err
		}
		listed := events[0].(domain.ItemListed)
		return []domain.Event{domain.ItemCodeReserved{Code: c.Code, ItemID: c.ItemID, Listing: &listed}}, nil
	})
	if err != nil {
		return Result{}, err
	}
	i, found := s.at(rr.Revision)
	if !found {
		return Result{}, fmt.Errorf("%s revision %d: command %s's reservation is not in the stream read", codeStream, rr.Revision, req.CommandID)
	}
	r, ok := s.decoded[i].(domain.ItemCodeReserved)
	if !ok {
		return Result{}, fmt.Errorf("%s revision %d: command %s recorded %T, not a reservation", codeStream, rr.Revision, req.CommandID, s.decoded[i])
	}
	var res Result
	if r.Listing == nil {
		res, err = l.listUnderOldReservation(ctx, req, c, rr.Revision)
	} else {
		res, err = l.completeOwn(ctx, req, s.events[i], r)
	}
	res.ID = c.ItemID
	return res, err
}

// listRequest fingerprints a listing as the caller gave it and sets the
// item id it derives from the command id.
func listRequest(req Request, c *domain.ListItem) (Request, error) {
	c.ItemID, c.CodeHeldBy = "", "" // the ledger's to set
	req, err := req.fingerprint("ListItem", c)
	c.ItemID = DerivedID(req.CommandID, "item")
	return req, err
}

// listed returns the result of the command's listing if its item's stream
// holds it.
func (l *Ledger) listed(ctx context.Context, req Request, name string, useCache bool) (Result, bool, error) {
	s, _, err := l.stream(ctx, name, useCache)
	if err != nil {
		return Result{}, false, err
	}
	res, ok, err := s.recorded(req)
	if !ok && err == nil && s.version() > 0 {
		err = fmt.Errorf("%s was begun by another command than %s", name, req.CommandID)
	}
	return res, ok, err
}

// completeOwn completes the command's own listing from its reservation.
func (l *Ledger) completeOwn(ctx context.Context, req Request, rec eventstore.RecordedEvent, r domain.ItemCodeReserved) (Result, error) {
	name := domain.ItemStream(r.ItemID)
	ar, err := l.complete(ctx, rec, r)
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		// Completed meanwhile by another: what the log holds is the answer.
		res, ok, err := l.listed(ctx, req, name, false)
		if !ok && err == nil {
			err = fmt.Errorf("%s refused the listing reserved in %s revision %d but holds nothing", name, rec.Stream, rec.Revision)
		}
		return res, err
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Stream: name, Revision: ar.NextExpected, Position: ar.Position, Events: []domain.Event{*r.Listing}}, nil
}

// complete appends the listing reservation rec (decoded: r) carries to its
// item's stream, as the command that reserved appends it: the same event
// id and the same metadata (actor, command id and fingerprint, time of
// decision), expecting an empty stream. A second completion is recognised
// by the log as a retry and records nothing; a stream that holds something
// else gives eventstore.ErrWrongExpectedRevision.
func (l *Ledger) complete(ctx context.Context, rec eventstore.RecordedEvent, r domain.ItemCodeReserved) (eventstore.AppendResult, error) {
	var meta eventstore.Metadata
	if err := json.Unmarshal(rec.Metadata, &meta); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("%s revision %d: metadata: %w", rec.Stream, rec.Revision, err)
	}
	typ, data, err := domain.Encode(*r.Listing)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	name := domain.ItemStream(r.ItemID)
	ev := []eventstore.EventData{{ID: eventstore.EventID(meta.CommandID, name, 0), Type: typ, Data: data, Metadata: rec.Metadata}}
	wctx, cancel := writing(ctx)
	defer cancel()
	ar, err := l.store.Append(wctx, name, eventstore.NoStream(), ev)
	if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		err = fmt.Errorf("complete the listing reserved in %s revision %d: %w", rec.Stream, rec.Revision, err)
	}
	return ar, err
}

// listUnderOldReservation lists the item of a command whose reservation
// (at revision rev of the code's stream) was written before reservations
// carried their listing. Such a reservation lapsed after domain.StaleReservation:
// if the code was reserved again since, listing now would put a second
// item in force with the code, so it is refused.
func (l *Ledger) listUnderOldReservation(ctx context.Context, req Request, c domain.ListItem, rev uint64) (Result, error) {
	s, err := l.load(ctx, domain.ItemCodeStream(c.Code))
	if err != nil {
		return Result{}, err
	}
	if rev+1 < s.version() {
		return Result{}, domain.Errorf(domain.CodeCodeTaken, "code",
			"the reservation of code %s this command made was never completed and lapsed, and the code has been reserved again since; list the item anew, with a new command id", c.Code)
	}
	return l.execute(ctx, req, domain.ItemStream(c.ItemID), func(s *stream) ([]domain.Event, error) {
		return domain.DecideListItem(foldItem(s), c)
	})
}

// decideListing decides a listing against the code's reservation stream s:
// the listing's own rules first, so invalid input never reserves a code,
// then whether another item holds the code. With complete, a reservation
// of another item found unfinished is completed first (see ListItem).
func (l *Ledger) decideListing(ctx context.Context, s *stream, c domain.ListItem, complete bool) ([]domain.Event, error) {
	if _, err := domain.DecideListItem(domain.Item{}, c); err != nil {
		return nil, err
	}
	holder, err := l.codeHolder(ctx, s, c.ItemID, complete)
	if err != nil {
		return nil, err
	}
	c.CodeHeldBy = holder
	return domain.DecideListItem(domain.Item{}, c)
}

// codeHolder returns the item that holds the code, or "" if the code is
// free for item self.
func (l *Ledger) codeHolder(ctx context.Context, s *stream, self string, complete bool) (string, error) {
	if len(s.decoded) == 0 {
		return "", nil
	}
	last := len(s.decoded) - 1
	r, ok := s.decoded[last].(domain.ItemCodeReserved)
	if !ok || r.ItemID == self {
		return "", nil
	}
	holds, err := l.holds(ctx, s.events[last], r, complete)
	if !holds || err != nil {
		return "", err
	}
	return r.ItemID, nil
}

// holds tells whether the item reservation rec (decoded: r) names holds
// its code: it is listed with that code and not revoked, or it will be —
// its reservation carries the listing, which complete appends now.
func (l *Ledger) holds(ctx context.Context, rec eventstore.RecordedEvent, r domain.ItemCodeReserved, complete bool) (bool, error) {
	it, err := l.item(ctx, r.ItemID)
	if err != nil {
		return false, err
	}
	if !it.Listed && r.Listing != nil && complete {
		if _, err := l.complete(ctx, rec, r); err != nil && !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			return false, err
		}
		if it, err = l.item(ctx, r.ItemID); err != nil {
			return false, err
		}
	}
	return domain.ReservationHolds(r, it, l.now().Sub(rec.RecordedAt)), nil
}

// item returns an item's state as the log holds it.
func (l *Ledger) item(ctx context.Context, id string) (domain.Item, error) {
	s, err := l.load(ctx, domain.ItemStream(id))
	if err != nil {
		return domain.Item{}, err
	}
	return foldItem(s), nil
}

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
	asked := c // what the caller asked, before the ledger fills in
	asked.To, asked.DelegationID, asked.Jurisdiction = domain.BodyRef{Code: c.To.Code}, "", ""
	ref, err := l.BodyRef(ctx, c.To.Code)
	if err != nil {
		return Result{}, err
	}
	c.To = ref
	c.DelegationID = DerivedID(req.CommandID, "delegation")
	c.Jurisdiction = l.jurisdiction
	res, err := l.onItem(ctx, req, "DelegateItem", itemID, asked, func(it domain.Item) ([]domain.Event, error) { return domain.DecideDelegateItem(it, c) })
	res.ID = c.DelegationID
	return res, err
}

// AcceptDelegation (承接) records that the receiving body took a power over.
func (l *Ledger) AcceptDelegation(ctx context.Context, req Request, itemID string, c domain.AcceptDelegation) (Result, error) {
	return l.onItem(ctx, req, "AcceptDelegation", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideAcceptDelegation(it, c) })
}

// WithdrawDelegation (收回) takes a delegated power back.
func (l *Ledger) WithdrawDelegation(ctx context.Context, req Request, itemID string, c domain.WithdrawDelegation) (Result, error) {
	return l.onItem(ctx, req, "WithdrawDelegation", itemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideWithdrawDelegation(it, c) })
}

// onItem runs a command of kind on an existing item; payload is the
// command as the caller gave it, which the request's fingerprint covers.
func (l *Ledger) onItem(ctx context.Context, req Request, kind, itemID string, payload any, decide func(domain.Item) ([]domain.Event, error)) (Result, error) {
	if itemID == "" {
		return Result{}, domain.Errorf(domain.CodeInvalid, "itemId", "an item id is required")
	}
	req, err := req.fingerprint(kind, struct {
		ItemID  string `json:"itemId"`
		Command any    `json:"command"`
	}{itemID, payload})
	if err != nil {
		return Result{}, err
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
	req, err := req.fingerprint("RegisterBody", struct {
		Code   string          `json:"code"`
		Name   string          `json:"name"`
		Kind   domain.BodyKind `json:"kind"`
		Parent string          `json:"parent"`
		Change domain.Change   `json:"change"`
	}{code, name, kind, parent, ch})
	if err != nil {
		return Result{}, err
	}
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
	req, err := req.fingerprint("PublishEdition", c)
	if err != nil {
		return Result{}, err
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
	req.ExpectedRevision = nil
	req, err := listRequest(req, &c)
	if err != nil {
		return err
	}
	if c.Code == "" {
		_, err := domain.DecideListItem(domain.Item{}, c)
		return err
	}
	if _, ok, err := l.listed(ctx, req, domain.ItemStream(c.ItemID), false); ok || err != nil {
		return err
	}
	s, err := l.load(ctx, domain.ItemCodeStream(c.Code))
	if err != nil {
		return err
	}
	if _, ok, err := s.recorded(req); ok || err != nil {
		return err
	}
	_, err = l.decideListing(ctx, s, c, false)
	return err
}
