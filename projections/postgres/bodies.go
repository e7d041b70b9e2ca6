package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// bodiesView is the bodies as a generation's tables hold it; its queries are the
// store's, run on the generation (see read).
type bodiesView struct{ gen }

// Body implements projections.BodiesView.
func (v bodiesView) Body(ctx context.Context, code string, at projections.Axes) (projections.Body, error) {
	return read(ctx, v.gen, func(s *Store) (projections.Body, error) { return s.body(ctx, code, at) })
}

// Bodies implements projections.BodiesView.
func (v bodiesView) Bodies(ctx context.Context, q projections.BodyQuery) (projections.BodyPage, error) {
	return read(ctx, v.gen, func(s *Store) (projections.BodyPage, error) { return s.bodies(ctx, q) })
}

// bodyList returns the bodies registered by asOf with a registration in
// effect on day d.
func (s *Store) bodyList(d domain.Date, asOf eventstore.Position) *list {
	l := &list{name: projections.ListBodies, from: s.sql("FROM {s}.bodies b"),
		cols: "b.code, b.name, b.kind, b.parent, b.registered_from, b.basis, b.position",
		key:  "b.code", total: true, args: pgx.NamedArgs{"asof": pos(asOf), "d": pgDate(d)}}
	l.filter("b.position <= @asof", "", nil)
	l.filter("(b.registered_from IS NULL OR b.registered_from <= @d)", "", nil)
	return l
}

func scanBody(rows pgx.Rows) (projections.Body, projections.Cursor, error) {
	var b projections.Body
	var kind string
	var from pgtype.Date
	var p int64
	if err := rows.Scan(&b.Code, &b.Name, &kind, &b.Parent, &from, &b.Basis, &p); err != nil {
		return b, projections.Cursor{}, err
	}
	b.Kind, b.RegisteredFrom, b.Position = domain.BodyKind(kind), fromPGDate(from), eventstore.Position(p)
	return b, projections.Cursor{Key: b.Code}, nil
}

// body answers projections.BodiesView.Body.
func (s *Store) body(ctx context.Context, code string, at projections.Axes) (projections.Body, error) {
	if err := (projections.BodyQuery{Axes: at}).Validate(); err != nil {
		return projections.Body{}, err
	}
	asOf, err := s.readAt(ctx, at.AsOf)
	if err != nil {
		return projections.Body{}, err
	}
	l := s.bodyList(at.InForceOn, asOf)
	l.filter("b.code = @code", "code", code)
	l.total = false
	bodies, _, _, err := page(ctx, s.db, l, nil, scanBody)
	if err != nil {
		return projections.Body{}, s.fail("body", err)
	}
	if len(bodies) == 0 {
		return projections.Body{}, domain.Errorf(domain.CodeBodyNotFound, "code", "no body %s registered on %s as of position %d", code, at.InForceOn, asOf)
	}
	return bodies[0], nil
}

// bodies answers projections.BodiesView.Bodies.
func (s *Store) bodies(ctx context.Context, q projections.BodyQuery) (projections.BodyPage, error) {
	if err := q.Validate(); err != nil {
		return projections.BodyPage{}, err
	}
	asOf, err := s.readAt(ctx, q.AsOf)
	if err != nil {
		return projections.BodyPage{}, err
	}
	l := s.bodyList(q.InForceOn, asOf)
	if q.Kind != "" {
		l.filter("b.kind = @kind", "kind", string(q.Kind))
	}
	if q.Parent != "" {
		l.filter("b.parent = @parent", "parent", q.Parent)
	}
	bodies, total, info, err := page(ctx, s.db, l, &q.Page, scanBody)
	if err != nil {
		return projections.BodyPage{}, s.fail("bodies", err)
	}
	return projections.BodyPage{Bodies: bodies, Total: total, PageInfo: info, AsOf: asOf}, nil
}

// bodiesWrites is how the bodies view applies events to a batch: a body is
// registered once (within the batch here, across batches by ON CONFLICT).
var bodiesWrites = func() *projections.Handlers[*writer] {
	h := projections.NewHandlers[*writer](projections.ViewBodies)
	projections.On(h, func(w *writer, e domain.BodyRegistered, env *projections.Envelope) {
		if !w.bodies[e.Code] {
			w.bodies[e.Code] = true
			w.bodyRows = append(w.bodyRows, []any{e.Code, e.Name, string(e.Kind), e.Parent, pgDate(e.EffectiveFrom), e.Basis, pos(env.Position)})
		}
	})
	return h
}()
