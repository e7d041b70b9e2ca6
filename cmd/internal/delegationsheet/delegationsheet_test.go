package delegationsheet_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
	"github.com/catalogue/catalogue/domain"
)

const doc = "青岛市人民政府关于下放行政审批事项的决定\n" +
	"序号,事项编码,事项名称,承接单位,下放方式,子项编码,截止日期\n" +
	"1,QD01,建设工程消防验收,各区市,下放,,\n" +
	"2,,食品经营许可,黄岛区所辖镇街,委托,\"QD02-01、QD02-02\",2015-12-31\n" +
	",,,,,,\n" +
	"3,QD03,,青岛高新区,EMPOWER,,\n"

// A CSV document: the title row is skipped, headers are recognised by
// name (aliases included), scopes split on the separators officers type,
// and the same file in GB18030 reads the same.
func TestReadCSV(t *testing.T) {
	want := []delegationsheet.Row{
		{Line: 3, ItemCode: "QD01", ItemName: "建设工程消防验收", Body: "各区市", Mode: domain.ModeDevolve},
		{Line: 4, ItemName: "食品经营许可", Body: "黄岛区所辖镇街", Mode: domain.ModeEntrust, Scope: []string{"QD02-01", "QD02-02"}, Until: domain.MustDate("2015-12-31")},
		{Line: 6, ItemCode: "QD03", Body: "青岛高新区", Mode: domain.ModeEmpower},
	}
	rows, err := delegationsheet.Read(strings.NewReader(doc))
	require.NoError(t, err)
	require.Equal(t, want, rows)

	gb, err := simplifiedchinese.GB18030.NewEncoder().String(doc)
	require.NoError(t, err)
	rows, err = delegationsheet.Read(strings.NewReader(gb))
	require.NoError(t, err)
	require.Equal(t, want, rows)
}

// A workbook: each sheet has its own title and header, and rows are
// located by sheet and row.
func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetName("Sheet1", "区市"))
	require.NoError(t, f.SetSheetRow("区市", "A1", &[]any{"下放区市事项"}))
	require.NoError(t, f.SetSheetRow("区市", "A2", &[]any{"事项编码", "承接主体", "方式"}))
	require.NoError(t, f.SetSheetRow("区市", "A3", &[]any{"QD01", "各区市", "下放"}))
	_, err := f.NewSheet("功能区")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetRow("功能区", "A1", &[]any{"方式", "承接主体", "事项名称"}))
	require.NoError(t, f.SetSheetRow("功能区", "A2", &[]any{"赋权", "各功能区", "食品经营许可"}))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	rows, err := delegationsheet.Read(&buf)
	require.NoError(t, err)
	require.Equal(t, []delegationsheet.Row{
		{Sheet: "区市", Line: 3, ItemCode: "QD01", Body: "各区市", Mode: domain.ModeDevolve},
		{Sheet: "功能区", Line: 2, ItemName: "食品经营许可", Body: "各功能区", Mode: domain.ModeEmpower},
	}, rows)
}

// Every problem of a file is reported at once, by row and column.
func TestReadReportsEveryProblem(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []sheet.Problem
	}{
		{"bad cells", "事项编码,承接主体,方式,截止日期\nQD01,,转让,2015-13-01\n,各区市,下放,\nQD02,各区市,下放,\n", []sheet.Problem{
			{Line: 2, Column: "承接主体", Message: "承接主体 is empty"},
			{Line: 2, Column: "方式", Message: `方式 "转让" is not a mode: 下放 (DEVOLVE), 委托 (ENTRUST) or 赋权 (EMPOWER)`},
			{Line: 2, Column: "截止日期", Message: `截止日期 "2015-13-01" is not a date YYYY-MM-DD`},
			{Line: 3, Column: "事项名称", Message: "事项编码 and 事项名称 are both empty: which item is delegated?"},
		}},
		{"missing columns", "承接主体,子项\n各区市,\n", []sheet.Problem{
			{Line: 1, Message: "the header names neither 事项编码 nor 事项名称; one of them says which item"},
			{Line: 1, Message: "the header has no 方式 column (下放, 委托 or 赋权)"},
			{Line: 2, Column: "事项名称", Message: "事项编码 and 事项名称 are both empty: which item is delegated?"},
			{Line: 2, Column: "方式", Message: `方式 "" is not a mode: 下放 (DEVOLVE), 委托 (ENTRUST) or 赋权 (EMPOWER)`},
		}},
		{"no header", strings.Repeat("标题\n", 12), []sheet.Problem{
			{Message: "no header row: none of the first 10 rows names 承接主体; the columns known are 事项编码, 事项名称, 承接主体, 方式, 子项, 截止日期"},
		}},
		{"header only", "事项编码,承接主体,方式\n", []sheet.Problem{{Message: "the file holds no delegation rows"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := delegationsheet.Read(strings.NewReader(c.text))
			var se *sheet.Error
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, c.want, se.Problems)
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]domain.Mode{"下放": domain.ModeDevolve, " 委托 ": domain.ModeEntrust, "赋权": domain.ModeEmpower, "entrust": domain.ModeEntrust} {
		m, ok := delegationsheet.ParseMode(in)
		require.True(t, ok, in)
		require.Equal(t, want, m)
	}
	_, ok := delegationsheet.ParseMode("转让")
	require.False(t, ok)
}
