package memory

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

func bodyCursor(b *projections.Body) projections.Cursor { return projections.Cursor{Key: b.Code} }

// bodyOn reports whether body b is registered by asOf with a registration
// in effect on day d.
func bodyOn(b *projections.Body, d domain.Date, asOf eventstore.Position) bool {
	return b.Position <= asOf && !d.Before(b.RegisteredFrom)
}

// Body implements projections.Queries.
func (s *Store) Body(ctx context.Context, code string, at projections.Axes) (projections.Body, error) {
	if err := (projections.BodyQuery{Axes: at}).Validate(); err != nil {
		return projections.Body{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.Body{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	asOf := projections.ReadAt(at.AsOf, s.checkpoint)
	b := s.bodies[code]
	if b == nil || !bodyOn(b, at.InForceOn, asOf) {
		return projections.Body{}, domain.Errorf(domain.CodeBodyNotFound, "code", "no body %s registered on %s as of position %d", code, at.InForceOn, asOf)
	}
	return *b, nil
}

// Bodies implements projections.Queries.
func (s *Store) Bodies(ctx context.Context, q projections.BodyQuery) (projections.BodyPage, error) {
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	asOf := projections.ReadAt(q.AsOf, s.checkpoint)
	for _, b := range s.bodyOrder.inOrder() {
		if bodyOn(b, q.InForceOn, asOf) && (q.Kind == "" || b.Kind == q.Kind) && (q.Parent == "" || b.Parent == q.Parent) {
			page.Add(bodyCursor(b), func() projections.Body { return *b })
		}
	}
	return projections.BodyPage{Bodies: page.Rows, Total: page.Total, PageInfo: page.Info(), AsOf: asOf}, nil
}
