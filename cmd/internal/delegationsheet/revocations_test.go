package delegationsheet_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// A revocation list: the title is skipped, items are named by code or
// name, and the reason is read under any of its headers.
func TestReadRevocations(t *testing.T) {
	for _, reasonHeader := range []string{"取消理由", "备注", "取消原因"} {
		doc := "青岛市取消行政许可事项目录\n序号,事项编码,事项名称," + reasonHeader + "\n1,QD01,建设工程消防验收,法律修改，许可取消\n,,,\n2,,食品经营许可,\n"
		rows, err := delegationsheet.ReadRevocations(strings.NewReader(doc))
		require.NoError(t, err, reasonHeader)
		require.Equal(t, []delegationsheet.Revocation{
			{Line: 3, ItemCode: "QD01", ItemName: "建设工程消防验收", Reason: "法律修改，许可取消"},
			{Line: 5, ItemName: "食品经营许可"},
		}, rows, reasonHeader)
	}
}

// Every problem of a revocation list is reported at once, by row and column.
func TestReadRevocationsReportsEveryProblem(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []sheet.Problem
	}{
		{"empty item", "事项编码,事项名称,备注\nQD01,,\n,,只有备注\n,,另一行\n", []sheet.Problem{
			{Line: 3, Column: "事项名称", Message: "事项编码 and 事项名称 are both empty: which item is revoked?"},
			{Line: 4, Column: "事项名称", Message: "事项编码 and 事项名称 are both empty: which item is revoked?"},
		}},
		{"no header", strings.Repeat("承接主体,方式\n", 11), []sheet.Problem{
			{Message: "no header row: none of the first 10 rows names 事项编码 or 事项名称; the columns known are 事项编码, 事项名称, 取消理由 (备注)"},
		}},
		{"header only", "事项编码\n", []sheet.Problem{{Message: "the file holds no revocation rows"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := delegationsheet.ReadRevocations(strings.NewReader(c.text))
			var se *sheet.Error
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, c.want, se.Problems)
		})
	}
}
