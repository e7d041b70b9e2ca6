package itemsheet

import (
	"bytes"
	"fmt"
	"io"
)

// Row is one row of a file as read by ReadRows, with where it is.
type Row struct {
	Sheet string // the worksheet, in a workbook; "" in a CSV file
	Line  int    // 1-based physical line (CSV) or row (worksheet)
	Cells []string
}

// ReadRows reads a CSV file (UTF-8 or GB18030, as Read decodes it) or an
// XLSX workbook (every sheet in order, merged cells filled) into its rows,
// for readers of other layouts than the item list — delegation documents —
// so that every sheet-like file is decoded one way. Blank rows are kept
// (the caller skips them) so that lines stay where the officer sees them.
// Anything wrong with the file is a *SheetError naming source.
func ReadRows(r io.Reader, source string) ([]Row, error) {
	ps := problems{Source: source}
	tables, err := tablesOf(r, &ps)
	if err != nil {
		return nil, err
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var rows []Row
	for _, t := range tables {
		for _, rec := range t.records {
			rows = append(rows, Row{Sheet: t.name, Line: rec.line, Cells: rec.cells})
		}
	}
	return rows, nil
}

// tablesOf reads a file into its tables: every sheet of an XLSX workbook
// (merged cells filled), or the one table of a CSV file (UTF-8 or
// GB18030). What is wrong with the file is added to ps; the error is the
// reader's.
func tablesOf(r io.Reader, ps *problems) ([]table, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the file: %w", ps.Source, err)
	}
	switch {
	case bytes.HasPrefix(raw, zipMagic):
		return xlsxTables(raw, ps), nil
	case bytes.HasPrefix(raw, oleMagic):
		ps.Add(0, "", "the file is an Excel 97-2003 workbook (.xls); save it as .xlsx (Excel workbook) or as CSV")
		return nil, nil
	}
	return csvTables(raw, ps)
}
