package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/cmd/internal/export"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// catalogueOf reads the items of a stopped data directory through its read
// model, independently of the export under test.
func catalogueOf(t *testing.T, dir string, q projections.CatalogueQuery) []domain.ItemFacts {
	t.Helper()
	ctx := context.Background()
	dd, err := app.OpenDataDir(dir)
	require.NoError(t, err)
	defer dd.Close()
	rm, err := app.OpenReadModel(ctx, "", dd.Events, false)
	require.NoError(t, err)
	defer rm.Close()
	require.NoError(t, rm.CatchUp(ctx, io.Discard))
	q.First = projections.MaxPageSize
	var out []domain.ItemFacts
	for {
		page, err := rm.Read.Views().Catalogue(ctx, q)
		require.NoError(t, err)
		for _, it := range page.Items {
			f := it.ItemFacts
			if len(f.SubItems) == 0 {
				f.SubItems = nil
			}
			out = append(out, f)
		}
		if !page.HasNextPage {
			return out
		}
		q.After, q.AsOf = page.EndCursor, page.AsOf
	}
}

// Exporting an edition, or the catalogue of a date, and importing the file
// into a fresh data directory reproduces its items — codes, names,
// departments (the empty ones empty), authorities, legal bases, levels and
// sub-items — in XLSX and in CSV, through the real binary.
func TestExportImportRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "catalogue")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	source := filepath.Join(dir, "source")
	runCLI(t, bin, "demo", "--data", source)
	// An item with sub-items, a legal basis over two lines and a level of
	// its own, which the demo's portal list lacks.
	official := filepath.Join(dir, "official.csv")
	require.NoError(t, os.WriteFile(official, []byte("序号,事项名称,子项名称,主管部门,实施机关,设定和实施依据,行使层级\n"+
		"1,林木采伐许可证核发,新办,市自然资源和规划局,区自然资源局,\"《中华人民共和国森林法》第五十六条\n《中华人民共和国森林法实施条例》第三十条\",市级\n"+
		"1,林木采伐许可证核发,延续,市自然资源和规划局,区自然资源局,\"《中华人民共和国森林法》第五十六条\n《中华人民共和国森林法实施条例》第三十条\",市级\n"), 0o600))
	runCLI(t, bin, "import", official, "--data", source, "--basis", "青政发〔2025〕2号", "--effective", "2025-01-01", "--code-prefix", "QD-XK")

	for _, tc := range []struct {
		name string
		args []string
		q    projections.CatalogueQuery
	}{
		{"edition", []string{"--edition", "2024年版"}, projections.CatalogueQuery{Edition: "2024年版"}},
		{"date", []string{"--in-force-on", "2025-06-01"}, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2025-06-01")}}},
	} {
		want := catalogueOf(t, source, tc.q)
		require.Greater(t, len(want), 200)
		for _, format := range []string{"xlsx", "csv"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "list."+format)
				out := runCLI(t, bin, append([]string{"export", "--data", source, "--out", file}, tc.args...)...)
				require.Contains(t, out, "wrote "+file)
				if format == "xlsx" {
					checkWorkbook(t, file, len(want))
				}
				// --level NATIONAL: a level lost on the way would show.
				fresh := filepath.Join(t.TempDir(), "fresh")
				runCLI(t, bin, "import", file, "--data", fresh, "--basis", "青政发〔2026〕1号", "--effective", "2026-01-01", "--level", "NATIONAL")
				got := catalogueOf(t, fresh, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2026-01-01")}})
				require.Equal(t, want, got)
			})
		}
	}
}

// checkWorkbook reads an exported list back with excelize: the title row,
// the header, one record per item.
func checkWorkbook(t *testing.T, file string, items int) {
	t.Helper()
	f, err := excelize.OpenFile(file)
	require.NoError(t, err)
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(rows[0][0], "行政许可事项清单（"), rows[0][0])
	require.Equal(t, []string{"序号", "事项编码", "事项名称", "子项编码", "子项名称", "主管部门", "实施机关", "设定和实施依据", "行使层级", "备注"}, rows[1])
	last := ""
	seqs := 0
	for _, r := range rows[2:] {
		if r[0] != "" && r[0] != last {
			seqs++
			last = r[0]
		}
	}
	require.Equal(t, items, seqs, "one 序号 per item; sub-item rows are merged under it")
}

// An officer's workbook — title row, merged cells, two sheets, no codes —
// imports with --code-prefix; without it, the refusal says how to give
// codes; an empty 主管部门 stays empty and is warned about.
func TestImportWorkbook(t *testing.T) {
	f := excelize.NewFile()
	header := []any{"序号", "事项名称", "子项名称", "主管部门", "实施机关", "设定和实施依据", "备注"}
	require.NoError(t, f.SetSheetName("Sheet1", "一、市级"))
	require.NoError(t, f.SetSheetRow("一、市级", "A1", &[]any{"某区行政许可事项清单（2023年版）"}))
	require.NoError(t, f.MergeCell("一、市级", "A1", "G1"))
	require.NoError(t, f.SetSheetRow("一、市级", "A2", &header))
	require.NoError(t, f.SetSheetRow("一、市级", "A3", &[]any{1, "林木采伐许可证核发", "新办", "市自然资源和规划局", "区自然资源局", "《中华人民共和国森林法》第五十六条"}))
	require.NoError(t, f.SetSheetRow("一、市级", "A4", &[]any{nil, nil, "延续"}))
	for _, col := range []string{"A", "B", "D", "E", "F"} {
		require.NoError(t, f.MergeCell("一、市级", col+"3", col+"4"))
	}
	_, err := f.NewSheet("二、区级")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("二、区级", "A1", &header))
	require.NoError(t, f.SetSheetRow("二、区级", "A2", &[]any{2, "建设工程消防设计审查", nil, nil, "区住房和城乡建设局", "《中华人民共和国消防法》第十一条"}))
	file := filepath.Join(t.TempDir(), "清单.xlsx")
	require.NoError(t, f.SaveAs(file))
	require.NoError(t, f.Close())

	dir := t.TempDir()
	args := []string{"import", file, "--data", dir, "--basis", "某政发〔2023〕1号", "--effective", "2023-03-01"}
	_, _, err = cli(t, args...)
	require.ErrorContains(t, err, `2 items have no 事项编码 (sheet "一、市级" row 3, sheet "二、区级" row 2)`)
	require.ErrorContains(t, err, "--code-prefix")
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))

	out, stderr, err := cli(t, append(args, "--code-prefix", "XK")...)
	require.NoError(t, err, stderr)
	require.Contains(t, out, "2 items: 2 recorded")
	require.Contains(t, stderr, `warning: sheet "二、区级" row 2: 主管部门 is empty`)
	got := catalogueOf(t, dir, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2023-03-01")}})
	require.Equal(t, []domain.ItemFacts{
		{Code: "XK0001", Name: "林木采伐许可证核发", Department: "市自然资源和规划局", Authority: "区自然资源局",
			LegalBasis: "《中华人民共和国森林法》第五十六条", Level: domain.LevelCounty,
			SubItems: []domain.SubItem{{Code: "XK0001-01", Name: "新办"}, {Code: "XK0001-02", Name: "延续"}}},
		{Code: "XK0002", Name: "建设工程消防设计审查", Authority: "区住房和城乡建设局",
			LegalBasis: "《中华人民共和国消防法》第十一条", Level: domain.LevelCounty},
	}, got)
}

func TestImportRefusesUnknownHeaders(t *testing.T) {
	file := filepath.Join(t.TempDir(), "list.csv")
	require.NoError(t, os.WriteFile(file, []byte("编号,项目名称,办理单位\n1,某项目,某局\n"), 0o600))
	_, _, err := cli(t, "import", file, "--data", t.TempDir(), "--basis", "X", "--effective", "2023-01-01")
	require.ErrorContains(t, err, "no header row")
	require.ErrorContains(t, err, "the columns known are 序号, 事项编码, 事项名称")
}

func TestExportRefusals(t *testing.T) {
	dir := t.TempDir()
	_, _, err := cli(t, "demo", "--data", dir)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "list.xlsx")

	// A data directory held by another process (serve) is named as such.
	dd, err := app.OpenDataDir(dir)
	require.NoError(t, err)
	_, _, err = cli(t, "export", "--data", dir, "--out", out)
	require.ErrorContains(t, err, "export reads a stopped data directory, and data directory in use")
	require.ErrorContains(t, err, "is held by process")
	require.NoError(t, dd.Close())

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--edition", "2023年版", "--in-force-on", "2024-01-01"}, "--edition fixes its own date and position; leave out --in-force-on"},
		{[]string{"--edition", "1999年版"}, "EDITION_NOT_FOUND"},
		{[]string{"--in-force-on", "2024-13-01"}, "--in-force-on"},
		{[]string{"--format", "xls"}, "not a format"},
	} {
		_, _, err := cli(t, append([]string{"export", "--data", dir, "--out", out}, tc.args...)...)
		require.ErrorContains(t, err, tc.err)
	}
	_, _, err = cli(t, "export", "--data", filepath.Join(dir, "missing"), "--out", out)
	require.ErrorContains(t, err, "no catalogue in")
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Empty(t, entries, "no file, and no temporary file, is left behind")

	// Interrupted: nothing is written.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"export", "--data", dir, "--out", out, "--edition", "2023年版"}, &stdout, &stderr)
	require.Error(t, err)
	entries, err = os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Empty(t, entries)
}

// A write that fails half-way leaves the previous file as it was and no
// temporary file; one that succeeds replaces it whole.
func TestWriteAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "list.csv")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	_, err := writeAtomically(path, func(w io.Writer) (export.Summary, error) {
		io.WriteString(w, "half a fi")
		return export.Summary{}, context.Canceled
	})
	require.ErrorIs(t, err, context.Canceled)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	_, err = writeAtomically(path, func(w io.Writer) (export.Summary, error) {
		_, err := io.WriteString(w, "new")
		return export.Summary{}, err
	})
	require.NoError(t, err)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new", string(b))
}

// The same list as UTF-8 CSV, GB18030 CSV and a workbook (a title row, the
// rows split over two sheets) imports to the same catalogue.
func TestSameListInEveryFormatImportsTheSame(t *testing.T) {
	text, err := os.ReadFile(guangan)
	require.NoError(t, err)
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(text)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	require.NoError(t, err)
	f := excelize.NewFile()
	half := len(recs) / 2
	for i, part := range [][][]string{recs[1:half], recs[half:]} {
		name := fmt.Sprintf("第%d部分", i+1)
		if i == 0 {
			require.NoError(t, f.SetSheetName("Sheet1", name))
		} else {
			_, err := f.NewSheet(name)
			require.NoError(t, err)
		}
		require.NoError(t, f.SetSheetRow(name, "A1", &[]string{"广安区行政许可事项清单（2023年版）"}))
		for r, row := range append([][]string{recs[0]}, part...) {
			require.NoError(t, f.SetSheetRow(name, fmt.Sprintf("A%d", r+2), &row))
		}
	}
	var xlsx bytes.Buffer
	require.NoError(t, f.Write(&xlsx))
	require.NoError(t, f.Close())

	var want []domain.ItemFacts
	for _, file := range []struct {
		name string
		data []byte
	}{{"list.csv", text}, {"list-gb18030.csv", gb}, {"list.xlsx", xlsx.Bytes()}} {
		path := filepath.Join(t.TempDir(), file.name)
		require.NoError(t, os.WriteFile(path, file.data, 0o600))
		dir := t.TempDir()
		_, stderr, err := cli(t, "import", path, "--data", dir, "--basis", "广安区府发〔2023〕7号", "--effective", "2023-05-01")
		require.NoError(t, err, stderr)
		got := catalogueOf(t, dir, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2023-05-01")}})
		require.Len(t, got, 250)
		if want == nil {
			want = got
		}
		require.Equal(t, want, got, file.name)
	}
}
