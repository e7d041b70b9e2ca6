package gen_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/gen"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/memory"
)

// The generated log must be one the ledger could have written: every event
// decodes, and its size is what was asked for.
func TestGenerateWritesAValidLogOfTheRequestedSize(t *testing.T) {
	store := memory.New()
	defer store.Close()
	cfg := gen.Config{Events: 20_000, Items: 100, Bodies: 300, Writers: 4, Seed: 7}
	require.NoError(t, gen.Generate(context.Background(), store, cfg, nil))
	all, err := store.ReadAll(context.Background(), 0, 1_000_000)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(all), cfg.Events*9/10)
	require.LessOrEqual(t, len(all), cfg.Events*11/10)
	types := map[string]int{}
	for _, e := range all {
		_, err := domain.Decode(e.Type, e.Data)
		require.NoError(t, err)
		types[e.Type]++
	}
	require.Equal(t, 300, types[domain.TypeBodyRegistered])
	require.Equal(t, 100, types[domain.TypeItemListed])
	for _, typ := range []string{domain.TypeItemDelegated, domain.TypeDelegationAccepted, domain.TypeDelegationWithdrawn, domain.TypeItemAmended} {
		require.Greater(t, types[typ], 100, typ)
	}
	t.Log(types)
}
