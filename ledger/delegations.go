package ledger

import (
	"context"

	"github.com/catalogue/catalogue/domain"
)

// PlannedDelegation is one delegation of a batch (a delegation document):
// the request and item it would be recorded with by DelegateItem.
type PlannedDelegation struct {
	Req     Request
	ItemID  string
	Command domain.DelegateItem
}

// Check is a batch check's verdict on one planned command: Already when
// the same command is recorded (by an earlier run of the same batch), else
// Err, the refusal the command would answer, or nil.
type Check struct {
	Already bool
	Err     error
}

// DelegationCheck is CheckDelegations' verdict on one planned delegation.
type DelegationCheck = Check

// CheckDelegations tells, without writing, what DelegateItem would answer
// for each delegation of a batch if the batch were recorded in order: each
// is decided on its item as the log holds it plus the earlier delegations
// of the batch that would succeed, so two rows handing the same power to
// the same body are refused here, before anything is recorded. A machine
// failure (reading the log) is the error; refusals are per delegation.
func (l *Ledger) CheckDelegations(ctx context.Context, batch []PlannedDelegation) ([]DelegationCheck, error) {
	out := make([]DelegationCheck, len(batch))
	b := newBatchState()
	for i, p := range batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		check, err := l.checkDelegation(ctx, p, b)
		if err != nil {
			return nil, err
		}
		out[i] = check
	}
	return out, nil
}

// batchState is the items a batch touches: each stream as read once, and
// each item as the batch's earlier delegations leave it.
type batchState struct {
	streams map[string]*stream
	states  map[string]domain.Item
}

func newBatchState() batchState {
	return batchState{streams: map[string]*stream{}, states: map[string]domain.Item{}}
}

// checkDelegation checks one planned delegation against the batch's state
// and folds its events into it when it would succeed.
func (l *Ledger) checkDelegation(ctx context.Context, p PlannedDelegation, b batchState) (DelegationCheck, error) {
	if err := planned(p.Req, p.ItemID); err != nil {
		return DelegationCheck{Err: err}, nil
	}
	asked, c, err := l.delegation(ctx, p.Req, p.Command)
	if err != nil {
		return refusalOrFailure(err)
	}
	return l.checkOnItem(ctx, b, p.Req, "DelegateItem", p.ItemID, asked, func(it domain.Item) ([]domain.Event, error) { return domain.DecideDelegateItem(it, c) })
}

// planned refuses a planned command on an item as onItem and Execute would
// before reading anything: no item id, or a request without a valid id.
func planned(req Request, itemID string) error {
	if itemID == "" {
		return domain.Errorf(domain.CodeInvalid, "itemId", "an item id is required")
	}
	return req.validate()
}

// checkOnItem decides one command of kind on an item as the batch has left
// it, without writing, as onItem would record it (payload is what the
// request's fingerprint covers), and folds its events into the batch's
// state when it would succeed.
func (l *Ledger) checkOnItem(ctx context.Context, b batchState, r Request, kind, itemID string, payload any, decide Decision[domain.Item]) (Check, error) {
	req, err := r.fingerprint(kind, itemPayload(itemID, payload))
	if err != nil {
		return Check{Err: err}, nil
	}
	agg := itemAggregate(itemID)
	s, ok := b.streams[itemID]
	if !ok {
		if s, err = l.load(ctx, agg.Stream); err != nil {
			return Check{}, err
		}
		b.streams[itemID] = s
	}
	if _, ok, err := s.recorded(req); ok || err != nil {
		return Check{Already: ok, Err: err}, nil
	}
	st, ok := b.states[itemID]
	if !ok {
		st = agg.fold(s)
	}
	events, err := decide(st)
	if err != nil {
		return Check{Err: err}, nil
	}
	for _, e := range events {
		st = domain.EvolveItem(st, e)
	}
	b.states[itemID] = st
	return Check{}, nil
}

// refusalOrFailure sorts an error into a domain refusal (a verdict) or a
// machine failure (returned).
func refusalOrFailure(err error) (DelegationCheck, error) {
	if domain.ErrorCode(err) != "" {
		return DelegationCheck{Err: err}, nil
	}
	return DelegationCheck{}, err
}

// PlannedRevocation is one revocation of a batch (a revocation list, 取消
// 事项目录): the request and item RevokeItem would be given.
type PlannedRevocation struct {
	Req     Request
	ItemID  string
	Command domain.RevokeItem
}

// CheckRevocations tells, without writing, what RevokeItem would answer for
// each revocation of a batch recorded in order, as CheckDelegations does
// for delegations: an item the batch revokes twice is refused the second
// time (ITEM_REVOKED) before anything is recorded.
func (l *Ledger) CheckRevocations(ctx context.Context, batch []PlannedRevocation) ([]Check, error) {
	out := make([]Check, len(batch))
	b := newBatchState()
	for i, p := range batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := planned(p.Req, p.ItemID); err != nil {
			out[i] = Check{Err: err}
			continue
		}
		c := p.Command
		check, err := l.checkOnItem(ctx, b, p.Req, "RevokeItem", p.ItemID, c, func(it domain.Item) ([]domain.Event, error) { return domain.DecideRevokeItem(it, c) })
		if err != nil {
			return nil, err
		}
		out[i] = check
	}
	return out, nil
}
