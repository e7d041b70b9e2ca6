package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// The 2023 edition (on 2023-12-31) holds forest, planning, food, grass and
// the fillers: 28 items, planning still with its old department because
// the retroactive amendment was recorded after the edition. The 2025
// edition (on 2025-01-01) has gas and the new grass item instead of the
// old one, and forest and planning amended.
func testEditions(f *fixture) {
	t := f.t
	eds, err := f.v.Editions(ctx, 0)
	require.NoError(t, err)
	require.Len(t, eds, 2)
	e23, e25 := eds[0], eds[1]
	require.Equal(t, edition2023, e23.Name)
	require.Equal(t, edition2025, e25.Name)
	require.Equal(t, d("2023-12-31"), e23.EffectiveFrom)
	require.Equal(t, "青政办发〔2023〕30号", e23.Basis)
	require.Equal(t, officer, e23.Actor)
	require.Equal(t, f.sc.marks["edition2023"].pos, e23.Position)
	require.Equal(t, e23.Position-1, e23.ContentAsOf)
	require.Equal(t, f.sc.marks["edition2023"].at, e23.RecordedAt)
	require.Equal(t, 28, e23.ItemCount)
	require.Equal(t, 29, e25.ItemCount)

	early, err := f.v.Editions(ctx, f.sc.marks["retroactive"].pos)
	require.NoError(t, err)
	require.Equal(t, []projections.Edition{e23}, early)
	one, err := f.v.Edition(ctx, edition2025, 0)
	require.NoError(t, err)
	require.Equal(t, e25, one)
	_, err = f.v.Edition(ctx, edition2025, f.sc.marks["retroactive"].pos)
	requireCode(t, projections.CodeEditionNotFound, err) // not yet published then
	_, err = f.v.Edition(ctx, "1999年版", 0)
	requireCode(t, projections.CodeEditionNotFound, err)

	items := f.catalogue(projections.CatalogueQuery{Edition: edition2023, Page: projections.Page{First: 100}})
	require.Equal(t, 28, items.Total)
	require.Equal(t, e23.ContentAsOf, items.AsOf)
	codes := itemCodes(items.Items)
	require.Contains(t, codes, codeGrass)
	require.NotContains(t, codes, codeGas)
	for _, it := range items.Items {
		require.Equal(t, projections.ItemInForce, it.Status)
		if it.Code == codePlanning {
			require.Equal(t, deptNature, it.Department, "the edition as published, untouched by the later retroactive amendment")
		}
		if it.Code == codeForest {
			require.Equal(t, nameForest, it.Name)
		}
	}
	nature := f.catalogue(projections.CatalogueQuery{Edition: edition2023, Department: deptNature})
	require.Equal(t, []string{codePlanning, codeForest}, itemCodes(nature.Items), "filters apply to an edition's items")
	paged := allPages(t, 6, func(after string) ([]projections.Item, projections.PageInfo, int) {
		p := f.catalogue(projections.CatalogueQuery{Edition: edition2025, Page: projections.Page{First: 6, After: after}})
		return p.Items, p.PageInfo, p.Total
	})
	require.Len(t, paged, 29)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Edition: "1999年版"})
	requireCode(t, projections.CodeEditionNotFound, err)
}

func testEditionDiff(f *fixture) {
	t := f.t
	diff, err := f.v.EditionDiff(ctx, edition2023, edition2025, 0)
	require.NoError(t, err)
	require.Equal(t, edition2023, diff.From.Name)
	require.Equal(t, edition2025, diff.To.Name)
	require.Equal(t, []string{codeGas, codeGrass}, itemCodes(diff.Added))
	require.Equal(t, f.sc.items[codeGrass+"-2"], diff.Added[1].ID)
	require.Equal(t, []string{codeGrass}, itemCodes(diff.Removed))
	require.Equal(t, f.sc.items[codeGrass], diff.Removed[0].ID)
	require.Len(t, diff.Amended, 2)
	planning, forest := diff.Amended[0], diff.Amended[1]
	require.Equal(t, codePlanning, planning.After.Code)
	require.Equal(t, []string{"department"}, planning.Fields)
	require.Equal(t, deptNature, planning.Before.Department)
	require.Equal(t, deptApproval, planning.After.Department)
	require.Equal(t, []string{"name"}, forest.Fields)
	require.Equal(t, nameForest, forest.Before.Name)
	require.Equal(t, nameForestAmended, forest.After.Name)

	back, err := f.v.EditionDiff(ctx, edition2025, edition2023, 0)
	require.NoError(t, err)
	require.Equal(t, itemCodes(diff.Removed), itemCodes(back.Added))
	require.Equal(t, itemCodes(diff.Added), itemCodes(back.Removed))
	same, err := f.v.EditionDiff(ctx, edition2023, edition2023, 0)
	require.NoError(t, err)
	require.Empty(t, same.Added)
	require.Empty(t, same.Removed)
	require.Empty(t, same.Amended)

	_, err = f.v.EditionDiff(ctx, edition2023, edition2025, f.sc.marks["retroactive"].pos)
	requireCode(t, projections.CodeEditionNotFound, err)
	var _ domain.Code
}
