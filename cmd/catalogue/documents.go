package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/catalogue/catalogue/cmd/internal/importer"
)

// docFlags are the flags every document import (a delegation list, a
// revocation list) takes: one file recorded as one batch under one 文号.
type docFlags struct {
	fs                             *flag.FlagSet
	stderr                         io.Writer
	data, basis, effective, reason *string
	dry                            *bool
}

// newDocFlags declares the shared flags of command name; usageLine is its
// first usage line and what the changes it records, for the flags' help.
func newDocFlags(name, usageLine, what string, stderr io.Writer) *docFlags {
	fs, data := flags(name, stderr, defaultDataDir(), "data directory")
	d := &docFlags{fs: fs, stderr: stderr, data: data,
		basis:     fs.String("basis", "", "the document (文号), required"),
		effective: fs.String("effective", "", "effective date YYYY-MM-DD, required"),
		reason:    fs.String("reason", "", "reason recorded with every "+what),
		dry:       fs.Bool("dry-run", false, "check the whole file and print the plan, record nothing"),
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, usageLine)
		fs.PrintDefaults()
	}
	return d
}

// readDoc parses the command line (one FILE, --basis and --effective
// required) and reads the document's rows with read; a refusal of the
// file's content names the file.
func readDoc[R any](d *docFlags, args []string, read func(io.Reader) ([]R, error)) ([]R, importer.Options, error) {
	pos, err := parse(d.fs, args)
	if err != nil {
		return nil, importer.Options{}, err
	}
	if len(pos) != 1 || *d.basis == "" || *d.effective == "" {
		d.fs.Usage()
		return nil, importer.Options{}, errUsage
	}
	opts, err := importOptions(*d.basis, *d.effective, *d.reason, *d.dry)
	if err != nil {
		return nil, opts, err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return nil, opts, err
	}
	defer f.Close()
	rows, err := read(f)
	if err != nil {
		return nil, opts, fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintf(d.stderr, "%s: %d rows, checking…\n", pos[0], len(rows))
	return rows, opts, nil
}
