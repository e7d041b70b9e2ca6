package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/catalogue/catalogue/domain"
)

// A case is one row of a decision table: given these events, when this
// command, then these events — or this error code.
type itemCase struct {
	name  string
	given []Event
	when  func(Item) ([]Event, error)
	then  []Event
	err   Code
}

func runItemCases(t *testing.T, cases []itemCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Item
			for _, e := range tc.given {
				s = EvolveItem(s, e)
			}
			got, err := tc.when(s)
			if tc.err != "" {
				require.Error(t, err)
				require.Equal(t, tc.err, ErrorCode(err), "error: %v", err)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.then, got)
		})
	}
}

var (
	d2023 = MustDate("2023-01-01")
	d2024 = MustDate("2024-01-01")
	d2025 = MustDate("2025-01-01")
)

func chg(basis string, from Date) Change {
	return Change{Basis: basis, Reason: "依法调整", EffectiveFrom: from}
}

var (
	listed = ItemListed{ItemID: "i1", Code: "00016421300Y", Name: "林木采伐许可证核发", Department: "市自然资源和规划局",
		Authority: "市自然资源和规划局", LegalBasis: "《中华人民共和国森林法》第五十六条", Level: LevelMunicipal,
		SubItems: []SubItem{{Code: "00016421300Y-001", Name: "林木采伐许可证核发（国有）"}, {Code: "00016421300Y-002", Name: "林木采伐许可证核发（集体）"}},
		Change:   chg("青政发〔2023〕5号", d2023)}
	district = BodyRef{Code: "370211", Known: true, Kind: KindDistrict, Ancestors: []string{"370200", "370000"}}
	town     = BodyRef{Code: "370211001", Known: true, Kind: KindTownship, Ancestors: []string{"370211", "370200", "370000"}}
	zone     = BodyRef{Code: "Z01", Known: true, Kind: KindZone, Ancestors: []string{"370200", "370000"}}
	toDist   = ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeDevolve, Change: chg("青政发〔2024〕1号", d2024)}
	revoked  = ItemRevoked{ItemID: "i1", Code: "00016421300Y", Ended: []string{"d1"}, Change: chg("青政发〔2025〕9号", d2025)}
)

func facts() ItemFacts {
	return ItemFacts{Code: listed.Code, Name: listed.Name, Department: listed.Department, Authority: listed.Authority,
		LegalBasis: listed.LegalBasis, Level: listed.Level, SubItems: listed.SubItems}
}

func ptr[T any](v T) *T { return &v }

func TestListItem(t *testing.T) {
	list := func(mod func(*ListItem)) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			c := ListItem{ItemID: "i1", ItemFacts: facts(), Change: listed.Change}
			if mod != nil {
				mod(&c)
			}
			return DecideListItem(s, c)
		}
	}
	runItemCases(t, []itemCase{
		{name: "lists a new item", when: list(nil), then: []Event{listed}},
		{name: "an item is listed once", given: []Event{listed}, when: list(nil), err: CodeItemExists},
		{name: "code unique among items in force", when: list(func(c *ListItem) { c.CodeHeldBy = "other" }), err: CodeCodeTaken},
		{name: "name required", when: list(func(c *ListItem) { c.Name = " " }), err: CodeInvalid},
		{name: "department or authority required", when: list(func(c *ListItem) { c.Department, c.Authority = "", "" }), err: CodeInvalid},
		{name: "level must be known", when: list(func(c *ListItem) { c.Level = "GALACTIC" }), err: CodeInvalid},
		{name: "sub-item codes unique", when: list(func(c *ListItem) { c.SubItems = []SubItem{{"A", "甲"}, {"A", "乙"}} }), err: CodeInvalid},
		{name: "basis document required", when: list(func(c *ListItem) { c.Basis = "" }), err: CodeInvalid},
		{name: "effective date required", when: list(func(c *ListItem) { c.EffectiveFrom = Date{} }), err: CodeInvalid},
		{name: "invalid UTF-8 refused", when: list(func(c *ListItem) { c.Name = "\xff\xfe" }), err: CodeInvalid},
		// PostgreSQL text cannot hold NUL: such an event would stop its projector.
		{name: "NUL refused", when: list(func(c *ListItem) { c.Name = "林木\x00采伐" }), err: CodeInvalid},
		{name: "NUL refused in optional text", when: list(func(c *ListItem) { c.LegalBasis = "\x00" }), err: CodeInvalid},
		{name: "NUL refused in the basis", when: list(func(c *ListItem) { c.Basis = "青政发\x00" }), err: CodeInvalid},
	})
}

func TestAmendItem(t *testing.T) {
	amend := func(c AmendItem) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) { return DecideAmendItem(s, c) }
	}
	newName := "林木采伐许可"
	c := chg("青政办字〔2024〕3号", d2024)
	sub1 := []SubItem{listed.SubItems[0]}
	runItemCases(t, []itemCase{
		{name: "amends changed fields only", given: []Event{listed},
			when: amend(AmendItem{Name: &newName, Department: ptr(listed.Department), Change: c}),
			then: []Event{ItemAmended{ItemID: "i1", Name: &newName, Change: c}}},
		{name: "replaces sub-items", given: []Event{listed}, when: amend(AmendItem{SubItems: &sub1, Change: c}),
			then: []Event{ItemAmended{ItemID: "i1", SubItems: &sub1, Change: c}}},
		{name: "unknown item", when: amend(AmendItem{Name: &newName, Change: c}), err: CodeItemNotFound},
		{name: "revoked item cannot be amended", given: []Event{listed, revoked}, when: amend(AmendItem{Name: &newName, Change: c}), err: CodeItemRevoked},
		{name: "no change refused", given: []Event{listed}, when: amend(AmendItem{Name: ptr(listed.Name), Change: c}), err: CodeNoChange},
		{name: "cannot empty the name", given: []Event{listed}, when: amend(AmendItem{Name: ptr(""), Change: c}), err: CodeInvalid},
		{name: "cannot drop a delegated sub-item",
			given: []Event{listed, ItemDelegated{ItemID: "i1", DelegationID: "d2", To: "370211", Mode: ModeDevolve,
				Scope: []string{listed.SubItems[1].Code}, Change: chg("x", d2024)}},
			when: amend(AmendItem{SubItems: &sub1, Change: c}), err: CodeSubItemDelegated},
		{name: "can drop a sub-item whose delegation ended",
			given: []Event{listed, ItemDelegated{ItemID: "i1", DelegationID: "d2", To: "370211", Mode: ModeDevolve,
				Scope: []string{listed.SubItems[1].Code}, Change: chg("x", d2023)},
				DelegationWithdrawn{ItemID: "i1", DelegationID: "d2", Change: chg("y", d2024)}},
			when: amend(AmendItem{SubItems: &sub1, Change: c}),
			then: []Event{ItemAmended{ItemID: "i1", SubItems: &sub1, Change: c}}},
	})
}

func TestDelegateItem(t *testing.T) {
	del := func(c DelegateItem) func(Item) ([]Event, error) {
		if c.DelegationID == "" {
			c.DelegationID = "dX"
		}
		if c.Mode == "" {
			c.Mode = ModeDevolve
		}
		if c.Basis == "" {
			c.Change = chg("青政发〔2024〕7号", d2024)
		}
		return func(s Item) ([]Event, error) { return DecideDelegateItem(s, c) }
	}
	c24 := chg("青政发〔2024〕7号", d2024)
	runItemCases(t, []itemCase{
		{name: "devolves the whole item to a district", given: []Event{listed}, when: del(DelegateItem{To: district}),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", To: "370211", Mode: ModeDevolve, Change: c24}}},
		{name: "entrusts one sub-item until a date", given: []Event{listed},
			when: del(DelegateItem{To: district, Mode: ModeEntrust, Scope: []string{"00016421300Y-001"}, EffectiveUntil: d2025}),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", To: "370211", Mode: ModeEntrust,
				Scope: []string{"00016421300Y-001"}, EffectiveUntil: d2025, Change: c24}}},
		{name: "empowers a zone", given: []Event{listed}, when: del(DelegateItem{To: zone, Mode: ModeEmpower}),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", To: "Z01", Mode: ModeEmpower, Change: c24}}},
		{name: "revoked item cannot be delegated", given: []Event{listed, revoked}, when: del(DelegateItem{To: district}), err: CodeItemRevoked},
		{name: "unknown item", when: del(DelegateItem{To: district}), err: CodeItemNotFound},
		{name: "unknown body", given: []Event{listed}, when: del(DelegateItem{To: BodyRef{Code: "999999"}}), err: CodeBodyNotFound},
		{name: "body outside the jurisdiction", given: []Event{listed},
			when: del(DelegateItem{To: district, Jurisdiction: "371600"}), err: CodeOutsideJurisdiction},
		{name: "unknown mode", given: []Event{listed}, when: del(DelegateItem{To: district, Mode: "GIFT"}), err: CodeInvalid},
		{name: "EMPOWER only to zones", given: []Event{listed}, when: del(DelegateItem{To: district, Mode: ModeEmpower}), err: CodeModeNotAllowed},
		{name: "a zone cannot receive DEVOLVE", given: []Event{listed}, when: del(DelegateItem{To: zone, Mode: ModeDevolve}), err: CodeModeNotAllowed},
		{name: "unknown sub-item", given: []Event{listed}, when: del(DelegateItem{To: district, Scope: []string{"nope"}}), err: CodeSubItemUnknown},
		{name: "ends before it begins", given: []Event{listed}, when: del(DelegateItem{To: district, EffectiveUntil: d2023}), err: CodeEffectiveDate},
		{name: "before the item is listed", given: []Event{listed},
			when: del(DelegateItem{To: district, Change: chg("x", MustDate("2022-06-01"))}), err: CodeEffectiveDate},
		{name: "no overlapping delegation to the same body", given: []Event{listed, toDist},
			when: del(DelegateItem{To: district, Scope: []string{"00016421300Y-001"}, Change: chg("x", d2025)}), err: CodeDelegationOverlap},
		{name: "same body again after the first one expires", given: []Event{listed,
			ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeDevolve, EffectiveUntil: d2024.AddDays(-1), Change: chg("x", d2023)}},
			when: del(DelegateItem{To: district}),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", To: "370211", Mode: ModeDevolve, Change: c24}}},
		{name: "a district passes its power on to its town", given: []Event{listed, toDist},
			when: del(DelegateItem{From: "370211", To: town, Change: chg("市北政发〔2024〕2号", d2025)}),
			then: []Event{ItemDelegated{ItemID: "i1", DelegationID: "dX", From: "370211", ParentDelegationID: "d1",
				To: "370211001", Mode: ModeDevolve, Change: chg("市北政发〔2024〕2号", d2025)}}},
		{name: "a town receives only from its own district", given: []Event{listed, toDist},
			when: del(DelegateItem{From: "370212", To: town}), err: CodeBodyHierarchy},
		{name: "the delegator must hold the power", given: []Event{listed},
			when: del(DelegateItem{From: "370211", To: town}), err: CodeDelegatorLacksPower},
		{name: "an entrusted power is not entrusted further", given: []Event{listed,
			ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeEntrust, Change: chg("x", d2023)}},
			when: del(DelegateItem{From: "370211", To: town, Mode: ModeEntrust}), err: CodeModeNotAllowed},
		{name: "a sub-delegation cannot outlast its source", given: []Event{listed,
			ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeDevolve, EffectiveUntil: d2025, Change: chg("x", d2023)}},
			when: del(DelegateItem{From: "370211", To: town}), err: CodeEffectiveDate},
	})
}

func TestAcceptAndWithdraw(t *testing.T) {
	acc := func(id, body string, from Date) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideAcceptDelegation(s, AcceptDelegation{DelegationID: id, Body: body, Change: chg("黄政字〔2024〕1号", from)})
		}
	}
	wd := func(id string, from Date) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideWithdrawDelegation(s, WithdrawDelegation{DelegationID: id, Change: chg("青政发〔2025〕2号", from)})
		}
	}
	accepted := DelegationAccepted{ItemID: "i1", DelegationID: "d1", Body: "370211", Change: chg("黄政字〔2024〕1号", d2024)}
	toTown := ItemDelegated{ItemID: "i1", DelegationID: "d2", From: "370211", ParentDelegationID: "d1", To: "370211001",
		Mode: ModeDevolve, Change: chg("x", d2024)}
	withdrawn := DelegationWithdrawn{ItemID: "i1", DelegationID: "d1", Change: chg("青政发〔2025〕2号", d2025)}
	runItemCases(t, []itemCase{
		{name: "the receiving body accepts", given: []Event{listed, toDist}, when: acc("d1", "370211", d2024), then: []Event{accepted}},
		{name: "only the receiving body accepts", given: []Event{listed, toDist}, when: acc("d1", "370212", d2024), err: CodeWrongBody},
		{name: "accepted once", given: []Event{listed, toDist, accepted}, when: acc("d1", "370211", d2024), err: CodeAlreadyAccepted},
		{name: "unknown delegation cannot be accepted", given: []Event{listed}, when: acc("d9", "370211", d2024), err: CodeDelegationNotFound},
		{name: "withdrawn delegation cannot be accepted", given: []Event{listed, toDist, withdrawn}, when: acc("d1", "370211", d2025), err: CodeDelegationNotActive},
		{name: "expired delegation cannot be accepted after its end", given: []Event{listed,
			ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeDevolve, EffectiveUntil: d2024, Change: chg("x", d2023)}},
			when: acc("d1", "370211", d2025), err: CodeEffectiveDate},
		{name: "revocation ended it", given: []Event{listed, toDist, revoked}, when: acc("d1", "370211", d2025), err: CodeItemRevoked},
		{name: "the delegator withdraws", given: []Event{listed, toDist}, when: wd("d1", d2025), then: []Event{withdrawn}},
		{name: "withdrawal ends what the district passed on", given: []Event{listed, toDist, toTown}, when: wd("d1", d2025),
			then: []Event{DelegationWithdrawn{ItemID: "i1", DelegationID: "d1", Ended: []string{"d2"}, Change: chg("青政发〔2025〕2号", d2025)}}},
		{name: "withdrawn once", given: []Event{listed, toDist, withdrawn}, when: wd("d1", d2025), err: CodeDelegationNotActive},
		{name: "not before it began", given: []Event{listed, toDist}, when: wd("d1", d2023), err: CodeEffectiveDate},
		{name: "unknown delegation cannot be withdrawn", given: []Event{listed}, when: wd("d1", d2025), err: CodeDelegationNotFound},
	})
}

func TestRevokeItem(t *testing.T) {
	rev := func(from Date) func(Item) ([]Event, error) {
		return func(s Item) ([]Event, error) {
			return DecideRevokeItem(s, RevokeItem{Change: chg("青政发〔2025〕9号", from)})
		}
	}
	expired := ItemDelegated{ItemID: "i1", DelegationID: "d0", To: "370212", Mode: ModeDevolve, EffectiveUntil: d2023.AddDays(10), Change: chg("x", d2023)}
	runItemCases(t, []itemCase{
		{name: "revoking ends running delegations only", given: []Event{listed, expired, toDist}, when: rev(d2025), then: []Event{revoked}},
		{name: "revoked once", given: []Event{listed, revoked}, when: rev(d2025), err: CodeItemRevoked},
		{name: "unknown item", when: rev(d2025), err: CodeItemNotFound},
		{name: "not before it was listed", given: []Event{listed}, when: rev(MustDate("2022-01-01")), err: CodeEffectiveDate},
	})
}

func TestDelegationRunsOn(t *testing.T) {
	var s Item
	for _, e := range []Event{listed, ItemDelegated{ItemID: "i1", DelegationID: "d1", To: "370211", Mode: ModeDevolve,
		EffectiveUntil: MustDate("2024-12-31"), Change: chg("x", d2024)}, DelegationWithdrawn{ItemID: "i1", DelegationID: "d1", Change: chg("y", MustDate("2024-07-01"))}} {
		s = EvolveItem(s, e)
	}
	d := s.Delegation("d1")
	require.False(t, d.RunsOn(MustDate("2023-12-31")))
	require.True(t, d.RunsOn(d2024))
	require.True(t, d.RunsOn(MustDate("2024-06-30")))
	require.False(t, d.RunsOn(MustDate("2024-07-01")))
}
