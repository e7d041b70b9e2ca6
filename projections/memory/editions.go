package memory

import (
	"context"
	"sync"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// edition is a published edition. Its content never changes (it is read at
// the position before its publication), so it is computed once, by the
// first reader that needs it, and kept.
type edition struct {
	view  projections.Edition
	once  sync.Once
	items []projections.Item // in cursor order
}

// editionsView is every published edition and every draft (drafts.go).
// An edition's content is read from the catalogue.
type editionsView struct {
	*core
	cat      *catalogueView
	editions map[string]*edition
	order    []*edition // in order of publication
	drafts   drafts
}

func newEditionsView(c *core, cat *catalogueView) *editionsView {
	return &editionsView{core: c, cat: cat, editions: map[string]*edition{}, drafts: drafts{byName: map[string]*projections.Draft{}}}
}

// editionsHandlers is how the editions view applies events: an edition is
// published once; a second publication of its name changes nothing. The
// drafts' handlers are in drafts.go.
var editionsHandlers = func() *projections.Handlers[*editionsView] {
	h := projections.NewHandlers[*editionsView](projections.ViewEditions)
	projections.On(h, func(v *editionsView, e domain.EditionPublished, env *projections.Envelope) {
		if _, dup := v.editions[e.Name]; !dup {
			ed := newEdition(e, env)
			v.editions[e.Name] = ed
			v.order = append(v.order, ed)
		}
	})
	onDrafts(h)
	return h
}()

func newEdition(e domain.EditionPublished, env *projections.Envelope) *edition {
	return &edition{view: projections.Edition{
		Name: e.Name, Basis: e.Basis, Reason: e.Reason, EffectiveFrom: e.EffectiveFrom,
		Actor: env.Meta.Actor, RecordedAt: env.RecordedAt, Position: env.Position, ContentAsOf: env.Position - 1,
	}}
}

// content returns the catalogue in force on the edition's date as
// recorded strictly before its publication. The caller holds the read lock:
// every event before the edition is applied, so the content is final.
func (v *editionsView) content(ed *edition) []projections.Item {
	ed.once.Do(func() {
		d, asOf := ed.view.EffectiveFrom, ed.view.ContentAsOf
		ed.items = []projections.Item{}
		for _, it := range v.cat.itemOrder.inOrder() {
			if it.listed.at(asOf) && it.statusOn(d, asOf) == projections.ItemInForce {
				ed.items = append(ed.items, v.cat.itemView(it, d, asOf, false))
			}
		}
		ed.view.ItemCount = len(ed.items)
	})
	return ed.items
}

// edition finds a published edition by asOf, its content computed.
func (v *editionsView) edition(name string, asOf eventstore.Position) (*edition, error) {
	ed := v.editions[name]
	if ed == nil || ed.view.Position > asOf {
		return nil, domain.Errorf(projections.CodeEditionNotFound, "name", "no edition %s published as of position %d", name, asOf)
	}
	v.content(ed)
	return ed, nil
}

// Editions implements projections.EditionsView.
func (v *editionsView) Editions(ctx context.Context, asOf eventstore.Position) ([]projections.Edition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	asOf = v.rlock(asOf)
	defer v.mu.RUnlock()
	out := []projections.Edition{}
	for _, ed := range v.order {
		if ed.view.Position <= asOf {
			v.content(ed)
			out = append(out, ed.view)
		}
	}
	return out, nil
}

// Edition implements projections.EditionsView.
func (v *editionsView) Edition(ctx context.Context, name string, asOf eventstore.Position) (projections.Edition, error) {
	if err := ctx.Err(); err != nil {
		return projections.Edition{}, err
	}
	asOf = v.rlock(asOf)
	defer v.mu.RUnlock()
	ed, err := v.edition(name, asOf)
	if err != nil {
		return projections.Edition{}, err
	}
	return ed.view, nil
}

// EditionDiff implements projections.EditionsView.
func (v *editionsView) EditionDiff(ctx context.Context, from, to string, asOf eventstore.Position) (projections.EditionDiff, error) {
	if err := ctx.Err(); err != nil {
		return projections.EditionDiff{}, err
	}
	asOf = v.rlock(asOf)
	defer v.mu.RUnlock()
	a, err := v.edition(from, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	b, err := v.edition(to, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	return projections.Diff(a.view, b.view, a.items, b.items), nil
}
