package domain_test

import (
	"testing"

	. "github.com/catalogue/catalogue/domain"
)

// TestWhoMayAct: the rules about who may delegate, accept and withdraw,
// decided on the item's stream with the actor the command carries. A body
// officer acts only for its own body; a legal officer for any, and an
// acceptance that names no body is made for the delegation's receiver.
func TestWhoMayAct(t *testing.T) {
	var (
		legalOfficer = Actor{Name: "法制科·张三", Role: RoleLegalOfficer}
		ofDistrict   = Actor{Name: "区·王五", Role: RoleBodyOfficer, Body: "370211"}
		ofOther      = Actor{Name: "区·赵六", Role: RoleBodyOfficer, Body: "370212"}
		ofTown       = Actor{Name: "街道·钱七", Role: RoleBodyOfficer, Body: "370211001"}
		c24          = chg("青政发〔2024〕1号", d2024)
		c25          = chg("市北政发〔2024〕2号", d2025)
		toTown       = ItemDelegated{ItemID: "i1", DelegationID: "d2", From: "370211", ParentDelegationID: "d1", To: "370211001", Mode: ModeDevolve, Change: c25}
	)
	del := func(by Actor, from string, to BodyRef) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideDelegateItem(s, DelegateItem{By: by, DelegationID: "dX", From: from, To: to, Mode: ModeDevolve, Change: c25})
		}
	}
	acc := func(by Actor, id, body string) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideAcceptDelegation(s, AcceptDelegation{By: by, DelegationID: id, Body: body, Change: c24})
		}
	}
	wd := func(by Actor, id string) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideWithdrawDelegation(s, WithdrawDelegation{By: by, DelegationID: id, Change: c25})
		}
	}
	accepted := func(body string) []Event {
		return []Event{DelegationAccepted{ItemID: "i1", DelegationID: "d1", Body: body, Change: c24}}
	}
	runItemCases(t, []itemCase{
		// Delegating.
		{name: "a legal officer delegates for the government", given: []Event{listed}, when: del(legalOfficer, "", district),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", To: "370211", Mode: ModeDevolve, Change: c25}}},
		{name: "a legal officer delegates for a body", given: []Event{listed, toDist}, when: del(legalOfficer, "370211", town),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", From: "370211", ParentDelegationID: "d1", To: "370211001", Mode: ModeDevolve, Change: c25}}},
		{name: "a body officer passes its own power on", given: []Event{listed, toDist}, when: del(ofDistrict, "370211", town),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", From: "370211", ParentDelegationID: "d1", To: "370211001", Mode: ModeDevolve, Change: c25}}},
		{name: "a body officer does not delegate for the government", given: []Event{listed}, when: del(ofDistrict, "", district), err: CodeForbidden},
		{name: "a body officer does not delegate for another body", given: []Event{listed, toDist}, when: del(ofOther, "370211", town), err: CodeForbidden},
		{name: "who may act is decided before the item's state", given: nil, when: del(ofOther, "370211", town), err: CodeForbidden},

		// Accepting.
		{name: "a body officer accepts for its body without naming it", given: []Event{listed, toDist}, when: acc(ofDistrict, "d1", ""), then: accepted("370211")},
		{name: "a body officer accepts naming its body", given: []Event{listed, toDist}, when: acc(ofDistrict, "d1", "370211"), then: accepted("370211")},
		{name: "a body officer does not accept for another body", given: []Event{listed, toDist}, when: acc(ofDistrict, "d1", "370212"), err: CodeForbidden},
		{name: "a body officer does not accept a delegation to another body", given: []Event{listed, toDist}, when: acc(ofOther, "d1", ""), err: CodeForbidden},
		{name: "a body officer learns of no delegation that does not exist", given: []Event{listed}, when: acc(ofDistrict, "d9", ""), err: CodeDelegationNotFound},
		{name: "a legal officer accepts for the receiver", given: []Event{listed, toDist}, when: acc(legalOfficer, "d1", ""), then: accepted("370211")},
		{name: "a legal officer naming the wrong body", given: []Event{listed, toDist}, when: acc(legalOfficer, "d1", "370212"), err: CodeWrongBody},

		// Withdrawing.
		{name: "a body officer withdraws what its body delegated", given: []Event{listed, toDist, toTown}, when: wd(ofDistrict, "d2"),
			then: []Event{DelegationWithdrawn{ItemID: "i1", DelegationID: "d2", Change: c25}}},
		{name: "a body officer does not withdraw the government's delegation", given: []Event{listed, toDist}, when: wd(ofDistrict, "d1"), err: CodeForbidden},
		{name: "nor another body's", given: []Event{listed, toDist, toTown}, when: wd(ofTown, "d2"), err: CodeForbidden},
		{name: "a legal officer withdraws any", given: []Event{listed, toDist, toTown}, when: wd(legalOfficer, "d2"),
			then: []Event{DelegationWithdrawn{ItemID: "i1", DelegationID: "d2", Change: c25}}},
	})
}

// TestForbiddenIsItsOwnClass: the API shows a refusal of the actor as it
// shows a refusal of a role, not as bad input.
func TestForbiddenIsItsOwnClass(t *testing.T) {
	if ClassOf(CodeForbidden) != ClassForbidden {
		t.Fatalf("class of %s: %v", CodeForbidden, ClassOf(CodeForbidden))
	}
}
