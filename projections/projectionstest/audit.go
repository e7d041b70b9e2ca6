package projectionstest

import (
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

func positions(entries []projections.LogEntry) []eventstore.Position {
	out := make([]eventstore.Position, len(entries))
	for i, e := range entries {
		out[i] = e.Position
	}
	return out
}

func testAuditLog(f *fixture) {
	t := f.t
	max := projections.Page{First: projections.MaxPageSize}
	all := f.audit(projections.AuditQuery{Page: max})
	require.Len(t, all.Entries, f.sc.ours, "every event of the log")
	require.Equal(t, f.lastPosition(), all.AsOf)
	for i, e := range all.Entries {
		require.Equal(t, eventstore.Position(i+1), e.Position, "in order of position, none missing")
	}

	byActor := f.audit(projections.AuditQuery{Page: max, Actor: reviewer})
	require.Len(t, byActor.Entries, 3, "two amendments and a revocation")
	for _, e := range byActor.Entries {
		require.Equal(t, reviewer, e.Actor)
	}

	delegated := f.audit(projections.AuditQuery{Page: max, Types: []string{domain.TypeItemDelegated}})
	require.Len(t, delegated.Entries, len(f.sc.delegations))
	twoTypes := f.audit(projections.AuditQuery{Page: max, Types: []string{domain.TypeItemRevoked, domain.TypeEditionPublished}})
	require.Len(t, twoTypes.Entries, 3)

	forest := f.audit(projections.AuditQuery{Page: max, ItemID: f.sc.items[codeForest]})
	require.Len(t, forest.Entries, 7, "the code reservation and the six events of its stream")
	require.Equal(t, domain.TypeItemCodeReserved, forest.Entries[0].Type)
	require.Equal(t, domain.ItemCodeStream(codeForest), forest.Entries[0].Stream)

	town := f.audit(projections.AuditQuery{Page: max, Body: "370211001"})
	types := make([]string, len(town.Entries))
	for i, e := range town.Entries {
		types[i] = e.Type
	}
	require.Equal(t, []string{domain.TypeBodyRegistered, domain.TypeItemDelegated, domain.TypeDelegationWithdrawn}, types)

	byBasis := f.audit(projections.AuditQuery{Page: max, Basis: "青政发〔2024〕8号"})
	require.Len(t, byBasis.Entries, 1)
	require.Equal(t, domain.TypeDelegationWithdrawn, byBasis.Entries[0].Type)

	combined := f.audit(projections.AuditQuery{Page: max, Actor: reviewer, ItemID: f.sc.items[codeForest]})
	require.Len(t, combined.Entries, 1)
	require.Equal(t, domain.TypeItemAmended, combined.Entries[0].Type)

	// A recorded-time range: from the 2023 edition (inclusive) to the
	// withdrawal (exclusive) — the events after the edition up to the
	// zone's delegation.
	m := f.sc.marks
	ranged := f.audit(projections.AuditQuery{Page: max, RecordedFrom: m["edition2023"].at, RecordedBefore: m["withdrawn"].at})
	require.Equal(t, m["edition2023"].pos, ranged.Entries[0].Position)
	require.Equal(t, m["zoneDelegated"].pos, ranged.Entries[len(ranged.Entries)-1].Position)
	require.Len(t, ranged.Entries, int(m["zoneDelegated"].pos-m["edition2023"].pos+1))
	for _, e := range ranged.Entries {
		require.False(t, e.RecordedAt.Before(m["edition2023"].at))
		require.True(t, e.RecordedAt.Before(m["withdrawn"].at))
	}
	after := f.audit(projections.AuditQuery{Page: max, RecordedFrom: m["end"].at.Add(time.Second)})
	require.Empty(t, after.Entries)

	// As of a position: nothing later.
	early := f.audit(projections.AuditQuery{Page: max, AsOf: m["bodies"].pos})
	require.Len(t, early.Entries, 7)
	require.False(t, early.HasNextPage)
}

func testAuditPaging(f *fixture) {
	t := f.t
	for _, q := range []projections.AuditQuery{
		{},
		{Actor: officer},
		{ItemID: f.sc.items[codeFood]},
		{Body: "370212"},
		{RecordedFrom: f.sc.marks["listed"].at},
	} {
		q.Page.First = projections.MaxPageSize
		want := positions(f.audit(q).Entries)
		for _, first := range []int{1, 4, 9} {
			var got []eventstore.Position
			q.Page = projections.Page{First: first}
			for range 1000 {
				p := f.audit(q)
				got = append(got, positions(p.Entries)...)
				if !p.HasNextPage {
					break
				}
				require.Len(t, p.Entries, first)
				q.Page.After = p.EndCursor
			}
			require.Equal(t, want, got, "pages of %d of %+v: no gaps, no duplicates", first, q)
		}
	}
}

func testPositionAt(f *fixture) {
	t := f.t
	at := func(tm time.Time) eventstore.Position {
		p, err := f.v.PositionAt(ctx, tm)
		require.NoError(t, err)
		return p
	}
	for name, m := range f.sc.marks {
		require.Equal(t, m.pos, at(m.at), name)
		require.Equal(t, m.pos, at(m.at.Add(30*time.Second)), "%s: nothing recorded in between", name)
	}
	require.Equal(t, eventstore.Start, at(f.sc.marks["start"].at))
	require.Equal(t, f.lastPosition(), at(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)))
}
