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
	id     string // also its key in delegationsView.delegations
	parent string // the parent delegation's id, "" for none
	scope  []string
	pos    eventstore.Position

	from, to, mode, basis, reason sym
	effectiveFrom, effectiveUntil day

	accepted  mark
	withdrawn mark // its own withdrawal or its parent's
	revoked   mark // ended by its item's revocation
}

// delegationsView is every delegation, indexed by receiving and by
// delegating body. It reads the catalogue (the item a delegation belongs
// to, and its particulars for names) and the bodies (receivers' names).
type delegationsView struct {
	*core
	cat  *catalogueView
	bods *bodiesView

	delegations map[string]*delegation
	all         *sortedIndex[*delegation]
	byTo        map[sym]*sortedIndex[*delegation]
	byFrom      map[sym]*sortedIndex[*delegation]
}

func newDelegationsView(c *core, cat *catalogueView, bods *bodiesView) *delegationsView {
	return &delegationsView{core: c, cat: cat, bods: bods, delegations: map[string]*delegation{},
		all: newSortedIndex(delegationCursor), byTo: map[sym]*sortedIndex[*delegation]{}, byFrom: map[sym]*sortedIndex[*delegation]{}}
}

// delegationsHandlers is how the delegations view applies events. A
// reference to an unknown delegation changes nothing here.
var delegationsHandlers = func() *projections.Handlers[*delegationsView] {
	h := projections.NewHandlers[*delegationsView](projections.ViewDelegations)
	projections.On(h, func(v *delegationsView, e domain.ItemDelegated, env *projections.Envelope) {
		v.delegate(v.cat.item(e.ItemID), e, env.Position)
	})
	projections.On(h, func(v *delegationsView, e domain.DelegationAccepted, env *projections.Envelope) {
		v.set(e.DelegationID, func(d *delegation) *mark { return &d.accepted }, e.EffectiveFrom, env.Position)
	})
	projections.On(h, func(v *delegationsView, e domain.DelegationWithdrawn, env *projections.Envelope) {
		v.set(e.DelegationID, func(d *delegation) *mark { return &d.withdrawn }, e.EffectiveFrom, env.Position)
		for _, id := range e.Ended {
			v.set(id, func(d *delegation) *mark { return &d.withdrawn }, e.EffectiveFrom, env.Position)
		}
	})
	projections.On(h, func(v *delegationsView, e domain.ItemRevoked, env *projections.Envelope) {
		for _, id := range e.Ended {
			v.set(id, func(d *delegation) *mark { return &d.revoked }, e.EffectiveFrom, env.Position)
		}
	})
	return h
}()

// set sets a mark of delegation id, if it is known.
func (v *delegationsView) set(id string, m func(*delegation) *mark, from domain.Date, pos eventstore.Position) {
	if d := v.delegations[id]; d != nil {
		m(d).set(from, pos)
	}
}

// delegate records a delegation of item it. A repeated delegation id
// changes nothing.
func (v *delegationsView) delegate(it *item, e domain.ItemDelegated, pos eventstore.Position) {
	if _, dup := v.delegations[e.DelegationID]; dup {
		return
	}
	s := v.core
	from, to := s.syms.intern(e.From), s.syms.intern(e.To)
	d := &delegation{
		item: it, id: strings.Clone(e.DelegationID), parent: e.ParentDelegationID, pos: pos,
		from: from, to: to, mode: s.syms.intern(string(e.Mode)),
		basis: s.syms.intern(e.Basis), reason: s.syms.intern(e.Reason),
		effectiveFrom: dayOf(e.EffectiveFrom), effectiveUntil: dayOf(e.EffectiveUntil),
	}
	if p := v.delegations[d.parent]; p != nil {
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
	v.delegations[d.id] = d
	it.delegations = append(it.delegations, d)
	v.all.add(d)
	indexBy(v.byTo, to, d)
	if from != 0 {
		indexBy(v.byFrom, from, d)
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

// view builds the delegation as read on day at asOf; itemFacts are its
// item's particulars on that day.
func (v *delegationsView) view(d *delegation, day domain.Date, asOf eventstore.Position, itemFacts domain.ItemFacts) projections.Delegation {
	s, f := v.core, d.facts(asOf)
	out := projections.Delegation{
		ID: d.id, ItemID: d.item.id, ItemCode: itemFacts.Code, ItemName: itemFacts.Name,
		From: s.syms.str(d.from), ParentID: d.parent, To: s.syms.str(d.to), Mode: domain.Mode(s.syms.str(d.mode)),
		EffectiveFrom: f.EffectiveFrom, EffectiveUntil: f.EffectiveUntil,
		Accepted: f.Accepted, AcceptedFrom: f.AcceptedFrom,
		WithdrawnFrom: f.WithdrawnFrom, RevokedFrom: f.RevokedFrom,
		Status: f.StatusOn(day), Basis: s.syms.str(d.basis), Reason: s.syms.str(d.reason), Position: d.pos,
	}
	if b := v.bods.bodies[out.To]; b != nil {
		out.ToName = b.Name
	}
	if len(d.scope) > 0 {
		out.Scope = make([]domain.SubItem, len(d.scope))
		for i, code := range d.scope {
			out.Scope[i].Code = code
			if j := slices.IndexFunc(itemFacts.SubItems, func(si domain.SubItem) bool { return si.Code == code }); j >= 0 {
				out.Scope[i].Name = itemFacts.SubItems[j].Name
			}
		}
	}
	return out
}

// Delegations implements projections.DelegationsView.
func (v *delegationsView) Delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error) {
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
	asOf := v.rlock(q.AsOf)
	defer v.mu.RUnlock()
	s, day := v.core, q.InForceOn
	for _, d := range v.candidates(q) {
		if d.pos > asOf || q.Body != "" && s.syms.str(d.to) != q.Body || q.From != "" && s.syms.str(d.from) != q.From ||
			q.ItemID != "" && d.item.id != q.ItemID || q.Mode != "" && s.syms.str(d.mode) != string(q.Mode) {
			continue
		}
		if !projections.WantsStatus(statuses, d.facts(asOf).StatusOn(day)) {
			continue
		}
		page.Add(delegationCursor(d), func() projections.Delegation {
			return v.view(d, day, asOf, d.item.factsOn(day, asOf))
		})
	}
	return projections.DelegationPage{Delegations: page.Rows, Total: page.Total, PageInfo: page.Info(), AsOf: asOf}, nil
}

// delegationCandidates returns, in cursor order, the smallest indexed set
// of delegations that holds every answer to q.
func (v *delegationsView) candidates(q projections.DelegationQuery) []*delegation {
	switch {
	case q.ItemID != "":
		if it := v.cat.items[q.ItemID]; it != nil {
			return it.delegations // one code: position order is cursor order
		}
		return nil
	case q.Body != "":
		return v.indexed(v.byTo, q.Body)
	case q.From != "":
		return v.indexed(v.byFrom, q.From)
	}
	return v.all.inOrder()
}

func (v *delegationsView) indexed(m map[sym]*sortedIndex[*delegation], code string) []*delegation {
	if b, ok := v.syms.lookup(code); ok && m[b] != nil {
		return m[b].inOrder()
	}
	return nil
}
