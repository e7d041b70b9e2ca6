package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

var ctx = context.Background()

func req(id string) ledger.Request {
	return ledger.Request{CommandID: id, By: domain.Actor{Name: "officer:张三", Role: domain.RoleLegalOfficer}}
}

func chg(basis, from string) domain.Change {
	return domain.Change{Basis: basis, Reason: "依法调整", EffectiveFrom: domain.MustDate(from)}
}

func listing(code, name string) domain.ListItem {
	return domain.ListItem{ItemFacts: domain.ItemFacts{Code: code, Name: name, Authority: "区行政审批局", Level: domain.LevelCounty,
		SubItems: []domain.SubItem{{Code: code + "-1", Name: name + "（新办）"}}}, Change: chg("广安府发〔2023〕1号", "2023-01-01")}
}

func newLedger(t *testing.T) (*ledger.Ledger, eventstore.Store) {
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	return ledger.New(s), s
}

func registerQingdao(t *testing.T, l *ledger.Ledger) {
	for i, b := range []struct {
		code, name string
		kind       domain.BodyKind
		parent     string
	}{
		{"370000", "山东省", domain.KindProvince, ""}, {"370200", "青岛市", domain.KindCity, "370000"},
		{"370211", "黄岛区", domain.KindDistrict, "370200"}, {"370212", "崂山区", domain.KindDistrict, "370200"},
		{"370211001", "黄岛街道", domain.KindTownship, "370211"},
	} {
		_, err := l.RegisterBody(ctx, req(fmt.Sprint("body-", i)), domain.RegisterBody{Code: b.code, Name: b.name, Kind: b.kind, Parent: b.parent, Change: chg("青政发〔2013〕1号", "2013-01-01")})
		require.NoError(t, err)
	}
}

func TestListItemIsIdempotentAndKeepsCodesUnique(t *testing.T) {
	l, s := newLedger(t)
	first, err := l.ListItem(ctx, req("c1"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	require.Equal(t, uint64(0), first.Revision)
	require.False(t, first.Replayed)

	again, err := l.ListItem(ctx, req("c1"), listing("511A0138600000", "教师资格认定"))
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.Position, again.Position)
	last, _ := s.LastPosition(ctx)
	require.Equal(t, first.Position, last, "a retry records nothing")

	_, err = l.ListItem(ctx, req("c2"), listing("511A0138600000", "另一个事项"))
	require.Equal(t, domain.CodeCodeTaken, domain.ErrorCode(err))

	// A revoked item frees its code.
	_, err = l.RevokeItem(ctx, req("c3"), first.ID, domain.RevokeItem{Change: chg("广安府发〔2024〕2号", "2024-01-01")})
	require.NoError(t, err)
	_, err = l.ListItem(ctx, req("c4"), listing("511A0138600000", "教师资格认定（新）"))
	require.NoError(t, err)
}

func TestInvalidListingReservesNothing(t *testing.T) {
	l, s := newLedger(t)
	bad := listing("X1", "")
	_, err := l.ListItem(ctx, req("c1"), bad)
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
	last, _ := s.LastPosition(ctx)
	require.Equal(t, eventstore.Start, last)
	_, err = l.ListItem(ctx, ledger.Request{By: domain.Actor{Name: "x", Role: domain.RoleLegalOfficer}}, listing("X1", "名"))
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
}

func TestConcurrentListingsOfOneCode(t *testing.T) {
	l, _ := newLedger(t)
	var wins, taken atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			_, err := l.ListItem(ctx, req(fmt.Sprint("c", i)), listing("DUP", "重复事项"))
			switch domain.ErrorCode(err) {
			case "":
				require.NoError(t, err)
				wins.Add(1)
			case domain.CodeCodeTaken:
				taken.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
	require.Equal(t, int32(9), taken.Load())
}

func TestExpectedRevisionConflict(t *testing.T) {
	l, _ := newLedger(t)
	it, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	rev := it.Revision
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			r := req(fmt.Sprint("amend-", i))
			r.ExpectedRevision = &rev
			name := fmt.Sprint("甲事项（第", i, "次修改）")
			_, err := l.AmendItem(ctx, r, it.ID, domain.AmendItem{Name: &name, Change: chg("文号", "2024-01-01")})
			var ce *ledger.ConflictError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ce):
				require.Equal(t, domain.CodeWrongExpectedVersion, domain.ErrorCode(err))
				require.Equal(t, rev+1, ce.Current)
				conflicts.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), ok.Load())
	require.Equal(t, int32(1), conflicts.Load())
}

func TestConcurrentWritersWithoutExpectedRevisionLoseNothing(t *testing.T) {
	l, s := newLedger(t)
	registerQingdao(t, l)
	it, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			name := fmt.Sprint("甲事项-", i)
			_, err := l.AmendItem(ctx, req(fmt.Sprint("a", i)), it.ID, domain.AmendItem{Name: &name, Change: chg("文号", "2024-01-01")})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	evs, err := s.ReadStream(ctx, domain.ItemStream(it.ID), 0)
	require.NoError(t, err)
	require.Equal(t, 25, len(evs), "every amendment is recorded once")
}

func TestDelegationFlowThroughTheLedger(t *testing.T) {
	l, s := newLedger(t)
	registerQingdao(t, l)
	it, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)

	d, err := l.DelegateItem(ctx, req("d1"), it.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2024〕7号", "2024-01-01")})
	require.NoError(t, err)
	require.NotEmpty(t, d.ID)
	again, err := l.DelegateItem(ctx, req("d1"), it.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2024〕7号", "2024-01-01")})
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, d.ID, again.ID)

	_, err = l.DelegateItem(ctx, req("d2"), it.ID, domain.DelegateItem{To: domain.BodyRef{Code: "999999"}, Mode: domain.ModeDevolve, Change: chg("x", "2024-01-01")})
	require.Equal(t, domain.CodeBodyNotFound, domain.ErrorCode(err))

	_, err = l.DelegateItem(ctx, req("d3"), it.ID, domain.DelegateItem{From: "370211", To: domain.BodyRef{Code: "370211001"}, Mode: domain.ModeDevolve, Change: chg("黄政发〔2024〕1号", "2024-02-01")})
	require.NoError(t, err)
	_, err = l.AcceptDelegation(ctx, req("acc"), it.ID, domain.AcceptDelegation{DelegationID: d.ID, Body: "370211", Change: chg("黄政字〔2024〕2号", "2024-01-05")})
	require.NoError(t, err)
	w, err := l.WithdrawDelegation(ctx, req("wd"), it.ID, domain.WithdrawDelegation{DelegationID: d.ID, Change: chg("青政发〔2025〕1号", "2025-01-01")})
	require.NoError(t, err)
	require.Equal(t, []string{again.ID}, []string{d.ID})
	wd := w.Events[0].(domain.DelegationWithdrawn)
	require.Len(t, wd.Ended, 1, "the town's delegation ends with the district's")

	evs, err := s.ReadStream(ctx, domain.ItemStream(it.ID), 0)
	require.NoError(t, err)
	var meta eventstore.Metadata
	for _, e := range evs {
		require.NoError(t, jsonUnmarshal(e.Metadata, &meta))
		require.Equal(t, "officer:张三", meta.Actor)
		require.NotEmpty(t, meta.CommandID)
		require.WithinDuration(t, time.Now(), meta.RecordedAt, time.Minute)
	}
}

func TestJurisdiction(t *testing.T) {
	s := memory.New()
	defer s.Close()
	l := ledger.New(s, ledger.WithJurisdiction("371600"))
	registerQingdao(t, l)
	it, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	_, err = l.DelegateItem(ctx, req("d1"), it.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("x", "2024-01-01")})
	require.Equal(t, domain.CodeOutsideJurisdiction, domain.ErrorCode(err))
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
