package postgres_test

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/postgres"
)

// Processes that start at once migrate the same schema safely: one
// applies each migration, the others find it recorded.
func TestMigrateConcurrently(t *testing.T) {
	p := needPostgres(t)
	schema := newSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, p, schema) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var applied, distinct int
	require.NoError(t, p.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM "+pgx.Identifier{schema}.Sanitize()+".schema_migrations").Scan(&applied, &distinct))
	require.Equal(t, distinct, applied, "each migration recorded once")
	require.Positive(t, applied)
	require.NoError(t, postgres.Migrate(ctx, p, schema), "migrating again is a no-op")
}

func TestSchemaNames(t *testing.T) {
	p := needPostgres(t)
	for _, bad := range []string{"", "Public", "1st", "a-b", `x"; DROP SCHEMA public; --`, string(make([]byte, 64))} {
		require.Error(t, postgres.Migrate(ctx, p, bad), "%q", bad)
	}
}

// A store whose schema is gone says so, instead of a bare driver error.
func TestNotMigrated(t *testing.T) {
	s := newStore(t)
	_, err := pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{s.Schema()}.Sanitize()+" CASCADE")
	require.NoError(t, err)
	_, err = s.Checkpoint(ctx)
	require.ErrorIs(t, err, postgres.ErrNotMigrated)
	_, err = s.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2024-01-01")}})
	require.ErrorIs(t, err, postgres.ErrNotMigrated)
	require.Empty(t, domain.ErrorCode(err), "an internal error, not a rule's")
}
