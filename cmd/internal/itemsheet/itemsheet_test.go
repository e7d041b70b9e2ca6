package itemsheet

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func parse(t *testing.T, sheet string) []Item {
	t.Helper()
	items, err := Parse(strings.NewReader(sheet))
	require.NoError(t, err)
	return items
}

// The legal basis spans lines inside a quoted cell, as it does in real
// lists, so line numbers must count physical lines, not records.
const basis1 = "《中华人民共和国教师法》第十三条\n《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）"

var officialWant = []Item{
	{Line: 2, Name: "教师资格认定", Department: "教育部门", Authority: "县级教育部门",
		LegalBasis: basis1, Note: "幼儿园、小学、初级中学教师资格"},
	{Line: 5, Name: "适龄儿童、少年因身体状况需要延缓入学或者休学审批", Department: "教育部门",
		Authority: "县级教育部门；乡镇人民政府", LegalBasis: "《中华人民共和国义务教育法》第十一条"},
	{Line: 6, Name: "民办学校设立、变更、终止审批", Department: "教育部门、人力资源社会保障部门",
		Authority: "省级、设区的市级、县级教育部门", LegalBasis: "《中华人民共和国民办教育促进法》〔2018〕第十二条"},
}

func TestOfficialLayout(t *testing.T) {
	sheet := "序号,事项名称,主管部门,实施机关,设定和实施依据,备注\n" +
		"1,教师资格认定,教育部门,县级教育部门,\"" + basis1 + "\",幼儿园、小学、初级中学教师资格\n" +
		"\n" + // a blank line is skipped but counted
		"2,适龄儿童、少年因身体状况需要延缓入学或者休学审批,教育部门,县级教育部门；乡镇人民政府,《中华人民共和国义务教育法》第十一条,\n" +
		"3,民办学校设立、变更、终止审批,教育部门、人力资源社会保障部门,省级、设区的市级、县级教育部门,《中华人民共和国民办教育促进法》〔2018〕第十二条,\n"
	require.Equal(t, officialWant, parse(t, sheet))
}

func TestOfficialLayoutOtherOrder(t *testing.T) {
	// Columns in another order, padded and wrapped headers, an unknown
	// column, CRLF line ends, trailing empty rows as spreadsheets export them.
	sheet := " 备注 ,\"设定和实施\n依据\",中央清单序号,实施机关,事项名称,序号,主管部门\r\n" +
		"幼儿园、小学、初级中学教师资格,\"" + basis1 + "\",101,县级教育部门,教师资格认定,1,教育部门\r\n" +
		",,,,,,\r\n" +
		",《中华人民共和国义务教育法》第十一条,102,县级教育部门；乡镇人民政府,适龄儿童、少年因身体状况需要延缓入学或者休学审批,2,教育部门\r\n" +
		",《中华人民共和国民办教育促进法》〔2018〕第十二条,103,\"省级、设区的市级、县级教育部门\",  民办学校设立、变更、终止审批  ,3,教育部门、人力资源社会保障部门\r\n" +
		",,,,,,\r\n"
	// The wrapped header cell takes two physical lines, so every row starts
	// one line later than in TestOfficialLayout.
	want := slices.Clone(officialWant)
	for i := range want {
		want[i].Line++
	}
	require.Equal(t, want, parse(t, sheet))
}

func TestSplitLegalBasis(t *testing.T) {
	sheet := "序号,中央清单序号,事项名称,主管部门,实施机关,设定依据,实施依据,行使层级,备注\n" +
		"1,12,建设工程消防设计审查,住房城乡建设部门,县级住房城乡建设部门,《中华人民共和国消防法》第十一条,《建设工程消防设计审查验收管理暂行规定》（住房和城乡建设部令第51号）,县级,\n" +
		"2,13,临时占用林地审批,林草部门,县级林草部门,,《中华人民共和国森林法实施条例》第十七条,县级,\n" +
		"3,14,古树名木迁移审批,林草部门,县级林草部门,,,,\n"
	items := parse(t, sheet)
	require.Len(t, items, 3)
	require.Equal(t, "设定依据：《中华人民共和国消防法》第十一条\n实施依据：《建设工程消防设计审查验收管理暂行规定》（住房和城乡建设部令第51号）", items[0].LegalBasis)
	require.Equal(t, "县级", items[0].Level)
	require.Equal(t, "实施依据：《中华人民共和国森林法实施条例》第十七条", items[1].LegalBasis)
	require.Empty(t, items[2].LegalBasis)
	for _, it := range items {
		require.Empty(t, it.Code, "Parse leaves codes to the caller when the sheet has none")
	}
}

func TestSubItemsWithTheirOwnCodeColumn(t *testing.T) {
	// 事项编码 is the item's, repeated on its rows (or given once: merged
	// cells); 子项编码 is the sub-item's. 主管部门 likewise.
	sheet := "序号,事项编码,事项名称,子项名称,子项编码,主管部门,实施机关,设定和实施依据\n" +
		"1,XK001,食品经营许可,食品经营许可证核发,XK001-1,市场监管部门,县级市场监管部门,《中华人民共和国食品安全法》第三十五条\n" +
		",XK001,食品经营许可,食品经营许可证变更,XK001-2,,县级市场监管部门,\n" +
		",,食品经营许可,食品经营许可证注销,XK001-3,,县级市场监管部门,\n" +
		"2,XK002,烟草专卖零售许可证核发,,,烟草专卖部门,县级烟草专卖局,\n"
	items := parse(t, sheet)
	require.Equal(t, []Item{
		{Line: 2, Code: "XK001", Name: "食品经营许可", Department: "市场监管部门", Authority: "县级市场监管部门",
			LegalBasis: "《中华人民共和国食品安全法》第三十五条", SubItems: []SubItem{
				{Line: 2, Code: "XK001-1", Name: "食品经营许可证核发"},
				{Line: 3, Code: "XK001-2", Name: "食品经营许可证变更"},
				{Line: 4, Code: "XK001-3", Name: "食品经营许可证注销"},
			}},
		{Line: 5, Code: "XK002", Name: "烟草专卖零售许可证核发", Department: "烟草专卖部门", Authority: "县级烟草专卖局"},
	}, items)
}

func TestOwnRowGivesTheItemCode(t *testing.T) {
	// A row without 子项名称 in a group of sub-item rows is the item's own
	// row: its code is the item's, nothing is derived.
	sheet := "事项编码,事项名称,子项名称,实施机关\n" +
		"A10000000,护士执业注册,,区卫健局\n" +
		"A10000001,护士执业注册,护士首次执业注册,区卫健局\n" +
		"A10000002,护士执业注册,护士延续注册,区卫健局\n"
	items := parse(t, sheet)
	require.Len(t, items, 1)
	require.Equal(t, "A10000000", items[0].Code)
	require.Equal(t, 2, items[0].Line)
	require.Equal(t, []string{"A10000001", "A10000002"}, codesOf(items[0].SubItems))
}

func TestDerivedItemCodes(t *testing.T) {
	sheet := "事项编码,事项名称,子项名称,实施机关\n" +
		// Prefix 511A008100000 — 13 characters, free: taken.
		"511A0081000003,甲,甲一,区司法局\n" +
		"511A0081000002,甲,甲二,区司法局\n" +
		// Only "511A" in common: smallest code + "-00".
		"511A0064100187,乙,乙一,区审批局\n" +
		"511A17030001,乙,乙二,区审批局\n" +
		// Same name, two authorities, the same prefix 511A1400300: neither
		// takes it, whichever comes first.
		"511A14003005,丙,丙一,区人社局\n" +
		"511A14003003,丙,丙二,区人社局\n" +
		"511A14003007,丙,丙三,区审批局\n" +
		"511A14003002,丙,丙四,区审批局\n" +
		// Prefix XK-2024-0001 is another row's code: not taken.
		"XK-2024-0001,丁,,区审批局\n" +
		"XK-2024-00010,戊,戊一,区审批局\n" +
		"XK-2024-00011,戊,戊二,区审批局\n" +
		// A trailing separator is not part of the derived code.
		"XK-2025-A-1,己,己一,区审批局\n" +
		"XK-2025-A-2,己,己二,区审批局\n" +
		// A single sub-item: its code cannot also be the item's.
		"511A0099900001,庚,庚一,区审批局\n"
	items := parse(t, sheet)
	got := map[string]string{}
	for _, it := range items {
		got[it.Name+"/"+it.Authority] = it.Code
	}
	require.Equal(t, map[string]string{
		"甲/区司法局": "511A008100000",
		"乙/区审批局": "511A0064100187-00",
		"丙/区人社局": "511A14003003-00",
		"丙/区审批局": "511A14003002-00",
		"丁/区审批局": "XK-2024-0001",
		"戊/区审批局": "XK-2024-00010-00",
		"己/区审批局": "XK-2025-A",
		"庚/区审批局": "511A0099900001-00",
	}, got)
}

func TestCodePrefix(t *testing.T) {
	sheet := "序号,事项名称,子项名称,主管部门,实施机关\n" +
		"1,教师资格认定,,教育部门,县级教育部门\n" +
		"17,食品经营许可,食品经营许可证核发,市场监管部门,县级市场监管部门\n" +
		",食品经营许可,食品经营许可证变更,市场监管部门,县级市场监管部门\n"
	items, err := ParseWith(strings.NewReader(sheet), Options{CodePrefix: "GA-XK"})
	require.NoError(t, err)
	require.Equal(t, "GA-XK0001", items[0].Code)
	require.Equal(t, "GA-XK0017", items[1].Code)
	require.Equal(t, []string{"GA-XK0017-01", "GA-XK0017-02"}, codesOf(items[1].SubItems))

	// Codes the sheet gives are kept.
	items, err = ParseWith(strings.NewReader("序号,事项编码,事项名称,实施机关\n1,X1,甲,某局\n2,,乙,某局\n"), Options{CodePrefix: "P"})
	require.NoError(t, err)
	require.Equal(t, []string{"X1", "P0002"}, []string{items[0].Code, items[1].Code})
}

func TestBOM(t *testing.T) {
	sheet := "\uFEFF事项编码,事项名称,实施机关\n511A0138600000,教师资格认定,区教科体局\n"
	items := parse(t, sheet)
	require.Equal(t, []Item{{Line: 2, Code: "511A0138600000", Name: "教师资格认定", Authority: "区教科体局"}}, items)
}

func TestGB18030(t *testing.T) {
	utf := "序号,事项名称,主管部门,实施机关,设定和实施依据,备注\r\n" +
		"1,教师资格认定,教育部门,县级教育部门,\"" + basis1 + "\",幼儿园、小学、初级中学教师资格\r\n" +
		"\r\n" +
		"2,适龄儿童、少年因身体状况需要延缓入学或者休学审批,教育部门,县级教育部门；乡镇人民政府,《中华人民共和国义务教育法》第十一条,\r\n" +
		"3,民办学校设立、变更、终止审批,教育部门、人力资源社会保障部门,省级、设区的市级、县级教育部门,《中华人民共和国民办教育促进法》〔2018〕第十二条,\r\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(utf))
	require.NoError(t, err)
	require.NotEqual(t, []byte(utf), gb, "the fixture must really be re-encoded")

	items, err := Parse(bytes.NewReader(gb))
	require.NoError(t, err)
	require.Equal(t, officialWant, items)

	// The real portal file, re-encoded, gives the same items.
	want := parseGuangan(t)
	raw := mustRead(t, "testdata/guangan-items.csv")
	gb, err = simplifiedchinese.GB18030.NewEncoder().Bytes(raw)
	require.NoError(t, err)
	items, err = Parse(bytes.NewReader(gb))
	require.NoError(t, err)
	require.Equal(t, want, items)
}

func TestTextIsKeptExactly(t *testing.T) {
	// Only surrounding whitespace goes; full-width punctuation, inner
	// spaces and inner line breaks stay.
	name := "（一）出版物零售单位和个体工商户设立、变更审批〔含《出版物经营许可证》〕"
	note := "第一行；\n第二行  两个空格"
	sheet := "事项名称,实施机关,备注\n\"  " + name + "\u3000\",\t区行政审批局 ,\"" + note + "\n\"\n"
	items := parse(t, sheet)
	require.Equal(t, name, items[0].Name)
	require.Equal(t, "区行政审批局", items[0].Authority)
	require.Equal(t, note, items[0].Note)
}

func TestReadErrorIsReturned(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)
	var se *SheetError
	require.False(t, errors.As(err, &se), "a read error is not a sheet problem")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
