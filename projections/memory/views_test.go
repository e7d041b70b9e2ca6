package memory

import (
	"testing"

	"github.com/catalogue/catalogue/projections/projectionstest"
)

// TestViewsCoverEveryEvent: every view has decided, for every event type of
// the domain's registry, to handle it or to ignore it. A new event type
// fails here, naming each view that lacks it, until the view says which.
func TestViewsCoverEveryEvent(t *testing.T) {
	projectionstest.RequireCoverage(t, tables()...)
}
