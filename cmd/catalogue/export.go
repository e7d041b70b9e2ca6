package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/cmd/internal/export"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph"
	"github.com/catalogue/catalogue/internal/atomicfile"
)

const exportUsage = `usage: catalogue export --out FILE [--format xlsx|csv] [--data DIR]
         (--edition NAME | [--in-force-on YYYY-MM-DD] [--as-of POSITION] [--body CODE])

Writes the items of a published edition, the catalogue in force on a date
(default today, as recorded up to now or up to --as-of), or with --body the
powers that body holds on the date, as XLSX (the published layout) or CSV
(UTF-8 with BOM). The format defaults to the --out file's extension.
It reads a stopped data directory; while serve runs, stop it first.
`

// exportCmd writes a list out of a stopped data directory. The file is
// written under a temporary name beside FILE and renamed when complete, so
// an interrupted export (Ctrl-C) leaves no half file, and an existing FILE
// is replaced only by a whole one.
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("export", stderr, defaultDataDir(), "data directory to read (stopped)")
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); fs.PrintDefaults() }
	format := fs.String("format", "", "xlsx or csv (default: from the extension of --out)")
	out := fs.String("out", "", "the file to write (required)")
	edition := fs.String("edition", "", "the published edition to export, e.g. 2023年版")
	inForceOn := fs.String("in-force-on", "", "the date the catalogue (or the body's powers) is read on, YYYY-MM-DD (default today, Asia/Shanghai)")
	asOf := fs.Uint64("as-of", 0, "the log position read up to: the list as it was known then (default everything recorded)")
	body := fs.String("body", "", "export the powers this body (code) holds on the date")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		fs.Usage()
		return errUsage
	}
	f, err := exportFormat(*format, *out)
	if err != nil {
		return err
	}
	req, err := exportRequest(fs, *edition, *inForceOn, *asOf, *body)
	if err != nil {
		return err
	}
	return withReadModel(ctx, *data, stderr, func(r app.Reader) error {
		sum, err := writeAtomically(*out, func(w io.Writer) (export.Summary, error) {
			return export.Write(ctx, r.Views(), req, f, w, stepPrinter(stderr))
		})
		switch {
		case errors.Is(err, context.Canceled):
			return fmt.Errorf("export interrupted; %s was not written", *out)
		case err != nil:
			return err
		}
		_, err = fmt.Fprintf(stdout, "wrote %s: %s, %d records in %d rows (%s, read at log position %d)\n",
			*out, sum.Title, sum.Records, sum.Rows, f, sum.AsOf)
		return err
	})
}

// exportFormat takes --format, or the extension of the output file.
func exportFormat(format, out string) (export.Format, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
		if format != string(export.XLSX) && format != string(export.CSV) {
			return "", fmt.Errorf("--out %s: give --format xlsx or csv (the file's extension names neither)", out)
		}
	}
	return export.ParseFormat(format)
}

// exportRequest checks the flags that choose what to export: an edition
// fixes its own date and position, so it takes neither.
func exportRequest(fs *flag.FlagSet, edition, inForceOn string, asOf uint64, body string) (export.Request, error) {
	req := export.Request{Edition: edition, Body: body, AsOf: eventstore.Position(asOf)}
	if edition != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "in-force-on" || f.Name == "as-of" || f.Name == "body" {
				clash = append(clash, "--"+f.Name)
			}
		})
		if len(clash) > 0 {
			return req, fmt.Errorf("--edition fixes its own date and position; leave out %s", strings.Join(clash, ", "))
		}
		return req, nil
	}
	if inForceOn == "" {
		req.InForceOn = domain.DateOf(time.Now().In(graph.Zone))
		return req, nil
	}
	d, err := domain.ParseDate(inForceOn)
	if err != nil {
		return req, fmt.Errorf("--in-force-on: %w", err)
	}
	req.InForceOn = d
	return req, nil
}

// withReadModel opens a stopped data directory, rebuilds its read models in
// memory from the log and runs f on them. A directory that holds no log is
// refused rather than created: there would be nothing to export.
func withReadModel(ctx context.Context, dataDir string, stderr io.Writer, f func(app.Reader) error) error {
	if _, err := os.Stat(filepath.Join(dataDir, "events.db")); err != nil {
		return fmt.Errorf("no catalogue in %s (no events.db): %w", dataDir, err)
	}
	dd, err := app.OpenDataDir(dataDir)
	if errors.Is(err, app.ErrInUse) {
		return fmt.Errorf("export reads a stopped data directory, and %w", err)
	}
	if err != nil {
		return err
	}
	defer dd.Close()
	rm, err := app.OpenReadModel(ctx, "", dd.Events, false)
	if err != nil {
		return err
	}
	defer rm.Close()
	fmt.Fprintln(stderr, "reading the log…")
	if err := rm.CatchUp(ctx, stderr); err != nil {
		return err
	}
	return f(rm.Read)
}

// writeAtomically writes the export to path whole or not at all
// (atomicfile): an interrupted export leaves the old file, or none.
func writeAtomically(path string, write func(io.Writer) (export.Summary, error)) (export.Summary, error) {
	var sum export.Summary
	err := atomicfile.Write(path, 0o644, func(w io.Writer) (err error) { // a published list, not the data directory's private state
		sum, err = write(w)
		return err
	})
	if err != nil {
		return export.Summary{}, err
	}
	return sum, nil
}
