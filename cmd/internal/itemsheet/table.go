package itemsheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// MaxTitleRows is how many non-blank rows above the header Read skips as
// the list's title (the title itself, 填报单位, a date, a note). The limit
// keeps a file without any known header from being searched to its end, so
// that it is refused with the names the reader knows.
const MaxTitleRows = 9

// table is one sheet of a file as rows of cells: a CSV file is one table
// without a name, a workbook has one per worksheet.
type table struct {
	name    string // worksheet name; "" for CSV
	records []record
	// padded says that rows may be shorter than the header: a worksheet
	// does not store trailing empty cells, while a CSV row's field count is
	// the spreadsheet's own and a different count means a broken row.
	padded bool
}

// record is one row as read.
type record struct {
	line      int // 1-based physical line (CSV) or row (worksheet)
	ord       int // place in the file, across sheets
	cells     []string
	malformed bool // a CSV syntax error, reported as it was read
}

func (t table) blank() bool {
	for _, r := range t.records {
		if r.malformed || !sheet.IsBlank(r.cells) {
			return false
		}
	}
	return true
}

// fit returns a record's cells as wide as the header, or reports why they
// cannot be.
func (t table) fit(rec record, width int, ps *problems) ([]string, bool) {
	n := len(rec.cells)
	switch {
	case n == width:
		return rec.cells, true
	case !t.padded:
		ps.AddIn(t.name, rec.line, "", "the row has %d fields but the header has %d", n, width)
		return nil, false
	case n < width:
		return append(rec.cells, make([]string, width-n)...), true
	}
	if sheet.IsBlank(rec.cells[width:]) {
		return rec.cells[:width], true
	}
	ps.AddIn(t.name, rec.line, "", "the row has a value right of the header's last column (column %d); give that column a header or empty it", width)
	return nil, false
}

// csvTables reads CSV text as one table. Malformed lines are reported and
// kept as malformed records, so that the rest of the file is still checked.
func csvTables(raw []byte, ps *problems) ([]table, error) {
	text, p := toUTF8(raw)
	if p != nil {
		ps.Add(p.Line, p.Column, "%s", p.Message)
		return nil, nil
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	t := table{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return []table{t}, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("itemsheet: %w", err)
			}
			ps.AddCSVProblem(err)
			t.records = append(t.records, record{line: pe.StartLine, ord: len(t.records), malformed: true})
			continue
		}
		line, _ := cr.FieldPos(0)
		t.records = append(t.records, record{line: line, ord: len(t.records), cells: rec})
	}
}

// findHeader finds a table's header (see Read) and returns it with the
// records below it. A malformed line met before any header stops the
// search: it may be the header, and its problem is reported already.
func findHeader(t table, ps *problems) (*header, []record, bool) {
	titles := 0
	for i, rec := range t.records {
		if rec.malformed {
			return nil, nil, false
		}
		if sheet.IsBlank(rec.cells) {
			continue
		}
		if known(rec.cells) > 0 {
			h, ok := parseHeader(rec.cells, t.name, rec.line, ps)
			return h, t.records[i+1:], ok
		}
		if titles++; titles > MaxTitleRows {
			break
		}
	}
	ps.AddIn(t.name, 0, "", "no header row: none of the first %d rows names a known column; the columns known are %s (%s and %s or %s are required)",
		MaxTitleRows+1, knownColumns(), ColName, ColAuthority, ColDept)
	return nil, nil, false
}
