package projections_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

func TestDelegationStatusOn(t *testing.T) {
	d := domain.MustDate
	base := projections.DelegationFacts{EffectiveFrom: d("2024-01-01")}
	with := func(f func(*projections.DelegationFacts)) projections.DelegationFacts {
		c := base
		f(&c)
		return c
	}
	accepted := with(func(f *projections.DelegationFacts) { f.Accepted, f.AcceptedFrom = true, d("2024-02-01") })
	for _, c := range []struct {
		name string
		f    projections.DelegationFacts
		on   string
		want projections.DelegationStatus
	}{
		{"before it begins", base, "2023-12-31", projections.DelegationNotYetEffective},
		{"begun, not accepted", base, "2024-01-01", projections.DelegationPendingAcceptance},
		{"accepted later than the date", accepted, "2024-01-31", projections.DelegationPendingAcceptance},
		{"accepted by the date", accepted, "2024-02-01", projections.DelegationActive},
		{"until is inclusive", with(func(f *projections.DelegationFacts) { f.EffectiveUntil = d("2024-06-30") }), "2024-06-30", projections.DelegationPendingAcceptance},
		{"expired the day after", with(func(f *projections.DelegationFacts) { f.EffectiveUntil = d("2024-06-30") }), "2024-07-01", projections.DelegationExpired},
		{"withdrawn from its date", with(func(f *projections.DelegationFacts) { f.Withdrawn, f.WithdrawnFrom = true, d("2024-03-01") }), "2024-03-01", projections.DelegationWithdrawn},
		{"withdrawn later than the date", with(func(f *projections.DelegationFacts) { f.Withdrawn, f.WithdrawnFrom = true, d("2024-03-01") }), "2024-02-28", projections.DelegationPendingAcceptance},
		{"revoked", with(func(f *projections.DelegationFacts) { f.Revoked, f.RevokedFrom = true, d("2024-03-01") }), "2025-01-01", projections.DelegationRevoked},
		{"the earliest end wins: revoked before withdrawn", with(func(f *projections.DelegationFacts) {
			f.Withdrawn, f.WithdrawnFrom, f.Revoked, f.RevokedFrom = true, d("2024-05-01"), true, d("2024-03-01")
		}), "2025-01-01", projections.DelegationRevoked},
		{"the earliest end wins: expired before revoked", with(func(f *projections.DelegationFacts) {
			f.EffectiveUntil, f.Revoked, f.RevokedFrom = d("2024-02-29"), true, d("2024-03-02")
		}), "2025-01-01", projections.DelegationExpired},
		{"on the same day withdrawn comes first", with(func(f *projections.DelegationFacts) {
			f.Withdrawn, f.WithdrawnFrom, f.Revoked, f.RevokedFrom, f.EffectiveUntil = true, d("2024-03-01"), true, d("2024-03-01"), d("2024-02-29")
		}), "2025-01-01", projections.DelegationWithdrawn},
		{"not yet effective beats an end", with(func(f *projections.DelegationFacts) { f.Withdrawn, f.WithdrawnFrom = true, d("2024-01-01") }), "2023-06-01", projections.DelegationNotYetEffective},
	} {
		require.Equal(t, c.want, c.f.StatusOn(d(c.on)), c.name)
	}
}

func TestItemStatusOn(t *testing.T) {
	d := domain.MustDate
	listed, revoked := d("2024-01-01"), d("2025-01-01")
	require.Equal(t, projections.ItemNotYetInForce, projections.ItemStatusOn(listed, false, domain.Date{}, d("2023-12-31")))
	require.Equal(t, projections.ItemInForce, projections.ItemStatusOn(listed, false, domain.Date{}, listed))
	require.Equal(t, projections.ItemInForce, projections.ItemStatusOn(listed, true, revoked, d("2024-12-31")))
	require.Equal(t, projections.ItemRevoked, projections.ItemStatusOn(listed, true, revoked, revoked))
}

func TestCursors(t *testing.T) {
	c := projections.Cursor{Key: "00016421300Y\x00中文", Pos: 42}
	s := projections.EncodeCursor(projections.ListItems, c)
	got, ok, err := projections.DecodeCursor(projections.ListItems, s)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, c, got)
	_, _, err = projections.DecodeCursor(projections.ListBodies, s)
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
	_, ok, err = projections.DecodeCursor(projections.ListItems, "")
	require.NoError(t, err)
	require.False(t, ok)
	require.True(t, projections.Cursor{Key: "A", Pos: 9}.Less(projections.Cursor{Key: "B", Pos: 1}))
	require.True(t, projections.Cursor{Key: "A", Pos: 1}.Less(projections.Cursor{Key: "A", Pos: 2}))
}
