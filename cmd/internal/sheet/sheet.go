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
	Line    int    // 1-based physical line where the row starts; 0 = the file as a whole
	Column  string // e.g. "事项名称"; "" for a whole row or file
	Message string // self-contained, e.g. "事项名称 is empty"
}

func (p Problem) String() string {
	if p.Line <= 0 {
		return p.Message
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
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
}

// Add records a problem.
func (ps *Problems) Add(line int, column, format string, args ...any) {
	ps.list = append(ps.list, Problem{Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// Len is the number of problems so far.
func (ps *Problems) Len() int { return len(ps.list) }

// Err returns nil when nothing was found, else an *Error with the problems
// in line order (stable, so problems of one line keep the order in which
// they were found).
func (ps *Problems) Err() error {
	if len(ps.list) == 0 {
		return nil
	}
	out := slices.Clone(ps.list)
	slices.SortStableFunc(out, func(a, b Problem) int { return a.Line - b.Line })
	return &Error{Source: ps.Source, Problems: out}
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
