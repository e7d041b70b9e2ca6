// Package importer records spreadsheets of items and lists of bodies in the
// ledger. Every row is checked before anything is written, so a bad file is
// refused whole; command ids derive from the file's content, so importing
// the same file again — or again after an interruption — records nothing
// twice and completes what was left.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

// Options are what every imported change carries.
type Options struct {
	Basis     string      // 文号 deciding the import
	Reason    string      // defaults to a sentence naming the file
	Effective domain.Date // 施行日期
	Actor     string      // who runs the import
	// DefaultLevel is used when a row has no 审批层级 column or the text is
	// not a known level.
	DefaultLevel domain.Level
	// DryRun checks everything and records nothing.
	DryRun bool
}

// Progress is told after each recorded entry: done of total.
type Progress func(done, total int)

// Report says what an import did.
type Report struct {
	Total    int // entries in the file
	Recorded int // newly recorded
	Already  int // recorded by an earlier run of the same import
}

// RowError is a refused entry with where in the file it came from.
type RowError struct {
	Sheet string // the worksheet, in a workbook
	Line  int
	Code  string
	Err   error
}

// FileError lists every refused entry of a file; nothing was recorded.
type FileError struct{ Rows []RowError }

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d entr%s refused; nothing was recorded:", len(e.Rows), plural(len(e.Rows), "y", "ies"))
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\n  %s (%s): %v", sheet.At(r.Sheet, r.Line), r.Code, r.Err)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (o Options) change(what string) domain.Change {
	reason := o.Reason
	if reason == "" {
		reason = what
	}
	return domain.Change{Basis: o.Basis, Reason: reason, EffectiveFrom: o.Effective}
}

// commandID derives an entry's command id from the import's basis and the
// entry's content: the same entry of the same import is the same command,
// while an entry whose content changed is a new command (and is refused if
// its code is taken).
func commandID(kind string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return kind + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// alreadyImported reads a listing's check: an entry's command id derives
// from its content, so an id the ledger holds for another command is this
// entry recorded by another run of the import — by another user, or with
// another reason — and is there already.
func alreadyImported(err error) (bool, error) {
	if domain.ErrorCode(err) == domain.CodeCommandIDReused {
		return true, nil
	}
	return false, err
}

// entry is one command of an import, with where it came from.
type entry struct {
	sheet string
	line  int
	code  string
	req   ledger.Request
	// check tells whether run would succeed, or whether the entry is
	// already in the ledger as it is (recorded by another import): then
	// run is skipped.
	check func(ctx context.Context) (already bool, err error)
	run   func(ctx context.Context) (ledger.Result, error)
}

// Items imports the items of a sheet.
func Items(ctx context.Context, l *ledger.Ledger, items []itemsheet.Item, o Options, progress Progress) (Report, error) {
	entries := make([]entry, 0, len(items))
	for _, it := range items {
		c := Listing(it, o.DefaultLevel, o.change("按清单文件导入事项"))
		parts := []string{o.Basis, o.Effective.String(), c.Code, c.Name, c.Department, c.Authority, c.LegalBasis, string(c.Level)}
		for _, si := range c.SubItems {
			parts = append(parts, si.Code, si.Name)
		}
		req := ledger.Request{CommandID: commandID("import-item", parts...), By: domain.Actor{Name: o.Actor, Role: domain.RoleLegalOfficer}}
		entries = append(entries, entry{sheet: it.Sheet, line: it.Line, code: it.Code, req: req,
			check: func(ctx context.Context) (bool, error) { return alreadyImported(l.CheckListItem(ctx, req, c)) },
			run:   func(ctx context.Context) (ledger.Result, error) { return l.ListItem(ctx, req, c) },
		})
	}
	return run(ctx, entries, o.DryRun, progress)
}

// Listing turns a sheet's item into a listing command. A level the sheet
// does not give (or gives in words no level matches) is defaultLevel. An
// empty 主管部门 stays empty: the implementing authority is often not the
// competent department (a 行政审批局 grants what 市场监管局 is competent
// for), so copying one into the other would record a fact no document
// states; itemsheet warns of it instead.
func Listing(it itemsheet.Item, defaultLevel domain.Level, ch domain.Change) domain.ListItem {
	level, ok := domain.ParseLevel(it.Level)
	if !ok {
		level = defaultLevel
	}
	subs := make([]domain.SubItem, len(it.SubItems))
	for i, si := range it.SubItems {
		subs[i] = domain.SubItem{Code: si.Code, Name: si.Name}
	}
	return domain.ListItem{ItemFacts: domain.ItemFacts{Code: it.Code, Name: it.Name, Department: it.Department,
		Authority: it.Authority, LegalBasis: it.LegalBasis, Level: level, SubItems: subs}, Change: ch}
}

// run checks every entry, then records them in order. Entries that depend
// on earlier ones of the same file (a body under a body being imported) are
// checked by the caller's check function with that in mind.
func run(ctx context.Context, entries []entry, dryRun bool, progress Progress) (Report, error) {
	rep := Report{Total: len(entries)}
	var refused []RowError
	already := make([]bool, len(entries))
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var err error
		if already[i], err = e.check(ctx); err != nil {
			if domain.ErrorCode(err) == "" {
				return rep, fmt.Errorf("%s: %w", sheet.At(e.sheet, e.line), err)
			}
			refused = append(refused, RowError{Sheet: e.sheet, Line: e.line, Code: e.code, Err: err})
		}
	}
	if len(refused) > 0 {
		return rep, &FileError{Rows: refused}
	}
	if dryRun {
		return rep, nil
	}
	for i, e := range entries {
		// Stop between entries, never inside one: what is recorded is whole,
		// and running the same import again completes the rest.
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("interrupted after %d of %d entries; run the same import again to complete it (nothing is recorded twice): %w", i, len(entries), err)
		}
		if already[i] {
			rep.Already++
			continue
		}
		res, err := e.run(context.WithoutCancel(ctx))
		if err != nil {
			return rep, fmt.Errorf("%s (%s): %w", sheet.At(e.sheet, e.line), e.code, err)
		}
		if res.Replayed {
			rep.Already++
		} else {
			rep.Recorded++
		}
		if progress != nil {
			progress(i+1, len(entries))
		}
	}
	return rep, nil
}

// IsRefusal reports whether err is a refusal of the file's content (as
// opposed to a failure of the machine).
func IsRefusal(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}
