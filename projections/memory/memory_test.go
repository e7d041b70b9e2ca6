package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

func TestContract(t *testing.T) {
	projectionstest.Run(t, func(*testing.T) projections.Store { return memory.New() })
}

// A generated city (the benchmark's log, smaller) projects and answers.
func TestGeneratedCity(t *testing.T) {
	log := eventmemory.New()
	defer log.Close()
	shape := projectionstest.CityShape
	shape.Items = 300
	n, err := projectionstest.Generate(ctx, log, shape)
	require.NoError(t, err)
	s := memory.New()
	pos, err := projections.Rebuild(ctx, log, s)
	require.NoError(t, err)
	require.Equal(t, n, int(pos))

	on := projections.Axes{InForceOn: domain.MustDate("2025-06-01")}
	cat, err := s.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: on, Status: projections.ItemAnyStatus})
	require.NoError(t, err)
	require.Equal(t, shape.Items, cat.Total)
	powers, err := s.Views().Delegations(ctx, projections.DelegationQuery{Axes: on, Body: "370211"})
	require.NoError(t, err)
	require.Greater(t, powers.Total, shape.Items/2, "most items are delegated to each district")
	eds, err := s.Views().Editions(ctx, 0)
	require.NoError(t, err)
	require.Len(t, eds, 3)
	diff, err := s.Views().EditionDiff(ctx, eds[0].Name, eds[2].Name, 0)
	require.NoError(t, err)
	require.NotEmpty(t, diff.Added)
}
