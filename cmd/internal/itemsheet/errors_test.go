package itemsheet

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func problemsOf(t *testing.T, sheet []byte, opts Options) []Problem {
	t.Helper()
	items, err := ParseWith(bytes.NewReader(sheet), opts)
	require.Error(t, err)
	require.Nil(t, items, "no items on error")
	var se *SheetError
	require.True(t, errors.As(err, &se), "%T: %v", err, err)
	return se.Problems
}

const portalHeader = "事项编码,事项名称,子项名称,实施机关,审批层级,来源\n"

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sheet string
		opts  Options
		want  []Problem
	}{{
		name:  "wrong field count",
		sheet: portalHeader + "A1,甲,,某局,县级\nA2,乙,,某局,县级,,extra\n",
		want: []Problem{
			{Line: 2, Message: "the row has 5 fields but the header has 6"},
			{Line: 3, Message: "the row has 7 fields but the header has 6"},
		},
	}, {
		name:  "empty name",
		sheet: portalHeader + "A1,甲,,某局,,\nA2, ,,某局,,\n",
		want:  []Problem{{Line: 3, Column: "事项名称", Message: "事项名称 is empty"}},
	}, {
		name:  "empty authority and department",
		sheet: "序号,事项名称,主管部门,实施机关,设定和实施依据,备注\n1,甲,,,,\n",
		want:  []Problem{{Line: 2, Column: "实施机关", Message: "实施机关 and 主管部门 are both empty"}},
	}, {
		name:  "empty authority, no department column",
		sheet: portalHeader + "A1,甲,,,,\n",
		want:  []Problem{{Line: 2, Column: "实施机关", Message: "实施机关 is empty"}},
	}, {
		name:  "department-only layout",
		sheet: "序号,事项名称,主管部门\n1,甲,教育部门\n2,乙,\n3,甲,教育部门\n",
		want: []Problem{
			{Line: 3, Column: "主管部门", Message: "主管部门 is empty"},
			{Line: 4, Column: "事项名称", Message: `duplicate row: 事项名称 "甲" is already on line 2`},
		},
	}, {
		name:  "duplicate code",
		sheet: portalHeader + "A1,甲,,某局,,\nA2,乙,,某局,,\nA1,丙,,某局,,\n",
		want:  []Problem{{Line: 4, Column: "事项编码", Message: "duplicate code A1: 事项编码 here, 事项编码 on line 2"}},
	}, {
		name:  "duplicate sub-item code",
		sheet: portalHeader + "A1,甲,甲一,某局,,\nA1,甲,甲二,某局,,\n",
		want:  []Problem{{Line: 3, Column: "事项编码", Message: "duplicate code A1: 事项编码 here, 事项编码 on line 2"}},
	}, {
		name: "derived code taken by a literal code",
		sheet: portalHeader + "B2,甲,甲一,某局,,\nB1,甲,甲二,某局,,\n" +
			"B1-00,乙,,某局,,\n",
		want: []Problem{{Line: 4, Column: "事项编码", Message: "duplicate code B1-00: 事项编码 here, item code made by itemsheet on line 2"}},
	}, {
		name:  "duplicate row",
		sheet: portalHeader + "A1,甲,,某局,,\nA2,乙,,某局,,\nA3,甲,,某局,,\n",
		want:  []Problem{{Line: 4, Column: "事项名称", Message: `duplicate row: 事项名称 "甲" of 实施机关 "某局" is already on line 2`}},
	}, {
		name:  "duplicate sub-item row",
		sheet: "事项名称,子项名称,实施机关\n甲,甲一,某局\n甲,甲二,某局\n甲,甲一,某局\n",
		want:  []Problem{{Line: 4, Column: "子项名称", Message: `duplicate row: 子项名称 "甲一" of this item is already on line 2`}},
	}, {
		name: "rows of one item disagree",
		sheet: "序号,事项名称,子项名称,主管部门,实施机关,设定和实施依据\n" +
			"1,甲,甲一,教育部门,某局,《甲法》\n2,甲,甲二,,某局,\n3,甲,甲三,人社部门,某局,《乙法》\n",
		want: []Problem{
			{Line: 4, Column: "主管部门", Message: "主管部门 differs from line 2, which belongs to the same item"},
			{Line: 4, Column: "设定和实施依据", Message: "设定和实施依据 differs from line 2, which belongs to the same item"},
		},
	}, {
		name:  "whitespace in a code",
		sheet: portalHeader + "A 1,甲,,某局,,\n",
		want:  []Problem{{Line: 2, Column: "事项编码", Message: `事项编码 "A 1" contains whitespace`}},
	}, {
		name:  "malformed CSV",
		sheet: portalHeader + "A1,甲,,某局,,\nA2,乙\"丙\",,某局,,\nA3,丁,,某局,,\n",
		want:  []Problem{{Line: 3, Message: `malformed CSV: bare " in non-quoted-field`}},
	}, {
		name:  "unterminated quote",
		sheet: portalHeader + "A1,甲,,某局,,\nA2,\"乙,,某局,,\nA3,丙,,某局,,\n",
		want:  []Problem{{Line: 3, Message: `malformed CSV: extraneous or missing " in quoted-field`}},
	}, {
		name:  "missing name column",
		sheet: "序号,名称,实施机关\n1,甲,某局\n",
		want:  []Problem{{Line: 1, Column: "事项名称", Message: "the header has no 事项名称 column (the columns known are " + knownColumns() + ")"}},
	}, {
		name:  "missing authority and department columns",
		sheet: "序号,事项名称,备注\n1,甲,\n",
		want:  []Problem{{Line: 1, Column: "实施机关", Message: "the header has neither a 实施机关 nor a 主管部门 column (the columns known are 序号, 事项编码, 事项名称, 子项名称, 子项编码, 主管部门, 实施机关, 设定和实施依据, 设定依据, 实施依据, 审批层级, 行使层级, 备注)"}},
	}, {
		name:  "column given twice",
		sheet: "事项名称,实施机关,审批层级,行使层级\n甲,某局,县级,县级\n",
		want:  []Problem{{Line: 1, Column: "行使层级", Message: "columns 3 (审批层级) and 4 (行使层级) are the same column"}},
	}, {
		name:  "header only",
		sheet: "序号,事项名称,主管部门,实施机关,设定和实施依据,备注\r\n,,,,,\r\n",
		want:  []Problem{{Message: "no items: the sheet has a header but no rows"}},
	}, {
		name:  "empty file",
		sheet: "",
		want:  []Problem{{Message: "the file is empty; a header row is expected"}},
	}, {
		name:  "no code and no 序号 under CodePrefix",
		sheet: "序号,事项名称,实施机关\n1,甲,某局\n,乙,某局\n一,丙,某局\n",
		opts:  Options{CodePrefix: "P"},
		want: []Problem{
			{Line: 3, Column: "序号", Message: "the item has no 事项编码 and no 序号 to make a code from"},
			{Line: 4, Column: "序号", Message: `序号 "一" is not a positive whole number, so no code can be made from it`},
		},
	}, {
		name:  "made codes collide",
		sheet: "序号,事项名称,实施机关\n7,甲,某局\n7,乙,某局\n",
		opts:  Options{CodePrefix: "P"},
		want:  []Problem{{Line: 3, Column: "事项编码", Message: "duplicate code P0007: item code made by itemsheet here, item code made by itemsheet on line 2"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, problemsOf(t, []byte(tc.sheet), tc.opts))
		})
	}
}

func TestAllProblemsAreCollected(t *testing.T) {
	sheet := portalHeader +
		"A1,甲,,某局,,\n" + // 2 fine
		",,,某局,,\n" + // 3 empty name
		"A3,乙,,,,\n" + // 4 empty authority
		"A4,丙,,某局\n" + // 5 field count
		"A1,丁,,某局,,\n" + // 6 duplicate code
		"A6,甲,,某局,,\n" // 7 duplicate row
	_, err := Parse(strings.NewReader(sheet))
	require.EqualError(t, err, "itemsheet: 5 problems:\n"+
		"line 3: 事项名称 is empty\n"+
		"line 4: 实施机关 is empty\n"+
		"line 5: the row has 4 fields but the header has 6\n"+
		`line 6: duplicate code A1: 事项编码 here, 事项编码 on line 2`+"\n"+
		`line 7: duplicate row: 事项名称 "甲" of 实施机关 "某局" is already on line 2`)

	_, err = Parse(strings.NewReader(portalHeader + "A1,,,某局,,\n"))
	require.EqualError(t, err, "itemsheet: line 2: 事项名称 is empty")
}

func TestEncodingProblems(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("事项名称,实施机关\n甲,某局\n"))
	require.NoError(t, err)

	// Neither UTF-8 nor GB18030: 0xFF is no GB18030 lead byte.
	bad := append(bytes.Clone(gb), 0xFF, 0x30, '\n')
	require.Equal(t, []Problem{{Line: 3, Message: "the file is neither valid UTF-8 nor valid GB18030"}},
		problemsOf(t, bad, Options{}))

	// A UTF-8 BOM followed by GB18030 text.
	require.Equal(t, []Problem{{Line: 1, Message: "the file starts with a UTF-8 byte-order mark but is not valid UTF-8"}},
		problemsOf(t, append([]byte("\uFEFF"), gb...), Options{}))

	// UTF-16, as Excel's "Unicode text" writes it.
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("事项名称,实施机关\n甲,某局\n"))
	require.NoError(t, err)
	require.Equal(t, []Problem{{Message: "the file is UTF-16; save it as CSV in UTF-8 or GB18030"}},
		problemsOf(t, u16, Options{}))
}
