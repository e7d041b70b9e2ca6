package memory

import (
	"maps"
	"slices"
	"testing"

	"github.com/catalogue/catalogue/projections"
)

// TestViewsCoverEveryEvent: every view has decided, for every event type of
// the domain's registry, to handle it or to ignore it. A new event type
// fails here, naming each view that lacks it, until the view says which.
func TestViewsCoverEveryEvent(t *testing.T) {
	missing := projections.MissingHandlers(tables()...)
	for _, view := range slices.Sorted(maps.Keys(missing)) {
		t.Errorf("view %s has no handler and no Ignore for %v: handle it (On) in the view's file or list it as ignored in projections/ignores.go", view, missing[view])
	}
}
