package ledger_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// A command id reused for a different command is refused with
// COMMAND_ID_REUSED and records nothing, for every kind of command; the
// same command under the id stays an idempotent replay.
//
// A command is recognised in the stream it writes, so only a reuse on the
// same stream can be told: the same item (a listing's item derives from the
// command id, whatever the code), body code or edition name. A reused id
// naming another body or edition is simply a new command there: it never
// answers with the old result.
func TestCommandIDReusedForAnotherCommand(t *testing.T) {
	l, s := newLedger(t)
	registerQingdao(t, l)
	item, err := l.ListItem(ctx, req("item"), listing("A1", "甲事项"))
	require.NoError(t, err)
	name := "甲事项（新）"
	other := "甲事项（另）"
	zero := uint64(0)
	deleg, err := l.DelegateItem(ctx, req("deleg"), item.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370212"}, Mode: domain.ModeEntrust, Change: chg("青政发〔2024〕8号", "2024-01-01")})
	require.NoError(t, err)
	deleg2, err := l.DelegateItem(ctx, req("deleg2"), item.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211001"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2024〕9号", "2024-01-01")})
	require.NoError(t, err)

	type run func(r ledger.Request) (ledger.Result, error)
	withReq := func(id string) ledger.Request { return req(id) }
	for _, tc := range []struct {
		name     string
		first    run
		reused   run
		reusedBy func(string) ledger.Request // the request of the reuse; default req
	}{
		{name: "ListItem: another name", first: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L1", "乙事项"))
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L1", "丙事项"))
		}},
		{name: "ListItem: another code", first: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L2", "乙事项"))
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L3", "乙事项"))
		}},
		{name: "ListItem: another actor", first: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L4", "乙事项"))
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.ListItem(ctx, r, listing("L4", "乙事项"))
		}, reusedBy: func(id string) ledger.Request {
			return ledger.Request{CommandID: id, By: domain.Actor{Name: "officer:王五", Role: domain.RoleLegalOfficer}}
		}},
		{name: "AmendItem", first: func(r ledger.Request) (ledger.Result, error) {
			return l.AmendItem(ctx, r, item.ID, domain.AmendItem{Name: &name, Change: chg("文号", "2024-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.AmendItem(ctx, r, item.ID, domain.AmendItem{Name: &other, Change: chg("文号", "2024-01-01")})
		}},
		{name: "AmendItem: another expected revision", first: func(r ledger.Request) (ledger.Result, error) {
			return l.AmendItem(ctx, r, item.ID, domain.AmendItem{Name: &other, Change: chg("文号", "2024-02-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			r.ExpectedRevision = &zero
			return l.AmendItem(ctx, r, item.ID, domain.AmendItem{Name: &other, Change: chg("文号", "2024-02-01")})
		}},
		{name: "DelegateItem", first: func(r ledger.Request) (ledger.Result, error) {
			return l.DelegateItem(ctx, r, item.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2024〕7号", "2024-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.DelegateItem(ctx, r, item.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeEntrust, Change: chg("青政发〔2024〕7号", "2024-01-01")})
		}},
		{name: "AcceptDelegation", first: func(r ledger.Request) (ledger.Result, error) {
			return l.AcceptDelegation(ctx, r, item.ID, domain.AcceptDelegation{DelegationID: deleg.ID, Body: "370212", Change: chg("崂政字〔2024〕1号", "2024-01-05")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.AcceptDelegation(ctx, r, item.ID, domain.AcceptDelegation{DelegationID: deleg.ID, Body: "370212", Change: chg("崂政字〔2024〕1号", "2024-01-06")})
		}},
		{name: "WithdrawDelegation", first: func(r ledger.Request) (ledger.Result, error) {
			return l.WithdrawDelegation(ctx, r, item.ID, domain.WithdrawDelegation{DelegationID: deleg2.ID, Change: chg("青政发〔2025〕1号", "2025-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.WithdrawDelegation(ctx, r, item.ID, domain.WithdrawDelegation{DelegationID: deleg.ID, Change: chg("青政发〔2025〕1号", "2025-01-01")})
		}},
		{name: "RegisterBody", first: func(r ledger.Request) (ledger.Result, error) {
			return l.RegisterBody(ctx, r, domain.RegisterBody{Code: "370213", Name: "李沧区", Kind: domain.KindDistrict, Parent: "370200", Change: chg("国函〔1994〕1号", "1994-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.RegisterBody(ctx, r, domain.RegisterBody{Code: "370213", Name: "城阳区", Kind: domain.KindDistrict, Parent: "370200", Change: chg("国函〔1994〕1号", "1994-01-01")})
		}},
		{name: "PublishEdition", first: func(r ledger.Request) (ledger.Result, error) {
			return l.PublishEdition(ctx, r, domain.PublishEdition{Name: "2024年版", Change: chg("青政发〔2024〕1号", "2024-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.PublishEdition(ctx, r, domain.PublishEdition{Name: "2024年版", Change: chg("青政发〔2024〕1号", "2024-02-01")})
		}},
		{name: "RevokeItem", first: func(r ledger.Request) (ledger.Result, error) {
			return l.RevokeItem(ctx, r, item.ID, domain.RevokeItem{Change: chg("广安府发〔2026〕2号", "2026-01-01")})
		}, reused: func(r ledger.Request) (ledger.Result, error) {
			return l.RevokeItem(ctx, r, item.ID, domain.RevokeItem{Change: chg("广安府发〔2026〕3号", "2026-01-01")})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "reuse-" + tc.name
			first, err := tc.first(req(id))
			require.NoError(t, err)

			before := lastPosition(t, s)
			by := withReq
			if tc.reusedBy != nil {
				by = tc.reusedBy
			}
			_, err = tc.reused(by(id))
			require.Equal(t, domain.CodeCommandIDReused, domain.ErrorCode(err), "%v", err)
			var rule *domain.Error
			require.ErrorAs(t, err, &rule)
			require.Equal(t, "commandId", rule.Field)
			require.Equal(t, domain.ClassConflict, domain.ClassOf(rule.Code))
			require.Equal(t, before, lastPosition(t, s), "the reused id recorded nothing")

			again, err := tc.first(req(id))
			require.NoError(t, err, "the same command stays a replay")
			require.True(t, again.Replayed)
			require.Equal(t, first.ID, again.ID)
			require.Equal(t, first.Position, again.Position)
			require.Equal(t, before, lastPosition(t, s))
		})
	}
	// The listing under another code reserved nothing.
	require.Empty(t, streamOf(t, s, domain.ItemCodeStream("L3")))
	// The importer's check refuses the reuse as the listing does.
	err = l.CheckListItem(ctx, req("reuse-ListItem: another name"), listing("L1", "丙事项"))
	require.Equal(t, domain.CodeCommandIDReused, domain.ErrorCode(err), "%v", err)
	require.NoError(t, l.CheckListItem(ctx, req("reuse-ListItem: another name"), listing("L1", "乙事项")))
}

// Events recorded before commands were fingerprinted carry no hash and
// keep replaying for their command id, whatever the payload.
func TestUnfingerprintedEventsReplay(t *testing.T) {
	l, s := newLedger(t)
	item, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	name := "甲事项（旧）"
	stream := domain.ItemStream(item.ID)
	data, err := ledger.Envelope(req("old-amend"), stream, []domain.Event{domain.ItemAmended{ItemID: item.ID, Name: &name, Change: chg("文号", "2024-01-01")}}, time.Now())
	require.NoError(t, err)
	var meta eventstore.Metadata
	require.NoError(t, json.Unmarshal(data[0].Metadata, &meta))
	require.Empty(t, meta.CommandHash, "written as before fingerprints")
	_, err = s.Append(ctx, stream, eventstore.Exact(0), data)
	require.NoError(t, err)

	other := "甲事项（另）"
	res, err := l.AmendItem(ctx, req("old-amend"), item.ID, domain.AmendItem{Name: &other, Change: chg("文号", "2024-01-01")})
	require.NoError(t, err)
	require.True(t, res.Replayed)
}

// The fingerprint of a command is recorded in its events' metadata; it
// must not change between versions of the program, or a retry across an
// upgrade would be refused as a reused id. A change to a command struct
// (a field added, renamed) changes it: keep the old form then.
func TestFingerprintIsStable(t *testing.T) {
	l, s := newLedger(t)
	res, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	evs := streamOf(t, s, res.Stream)
	var meta eventstore.Metadata
	require.NoError(t, json.Unmarshal(evs[0].Metadata, &meta))
	require.Equal(t, "f5c4453c3a3167d42cec120694affa3e", meta.CommandHash)
}
