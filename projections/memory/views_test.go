package memory

import (
	"testing"

	"github.com/catalogue/catalogue/projections"
)

// TestViewsCoverEveryEvent: every view has decided, for every event type of
// the domain's registry, to handle it or to ignore it. A new event type
// fails here, naming each view that lacks it, until the view says which.
func TestViewsCoverEveryEvent(t *testing.T) {
	for view, missing := range projections.MissingHandlers(tables()...) {
		t.Errorf("view %s has no handler and no Ignore for %v", view, missing)
	}
}
