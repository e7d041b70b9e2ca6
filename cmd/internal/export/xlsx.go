package export

import (
	"context"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/catalogue/catalogue/domain"
)

// progressEvery is how many records are written between two looks at the
// context and two progress reports.
const progressEvery = 500

// sheetName is the worksheet's name: the part of the list it holds.
const sheetName = "行政许可事项"

// Rows of the sheet: the title, the header, then the data.
const (
	titleRow  = 1
	headerRow = 2
	firstRow  = 3
)

// styles are the cell styles of an exported sheet.
type styles struct{ title, header, text, number int }

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	var s styles
	var err error
	for _, st := range []struct {
		id    *int
		style excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.text, excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&s.number, excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
	} {
		if *st.id, err = f.NewStyle(&st.style); err != nil {
			return s, err
		}
	}
	return s, nil
}

// writeXLSX streams the table into one worksheet: the title merged across
// the columns, the header frozen below it, and each record's cells merged
// down over its sub-item rows, as published lists are laid out.
func writeXLSX(ctx context.Context, t *table, w io.Writer, progress Progress) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return err
	}
	for i, wd := range t.widths() {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: cell(1, firstRow), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	n := len(t.columns)
	if err := sw.SetRow(cell(1, titleRow), []any{excelize.Cell{StyleID: st.title, Value: t.title}}, excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	if err := sw.MergeCell(cell(1, titleRow), cell(n, titleRow)); err != nil {
		return err
	}
	values := make([]any, n)
	for i, c := range t.columns {
		values[i] = excelize.Cell{StyleID: st.header, Value: c.name}
	}
	if err := sw.SetRow(cell(1, headerRow), values); err != nil {
		return err
	}
	r := firstRow
	for gi, g := range t.groups {
		if gi%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			progress("writing", gi, len(t.groups))
		}
		for k, row := range g {
			for i, c := range t.columns {
				if r, bad := notInXML(row[i]); bad {
					return domain.Errorf(domain.CodeInvalid, "format", "%s %s: %s holds the character %U, which an XLSX file cannot hold; export it as CSV",
						t.columns[1].name, row[1], c.name, r)
				}
				values[i] = cellValue(c, row[i], k > 0 && !c.perRow, st)
			}
			if err := sw.SetRow(cell(1, r+k), values); err != nil {
				return err
			}
		}
		if len(g) > 1 {
			for i, c := range t.columns {
				if !c.perRow {
					if err := sw.MergeCell(cell(i+1, r), cell(i+1, r+len(g)-1)); err != nil {
						return err
					}
				}
			}
		}
		r += len(g)
	}
	progress("writing", len(t.groups), len(t.groups))
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// notInXML finds a character XML 1.0 — the text of an XLSX file — cannot
// hold: the control characters but tab and line breaks, and U+FFFE/U+FFFF.
// excelize would write U+FFFD in its place, changing the text silently.
func notInXML(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return r, true
		}
	}
	return 0, false
}

// cellValue is one cell: a merged-over cell keeps its style (its border)
// but no value — the merged range shows its top-left cell's; 序号 is a
// number.
func cellValue(c column, v string, mergedOver bool, st styles) excelize.Cell {
	style := st.text
	if c.number {
		style = st.number
	}
	if mergedOver || v == "" {
		return excelize.Cell{StyleID: style}
	}
	if n, err := strconv.Atoi(v); err == nil && c.number {
		return excelize.Cell{StyleID: style, Value: n}
	}
	return excelize.Cell{StyleID: style, Value: v}
}

// cell names a cell by 1-based column and row (a row beyond the sheet's
// limit makes SetRow fail, with excelize's error).
func cell(col, row int) string {
	name, _ := excelize.ColumnNumberToName(col) // columns here are a dozen: within the limit
	return name + strconv.Itoa(row)
}
