package export_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/catalogue/catalogue/cmd/internal/demo"
	"github.com/catalogue/catalogue/cmd/internal/export"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	eventsmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
)

// The legal basis of a real list runs over several lines, with full-width
// punctuation that must come back byte for byte.
const basis = "《中华人民共和国森林法》第五十六条\n《中华人民共和国森林法实施条例》第三十条（2018年修订）"

var (
	fixtureOnce  sync.Once
	fixtureStore *memory.Store
	fixtureErr   error
)

// fixture is the demo catalogue (250 real items, delegations, amendments,
// revocations, two editions) plus an item with sub-items and a long legal
// basis, projected into the in-memory read model.
func fixture(t *testing.T) *memory.Store {
	t.Helper()
	fixtureOnce.Do(func() {
		ctx := context.Background()
		log := eventsmemory.New()
		l := ledger.New(log, ledger.WithJurisdiction(demo.Jurisdiction))
		if _, fixtureErr = demo.Run(ctx, l, nil); fixtureErr != nil {
			return
		}
		_, fixtureErr = l.ListItem(ctx, ledger.Request{CommandID: "forest", By: domain.Actor{Name: "test", Role: domain.RoleLegalOfficer}}, domain.ListItem{
			ItemFacts: domain.ItemFacts{Code: "370200-XK-0001", Name: "林木采伐许可证核发", Department: "市自然资源和规划局",
				Authority: "区自然资源局", LegalBasis: basis, Level: domain.LevelMunicipal,
				SubItems: []domain.SubItem{{Code: "370200-XK-0001-01", Name: "新办"}, {Code: "370200-XK-0001-02", Name: "延续"}}},
			Change: domain.Change{Basis: "青政发〔2025〕2号", Reason: "新增", EffectiveFrom: domain.MustDate("2025-01-01")}})
		if fixtureErr != nil {
			return
		}
		fixtureStore = memory.New()
		fixtureErr = projections.New(log, fixtureStore).CatchUp(ctx)
	})
	require.NoError(t, fixtureErr)
	return fixtureStore
}

func write(t *testing.T, r export.Reader, req export.Request, f export.Format) ([]byte, export.Summary) {
	t.Helper()
	var b bytes.Buffer
	sum, err := export.Write(context.Background(), r, req, f, &b, nil)
	require.NoError(t, err)
	return b.Bytes(), sum
}

// items reads the whole catalogue of a query.
func items(t *testing.T, r export.Reader, q projections.CatalogueQuery) []projections.Item {
	t.Helper()
	q.First = projections.MaxPageSize
	var out []projections.Item
	for {
		page, err := r.Catalogue(context.Background(), q)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if !page.HasNextPage {
			return out
		}
		q.After, q.AsOf = page.EndCursor, page.AsOf
	}
}

// facts is what a list says of an item, as an import reads it.
func facts(it itemsheet.Item) domain.ItemFacts {
	level, _ := domain.ParseLevel(it.Level)
	f := domain.ItemFacts{Code: it.Code, Name: it.Name, Department: it.Department, Authority: it.Authority,
		LegalBasis: it.LegalBasis, Level: level}
	for _, s := range it.SubItems {
		f.SubItems = append(f.SubItems, domain.SubItem{Code: s.Code, Name: s.Name})
	}
	return f
}

func wantFacts(items []projections.Item) []domain.ItemFacts {
	out := make([]domain.ItemFacts, len(items))
	for i, it := range items {
		out[i] = it.ItemFacts
		if len(out[i].SubItems) == 0 {
			out[i].SubItems = nil
		}
	}
	return out
}

// An edition and the catalogue of a date, exported in either format and
// read back as an import reads a list, give their items: codes, names,
// departments (empty ones too), authorities, legal bases, levels and
// sub-items.
func TestExportReadsBackAsItsItems(t *testing.T) {
	store := fixture(t)
	for _, tc := range []struct {
		name string
		req  export.Request
		q    projections.CatalogueQuery
	}{
		{"edition", export.Request{Edition: "2023年版"}, projections.CatalogueQuery{Edition: "2023年版"}},
		{"date", export.Request{InForceOn: domain.MustDate("2025-06-01")},
			projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2025-06-01")}}},
	} {
		want := wantFacts(items(t, store.Views(), tc.q))
		require.NotEmpty(t, want)
		for _, f := range []export.Format{export.XLSX, export.CSV} {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				file, sum := write(t, store.Views(), tc.req, f)
				require.Equal(t, len(want), sum.Records)
				res, err := itemsheet.Read(bytes.NewReader(file), itemsheet.Options{})
				require.NoError(t, err)
				got := make([]domain.ItemFacts, len(res.Items))
				for i, it := range res.Items {
					got[i] = facts(it)
				}
				require.Equal(t, want, got)
			})
		}
	}
}

func TestXLSXLayout(t *testing.T) {
	store := fixture(t)
	file, sum := write(t, store.Views(), export.Request{InForceOn: domain.MustDate("2025-06-01")}, export.XLSX)
	require.Equal(t, "行政许可事项清单（2025-06-01）", sum.Title)
	f, err := excelize.OpenReader(bytes.NewReader(file))
	require.NoError(t, err)
	defer f.Close()
	sheet := f.GetSheetList()[0]

	title, err := f.GetCellValue(sheet, "A1")
	require.NoError(t, err)
	require.Equal(t, "行政许可事项清单（2025-06-01）", title)
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Equal(t, []string{"序号", "事项编码", "事项名称", "子项编码", "子项名称", "主管部门", "实施机关", "设定和实施依据", "行使层级", "备注"}, rows[1])

	panes, err := f.GetPanes(sheet)
	require.NoError(t, err)
	require.True(t, panes.Freeze)
	require.Equal(t, 2, panes.YSplit, "the title and header stay in view")

	merges, err := f.GetMergeCells(sheet)
	require.NoError(t, err)
	refs := map[string]bool{}
	for _, m := range merges {
		refs[m.GetStartAxis()+":"+m.GetEndAxis()] = true
	}
	require.True(t, refs["A1:J1"], "the title spans the table")
	// The forest item (two sub-items): its item cells are merged down over
	// its two rows, its sub-item cells are not.
	r := 0
	for i, row := range rows {
		if len(row) > 1 && row[1] == "370200-XK-0001" {
			r = i + 1
			break
		}
	}
	require.NotZero(t, r)
	for _, col := range []string{"A", "B", "C", "F", "G", "H", "I", "J"} {
		require.True(t, refs[col+itoa(r)+":"+col+itoa(r+1)], "column %s merged over the sub-item rows", col)
	}
	require.False(t, refs["D"+itoa(r)+":D"+itoa(r+1)])
	require.Equal(t, []string{"延续"}, []string{rows[r][4]})
	require.Equal(t, basis, rows[r-1][7])

	// Columns fit Chinese text: the name column is wider than its longest
	// name counted in characters, capped for legal text that wraps.
	longest := 0
	for _, row := range rows[2:] {
		if len(row) > 2 {
			longest = max(longest, len([]rune(row[2])))
		}
	}
	w, err := f.GetColWidth(sheet, "C")
	require.NoError(t, err)
	require.GreaterOrEqual(t, w, float64(min(2*longest, 60)))
	wb, err := f.GetColWidth(sheet, "H")
	require.NoError(t, err)
	require.Equal(t, 56.0, wb, "the widest line of the legal basis, 54 wide (its Chinese characters count 2), and a margin")
}

func itoa(n int) string {
	name, _ := excelize.CoordinatesToCellName(1, n)
	return strings.TrimPrefix(name, "A")
}

func TestCSVHasABOMAndItsHeaderFirst(t *testing.T) {
	file, _ := write(t, fixture(t).Views(), export.Request{Edition: "2024年版"}, export.CSV)
	require.True(t, bytes.HasPrefix(file, []byte("\uFEFF序号,事项编码,事项名称,子项编码,子项名称,主管部门,实施机关,设定和实施依据,行使层级,备注\r\n")))
}

// A body's powers: one record per delegation it holds on the date, with
// the mode, delegator, dates, basis and acceptance.
func TestBodyPowers(t *testing.T) {
	store := fixture(t)
	on := domain.MustDate("2025-06-01")
	page, err := store.Views().Delegations(context.Background(), projections.DelegationQuery{Axes: projections.Axes{InForceOn: on},
		Page: projections.Page{First: projections.MaxPageSize}, Body: "370202"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Delegations)
	require.False(t, page.HasNextPage)

	file, sum := write(t, store.Views(), export.Request{Body: "370202", InForceOn: on}, export.CSV)
	require.Equal(t, "市南区承接的行政许可事项（2025-06-01）", sum.Title)
	require.Equal(t, len(page.Delegations), sum.Records)
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(file), "\uFEFF"), "\r\n"), "\r\n")
	require.Equal(t, "序号,事项编码,事项名称,子项编码,子项名称,方式,授权主体,生效日期,截止日期,依据文号,承接情况,状态", lines[0])
	require.Equal(t, sum.Rows, len(lines)-1)
	d := page.Delegations[0]
	require.True(t, strings.HasPrefix(lines[1], "1,"+d.ItemCode+","+d.ItemName+","), lines[1])
	require.Contains(t, lines[1], d.EffectiveFrom.String()+",")
	require.Contains(t, lines[1], ","+d.Basis+",")
}

func TestRequestsThatCannotBe(t *testing.T) {
	store := fixture(t)
	for _, req := range []export.Request{
		{Edition: "2023年版", InForceOn: domain.MustDate("2024-01-01")},
		{Edition: "2023年版", Body: "370202"},
		{},
		{Body: "370202"},
	} {
		_, err := export.Write(context.Background(), store.Views(), req, export.XLSX, &bytes.Buffer{}, nil)
		require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err), "%+v: %v", req, err)
	}
	_, err := export.Write(context.Background(), store.Views(), export.Request{Edition: "1999年版"}, export.XLSX, &bytes.Buffer{}, nil)
	require.Equal(t, domain.CodeEditionNotFound, domain.ErrorCode(err))
	_, err = export.ParseFormat("xls")
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = export.Write(ctx, store.Views(), export.Request{Edition: "2023年版"}, export.CSV, &bytes.Buffer{}, nil)
	require.ErrorIs(t, err, context.Canceled)
}
