package graph

import (
	"context"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/projections"
)

// diffItems are a diff's changes as the API shows them: removed items and
// the before of an amendment read at the axes of the first point, added
// items and the after at those of the second, so that a field read further
// (delegations, history) reads each item as it was compared. The edition
// diff and the catalogue diff share it.
type diffItems struct {
	added, removed []model.Item
	amended        []model.ItemChange
}

func newDiffItems(c projections.Changes, before, after projections.Axes) diffItems {
	out := diffItems{added: model.Items(c.Added, after), removed: model.Items(c.Removed, before), amended: make([]model.ItemChange, len(c.Amended))}
	for i, a := range c.Amended {
		out.amended[i] = model.ItemChange{Before: &model.Item{Item: a.Before, At: before}, After: &model.Item{Item: a.After, At: after}, Fields: a.Fields}
	}
	return out
}

// cataloguePoint is a point of the API as the read side takes it.
func cataloguePoint(p model.CataloguePoint) projections.CataloguePoint {
	out := projections.CataloguePoint{Edition: deref(p.Edition), AsOf: deref(p.AsOf)}
	if p.InForceOn != nil {
		out.InForceOn = *p.InForceOn
	}
	return out
}

// pointRead is a point as read, for the API.
func pointRead(p projections.PointRead) *model.CataloguePointRead {
	return &model.CataloguePointRead{Edition: p.Edition, InForceOn: p.InForceOn, AsOf: p.AsOf}
}

// awaitPoints waits for waitFor and for both points' positions, so that a
// point read as of a position just written sees it.
func (r *queryResolver) awaitPoints(ctx context.Context, waitFor *eventstore.Position, from, to model.CataloguePoint) error {
	if err := r.await(ctx, waitFor, from.AsOf); err != nil {
		return err
	}
	return r.await(ctx, nil, to.AsOf)
}
