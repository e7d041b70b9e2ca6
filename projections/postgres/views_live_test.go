package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres"
)

// TestViewsKeepTheirGeneration: views taken from a Live read model read the
// generation that was active when they were taken — a request that takes
// them once reads one generation, even while a rebuild switches — and once
// that generation is dropped they read the one active then instead of
// failing.
func TestViewsKeepTheirGeneration(t *testing.T) {
	log := freshCity(t)
	name := newReadModel(t)
	live := openLive(t, name, log, true)
	last, err := log.LastPosition(ctx)
	require.NoError(t, err)
	waitFor(t, live, last)
	before := live.Views()
	require.Equal(t, last, asOf(t, before))

	switched := make(chan struct{})
	done := make(chan postgres.RebuildResult, 1)
	go func() {
		res, err := postgres.Rebuild(ctx, needPostgres(t), name, log, postgres.RebuildOptions{
			Grace: 2 * time.Second,
			Progress: func(p postgres.RebuildProgress) {
				if p.Phase == "switched" {
					select {
					case <-switched:
					default:
						close(switched)
					}
				}
			},
		})
		if assertNoError(t, err) {
			done <- res
		}
		close(done)
	}()
	<-switched
	require.Eventually(t, func() bool { return live.Store().Schema() != name }, 10*time.Second, 10*time.Millisecond)

	// The projector now writes the new generation only.
	p := appendForeign(t, log)
	waitFor(t, live, p)
	require.Equal(t, p, asOf(t, live.Views()))
	require.Equal(t, last, asOf(t, before), "views taken before the switch read their generation")

	res, ok := <-done
	require.True(t, ok, "the rebuild failed")
	require.True(t, res.Dropped)
	require.Equal(t, p, asOf(t, before), "once their generation is dropped, the views read the active one")
}

// asOf is the position the catalogue view answers at.
func asOf(t *testing.T, v projections.Views) eventstore.Position {
	t.Helper()
	page, err := v.Catalogue(ctx, projections.CatalogueQuery{Axes: today, Page: projections.Page{First: 1}})
	require.NoError(t, err)
	return page.AsOf
}
