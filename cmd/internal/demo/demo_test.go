package demo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// A log where an earlier version recorded the demo (its first listing with
// other particulars under the same command id) is left as it is: running
// the demo again records nothing and is not an error.
func TestDemoRecordedByAnEarlierVersion(t *testing.T) {
	ctx := context.Background()
	l := ledger.New(memory.New(), ledger.WithJurisdiction(Jurisdiction))
	items, err := Items()
	require.NoError(t, err)
	earlier := items[0]
	earlier.Department = earlier.Authority // what the earlier version recorded
	_, err = l.ListItem(ctx, ledger.Request{CommandID: "demo:00001", By: domain.Actor{Name: Actor, Role: domain.RoleLegalOfficer}},
		domain.ListItem{ItemFacts: domain.ItemFacts{Code: earlier.Code, Name: earlier.Name, Department: earlier.Department,
			Authority: earlier.Authority, Level: domain.LevelCounty}, Change: chg("青政发〔2023〕5号", "", "2023-03-01")})
	require.NoError(t, err)
	sum, err := Run(ctx, l, nil)
	require.NoError(t, err)
	require.True(t, sum.Earlier)
	require.Zero(t, sum.Items)
}
