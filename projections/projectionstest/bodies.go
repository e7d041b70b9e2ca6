package projectionstest

import (
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

func testBodies(f *fixture) {
	t := f.t
	on := f.at("2024-01-01", "")
	b, err := f.v.Body(ctx, "370211001", on)
	require.NoError(t, err)
	require.Equal(t, projections.Body{Code: "370211001", Name: "黄岛街道", Kind: domain.KindTownship, Parent: "370211",
		RegisteredFrom: d("2013-01-01"), Basis: "青政发〔2013〕1号", Position: b.Position}, b)
	_, err = f.v.Body(ctx, "370211001", f.at("2012-12-31", ""))
	requireCode(t, domain.CodeBodyNotFound, err) // registered from 2013
	// The town is the fifth body registered: as of the fourth it is unknown.
	_, err = f.v.Body(ctx, "370211001", projections.Axes{InForceOn: d("2024-01-01"), AsOf: b.Position - 1})
	requireCode(t, domain.CodeBodyNotFound, err)
	_, err = f.v.Body(ctx, "999999", on)
	requireCode(t, domain.CodeBodyNotFound, err)

	list := func(q projections.BodyQuery) []string {
		q.Axes = on
		p, err := f.v.Bodies(ctx, q)
		require.NoError(t, err)
		out := make([]string, len(p.Bodies))
		for i, b := range p.Bodies {
			out[i] = b.Code
		}
		require.Equal(t, len(out), p.Total)
		return out
	}
	require.Equal(t, []string{"370000", "370200", "370200-Z01", "370211", "370211001", "370211002", "370212"}, list(projections.BodyQuery{}))
	require.Equal(t, []string{"370211001", "370211002"}, list(projections.BodyQuery{Kind: domain.KindTownship}))
	require.Equal(t, []string{"370200-Z01", "370211001", "370211002"}, list(projections.BodyQuery{Parent: "370211"}))
	require.Equal(t, []string{"370200-Z01"}, list(projections.BodyQuery{Parent: "370211", Kind: domain.KindZone}))
	rows := allPages(t, 3, func(after string) ([]projections.Body, projections.PageInfo, int) {
		p, err := f.v.Bodies(ctx, projections.BodyQuery{Axes: on, Page: projections.Page{First: 3, After: after}})
		require.NoError(t, err)
		return p.Bodies, p.PageInfo, p.Total
	})
	require.Len(t, rows, 7)
}
