package divisions

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
)

// testdata/divisions.csv is a copy of /work/shared/data/divisions.csv
// (Shandong: Qingdao and Binzhou, 2022 statistical codes).
func readReal(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/divisions.csv")
	require.NoError(t, err)
	return b
}

func TestRealFile(t *testing.T) {
	divs, err := Parse(bytes.NewReader(readReal(t)))
	require.NoError(t, err)
	require.Len(t, divs, 253)

	kinds := map[Kind]int{}
	var zones []string
	for _, d := range divs {
		kinds[d.Kind]++
		if d.Kind == ZONE {
			zones = append(zones, d.Code+" "+d.Name)
		}
		require.True(t, domain.BodyKind(d.Kind).Valid(), "line %d: %s", d.Line, d.Kind)
	}
	require.Equal(t, map[Kind]int{PROVINCE: 1, CITY: 2, DISTRICT: 17, ZONE: 7, TOWNSHIP: 226}, kinds)
	require.Equal(t, []string{
		"370211401 灵山岛省级自然保护区",
		"370214400 青岛高新技术产业开发区",
		"370215400 通济新经济区",
		"370215402 田横岛省级旅游度假区",
		"370281400 胶州经济技术开发区",
		"370281401 大沽河省级生态旅游度假区",
		"370283400 平度经济开发区",
	}, zones)

	require.Equal(t, Division{Line: 2, Code: "370000", Name: "山东省", Kind: PROVINCE}, divs[0])
	require.Equal(t, Division{Line: 3, Code: "370200", Name: "青岛市", ParentCode: "370000", Kind: CITY}, divs[1])

	// The file is already parents-first, so its order is kept; and each
	// kind sits under the kind the domain expects.
	byCode := map[string]Division{}
	for i, d := range divs {
		require.Equal(t, i+2, d.Line, "file order kept")
		if d.ParentCode != "" {
			p, ok := byCode[d.ParentCode]
			require.True(t, ok, "line %d: parent %s comes first", d.Line, d.ParentCode)
			want := map[Kind][]Kind{CITY: {PROVINCE}, DISTRICT: {CITY}, ZONE: {DISTRICT}, TOWNSHIP: {DISTRICT}}[d.Kind]
			require.Contains(t, want, p.Kind, "line %d: %s %s under %s %s", d.Line, d.Kind, d.Name, p.Kind, p.Name)
		}
		byCode[d.Code] = d
	}
	// A name can end in 新区 without being a zone.
	require.Equal(t, TOWNSHIP, byCode["370203025"].Kind)
	require.Equal(t, "浮山新区街道", byCode["370203025"].Name)
}

func TestRealFileReversed(t *testing.T) {
	lines := strings.Split(strings.TrimRight(string(readReal(t)), "\r\n"), "\r\n")
	rev := slices.Clone(lines[1:])
	slices.Reverse(rev)
	divs, err := Parse(strings.NewReader(lines[0] + "\n" + strings.Join(rev, "\n") + "\n"))
	require.NoError(t, err)
	require.Len(t, divs, 253)
	seen := map[string]bool{}
	for _, d := range divs {
		if d.ParentCode != "" {
			require.True(t, seen[d.ParentCode], "line %d: parent %s comes first", d.Line, d.ParentCode)
		}
		seen[d.Code] = true
	}
	// The last township of the file comes first in the reversed file; it
	// is preceded only by its ancestors.
	require.Equal(t, []string{"370000", "371600", "371681"}, []string{divs[0].Code, divs[1].Code, divs[2].Code})
	require.Equal(t, 2, divs[3].Line)
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		code, name string
		want       Kind
	}{
		{"370000", "山东省", PROVINCE},
		{"110000", "北京市", PROVINCE},
		{"370200", "青岛市", CITY},
		{"110100", "市辖区", CITY},
		{"370211", "黄岛区", DISTRICT},
		{"370281", "胶州市", DISTRICT},
		{"371621", "惠民县", DISTRICT},
		{"310115", "浦东新区", DISTRICT}, // a GB/T 2260 county code named 新区
		{"120116", "滨海新区", DISTRICT},
		{"370203025", "浮山新区街道", TOWNSHIP},
		{"371602203", "秦皇台乡", TOWNSHIP},
		{"370211401", "灵山岛省级自然保护区", ZONE}, // a functional area (保护区), not a town
		{"370214400", "青岛高新技术产业开发区", ZONE},
		{"370000001", "某高新区", ZONE},
		{"370000002", "某新区", ZONE},
		{"370000003", "某功能区", ZONE},
		{"370000004", "某综合保税区", ZONE},
		{"370000005", "某产业园区", ZONE},
		{"370203025001", "某社区", TOWNSHIP}, // longer codes count as township level
	} {
		got, err := KindOf(tc.code, tc.name)
		require.NoError(t, err, tc.code)
		require.Equal(t, tc.want, got, "%s %s", tc.code, tc.name)
	}
	for _, code := range []string{"", "37020", "3702000", "37020001", "37a200", " 370200"} {
		_, err := KindOf(code, "某地")
		require.Error(t, err, "%q", code)
	}
}

func TestParentsFirst(t *testing.T) {
	sheet := "name,parent_code,code,note\n" + // any column order, extra column ignored
		"城阳区,370200,370214,\n" +
		"山东省,,370000,\n" +
		"流亭街道,370214,370214007,\n" +
		"青岛市,370000,370200,\n" +
		"滨州市,370000,371600,\n"
	divs, err := Parse(strings.NewReader(sheet))
	require.NoError(t, err)
	var got []string
	for _, d := range divs {
		got = append(got, d.Code)
	}
	require.Equal(t, []string{"370000", "370200", "370214", "370214007", "371600"}, got)
	require.Equal(t, []int{3, 5, 2, 4, 6}, []int{divs[0].Line, divs[1].Line, divs[2].Line, divs[3].Line, divs[4].Line})
}

func TestBOMAndCRLF(t *testing.T) {
	divs, err := Parse(strings.NewReader("\uFEFFcode,name,parent_code\r\n370000,山东省,\r\n\r\n370200, 青岛市 ,370000\r\n"))
	require.NoError(t, err)
	require.Equal(t, []Division{
		{Line: 2, Code: "370000", Name: "山东省", Kind: PROVINCE},
		{Line: 4, Code: "370200", Name: "青岛市", ParentCode: "370000", Kind: CITY},
	}, divs)
}

func TestProblems(t *testing.T) {
	const hdr = "code,name,parent_code\n"
	for _, tc := range []struct {
		name, file string
		want       []Problem
	}{{
		name: "field count",
		file: hdr + "370000,山东省\n",
		want: []Problem{{Line: 2, Message: "the row has 2 fields but the header has 3"}},
	}, {
		name: "empty name",
		file: hdr + "370000,,\n",
		want: []Problem{{Line: 2, Column: "name", Message: "name is empty"}},
	}, {
		name: "bad codes",
		file: hdr + "37000A,山东省,\n3702000,青岛市,\n,滨州市,\n",
		want: []Problem{
			{Line: 2, Column: "code", Message: `code "37000A" is not made of digits`},
			{Line: 3, Column: "code", Message: "code 3702000 has 7 digits; expected 6 (GB/T 2260) or at least 9 (statistical township code)"},
			{Line: 4, Column: "code", Message: `code "" is not made of digits`},
		},
	}, {
		name: "duplicate code",
		file: hdr + "370000,山东省,\n370200,青岛市,370000\n370200,青岛,370000\n",
		want: []Problem{{Line: 4, Column: "code", Message: "code 370200 is already on line 3"}},
	}, {
		name: "a bad parent row is not also reported missing",
		file: hdr + "370000,,\n370200,青岛市,370000\n",
		want: []Problem{{Line: 2, Column: "name", Message: "name is empty"}},
	}, {
		name: "missing parent",
		file: hdr + "370000,山东省,\n371600,滨州市,360000\n",
		want: []Problem{{Line: 3, Column: "parent_code", Message: "parent_code 360000 is not in the file"}},
	}, {
		name: "self loop",
		file: hdr + "370000,山东省,370000\n",
		want: []Problem{{Line: 2, Column: "parent_code", Message: "parent_code loops: 370000 → 370000"}},
	}, {
		name: "longer loop, reported once",
		file: hdr + "370000,山东省,\n370214007,流亭街道,370214\n370200,青岛市,370214007\n370214,城阳区,370200\n",
		want: []Problem{{Line: 3, Column: "parent_code", Message: "parent_code loops: 370214007 → 370214 → 370200 → 370214007"}},
	}, {
		name: "missing columns",
		file: "code,名称\n370000,山东省\n",
		want: []Problem{
			{Line: 1, Column: "name", Message: "the header has no name column"},
			{Line: 1, Column: "parent_code", Message: "the header has no parent_code column"},
		},
	}, {
		name: "column twice",
		file: "code,name,parent_code,Code\n",
		want: []Problem{{Line: 1, Column: "code", Message: "column code is given twice (columns 1 and 4)"}},
	}, {
		name: "header only",
		file: hdr + ",,\n",
		want: []Problem{{Message: "no divisions: the file has a header but no rows"}},
	}, {
		name: "empty file",
		file: "",
		want: []Problem{{Message: "the file is empty; a header row is expected"}},
	}, {
		name: "malformed CSV",
		file: hdr + "370000,山\"东省,\n",
		want: []Problem{{Line: 2, Message: `malformed CSV: bare " in non-quoted-field`}},
	}, {
		name: "not UTF-8",
		file: hdr + "370000,\xc9\xbd\xb6\xab\xca\xa1,\n", // 山东省 in GB18030
		want: []Problem{{Line: 2, Message: "the file is not valid UTF-8"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			divs, err := Parse(strings.NewReader(tc.file))
			require.Nil(t, divs)
			var se *SheetError
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, tc.want, se.Problems)
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse(strings.NewReader("code,name,parent_code\n370000,,\n370200,青岛市,360000\n"))
	require.EqualError(t, err, "divisions: 2 problems:\nline 2: name is empty\nline 3: parent_code 360000 is not in the file")
}
