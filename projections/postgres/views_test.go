package postgres

import (
	"maps"
	"slices"
	"testing"

	"github.com/catalogue/catalogue/projections"
)

// TestViewsCoverEveryEvent: every table that writes a batch has decided,
// for every event type of the domain's registry, to handle it or to ignore
// it. A new event type fails here, naming each table that lacks it.
func TestViewsCoverEveryEvent(t *testing.T) {
	missing := projections.MissingHandlers(writeTables()...)
	for _, view := range slices.Sorted(maps.Keys(missing)) {
		t.Errorf("table %s has no handler and no Ignore for %v: handle it (On) in the view's file or list it as ignored in projections/ignores.go", view, missing[view])
	}
}
