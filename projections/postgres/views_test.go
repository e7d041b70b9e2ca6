package postgres

import (
	"testing"

	"github.com/catalogue/catalogue/projections/projectionstest"
)

// TestViewsCoverEveryEvent: every table that writes a batch has decided,
// for every event type of the domain's registry, to handle it or to ignore
// it. A new event type fails here, naming each table that lacks it.
func TestViewsCoverEveryEvent(t *testing.T) {
	projectionstest.RequireCoverage(t, writeTables()...)
}
