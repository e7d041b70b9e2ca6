package divisions

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/sheet/sheettest"
)

// FuzzParse reads any bytes as a division list. Whatever they are, Parse
// returns a tree listed parents first or a *SheetError that points into the
// file, and a BOM changes nothing.
func FuzzParse(f *testing.F) {
	real, err := os.ReadFile("testdata/divisions.csv")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(real), "\n")
	for _, s := range []string{
		strings.Join(lines[:30], ""),
		"\uFEFF" + strings.Join(lines[:12], ""),
		strings.ReplaceAll(strings.Join(lines[:8], ""), "\n", "\r\n"),
		// parents after their children, extra column, other column order
		"name,parent_code,code,note\n黄岛区,370200,370211,\n青岛市,370000,370200,x\n山东省,,370000,\n青岛高新技术产业开发区,370211,370214400,\n",
		"code,name,parent_code\n370000,山东省,370200\n370200,青岛市,370000\n", // a loop
		"code,name,parent_code\n37,山东,\n370000,\"a\"b\",\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		divs, err := Parse(bytes.NewReader(data))
		if err != nil {
			require.Nil(t, divs)
			sheettest.CheckError(t, "divisions", err, data)
		} else {
			checkTree(t, divs)
		}
		if !bytes.HasPrefix(data, []byte("\uFEFF")) {
			got, gotErr := Parse(bytes.NewReader(append([]byte("\uFEFF"), data...)))
			require.Equal(t, err, gotErr, "with a BOM")
			require.Equal(t, divs, got, "with a BOM")
		}
	})
}

// checkTree checks what Parse promises of the divisions it returns.
func checkTree(t *testing.T, divs []Division) {
	require.NotEmpty(t, divs)
	seen := map[string]bool{}
	lines := map[int]bool{}
	for _, d := range divs {
		require.False(t, seen[d.Code], "code %s twice", d.Code)
		require.False(t, lines[d.Line], "line %d twice", d.Line)
		require.GreaterOrEqual(t, d.Line, 2)
		if d.ParentCode != "" {
			require.True(t, seen[d.ParentCode], "line %d: parent %s does not come first", d.Line, d.ParentCode)
		}
		kind, err := KindOf(d.Code, d.Name)
		require.NoError(t, err)
		require.Equal(t, kind, d.Kind)
		require.NotEmpty(t, d.Name)
		require.True(t, utf8.ValidString(d.Name))
		require.Equal(t, strings.TrimSpace(d.Name), d.Name)
		seen[d.Code], lines[d.Line] = true, true
	}
}
