package app

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitSchema(t *testing.T) {
	conn, schema, err := splitSchema("postgres://u:secret@db:5432/cat?sslmode=disable&schema=catalogue_v2")
	require.NoError(t, err)
	require.Equal(t, "catalogue_v2", schema)
	require.Equal(t, "postgres://u:secret@db:5432/cat?sslmode=disable", conn, "pgx would send schema to the server as a setting")

	_, schema, err = splitSchema("postgresql://db/cat")
	require.NoError(t, err)
	require.Equal(t, DefaultReadModelSchema, schema)

	_, _, err = splitSchema("mysql://u:secret@db/cat")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret", "no password in errors")
}
