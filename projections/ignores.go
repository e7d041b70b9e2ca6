package projections

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/catalogue/catalogue/domain"
)

// The read side's views, by name. Every store has the same five, each
// answering its query interface (store.go), and names its handler tables
// after them, so that the decisions below hold in every store.
const (
	ViewCatalogue   = "catalogue"
	ViewBodies      = "bodies"
	ViewDelegations = "delegations"
	ViewEditions    = "editions"
	ViewLog         = "log" // records every event; its table says which bodies an event concerns
)

// ignored says, event by event, which views have nothing to do for it.
// Every other view handles it (On, in the store's file of that view), and
// each store's coverage test checks that every registered event is one or
// the other in every view: a new event type is decided here, once for all
// stores, beside its handlers in the views that apply it.
var ignored = []ignoreRow{
	// Particulars are the catalogue's; delegations read them when read.
	ignore[domain.ItemListed](ViewBodies, ViewDelegations, ViewEditions, ViewLog),
	ignore[domain.ItemAmended](ViewBodies, ViewDelegations, ViewEditions, ViewLog),
	// Delegations are the delegations view's, and concern bodies (log).
	ignore[domain.ItemDelegated](ViewCatalogue, ViewBodies, ViewEditions),
	ignore[domain.DelegationAccepted](ViewCatalogue, ViewBodies, ViewEditions),
	ignore[domain.DelegationWithdrawn](ViewCatalogue, ViewBodies, ViewEditions),
	// A revocation ends its item and its delegations (whose bodies it
	// concerns).
	ignore[domain.ItemRevoked](ViewBodies, ViewEditions),
	// A code reservation changes nothing until its item is listed; the
	// log records it under its item.
	ignore[domain.ItemCodeReserved](ViewCatalogue, ViewBodies, ViewDelegations, ViewEditions, ViewLog),
	ignore[domain.BodyRegistered](ViewCatalogue, ViewDelegations, ViewEditions),
	// An edition's content is the catalogue's, read at its position.
	ignore[domain.EditionPublished](ViewCatalogue, ViewBodies, ViewDelegations, ViewLog),
	// Drafts are versions in preparation, the editions view's; they
	// concern no body, and the log records them like every event.
	ignore[domain.DraftOpened](ViewCatalogue, ViewBodies, ViewDelegations, ViewLog),
	ignore[domain.DraftDiscarded](ViewCatalogue, ViewBodies, ViewDelegations, ViewLog),
}

type ignoreRow struct {
	event reflect.Type
	views []string
}

func ignore[E domain.Event](views ...string) ignoreRow {
	return ignoreRow{event: reflect.TypeFor[E](), views: views}
}

// DeclareIgnores records in each of a store's view tables the events its
// view ignores (by the table's View name). A table whose name is not a
// view's is a mistake in the program, found at start: it panics.
func DeclareIgnores(tables ...Table) {
	views := []string{ViewCatalogue, ViewBodies, ViewDelegations, ViewEditions, ViewLog}
	for _, t := range tables {
		if !slices.Contains(views, t.View()) {
			panic(fmt.Sprintf("projections: %q is not a view's name", t.View()))
		}
		for _, row := range ignored {
			if slices.Contains(row.views, t.View()) {
				t.ignore(row.event)
			}
		}
	}
}
