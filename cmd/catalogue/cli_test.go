package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const guangan = "../internal/demo/data/guangan-items.csv"

// cli runs the command line in-process and returns stdout, stderr, error.
func cli(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := run(context.Background(), args, &out, &errw)
	return out.String(), errw.String(), err
}

func countEvents(t *testing.T, dir string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "events.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n))
	return n
}

func TestImportTheRealCatalogueOnceOnly(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := cli(t, "import", guangan, "--data", dir, "--basis", "广安区府发〔2023〕7号", "--effective", "2023-05-01")
	require.NoError(t, err, errOut)
	require.Contains(t, out, "250 items: 250 recorded, 0 already recorded")
	require.Contains(t, errOut, "items 250/250 (100%)", "progress is shown")
	n := countEvents(t, dir)
	require.Equal(t, 500, n, "a code reservation and a listing per item")

	out, _, err = cli(t, "import", "--data", dir, "--basis", "广安区府发〔2023〕7号", "--effective", "2023-05-01", guangan)
	require.NoError(t, err)
	require.Contains(t, out, "250 items: 0 recorded, 250 already recorded")
	require.Equal(t, n, countEvents(t, dir), "importing the same file twice records nothing")

	// The same items under another document are refused whole: their
	// codes are taken.
	_, _, err = cli(t, "import", guangan, "--data", dir, "--basis", "另一个文号〔2024〕1号", "--effective", "2024-01-01")
	require.ErrorContains(t, err, "CODE_TAKEN")
	require.Equal(t, n, countEvents(t, dir))
}

func TestMalformedFileRecordsNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(file, []byte("序号,事项名称,主管部门,实施机关,设定和实施依据,备注\n"+
		"1,林木采伐许可证核发,市自然资源和规划局,市自然资源和规划局,《中华人民共和国森林法》,\n"+
		"2,,市教育局,市教育局,《中华人民共和国教师法》,\n"), 0o600))
	_, _, err := cli(t, "import", file, "--data", dir, "--basis", "青政发〔2023〕5号", "--effective", "2023-01-01", "--code-prefix", "QD")
	require.ErrorContains(t, err, "line 3")
	_, statErr := os.Stat(filepath.Join(dir, "events.db"))
	require.True(t, os.IsNotExist(statErr), "a refused file does not even create the log")
}

func TestImportGB18030OfficialLayoutAndDryRun(t *testing.T) {
	dir := t.TempDir()
	utf8 := "备注,设定和实施依据,实施机关,主管部门,事项名称,序号\n" +
		",《中华人民共和国森林法》第五十六条,市自然资源和规划局,市自然资源和规划局,林木采伐许可证核发,1\n" +
		",《中华人民共和国教师法》第十条,市教育局,市教育局,教师资格认定,2\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(utf8)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "official.csv")
	require.NoError(t, os.WriteFile(file, []byte(gb), 0o600))
	args := []string{"import", file, "--data", dir, "--basis", "青政发〔2023〕5号", "--effective", "2023-01-01", "--code-prefix", "QD", "--level", "MUNICIPAL"}

	out, _, err := cli(t, append(args, "--dry-run")...)
	require.NoError(t, err)
	require.Contains(t, out, "dry run: all 2 items are valid")
	require.Equal(t, 0, countEvents(t, dir))

	_, _, err = cli(t, args...)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "events.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var data string
	require.NoError(t, db.QueryRow(`SELECT data FROM events WHERE type = 'ItemListed.v1' ORDER BY position LIMIT 1`).Scan(&data))
	require.Contains(t, data, `"name":"林木采伐许可证核发"`, "GB18030 input is stored as UTF-8, byte for byte")
	require.Contains(t, data, `"code":"QD0001"`)
}

func TestBodiesImportAndDemoAreIdempotent(t *testing.T) {
	dir := t.TempDir()
	out, _, err := cli(t, "bodies", "import", "../internal/demo/data/divisions.csv", "--data", dir)
	require.NoError(t, err)
	require.Contains(t, out, "253 bodies: 253 recorded")
	out, _, err = cli(t, "demo", "--data", dir)
	require.NoError(t, err)
	require.Contains(t, out, "250 items")
	n := countEvents(t, dir)
	require.Greater(t, n, 1000)
	_, _, err = cli(t, "demo", "--data", dir)
	require.NoError(t, err)
	require.Equal(t, n, countEvents(t, dir), "the demo run twice records nothing the second time")
}

// TestServeBinary runs the real binary: it rebuilds the read models from
// the log, reports its position on /healthz, refuses a second writer on the
// same data directory, and stops cleanly on SIGTERM.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "catalogue")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	dir := t.TempDir()
	_, _, err := cli(t, "demo", "--data", dir)
	require.NoError(t, err)
	events := countEvents(t, dir)

	cmd := exec.Command(bin, "serve", "--data", dir, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	url, err := waitServing(stdout)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)

	resp, err := http.Get(url + "/healthz")
	require.NoError(t, err)
	var health struct {
		Status   string
		Position int
		CaughtUp bool
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	resp.Body.Close()
	require.Equal(t, "ok", health.Status)
	require.Equal(t, events, health.Position)
	require.True(t, health.CaughtUp)

	_, _, err = cli(t, "demo", "--data", dir)
	require.ErrorContains(t, err, "data directory in use")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "clean exit on SIGTERM")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	require.Equal(t, events, countEvents(t, dir))
}

// TestTokenChecksTheBody: a body officer's token for a body the log does
// not know is still issued (a district may be registered after its token),
// with a warning; one for a registered body, without; and with no log to
// look in, the issuer is told the body went unchecked.
func TestTokenChecksTheBody(t *testing.T) {
	empty := t.TempDir()
	_, stderr, err := cli(t, "token", "create", "--role", "body_officer", "--body", "370202", "--data", empty)
	require.NoError(t, err)
	require.Contains(t, stderr, "not checked")

	dir := t.TempDir()
	_, _, err = cli(t, "demo", "--data", dir)
	require.NoError(t, err)
	secret, stderr, err := cli(t, "token", "create", "--role", "body_officer", "--body", "370202", "--name", "市南区审批局", "--data", dir)
	require.NoError(t, err)
	require.NotContains(t, stderr, "warning")
	require.NotContains(t, stderr, "not checked")
	require.True(t, strings.HasPrefix(secret, "cat_"), secret)

	secret, stderr, err = cli(t, "token", "create", "--role", "body_officer", "--body", "3702022", "--data", dir)
	require.NoError(t, err)
	require.Contains(t, stderr, "warning: no body 3702022 is registered")
	require.True(t, strings.HasPrefix(secret, "cat_"), secret)
}
