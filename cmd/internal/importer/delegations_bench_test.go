package importer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/sqlite"
)

// BenchmarkDelegations500SQLite imports a document handing 50 items to
// 各区市 (10 districts): 500 delegations, checked and recorded on the
// embedded default log (SQLite), each run on a fresh log. Target: < 5 s.
func BenchmarkDelegations500SQLite(b *testing.B) {
	ctx := context.Background()
	var districts []importer.Body
	for i := range 10 {
		districts = append(districts, importer.Body{Line: i + 2, Code: fmt.Sprintf("3702%02d", i+1), Name: fmt.Sprintf("第%d区", i+1), Kind: domain.KindDistrict, Parent: "3702"})
	}
	var items []itemsheet.Item
	var doc strings.Builder
	doc.WriteString("事项编码,承接主体,方式\n")
	for i := range 50 {
		code := fmt.Sprintf("XK%03d", i)
		items = append(items, itemsheet.Item{Line: i + 2, Code: code, Name: "许可事项" + code, Authority: "市行政审批局", Level: "市级"})
		fmt.Fprintf(&doc, "%s,各区市,下放\n", code)
	}
	rows := rows(b, doc.String())
	for b.Loop() {
		b.StopTimer()
		log, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"))
		require.NoError(b, err)
		l, cat := catalogueIn(b, log, districts, items)
		b.StartTimer()
		rep, _, err := importer.Delegations(ctx, l, rows, cat, docOptions(), nil)
		b.StopTimer()
		require.NoError(b, err)
		require.Equal(b, 500, rep.Recorded)
		require.NoError(b, log.Close())
		b.StartTimer()
	}
}
