package itemsheet

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a sheet. Messages are in English; Column
// is the sheet's own (Chinese) header name so that an officer can find the
// cell, or "" when the problem concerns a whole row or the whole file.
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

// SheetError reports every problem found in a sheet, not just the first:
// a sheet is fixed by a person in a spreadsheet program, and one round trip
// per mistake would be a poor way to spend their afternoon.
type SheetError struct {
	Problems []Problem // ordered by line
}

func (e *SheetError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "itemsheet: invalid sheet"
	case 1:
		return "itemsheet: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "itemsheet: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems accumulates Problems while a sheet is read.
type problems []Problem

func (ps *problems) add(line int, column, format string, args ...any) {
	*ps = append(*ps, Problem{Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, else a *SheetError with the
// problems in line order (stable, so problems of one line keep the order in
// which they were found).
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	out := slices.Clone([]Problem(ps))
	slices.SortStableFunc(out, func(a, b Problem) int { return a.Line - b.Line })
	return &SheetError{Problems: out}
}
