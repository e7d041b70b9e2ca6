package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRevocationsImportBinary runs "revocations import" through the real
// binary: the dry run prints the plan (the items, by code and name) and
// records nothing; the import revokes every item, ending a delegation of
// one of them with it; a re-import records nothing; a list with a bad row
// is refused whole with the row and column named.
func TestRevocationsImportBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, dir, write := documentCatalogue(t)
	delegate := write("delegate.csv", "事项编码,承接主体,方式\nQD01,黄岛区,下放\n")
	_, errOut, err := binRunner(bin, "delegations", "import", "--data", dir, "--basis", "青政发〔2012〕9号", "--effective", "2012-06-01")(delegate)
	require.NoError(t, err, errOut)
	base := countEvents(t, dir)
	catalogue := binRunner(bin, "revocations", "import", "--data", dir, "--basis", "青政发〔2013〕2号", "--effective", "2013-01-01", "--reason", "清理规范行政许可事项")

	bad := write("bad.csv", "事项编码,事项名称,备注\nQD01,,\nQD09,,\n,建设工程消防验收,\n")
	_, errOut, err = catalogue(bad)
	require.Error(t, err)
	require.Contains(t, errOut, "line 3 (QD09): 事项编码: no item QD09 is in force on the document's date")
	require.Contains(t, errOut, "line 4 (建设工程消防验收): 事项名称: item QD01 建设工程消防验收 is already named on line 2")
	require.Equal(t, base, countEvents(t, dir), "a refused file records nothing")
	_, errOut, err = catalogue(write("early.csv", "事项编码\nQD01\n"), "--effective", "2011-01-01")
	require.Error(t, err)
	require.Contains(t, errOut, "line 2 (QD01): 事项编码: no item QD01 is in force", "an item not yet in force")

	list := write("list.csv", "青岛市取消行政许可事项目录\n事项编码,事项名称,取消理由\nQD01,,上位法已取消\n,食品经营许可,\n")
	out, errOut, err := catalogue(list, "--dry-run")
	require.NoError(t, err, errOut)
	require.Contains(t, out, "plan: 2 items revoked under 青政发〔2013〕2号 from 2013-01-01\n  QD01 建设工程消防验收\n  QD02 食品经营许可\n")
	require.Equal(t, base, countEvents(t, dir), "a dry run records nothing")

	out, errOut, err = catalogue(list)
	require.NoError(t, err, errOut)
	require.Contains(t, out, "2 revocations: 2 recorded, 0 already")
	require.Equal(t, base+2, countEvents(t, dir), "one ItemRevoked per item, which ends its delegations")

	out, _, err = catalogue(list)
	require.NoError(t, err)
	require.Contains(t, out, "0 recorded, 2 already", "a re-import records nothing")
	require.Equal(t, base+2, countEvents(t, dir))
}
