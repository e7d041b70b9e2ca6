package divisions

import "github.com/catalogue/catalogue/cmd/internal/sheet"

// Problem is one thing wrong with the file; SheetError lists them all.
// They are the shared sheet types, so a command reports item sheets and
// division lists the same way.
type (
	Problem    = sheet.Problem
	SheetError = sheet.Error
	problems   = sheet.Problems
)
