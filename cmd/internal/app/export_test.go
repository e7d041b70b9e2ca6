package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// TestExportDownload: GET /export through the running service — an
// edition as XLSX read back with excelize, as CSV with its BOM, refusals
// with stable codes, and anonymous downloads only while anonymous reading
// is on.
func TestExportDownload(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	svc, err := Start(ctx, cfg)
	require.NoError(t, err)
	token := svc.FirstToken
	for i, name := range []string{"食品经营许可", "建筑工程施工许可证核发"} {
		graphql(t, svc.URL(), token, `mutation($in: ListItemInput!) { listItem(input: $in) { position } }`, map[string]any{"in": map[string]any{
			"commandId": fmt.Sprintf("list-%d", i), "code": fmt.Sprintf("QD-%d", i), "name": name, "department": "市市场监管局",
			"level": "MUNICIPAL", "basis": "青政发〔2023〕5号", "effectiveFrom": "2023-01-01",
		}})
	}
	out := graphql(t, svc.URL(), token, `mutation($in: PublishEditionInput!) { publishEdition(input: $in) { position } }`, map[string]any{"in": map[string]any{
		"commandId": "publish-2023", "name": "2023年版", "basis": "青政办发〔2023〕3号", "effectiveFrom": "2023-03-01",
	}})
	pos := out["publishEdition"].(map[string]any)["position"]
	graphql(t, svc.URL(), token, `query($p: Position) { edition(name: "2023年版", waitFor: $p) { name } }`, map[string]any{"p": pos})
	edition := url.Values{"edition": {"2023年版"}}

	t.Run("an edition as XLSX, named and titled by the edition", func(t *testing.T) {
		resp, body := download(t, svc.URL(), token, with(edition, "format", "xlsx"))
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", resp.Header.Get("Content-Type"))
		disposition, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		require.NoError(t, err)
		require.Equal(t, "attachment", disposition)
		require.Equal(t, "行政许可事项清单（2023年版）.xlsx", params["filename"], "filename* decoded")
		f, err := excelize.OpenReader(bytes.NewReader(body))
		require.NoError(t, err)
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetList()[0])
		require.NoError(t, err)
		require.Equal(t, "行政许可事项清单（2023年版）", rows[0][0])
		require.Equal(t, "序号", rows[1][0])
		require.Len(t, rows, 2+2, "title, header and the two items")
		require.Equal(t, []string{"1", "QD-0", "食品经营许可", "", "", "市市场监管局", "", "", "市级"}, rows[2])
		require.Equal(t, "建筑工程施工许可证核发", rows[3][2])
	})
	t.Run("a date as CSV with a BOM, anonymously", func(t *testing.T) {
		resp, body := download(t, svc.URL(), "", url.Values{"format": {"csv"}, "inForceOn": {"2024-01-01"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
		require.True(t, bytes.HasPrefix(body, []byte("\uFEFF序号,")), "%q", body[:min(len(body), 40)])
		require.Contains(t, string(body), "建筑工程施工许可证核发")
		require.Equal(t, 1+2, bytes.Count(body, []byte("\r\n")), "header and two items")
	})
	t.Run("a body's powers anonymously, on today by default", func(t *testing.T) {
		resp, body := download(t, svc.URL(), "", url.Values{"format": {"csv"}, "body": {"370202"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		require.NoError(t, err)
		require.Regexp(t, `^370202承接的行政许可事项（\d{4}-\d{2}-\d{2}）\.csv$`, params["filename"])
		require.True(t, bytes.HasPrefix(body, []byte("\uFEFF序号,")))
	})
	t.Run("refusals carry stable codes", func(t *testing.T) {
		for _, c := range []struct {
			query       url.Values
			token       string
			status      int
			code, field string
		}{
			{with(edition, "format", "pdf"), token, http.StatusBadRequest, "BAD_USER_INPUT", "format"},
			{url.Values{"format": {"xlsx"}, "inForceOn": {"2024-13-01"}}, token, http.StatusBadRequest, "BAD_USER_INPUT", "inForceOn"},
			{with(with(edition, "format", "xlsx"), "asOf", "3"), token, http.StatusBadRequest, "BAD_USER_INPUT", "edition"},
			{url.Values{"format": {"xlsx"}, "edition": {"2099年版"}}, token, http.StatusNotFound, "NOT_FOUND", ""},
			{with(edition, "format", "xlsx"), "not-a-token", http.StatusUnauthorized, "UNAUTHENTICATED", ""},
		} {
			resp, body := download(t, svc.URL(), c.token, c.query)
			require.Equal(t, c.status, resp.StatusCode, "%s: %s", c.query.Encode(), body)
			ext := errorExtensions(t, body)
			require.Equal(t, c.code, ext["code"], "%s: %s", c.query.Encode(), body)
			if c.field != "" {
				require.Equal(t, c.field, ext["field"], "%s: %s", c.query.Encode(), body)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, svc.URL()+"/export?format=csv&inForceOn=2024-01-01", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
	require.NoError(t, svc.Close(ctx))

	t.Run("anonymous refused when anonymous reading is off", func(t *testing.T) {
		cfg := cfg
		cfg.NoAnonymousRead = true
		svc, err := Start(ctx, cfg)
		require.NoError(t, err)
		defer svc.Close(ctx)
		resp, body := download(t, svc.URL(), "", with(edition, "format", "csv"))
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s", body)
		require.Equal(t, "UNAUTHENTICATED", errorExtensions(t, body)["code"])
		resp, body = download(t, svc.URL(), token, with(edition, "format", "csv"))
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	})
}

// with returns a copy of v with key set to value.
func with(v url.Values, key, value string) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	c.Set(key, value)
	return c
}

// download GETs /export with query, signed in with token unless it is "".
func download(t *testing.T, base, token string, query url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/export?"+query.Encode(), nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// errorExtensions decodes a refusal's one error and returns its extensions.
func errorExtensions(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &out), "%s", body)
	require.Len(t, out.Errors, 1, "%s", body)
	return out.Errors[0].Extensions
}
