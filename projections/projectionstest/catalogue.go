package projectionstest

import (
	"cmp"
	"slices"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// On 2024-03-01 (all recorded): 27 items in force (forest, planning, food
// and the 24 fillers); the old grass item is revoked; the new grass item
// (from 2024-06-01) and gas (from 2025-01-01) are not yet in force.
func testCatalogueFilters(f *fixture) {
	t := f.t
	on := f.at("2024-03-01", "")
	q := func(mod func(*projections.CatalogueQuery)) projections.ItemPage {
		c := projections.CatalogueQuery{Axes: on, Page: projections.Page{First: projections.MaxPageSize}}
		mod(&c)
		return f.catalogue(c)
	}

	inForce := q(func(*projections.CatalogueQuery) {})
	require.Equal(t, 27, inForce.Total, "IN_FORCE is the default")
	require.Len(t, inForce.Items, 27)
	require.Equal(t, f.lastPosition(), inForce.AsOf)
	codes := itemCodes(inForce.Items)
	require.True(t, slices.IsSorted(codes), "in order of code: %v", codes)
	require.Equal(t, []string{codeFood, codePlanning, codeForest}, codes[:3])
	for _, it := range inForce.Items {
		require.Equal(t, projections.ItemInForce, it.Status)
		require.Nil(t, it.Delegations, "the catalogue leaves delegations to the Item query")
	}

	notYet := q(func(c *projections.CatalogueQuery) { c.Status = projections.ItemNotYetInForce })
	require.Equal(t, []string{codeGas, codeGrass}, itemCodes(notYet.Items))
	require.Equal(t, f.sc.items[codeGrass+"-2"], notYet.Items[1].ID)
	revoked := q(func(c *projections.CatalogueQuery) { c.Status = projections.ItemRevoked })
	require.Equal(t, []string{codeGrass}, itemCodes(revoked.Items))
	require.Equal(t, f.sc.items[codeGrass], revoked.Items[0].ID)
	require.Equal(t, d("2024-01-01"), revoked.Items[0].RevokedFrom)
	all := q(func(c *projections.CatalogueQuery) { c.Status = projections.ItemAnyStatus })
	require.Equal(t, 30, all.Total)
	require.Equal(t, []string{codeGrass, codeGrass}, itemCodes(all.Items)[4:6], "a code listed again after a revocation appears once per item")
	require.Equal(t, []string{f.sc.items[codeGrass], f.sc.items[codeGrass+"-2"]}, []string{all.Items[4].ID, all.Items[5].ID}, "in order of listing")

	// The planning item moved to another department from 2023-06-01.
	nature := q(func(c *projections.CatalogueQuery) { c.Department = deptNature })
	require.Equal(t, []string{codeForest}, itemCodes(nature.Items))
	county := q(func(c *projections.CatalogueQuery) { c.Level = domain.LevelCounty })
	require.Equal(t, 1+fillerCount, county.Total)
	both := q(func(c *projections.CatalogueQuery) { c.Level = domain.LevelCounty; c.Department = fillerDepts[0] })
	require.Equal(t, fillerCount/len(fillerDepts), both.Total)

	for text, want := range map[string][]string{
		"采伐":           {codeForest},               // name
		"更新采伐":         {codeForest},               // the amended name, in force from 2024
		"延续":           {codeForest},               // a sub-item's name
		"00016421300y": {codeForest},               // code, any case
		"-001":         {codeFood, codeForest},     // sub-item codes
		"许可证核发":        {codePlanning, codeForest}, // several
		"第1项":          {fillerCode(1)},            // exact substring: not 第10项…
		"  第24项许可事项  ": {fillerCode(24)},           // trimmed
		"没有这个事项":       nil,
		"采%伐":          nil, // LIKE's wildcards are plain characters here
		"采_":           nil,
		`采\伐`:          nil,
	} {
		got := q(func(c *projections.CatalogueQuery) { c.Text = text })
		require.Equal(t, len(want), got.Total, text)
		if want != nil {
			require.Equal(t, want, itemCodes(got.Items), text)
		}
	}

	// The amended name is in force only from 2024-01-01.
	before := f.catalogue(projections.CatalogueQuery{Axes: f.at("2023-12-31", ""), Text: "更新采伐"})
	require.Zero(t, before.Total)
	before = f.catalogue(projections.CatalogueQuery{Axes: f.at("2023-12-31", ""), Text: nameForest})
	require.Equal(t, nameForest, before.Items[0].Name)

	// Before the relisting and gas were recorded, on a date when both are
	// in force, neither is known.
	early := f.catalogue(projections.CatalogueQuery{Axes: f.at("2025-06-01", "revoked"), Status: projections.ItemAnyStatus, Page: projections.Page{First: 100}})
	require.Equal(t, 28, early.Total)
	require.Equal(t, f.sc.marks["revoked"].pos, early.AsOf)
	require.NotContains(t, itemCodes(early.Items), codeGas)
	later := f.catalogue(projections.CatalogueQuery{Axes: f.at("2025-06-01", ""), Page: projections.Page{First: 100}})
	require.Contains(t, itemCodes(later.Items), codeGas)
	require.Equal(t, 29, later.Total)

	// An empty log position answers nothing.
	none := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", "bodies")})
	require.Zero(t, none.Total)
	require.Empty(t, none.Items)
	require.False(t, none.HasNextPage)
}

func testCataloguePaging(f *fixture) {
	t := f.t
	for _, first := range []int{1, 7, 30, 31} {
		get := func(after string) ([]projections.Item, projections.PageInfo, int) {
			p := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", ""), Status: projections.ItemAnyStatus,
				Page: projections.Page{First: first, After: after}})
			return p.Items, p.PageInfo, p.Total
		}
		items := allPages(t, first, get)
		require.Len(t, items, 30, "page size %d", first)
		ids := map[string]bool{}
		for _, it := range items {
			require.False(t, ids[it.ID], "no duplicates across pages")
			ids[it.ID] = true
		}
		require.True(t, slices.IsSortedFunc(items, func(a, b projections.Item) int {
			if a.Code != b.Code {
				return cmp.Compare(a.Code, b.Code)
			}
			return cmp.Compare(a.Position, b.Position)
		}))
	}

	// Paging with a filter, and a default page size.
	p := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", ""), Level: domain.LevelCounty, Page: projections.Page{First: 10}})
	require.Equal(t, 25, p.Total)
	require.True(t, p.HasNextPage)
	p2 := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", ""), Level: domain.LevelCounty, Page: projections.Page{First: 10, After: p.EndCursor}})
	require.Equal(t, fillerCode(10), p2.Items[0].Code, "food and F001–F009 came first")
	def := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", ""), Status: projections.ItemAnyStatus})
	require.Len(t, def.Items, 30)
	require.LessOrEqual(t, len(def.Items), projections.DefaultPageSize)

	// A cursor stays valid while the log grows: rows added before it do
	// not shift the next page (keyset paging).
	// As of the revocation: food, planning, forest, the old grass item.
	asOfRevoked := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", "revoked"), Status: projections.ItemAnyStatus, Page: projections.Page{First: 4}})
	require.Equal(t, codeGrass, asOfRevoked.Items[3].Code)
	next := f.catalogue(projections.CatalogueQuery{Axes: f.at("2024-03-01", ""), Status: projections.ItemAnyStatus, Page: projections.Page{First: 5, After: asOfRevoked.EndCursor}})
	require.Equal(t, codeGrass, next.Items[0].Code)
	require.Equal(t, f.sc.items[codeGrass+"-2"], next.Items[0].ID, "the item listed after the cursor was taken follows it")
}

func testInvalidQueries(f *fixture) {
	t := f.t
	on := f.at("2024-03-01", "")
	_, err := f.v.Catalogue(ctx, projections.CatalogueQuery{})
	requireCode(t, domain.CodeInvalid, err) // no date: the caller passes today
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Page: projections.Page{First: projections.MaxPageSize + 1}})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Page: projections.Page{First: -1}})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Page: projections.Page{After: "not-a-cursor"}})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Status: "GONE"})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Level: "GALACTIC"})
	requireCode(t, domain.CodeInvalid, err)
	dels := f.delegations(projections.DelegationQuery{Axes: on, Statuses: projections.AllDelegationStatuses, Page: projections.Page{First: 1}})
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Axes: on, Page: projections.Page{After: dels.EndCursor}})
	requireCode(t, domain.CodeInvalid, err) // a cursor of another list
	_, err = f.v.Item(ctx, projections.ItemQuery{ID: f.sc.items[codeForest]})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Item(ctx, projections.ItemQuery{Axes: on})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Delegations(ctx, projections.DelegationQuery{Axes: on, Mode: "GIFT"})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Delegations(ctx, projections.DelegationQuery{Axes: on, Statuses: []projections.DelegationStatus{"LOST"}})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Bodies(ctx, projections.BodyQuery{Axes: on, Kind: "COUNTY"})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Body(ctx, "370211", projections.Axes{})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.AuditLog(ctx, projections.AuditQuery{RecordedFrom: f.sc.marks["end"].at, RecordedBefore: f.sc.marks["start"].at})
	requireCode(t, domain.CodeInvalid, err)
	_, err = f.v.Catalogue(ctx, projections.CatalogueQuery{Edition: edition2023, Axes: on})
	requireCode(t, domain.CodeInvalid, err) // an edition fixes its own axes
}
