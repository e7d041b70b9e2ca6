package app

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/export"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/graph"
)

// exportHandler answers GET /export (graph.ExportPath): the list a query
// asks for, as an XLSX or CSV attachment named by its title, read from the
// read models as of the request. The list is read whole before the answer
// begins, so a refusal (bad parameters 400, unknown edition 404) is a JSON
// error and never the start of a file; once writing has begun, a failure
// can only cut the download short, and is logged.
type exportHandler struct {
	read Reader
	log  *slog.Logger
	now  func() time.Time
}

// exportTimeout bounds one download, reading and writing: a 5,000-item
// list takes seconds, so this is only a guard against a stalled client.
const exportTimeout = 5 * time.Minute

// contentTypes are the media types of the formats.
var contentTypes = map[export.Format]string{
	export.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	export.CSV:  "text/csv; charset=utf-8",
}

func (h exportHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		graph.MethodNotAllowed(w, r, "GET, HEAD")
		return
	}
	q, err := graph.ParseExportQuery(r.URL.Query())
	if err != nil {
		graph.WriteHTTPError(w, r, err)
		return
	}
	f, err := export.ParseFormat(q.Format)
	if err != nil {
		graph.WriteHTTPError(w, r, err)
		return
	}
	req := export.Request{Edition: q.Edition, Body: q.Body, InForceOn: q.InForceOn, AsOf: q.AsOf}
	if req.Edition == "" && req.InForceOn.IsZero() { // a body's powers today
		req.InForceOn = domain.DateOf(h.now().In(graph.Zone))
	}
	// A slow or stalled client must not hold the server (which sets no
	// write timeout of its own: /query bounds each request itself).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportTimeout))
	ctx, cancel := context.WithTimeout(r.Context(), exportTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	list, err := export.Read(ctx, h.read.Views(), req, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentTypes[f])
	w.Header().Set("Content-Disposition", attachment(list.Title(), f))
	w.Header().Set("Cache-Control", "no-store") // a date's list changes as the log grows
	if _, err := list.Write(ctx, f, w, nil); err != nil {
		h.log.WarnContext(r.Context(), "export: download cut short", "url", r.URL.String(), "err", err)
	}
}

// fail answers a refusal with its code; an error no rule gave (the read
// models failing) is logged here and shown as internal.
func (h exportHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if domain.ErrorCode(err) == "" && !errors.Is(err, r.Context().Err()) {
		h.log.ErrorContext(r.Context(), "export: internal error", "url", r.URL.String(), "err", err)
	}
	graph.WriteHTTPError(w, r, err)
}

// attachment is a Content-Disposition naming the file: filename* carries
// the UTF-8 name (RFC 6266, e.g. 行政许可事项清单（2023年版）.xlsx), and a
// plain filename stands in for clients that read only that.
func attachment(title string, f export.Format) string {
	standIn := `filename="catalogue.` + string(f) + `"`
	v := mime.FormatMediaType("attachment", map[string]string{"filename": title + "." + string(f)})
	switch {
	case v == "": // a name mime cannot encode
		return "attachment; " + standIn
	case strings.Contains(v, "filename*="):
		return v + "; " + standIn
	}
	return v // ASCII: a plain filename already
}
