package memory

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// bodiesView is every registered body, by code and in code order.
type bodiesView struct {
	*core
	bodies map[string]*projections.Body
	order  *sortedIndex[*projections.Body]
}

func newBodiesView(c *core) *bodiesView {
	return &bodiesView{core: c, bodies: map[string]*projections.Body{}, order: newSortedIndex(bodyCursor)}
}

// bodiesHandlers is how the bodies view applies events: a body is
// registered once; a second registration of its code changes nothing.
var bodiesHandlers = func() *projections.Handlers[*bodiesView] {
	h := projections.NewHandlers[*bodiesView](projections.ViewBodies)
	projections.On(h, func(v *bodiesView, e domain.BodyRegistered, env *projections.Envelope) {
		code := v.syms.intern(e.Code)
		if _, dup := v.bodies[e.Code]; !dup {
			b := &projections.Body{Code: v.syms.str(code), Name: e.Name, Kind: e.Kind, Parent: e.Parent,
				RegisteredFrom: e.EffectiveFrom, Basis: e.Basis, Position: env.Position}
			v.bodies[b.Code] = b
			v.order.add(b)
		}
	})
	return h
}()

func bodyCursor(b *projections.Body) projections.Cursor { return projections.Cursor{Key: b.Code} }

// bodyOn reports whether body b is registered by asOf with a registration
// in effect on day d.
func bodyOn(b *projections.Body, d domain.Date, asOf eventstore.Position) bool {
	return b.Position <= asOf && !d.Before(b.RegisteredFrom)
}

// Body implements projections.BodiesView.
func (v *bodiesView) Body(ctx context.Context, code string, at projections.Axes) (projections.Body, error) {
	if err := (projections.BodyQuery{Axes: at}).Validate(); err != nil {
		return projections.Body{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.Body{}, err
	}
	asOf := v.rlock(at.AsOf)
	defer v.mu.RUnlock()
	b := v.bodies[code]
	if b == nil || !bodyOn(b, at.InForceOn, asOf) {
		return projections.Body{}, domain.Errorf(domain.CodeBodyNotFound, "code", "no body %s registered on %s as of position %d", code, at.InForceOn, asOf)
	}
	return *b, nil
}

// Bodies implements projections.BodiesView.
func (v *bodiesView) Bodies(ctx context.Context, q projections.BodyQuery) (projections.BodyPage, error) {
	if err := q.Validate(); err != nil {
		return projections.BodyPage{}, err
	}
	page, err := projections.NewPaginator[projections.Body](projections.ListBodies, q.Page)
	if err != nil {
		return projections.BodyPage{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.BodyPage{}, err
	}
	asOf := v.rlock(q.AsOf)
	defer v.mu.RUnlock()
	for _, b := range v.order.inOrder() {
		if bodyOn(b, q.InForceOn, asOf) && (q.Kind == "" || b.Kind == q.Kind) && (q.Parent == "" || b.Parent == q.Parent) {
			page.Add(bodyCursor(b), func() projections.Body { return *b })
		}
	}
	return projections.BodyPage{Bodies: page.Rows, Total: page.Total, PageInfo: page.Info(), AsOf: asOf}, nil
}
