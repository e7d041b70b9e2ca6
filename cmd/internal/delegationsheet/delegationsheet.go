// Package delegationsheet reads the lists documents carry as CSV or XLSX: a
// delegation list (下放/委托/赋权事项目录), one row per item handed to a body
// or a group of bodies, and a revocation list (取消事项目录), one row per
// item revoked. It checks only what the file itself says (columns, modes,
// dates); whether the items and bodies exist is the importer's question.
package delegationsheet

import (
	"io"
	"strings"

	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
	"github.com/catalogue/catalogue/domain"
)

// Column names as officers write them.
const (
	ColCode  = "事项编码"
	ColName  = "事项名称"
	ColBody  = "承接主体"
	ColMode  = "方式"
	ColScope = "子项"
	ColUntil = "截止日期"
)

// aliases are other headers meaning the same column.
var aliases = map[string]string{
	ColCode: ColCode, ColName: ColName, ColBody: ColBody, ColMode: ColMode, ColScope: ColScope, ColUntil: ColUntil,
	"承接单位": ColBody, "下放方式": ColMode, "承接方式": ColMode, "子项编码": ColScope, "有效期至": ColUntil,
}

// maxTitleRows is how many rows above the header are skipped as the
// document's title, as in item lists.
const maxTitleRows = itemsheet.MaxTitleRows

// Row is one delegation row of the file.
type Row struct {
	Sheet    string
	Line     int
	ItemCode string // 事项编码, or ""
	ItemName string // 事项名称, or ""
	Body     string // bodies' codes or names, or groups (各区市, 各功能区, <区>所辖镇街), separated as SplitList splits
	Mode     domain.Mode
	Scope    []string // sub-item codes; none = the whole item
	Until    domain.Date
}

// Read reads every row of a delegation list. Every problem of the file —
// no header, a missing column, an empty cell, a mode or date it cannot
// read — is reported at once, by row and column, in a *sheet.Error.
func Read(r io.Reader) ([]Row, error) {
	return read(r, layout[Row]{
		source: "delegations", what: "delegation", aliases: aliases, known: known(),
		header: func(cols map[string]int) bool { _, ok := cols[ColBody]; return ok }, headerNames: ColBody,
		missing: missing, parse: parseRow,
	})
}

// layout is what one kind of document (a delegation list, a revocation
// list) adds to the reading every such document shares.
type layout[R any] struct {
	source, what string
	aliases      map[string]string // header → column
	known        string            // the columns known, for the message of a file without a header
	// header tells whether a row's recognised columns make it the header;
	// headerNames says in the message what a header must name.
	header      func(cols map[string]int) bool
	headerNames string
	missing     func(cols map[string]int, rec itemsheet.Row, ps *sheet.Problems) // reports the header's missing columns; nil = none required beyond header

	parse func(rec itemsheet.Row, cols map[string]int, ps *sheet.Problems) (R, bool)
}

// read reads a document's rows: each worksheet's title rows are skipped
// up to its header, and every problem is reported at once.
func read[R any](r io.Reader, lay layout[R]) ([]R, error) {
	raw, err := itemsheet.ReadRows(r, lay.source)
	if err != nil {
		return nil, err
	}
	ps := sheet.Problems{Source: lay.source}
	var out []R
	var cols map[string]int // the current sheet's header, once found
	sheetName, titles, headless := "", 0, false
	for _, rec := range raw {
		if rec.Sheet != sheetName { // each worksheet has its own title and header
			sheetName, cols, titles, headless = rec.Sheet, nil, 0, false
		}
		if headless || sheet.IsBlank(rec.Cells) {
			continue
		}
		if cols == nil {
			if cols = header(rec.Cells, lay.aliases, lay.header); cols != nil {
				if lay.missing != nil {
					lay.missing(cols, rec, &ps)
				}
			} else if titles++; titles > maxTitleRows {
				ps.AddIn(rec.Sheet, 0, "", "no header row: none of the first %d rows names %s; the columns known are %s", maxTitleRows+1, lay.headerNames, lay.known)
				headless = true // the rest of the sheet is not read as rows
			}
			continue
		}
		if row, ok := lay.parse(rec, cols, &ps); ok {
			out = append(out, row)
		}
	}
	if len(out) == 0 && ps.Len() == 0 {
		ps.Add(0, "", "the file holds no %s rows", lay.what)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// header maps a row's known columns to their places, or returns nil when
// the row is not the header (isHeader says).
func header(cells []string, aliases map[string]string, isHeader func(map[string]int) bool) map[string]int {
	cols := map[string]int{}
	for i, c := range cells {
		if col, ok := aliases[strings.TrimSpace(c)]; ok {
			if _, dup := cols[col]; !dup {
				cols[col] = i
			}
		}
	}
	if !isHeader(cols) {
		return nil
	}
	return cols
}

func missing(cols map[string]int, rec itemsheet.Row, ps *sheet.Problems) {
	_, code := cols[ColCode]
	_, name := cols[ColName]
	if !code && !name {
		ps.AddIn(rec.Sheet, rec.Line, "", "the header names neither %s nor %s; one of them says which item", ColCode, ColName)
	}
	if _, ok := cols[ColMode]; !ok {
		ps.AddIn(rec.Sheet, rec.Line, "", "the header has no %s column (下放, 委托 or 赋权)", ColMode)
	}
}

func known() string {
	return strings.Join([]string{ColCode, ColName, ColBody, ColMode, ColScope, ColUntil}, ", ")
}

func cell(rec itemsheet.Row, cols map[string]int, col string) string {
	i, ok := cols[col]
	if !ok || i >= len(rec.Cells) {
		return ""
	}
	return strings.TrimSpace(rec.Cells[i])
}

// parseRow reads one row, reporting each bad cell by its column.
func parseRow(rec itemsheet.Row, cols map[string]int, ps *sheet.Problems) (Row, bool) {
	n := ps.Len()
	row := Row{Sheet: rec.Sheet, Line: rec.Line, ItemCode: cell(rec, cols, ColCode), ItemName: cell(rec, cols, ColName), Body: cell(rec, cols, ColBody)}
	if row.ItemCode == "" && row.ItemName == "" {
		ps.AddIn(rec.Sheet, rec.Line, ColName, "%s and %s are both empty: which item is delegated?", ColCode, ColName)
	}
	if row.Body == "" {
		ps.AddIn(rec.Sheet, rec.Line, ColBody, "%s is empty", ColBody)
	}
	mode, ok := ParseMode(cell(rec, cols, ColMode))
	if !ok {
		ps.AddIn(rec.Sheet, rec.Line, ColMode, "%s %q is not a mode: 下放 (DEVOLVE), 委托 (ENTRUST) or 赋权 (EMPOWER)", ColMode, cell(rec, cols, ColMode))
	}
	row.Mode = mode
	row.Scope = SplitList(cell(rec, cols, ColScope))
	if u := cell(rec, cols, ColUntil); u != "" {
		d, err := domain.ParseDate(u)
		if err != nil {
			ps.AddIn(rec.Sheet, rec.Line, ColUntil, "%s %q is not a date YYYY-MM-DD", ColUntil, u)
		}
		row.Until = d
	}
	return row, ps.Len() == n
}

// ParseMode reads a mode in Chinese (下放, 委托, 赋权) or as the API names it.
func ParseMode(s string) (domain.Mode, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "下放", string(domain.ModeDevolve):
		return domain.ModeDevolve, true
	case "委托", string(domain.ModeEntrust):
		return domain.ModeEntrust, true
	case "赋权", string(domain.ModeEmpower):
		return domain.ModeEmpower, true
	}
	return "", false
}

// SplitList splits a cell listing several values (sub-item codes, bodies)
// by the separators officers type (、，,；; and white space); an empty cell
// gives nil, which as a scope is the whole item, as the API's delegation
// without a scope is.
func SplitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、，,；; \t\n", r) })
	if len(parts) == 0 {
		return nil
	}
	return parts
}
