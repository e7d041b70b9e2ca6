package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/cmd/internal/demo"
	"github.com/catalogue/catalogue/cmd/internal/divisions"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// parse parses flags that may come before or after positional arguments
// ("import FILE --basis …" as well as "import --basis … FILE").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flags makes a command's flag set, with the --data flag every command
// has (defaulting to def) and errors printed to stderr.
func flags(name string, stderr io.Writer, def, usage string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, fs.String("data", def, usage)
}

func defaultDataDir() string {
	if d := os.Getenv("CATALOGUE_DATA"); d != "" {
		return d
	}
	return "catalogue-data"
}

// cliActor is who the event metadata names for changes made from the
// command line: the operating-system user, since whoever runs the binary
// on the data directory has the file system's trust.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli:unknown"
}

// progressPrinter prints "label 120/250 (48%)" at most a few times a second
// and always at the end, so long imports show they are alive without
// flooding a log.
func progressPrinter(w io.Writer, label string) importer.Progress {
	var last time.Time
	return func(done, total int) {
		if done != total && time.Since(last) < 250*time.Millisecond {
			return
		}
		last = time.Now()
		if total > 0 {
			fmt.Fprintf(w, "%s %d/%d (%d%%)\n", label, done, total, done*100/total)
		} else {
			fmt.Fprintf(w, "%s %d\n", label, done)
		}
	}
}

// stepPrinter is progressPrinter for work in several steps, each step
// labelled with its name.
func stepPrinter(w io.Writer) func(step string, done, total int) {
	printers := map[string]importer.Progress{}
	return func(step string, done, total int) {
		p, ok := printers[step]
		if !ok {
			p = progressPrinter(w, step)
			printers[step] = p
		}
		p(done, total)
	}
}

// withLedger opens the data directory, runs f with a ledger on it and closes
// it, keeping every acknowledged event.
func withLedger(dataDir string, f func(l *ledger.Ledger) error, opts ...ledger.Option) error {
	return withData(dataDir, func(_ eventstore.Store, l *ledger.Ledger) error { return f(l) }, opts...)
}

// withData is withLedger for commands that also read the log itself (to
// build a read model of what they resolve names against).
func withData(dataDir string, f func(events eventstore.Store, l *ledger.Ledger) error, opts ...ledger.Option) error {
	dd, err := app.OpenDataDir(dataDir)
	if err != nil {
		return err
	}
	if err := awaitFirstToken(dd); err != nil {
		dd.Close()
		return err
	}
	ferr := f(dd.Events, ledger.New(dd.Events, opts...))
	return errors.Join(ferr, dd.Close())
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("import", stderr, defaultDataDir(), "data directory")
	basis := fs.String("basis", "", "the document deciding the import (文号), required")
	effective := fs.String("effective", "", "effective date YYYY-MM-DD (施行日期), required")
	reason := fs.String("reason", "", "reason recorded with every item")
	level := fs.String("level", "COUNTY", "level for rows without a recognisable 审批层级")
	prefix := fs.String("code-prefix", "", "make codes PREFIX+序号 for rows without 事项编码")
	dry := fs.Bool("dry-run", false, "check the whole file, record nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: catalogue import FILE --basis 文号 --effective YYYY-MM-DD [flags]")
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
	lv, ok := domain.ParseLevel(*level)
	if !ok {
		return fmt.Errorf("--level %q is not a level", *level)
	}
	opts.DefaultLevel = lv
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := itemsheet.Read(f, itemsheet.Options{CodePrefix: *prefix})
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	items := res.Items
	printWarnings(stderr, pos[0], res.Warnings)
	if err := requireCodes(items); err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintf(stderr, "%s: %d items, checking…\n", pos[0], len(items))
	return withLedger(*data, func(l *ledger.Ledger) error {
		rep, err := importer.Items(ctx, l, items, opts, progressPrinter(stderr, "items"))
		if err != nil {
			return err
		}
		return report(stdout, "items", rep, *dry)
	})
}

// maxWarnings is how many warnings an import prints one by one; a list
// that leaves the same cell empty on every row says so in a count.
const maxWarnings = 20

func printWarnings(w io.Writer, file string, ws []itemsheet.Problem) {
	for i, p := range ws {
		if i == maxWarnings {
			fmt.Fprintf(w, "%s: warning: … and %d more like these\n", file, len(ws)-maxWarnings)
			return
		}
		fmt.Fprintf(w, "%s: warning: %s\n", file, p)
	}
}

// requireCodes refuses items without a code before anything is checked
// against the ledger, saying how to give them: the official layout has no
// 事项编码 column, and a ledger error per row ("code: must not be empty")
// would not tell the officer about --code-prefix.
func requireCodes(items []itemsheet.Item) error {
	var at []string
	for _, it := range items {
		if it.Code == "" {
			at = append(at, sheet.At(it.Sheet, it.Line))
		}
	}
	n := len(at)
	if n == 0 {
		return nil
	}
	if n > 5 {
		at = append(at[:5], fmt.Sprintf("and %d more", len(at)-5))
	}
	return domain.Errorf(domain.CodeInvalid, "code",
		"%d items have no 事项编码 (%s): the official layout carries no codes. Give --code-prefix P to make each code P + its 序号 "+
			"(--code-prefix XK: 序号 17 → XK0017, its sub-items XK0017-01, …), or add a 事项编码 column",
		n, strings.Join(at, ", "))
}

func importOptions(basis, effective, reason string, dry bool) (importer.Options, error) {
	d, err := domain.ParseDate(effective)
	if err != nil {
		return importer.Options{}, fmt.Errorf("--effective: %w", err)
	}
	return importer.Options{Basis: basis, Effective: d, Reason: reason, Actor: cliActor(), DryRun: dry}, nil
}

func report(w io.Writer, what string, rep importer.Report, dry bool) error {
	if dry {
		_, err := fmt.Fprintf(w, "dry run: all %d %s are valid; nothing recorded\n", rep.Total, what)
		return err
	}
	_, err := fmt.Fprintf(w, "%d %s: %d recorded, %d already recorded by an earlier run\n", rep.Total, what, rep.Recorded, rep.Already)
	return err
}

func bodiesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("bodies import", stderr, defaultDataDir(), "data directory")
	basis := fs.String("basis", "国家统计局统计用区划代码", "the document the divisions come from")
	effective := fs.String("effective", "2022-10-31", "effective date YYYY-MM-DD")
	dry := fs.Bool("dry-run", false, "check the whole file, record nothing")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: catalogue bodies import FILE [flags]  (FILE: code,name,parent_code)")
		return errUsage
	}
	opts, err := importOptions(*basis, *effective, "登记行政区划", *dry)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	divs, err := divisions.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	bodies := make([]importer.Body, len(divs))
	for i, d := range divs {
		bodies[i] = importer.Body{Line: d.Line, Code: d.Code, Name: d.Name, Kind: domain.BodyKind(d.Kind), Parent: d.ParentCode}
	}
	return withLedger(*data, func(l *ledger.Ledger) error {
		rep, err := importer.Bodies(ctx, l, bodies, opts, progressPrinter(stderr, "bodies"))
		if err != nil {
			return err
		}
		return report(stdout, "bodies", rep, *dry)
	})
}

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("demo", stderr, defaultDataDir(), "data directory")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return withLedger(*data, func(l *ledger.Ledger) error {
		sum, err := demo.Run(ctx, l, stepPrinter(stderr))
		if err != nil {
			return err
		}
		if sum.Earlier {
			_, err = fmt.Fprintf(stdout, "%s holds the demo as an earlier version recorded it; nothing recorded\n", *data)
			return err
		}
		_, err = fmt.Fprintf(stdout, "demo catalogue in %s: %d bodies, %d items, %d delegations (%d accepted, %d withdrawn), %d amendments, %d revocations, %d editions\n",
			*data, sum.Bodies, sum.Items, sum.Delegations, sum.Accepted, sum.Withdrawn, sum.Amended, sum.Revoked, sum.Editions)
		return err
	}, ledger.WithJurisdiction(demo.Jurisdiction))
}
