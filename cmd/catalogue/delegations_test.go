package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDelegationsImportBinary runs "delegations import" through the real
// binary on the demo's divisions and a small item list: the dry run prints
// the plan by body and records nothing, the import records every
// delegation a group names, a re-import records nothing, and a file with
// one bad row is refused whole with the row and column named.
func TestDelegationsImportBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, dir, write := documentCatalogue(t)
	base := countEvents(t, dir)
	catalogue := binRunner(bin, "delegations", "import", "--data", dir, "--jurisdiction", "370200",
		"--basis", "青政发〔2012〕9号", "--effective", "2012-06-01")
	doc := write("doc.csv", "青岛市人民政府关于下放行政审批事项的决定\n事项编码,事项名称,承接主体,方式\nQD01,,各区市,下放\n,食品经营许可,黄岛区所辖镇街,委托\n")
	out, errOut, err := catalogue(doc, "--dry-run")
	require.NoError(t, err, errOut)
	require.Contains(t, out, "plan: ")
	require.Contains(t, out, "370211 黄岛区: 1", "a district in 各区市")
	require.Contains(t, out, "370281 胶州市: 1", "a county-level city is in 各区市")
	require.NotContains(t, out, "滨州市", "another city's districts are not in 各区市")
	require.Equal(t, base, countEvents(t, dir), "a dry run records nothing")

	out, errOut, err = catalogue(doc)
	require.NoError(t, err, errOut)
	n := countEvents(t, dir) - base
	require.Greater(t, n, 10, "every district and every town of 黄岛区")
	require.Contains(t, out, "delegations: "+strconv.Itoa(n)+" recorded, 0 already")

	out, _, err = catalogue(doc)
	require.NoError(t, err)
	require.Contains(t, out, "0 recorded, "+strconv.Itoa(n)+" already", "a re-import records nothing")
	require.Equal(t, base+n, countEvents(t, dir))

	bad := write("bad.csv", "事项编码,承接主体,方式\nQD02,崂山区,下放\nQD02,不存在区,下放\nQD02,李沧区,转让\n")
	_, errOut, err = catalogue(bad)
	require.Error(t, err)
	require.Contains(t, errOut, "line 4: 方式 \"转让\" is not a mode")
	_, errOut, err = catalogue(write("bad2.csv", "事项编码,承接主体,方式\nQD02,崂山区,下放\nQD02,不存在区,下放\n"))
	require.Error(t, err)
	require.Contains(t, errOut, "line 3 (QD02): 承接主体: 不存在区 is neither")
	require.Equal(t, base+n, countEvents(t, dir), "a refused file records nothing")
}

// documentCatalogue builds the binary and a data directory holding the
// demo's divisions and two items listed on 2012-01-01 (QD01 建设工程消防验收,
// QD02 食品经营许可); write puts a document in a temporary directory and
// returns its path.
func documentCatalogue(t *testing.T) (bin, dir string, write func(name, text string) string) {
	t.Helper()
	bin = filepath.Join(t.TempDir(), "catalogue")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	dir, files := t.TempDir(), t.TempDir()
	write = func(name, text string) string {
		p := filepath.Join(files, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	_, errOut, err := cli(t, "bodies", "import", "../internal/demo/data/divisions.csv", "--data", dir, "--effective", "2012-01-01")
	require.NoError(t, err, errOut)
	items := write("items.csv", "事项编码,事项名称,实施机关,审批层级\nQD01,建设工程消防验收,市住房城乡建设局,市级\nQD02,食品经营许可,市市场监管局,市级\n")
	_, errOut, err = cli(t, "import", items, "--data", dir, "--basis", "青政发〔2012〕1号", "--effective", "2012-01-01", "--level", "MUNICIPAL")
	require.NoError(t, err, errOut)
	return bin, dir, write
}

// binRunner runs the binary with fixed arguments followed by a call's own,
// returning its stdout and stderr.
func binRunner(bin string, fixed ...string) func(args ...string) (string, string, error) {
	return func(args ...string) (string, string, error) {
		var out, errw strings.Builder
		cmd := exec.Command(bin, append(append([]string{}, fixed...), args...)...)
		cmd.Stdout, cmd.Stderr = &out, &errw
		err := cmd.Run()
		return out.String(), errw.String(), err
	}
}
