package itemsheet

import (
	"fmt"
	"strings"
	"unicode"
)

// Column names as they appear in published lists. Problems name columns by
// these, since that is what the person fixing the sheet sees.
const (
	ColSeq       = "序号"
	ColCode      = "事项编码"
	ColName      = "事项名称"
	ColSubName   = "子项名称"
	ColSubCode   = "子项编码"
	ColDept      = "主管部门"
	ColAuthority = "实施机关"
	ColBasis     = "设定和实施依据"
	ColSetBasis  = "设定依据"
	ColImplBasis = "实施依据"
	ColLevel     = "审批层级"
	ColLevelAlt  = "行使层级" // the same field under the name some provinces use
	ColNote      = "备注"
)

// field is what a recognised column feeds.
type field int

const (
	fSeq field = iota
	fCode
	fName
	fSubName
	fSubCode
	fDept
	fAuthority
	fBasis
	fSetBasis
	fImplBasis
	fLevel
	fNote
	numFields
)

var fieldOf = map[string]field{
	ColSeq:       fSeq,
	ColCode:      fCode,
	ColName:      fName,
	ColSubName:   fSubName,
	ColSubCode:   fSubCode,
	ColDept:      fDept,
	ColAuthority: fAuthority,
	ColBasis:     fBasis,
	ColSetBasis:  fSetBasis,
	ColImplBasis: fImplBasis,
	ColLevel:     fLevel,
	ColLevelAlt:  fLevel,
	ColNote:      fNote,
}

// Columns lists the column names Read knows, in the order of the
// official layout, for the message that refuses a file without a header.
func Columns() []string {
	return []string{ColSeq, ColCode, ColName, ColSubName, ColSubCode, ColDept, ColAuthority,
		ColBasis, ColSetBasis, ColImplBasis, ColLevel, ColLevelAlt, ColNote}
}

func knownColumns() string { return strings.Join(Columns(), ", ") }

// known counts the cells of a row that name a known column.
func known(cells []string) int {
	n := 0
	for _, c := range cells {
		if _, ok := fieldOf[normHeader(c)]; ok {
			n++
		}
	}
	return n
}

// header maps each recognised field to its 0-based column, -1 if absent.
type header struct {
	line  int // where the header is
	width int
	col   [numFields]int
	name  [numFields]string // the header text as found, for messages
}

func (h *header) has(f field) bool { return h.col[f] >= 0 }

// fields is the set of fields the header names, comparable between sheets.
func (h *header) fields() (set [numFields]bool) {
	for f := range set {
		set[f] = h.has(field(f))
	}
	return set
}

// describe lists the columns the header names, for messages.
func (h *header) describe() string {
	var names []string
	for f := range numFields {
		if h.has(f) {
			names = append(names, h.name[f])
		}
	}
	return strings.Join(names, ", ")
}

// normHeader reduces a header cell to its bare name. Spreadsheets wrap long
// headers ("设定和实施\n依据"), pad them, and Excel puts a BOM in the first
// cell; none of that is part of the name, so all whitespace and U+FEFF go.
func normHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\uFEFF' {
			return -1
		}
		return r
	}, s)
}

// parseHeader recognises columns by name, in any order; unknown columns
// (中央清单序号, 来源, …) are ignored so that a list can carry extra
// information without being refused. A recognised column given twice is a
// problem: we could not know which one holds the truth.
func parseHeader(rec []string, sheet string, line int, ps *problems) (*header, bool) {
	h := &header{line: line, width: len(rec)}
	for i := range h.col {
		h.col[i] = -1
	}
	ok := true
	for i, cell := range rec {
		name := normHeader(cell)
		f, known := fieldOf[name]
		if !known {
			continue
		}
		if prev := h.col[f]; prev >= 0 {
			ps.AddIn(sheet, line, name, "columns %d (%s) and %d (%s) are the same column", prev+1, h.name[f], i+1, name)
			ok = false
			continue
		}
		h.col[f], h.name[f] = i, name
	}
	if !h.has(fName) {
		ps.AddIn(sheet, line, ColName, "the header has no %s column (the columns known are %s)", ColName, knownColumns())
		ok = false
	}
	if !h.has(fAuthority) && !h.has(fDept) {
		ps.AddIn(sheet, line, ColAuthority, "the header has neither a %s nor a %s column (the columns known are %s)", ColAuthority, ColDept, knownColumns())
		ok = false
	}
	return h, ok
}

// get returns the trimmed cell of field f, or "" when the column is absent.
// Only surrounding whitespace goes: the text inside, Chinese punctuation
// included, is the legal wording and is kept byte for byte.
func (h *header) get(rec []string, f field) string {
	if c := h.col[f]; c >= 0 && c < len(rec) {
		return strings.TrimSpace(rec[c])
	}
	return ""
}

// whoColumns names the authority/department columns the sheet has, for the
// "both empty" problem.
func (h *header) whoColumns() (column, message string) {
	switch {
	case h.has(fAuthority) && h.has(fDept):
		return ColAuthority, fmt.Sprintf("%s and %s are both empty", ColAuthority, ColDept)
	case h.has(fAuthority):
		return ColAuthority, ColAuthority + " is empty"
	default:
		return ColDept, ColDept + " is empty"
	}
}
