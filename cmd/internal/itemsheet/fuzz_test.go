package itemsheet

import (
	"bytes"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/catalogue/catalogue/cmd/internal/sheet/sheettest"
)

// fuzzSeeds are real sheets: the head of the Guang'an portal export (with
// sub-items) and the official layouts of the tests, each also as a spreadsheet
// program might save it — with a BOM, in GB18030, with CRLF.
func fuzzSeeds(t testing.TB) [][]byte {
	real, err := os.ReadFile("testdata/guangan-items.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(real), "\n")
	seeds := []string{
		strings.Join(lines[:12], ""),
		lines[0] + strings.Join(lines[340:352], ""), // sub-items, one listed twice under two codes
		"序号,事项名称,主管部门,实施机关,设定和实施依据,备注\n" +
			"1,教师资格认定,教育部门,县级教育部门,\"" + basis1 + "\",幼儿园、小学、初级中学教师资格\n\n" +
			"2,适龄儿童、少年因身体状况需要延缓入学或者休学审批,教育部门,县级教育部门；乡镇人民政府,《中华人民共和国义务教育法》第十一条,\n",
		"序号,中央清单序号,事项名称,主管部门,实施机关,设定依据,实施依据,行使层级,备注\n" +
			"1,12,建设工程消防设计审查,住房城乡建设部门,县级住房城乡建设部门,《中华人民共和国消防法》第十一条,《建设工程消防设计审查验收管理暂行规定》,县级,\n" +
			"2,13,临时占用林地审批,林草部门,县级林草部门,,,县级,\n",
		"序号,事项编码,事项名称,子项名称,子项编码,实施机关\n" +
			"17,XK17,林木采伐许可证核发,新办,XK17-01,区林业局\n17,XK17,林木采伐许可证核发,延续,XK17-02,区林业局\n" +
			"18,,出版物零售单位设立,,,区文旅局\n",
		"事项名称,实施机关\n\"a\"b\",x\n,\n",
	}
	var out [][]byte
	for _, s := range seeds {
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, []byte(s), append(bytes.Clone(utf8BOM), s...), gb,
			[]byte(strings.ReplaceAll(s, "\n", "\r\n")))
	}
	return out
}

// FuzzParse reads any bytes as an item sheet. Whatever they are, Parse
// returns items that keep the package's promises or a *SheetError that
// points into the file, and the encoding a sheet was saved in does not
// change what it says.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, makeCodes bool) {
		opts := Options{}
		if makeCodes {
			opts.CodePrefix = "XK"
		}
		items, err := ParseWith(bytes.NewReader(data), opts)
		if err != nil {
			require.Nil(t, items)
			sheettest.CheckError(t, "itemsheet", err, data)
		} else {
			checkItems(t, items, opts)
		}

		// The same text saved with a BOM, or in GB18030, reads the same,
		// problems and their lines included.
		if !utf8.Valid(data) || bytes.HasPrefix(data, utf8BOM) {
			return
		}
		same := func(how string, other []byte) {
			got, gotErr := ParseWith(bytes.NewReader(other), opts)
			require.Equal(t, err, gotErr, how)
			require.Equal(t, items, got, how)
		}
		same("with a BOM", append(bytes.Clone(utf8BOM), data...))
		gb, gbErr := simplifiedchinese.GB18030.NewEncoder().Bytes(data)
		require.NoError(t, gbErr, "GB18030 encodes all of Unicode")
		// Compared only where the sniffing can tell (GB18030 that is also
		// valid UTF-8 is read as UTF-8: its known limit) and where x/text's
		// GB18030 decoder reads back what its encoder wrote: it does not for
		// about 2,000 code points, private-use ones (U+E000…) among them.
		if back, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(gb); !utf8.Valid(gb) && bytes.Equal(back, data) {
			same("in GB18030", gb)
		}
	})
}

// checkItems checks what ParseWith promises of the items it returns.
func checkItems(t *testing.T, items []Item, opts Options) {
	require.NotEmpty(t, items, "a sheet without rows is an error")
	codes := map[string]bool{}
	use := func(code string) {
		if code == "" {
			require.Empty(t, opts.CodePrefix, "every code is made when CodePrefix is set")
			return
		}
		require.False(t, codes[code], "code %q is used twice", code)
		require.Falsef(t, strings.ContainsFunc(code, unicode.IsSpace), "code %q has white space", code)
		codes[code] = true
	}
	for _, it := range items {
		require.GreaterOrEqual(t, it.Line, 2, "the header is line 1")
		require.NotEmpty(t, it.Name)
		require.True(t, it.Authority != "" || it.Department != "", "item on line %d has neither authority nor department", it.Line)
		use(it.Code)
		for _, s := range it.SubItems {
			require.NotEmpty(t, s.Name)
			require.GreaterOrEqual(t, s.Line, it.Line)
			use(s.Code)
		}
		for _, s := range []string{it.Name, it.Authority, it.Department, it.LegalBasis, it.Level, it.Note} {
			require.True(t, utf8.ValidString(s), "%q is valid UTF-8", s)
			require.Equal(t, strings.TrimSpace(s), s, "cells are trimmed")
		}
	}
}

// FuzzRowOrder checks what ParseWith promises of codes: they depend on the
// set of rows, not their order, so re-sorting a sheet renames no item. The
// rows after the header, reversed, give the same items with the same codes
// and sub-items (lines aside), or both orders are refused.
func FuzzRowOrder(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, p := toUTF8(data)
		if p != nil {
			return
		}
		cr := csv.NewReader(bytes.NewReader(text))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil || len(recs) < 2 {
			return // a malformed row has its line in its problem: not order-free
		}
		write := func(recs [][]string) []byte {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			require.NoError(t, w.WriteAll(recs))
			return b.Bytes()
		}
		items, err := Parse(bytes.NewReader(write(recs)))
		// The rows down to the header (title rows above it) stay in place.
		top := slices.IndexFunc(recs, func(r []string) bool { return known(r) > 0 }) + 1
		if top == 0 {
			top = 1
		}
		reversed := slices.Clone(recs)
		slices.Reverse(reversed[top:])
		again, errAgain := Parse(bytes.NewReader(write(reversed)))
		require.Equal(t, err == nil, errAgain == nil, "refused in one order only: %v / %v", err, errAgain)
		require.Equal(t, byNameAndAuthority(items), byNameAndAuthority(again))
	})
}

// byNameAndAuthority keys items as ParseWith groups rows, without lines
// and with sub-items in code order.
func byNameAndAuthority(items []Item) map[[2]string]Item {
	out := map[[2]string]Item{}
	for _, it := range items {
		it.Line = 0
		it.SubItems = slices.Clone(it.SubItems)
		for i := range it.SubItems {
			it.SubItems[i].Line = 0
		}
		slices.SortFunc(it.SubItems, func(a, b SubItem) int { return strings.Compare(a.Code+"\x00"+a.Name, b.Code+"\x00"+b.Name) })
		out[[2]string{it.Name, it.Authority}] = it
	}
	return out
}

// FuzzToUTF8 checks the encoding sniffing on its own: UTF-8 (with or
// without BOM) is taken as it is, GB18030 is decoded, and nothing is
// accepted whose decoding replaced a byte with U+FFFD — the replacement
// would silently change legal text — unless the file itself spelt U+FFFD.
func FuzzToUTF8(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	gb := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		require.NoError(f, err)
		return b
	}
	// A real U+FFFD on one line must not hide an undecodable byte on another.
	f.Add(append(gb("事项名称,实施机关\n甲\uFFFD,某局\n乙"), append([]byte{0xFF}, gb(",某局\n")...)...))
	f.Add(append(gb("\uFEFF事项名称,实施机关\n"), 0x80, 0x81, '\n', 0x81, 0x30, 0x81))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, p := toUTF8(data)
		if p != nil {
			require.Nil(t, out)
			require.NotEmpty(t, p.Message)
			require.True(t, p.Line >= 0 && p.Line <= 1+bytes.Count(data, []byte{'\n'}), "line %d", p.Line)
			return
		}
		require.True(t, utf8.Valid(out))
		require.False(t, bytes.HasPrefix(out, utf8BOM), "the BOM is dropped")
		if utf8.Valid(data) {
			require.Equal(t, string(trimBOMs(data)), string(out))
			return
		}
		require.LessOrEqual(t, bytes.Count(out, []byte("\uFFFD")), bytes.Count(data, gbReplacement),
			"%q decoded as %q: a byte was replaced", data, out)
	})
}
