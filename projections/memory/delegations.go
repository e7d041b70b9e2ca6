package memory

import (
	"context"
	"slices"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// delegation is everything recorded about one delegation, each fact with
// the position that recorded it.
type delegation struct {
	item *item
	e    domain.ItemDelegated
	pos  eventstore.Position

	accepted  mark
	withdrawn mark // its own withdrawal or its parent's
	revoked   mark // ended by its item's revocation
}

func (s *Store) delegate(e domain.ItemDelegated, pos eventstore.Position) {
	if _, dup := s.delegations[e.DelegationID]; dup {
		return
	}
	it := s.item(e.ItemID)
	d := &delegation{item: it, e: e, pos: pos}
	s.delegations[e.DelegationID] = d
	it.delegations = append(it.delegations, d)
	s.allDel.add(d)
	indexBy(s.byTo, e.To, d)
	if e.From != "" {
		indexBy(s.byFrom, e.From, d)
	}
}

func indexBy(m map[string]*sortedIndex[*delegation], key string, d *delegation) {
	x := m[key]
	if x == nil {
		x = newSortedIndex(delegationCursor)
		m[key] = x
	}
	x.add(d)
}

func delegationCursor(d *delegation) projections.Cursor {
	return projections.Cursor{Key: d.item.facts.Code, Pos: d.pos}
}

// facts returns what is recorded about the delegation up to asOf.
func (d *delegation) facts(asOf eventstore.Position) projections.DelegationFacts {
	return projections.DelegationFacts{
		EffectiveFrom: d.e.EffectiveFrom, EffectiveUntil: d.e.EffectiveUntil,
		Accepted: d.accepted.at(asOf), AcceptedFrom: d.accepted.dateAt(asOf),
		Withdrawn: d.withdrawn.at(asOf), WithdrawnFrom: d.withdrawn.dateAt(asOf),
		Revoked: d.revoked.at(asOf), RevokedFrom: d.revoked.dateAt(asOf),
	}
}

// delegationView builds the delegation as read on day at asOf; itemFacts
// are its item's particulars on that day.
func (s *Store) delegationView(d *delegation, day domain.Date, asOf eventstore.Position, itemFacts domain.ItemFacts) projections.Delegation {
	f := d.facts(asOf)
	v := projections.Delegation{
		ID: d.e.DelegationID, ItemID: d.e.ItemID, ItemCode: itemFacts.Code, ItemName: itemFacts.Name,
		From: d.e.From, ParentID: d.e.ParentDelegationID, To: d.e.To, Mode: d.e.Mode,
		EffectiveFrom: f.EffectiveFrom, EffectiveUntil: f.EffectiveUntil,
		Accepted: f.Accepted, AcceptedFrom: f.AcceptedFrom,
		WithdrawnFrom: f.WithdrawnFrom, RevokedFrom: f.RevokedFrom,
		Status: f.StatusOn(day), Basis: d.e.Basis, Reason: d.e.Reason, Position: d.pos,
	}
	if b := s.bodies[d.e.To]; b != nil {
		v.ToName = b.Name
	}
	if len(d.e.Scope) > 0 {
		v.Scope = make([]domain.SubItem, len(d.e.Scope))
		for i, code := range d.e.Scope {
			v.Scope[i].Code = code
			if j := slices.IndexFunc(itemFacts.SubItems, func(si domain.SubItem) bool { return si.Code == code }); j >= 0 {
				v.Scope[i].Name = itemFacts.SubItems[j].Name
			}
		}
	}
	return v
}

// Delegations implements projections.Queries.
func (s *Store) Delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error) {
	statuses, err := q.Validate()
	if err != nil {
		return projections.DelegationPage{}, err
	}
	page, err := projections.NewPaginator[projections.Delegation](projections.ListDelegations, q.Page)
	if err != nil {
		return projections.DelegationPage{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.DelegationPage{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	asOf := projections.ReadAt(q.AsOf, s.checkpoint)
	day := q.InForceOn
	for _, d := range s.delegationCandidates(q) {
		if d.pos > asOf || q.Body != "" && d.e.To != q.Body || q.From != "" && d.e.From != q.From ||
			q.ItemID != "" && d.e.ItemID != q.ItemID || q.Mode != "" && d.e.Mode != q.Mode {
			continue
		}
		if !projections.WantsStatus(statuses, d.facts(asOf).StatusOn(day)) {
			continue
		}
		page.Add(delegationCursor(d), func() projections.Delegation {
			return s.delegationView(d, day, asOf, d.item.factsOn(day, asOf))
		})
	}
	return projections.DelegationPage{Delegations: page.Rows, Total: page.Total, PageInfo: page.Info(), AsOf: asOf}, nil
}

// delegationCandidates returns, in cursor order, the smallest indexed set
// of delegations that holds every answer to q.
func (s *Store) delegationCandidates(q projections.DelegationQuery) []*delegation {
	switch {
	case q.ItemID != "":
		if it := s.items[q.ItemID]; it != nil {
			return it.delegations // one code: position order is cursor order
		}
		return nil
	case q.Body != "":
		return indexed(s.byTo, q.Body)
	case q.From != "":
		return indexed(s.byFrom, q.From)
	}
	return s.allDel.inOrder()
}

func indexed(m map[string]*sortedIndex[*delegation], key string) []*delegation {
	if x := m[key]; x != nil {
		return x.inOrder()
	}
	return nil
}
