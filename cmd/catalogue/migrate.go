package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/catalogue/catalogue/cmd/internal/app"
)

// migrateCmd applies the PostgreSQL read models' schema migrations, for a
// deployment that migrates before it starts the service (serve migrates
// on start too; both are safe when several processes start at once).
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	readModel := fs.String("readmodel", os.Getenv("CATALOGUE_READMODEL"), "read models: postgres://user@host/db?schema=catalogue")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 || *readModel == "" {
		return errUsage
	}
	schema, err := app.MigrateReadModel(ctx, *readModel)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "read-model schema %s is up to date\n", schema)
	return nil
}
