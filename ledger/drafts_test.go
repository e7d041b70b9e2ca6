package ledger_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
)

func TestDraftLife(t *testing.T) {
	ctx := context.Background()
	l, log := newLedger(t)
	open := domain.OpenDraft{Name: "2025年版（草案）", Reason: "年度动态调整"}
	first, err := l.OpenDraft(ctx, req("open-1"), open)
	require.NoError(t, err)
	again, err := l.OpenDraft(ctx, req("open-1"), open)
	require.NoError(t, err)
	require.True(t, again.Replayed, "a retried command records nothing twice")
	require.Equal(t, first.Position, again.Position)

	_, err = l.OpenDraft(ctx, req("open-2"), open)
	require.Equal(t, domain.CodeDraftExists, domain.ErrorCode(err))

	_, err = l.DiscardDraft(ctx, req("discard-1"), domain.DiscardDraft{Name: open.Name, Reason: "并入2026年版"})
	require.NoError(t, err)
	_, err = l.DiscardDraft(ctx, req("discard-2"), domain.DiscardDraft{Name: open.Name})
	require.Equal(t, domain.CodeDraftClosed, domain.ErrorCode(err))

	recs, err := log.ReadStream(ctx, domain.DraftStream(open.Name), 0)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, domain.TypeDraftOpened, recs[0].Type)
	require.Equal(t, domain.TypeDraftDiscarded, recs[1].Type)
}
