package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The schema's migrations are embedded in the binary, so a deployed
// program always carries the schema it reads; each file is applied once,
// in order of its number, in a transaction of its own, and recorded in
// schema_migrations.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. A file is named
// NNNN_what.sql; a number given twice is a build mistake, refused here.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %s is not named NNNN_name.sql", base)
		}
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrationLock is the first key of the advisory lock taken around a
// migration; the second is the schema's hash, so migrating one generation
// never waits for another.
const migrationLock = 0x63617461 // "cata"

// Migrate brings the schema up to date: it creates the schema if needed
// and applies every embedded migration not yet recorded. Two processes
// that start at once are safe: each migration runs under a transaction
// advisory lock on the schema, and re-reads what is recorded after taking
// it, so the second process finds the work done and applies nothing.
func Migrate(ctx context.Context, db DB, schema string) error {
	if err := validSchema(schema); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	s := pgx.Identifier{schema}.Sanitize()
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", migrationLock, schema); err != nil {
				return err
			}
			// CREATE … IF NOT EXISTS is not safe against a concurrent
			// creator by itself; under the lock it is.
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+s+`.schema_migrations (
				version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
				return err
			}
			var done bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+s+".schema_migrations WHERE version = $1)", m.version).Scan(&done); err != nil || done {
				return err
			}
			// The files name tables unqualified: they land in the schema.
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+s); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+s+".schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s in schema %s: %w", m.name, schema, translate(err))
		}
	}
	return nil
}

// validSchema accepts the names a generation can have: lower-case letters,
// digits and underscores, starting with a letter, at most 63 bytes (the
// server's identifier limit, beyond which it would silently truncate).
func validSchema(schema string) error {
	if schema == "" || len(schema) > 63 || schema[0] < 'a' || schema[0] > 'z' {
		return fmt.Errorf("postgres: schema name %q: want [a-z][a-z0-9_]*, at most 63 bytes", schema)
	}
	for _, c := range []byte(schema) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("postgres: schema name %q: want [a-z][a-z0-9_]*, at most 63 bytes", schema)
		}
	}
	return nil
}

// CheckMigrated returns an error wrapping ErrNotMigrated unless every
// embedded migration is recorded in schema: what a process that was told
// not to migrate (serve --migrate=false) checks at start, so that it fails
// there, naming the command to run, rather than on its first query.
func CheckMigrated(ctx context.Context, db DB, schema string) error {
	if err := validSchema(schema); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	applied := map[int]bool{}
	rows, err := db.Query(ctx, "SELECT version FROM "+pgx.Identifier{schema}.Sanitize()+".schema_migrations")
	if err == nil {
		var versions []int
		versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
		for _, v := range versions {
			applied[v] = true
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: schema %s: %w (run catalogue migrate)", schema, translate(err))
	}
	var missing []string
	for _, m := range ms {
		if !applied[m.version] {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("postgres: schema %s lacks migrations %s: %w (run catalogue migrate)", schema, strings.Join(missing, ", "), ErrNotMigrated)
	}
	return nil
}
