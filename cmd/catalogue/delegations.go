package main

import (
	"context"
	"fmt"
	"io"

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
	d := newDocFlags("delegations import", "usage: catalogue delegations import FILE --basis 文号 --effective YYYY-MM-DD [flags]", "delegation", stderr)
	jurisdiction := d.fs.String("jurisdiction", "", "body code of the catalogue's government: 各区市 and 各功能区 are the bodies under it, and delegations go only beneath it")
	rows, opts, err := readDoc(d, args, delegationsheet.Read)
	if err != nil {
		return err
	}
	var lopts []ledger.Option
	if *jurisdiction != "" {
		lopts = append(lopts, ledger.WithJurisdiction(*jurisdiction))
	}
	return withData(*d.data, func(events eventstore.Store, l *ledger.Ledger) error {
		cat, err := catalogueOn(ctx, events, opts.Effective)
		if err != nil {
			return err
		}
		cat.Jurisdiction = *jurisdiction
		rep, plan, err := importer.Delegations(ctx, l, rows, cat, opts, progressPrinter(stderr, "delegations"))
		if err != nil {
			return err
		}
		if opts.DryRun {
			fmt.Fprintf(stdout, "plan: %d delegations to %d bodies under %s\n", rep.Total, len(plan), opts.Basis)
			for _, p := range plan {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
		}
		return report(stdout, "delegations", rep, opts.DryRun)
	}, lopts...)
}

// catalogueOn reads the log into an in-memory read model and returns what
// a document is resolved against: the items in force on date and every
// registered body. The items in force on an alsoOn date are added when no
// item already there holds their code: a revocation list resolves, when
// run again, the items its first run revoked from its date.
func catalogueOn(ctx context.Context, events eventstore.Store, date domain.Date, alsoOn ...domain.Date) (importer.Catalogue, error) {
	store := memory.New()
	if err := projections.New(events, store).CatchUp(ctx); err != nil {
		return importer.Catalogue{}, fmt.Errorf("reading the log: %w", err)
	}
	v := store.Views()
	var cat importer.Catalogue
	codes := map[string]bool{}
	for _, d := range append([]domain.Date{date}, alsoOn...) {
		err := pages(func(page projections.Page) (bool, string, error) {
			p, err := v.Catalogue(ctx, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: d}, Page: page})
			for _, it := range p.Items {
				if !codes[it.Code] {
					codes[it.Code] = true
					cat.Items = append(cat.Items, importer.ItemRef{ID: it.ID, Code: it.Code, Name: it.Name})
				}
			}
			return p.HasNextPage, p.EndCursor, err
		})
		if err != nil {
			return cat, err
		}
	}
	err := pages(func(page projections.Page) (bool, string, error) {
		p, err := v.Bodies(ctx, projections.BodyQuery{Axes: projections.Axes{InForceOn: date}, Page: page})
		for _, b := range p.Bodies {
			cat.Bodies = append(cat.Bodies, importer.BodyRef{Code: b.Code, Name: b.Name, Kind: b.Kind, Parent: b.Parent})
		}
		return p.HasNextPage, p.EndCursor, err
	})
	return cat, err
}

// pages calls read for each page of a query, from the first, until a page
// says it is the last or read fails.
func pages(read func(projections.Page) (more bool, end string, err error)) error {
	for page := (projections.Page{First: projections.MaxPageSize}); ; {
		more, end, err := read(page)
		if err != nil || !more {
			return err
		}
		page.After = end
	}
}
