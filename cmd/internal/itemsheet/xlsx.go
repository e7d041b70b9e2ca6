package itemsheet

import (
	"bytes"

	"github.com/xuri/excelize/v2"
)

// maxUnzipped bounds what a workbook may unpack to. A licensing list is at
// most a few megabytes; the bound refuses a zip bomb instead of filling the
// memory (excelize's own default is 16 GB).
const maxUnzipped = 256 << 20

// xlsxTables reads every worksheet of a workbook as a table, merged cells
// filled with their top-left value. Cells are read raw, not as displayed:
// a code typed as a number (511602000000) must not come back as 5.11602E+11.
func xlsxTables(raw []byte, ps *problems) []table {
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		ps.Add(0, "", "the file looks like an XLSX workbook but cannot be opened: %v", err)
		return nil
	}
	defer f.Close()
	names := f.GetSheetList()
	ps.SetSheets(names)
	var tables []table
	ord := 0
	for _, name := range names {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err == nil {
			err = fillMerges(f, name, rows)
		}
		if err != nil {
			ps.AddIn(name, 0, "", "the sheet cannot be read: %v", err)
			continue
		}
		t := table{name: name, padded: true}
		for i, cells := range rows {
			t.records = append(t.records, record{line: i + 1, ord: ord, cells: cells})
			ord++
		}
		tables = append(tables, t)
	}
	if ps.Len() > 0 {
		return nil
	}
	return tables
}

// fillMerges gives every cell of a merged range the range's top-left
// value, within the rows and columns that hold anything: a range merged
// down a whole column must not make a million empty rows.
func fillMerges(f *excelize.File, sheet string, rows [][]string) error {
	merges, err := f.GetMergeCells(sheet, true)
	if err != nil {
		return err
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	for _, m := range merges {
		c1, r1, err := excelize.CellNameToCoordinates(m.GetStartAxis())
		if err != nil {
			return err
		}
		c2, r2, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err != nil {
			return err
		}
		if r1 > len(rows) || c1 > len(rows[r1-1]) {
			continue // the top-left cell is empty: so is the range
		}
		v := rows[r1-1][c1-1]
		for r := r1; r <= min(r2, len(rows)); r++ {
			for c := c1; c <= min(c2, width); c++ {
				for len(rows[r-1]) < c {
					rows[r-1] = append(rows[r-1], "")
				}
				rows[r-1][c-1] = v
			}
		}
	}
	return nil
}
