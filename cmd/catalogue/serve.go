package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/app"
	"github.com/catalogue/catalogue/eventstore/esdb"
)

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, data := flags("serve", stderr, defaultDataDir(), "data directory (SQLite event log)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	jurisdiction := fs.String("jurisdiction", "", "body code of the catalogue's government; delegations go only to bodies beneath it")
	anonymous := fs.Bool("anonymous-read", true, "let requests without a token read the public catalogue")
	events := fs.String("events", os.Getenv("CATALOGUE_EVENTS"), "event log: empty for SQLite in the data directory, or esdb://host:2113?tls=false (EventStoreDB/KurrentDB)")
	readModel := fs.String("readmodel", os.Getenv("CATALOGUE_READMODEL"), "read models: empty for in memory, or postgres://user@host/db?schema=catalogue (PostgreSQL)")
	role := fs.String("role", "all", "all: serve the API and project; api: serve the API from read models another process projects; projector: project only (HTTP serves /healthz)")
	migrate := fs.Bool("migrate", true, "apply the PostgreSQL read models' migrations on start (false: require catalogue migrate to have run)")
	acceptDamaged := fs.Bool("accept-damaged-log", false, "open a SQLite log that fails the start-up checks (lost commits, damaged pages), once you have looked at what the refusal said")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		return errUsage
	}
	r, err := app.ParseRole(*role)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	began := time.Now()
	svc, err := app.Start(ctx, app.Config{DataDir: *data, Addr: *addr, Jurisdiction: *jurisdiction, Logger: logger, Progress: stderr,
		NoAnonymousRead: !*anonymous, Events: *events, ReadModel: *readModel, Role: r, NoMigrate: !*migrate,
		AcceptDamagedLog: *acceptDamaged})
	if err != nil {
		return err
	}
	if svc.FirstToken != "" {
		printFirstToken(stdout, svc.FirstToken)
	}
	position := app.PositionText(ctx, svc.Read, logger)
	log := *data
	if *events != "" {
		log = esdb.RedactURL(*events)
	}
	serving := fmt.Sprintf("  GraphQL: %s/query\n  GraphiQL: %s/\n", svc.URL(), svc.URL())
	if r == app.RoleProjector {
		serving = "" // health only
	}
	fmt.Fprintf(stdout, "catalogue serving %s (role %s, event log %s, position %s, ready in %s)\n%s  health: %s/healthz\n",
		svc.URL(), r, log, position, time.Since(began).Round(time.Millisecond), serving, svc.URL())
	<-ctx.Done()
	fmt.Fprintln(stderr, "shutting down…")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := svc.Close(shutdown); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "stopped; every acknowledged event is in the log")
	return nil
}
