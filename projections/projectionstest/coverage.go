package projectionstest

import (
	"maps"
	"slices"
	"testing"

	"github.com/catalogue/catalogue/projections"
)

// RequireCoverage fails t, naming each table, when a table of a store has
// neither a handler nor an Ignore for an event type of the domain's
// registry: a new event type fails every store's coverage test until each
// of its views says what it does with it.
func RequireCoverage(t testing.TB, tables ...projections.Table) {
	t.Helper()
	missing := projections.MissingHandlers(tables...)
	for _, view := range slices.Sorted(maps.Keys(missing)) {
		t.Errorf("view %s has no handler and no Ignore for %v: handle it (On) in the view's file or list it as ignored in projections/ignores.go", view, missing[view])
	}
}
