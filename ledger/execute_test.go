package ledger_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// countingEdition is an aggregate defined outside the ledger, as a new one
// would be: it folds an edition's stream into the number of events seen,
// and checks that each event's record comes with it. Execute gives it the
// same retry, idempotency and expected-revision handling as the
// catalogue's own commands.
func countingEdition(name string) ledger.Aggregate[int] {
	return ledger.Aggregate[int]{ID: name, Stream: domain.EditionStream(name),
		Evolve: func(n int, e domain.Event) int {
			if _, ok := e.(domain.EditionPublished); !ok {
				panic(fmt.Sprintf("an edition's stream holds %T", e))
			}
			return n + 1
		},
		Record: func(n int, rec *eventstore.RecordedEvent) int {
			if rec.Stream != domain.EditionStream(name) || rec.Revision != uint64(n-1) {
				panic(fmt.Sprintf("record %s@%d given after %d events", rec.Stream, rec.Revision, n))
			}
			return n
		}}
}

func publishOnce(name string, seen *[]int) ledger.Decision[int] {
	return func(n int) ([]domain.Event, error) {
		*seen = append(*seen, n)
		if n > 0 {
			return nil, domain.Errorf(domain.CodeEditionExists, "name", "published")
		}
		return []domain.Event{domain.EditionPublished{Name: name, Change: chg("青政办发〔2024〕1号", "2024-01-01")}}, nil
	}
}

func TestExecuteRunsAnyAggregate(t *testing.T) {
	l, s := newLedger(t)
	var seen []int
	first, err := ledger.Execute(ctx, l, req("e1"), "PublishCounted", "2024年版", countingEdition("2024年版"), publishOnce("2024年版", &seen))
	require.NoError(t, err)
	require.Equal(t, "2024年版", first.ID)
	require.Equal(t, uint64(0), first.Revision)
	require.Equal(t, []int{0}, seen, "decided once, on the empty stream")

	// The same command again is a retry: recorded nothing, decided nothing.
	again, err := ledger.Execute(ctx, l, req("e1"), "PublishCounted", "2024年版", countingEdition("2024年版"), publishOnce("2024年版", &seen))
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.Position, again.Position)
	require.Equal(t, []int{0}, seen)

	// The id reused for another payload is refused before any decision.
	_, err = ledger.Execute(ctx, l, req("e1"), "PublishCounted", "2025年版", countingEdition("2024年版"), publishOnce("2024年版", &seen))
	require.Equal(t, domain.CodeCommandIDReused, domain.ErrorCode(err))

	// A new command decides on the folded state and gets the domain's refusal.
	_, err = ledger.Execute(ctx, l, req("e2"), "PublishCounted", "2024年版", countingEdition("2024年版"), publishOnce("2024年版", &seen))
	require.Equal(t, domain.CodeEditionExists, domain.ErrorCode(err))
	require.Equal(t, []int{0, 1}, seen)

	// A pinned revision the stream has moved past is a conflict, decided on
	// nothing.
	r := req("e3")
	var stale uint64 = 5
	r.ExpectedRevision = &stale
	_, err = ledger.Execute(ctx, l, r, "PublishCounted", "2024年版", countingEdition("2024年版"), publishOnce("2024年版", &seen))
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, []int{0, 1}, seen)

	last, err := s.LastPosition(ctx)
	require.NoError(t, err)
	require.Equal(t, first.Position, last, "only the first command recorded anything")
}

// TestThePrincipalTravelsInTheRequest: every command takes its actor from
// Request.By — the metadata's actor is its name, and the rules about who
// may act decide on its role and body, whatever a caller put in a
// command's own By (which the ledger fills in).
func TestThePrincipalTravelsInTheRequest(t *testing.T) {
	l, s := newLedger(t)
	registerQingdao(t, l)
	it, err := l.ListItem(ctx, req("c1"), listing("A1", "甲事项"))
	require.NoError(t, err)
	d, err := l.DelegateItem(ctx, req("d1"), it.ID, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve,
		Change: chg("青政发〔2024〕7号", "2024-01-01")})
	require.NoError(t, err)

	as := func(id string, by domain.Actor) ledger.Request { return ledger.Request{CommandID: id, By: by} }
	ofLaoshan := domain.Actor{Name: "崂山区·赵六", Role: domain.RoleBodyOfficer, Body: "370212"}
	ofHuangdao := domain.Actor{Name: "黄岛区·王五", Role: domain.RoleBodyOfficer, Body: "370211"}
	accept := domain.AcceptDelegation{DelegationID: d.ID, Change: chg("黄政字〔2024〕2号", "2024-01-05")}

	// A body officer of another body is refused, even with a command that
	// claims to be a legal officer's.
	forged := accept
	forged.By = domain.Actor{Name: "崂山区·赵六", Role: domain.RoleLegalOfficer}
	_, err = l.AcceptDelegation(ctx, as("acc-1", ofLaoshan), it.ID, forged)
	require.Equal(t, domain.CodeForbidden, domain.ErrorCode(err))
	_, err = l.WithdrawDelegation(ctx, as("wd-1", ofHuangdao), it.ID, domain.WithdrawDelegation{DelegationID: d.ID, Change: chg("x", "2025-01-01")})
	require.Equal(t, domain.CodeForbidden, domain.ErrorCode(err), "the government's delegation is not the district's to withdraw")
	_, err = l.DelegateItem(ctx, as("d2", ofLaoshan), it.ID, domain.DelegateItem{From: "370211", To: domain.BodyRef{Code: "370211001"},
		Mode: domain.ModeDevolve, Change: chg("x", "2024-02-01")})
	require.Equal(t, domain.CodeForbidden, domain.ErrorCode(err))

	// The receiving body's officer accepts for its body without naming it.
	res, err := l.AcceptDelegation(ctx, as("acc-2", ofHuangdao), it.ID, accept)
	require.NoError(t, err)
	require.Equal(t, "370211", res.Events[0].(domain.DelegationAccepted).Body)
	evs, err := s.ReadStream(ctx, res.Stream, res.Revision)
	require.NoError(t, err)
	var meta eventstore.Metadata
	require.NoError(t, json.Unmarshal(evs[0].Metadata, &meta))
	require.Equal(t, ofHuangdao.Name, meta.Actor)

	// No principal, no command.
	_, err = l.RegisterBody(ctx, ledger.Request{CommandID: "b1"}, domain.RegisterBody{Code: "370213", Name: "李沧区",
		Kind: domain.KindDistrict, Parent: "370200", Change: chg("国函〔1994〕1号", "1994-01-01")})
	require.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
}

// TestRegisterBodyLooksTheParentUp: the command names its parent by code;
// the ledger gives the domain the parent's state as the log holds it.
func TestRegisterBodyLooksTheParentUp(t *testing.T) {
	l, _ := newLedger(t)
	registerQingdao(t, l)
	reg := func(id, code, name string, kind domain.BodyKind, parent string) error {
		_, err := l.RegisterBody(ctx, req(id), domain.RegisterBody{Code: code, Name: name, Kind: kind, Parent: parent,
			Change: chg("国函〔1994〕1号", "1994-01-01")})
		return err
	}
	require.Equal(t, domain.CodeBodyNotFound, domain.ErrorCode(reg("b1", "370213", "李沧区", domain.KindDistrict, "379999")))
	require.Equal(t, domain.CodeBodyHierarchy, domain.ErrorCode(reg("b2", "370213001", "街道", domain.KindTownship, "370200")))
	require.NoError(t, reg("b3", "370213", "李沧区", domain.KindDistrict, "370200"))
	b, err := l.Body(ctx, "370213")
	require.NoError(t, err)
	require.Equal(t, domain.Body{Code: "370213", Registered: true, Name: "李沧区", Kind: domain.KindDistrict, Parent: "370200"}, b)
}
