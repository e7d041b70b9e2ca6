package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A read model has a name (the "schema" a deployment configures, e.g.
// catalogue) and, at any moment, one active generation: the schema its
// readers read and its projector writes. The first generation is the
// schema of the read model's own name, so a deployment that never rebuilt
// needs nothing more; a rebuild (Rebuild) fills generation N in the schema
// <name>_gN while the active one keeps serving, then switches. Which
// generation is active is recorded in the registry, one table shared by
// every read model of the database.
const registry = "catalogue_meta.read_models"

// registryLock is the first key of the advisory lock taken while the
// registry is created (as migrationLock is for a schema's migrations), and
// by migration 0002 around creating pg_trgm there: it is written in that
// file as 1919248233.
const registryLock = 0x72656769 // "regi"

// ensureRegistry creates the registry if it does not exist yet; safe when
// several processes start at once (a transaction advisory lock).
func ensureRegistry(ctx context.Context, db DB) error {
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, 0)", registryLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS catalogue_meta;
			CREATE TABLE IF NOT EXISTS `+registry+` (
				name        text PRIMARY KEY,
				active      text NOT NULL,     -- the schema read and projected
				generation  int  NOT NULL,     -- the active schema's number; 1 is the schema named name
				building    text,              -- a rebuild's schema, until it becomes active
				retired     text,              -- the previous generation, until it is dropped
				switched_at timestamptz
			)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: read-model registry: %w", translate(err))
	}
	return nil
}

// Active returns the schema of the read model's active generation: the
// registry's entry, or the schema named name when it has none (a read model
// never rebuilt, or a database whose registry was never created).
func Active(ctx context.Context, db DB, name string) (string, error) {
	if err := validSchema(name); err != nil {
		return "", err
	}
	var active string
	err := db.QueryRow(ctx, "SELECT active FROM "+registry+" WHERE name = $1", name).Scan(&active)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pgErr) && (pgErr.Code == codeUndefinedTable || pgErr.Code == codeInvalidSchemaName):
		return name, nil
	case err != nil:
		return "", fmt.Errorf("postgres: active generation of %s: %w", name, translate(err))
	}
	return active, nil
}

// MigrateReadModel creates the registry and brings the active generation of
// read model name up to date (catalogue migrate; serve on start). It
// returns the schema migrated.
func MigrateReadModel(ctx context.Context, db DB, name string) (string, error) {
	if err := validSchema(name); err != nil {
		return "", err
	}
	if err := ensureRegistry(ctx, db); err != nil {
		return "", err
	}
	schema, err := Active(ctx, db, name)
	if err != nil {
		return "", err
	}
	return schema, Migrate(ctx, db, schema)
}

// generationSchema names generation n of read model name; the first
// generation is the schema of the name itself.
func generationSchema(name string, n int) (string, error) {
	if n <= 1 {
		return name, nil
	}
	s := name + "_g" + strconv.Itoa(n)
	if err := validSchema(s); err != nil {
		return "", fmt.Errorf("postgres: generation %d of read model %s: %w (choose a shorter name)", n, name, err)
	}
	return s, nil
}
