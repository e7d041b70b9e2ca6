package importer_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// Importing a file again completes it and records nothing twice, whoever
// runs it: an entry another user's run recorded is already there, not a
// command id reused for another command.
func TestImportAgainAsAnotherUser(t *testing.T) {
	ctx := context.Background()
	log := memory.New()
	defer log.Close()
	l := ledger.New(log)
	items := []itemsheet.Item{
		{Line: 2, Code: "A1", Name: "甲事项", Authority: "区行政审批局", Level: "县级"},
		{Line: 3, Code: "B2", Name: "乙事项", Authority: "区行政审批局", Level: "县级"},
	}
	o := importer.Options{Basis: "青政发〔2024〕1号", Effective: domain.MustDate("2024-01-01"), Actor: "cli:root", DefaultLevel: domain.LevelCounty}
	rep, err := importer.Items(ctx, l, items[:1], o, nil) // an import cut short
	require.NoError(t, err)
	require.Equal(t, 1, rep.Recorded)

	o.Actor = "cli:catalogue"
	rep, err = importer.Items(ctx, l, items, o, nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 2, Recorded: 1, Already: 1}, rep)
}

// An empty 主管部门 stays empty: the authority is not copied into it.
func TestListingInventsNoDepartment(t *testing.T) {
	it := itemsheet.Item{Code: "A1", Name: "甲事项", Authority: "区行政审批局"}
	c := importer.Listing(it, domain.LevelCounty, domain.Change{Basis: "青政发〔2024〕1号", EffectiveFrom: domain.MustDate("2024-01-01")})
	require.Empty(t, c.Department)
	require.Equal(t, "区行政审批局", c.Authority)
}
