package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
)

// delegationsCmd imports a delegation document (下放/委托/赋权事项目录) as
// one batch under one 文号.
func delegationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("delegations import", stderr, defaultDataDir(), "data directory")
	basis := fs.String("basis", "", "the delegation document (文号), required")
	effective := fs.String("effective", "", "effective date YYYY-MM-DD, required")
	reason := fs.String("reason", "", "reason recorded with every delegation")
	jurisdiction := fs.String("jurisdiction", "", "body code of the catalogue's government: 各区市 and 各功能区 are the bodies under it, and delegations go only beneath it")
	dry := fs.Bool("dry-run", false, "check the whole file and print the plan, record nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: catalogue delegations import FILE --basis 文号 --effective YYYY-MM-DD [flags]")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *basis == "" || *effective == "" {
		fs.Usage()
		return errUsage
	}
	opts, err := importOptions(*basis, *effective, *reason, *dry)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := delegationsheet.Read(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintf(stderr, "%s: %d rows, checking…\n", pos[0], len(rows))
	var lopts []ledger.Option
	if *jurisdiction != "" {
		lopts = append(lopts, ledger.WithJurisdiction(*jurisdiction))
	}
	return withData(*data, func(events eventstore.Store, l *ledger.Ledger) error {
		cat, err := catalogueOn(ctx, events, opts.Effective)
		if err != nil {
			return err
		}
		cat.Jurisdiction = *jurisdiction
		rep, plan, err := importer.Delegations(ctx, l, rows, cat, opts, progressPrinter(stderr, "delegations"))
		if err != nil {
			return err
		}
		if *dry {
			fmt.Fprintf(stdout, "plan: %d delegations to %d bodies under %s\n", rep.Total, len(plan), *basis)
			for _, p := range plan {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
		}
		return report(stdout, "delegations", rep, *dry)
	}, lopts...)
}

// catalogueOn reads the log into an in-memory read model and returns what
// a delegation document is resolved against: the items in force on date
// and every registered body.
func catalogueOn(ctx context.Context, events eventstore.Store, date domain.Date) (importer.Catalogue, error) {
	store := memory.New()
	if err := projections.New(events, store).CatchUp(ctx); err != nil {
		return importer.Catalogue{}, fmt.Errorf("reading the log: %w", err)
	}
	v := store.Views()
	axes := projections.Axes{InForceOn: date}
	var cat importer.Catalogue
	for page := (projections.Page{First: projections.MaxPageSize}); ; {
		p, err := v.Catalogue(ctx, projections.CatalogueQuery{Axes: axes, Page: page})
		if err != nil {
			return cat, err
		}
		for _, it := range p.Items {
			cat.Items = append(cat.Items, importer.ItemRef{ID: it.ID, Code: it.Code, Name: it.Name})
		}
		if !p.HasNextPage {
			break
		}
		page.After = p.EndCursor
	}
	for page := (projections.Page{First: projections.MaxPageSize}); ; {
		p, err := v.Bodies(ctx, projections.BodyQuery{Axes: axes, Page: page})
		if err != nil {
			return cat, err
		}
		for _, b := range p.Bodies {
			cat.Bodies = append(cat.Bodies, importer.BodyRef{Code: b.Code, Name: b.Name, Kind: b.Kind, Parent: b.Parent})
		}
		if !p.HasNextPage {
			break
		}
		page.After = p.EndCursor
	}
	return cat, nil
}
