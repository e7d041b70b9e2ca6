package main

import (
	"context"
	"fmt"
	"io"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// revocationsCmd imports a revocation list (取消事项目录) as one batch
// under one 文号: every item it names is revoked on --effective, or none.
func revocationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d := newDocFlags("revocations import", "usage: catalogue revocations import FILE --basis 文号 --effective YYYY-MM-DD [flags]", "revocation a row gives no 取消理由 for", stderr)
	rows, opts, err := readDoc(d, args, delegationsheet.ReadRevocations)
	if err != nil {
		return err
	}
	return withData(*d.data, func(events eventstore.Store, l *ledger.Ledger) error {
		// The day before: an item this list revoked on a first run is in
		// force until then, so a re-import finds it recorded, not unknown.
		cat, err := catalogueOn(ctx, events, opts.Effective, opts.Effective.AddDays(-1))
		if err != nil {
			return err
		}
		rep, plan, err := importer.Revocations(ctx, l, rows, cat, opts, progressPrinter(stderr, "revocations"))
		if err != nil {
			return err
		}
		if opts.DryRun {
			fmt.Fprintf(stdout, "plan: %d items revoked under %s from %s\n", len(plan), opts.Basis, opts.Effective)
			for _, it := range plan {
				fmt.Fprintf(stdout, "  %s\n", it)
			}
		}
		return report(stdout, "revocations", rep, opts.DryRun)
	})
}
