package divisions

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with the file: the shape is that of
// itemsheet.Problem, so that a command can report both the same way.
// Column is the header name ("code", "parent_code"), or "" when the problem
// concerns a whole row or the whole file.
type Problem struct {
	Line    int    // 1-based physical line where the row starts; 0 = the file as a whole
	Column  string // e.g. "parent_code"; "" for a whole row or file
	Message string // self-contained, e.g. "name is empty"
}

func (p Problem) String() string {
	if p.Line <= 0 {
		return p.Message
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
}

// SheetError reports every problem found in the file, not just the first,
// so that one pass of corrections fixes it.
type SheetError struct {
	Problems []Problem // ordered by line
}

func (e *SheetError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "divisions: invalid file"
	case 1:
		return "divisions: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "divisions: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems accumulates Problems while the file is read.
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
