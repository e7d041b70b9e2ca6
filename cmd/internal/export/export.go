// Package export writes the catalogue out as the spreadsheet a government
// publishes: the list of an edition, the list in force on a date (as known
// at a position of the log), or the powers one body holds on a date — as
// XLSX with the title row, the official column order, an item's cells
// merged over its sub-item rows, a frozen header and columns wide enough
// for Chinese text, or as CSV (UTF-8 with a byte-order mark, which
// spreadsheet programs need to open it as UTF-8).
//
// A list exported here and imported elsewhere (catalogue import, package
// itemsheet) gives the same items: the columns are those itemsheet reads,
// with 事项编码, 子项编码 and 行使层级 beside the official ones so that codes
// and levels survive the round trip.
//
// The package reads through Reader, two queries of the read side, and
// writes to an io.Writer: it touches no file and reads no clock (the caller
// passes the date), so it runs as well against a stopped data directory as
// against a server's read models.
package export

import (
	"context"
	"fmt"
	"io"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Reader is what an export reads: the catalogue (of an edition or of a date)
// and a body's delegations. Both read sides answer it.
type Reader interface {
	Catalogue(ctx context.Context, q projections.CatalogueQuery) (projections.ItemPage, error)
	Delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error)
}

// Format is the kind of file written.
type Format string

// Formats.
const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case XLSX, CSV:
		return f, nil
	}
	return "", domain.Errorf(domain.CodeInvalid, "format", "%q is not a format (xlsx, csv)", s)
}

// Request says what to export: the items of Edition; or, with Body, the
// powers that body holds on InForceOn; or else the catalogue in force on
// InForceOn. AsOf (0 = everything recorded) is the log position read, for
// a date as it was known then; an edition fixes its own.
type Request struct {
	Edition   string
	Body      string
	InForceOn domain.Date
	AsOf      eventstore.Position
}

func (r Request) validate() error {
	switch {
	case r.Edition != "" && (r.Body != "" || !r.InForceOn.IsZero() || r.AsOf != 0):
		return domain.Errorf(domain.CodeInvalid, "edition", "an edition fixes its own date and position; give no body, date or position with it")
	case r.Edition == "" && r.InForceOn.IsZero():
		return domain.Errorf(domain.CodeInvalid, "inForceOn", "a date is required (the caller passes today for now)")
	}
	return nil
}

// Progress is told how far a step ("reading", "writing") is: done of total.
type Progress func(step string, done, total int)

// Summary says what was written.
type Summary struct {
	Title string
	// Records are items (or a body's delegations); Rows the data rows
	// written, one per sub-item.
	Records, Rows int
	// AsOf is the log position the export was read at.
	AsOf eventstore.Position
}

// Write reads what req asks for through r and writes it to w in format f.
// On error (ctx cancelled included) w holds part of a file: the caller
// writes to a temporary file and renames it only on success.
func Write(ctx context.Context, r Reader, req Request, f Format, w io.Writer, progress Progress) (Summary, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return Summary{}, err
	}
	l, err := Read(ctx, r, req, progress)
	if err != nil {
		return Summary{}, err
	}
	return l.Write(ctx, f, w, progress)
}

// List is what an export read, ready to be written. Reading and writing
// are apart so that a server can refuse a request (an unknown edition)
// before it answers with a file, and name the file by the list's title.
type List struct{ t *table }

// Read reads what req asks for through r: everything a file needs, before
// a byte of it is written.
func Read(ctx context.Context, r Reader, req Request, progress Progress) (*List, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	var t *table
	var err error
	if req.Body != "" {
		t, err = bodyTable(ctx, r, req, progress)
	} else {
		t, err = catalogueTable(ctx, r, req, progress)
	}
	if err != nil {
		return nil, err
	}
	return &List{t: t}, nil
}

// Title is the list's title row, e.g. 行政许可事项清单（2023年版）: also the
// name a downloaded file is given.
func (l *List) Title() string { return l.t.title }

// Write writes the list to w in format f.
func (l *List) Write(ctx context.Context, f Format, w io.Writer, progress Progress) (Summary, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if _, err := ParseFormat(string(f)); err != nil {
		return Summary{}, err
	}
	t := l.t
	sum := Summary{Title: t.title, Records: len(t.groups), Rows: t.rows(), AsOf: t.asOf}
	var err error
	if f == CSV {
		err = writeCSV(ctx, t, w, progress)
	} else {
		err = writeXLSX(ctx, t, w, progress)
	}
	if err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// catalogueTable reads the items of an edition or of a date, page by page
// at the position of the first page, so that a log growing meanwhile does
// not tear the list.
func catalogueTable(ctx context.Context, r Reader, req Request, progress Progress) (*table, error) {
	t := newTable(catalogueTitle(req), catalogueColumns)
	q := projections.CatalogueQuery{Edition: req.Edition, Page: projections.Page{First: projections.MaxPageSize}}
	if req.Edition == "" {
		q.Axes = projections.Axes{InForceOn: req.InForceOn, AsOf: req.AsOf}
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := r.Catalogue(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			t.add(itemRows(len(t.groups)+1, it))
		}
		progress("reading", len(t.groups), page.Total)
		t.asOf = page.AsOf
		if !page.HasNextPage {
			return t, nil
		}
		q.After = page.EndCursor
		if q.Edition == "" {
			q.AsOf = page.AsOf
		}
	}
}

// bodyTable reads the powers a body holds on the date.
func bodyTable(ctx context.Context, r Reader, req Request, progress Progress) (*table, error) {
	q := projections.DelegationQuery{Axes: projections.Axes{InForceOn: req.InForceOn, AsOf: req.AsOf},
		Page: projections.Page{First: projections.MaxPageSize}, Body: req.Body}
	var t *table
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := r.Delegations(ctx, q)
		if err != nil {
			return nil, err
		}
		if t == nil {
			name := req.Body
			if len(page.Delegations) > 0 && page.Delegations[0].ToName != "" {
				name = page.Delegations[0].ToName
			}
			t = newTable(fmt.Sprintf("%s承接的行政许可事项（%s）", name, dateTitle(req)), bodyColumns)
		}
		for _, d := range page.Delegations {
			t.add(delegationRows(len(t.groups)+1, d))
		}
		progress("reading", len(t.groups), page.Total)
		t.asOf = page.AsOf
		if !page.HasNextPage {
			return t, nil
		}
		q.After, q.AsOf = page.EndCursor, page.AsOf
	}
}

func catalogueTitle(req Request) string {
	if req.Edition != "" {
		return "行政许可事项清单（" + req.Edition + "）"
	}
	return "行政许可事项清单（" + dateTitle(req) + "）"
}

// dateTitle is the date of a title, with the log position when the list is
// the one known at a past position: two files of the same date can differ.
func dateTitle(req Request) string {
	if req.AsOf != 0 {
		return fmt.Sprintf("%s，记录位置 %d", req.InForceOn, req.AsOf)
	}
	return req.InForceOn.String()
}
