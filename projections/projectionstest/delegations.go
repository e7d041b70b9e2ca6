package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// status returns a delegation's status on day as of mark ("" = latest).
func (f *fixture) status(name, day, mark string) projections.DelegationStatus {
	f.t.Helper()
	p := f.delegations(projections.DelegationQuery{Axes: f.at(day, mark), Statuses: projections.AllDelegationStatuses, Page: projections.Page{First: projections.MaxPageSize}})
	for _, dl := range p.Delegations {
		if dl.ID == f.sc.delegations[name] {
			return dl.Status
		}
	}
	return "" // not recorded as of mark
}

func testDelegationStatuses(f *fixture) {
	t := f.t
	for _, c := range []struct {
		name, day, mark string
		want            projections.DelegationStatus
	}{
		// district: from 2023-03-01, accepted from 2023-03-15, withdrawn from 2024-07-01
		{"forest", "2023-02-28", "", projections.DelegationNotYetEffective},
		{"forest", "2023-03-01", "", projections.DelegationPendingAcceptance},
		{"forest", "2023-03-15", "", projections.DelegationActive},
		{"forest", "2024-06-30", "", projections.DelegationActive},
		{"forest", "2024-07-01", "", projections.DelegationWithdrawn},
		{"forest", "2024-08-01", "revoked", projections.DelegationActive}, // the withdrawal not yet recorded
		// district → town: passed on from 2023-05-01, never accepted, ended with the district's
		{"town", "2023-04-30", "", projections.DelegationNotYetEffective},
		{"town", "2023-06-01", "", projections.DelegationPendingAcceptance},
		{"town", "2024-07-01", "", projections.DelegationWithdrawn},
		{"town", "2024-07-01", "zoneDelegated", projections.DelegationPendingAcceptance},
		// entrusted until 2023-12-31 (inclusive)
		{"food", "2023-12-31", "", projections.DelegationActive},
		{"food", "2024-01-01", "", projections.DelegationExpired},
		// ended by the item's revocation from 2024-01-01
		{"grass", "2023-12-31", "", projections.DelegationPendingAcceptance},
		{"grass", "2024-01-01", "", projections.DelegationRevoked},
		{"grass", "2024-01-01", "edition2023", projections.DelegationPendingAcceptance},
		// future-dated empowerment of a zone, accepted from 2026-03-01
		{"zone", "2025-06-01", "", projections.DelegationNotYetEffective},
		{"zone", "2026-02-01", "", projections.DelegationPendingAcceptance},
		{"zone", "2026-03-01", "", projections.DelegationActive},
		{"zone", "2026-04-01", "withdrawn", projections.DelegationPendingAcceptance}, // acceptance not yet recorded
		{"zone", "2026-04-01", "revoked", ""},                                        // the delegation not yet recorded
	} {
		require.Equal(t, c.want, f.status(c.name, c.day, c.mark), "%s on %s as of %q", c.name, c.day, c.mark)
	}

	// The facts behind the statuses.
	z := f.delegations(projections.DelegationQuery{Axes: f.at("2026-04-01", ""), Body: "370200-Z01"}).Delegations
	require.Len(t, z, 1)
	require.Equal(t, projections.Delegation{
		ID: f.sc.delegations["zone"], ItemID: f.sc.items[codeFood], ItemCode: codeFood, ItemName: "食品经营许可",
		To: "370200-Z01", ToName: "青岛中德生态园", Mode: domain.ModeEmpower, EffectiveFrom: d("2026-01-01"),
		Accepted: true, AcceptedFrom: d("2026-03-01"), Status: projections.DelegationActive,
		Basis: "青政发〔2025〕3号", Reason: "依法调整（“证照分离”改革）", Position: z[0].Position,
	}, z[0])
	food := f.delegations(projections.DelegationQuery{Axes: f.at("2023-06-01", ""), Body: "370212", Mode: domain.ModeEntrust}).Delegations
	require.Len(t, food, 1)
	require.Equal(t, d("2023-12-31"), food[0].EffectiveUntil)
	require.Equal(t, d("2023-02-10"), food[0].AcceptedFrom)
}

// A body's delegated powers (Q3): by default the powers it holds (ACTIVE
// or PENDING_ACCEPTANCE) on the date.
func testBodyPowers(f *fixture) {
	t := f.t
	powers := func(body, day, mark string) []projections.Delegation {
		return f.delegations(projections.DelegationQuery{Axes: f.at(day, mark), Body: body}).Delegations
	}
	huangdao := powers("370211", "2023-06-01", "")
	require.Len(t, huangdao, 2)
	require.Equal(t, []string{codeForest, codeGrass}, []string{huangdao[0].ItemCode, huangdao[1].ItemCode}, "in order of item code")
	require.Equal(t, projections.DelegationActive, huangdao[0].Status)
	require.Equal(t, projections.DelegationPendingAcceptance, huangdao[1].Status)
	require.Equal(t, "黄岛区", huangdao[0].ToName)
	require.Empty(t, huangdao[0].Scope, "the whole item")
	require.Empty(t, powers("370211", "2024-08-01", ""), "withdrawn and revoked: held no longer")
	require.Len(t, powers("370211", "2024-08-01", "edition2023"), 2, "as recorded before the changes")
	all := f.delegations(projections.DelegationQuery{Axes: f.at("2024-08-01", ""), Body: "370211", Statuses: projections.AllDelegationStatuses})
	require.Equal(t, 2, all.Total)
	require.Equal(t, projections.DelegationWithdrawn, all.Delegations[0].Status)
	require.Equal(t, projections.DelegationRevoked, all.Delegations[1].Status)

	// The town's power, passed on by its district: scope with names, the
	// item's name as in force on each date.
	town := powers("370211001", "2023-06-01", "")
	require.Len(t, town, 1)
	require.Equal(t, "370211", town[0].From)
	require.Equal(t, f.sc.delegations["forest"], town[0].ParentID)
	require.Equal(t, domain.ModeDevolve, town[0].Mode)
	require.Equal(t, []domain.SubItem{{Code: codeForest + "-001", Name: subForestNew}}, town[0].Scope)
	require.Equal(t, nameForest, town[0].ItemName)
	require.Equal(t, "黄政发〔2023〕9号", town[0].Basis)
	require.Equal(t, nameForestAmended, powers("370211001", "2024-03-01", "")[0].ItemName)
	require.Equal(t, nameForest, powers("370211001", "2024-03-01", "edition2023")[0].ItemName, "the rename not yet recorded")

	// What a district passed on.
	from := f.delegations(projections.DelegationQuery{Axes: f.at("2023-06-01", ""), From: "370211"})
	require.Equal(t, 1, from.Total)
	require.Equal(t, "370211001", from.Delegations[0].To)
	require.Empty(t, powers("370211002", "2023-06-01", ""))
	require.Empty(t, powers("999999", "2023-06-01", ""))
}

func testDelegationPaging(f *fixture) {
	t := f.t
	on := f.at("2023-06-01", "")
	// 崂山区 holds food (entrusted) and the first twelve fillers.
	for _, first := range []int{1, 5, 13} {
		rows := allPages(t, first, func(after string) ([]projections.Delegation, projections.PageInfo, int) {
			p := f.delegations(projections.DelegationQuery{Axes: on, Body: "370212", Page: projections.Page{First: first, After: after}})
			return p.Delegations, p.PageInfo, p.Total
		})
		require.Len(t, rows, 1+fillersTo)
		require.Equal(t, codeFood, rows[0].ItemCode)
		for i, dl := range rows[1:] {
			require.Equal(t, fillerCode(i+1), dl.ItemCode, "no gaps or duplicates")
		}
	}
	everything := allPages(t, 4, func(after string) ([]projections.Delegation, projections.PageInfo, int) {
		p := f.delegations(projections.DelegationQuery{Axes: f.at("2026-06-01", ""), Statuses: projections.AllDelegationStatuses, Page: projections.Page{First: 4, After: after}})
		return p.Delegations, p.PageInfo, p.Total
	})
	require.Len(t, everything, len(f.sc.delegations))
	seen := map[string]bool{}
	for _, dl := range everything {
		require.False(t, seen[dl.ID])
		seen[dl.ID] = true
	}

	byItem := f.delegations(projections.DelegationQuery{Axes: on, ItemID: f.sc.items[codeForest], Statuses: projections.AllDelegationStatuses})
	require.Equal(t, 2, byItem.Total)
	entrusted := f.delegations(projections.DelegationQuery{Axes: on, Mode: domain.ModeEntrust, Statuses: projections.AllDelegationStatuses})
	require.Equal(t, 1, entrusted.Total)
	pending := f.delegations(projections.DelegationQuery{Axes: on, Statuses: []projections.DelegationStatus{projections.DelegationPendingAcceptance}})
	require.Equal(t, 2+fillersTo, pending.Total, "town, grass and the fillers")
}
