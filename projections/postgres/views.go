package postgres

import (
	"context"
	"errors"

	"github.com/catalogue/catalogue/projections"
)

// The store's views, each in the file of its queries: the catalogue
// (items.go), delegations (delegations.go), bodies (bodies.go), editions
// and their drafts (editions.go, drafts.go) and the log (audit.go). Each
// file also has the view's handler table, which writes a batch (see
// writer, apply.go): the events it handles; those it ignores are the read
// side's list (projections.DeclareIgnores).

// gen is the generation a view reads: a store, and for a Live read model
// the Live, which moves a query to the generation now active should the
// store's schema have been dropped under it (see read).
type gen struct {
	s    *Store
	live *Live
}

// views returns the views of the generation g.
func views(g gen) projections.Views {
	return projections.Views{CatalogueView: catalogueView{g}, DelegationsView: delegationsView{g},
		BodiesView: bodiesView{g}, EditionsView: editionsView{g}, LogView: logView{g}}
}

// Views implements projections.Store: the views of this store's schema.
func (s *Store) Views() projections.Views { return s.views }

// Views returns the views of the generation active now. Views taken once
// read that generation even after a rebuild switches to another: one
// request reads one generation. Should that generation be dropped under
// them (a rebuild's old generation, dropped after its grace period, by a
// process that missed the switch), a query reads the registry again and
// runs once more on the generation then active.
func (l *Live) Views() projections.Views { return l.Store().liveViews }

// read runs a query on the view's generation, or once more on the one a
// Live read model now finds active if the view's was dropped.
func read[T any](ctx context.Context, g gen, query func(*Store) (T, error)) (T, error) {
	v, err := query(g.s)
	if g.live != nil && errors.Is(err, ErrNotMigrated) && g.live.refresh(ctx) == nil && g.live.Store() != g.s {
		return query(g.live.Store())
	}
	return v, err
}

// The views' ignores are the read side's (projections.DeclareIgnores);
// the writer's load table, which is no view's, has its own (apply.go).
func init() {
	projections.DeclareIgnores(catalogueWrites, bodiesWrites, delegationsWrites, editionsWrites, concernHandlers)
}
