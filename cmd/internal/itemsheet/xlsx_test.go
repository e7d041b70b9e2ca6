package itemsheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// part is one sheet of a test workbook: rows above the header (the title),
// the header and the data rows.
type part struct {
	name   string
	titles [][]string
	header []string
	rows   [][]string
	// mergeBy lists the columns whose equal values make a run of rows one
	// item; within a run, every column whose value is the same on all of
	// its rows is written once and merged down, as officers lay lists out.
	mergeBy []int
}

// workbook builds an XLSX file as a spreadsheet program would save it.
func workbook(t *testing.T, parts ...part) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, p := range parts {
		if i == 0 {
			require.NoError(t, f.SetSheetName("Sheet1", p.name))
		} else {
			_, err := f.NewSheet(p.name)
			require.NoError(t, err)
		}
		r := 1
		put := func(cells []string) {
			for c, v := range cells {
				if v == "" {
					continue
				}
				ref, err := excelize.CoordinatesToCellName(c+1, r)
				require.NoError(t, err)
				require.NoError(t, f.SetCellStr(p.name, ref, v))
			}
			r++
		}
		for _, title := range p.titles {
			if len(title) == 1 { // a title is merged across the table
				end, err := excelize.CoordinatesToCellName(len(p.header), r)
				require.NoError(t, err)
				require.NoError(t, f.MergeCell(p.name, "A"+strconv.Itoa(r), end))
			}
			put(title)
		}
		put(p.header)
		for start := 0; start < len(p.rows); {
			end := start + 1
			for end < len(p.rows) && p.mergeBy != nil && sameAt(p.rows[start], p.rows[end], p.mergeBy) {
				end++
			}
			top := r
			for k := start; k < end; k++ {
				row := append([]string(nil), p.rows[k]...)
				if k > start {
					for c := range row {
						if allSame(p.rows[start:end], c) {
							row[c] = "" // only the top-left cell of a merged range holds the value
						}
					}
				}
				put(row)
			}
			if end-start > 1 {
				for c := range p.header {
					if allSame(p.rows[start:end], c) && p.rows[start][c] != "" {
						from, _ := excelize.CoordinatesToCellName(c+1, top)
						to, _ := excelize.CoordinatesToCellName(c+1, r-1)
						require.NoError(t, f.MergeCell(p.name, from, to))
					}
				}
			}
			start = end
		}
	}
	var b bytes.Buffer
	require.NoError(t, f.Write(&b))
	return b.Bytes()
}

func sameAt(a, b []string, cols []int) bool {
	for _, c := range cols {
		if a[c] != b[c] {
			return false
		}
	}
	return true
}

func allSame(rows [][]string, c int) bool {
	for _, r := range rows[1:] {
		if r[c] != rows[0][c] {
			return false
		}
	}
	return true
}

func records(t *testing.T, text []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	require.NoError(t, err)
	return recs
}

// located drops where items and warnings were found, which differs
// between a CSV file and a workbook; everything else must be equal.
func located(res Result) Result {
	out := Result{Items: make([]Item, len(res.Items))}
	for i, it := range res.Items {
		it.Sheet, it.Line = "", 0
		it.SubItems = append([]SubItem(nil), it.SubItems...)
		for j := range it.SubItems {
			it.SubItems[j].Sheet, it.SubItems[j].Line = "", 0
		}
		out.Items[i] = it
	}
	for _, w := range res.Warnings {
		w.Sheet, w.Line = "", 0
		out.Warnings = append(out.Warnings, w)
	}
	return out
}

func read(t *testing.T, file []byte, opts Options) Result {
	t.Helper()
	res, err := Read(bytes.NewReader(file), opts)
	require.NoError(t, err)
	return res
}

// sameInAllFormats checks that a list read as UTF-8 CSV, as GB18030 CSV and
// as the workbook reads the same.
func sameInAllFormats(t *testing.T, utf8CSV, xlsx []byte, opts Options) Result {
	t.Helper()
	want := read(t, utf8CSV, opts)
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf8CSV)
	require.NoError(t, err)
	require.Equal(t, want, read(t, gb, opts), "GB18030 CSV")
	require.Equal(t, located(want), located(read(t, xlsx, opts)), "XLSX")
	return want
}

// The real portal list, as a workbook of two sheets with a title row each
// and the cells an item's rows share merged down, reads as its CSV does.
func TestGuanganWorkbookReadsAsTheCSV(t *testing.T) {
	text := mustRead(t, "testdata/guangan-items.csv")
	recs := records(t, text)
	header, rows := recs[0], recs[1:]
	half := len(rows) / 2
	xlsx := workbook(t,
		part{name: "第一部分", titles: [][]string{{"广安区行政许可事项清单（2023年版）"}}, header: header, rows: rows[:half], mergeBy: []int{1, 3}},
		part{name: "第二部分", titles: [][]string{{"广安区行政许可事项清单（2023年版）"}, {"填报单位：广安区司法局", "", "", "", "日期：2023-03-01"}},
			header: header, rows: rows[half:], mergeBy: []int{1, 3}})
	res := sameInAllFormats(t, text, xlsx, Options{})
	require.Len(t, res.Items, 250)

	// Rows carry their sheet and row.
	wb := read(t, xlsx, Options{})
	require.Equal(t, "第一部分", wb.Items[0].Sheet)
	require.Equal(t, 3, wb.Items[0].Line, "title row, header row, then the first item")
	last := wb.Items[len(wb.Items)-1]
	require.Equal(t, "第二部分", last.Sheet)
}

// The official layout — no codes, sub-items under a merged item — reads
// the same from a workbook as from CSV, codes made from 序号.
func TestOfficialWorkbookReadsAsTheCSV(t *testing.T) {
	const basis = "《中华人民共和国森林法》第五十六条\n《中华人民共和国森林法实施条例》第三十条"
	text := []byte("序号,事项名称,子项名称,主管部门,实施机关,设定和实施依据,备注\n" +
		"1,林木采伐许可证核发,新办,市自然资源和规划局,区自然资源局,\"" + basis + "\",\n" +
		"1,林木采伐许可证核发,延续,市自然资源和规划局,区自然资源局,\"" + basis + "\",\n" +
		"2,教师资格认定,,市教育局,区教育和体育局,《中华人民共和国教师法》第十条,幼儿园、小学教师资格\n" +
		"3,建设工程消防设计审查,,,区住房和城乡建设局,《中华人民共和国消防法》第十一条,\n")
	recs := records(t, text)
	xlsx := workbook(t,
		part{name: "行政许可", titles: [][]string{{"某区行政许可事项清单（2023年版）"}}, header: recs[0], rows: recs[1:3], mergeBy: []int{0, 1}},
		part{name: "续表", header: recs[0], rows: recs[3:], mergeBy: []int{0, 1}})
	res := sameInAllFormats(t, text, xlsx, Options{CodePrefix: "XK"})
	require.Equal(t, []Item{
		{Code: "XK0001", Name: "林木采伐许可证核发", Department: "市自然资源和规划局", Authority: "区自然资源局", LegalBasis: basis,
			SubItems: []SubItem{{Code: "XK0001-01", Name: "新办"}, {Code: "XK0001-02", Name: "延续"}}},
		{Code: "XK0002", Name: "教师资格认定", Department: "市教育局", Authority: "区教育和体育局",
			LegalBasis: "《中华人民共和国教师法》第十条", Note: "幼儿园、小学教师资格"},
		{Code: "XK0003", Name: "建设工程消防设计审查", Authority: "区住房和城乡建设局", LegalBasis: "《中华人民共和国消防法》第十一条"},
	}, located(res).Items)

	// The empty 主管部门 stays empty, and is said, with its row.
	require.Equal(t, []Problem{{Sheet: "续表", Line: 3, Column: ColDept,
		Message: "主管部门 is empty: the item is recorded without a competent department"}}, read(t, xlsx, Options{CodePrefix: "XK"}).Warnings)
	require.Equal(t, []Problem{{Line: 7, Column: ColDept, // the legal basis above spans two lines
		Message: "主管部门 is empty: the item is recorded without a competent department"}}, res.Warnings)
}

func TestNoDepartmentColumnIsOneWarning(t *testing.T) {
	res := read(t, []byte(portalHeader+"A1,甲,,某局,,\nA2,乙,,某局,,\n"), Options{})
	require.Equal(t, "", res.Items[0].Department)
	require.Equal(t, []Problem{{Message: "the list has no 主管部门 column: its 2 items are recorded without a competent department (实施机关 is not copied into it)"}}, res.Warnings)
}

func TestTitleRowsInCSV(t *testing.T) {
	sheet := "青岛市行政许可事项清单（2023年版）,,,,,\n" +
		",,,,,\n" +
		"填报单位：青岛市司法局,,,,,\n" +
		"序号,事项名称,主管部门,实施机关,设定和实施依据,备注\n" +
		"1,教师资格认定,教育部门,县级教育部门,\"" + basis1 + "\",幼儿园、小学、初级中学教师资格\n"
	items := parse(t, sheet)
	require.Equal(t, []Item{{Line: 5, Name: "教师资格认定", Department: "教育部门", Authority: "县级教育部门",
		LegalBasis: basis1, Note: "幼儿园、小学、初级中学教师资格"}}, items)
}

func TestWorkbookProblems(t *testing.T) {
	header := []string{"序号", "事项名称", "主管部门", "实施机关"}
	for _, tc := range []struct {
		name  string
		parts []part
		want  []string
	}{{
		name: "problems name their sheet and row, sheet by sheet",
		parts: []part{
			{name: "一", titles: [][]string{{"清单"}}, header: header, rows: [][]string{{"1", "甲", "部门", "某局"}, {"2", "", "部门", "某局"}}},
			{name: "二", header: header, rows: [][]string{{"3", "甲", "部门", "某局"}}},
		},
		want: []string{`sheet "一" row 4: 事项名称 is empty`, `sheet "二" row 2: duplicate row: 事项名称 "甲" of 实施机关 "某局" is already on sheet "一" row 3`},
	}, {
		name: "no known header",
		parts: []part{
			{name: "一", header: header, rows: [][]string{{"1", "甲", "部门", "某局"}}},
			{name: "说明", header: []string{"编号", "项目", "单位"}, rows: [][]string{{"1", "说明文字", ""}}},
		},
		want: []string{`sheet "说明": no header row: none of the first 10 rows names a known column; the columns known are ` + knownColumns() + ` (事项名称 and 实施机关 or 主管部门 are required)`},
	}, {
		name: "sheets with other columns",
		parts: []part{
			{name: "一", header: header, rows: [][]string{{"1", "甲", "部门", "某局"}}},
			{name: "二", header: []string{"事项名称", "实施机关"}, rows: [][]string{{"乙", "某局"}}},
		},
		want: []string{`sheet "二" row 1: the header names the columns 事项名称, 实施机关 but sheet "一" names 序号, 事项名称, 主管部门, 实施机关; every sheet must have the same columns (in any order)`},
	}, {
		name: "a value right of the header",
		parts: []part{
			{name: "一", header: header, rows: [][]string{{"1", "甲", "部门", "某局", "", "多余"}}},
		},
		want: []string{`sheet "一" row 2: the row has a value right of the header's last column (column 4); give that column a header or empty it`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(workbook(t, tc.parts...)), Options{})
			var se *SheetError
			require.True(t, errors.As(err, &se), "%v", err)
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.String())
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestEmptyWorkbookSheetsAreSkipped(t *testing.T) {
	xlsx := workbook(t,
		part{name: "空白", header: nil},
		part{name: "清单", header: []string{"事项编码", "事项名称", "实施机关"}, rows: [][]string{{"511602000000", "甲", "某局"}}})
	res := read(t, xlsx, Options{})
	require.Equal(t, []Item{{Sheet: "清单", Line: 2, Code: "511602000000", Name: "甲", Authority: "某局"}}, res.Items)
}

// A code typed into a cell as a number reads as its digits, not as the
// number's display (5.11602E+11).
func TestNumericCodeCell(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"序号", "事项编码", "事项名称", "实施机关"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{1, 511602000000, "甲", "某局"}))
	var b bytes.Buffer
	require.NoError(t, f.Write(&b))
	res := read(t, b.Bytes(), Options{})
	require.Equal(t, "511602000000", res.Items[0].Code)
}

func TestOldExcelAndBrokenWorkbook(t *testing.T) {
	require.Equal(t, []Problem{{Message: "the file is an Excel 97-2003 workbook (.xls); save it as .xlsx (Excel workbook) or as CSV"}},
		problemsOf(t, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, Options{}))
	ps := problemsOf(t, []byte("PK\x03\x04 not really a zip"), Options{})
	require.Len(t, ps, 1)
	require.Contains(t, ps[0].Message, "the file looks like an XLSX workbook but cannot be opened")
}
