// Package itemsheet reads a licensing-item list (行政许可事项清单) that a
// government published as a spreadsheet and someone exported as CSV, and
// turns it into items with their sub-items (子项), ready to be listed in the
// catalogue.
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
// The package is pure: it reads an io.Reader and looks at neither the file
// system nor the clock, so the same bytes always give the same items.
package itemsheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// Item is one licensing item as the sheet describes it.
type Item struct {
	Line       int       // 1-based line number of the item's first row in the file (header is line 1)
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
	Line int
	Code string
	Name string
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

// Parse reads a sheet with the zero Options: items the sheet gives no code
// (official lists usually give none) come back with Code == "" and the caller
// assigns codes. See ParseWith.
func Parse(r io.Reader) ([]Item, error) { return ParseWith(r, Options{}) }

// ParseWith reads a sheet (UTF-8 with or without BOM, or GB18030) and
// returns its items in the order of their first rows.
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
// with the sheet — a missing column, and every malformed row — is collected
// into one *SheetError; on error no items are returned. A sheet with only a
// header is an error. Rows whose cells are all empty are skipped: spreadsheet
// programs export trailing formatted-but-empty rows as ",,,,,". Spreadsheet
// cells merged across rows export as empty in all but the first row, so such
// sheets must be unmerged (and filled) before export: an empty 事项名称 is a
// problem, not a continuation of the row above.
func ParseWith(r io.Reader, opts Options) ([]Item, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("itemsheet: reading the sheet: %w", err)
	}
	ps := problems{Source: "itemsheet"}
	text, p := toUTF8(raw)
	if p != nil {
		ps.Add(p.Line, p.Column, "%s", p.Message)
		return nil, ps.Err()
	}

	cr, rec, err := ps.ReadHeader(text)
	if err != nil {
		return nil, err
	}
	h, ok := parseHeader(rec, &ps)
	if !ok {
		return nil, ps.Err()
	}

	rows, n, err := readRows(cr, h, &ps)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		ps.Add(0, "", "no items: the sheet has a header but no rows")
		return nil, ps.Err()
	}
	items := buildItems(rows, h, opts, &ps)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// row is one data row, its cells trimmed.
type row struct {
	line               int
	seq, code, subCode string
	name, subName      string
	dept, auth         string
	basis, level, note string
}

// readRows reads the data rows, reporting malformed ones, and returns the
// well-formed rows and the number of non-blank rows seen.
func readRows(cr *csv.Reader, h *header, ps *problems) ([]*row, int, error) {
	var rows []*row
	seen := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, seen, nil
		}
		if err != nil {
			if !ps.AddCSVProblem(err) {
				return nil, 0, fmt.Errorf("itemsheet: %w", err)
			}
			seen++
			continue
		}
		line, _ := cr.FieldPos(0)
		if sheet.IsBlank(rec) {
			continue
		}
		seen++
		if len(rec) != h.width {
			ps.Add(line, "", "the row has %d fields but the header has %d", len(rec), h.width)
			continue
		}
		rw := &row{
			line:    line,
			seq:     h.get(rec, fSeq),
			code:    h.get(rec, fCode),
			subCode: h.get(rec, fSubCode),
			name:    h.get(rec, fName),
			subName: h.get(rec, fSubName),
			dept:    h.get(rec, fDept),
			auth:    h.get(rec, fAuthority),
			basis:   legalBasis(h, rec),
			level:   h.get(rec, fLevel),
			note:    h.get(rec, fNote),
		}
		if checkRow(rw, h, ps) {
			rows = append(rows, rw)
		}
	}
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
		ps.Add(rw.line, ColName, "%s is empty", ColName)
		ok = false
	}
	if rw.auth == "" && rw.dept == "" {
		col, msg := h.whoColumns()
		ps.Add(rw.line, col, "%s", msg)
		ok = false
	}
	for _, c := range []struct{ col, v string }{{ColCode, rw.code}, {ColSubCode, rw.subCode}} {
		if strings.ContainsFunc(c.v, unicode.IsSpace) {
			ps.Add(rw.line, c.col, "%s %q contains whitespace", c.col, c.v)
			ok = false
		}
	}
	if rw.subCode != "" && rw.subName == "" {
		ps.Add(rw.line, ColSubCode, "%s is given but %s is empty", ColSubCode, ColSubName)
		ok = false
	}
	return ok
}

// group is the rows of one (事项名称, 实施机关).
type group struct {
	rows   []*row // file order
	own    *row   // the row without 子项名称, if any
	subs   []*row // rows with 子项名称, file order
	needs  bool   // the item code is to be derived or made
	codeAt int    // line the item code was given on
}

func groupRows(rows []*row, h *header, ps *problems) []*group {
	type key struct{ name, auth string }
	byKey := map[key]*group{}
	var groups []*group
	for _, rw := range rows {
		k := key{rw.name, rw.auth}
		g := byKey[k]
		if g == nil {
			g = &group{}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, rw)
		if rw.subName == "" {
			if g.own != nil {
				ps.Add(rw.line, ColName, "duplicate row: %s is already on line %d", describe(rw), g.own.line)
				continue
			}
			g.own = rw
			continue
		}
		// Same 子项名称 with another code is not a duplicate: the portal
		// lists some sub-items twice, under an old and a new code (Guang'an
		// lines 347 and 348), and each code stands for a distinct entry.
		if i := slices.IndexFunc(g.subs, func(s *row) bool {
			return s.subName == rw.subName && subCodeOf(s, h) == subCodeOf(rw, h)
		}); i >= 0 {
			ps.Add(rw.line, ColSubName, "duplicate row: %s %q of this item is already on line %d",
				ColSubName, rw.subName, g.subs[i].line)
			continue
		}
		g.subs = append(g.subs, rw)
	}
	return groups
}

// subCodeOf returns a sub-item row's code: its 子项编码 when the sheet has
// that column (事项编码 then being the item's), else its 事项编码.
func subCodeOf(rw *row, h *header) string {
	if h.has(fSubCode) {
		return rw.subCode
	}
	return rw.code
}

// describe names a row's item for messages.
func describe(rw *row) string {
	if rw.auth == "" {
		return fmt.Sprintf("%s %q", ColName, rw.name)
	}
	return fmt.Sprintf("%s %q of %s %q", ColName, rw.name, ColAuthority, rw.auth)
}

// agree returns the one non-empty value the rows give for a cell, reporting
// rows that give another.
func agree(g *group, column string, get func(*row) string, ps *problems) (string, int) {
	val, at := "", 0
	for _, rw := range g.rows {
		v := get(rw)
		switch {
		case v == "":
		case val == "":
			val, at = v, rw.line
		case v != val:
			ps.Add(rw.line, column, "%s differs from line %d, which belongs to the same item", column, at)
		}
	}
	return val, at
}

func buildItems(rows []*row, h *header, opts Options, ps *problems) []Item {
	groups := groupRows(rows, h, ps)
	subCodeCol := ColCode
	if h.has(fSubCode) {
		subCodeCol = ColSubCode
	}
	basisCol := ColBasis
	if !h.has(fBasis) {
		basisCol = ColSetBasis
		if !h.has(fSetBasis) {
			basisCol = ColImplBasis
		}
	}

	items := make([]Item, len(groups))
	for i, g := range groups {
		first := g.rows[0]
		it := Item{Line: first.line, Name: first.name, Authority: first.auth}
		it.Department, _ = agree(g, ColDept, func(r *row) string { return r.dept }, ps)
		it.LegalBasis, _ = agree(g, basisCol, func(r *row) string { return r.basis }, ps)
		it.Level, _ = agree(g, h.name[fLevel], func(r *row) string { return r.level }, ps)
		it.Note, _ = agree(g, ColNote, func(r *row) string { return r.note }, ps)
		switch {
		case h.has(fSubCode): // 事项编码 is the item's, shared by its rows
			it.Code, g.codeAt = agree(g, ColCode, func(r *row) string { return r.code }, ps)
		case g.own != nil:
			it.Code, g.codeAt = g.own.code, g.own.line
		}
		for _, s := range g.subs {
			it.SubItems = append(it.SubItems, SubItem{Line: s.line, Code: subCodeOf(s, h), Name: s.subName})
		}
		g.needs = it.Code == ""
		items[i] = it
	}

	deriveCodes(items, groups)
	if opts.CodePrefix != "" {
		makeCodes(items, groups, opts.CodePrefix, ps)
	}
	checkUnique(items, groups, subCodeCol, ps)
	return items
}

// deriveCodes gives items without a code one derived from their sub-item
// codes; see ParseWith for the rule and why.
func deriveCodes(items []Item, groups []*group) {
	given := map[string]bool{}
	for i, it := range items {
		if !groups[i].needs {
			given[it.Code] = true
		}
		for _, s := range it.SubItems {
			if s.Code != "" {
				given[s.Code] = true
			}
		}
	}
	prefix := make([]string, len(items))
	uses := map[string]int{}
	for i, it := range items {
		codes := subCodes(it)
		if !groups[i].needs || len(codes) == 0 {
			continue
		}
		p := strings.TrimRight(commonPrefix(codes), "-_./")
		if utf8.RuneCountInString(p) >= MinDerivedCodeLen && !given[p] {
			prefix[i] = p
			uses[p]++
		}
	}
	for i := range items {
		codes := subCodes(items[i])
		if !groups[i].needs || len(codes) == 0 {
			continue
		}
		if p := prefix[i]; p != "" && uses[p] == 1 {
			items[i].Code = p
		} else {
			items[i].Code = slices.Min(codes) + "-00"
		}
	}
}

func subCodes(it Item) []string {
	var codes []string
	for _, s := range it.SubItems {
		if s.Code != "" {
			codes = append(codes, s.Code)
		}
	}
	return codes
}

// commonPrefix returns the longest common prefix of ss, whole runes only.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		n := 0
		for n < len(p) && n < len(s) && p[n] == s[n] {
			n++
		}
		p = p[:n]
	}
	for len(p) > 0 && !utf8.ValidString(p) { // cut inside a rune: back off
		p = p[:len(p)-1]
	}
	return p
}

// makeCodes fills the codes still missing from CodePrefix and 序号.
func makeCodes(items []Item, groups []*group, prefix string, ps *problems) {
	for i := range items {
		it := &items[i]
		if it.Code == "" {
			seq := ""
			for _, rw := range groups[i].rows {
				if rw.seq != "" {
					seq = rw.seq
					break
				}
			}
			n, err := strconv.Atoi(seq)
			switch {
			case seq == "":
				ps.Add(it.Line, ColSeq, "the item has no %s and no %s to make a code from", ColCode, ColSeq)
				continue
			case err != nil || n <= 0:
				ps.Add(it.Line, ColSeq, "%s %q is not a positive whole number, so no code can be made from it", ColSeq, seq)
				continue
			}
			it.Code = fmt.Sprintf("%s%04d", prefix, n)
		}
		for j := range it.SubItems {
			if it.SubItems[j].Code == "" {
				it.SubItems[j].Code = fmt.Sprintf("%s-%02d", it.Code, j+1)
			}
		}
	}
}

// checkUnique reports codes used twice among all items and sub-items: the
// catalogue reserves item codes, and delegations name sub-items by code, so
// one code must mean one thing.
func checkUnique(items []Item, groups []*group, subCodeCol string, ps *problems) {
	type use struct {
		code, what string
		line       int
	}
	var uses []use
	for i, it := range items {
		if it.Code != "" {
			what, line := ColCode, groups[i].codeAt
			if groups[i].needs {
				what, line = "item code made by itemsheet", it.Line
			}
			uses = append(uses, use{it.Code, what, line})
		}
		for _, s := range it.SubItems {
			if s.Code != "" {
				uses = append(uses, use{s.Code, subCodeCol, s.Line})
			}
		}
	}
	slices.SortStableFunc(uses, func(a, b use) int { return a.line - b.line })
	first := map[string]use{}
	for _, u := range uses {
		f, dup := first[u.code]
		if !dup {
			first[u.code] = u
			continue
		}
		col := u.what
		if col != ColCode && col != ColSubCode {
			col = ColCode
		}
		ps.Add(u.line, col, "duplicate code %s: %s here, %s on line %d", u.code, u.what, f.what, f.line)
	}
}
