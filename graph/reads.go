package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/projections"
)

// item reads one item at the given axes, through the request's loader: a
// page of delegations of the same item asks for it once.
func (r *Resolver) item(ctx context.Context, q projections.ItemQuery) (*model.Item, error) {
	it, err := loadersFrom(ctx).items.get(q, func() (projections.Item, error) { return r.views(ctx).Item(ctx, q) })
	if err != nil {
		return nil, err
	}
	return &model.Item{Item: it, At: q.Axes}, nil
}

// body reads one body at the given axes, through the request's loader: the
// delegations of a page mostly go to a few bodies.
func (r *Resolver) body(ctx context.Context, code string, at projections.Axes) (*model.Body, error) {
	b, err := loadersFrom(ctx).bodies.get(bodyKey{code, at}, func() (projections.Body, error) { return r.views(ctx).Body(ctx, code, at) })
	if err != nil {
		return nil, err
	}
	return &model.Body{Body: b, At: at}, nil
}

// written waits until the read models include a mutation's position and
// returns the axes that read exactly what it wrote: today, as of that
// position. A retried mutation thus returns the same object as the first.
func (r *Resolver) written(ctx context.Context, pos eventstore.Position) (projections.Axes, error) {
	if err := r.await(ctx, &pos, nil); err != nil {
		return projections.Axes{}, err
	}
	return projections.Axes{InForceOn: r.today(), AsOf: pos}, nil
}

// delegation finds a delegation in its item as read at the given axes.
func (r *Resolver) delegation(ctx context.Context, itemID, delegationID string, at projections.Axes) (*model.Delegation, error) {
	it, err := r.item(ctx, projections.ItemQuery{Axes: at, ID: itemID})
	if err != nil {
		return nil, err
	}
	for _, d := range it.Delegations {
		if d.ID == delegationID {
			return &model.Delegation{Delegation: d, At: at}, nil
		}
	}
	return nil, domain.Errorf(domain.CodeDelegationNotFound, "delegationId", "item %s has no delegation %s", it.Code, delegationID)
}

// allPages collects every page of a list whose page size the caller does
// not choose (an item's delegations).
func allPages[T any](ctx context.Context, fetch func(after string) ([]T, projections.PageInfo, error)) ([]T, error) {
	var out []T
	after := ""
	for {
		rows, info, err := fetch(after)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if !info.HasNextPage {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		after = info.EndCursor
	}
}

// page is the read side's page of first rows after a cursor. first: 0
// asks for no rows — Relay's reading, and a cheap way to ask only for a
// totalCount or whether rows follow — which the read side, where 0 means
// the default size, cannot express: it is asked for one row, which
// firstRows then drops.
func page(first *int, after *string) projections.Page {
	p := projections.Page{First: deref(first), After: deref(after)}
	if first != nil && *first == 0 {
		p.First = 1
	}
	return p
}

// firstRows is what a connection shows of a page read with page(first,
// …): for first: 0 no rows, and whether any follow.
func firstRows[T any](first *int, rows []T, info projections.PageInfo) ([]T, projections.PageInfo) {
	if first == nil || *first != 0 {
		return rows, info
	}
	return rows[:0], projections.PageInfo{HasNextPage: len(rows) > 0}
}

// Loaders memoise the reads one operation repeats (an item or a body that
// many rows of a page point to), so nested fields do not read the same
// thing again for every row. They live for one operation: a later
// operation reads afresh.
type loaders struct {
	items  memo[projections.ItemQuery, projections.Item]
	bodies memo[bodyKey, projections.Body]

	viewsOnce sync.Once
	views     projections.Views
}

// views returns the read models' views for the operation of ctx, taken
// from read once per operation: every field of an operation reads the
// same generation of a PostgreSQL read model, even if a rebuild switches
// generations meanwhile. Outside an operation each call takes them anew.
func (r *Resolver) views(ctx context.Context) projections.Views {
	l := loadersFrom(ctx)
	l.viewsOnce.Do(func() { l.views = r.read.Views() })
	return l.views
}

type bodyKey struct {
	code string
	at   projections.Axes
}

type loadersKey struct{}

// withLoaders gives an operation its loaders.
func withLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, loadersKey{}, &loaders{}))
}

func loadersFrom(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return &loaders{} // outside an operation: no sharing
}

// memo runs each load once per key, however many resolvers ask for it at
// once (gqlgen resolves fields concurrently).
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*memoEntry[V]
}

type memoEntry[V any] struct {
	once sync.Once
	v    V
	err  error
}

func (m *memo[K, V]) get(k K, load func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[K]*memoEntry[V]{}
	}
	e := m.m[k]
	if e == nil {
		e = &memoEntry[V]{}
		m.m[k] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v, e.err = load() })
	return e.v, e.err
}
