package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

func testItem(f *fixture) {
	t := f.t
	forestID := f.sc.items[codeForest]
	it := f.item(projections.ItemQuery{Axes: f.at("2024-03-01", ""), ID: forestID})
	require.Equal(t, forestID, it.ID)
	require.Equal(t, codeForest, it.Code)
	require.Equal(t, nameForestAmended, it.Name, "amended from 2024-01-01")
	require.Equal(t, deptNature, it.Department)
	require.Equal(t, deptApproval, it.Authority)
	require.Equal(t, "《中华人民共和国森林法》第五十六条", it.LegalBasis, "Chinese text round-trips")
	require.Equal(t, domain.LevelMunicipal, it.Level)
	require.Equal(t, []domain.SubItem{{Code: codeForest + "-001", Name: subForestNew}, {Code: codeForest + "-002", Name: "林木采伐许可证核发（延续）"}}, it.SubItems)
	require.Equal(t, projections.ItemInForce, it.Status)
	require.Equal(t, d("2023-01-01"), it.ListedFrom)
	require.True(t, it.RevokedFrom.IsZero())
	require.Equal(t, uint64(5), it.Revision, "listed, delegated, accepted, passed on, amended, withdrawn")
	require.Equal(t, f.sc.marks["withdrawn"].pos, it.Position)
	require.Len(t, it.Delegations, 2)
	dist, town := it.Delegations[0], it.Delegations[1]
	require.Equal(t, f.sc.delegations["forest"], dist.ID)
	require.Equal(t, projections.DelegationActive, dist.Status)
	require.Equal(t, d("2024-07-01"), dist.WithdrawnFrom, "the withdrawal is recorded, effective later")
	require.Equal(t, f.sc.delegations["town"], town.ID)
	require.Equal(t, projections.DelegationPendingAcceptance, town.Status)
	require.Equal(t, nameForestAmended, town.ItemName, "the item's name on the date")

	// As of before the amendment and the withdrawal were recorded.
	old := f.item(projections.ItemQuery{Axes: f.at("2024-03-01", "delegated"), ID: forestID})
	require.Equal(t, nameForest, old.Name)
	require.Equal(t, uint64(3), old.Revision)
	require.LessOrEqual(t, old.Position, f.sc.marks["delegated"].pos)
	require.Len(t, old.Delegations, 2)
	require.True(t, old.Delegations[0].WithdrawnFrom.IsZero())
	require.Equal(t, projections.DelegationActive, old.Delegations[0].Status)

	// A revoked item and its delegation; the same item before the revocation was recorded.
	grass := f.item(projections.ItemQuery{Axes: f.at("2024-03-01", ""), ID: f.sc.items[codeGrass]})
	require.Equal(t, projections.ItemRevoked, grass.Status)
	require.Equal(t, d("2024-01-01"), grass.RevokedFrom)
	require.Equal(t, projections.DelegationRevoked, grass.Delegations[0].Status)
	require.Equal(t, d("2024-01-01"), grass.Delegations[0].RevokedFrom)
	grass = f.item(projections.ItemQuery{Axes: f.at("2024-03-01", "delegated"), ID: f.sc.items[codeGrass]})
	require.Equal(t, projections.ItemInForce, grass.Status)
	require.True(t, grass.RevokedFrom.IsZero())
	require.Equal(t, projections.DelegationPendingAcceptance, grass.Delegations[0].Status)

	gas := f.item(projections.ItemQuery{Axes: f.at("2024-03-01", ""), ID: f.sc.items[codeGas]})
	require.Equal(t, projections.ItemNotYetInForce, gas.Status)
	require.Empty(t, gas.Delegations)
	require.NotNil(t, gas.Delegations)

	_, err := f.v.Item(ctx, projections.ItemQuery{Axes: f.at("2024-03-01", ""), ID: "no-such-item"})
	requireCode(t, domain.CodeItemNotFound, err)
	_, err = f.v.Item(ctx, projections.ItemQuery{Axes: f.at("2025-03-01", "revoked"), ID: f.sc.items[codeGas]})
	requireCode(t, domain.CodeItemNotFound, err) // not yet recorded then
}

func testItemByCode(f *fixture) {
	t := f.t
	byCode := func(day, mark string) projections.Item {
		return f.item(projections.ItemQuery{Axes: f.at(day, mark), Code: codeGrass})
	}
	require.Equal(t, f.sc.items[codeGrass], byCode("2023-06-01", "").ID, "the item in force then")
	require.Equal(t, f.sc.items[codeGrass+"-2"], byCode("2024-07-01", "").ID, "the item in force now")
	between := byCode("2024-03-01", "")
	require.Equal(t, f.sc.items[codeGrass+"-2"], between.ID, "none in force: the last listed")
	require.Equal(t, projections.ItemNotYetInForce, between.Status)
	known := byCode("2024-07-01", "revoked")
	require.Equal(t, f.sc.items[codeGrass], known.ID, "the relisting was not yet recorded")
	require.Equal(t, projections.ItemRevoked, known.Status)

	_, err := f.v.Item(ctx, projections.ItemQuery{Axes: f.at("2024-03-01", ""), Code: "NOPE"})
	requireCode(t, domain.CodeItemNotFound, err)
}

// An amendment recorded late with an early effective date changes what is
// read at positions after it was recorded, and nothing before (Q6).
func testRetroactiveAmendment(f *fixture) {
	t := f.t
	planning := f.sc.items[codePlanning]
	dept := func(day, mark string) string {
		return f.item(projections.ItemQuery{Axes: f.at(day, mark), ID: planning}).Department
	}
	require.Equal(t, deptNature, dept("2023-07-01", "edition2023"), "as known before the amendment was recorded")
	require.Equal(t, deptApproval, dept("2023-07-01", "retroactive"), "as known right after")
	require.Equal(t, deptApproval, dept("2023-07-01", ""))
	require.Equal(t, deptNature, dept("2023-05-01", ""), "before its effective date")

	// An auditor asking "as known at moment R" gets the same answer.
	r := f.sc.marks["edition2023"]
	p, err := f.v.PositionAt(ctx, r.at)
	require.NoError(t, err)
	require.Equal(t, r.pos, p)
	it := f.item(projections.ItemQuery{Axes: projections.Axes{InForceOn: d("2023-07-01"), AsOf: p}, ID: planning})
	require.Equal(t, deptNature, it.Department)

	filter := func(mark string) []string {
		return itemCodes(f.catalogue(projections.CatalogueQuery{Axes: f.at("2023-07-01", mark), Department: deptNature}).Items)
	}
	require.Equal(t, []string{codePlanning, codeForest}, filter("edition2023"))
	require.Equal(t, []string{codeForest}, filter(""))
}

func testItemHistory(f *fixture) {
	t := f.t
	forestID := f.sc.items[codeForest]
	h, err := f.v.ItemHistory(ctx, forestID, 0)
	require.NoError(t, err)
	types := make([]string, len(h))
	for i, e := range h {
		types[i] = e.Type
	}
	require.Equal(t, []string{domain.TypeItemListed, domain.TypeItemDelegated, domain.TypeDelegationAccepted,
		domain.TypeItemDelegated, domain.TypeItemAmended, domain.TypeDelegationWithdrawn}, types)

	stored, err := f.sc.log.ReadStream(ctx, domain.ItemStream(forestID), 0)
	require.NoError(t, err)
	require.Len(t, stored, len(h))
	for i, e := range h {
		s := stored[i]
		require.Equal(t, s.Position, e.Position)
		require.Equal(t, s.ID, e.EventID)
		require.Equal(t, s.Revision, e.Revision)
		require.Equal(t, uint64(i), e.Revision)
		require.Equal(t, domain.ItemStream(forestID), e.Stream)
		require.Equal(t, string(s.Data), string(e.Data), "data byte for byte")
		require.Equal(t, forestID, e.ItemID)
		require.Equal(t, s.RecordedAt, e.RecordedAt)
		require.NotEmpty(t, e.CommandID)
		ev, err := domain.Decode(s.Type, s.Data)
		require.NoError(t, err)
		require.Equal(t, domain.ChangeOf(ev).Basis, e.Basis)
		require.Equal(t, domain.ChangeOf(ev).EffectiveFrom, e.EffectiveFrom)
		require.Equal(t, "依法调整（“证照分离”改革）", e.Reason)
	}
	require.Equal(t, "青政发〔2023〕1号", h[0].Basis)
	require.Equal(t, d("2023-01-01"), h[0].EffectiveFrom)
	require.Equal(t, officer, h[0].Actor)
	require.Equal(t, reviewer, h[4].Actor)
	require.Equal(t, []string{"370211", "370211001"}, h[3].Bodies, "delegator and receiver")
	require.ElementsMatch(t, []string{"370211", "370211001"}, h[5].Bodies, "the withdrawn delegation's receiver and the town's, ended with it")
	require.Contains(t, string(h[4].Data), nameForestAmended, "Chinese is stored as UTF-8")

	old, err := f.v.ItemHistory(ctx, forestID, f.sc.marks["delegated"].pos)
	require.NoError(t, err)
	require.Len(t, old, 4)

	_, err = f.v.ItemHistory(ctx, "no-such-item", 0)
	requireCode(t, domain.CodeItemNotFound, err)
	_, err = f.v.ItemHistory(ctx, f.sc.items[codeGas], f.sc.marks["revoked"].pos)
	requireCode(t, domain.CodeItemNotFound, err)
}
