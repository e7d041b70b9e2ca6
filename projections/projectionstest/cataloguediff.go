package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// testCatalogueDiff checks the diff between any two points against the
// edition diff: the same catalogue read as editions, as dates at the
// editions' positions, or one of each, names the same changes.
func testCatalogueDiff(f *fixture) {
	t := f.t
	want, err := f.v.EditionDiff(ctx, edition2023, edition2025, 0)
	require.NoError(t, err)
	e2023, e2025 := want.From, want.To
	diff := func(from, to projections.CataloguePoint) projections.CatalogueDiff {
		t.Helper()
		got, err := projections.DiffCatalogue(ctx, f.v, from, to)
		require.NoError(t, err)
		return got
	}

	editions := diff(projections.CataloguePoint{Edition: edition2023}, projections.CataloguePoint{Edition: edition2025})
	require.Equal(t, want.Changes, editions.Changes)
	require.Equal(t, &e2023, editions.From.Edition)
	require.Equal(t, projections.Axes{InForceOn: e2023.EffectiveFrom, AsOf: e2023.ContentAsOf}, editions.From.Axes)

	// Dates read at the editions' content positions are the editions.
	dates := diff(projections.CataloguePoint{InForceOn: e2023.EffectiveFrom, AsOf: e2023.ContentAsOf},
		projections.CataloguePoint{InForceOn: e2025.EffectiveFrom, AsOf: e2025.ContentAsOf})
	require.Equal(t, want.Changes, dates.Changes)
	require.Nil(t, dates.From.Edition)
	require.Equal(t, projections.Axes{InForceOn: e2025.EffectiveFrom, AsOf: e2025.ContentAsOf}, dates.To.Axes)

	// An edition against a date at the latest position: the planning
	// department's amendment, recorded after the 2023 edition and
	// effective before it, is a change the edition never shows.
	mixed := diff(projections.CataloguePoint{Edition: edition2023}, projections.CataloguePoint{InForceOn: e2023.EffectiveFrom})
	require.Equal(t, f.lastPosition(), mixed.To.AsOf, "no asOf reads the latest position")
	require.Empty(t, mixed.Added)
	require.Empty(t, mixed.Removed)
	require.Len(t, mixed.Amended, 1)
	require.Equal(t, codePlanning, mixed.Amended[0].After.Code)
	require.Equal(t, []string{"department"}, mixed.Amended[0].Fields)
	require.Equal(t, deptNature, mixed.Amended[0].Before.Department)
	require.Equal(t, deptApproval, mixed.Amended[0].After.Department)

	// Two dates, both at the latest position: the grass item revoked and
	// listed again is one removed and one added item; the gas item is new.
	later := diff(projections.CataloguePoint{InForceOn: d("2023-12-31")}, projections.CataloguePoint{InForceOn: d("2025-06-01")})
	require.Equal(t, later.From.AsOf, later.To.AsOf)
	require.Equal(t, []string{codeGas, codeGrass}, itemCodes(later.Added))
	require.Equal(t, f.sc.items[codeGrass+"-2"], later.Added[1].ID)
	require.Equal(t, []string{codeGrass}, itemCodes(later.Removed))
	require.Equal(t, []string{codeForest}, itemCodes(changedItems(later.Amended)))
	require.Equal(t, []string{"name"}, later.Amended[0].Fields)

	same := diff(projections.CataloguePoint{InForceOn: d("2024-03-01")}, projections.CataloguePoint{InForceOn: d("2024-03-01")})
	require.Equal(t, projections.Changes{Added: []projections.Item{}, Removed: []projections.Item{}, Amended: []projections.ItemChange{}}, same.Changes)

	for _, bad := range []struct {
		from, to projections.CataloguePoint
		field    string
	}{
		{projections.CataloguePoint{}, projections.CataloguePoint{Edition: edition2023}, "from"},
		{projections.CataloguePoint{Edition: edition2023, InForceOn: d("2024-01-01")}, projections.CataloguePoint{Edition: edition2025}, "from"},
		{projections.CataloguePoint{Edition: edition2023}, projections.CataloguePoint{AsOf: 3}, "to"},
	} {
		_, err := projections.DiffCatalogue(ctx, f.v, bad.from, bad.to)
		requireCode(t, domain.CodeInvalid, err)
		var de *domain.Error
		require.ErrorAs(t, err, &de)
		require.Equal(t, bad.field, de.Field)
	}
	_, err = projections.DiffCatalogue(ctx, f.v, projections.CataloguePoint{Edition: edition2025, AsOf: f.sc.marks["edition2023"].pos},
		projections.CataloguePoint{InForceOn: d("2025-01-01")})
	requireCode(t, projections.CodeEditionNotFound, err)
}

// changedItems are the items of changes as they are after.
func changedItems(changes []projections.ItemChange) []projections.Item {
	out := make([]projections.Item, len(changes))
	for i, c := range changes {
		out[i] = c.After
	}
	return out
}
