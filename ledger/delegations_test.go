package ledger_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

// A batch is checked as if recorded in order: a delegation repeating an
// earlier one of the batch is refused though the log holds neither, a
// recorded one is reported as already there, and checking writes nothing.
func TestCheckDelegationsDecidesTheBatchInOrder(t *testing.T) {
	l, s := newLedger(t)
	registerQingdao(t, l)
	it, err := l.ListItem(ctx, req("item"), listing("XK01", "甲许可"))
	require.NoError(t, err)
	to := func(code string) domain.DelegateItem {
		return domain.DelegateItem{To: domain.BodyRef{Code: code}, Mode: domain.ModeDevolve, Change: chg("青政发〔2024〕7号", "2024-01-01")}
	}
	batch := []ledger.PlannedDelegation{
		{Req: req("b1"), ItemID: it.ID, Command: to("370211")},
		{Req: req("b2"), ItemID: it.ID, Command: to("370212")},
		{Req: req("b3"), ItemID: it.ID, Command: to("370211")}, // 370211 again
		{Req: req("b4"), ItemID: it.ID, Command: to("999999")},
	}
	last, err := s.LastPosition(ctx)
	require.NoError(t, err)
	checks, err := l.CheckDelegations(ctx, batch)
	require.NoError(t, err)
	require.Len(t, checks, 4)
	require.Equal(t, ledger.DelegationCheck{}, checks[0])
	require.Equal(t, ledger.DelegationCheck{}, checks[1])
	require.Equal(t, domain.CodeDelegationOverlap, domain.ErrorCode(checks[2].Err))
	require.Equal(t, domain.CodeBodyNotFound, domain.ErrorCode(checks[3].Err))
	now, err := s.LastPosition(ctx)
	require.NoError(t, err)
	require.Equal(t, last, now, "checking writes nothing")

	_, err = l.DelegateItem(ctx, batch[0].Req, it.ID, batch[0].Command)
	require.NoError(t, err)
	checks, err = l.CheckDelegations(ctx, batch[:2])
	require.NoError(t, err)
	require.Equal(t, []ledger.DelegationCheck{{Already: true}, {}}, checks)
}
