package memory

import (
	"github.com/catalogue/catalogue/projections"
)

// The store's views, each in its own files with its handler table (the
// events it handles; those it ignores are the read side's list,
// projections.DeclareIgnores) and its queries:
//
//   - catalogue (items.go): items and their particulars over time;
//   - bodies (bodies.go): the bodies that receive delegations;
//   - delegations (delegations.go): who holds which power;
//   - editions (editions.go, drafts.go): published editions and their
//     content, and the drafts of the next one;
//   - log (logview.go, log.go, pack.go, audit.go): every event, for
//     histories, the audit log and PositionAt.
//
// A view may read others, named by its fields and wired here. Applying an
// event runs the views in the order below, so a view reads only views
// that have already applied the event: delegations read the catalogue's
// items (a delegation belongs to one) and the log reads the catalogue and
// the delegations (the item and the bodies an event concerns). Queries
// also read the views that are applied after them — the catalogue's Item
// lists the item's delegations, its stream's revision from the log, and
// an edition's items from the editions — which is safe because a query
// runs under the read lock, after whole batches.
func (s *Store) wire() {
	s.cat = newCatalogueView(&s.core)
	s.bods = newBodiesView(&s.core)
	s.dels = newDelegationsView(&s.core, s.cat, s.bods)
	s.eds = newEditionsView(&s.core, s.cat)
	s.log = newLogView(&s.core, s.cat, s.dels)
	s.cat.dels, s.cat.log, s.cat.eds = s.dels, s.log, s.eds
	s.views = projections.Views{CatalogueView: s.cat, BodiesView: s.bods, DelegationsView: s.dels, EditionsView: s.eds, LogView: s.log}
}

// apply folds one event of ours into every view, in dependency order; its
// kind is looked up once for all of their tables.
func (s *Store) apply(env *projections.Envelope) {
	k, _ := projections.KindOf(env.Event)
	catalogueHandlers.Apply(s.cat, k, env)
	bodiesHandlers.Apply(s.bods, k, env)
	delegationsHandlers.Apply(s.dels, k, env)
	editionsHandlers.Apply(s.eds, k, env)
	s.log.apply(k, env)
}

// tables are the views' handler tables, for the coverage test.
func tables() []projections.Table {
	return []projections.Table{catalogueHandlers, bodiesHandlers, delegationsHandlers, editionsHandlers, concernHandlers}
}

// The views' ignores are the read side's (projections.DeclareIgnores).
func init() { projections.DeclareIgnores(tables()...) }
