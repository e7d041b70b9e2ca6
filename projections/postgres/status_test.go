package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// The status rules exist twice: in Go (projections/rules.go), used for
// every status a store returns, and as SQL functions, used where the
// database must filter (paging and totals). This test holds the two equal
// on every combination of a handful of dates around each other — equal
// dates, a day apart, unset — so that they cannot drift.
func TestStatusFunctionsAgree(t *testing.T) {
	s := newStore(t)
	fn := pgx.Identifier{s.Schema()}.Sanitize()
	day := func(n int) domain.Date {
		if n < 0 {
			return domain.Date{}
		}
		return domain.MustDate("2024-01-01").AddDays(n)
	}
	dates := []int{-1, 0, 1, 2, 3}
	pg := func(d domain.Date) any {
		if d.IsZero() {
			return nil
		}
		return d.String()
	}

	items := &pgx.Batch{}
	var wantItems []projections.ItemStatus
	for _, listed := range dates {
		for _, revoked := range []bool{false, true} {
			for _, rev := range dates {
				for _, d := range dates[1:] {
					wantItems = append(wantItems, projections.ItemStatusOn(day(listed), revoked, day(rev), day(d)))
					items.Queue("SELECT "+fn+".item_status($1::date, $2, $3::date, $4::date)", pg(day(listed)), revoked, pg(day(rev)), pg(day(d)))
				}
			}
		}
	}
	requireSame(t, items, func(i int) string { return string(wantItems[i]) })

	dels := &pgx.Batch{}
	var wantDels []projections.DelegationStatus
	opt := func(set bool, n int) domain.Date {
		if !set {
			return domain.Date{}
		}
		return day(n)
	}
	for _, from := range dates {
		for _, until := range dates {
			for _, acc := range []int{-2, 0, 2} {
				for _, w := range []int{-2, 0, 1, 2} {
					for _, r := range []int{-2, 0, 1, 2} {
						for _, d := range dates[1:] {
							f := projections.DelegationFacts{EffectiveFrom: day(from), EffectiveUntil: day(until),
								Accepted: acc >= 0, AcceptedFrom: opt(acc >= 0, acc),
								Withdrawn: w >= 0, WithdrawnFrom: opt(w >= 0, w), Revoked: r >= 0, RevokedFrom: opt(r >= 0, r)}
							wantDels = append(wantDels, f.StatusOn(day(d)))
							dels.Queue("SELECT "+fn+".delegation_status($1::date, $2::date, $3::date, $4, $5::date, $6, $7::date, $8, $9::date)",
								pg(day(d)), pg(f.EffectiveFrom), pg(f.EffectiveUntil), f.Accepted, pg(f.AcceptedFrom),
								f.Withdrawn, pg(f.WithdrawnFrom), f.Revoked, pg(f.RevokedFrom))
						}
					}
				}
			}
		}
	}
	requireSame(t, dels, func(i int) string { return string(wantDels[i]) })
}

func requireSame(t *testing.T, b *pgx.Batch, want func(int) string) {
	t.Helper()
	res := pool.SendBatch(ctx, b)
	defer res.Close()
	for i := range b.Len() {
		var got string
		require.NoError(t, res.QueryRow().Scan(&got))
		require.Equal(t, want(i), got, "case %d: %s", i, b.QueuedQueries[i].Arguments)
	}
}
