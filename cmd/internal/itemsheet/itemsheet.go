// Package itemsheet reads a licensing-item list (行政许可事项清单) that a
// government published as a spreadsheet — the XLSX workbook itself, or CSV
// exported from it — and turns it into items with their sub-items (子项),
// ready to be listed in the catalogue.
//
// Two families of layout are understood, recognised by header names rather
// than positions because every province orders and names its columns a
// little differently:
//
//   - the government-service portal export: 事项编码, 事项名称, 子项名称,
//     实施机关, 审批层级, … where every row — item or sub-item — has its own
//     code, and the rows that share an item name and authority are the
//     sub-items of one item;
//   - the official list: 序号, 事项名称, 主管部门, 实施机关, 设定和实施依据,
//     备注, optionally with 中央清单序号, 设定依据 and 实施依据 as separate
//     columns, 事项编码, 子项名称, 子项编码, 审批层级 or 行使层级.
//
// Either layout may have title rows above its header (XX区行政许可事项清单
// （2023年版）, 填报单位, …), and a workbook may hold the list in several
// sheets (one per part of the list), cells merged vertically over an item's
// sub-item rows: see Read.
//
// The package is pure: it reads an io.Reader and looks at neither the file
// system nor the clock, so the same bytes always give the same items.
package itemsheet

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// Item is one licensing item as the sheet describes it.
type Item struct {
	Sheet      string    // the worksheet of the item's first row in a workbook; "" in CSV
	Line       int       // 1-based line (CSV) or row (worksheet) of the item's first row
	Code       string    // item code, unique within the sheet; see ParseWith for how it is chosen
	Name       string    // 事项名称
	Department string    // 主管部门 (may be empty: the portal layout has none)
	Authority  string    // 实施机关
	LegalBasis string    // 设定和实施依据 (may be empty)
	Level      string    // raw 审批层级/行使层级 text, e.g. "县级(区)" (may be empty)
	Note       string    // 备注
	SubItems   []SubItem // in file order
}

// SubItem is one sub-item (子项) of an item: one row of the sheet.
type SubItem struct {
	Sheet string
	Line  int
	Code  string
	Name  string
}

// Options tunes ParseWith. The zero value is what Parse uses.
type Options struct {
	// CodePrefix, when not empty, makes codes for items and sub-items the
	// sheet leaves without one, so that official lists — which number their
	// items (序号) but carry no codes — can be listed as they are. An item
	// gets CodePrefix + its 序号 zero-padded to four digits ("XK" + "0017");
	// a sub-item without a code gets its item's code + "-" + its 1-based
	// position among the item's sub-items, two digits ("XK0017-02"). An
	// item with neither a code nor a 序号 is then a problem.
	CodePrefix string
}

// MinDerivedCodeLen is the shortest common prefix of sub-item codes that
// ParseWith accepts as an item code. All codes of a province share a short
// region-and-category head (Sichuan's all start "511A"); a shorter prefix is
// little more than that head, which says where an item comes from, not which
// item it is.
const MinDerivedCodeLen = 8

// Result is what Read finds in a list: its items, and warnings about what
// the list leaves out (an empty 主管部门) that do not stop an import but that
// the officer should know the catalogue will not say either.
type Result struct {
	Items    []Item
	Warnings []Problem
}

// Parse reads a sheet with the zero Options: items the sheet gives no code
// (official lists usually give none) come back with Code == "" and the caller
// assigns codes. See Read.
func Parse(r io.Reader) ([]Item, error) { return ParseWith(r, Options{}) }

// ParseWith is Read without the warnings.
func ParseWith(r io.Reader, opts Options) ([]Item, error) {
	res, err := Read(r, opts)
	return res.Items, err
}

// Read reads a list and returns its items in the order of their first rows.
// The file is an XLSX workbook (told by its content, a zip archive, not by
// its name) or CSV text in UTF-8 (with or without BOM) or GB18030.
//
// Where the header is. The header is the first row, among the first
// MaxTitleRows+1 non-blank rows of a sheet, that names at least one column
// this package knows (see Columns); the rows above it are the list's title
// and are ignored. A workbook's sheets are all read, in order, as one list
// (one sheet per part of the list): each has its own title rows and header,
// the headers must name the same columns (in any order), and a sheet with
// nothing in it is skipped. Rows are located by sheet and row in problems.
//
// Merged cells. In a workbook a merged cell is read as its top-left value
// over the whole merged range, so an item name, department or legal basis
// merged vertically over the item's sub-item rows belongs to each of them.
// CSV cannot merge: a spreadsheet program exports a merged cell as empty in
// all but its first row, so such a sheet must be unmerged (and filled)
// before export, and an empty 事项名称 is a problem, not a continuation of
// the row above.
//
// Rows are grouped into items by (事项名称, 实施机关): a name alone is not
// enough because one item can be exercised by two authorities (the Guang'an
// list has 劳务派遣经营许可 under both 区人社局 and 区行政审批局), and those
// are two items, each with one authority. Within a group, each row that has
// a 子项名称 is a sub-item; at most one row may lack it, and that row is the
// item's own row (its 事项编码 is the item's code). Two rows of a group with
// no 子项名称 are a duplicate row, and so are two with the same 子项名称 and
// the same sub-item code; the same 子项名称 under two codes is two sub-items,
// as the portal does list some sub-items twice under different codes.
//
// Item-level cells (主管部门, 设定和实施依据, 审批层级, 备注) may be given on any
// rows of a group — empty cells are what merged spreadsheet cells export as —
// but two rows giving different non-empty values is a problem rather than a
// silent choice, because whichever we dropped would be legal text lost.
// Nothing is filled in that the list does not say: an item whose 主管部门 is
// empty has no department (a warning names its row), and one whose list has
// no 主管部门 column has none either (one warning for the file).
//
// Codes. A sub-item's code is its row's 子项编码 when the sheet has that
// column, else its row's 事项编码 (the portal gives every row its own code).
// An item's code is, in order of preference:
//
//  1. given: the 事项编码 of the item's own row, or — in a sheet with a
//     子项编码 column — the 事项编码 its rows share;
//  2. derived from its sub-item codes, when it has some: their longest common
//     prefix (without a trailing "-", "_", "." or "/"), if that prefix has at
//     least MinDerivedCodeLen characters, is not itself a code in the sheet
//     (including the item's own single sub-item, which the catalogue's domain
//     forbids as the item's code) and is derived by no other item; else the
//     smallest sub-item code + "-00". The prefix keeps the code family
//     readable (511A0081000002/03/05 → 511A008100000); the fallback
//     exists because portal sub-items are often regrouped from several base
//     items whose only common prefix is the region head ("511A"), and
//     because two items can share a prefix (the two 劳务派遣经营许可 items
//     both give 511A1400300). Both rules depend only on the set of codes, not
//     on row order, so re-sorting a sheet does not rename its items; adding
//     or removing a sub-item can, so a later import should match items by
//     name and authority, not by a derived code;
//  3. made from CodePrefix and 序号 when Options.CodePrefix is set;
//  4. otherwise "": the caller assigns one.
//
// All item and sub-item codes of a sheet must then be distinct.
//
// Errors: a read error from r is returned as is (wrapped). Anything wrong
// with the file — no header, a missing column, and every malformed row — is
// collected into one *SheetError; on error no items are returned. A list
// with only a header is an error. Rows whose cells are all empty are
// skipped: spreadsheet programs export trailing formatted-but-empty rows as
// ",,,,,".
func Read(r io.Reader, opts Options) (Result, error) {
	ps := problems{Source: "itemsheet"}
	tables, err := tablesOf(r, &ps)
	if err != nil {
		return Result{}, err
	}
	if ps.Len() > 0 && tables == nil {
		return Result{}, ps.Err()
	}
	h, rows, ok := readTables(tables, &ps)
	if !ok {
		return Result{}, ps.Err()
	}
	items := buildItems(rows, h, opts, &ps)
	if err := ps.Err(); err != nil {
		return Result{}, err
	}
	return Result{Items: items, Warnings: warnings(items, h)}, nil
}

var (
	zipMagic = []byte("PK\x03\x04")                       // an XLSX workbook is a zip archive
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1} // the compound file of a .xls
)

// readTables finds each table's header and reads its rows. It returns the
// first header (every sheet's names the same fields), the well-formed rows
// and whether there is anything to build items from; when not, the
// problems say why.
func readTables(tables []table, ps *problems) (*header, []*row, bool) {
	var first *header
	var firstSheet string
	var rows []*row
	seen, nonBlank, headers := 0, 0, true
	for _, t := range tables {
		if t.blank() {
			continue // a workbook's unused sheet
		}
		nonBlank++
		h, body, ok := findHeader(t, ps)
		if !ok {
			headers = false
			continue
		}
		switch {
		case first == nil:
			first, firstSheet = h, t.name
		case h.fields() != first.fields():
			ps.AddIn(t.name, h.line, "", "the header names the columns %s but sheet %q names %s; every sheet must have the same columns (in any order)",
				h.describe(), firstSheet, first.describe())
			headers = false
			continue
		}
		rs, n := readRows(t, body, h, ps)
		rows = append(rows, rs...)
		seen += n
	}
	switch {
	case nonBlank == 0:
		ps.Add(0, "", "the file is empty; a header row is expected")
		return nil, nil, false
	case !headers:
		return nil, nil, false
	case seen == 0:
		ps.Add(0, "", "no items: the sheet has a header but no rows")
		return nil, nil, false
	}
	return first, rows, true
}

// row is one data row, its cells trimmed.
type row struct {
	sheet              string
	line               int
	ord                int // place in the file: sheets in order, rows in order
	seq, code, subCode string
	name, subName      string
	dept, auth         string
	basis, level, note string
}

// at names the row's place for messages.
func (rw *row) at() string { return sheet.At(rw.sheet, rw.line) }

// add records a problem of the row.
func (rw *row) add(ps *problems, column, format string, args ...any) {
	ps.AddIn(rw.sheet, rw.line, column, format, args...)
}

// readRows reads the data records of a table, reporting malformed ones, and
// returns the well-formed rows and the number of non-blank records seen.
func readRows(t table, body []record, h *header, ps *problems) ([]*row, int) {
	var rows []*row
	seen := 0
	for _, rec := range body {
		if rec.malformed {
			seen++ // reported as it was read
			continue
		}
		if sheet.IsBlank(rec.cells) {
			continue
		}
		seen++
		cells, ok := t.fit(rec, h.width, ps)
		if !ok {
			continue
		}
		rw := &row{
			sheet:   t.name,
			line:    rec.line,
			ord:     rec.ord,
			seq:     h.get(cells, fSeq),
			code:    h.get(cells, fCode),
			subCode: h.get(cells, fSubCode),
			name:    h.get(cells, fName),
			subName: h.get(cells, fSubName),
			dept:    h.get(cells, fDept),
			auth:    h.get(cells, fAuthority),
			basis:   legalBasis(h, cells),
			level:   h.get(cells, fLevel),
			note:    h.get(cells, fNote),
		}
		if checkRow(rw, h, ps) {
			rows = append(rows, rw)
		}
	}
	return rows, seen
}

// legalBasis joins the legal-basis columns. Lists that split 设定依据 (the
// law that creates the licence) from 实施依据 (the rules for granting it) keep
// both in one field here, each labelled as the domain model has one legal
// basis per item; the text itself is not touched.
func legalBasis(h *header, rec []string) string {
	var parts []string
	if v := h.get(rec, fBasis); v != "" {
		parts = append(parts, v)
	}
	if v := h.get(rec, fSetBasis); v != "" {
		parts = append(parts, ColSetBasis+"："+v)
	}
	if v := h.get(rec, fImplBasis); v != "" {
		parts = append(parts, ColImplBasis+"："+v)
	}
	return strings.Join(parts, "\n")
}

// checkRow reports what is wrong with one row on its own and whether the
// row is good enough to be grouped. Bad rows are left out of grouping so
// that one mistake does not also show up as a spurious duplicate.
func checkRow(rw *row, h *header, ps *problems) bool {
	ok := true
	if rw.name == "" {
		rw.add(ps, ColName, "%s is empty", ColName)
		ok = false
	}
	if rw.auth == "" && rw.dept == "" {
		col, msg := h.whoColumns()
		rw.add(ps, col, "%s", msg)
		ok = false
	}
	for _, c := range []struct{ col, v string }{{ColCode, rw.code}, {ColSubCode, rw.subCode}} {
		if strings.ContainsFunc(c.v, unicode.IsSpace) {
			rw.add(ps, c.col, "%s %q contains whitespace", c.col, c.v)
			ok = false
		}
	}
	if rw.subCode != "" && rw.subName == "" {
		rw.add(ps, ColSubCode, "%s is given but %s is empty", ColSubCode, ColSubName)
		ok = false
	}
	return ok
}

// warnings says what the list leaves out that the catalogue will then not
// say either: the competent department (主管部门), which is never taken from
// the implementing authority — the two differ (a 行政审批局 grants what
// 市场监管局 is competent for), so a copy would be an invented fact.
func warnings(items []Item, h *header) []Problem {
	if !h.has(fDept) {
		return []Problem{{Message: fmt.Sprintf("the list has no %s column: its %d items are recorded without a competent department (%s is not copied into it)",
			ColDept, len(items), ColAuthority)}}
	}
	var ws []Problem // items are in file order, so these are too
	for _, it := range items {
		if it.Department == "" {
			ws = append(ws, Problem{Sheet: it.Sheet, Line: it.Line, Column: ColDept,
				Message: ColDept + " is empty: the item is recorded without a competent department"})
		}
	}
	return ws
}
