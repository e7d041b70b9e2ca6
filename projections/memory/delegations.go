package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// delegation is everything recorded about one delegation, each fact with
// the position that recorded it. There are as many as half the events of a
// log, so the delegating event is kept in compact form: interned strings
// and packed dates.
type delegation struct {
	item   *item
	id     string // also its key in Store.delegations
	parent string // the parent delegation's id, "" for none
	scope  []string
	pos    eventstore.Position

	from, to, mode, basis, reason sym
	effectiveFrom, effectiveUntil day

	accepted  mark
	withdrawn mark // its own withdrawal or its parent's
	revoked   mark // ended by its item's revocation
}

// delegate records a delegation of item it; from and to are the syms of
// e.From and e.To. A repeated delegation id changes nothing.
func (s *Store) delegate(it *item, e domain.ItemDelegated, pos eventstore.Position, from, to sym) {
	if _, dup := s.delegations[e.DelegationID]; dup {
		return
	}
	d := &delegation{
		item: it, id: strings.Clone(e.DelegationID), parent: e.ParentDelegationID, pos: pos,
		from: from, to: to, mode: s.syms.intern(string(e.Mode)),
		basis: s.syms.intern(e.Basis), reason: s.syms.intern(e.Reason),
		effectiveFrom: dayOf(e.EffectiveFrom), effectiveUntil: dayOf(e.EffectiveUntil),
	}
	if p := s.delegations[d.parent]; p != nil {
		d.parent = p.id // shared rather than copied
	} else {
		d.parent = strings.Clone(d.parent)
	}
	if len(e.Scope) > 0 {
		d.scope = make([]string, len(e.Scope))
		for i, code := range e.Scope {
			d.scope[i] = s.syms.str(s.syms.intern(code))
		}
	}
	s.delegations[d.id] = d
	it.delegations = append(it.delegations, d)
	s.allDel.add(d)
	indexBy(s.byTo, to, d)
	if from != 0 {
		indexBy(s.byFrom, from, d)
	}
}

func indexBy(m map[sym]*sortedIndex[*delegation], key sym, d *delegation) {
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
		EffectiveFrom: d.effectiveFrom.date(), EffectiveUntil: d.effectiveUntil.date(),
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
		ID: d.id, ItemID: d.item.id, ItemCode: itemFacts.Code, ItemName: itemFacts.Name,
		From: s.syms.str(d.from), ParentID: d.parent, To: s.syms.str(d.to), Mode: domain.Mode(s.syms.str(d.mode)),
		EffectiveFrom: f.EffectiveFrom, EffectiveUntil: f.EffectiveUntil,
		Accepted: f.Accepted, AcceptedFrom: f.AcceptedFrom,
		WithdrawnFrom: f.WithdrawnFrom, RevokedFrom: f.RevokedFrom,
		Status: f.StatusOn(day), Basis: s.syms.str(d.basis), Reason: s.syms.str(d.reason), Position: d.pos,
	}
	if b := s.bodies[v.To]; b != nil {
		v.ToName = b.Name
	}
	if len(d.scope) > 0 {
		v.Scope = make([]domain.SubItem, len(d.scope))
		for i, code := range d.scope {
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
		if d.pos > asOf || q.Body != "" && s.syms.str(d.to) != q.Body || q.From != "" && s.syms.str(d.from) != q.From ||
			q.ItemID != "" && d.item.id != q.ItemID || q.Mode != "" && s.syms.str(d.mode) != string(q.Mode) {
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
		return s.indexed(s.byTo, q.Body)
	case q.From != "":
		return s.indexed(s.byFrom, q.From)
	}
	return s.allDel.inOrder()
}

func (s *Store) indexed(m map[sym]*sortedIndex[*delegation], code string) []*delegation {
	if b, ok := s.syms.lookup(code); ok && m[b] != nil {
		return m[b].inOrder()
	}
	return nil
}
