package importer

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

// Body is one body to register, from a list of divisions (parents first).
type Body struct {
	Line   int
	Code   string
	Name   string
	Kind   domain.BodyKind
	Parent string
}

// Bodies registers bodies. Checks run in list order; a body whose parent
// comes earlier in the same list is checked against that parent as it will be once registered, so the
// whole list is checked before anything is recorded.
func Bodies(ctx context.Context, l *ledger.Ledger, bodies []Body, o Options, progress Progress) (Report, error) {
	inFile := map[string]domain.Body{}
	entries := make([]entry, 0, len(bodies))
	for _, b := range bodies {
		req := ledger.Request{CommandID: commandID("import-body", o.Basis, b.Code, b.Name, string(b.Kind), b.Parent), By: domain.Actor{Name: o.Actor, Role: domain.RoleLegalOfficer}}
		ch := o.change("登记实施主体")
		entries = append(entries, entry{line: b.Line, code: b.Code, req: req,
			check: func(ctx context.Context) (bool, error) {
				already, err := checkBody(ctx, l, inFile, b, ch)
				if err == nil {
					inFile[b.Code] = domain.Body{Code: b.Code, Registered: true, Name: b.Name, Kind: b.Kind, Parent: b.Parent}
				}
				return already, err
			},
			run: func(ctx context.Context) (ledger.Result, error) {
				return l.RegisterBody(ctx, req, domain.RegisterBody{Code: b.Code, Name: b.Name, Kind: b.Kind, Parent: b.Parent, Change: ch})
			},
		})
	}
	return run(ctx, entries, o.DryRun, progress)
}

// checkBody decides the registration against the ledger's state, treating
// bodies listed earlier in the file as registered. A body already registered
// as it is (by this or another import) is reported as already there.
func checkBody(ctx context.Context, l *ledger.Ledger, inFile map[string]domain.Body, b Body, ch domain.Change) (bool, error) {
	if _, dup := inFile[b.Code]; dup {
		return false, domain.Errorf(domain.CodeBodyExists, "code", "body %s is listed twice in the file", b.Code)
	}
	cur, err := l.Body(ctx, b.Code)
	if err != nil {
		return false, err
	}
	if cur.Registered && cur.Name == b.Name && cur.Kind == b.Kind && cur.Parent == b.Parent {
		return true, nil
	}
	var parent domain.Body
	if b.Parent != "" {
		if parent, err = l.Body(ctx, b.Parent); err != nil {
			return false, err
		}
		if !parent.Registered {
			if fp, ok := inFile[b.Parent]; ok {
				parent = fp
			}
		}
	}
	_, err = domain.DecideRegisterBody(cur, parent, domain.RegisterBody{Code: b.Code, Name: b.Name, Kind: b.Kind, Parent: b.Parent, Change: ch})
	return false, err
}
