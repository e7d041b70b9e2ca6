package graph

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/projections"
)

// catalogueQuery turns the schema's catalogue filter into the read side's
// query (axes left to the caller: an edition fixes its own).
func catalogueQuery(f *model.CatalogueFilter, p projections.Page) projections.CatalogueQuery {
	q := projections.CatalogueQuery{Page: p}
	if f == nil {
		return q
	}
	q.Department, q.Level, q.Text = deref(f.Department), deref(f.Level), deref(f.Text)
	q.Status = deref(f.Status)
	if deref(f.All) {
		q.Status = projections.ItemAnyStatus
	}
	return q
}

// itemConnection reads a page of the catalogue (q.Page from page(first,
// …)); nested fields of its items read on day at the position the page was
// read at.
func (r *Resolver) itemConnection(ctx context.Context, q projections.CatalogueQuery, first *int, day domain.Date) (*model.ItemConnection, error) {
	p, err := r.views(ctx).Catalogue(ctx, q)
	if err != nil {
		return nil, err
	}
	at := projections.Axes{InForceOn: day, AsOf: p.AsOf}
	items, info := firstRows(first, p.Items, p.PageInfo)
	return &model.ItemConnection{Nodes: model.Items(items, at), PageInfo: pageInfo(info), TotalCount: p.Total, AsOf: p.AsOf}, nil
}

// delegationConnection reads a page of delegations (q.Page from
// page(first, …)).
func (r *Resolver) delegationConnection(ctx context.Context, q projections.DelegationQuery, first *int) (*model.DelegationConnection, error) {
	p, err := r.views(ctx).Delegations(ctx, q)
	if err != nil {
		return nil, err
	}
	at := projections.Axes{InForceOn: q.InForceOn, AsOf: p.AsOf}
	ds, info := firstRows(first, p.Delegations, p.PageInfo)
	return &model.DelegationConnection{Nodes: model.Delegations(ds, at), PageInfo: pageInfo(info), TotalCount: p.Total, AsOf: p.AsOf}, nil
}

// pageInfo converts the read side's page info; an empty end cursor is null.
func pageInfo(p projections.PageInfo) *model.PageInfo {
	return &model.PageInfo{EndCursor: ptr(p.EndCursor), HasNextPage: p.HasNextPage}
}
