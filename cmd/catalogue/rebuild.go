package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections/postgres"
)

// rebuildCmd builds a new generation of the PostgreSQL read models from the
// whole log while the running services keep answering from the old one,
// then switches them all to it (postgres.Rebuild). Interrupted (Ctrl-C),
// it stops after the batch in hand; run again, it resumes.
func rebuildCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("rebuild", stderr, defaultDataDir(), "data directory whose SQLite event log to read (a running serve may hold it)")
	events := fs.String("events", os.Getenv("CATALOGUE_EVENTS"), "event log: empty for SQLite in the data directory, or esdb://host:2113?tls=false")
	readModel := fs.String("readmodel", os.Getenv("CATALOGUE_READMODEL"), "read models: postgres://user@host/db?schema=catalogue")
	grace := fs.Duration("grace", 10*time.Second, "how long the previous generation is kept after the switch for queries in flight")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 || *readModel == "" {
		fmt.Fprintln(stderr, "usage: catalogue rebuild --readmodel postgres://… [--data DIR | --events esdb://…] [--grace 10s]")
		return errUsage
	}
	log, err := app.OpenEventsReader(ctx, *data, *events, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer log.Close()
	began := time.Now()
	res, err := app.RebuildReadModel(ctx, *readModel, log, postgres.RebuildOptions{Grace: *grace, Progress: func(p postgres.RebuildProgress) {
		switch p.Phase {
		case "building":
			fmt.Fprintf(stderr, "rebuild: %s at position %d of %d (%.1f%%), %d events this run (%.0f/s)\n",
				p.Schema, p.Position, p.Target, percent(p.Position, p.Target), p.Applied, p.Rate)
		case "indexing":
			fmt.Fprintf(stderr, "rebuild: %s caught up at position %d; building its indexes\n", p.Schema, p.Position)
		case "switched":
			fmt.Fprintf(stderr, "rebuild: switched to %s at position %d after %s; keeping the previous generation %s for queries in flight\n",
				p.Schema, p.Position, time.Since(began).Round(time.Millisecond), grace.String())
		case "dropped":
			fmt.Fprintf(stderr, "rebuild: dropped the previous generation %s\n", p.Schema)
		}
	}})
	switch {
	case errors.Is(err, context.Canceled) && res.Schema != "":
		return fmt.Errorf("rebuild of %s interrupted; its progress is kept: run catalogue rebuild again to resume", res.Schema)
	case err != nil:
		return err
	}
	verb := "built"
	if res.Resumed {
		verb = "resumed and built"
	}
	fmt.Fprintf(stdout, "rebuild: %s %s to position %d in %s; it serves now (previous: %s", verb, res.Schema, res.Position, time.Since(began).Round(time.Millisecond), res.Previous)
	if !res.Dropped {
		fmt.Fprint(stdout, ", kept until the next rebuild")
	}
	fmt.Fprintln(stdout, ")")
	return nil
}

func percent(p, of eventstore.Position) float64 {
	if of == 0 {
		return 100
	}
	return 100 * float64(p) / float64(of)
}
