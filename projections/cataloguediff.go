package projections

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
)

// CataloguePoint is one side of a catalogue diff: a published edition's
// content, or the catalogue in force on a date as known at a position.
// Exactly one of Edition and InForceOn is given.
type CataloguePoint struct {
	Edition   string
	InForceOn domain.Date
	// AsOf is the log position read, 0 for the latest: for a date, the
	// facts known then; for an edition, the position by which it must be
	// published (its content is fixed by its publication).
	AsOf eventstore.Position
}

// PointRead is one side of a catalogue diff as read: the edition, when
// one was asked for, and the axes its items were read at (an edition's
// effective date and content position), so that anything read further
// about an item reads it as it was compared.
type PointRead struct {
	Edition *Edition
	Axes
}

// CatalogueDiff is what changed between two points of the catalogue:
// Added are items of To that From lacks, Removed items of From that To
// lacks, Amended items of both whose particulars differ.
type CatalogueDiff struct {
	From, To PointRead
	Changes
}

// CatalogueViews is what a catalogue diff reads: the catalogue, and the
// editions to find an edition published by a point's position.
type CatalogueViews interface {
	CatalogueView
	EditionsView
}

// DiffCatalogue compares the catalogue at two points, each read whole
// through the Catalogue query in pages of MaxPageSize, with the one
// comparison of CompareItems. It is written once on the views' interface,
// not in each store, so every store answers it identically. The latest
// position is read once: a point without AsOf reads where the first such
// page was read, so both sides, and every page of each, see one log.
//
// INVALID_INPUT (field "from" or "to") for a point with both or neither
// of Edition and InForceOn; EDITION_NOT_FOUND for an edition not
// published by the point's position.
func DiffCatalogue(ctx context.Context, v CatalogueViews, from, to CataloguePoint) (CatalogueDiff, error) {
	if err := from.validate("from"); err != nil {
		return CatalogueDiff{}, err
	}
	if err := to.validate("to"); err != nil {
		return CatalogueDiff{}, err
	}
	r := pointReader{v: v}
	before, fromRead, err := r.read(ctx, from)
	if err != nil {
		return CatalogueDiff{}, err
	}
	after, toRead, err := r.read(ctx, to)
	if err != nil {
		return CatalogueDiff{}, err
	}
	return CatalogueDiff{From: fromRead, To: toRead, Changes: CompareItems(before, after)}, nil
}

func (p CataloguePoint) validate(field string) error {
	if (p.Edition == "") == p.InForceOn.IsZero() {
		return domain.Errorf(domain.CodeInvalid, field, "give an edition or an inForceOn date, exactly one of them")
	}
	return nil
}

// pointReader reads the points of one diff, pinning "latest" to the
// position the first unpinned read was answered at.
type pointReader struct {
	v      CatalogueViews
	latest eventstore.Position
}

// read returns the items of a point in code order and the axes they were
// read at.
func (r *pointReader) read(ctx context.Context, p CataloguePoint) ([]Item, PointRead, error) {
	q := CatalogueQuery{Page: Page{First: MaxPageSize}}
	var read PointRead
	if p.Edition != "" {
		ed, err := r.v.Edition(ctx, p.Edition, p.AsOf)
		if err != nil {
			return nil, PointRead{}, err
		}
		q.Edition = ed.Name
		read = PointRead{Edition: &ed, Axes: Axes{InForceOn: ed.EffectiveFrom, AsOf: ed.ContentAsOf}}
	} else {
		q.Axes = Axes{InForceOn: p.InForceOn, AsOf: p.AsOf}
		if q.AsOf == 0 {
			q.AsOf = r.latest
		}
	}
	var items []Item
	for {
		page, err := r.v.Catalogue(ctx, q)
		if err != nil {
			return nil, PointRead{}, err
		}
		items = append(items, page.Items...)
		if q.Edition == "" && q.After == "" {
			// The first page fixes the position the later pages read (a
			// position beyond the checkpoint is read as the checkpoint,
			// which may move), and "latest" for the other side.
			if q.AsOf == 0 {
				r.latest = page.AsOf
			}
			q.AsOf = page.AsOf
		}
		if !page.HasNextPage {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, PointRead{}, err
		}
		q.After = page.EndCursor
	}
	if q.Edition == "" {
		read = PointRead{Axes: Axes{InForceOn: p.InForceOn, AsOf: q.AsOf}}
	}
	return items, read, nil
}
