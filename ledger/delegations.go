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

// DelegationCheck is CheckDelegations' verdict on one planned delegation:
// Already when the same command is recorded (by an earlier run of the same
// batch), else Err, the refusal DelegateItem would answer, or nil.
type DelegationCheck struct {
	Already bool
	Err     error
}

// CheckDelegations tells, without writing, what DelegateItem would answer
// for each delegation of a batch if the batch were recorded in order: each
// is decided on its item as the log holds it plus the earlier delegations
// of the batch that would succeed, so two rows handing the same power to
// the same body are refused here, before anything is recorded. A machine
// failure (reading the log) is the error; refusals are per delegation.
func (l *Ledger) CheckDelegations(ctx context.Context, batch []PlannedDelegation) ([]DelegationCheck, error) {
	out := make([]DelegationCheck, len(batch))
	b := batchState{streams: map[string]*stream{}, states: map[string]domain.Item{}}
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

// checkDelegation checks one planned delegation against the batch's state
// and folds its events into it when it would succeed.
func (l *Ledger) checkDelegation(ctx context.Context, p PlannedDelegation, b batchState) (DelegationCheck, error) {
	if p.ItemID == "" {
		return DelegationCheck{Err: domain.Errorf(domain.CodeInvalid, "itemId", "an item id is required")}, nil
	}
	if err := p.Req.validate(); err != nil {
		return DelegationCheck{Err: err}, nil
	}
	asked, c, err := l.delegation(ctx, p.Req, p.Command)
	if err != nil {
		return refusalOrFailure(err)
	}
	req, err := p.Req.fingerprint("DelegateItem", itemPayload(p.ItemID, asked))
	if err != nil {
		return DelegationCheck{Err: err}, nil
	}
	agg := itemAggregate(p.ItemID)
	s, ok := b.streams[p.ItemID]
	if !ok {
		if s, err = l.load(ctx, agg.Stream); err != nil {
			return DelegationCheck{}, err
		}
		b.streams[p.ItemID] = s
	}
	if _, ok, err := s.recorded(req); ok || err != nil {
		return DelegationCheck{Already: ok, Err: err}, nil
	}
	st, ok := b.states[p.ItemID]
	if !ok {
		st = agg.fold(s)
	}
	events, err := domain.DecideDelegateItem(st, c)
	if err != nil {
		return DelegationCheck{Err: err}, nil
	}
	for _, e := range events {
		st = domain.EvolveItem(st, e)
	}
	b.states[p.ItemID] = st
	return DelegationCheck{}, nil
}

// refusalOrFailure sorts an error into a domain refusal (a verdict) or a
// machine failure (returned).
func refusalOrFailure(err error) (DelegationCheck, error) {
	if domain.ErrorCode(err) != "" {
		return DelegationCheck{Err: err}, nil
	}
	return DelegationCheck{}, err
}
