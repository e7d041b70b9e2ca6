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

// A batch of revocations is checked in order: an item the batch revokes
// twice is refused the second time, a recorded revocation is reported as
// already there, and checking writes nothing.
func TestCheckRevocationsDecidesTheBatchInOrder(t *testing.T) {
	l, s := newLedger(t)
	a, err := l.ListItem(ctx, req("a"), listing("XK01", "甲许可"))
	require.NoError(t, err)
	b, err := l.ListItem(ctx, req("b"), listing("XK02", "乙许可"))
	require.NoError(t, err)
	revoke := domain.RevokeItem{Change: chg("青政发〔2024〕8号", "2024-01-01")}
	batch := []ledger.PlannedRevocation{
		{Req: req("r1"), ItemID: a.ID, Command: revoke},
		{Req: req("r2"), ItemID: b.ID, Command: revoke},
		{Req: req("r3"), ItemID: a.ID, Command: revoke}, // a again
		{Req: req("r4"), ItemID: "", Command: revoke},
	}
	last, err := s.LastPosition(ctx)
	require.NoError(t, err)
	checks, err := l.CheckRevocations(ctx, batch)
	require.NoError(t, err)
	require.Len(t, checks, 4)
	require.Equal(t, []ledger.Check{{}, {}}, checks[:2])
	require.Equal(t, domain.CodeItemRevoked, domain.ErrorCode(checks[2].Err))
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(checks[3].Err))
	now, err := s.LastPosition(ctx)
	require.NoError(t, err)
	require.Equal(t, last, now, "checking writes nothing")

	_, err = l.RevokeItem(ctx, batch[0].Req, a.ID, revoke)
	require.NoError(t, err)
	checks, err = l.CheckRevocations(ctx, batch[:2])
	require.NoError(t, err)
	require.Equal(t, []ledger.Check{{Already: true}, {}}, checks)
}
