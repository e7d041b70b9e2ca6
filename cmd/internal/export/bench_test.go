package export

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// pages serves a fixed catalogue in pages, as a read side does, so that
// the benchmark measures the export and not a store.
type pages []projections.Item

func (p pages) Catalogue(_ context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	start := 0
	if q.After != "" {
		fmt.Sscan(q.After, &start)
	}
	end := min(start+q.First, len(p))
	page := projections.ItemPage{Items: p[start:end], Total: len(p), AsOf: 1}
	page.HasNextPage = end < len(p)
	page.EndCursor = fmt.Sprint(end)
	return page, nil
}

func (p pages) Delegations(context.Context, projections.DelegationQuery) (projections.DelegationPage, error) {
	return projections.DelegationPage{}, nil
}

// benchCatalogue is n items shaped like a real list: names of a dozen
// characters or more, a legal basis of two articles, every third item with
// two sub-items.
func benchCatalogue(n int) pages {
	out := make(pages, n)
	for i := range out {
		it := projections.Item{ID: fmt.Sprint(i), ItemFacts: domain.ItemFacts{
			Code:       fmt.Sprintf("370200-XK-%05d", i),
			Name:       fmt.Sprintf("第%d号建设工程消防设计审查及验收备案许可", i),
			Department: "市住房和城乡建设局",
			Authority:  "区住房和城乡建设局（行政审批服务局）",
			LegalBasis: "《中华人民共和国消防法》第十一条、第十三条\n《建设工程消防设计审查验收管理暂行规定》（住房和城乡建设部令第51号）" + strings.Repeat("第十五条", i%4),
			Level:      domain.LevelCounty,
		}}
		if i%3 == 0 {
			it.SubItems = []domain.SubItem{{Code: it.Code + "-01", Name: "新办"}, {Code: it.Code + "-02", Name: "变更"}}
		}
		out[i] = it
	}
	return out
}

// BenchmarkExport5000 compares exporting a 5,000-item catalogue as XLSX
// with excelize's own StreamWriter writing the same rows, plain, in the
// same run: the baseline is what the file costs at least; the export adds
// paging, styles, merges and the column widths.
func BenchmarkExport5000(b *testing.B) {
	cat := benchCatalogue(5000)
	ctx := context.Background()
	req := Request{InForceOn: domain.MustDate("2026-12-07")}
	b.Run("baseline-streamwriter", func(b *testing.B) {
		t, err := catalogueTable(ctx, cat, req, func(string, int, int) {})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := plainStream(t, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("export-xlsx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Write(ctx, cat, req, XLSX, io.Discard, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// plainStream writes the table's rows with a StreamWriter and nothing else:
// the same values as the export, so a merged-over cell (on a sub-item row)
// is left empty, without styles, merges or widths.
func plainStream(t *table, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	r := 1
	values := make([]any, len(t.columns))
	for _, g := range t.groups {
		for k, row := range g {
			for i, v := range row {
				values[i] = v
				if k > 0 && !t.columns[i].perRow {
					values[i] = nil
				}
			}
			if err := sw.SetRow(cell(1, r), values); err != nil {
				return err
			}
			r++
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
