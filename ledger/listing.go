package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

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
	// A listing that completed: a retry, or a command id reused.
	if res, ok, err := l.listed(ctx, req, domain.ItemStream(c.ItemID), true); ok || err != nil {
		res.ID = c.ItemID
		return res, err
	}
	ctx, cancel := writing(ctx)
	defer cancel()
	codes := codeAggregate(c.Code)
	rr, s, err := run(ctx, l, req, codes, func(st codeState) ([]domain.Event, error) {
		events, err := l.decideListing(ctx, st, c, true)
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
		return Result{}, fmt.Errorf("%s revision %d: command %s's reservation is not in the stream read", codes.Stream, rr.Revision, req.CommandID)
	}
	r, ok := s.decoded[i].(domain.ItemCodeReserved)
	if !ok {
		return Result{}, fmt.Errorf("%s revision %d: command %s recorded %T, not a reservation", codes.Stream, rr.Revision, req.CommandID, s.decoded[i])
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
// else gives eventstore.ErrWrongExpectedRevision. This is the one append
// outside Execute: it decides nothing, it carries out what the
// reservation decided.
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
	res, _, err := run(ctx, l, req, itemAggregate(c.ItemID), func(it domain.Item) ([]domain.Event, error) {
		return domain.DecideListItem(it, c)
	})
	return res, err
}

// decideListing decides a listing against the code's reservation state:
// the listing's own rules first, so invalid input never reserves a code,
// then whether another item holds the code. With complete, a reservation
// of another item found unfinished is completed first (see ListItem).
func (l *Ledger) decideListing(ctx context.Context, st codeState, c domain.ListItem, complete bool) ([]domain.Event, error) {
	if _, err := domain.DecideListItem(domain.Item{}, c); err != nil {
		return nil, err
	}
	holder, err := l.codeHolder(ctx, st, c.ItemID, complete)
	if err != nil {
		return nil, err
	}
	c.CodeHeldBy = holder
	return domain.DecideListItem(domain.Item{}, c)
}

// codeHolder returns the item that holds the code, or "" if the code is
// free for item self.
func (l *Ledger) codeHolder(ctx context.Context, st codeState, self string, complete bool) (string, error) {
	if st.last == nil || st.last.ItemID == self {
		return "", nil
	}
	holds, err := l.holds(ctx, *st.rec, *st.last, complete)
	if !holds || err != nil {
		return "", err
	}
	return st.last.ItemID, nil
}

// holds tells whether the item reservation rec (decoded: r) names holds
// its code: it is listed with that code and not revoked, or it will be —
// its reservation carries the listing, which complete appends now. The
// rule is the domain's; the ledger measures the reservation's age on its
// clock, so the rule reads none.
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
	agg := itemAggregate(id)
	s, err := l.load(ctx, agg.Stream)
	if err != nil {
		return domain.Item{}, err
	}
	return agg.fold(s), nil
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
	codes := codeAggregate(c.Code)
	s, err := l.load(ctx, codes.Stream)
	if err != nil {
		return err
	}
	if _, ok, err := s.recorded(req); ok || err != nil {
		return err
	}
	_, err = l.decideListing(ctx, codes.fold(s), c, false)
	return err
}
