package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

// Group names a delegation document may use instead of a body.
const (
	GroupDistricts = "各区市"  // every district-level body under the jurisdiction
	GroupZones     = "各功能区" // every functional zone under the jurisdiction
	TownsSuffix    = "所辖镇街" // "<district>所辖镇街": every township of that district
)

// ItemRef and BodyRef are what rows are resolved against.
type (
	ItemRef struct{ ID, Code, Name string }
	BodyRef struct {
		Code, Name string
		Kind       domain.BodyKind
		Parent     string
	}
)

// Catalogue is the items a document may delegate (those in force on its
// date), the registered bodies, and the government whose 各区市 and 各功能区
// a document means ("" = none given: groups other than 所辖镇街 are refused).
type Catalogue struct {
	Items        []ItemRef
	Bodies       []BodyRef
	Jurisdiction string
}

// PlanLine counts a batch's delegations to one body.
type PlanLine struct {
	Body, Name string
	N          int
}

// Delegations imports a delegation document: every row is resolved (item
// by code, else by a name only one item has; each body by code or name, or
// a group expanded to its bodies) and every resulting delegation checked as
// if the earlier ones were recorded, before anything is recorded; then they
// are recorded in file order. It also returns the plan, by body.
func Delegations(ctx context.Context, l *ledger.Ledger, rows []delegationsheet.Row, cat Catalogue, o Options, progress Progress) (Report, []PlanLine, error) {
	idx := newIndex(cat)
	var entries []entry
	var batch []ledger.PlannedDelegation
	var at []int // batch index → entry index
	var plan []PlanLine
	planAt := map[string]int{}
	for _, r := range rows {
		item, bodies, err := idx.resolve(r)
		label := itemLabel(r.ItemCode, r.ItemName)
		if err != nil {
			entries = append(entries, refusedEntry(r.Sheet, r.Line, label, err))
			continue
		}
		for _, b := range bodies {
			parts := append([]string{o.Basis, o.Effective.String(), item.ID, b.Code, string(r.Mode), r.Until.String()}, r.Scope...)
			req := ledger.Request{CommandID: commandID("import-delegation", parts...), By: domain.Actor{Name: o.Actor, Role: domain.RoleLegalOfficer}}
			c := domain.DelegateItem{To: domain.BodyRef{Code: b.Code}, Mode: r.Mode, Scope: r.Scope, EffectiveUntil: r.Until, Change: o.change("按文件批量下放、委托或赋权事项")}
			at = append(at, len(entries))
			batch = append(batch, ledger.PlannedDelegation{Req: req, ItemID: item.ID, Command: c})
			itemID := item.ID
			entries = append(entries, entry{sheet: r.Sheet, line: r.Line, code: label + " → " + b.Code, req: req,
				run: func(ctx context.Context) (ledger.Result, error) { return l.DelegateItem(ctx, req, itemID, c) }})
			if i, ok := planAt[b.Code]; ok {
				plan[i].N++
			} else {
				planAt[b.Code] = len(plan)
				plan = append(plan, PlanLine{Body: b.Code, Name: b.Name, N: 1})
			}
		}
	}
	checks, err := l.CheckDelegations(ctx, batch)
	rep, err := runChecked(ctx, entries, at, checks, err, o.DryRun, progress)
	return rep, plan, err
}

// runChecked records the entries of a document whose batch check gave
// checks (checks[i] is the verdict on entries[at[i]]), or returns the
// check's error.
func runChecked(ctx context.Context, entries []entry, at []int, checks []ledger.Check, checkErr error, dryRun bool, progress Progress) (Report, error) {
	if checkErr != nil {
		return Report{}, checkErr
	}
	for i, c := range checks {
		entries[at[i]].check = verdict(c)
	}
	return run(ctx, entries, dryRun, progress)
}

// verdict is an entry's check as a batch check decided it: already there
// when the same command is recorded, or recorded by another run of the
// same import (alreadyImported), else its refusal or nil.
func verdict(c ledger.Check) func(context.Context) (bool, error) {
	return func(context.Context) (bool, error) {
		if c.Already {
			return true, nil
		}
		return alreadyImported(c.Err)
	}
}

// refusedEntry is an entry refused before the batch check, for the error err.
func refusedEntry(sheet string, line int, label string, err error) entry {
	return entry{sheet: sheet, line: line, code: label, check: func(context.Context) (bool, error) { return false, err }}
}

// itemLabel is how a report names the item a row gives: its code, else
// its name.
func itemLabel(code, name string) string {
	if code != "" {
		return code
	}
	return name
}

// index finds items and bodies by what a document calls them.
type index struct {
	cat      Catalogue
	itemCode map[string]ItemRef
	itemName map[string][]ItemRef
	body     map[string]BodyRef   // by code
	bodyName map[string][]BodyRef // by name
}

func newIndex(cat Catalogue) *index {
	x := &index{cat: cat, itemCode: map[string]ItemRef{}, itemName: map[string][]ItemRef{}, body: map[string]BodyRef{}, bodyName: map[string][]BodyRef{}}
	for _, it := range cat.Items {
		x.itemCode[it.Code] = it
		x.itemName[it.Name] = append(x.itemName[it.Name], it)
	}
	for _, b := range cat.Bodies {
		x.body[b.Code] = b
		x.bodyName[b.Name] = append(x.bodyName[b.Name], b)
	}
	return x
}

func (x *index) resolve(r delegationsheet.Row) (ItemRef, []BodyRef, error) {
	it, err := x.item(r.ItemCode, r.ItemName)
	if err != nil {
		return ItemRef{}, nil, err
	}
	// A cell may name several bodies and groups (黄岛区、胶州市); a body
	// named twice (各区市、黄岛区) receives once.
	var out []BodyRef
	seen := map[string]bool{}
	for _, name := range delegationsheet.SplitList(r.Body) {
		bodies, err := x.bodies(name)
		if err != nil {
			return ItemRef{}, nil, err
		}
		for _, b := range bodies {
			if !seen[b.Code] {
				seen[b.Code] = true
				out = append(out, b)
			}
		}
	}
	return it, out, nil
}

// item finds the item a row names: by its code, else by a name only one
// item in force has.
func (x *index) item(code, name string) (ItemRef, error) {
	if code != "" {
		it, ok := x.itemCode[code]
		if !ok {
			return ItemRef{}, domain.Errorf(domain.CodeItemNotFound, delegationsheet.ColCode, "no item %s is in force on the document's date", code)
		}
		return it, nil
	}
	switch its := x.itemName[name]; len(its) {
	case 0:
		return ItemRef{}, domain.Errorf(domain.CodeItemNotFound, delegationsheet.ColName, "no item named %s is in force on the document's date", name)
	case 1:
		return its[0], nil
	default:
		codes := make([]string, len(its))
		for i, it := range its {
			codes[i] = it.Code
		}
		return ItemRef{}, domain.Errorf(domain.CodeInvalid, delegationsheet.ColName, "%d items are named %s (%s); give the %s", len(its), name, strings.Join(codes, ", "), delegationsheet.ColCode)
	}
}

// bodies resolves a 承接主体 cell: a body's code or name, or a group.
func (x *index) bodies(s string) ([]BodyRef, error) {
	switch {
	case s == GroupDistricts || s == GroupZones:
		if x.cat.Jurisdiction == "" {
			return nil, domain.Errorf(domain.CodeInvalid, delegationsheet.ColBody, "%s means the bodies under the catalogue's government; give it (--jurisdiction CODE)", s)
		}
		kind := domain.KindDistrict
		if s == GroupZones {
			kind = domain.KindZone
		}
		return x.group(s, kind, x.underJurisdiction)
	case strings.HasSuffix(s, TownsSuffix):
		d, err := x.one(strings.TrimSuffix(s, TownsSuffix))
		if err != nil {
			return nil, err
		}
		return x.group(s, domain.KindTownship, func(b BodyRef) bool { return b.Parent == d.Code })
	}
	b, err := x.one(s)
	return []BodyRef{b}, err
}

func (x *index) one(s string) (BodyRef, error) {
	if b, ok := x.body[s]; ok {
		return b, nil
	}
	switch bs := x.bodyName[s]; len(bs) {
	case 0:
		return BodyRef{}, domain.Errorf(domain.CodeBodyNotFound, delegationsheet.ColBody,
			"%s is neither the code or name of a body registered on the document's date nor a group (%s, %s, <区>%s)", s, GroupDistricts, GroupZones, TownsSuffix)
	case 1:
		return bs[0], nil
	default:
		return BodyRef{}, domain.Errorf(domain.CodeInvalid, delegationsheet.ColBody, "%d bodies are named %s; give the body's code", len(bs), s)
	}
}

// group returns the bodies of kind that in admits, in code order; a group
// with no body is refused rather than read as nothing to delegate.
func (x *index) group(name string, kind domain.BodyKind, in func(BodyRef) bool) ([]BodyRef, error) {
	var out []BodyRef
	for _, b := range x.cat.Bodies {
		if b.Kind == kind && in(b) {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, domain.Errorf(domain.CodeBodyNotFound, delegationsheet.ColBody, "group %s holds no body registered on the document's date", name)
	}
	slices.SortFunc(out, func(a, b BodyRef) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// underJurisdiction reports whether b sits (at any depth) under the
// catalogue's government.
func (x *index) underJurisdiction(b BodyRef) bool {
	for p, n := b.Parent, 0; p != "" && n < 16; n++ {
		if p == x.cat.Jurisdiction {
			return true
		}
		p = x.body[p].Parent
	}
	return false
}

// String is the plan line as the dry run prints it.
func (p PlanLine) String() string { return fmt.Sprintf("%s %s: %d", p.Body, p.Name, p.N) }
