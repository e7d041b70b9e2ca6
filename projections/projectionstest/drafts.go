package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// The scenario opens 2024年版（草案） after the 2023 edition, discards it
// after the withdrawal, and then opens 2025年版（草案）, which stays open.
// A draft read as of a position knows only what was recorded by then.
func testDrafts(f *fixture) {
	t := f.t
	opened, discarded, second := f.sc.marks["draftOpened"], f.sc.marks["draftDiscarded"], f.sc.marks["draft2025Opened"]

	all, err := f.v.Drafts(ctx, projections.DraftQuery{})
	require.NoError(t, err)
	require.Len(t, all, 2)
	old, current := all[0], all[1]
	require.Equal(t, projections.Draft{
		Name: draft2024, Reason: draftReason, Status: projections.DraftDiscarded,
		OpenedBy: officer, OpenedAt: opened.at, OpenedPosition: opened.pos,
		DiscardedBy: officer, DiscardedAt: discarded.at, DiscardReason: discardReason, DiscardedPosition: discarded.pos,
	}, old, "names and reasons round-trip exactly")
	require.Equal(t, projections.Draft{Name: draft2025, Status: projections.DraftOpen,
		OpenedBy: officer, OpenedAt: second.at, OpenedPosition: second.pos}, current)

	one, err := f.v.Draft(ctx, draft2024, 0)
	require.NoError(t, err)
	require.Equal(t, old, one)

	// Before the discarding it was open, with nothing of its discarding.
	before, err := f.v.Draft(ctx, draft2024, discarded.pos-1)
	require.NoError(t, err)
	require.Equal(t, projections.DraftOpen, before.Status)
	require.Equal(t, projections.Draft{Name: draft2024, Reason: draftReason, Status: projections.DraftOpen,
		OpenedBy: officer, OpenedAt: opened.at, OpenedPosition: opened.pos}, before)
	at, err := f.v.Draft(ctx, draft2024, discarded.pos)
	require.NoError(t, err)
	require.Equal(t, old, at, "discarded from its discarding's position on")

	// Before its opening it was not there.
	_, err = f.v.Draft(ctx, draft2024, opened.pos-1)
	requireCode(t, projections.CodeDraftNotFound, err)
	atOpening, err := f.v.Draft(ctx, draft2024, opened.pos)
	require.NoError(t, err)
	require.Equal(t, before, atOpening)
	_, err = f.v.Draft(ctx, draft2025, discarded.pos)
	requireCode(t, projections.CodeDraftNotFound, err)
	_, err = f.v.Draft(ctx, "2099年版（草案）", 0)
	requireCode(t, projections.CodeDraftNotFound, err)
	_, err = f.v.Draft(ctx, edition2023, 0)
	requireCode(t, projections.CodeDraftNotFound, err) // an edition is no draft

	for _, c := range []struct {
		asOf   eventstore.Position
		status projections.DraftStatus
		want   []projections.Draft
	}{
		{0, projections.DraftOpen, []projections.Draft{current}},
		{0, projections.DraftDiscarded, []projections.Draft{old}},
		{0, projections.DraftAnyStatus, all},
		{opened.pos - 1, "", []projections.Draft{}},
		{discarded.pos - 1, "", []projections.Draft{before}},
		{discarded.pos - 1, projections.DraftOpen, []projections.Draft{before}},
		{discarded.pos - 1, projections.DraftDiscarded, []projections.Draft{}},
		{discarded.pos, projections.DraftOpen, []projections.Draft{}},
		{second.pos, projections.DraftAnyStatus, all},
	} {
		got, err := f.v.Drafts(ctx, projections.DraftQuery{AsOf: c.asOf, Status: c.status})
		require.NoError(t, err)
		require.Equal(t, c.want, got, "asOf %d, status %q", c.asOf, c.status)
	}
	_, err = f.v.Drafts(ctx, projections.DraftQuery{Status: "CLOSED"})
	requireCode(t, domain.CodeInvalid, err)

	// The log records drafts like every event, with no item or body.
	log := f.audit(projections.AuditQuery{Types: []string{domain.TypeDraftOpened, domain.TypeDraftDiscarded}})
	require.Len(t, log.Entries, 3)
	for i, want := range []struct {
		typ, stream string
		p           eventstore.Position
	}{
		{domain.TypeDraftOpened, domain.DraftStream(draft2024), opened.pos},
		{domain.TypeDraftDiscarded, domain.DraftStream(draft2024), discarded.pos},
		{domain.TypeDraftOpened, domain.DraftStream(draft2025), second.pos},
	} {
		e := log.Entries[i]
		require.Equal(t, want.typ, e.Type)
		require.Equal(t, want.stream, e.Stream)
		require.Equal(t, want.p, e.Position)
		require.Equal(t, officer, e.Actor)
		require.Empty(t, e.ItemID)
		require.Empty(t, e.Bodies)
	}
	require.JSONEq(t, `{"name":"2024年版（草案）","reason":"并入2025年版（草案）"}`, string(log.Entries[1].Data))
}
