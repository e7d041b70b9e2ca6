// Package sheet holds what every reader of a spreadsheet-like file (item
// sheets, division lists) reports in the same way: the problems found, each
// with its line and column. A sheet is fixed by a person in a spreadsheet
// program, so a reader reports every problem at once, not just the first:
// one round trip per mistake would be a poor way to spend their afternoon.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Problem is one thing wrong with a file. Messages are in English; Column
// is the file's own header name (often Chinese) so that an officer can find
// the cell, or "" when the problem concerns a whole row or the whole file.
type Problem struct {
	// Sheet is the worksheet of a workbook the problem is on; "" in a CSV
	// file, and for a problem of the whole file.
	Sheet   string
	Line    int    // 1-based physical line (CSV) or row (worksheet) where the row starts; 0 = the file or sheet as a whole
	Column  string // e.g. "事项名称"; "" for a whole row or file
	Message string // self-contained, e.g. "事项名称 is empty"
}

func (p Problem) String() string {
	switch {
	case p.Line <= 0 && p.Sheet == "":
		return p.Message
	case p.Line <= 0:
		return fmt.Sprintf("sheet %q: %s", p.Sheet, p.Message)
	}
	return At(p.Sheet, p.Line) + ": " + p.Message
}

// At names a row for messages: "line 5" in a CSV file, `sheet "第二部分"
// row 5` in a workbook, where a row number alone would not say which sheet.
func At(sheet string, line int) string {
	if sheet == "" {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("sheet %q row %d", sheet, line)
}

// Error reports every problem found in a file, in line order.
type Error struct {
	Source   string // what kind of file, e.g. "itemsheet"
	Problems []Problem
}

func (e *Error) Error() string {
	switch len(e.Problems) {
	case 0:
		return e.Source + ": invalid file"
	case 1:
		return e.Source + ": " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", e.Source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// Problems accumulates Problems while a file is read.
type Problems struct {
	Source string
	list   []Problem
	sheets map[string]int // sheet name → its place in the workbook, for ordering
}

// Add records a problem of a CSV file (or of a whole file).
func (ps *Problems) Add(line int, column, format string, args ...any) {
	ps.AddIn("", line, column, format, args...)
}

// AddIn records a problem on a worksheet ("" for a CSV file).
func (ps *Problems) AddIn(sheet string, line int, column, format string, args ...any) {
	ps.list = append(ps.list, Problem{Sheet: sheet, Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// SetSheets gives the workbook's sheets in their order, so that problems
// are listed sheet by sheet as the officer sees them, not by row number
// across sheets.
func (ps *Problems) SetSheets(names []string) {
	ps.sheets = make(map[string]int, len(names))
	for i, n := range names {
		ps.sheets[n] = i + 1 // "" (the whole file) stays 0: first
	}
}

// Len is the number of problems so far.
func (ps *Problems) Len() int { return len(ps.list) }

// Err returns nil when nothing was found, else an *Error with the problems
// in order (see sorted).
func (ps *Problems) Err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &Error{Source: ps.Source, Problems: ps.sorted()}
}

// sorted returns the problems so far in sheet order, then line order
// (stable, so problems of one line keep the order in which they were found).
func (ps *Problems) sorted() []Problem {
	out := slices.Clone(ps.list)
	slices.SortStableFunc(out, func(a, b Problem) int {
		if d := ps.sheets[a.Sheet] - ps.sheets[b.Sheet]; d != 0 {
			return d
		}
		return a.Line - b.Line
	})
	return out
}

// AddCSVProblem records a CSV syntax error (a stray quote) as a problem of
// its line and reports whether err was one; encoding/csv resumes at the next
// line, so the rest of the file is still checked.
func (ps *Problems) AddCSVProblem(err error) bool {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return false
	}
	ps.Add(pe.StartLine, "", "malformed CSV: %v", pe.Err)
	return true
}

// IsBlank reports whether a record has nothing but white space (an empty
// spreadsheet row).
func IsBlank(rec []string) bool {
	return !slices.ContainsFunc(rec, func(c string) bool { return strings.TrimSpace(c) != "" })
}

// ReadHeader starts reading CSV text: it returns a reader positioned after
// the header row, and that row. A file that is empty or whose header row is
// malformed is recorded as a problem and returned as ps.Err(); any other
// read error is returned wrapped. The reader accepts rows of any length:
// callers check the count themselves, to report every bad row.
func (ps *Problems) ReadHeader(text []byte) (*csv.Reader, []string, error) {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		ps.Add(0, "", "the file is empty; a header row is expected")
		return nil, nil, ps.Err()
	case err != nil:
		if !ps.AddCSVProblem(err) {
			return nil, nil, fmt.Errorf("%s: %w", ps.Source, err)
		}
		return nil, nil, ps.Err()
	}
	return cr, rec, nil
}
