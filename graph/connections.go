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

// itemConnection reads a page of the catalogue; nested fields of its items
// read on day at the position the page was read at.
func (r *Resolver) itemConnection(ctx context.Context, q projections.CatalogueQuery, day domain.Date) (*model.ItemConnection, error) {
	p, err := r.read.Catalogue(ctx, q)
	if err != nil {
		return nil, err
	}
	at := projections.Axes{InForceOn: day, AsOf: p.AsOf}
	return &model.ItemConnection{Nodes: model.Items(p.Items, at), PageInfo: pageInfo(p.PageInfo), TotalCount: p.Total, AsOf: p.AsOf}, nil
}

// delegationConnection reads a page of delegations.
func (r *Resolver) delegationConnection(ctx context.Context, q projections.DelegationQuery) (*model.DelegationConnection, error) {
	p, err := r.read.Delegations(ctx, q)
	if err != nil {
		return nil, err
	}
	at := projections.Axes{InForceOn: q.InForceOn, AsOf: p.AsOf}
	return &model.DelegationConnection{Nodes: model.Delegations(p.Delegations, at), PageInfo: pageInfo(p.PageInfo), TotalCount: p.Total, AsOf: p.AsOf}, nil
}

// pageInfo converts the read side's page info; an empty end cursor is null.
func pageInfo(p projections.PageInfo) *model.PageInfo {
	return &model.PageInfo{EndCursor: ptr(p.EndCursor), HasNextPage: p.HasNextPage}
}
