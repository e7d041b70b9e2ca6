package projectionstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// Actors of the scenario: most changes are recorded by one legal officer,
// amendments and revocations by another, so the audit log can be filtered
// by actor.
const (
	officer  = "officer:张三"
	reviewer = "officer:李四"
)

// The scenario's item codes and names.
const (
	codeForest   = "00016421300Y"
	codePlanning = "00012345600Y"
	codeFood     = "00011111100Y"
	codeGrass    = "00033333300Y"
	codeGas      = "00022222200Y"

	nameForest        = "林木采伐许可证核发"
	nameForestAmended = "林木采伐许可证核发（含更新采伐）"
	subForestNew      = "林木采伐许可证核发（新办）"
	deptNature        = "市自然资源和规划局"
	deptApproval      = "市行政审批服务局"

	edition2023   = "2023年版"
	edition2025   = "2025年版"
	draft2024     = "2024年版（草案）"
	draft2025     = "2025年版（草案）"
	draftReason   = "按照“放管服”改革要求修订清单"
	discardReason = "并入2025年版（草案）"

	fillerCount = 24
	fillersTo   = 12 // fillers delegated to 崂山区
)

var fillerDepts = []string{"市交通运输局", "市卫生健康委员会", "市教育局"}

func fillerCode(i int) string { return fmt.Sprintf("F%03d", i) }

// mark is a point of the scenario: the last position recorded then, and
// the time the scenario's clock showed.
type mark struct {
	pos eventstore.Position
	at  time.Time
}

// scenario is a small but complete catalogue recorded through the ledger:
// bodies from province to town, items listed, amended (once
// retroactively), revoked and listed again under the same code,
// delegations in every mode including a district's to its town, a
// future-dated one, acceptances, a withdrawal, an expiry, two editions,
// and two drafts, one discarded.
type scenario struct {
	t      testing.TB
	log    eventstore.Store
	clock  *clock
	ledger *ledger.Ledger
	n      int

	items       map[string]string // code (or code+"-2" for the relisting) → item id
	delegations map[string]string // name → delegation id
	marks       map[string]mark
	last        eventstore.Position
	ours        int // events recorded (all in our streams)
}

func d(s string) domain.Date { return domain.MustDate(s) }

func (sc *scenario) req(actor string) ledger.Request {
	sc.n++
	return ledger.Request{CommandID: fmt.Sprintf("scenario-%03d", sc.n), By: domain.Actor{Name: actor, Role: domain.RoleLegalOfficer}}
}

func chg(basis, from string) domain.Change {
	return domain.Change{Basis: basis, Reason: "依法调整（“证照分离”改革）", EffectiveFrom: d(from)}
}

func (sc *scenario) step(res ledger.Result, err error) ledger.Result {
	sc.t.Helper()
	if err != nil {
		sc.t.Fatalf("scenario step %d: %v", sc.n, err)
	}
	sc.last = res.Position
	return res
}

func (sc *scenario) mark(name string) {
	sc.marks[name] = mark{pos: sc.last, at: sc.clock.peek()}
}

func newScenario(t testing.TB) *scenario {
	ctx := context.Background()
	base := memory.New()
	t.Cleanup(func() { base.Close() })
	clk := &clock{t: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}
	log := scenarioLog{base}
	sc := &scenario{t: t, log: log, clock: clk, ledger: ledger.New(log, ledger.WithJurisdiction("370200"), ledger.WithClock(clk.now)),
		items: map[string]string{}, delegations: map[string]string{}, marks: map[string]mark{}}
	l := sc.ledger
	sc.mark("start")

	for _, b := range []struct {
		code, name string
		kind       domain.BodyKind
		parent     string
	}{
		{"370000", "山东省", domain.KindProvince, ""},
		{"370200", "青岛市", domain.KindCity, "370000"},
		{"370211", "黄岛区", domain.KindDistrict, "370200"},
		{"370212", "崂山区", domain.KindDistrict, "370200"},
		{"370211001", "黄岛街道", domain.KindTownship, "370211"},
		{"370211002", "辛安街道", domain.KindTownship, "370211"},
		{"370200-Z01", "青岛中德生态园", domain.KindZone, "370211"},
	} {
		sc.step(l.RegisterBody(ctx, sc.req(officer), domain.RegisterBody{Code: b.code, Name: b.name, Kind: b.kind, Parent: b.parent, Change: chg("青政发〔2013〕1号", "2013-01-01")}))
	}
	sc.mark("bodies")

	list := func(key string, f domain.ItemFacts, from string) {
		res := sc.step(l.ListItem(ctx, sc.req(officer), domain.ListItem{ItemFacts: f, Change: chg("青政发〔2023〕1号", from)}))
		sc.items[key] = res.ID
	}
	list(codeForest, domain.ItemFacts{Code: codeForest, Name: nameForest, Department: deptNature, Authority: deptApproval,
		LegalBasis: "《中华人民共和国森林法》第五十六条", Level: domain.LevelMunicipal,
		SubItems: []domain.SubItem{{Code: codeForest + "-001", Name: subForestNew}, {Code: codeForest + "-002", Name: "林木采伐许可证核发（延续）"}}}, "2023-01-01")
	list(codePlanning, domain.ItemFacts{Code: codePlanning, Name: "建设工程规划许可证核发", Department: deptNature,
		Authority: deptNature, LegalBasis: "《中华人民共和国城乡规划法》第四十条", Level: domain.LevelMunicipal}, "2023-01-01")
	list(codeFood, domain.ItemFacts{Code: codeFood, Name: "食品经营许可", Department: "市市场监督管理局", Authority: "区市场监督管理局",
		LegalBasis: "《中华人民共和国食品安全法》第三十五条", Level: domain.LevelCounty,
		SubItems: []domain.SubItem{{Code: codeFood + "-001", Name: "食品经营许可（新办）"}}}, "2023-01-01")
	list(codeGrass, domain.ItemFacts{Code: codeGrass, Name: "临时占用草原审批", Department: "市农业农村局", Authority: "市农业农村局",
		LegalBasis: "《中华人民共和国草原法》第四十条", Level: domain.LevelMunicipal}, "2023-01-01")
	for i := 1; i <= fillerCount; i++ {
		list(fillerCode(i), domain.ItemFacts{Code: fillerCode(i), Name: fmt.Sprintf("第%d项许可事项", i), Department: fillerDepts[i%len(fillerDepts)],
			Authority: "区行政审批服务局", Level: domain.LevelCounty}, "2023-01-01")
	}
	sc.mark("listed")

	del := func(name, code string, c domain.DelegateItem) {
		res := sc.step(l.DelegateItem(ctx, sc.req(officer), sc.items[code], c))
		sc.delegations[name] = res.ID
	}
	accept := func(name, code, body, basis, from string) {
		sc.step(l.AcceptDelegation(ctx, sc.req(officer), sc.items[code],
			domain.AcceptDelegation{DelegationID: sc.delegations[name], Body: body, Change: chg(basis, from)}))
	}
	del("forest", codeForest, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2023〕7号", "2023-03-01")})
	accept("forest", codeForest, "370211", "黄政字〔2023〕2号", "2023-03-15")
	del("town", codeForest, domain.DelegateItem{From: "370211", To: domain.BodyRef{Code: "370211001"}, Mode: domain.ModeDevolve,
		Scope: []string{codeForest + "-001"}, Change: chg("黄政发〔2023〕9号", "2023-05-01")})
	del("food", codeFood, domain.DelegateItem{To: domain.BodyRef{Code: "370212"}, Mode: domain.ModeEntrust,
		EffectiveUntil: d("2023-12-31"), Change: chg("青政发〔2023〕8号", "2023-02-01")})
	accept("food", codeFood, "370212", "崂政字〔2023〕1号", "2023-02-10")
	del("grass", codeGrass, domain.DelegateItem{To: domain.BodyRef{Code: "370211"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2023〕7号", "2023-02-01")})
	for i := 1; i <= fillersTo; i++ {
		del(fillerCode(i), fillerCode(i), domain.DelegateItem{To: domain.BodyRef{Code: "370212"}, Mode: domain.ModeDevolve, Change: chg("青政发〔2023〕12号", "2023-04-01")})
	}
	sc.mark("delegated")

	sc.step(l.PublishEdition(ctx, sc.req(officer), domain.PublishEdition{Name: edition2023, Change: chg("青政办发〔2023〕30号", "2023-12-31")}))
	sc.mark("edition2023")
	sc.step(l.OpenDraft(ctx, sc.req(officer), domain.OpenDraft{Name: draft2024, Reason: draftReason}))
	sc.mark("draftOpened")

	// Recorded after the 2023 edition, effective before it: the edition and
	// anyone reading as of an earlier position keep the old department.
	dept := deptApproval
	sc.step(l.AmendItem(ctx, sc.req(reviewer), sc.items[codePlanning], domain.AmendItem{Department: &dept, Change: chg("青政发〔2024〕2号", "2023-06-01")}))
	sc.mark("retroactive")

	name := nameForestAmended
	sc.step(l.AmendItem(ctx, sc.req(reviewer), sc.items[codeForest], domain.AmendItem{Name: &name, Change: chg("青政发〔2023〕40号", "2024-01-01")}))
	sc.step(l.RevokeItem(ctx, sc.req(reviewer), sc.items[codeGrass], domain.RevokeItem{Change: chg("国发〔2023〕10号", "2024-01-01")}))
	sc.mark("revoked")
	list(codeGrass+"-2", domain.ItemFacts{Code: codeGrass, Name: "临时占用草原审批（新）", Department: "市农业农村局", Authority: "市农业农村局",
		Level: domain.LevelMunicipal}, "2024-06-01")

	del("zone", codeFood, domain.DelegateItem{To: domain.BodyRef{Code: "370200-Z01"}, Mode: domain.ModeEmpower, Change: chg("青政发〔2025〕3号", "2026-01-01")})
	sc.mark("zoneDelegated")
	sc.step(l.WithdrawDelegation(ctx, sc.req(officer), sc.items[codeForest], domain.WithdrawDelegation{DelegationID: sc.delegations["forest"],
		Change: chg("青政发〔2024〕8号", "2024-07-01")}))
	sc.mark("withdrawn")
	sc.step(l.DiscardDraft(ctx, sc.req(officer), domain.DiscardDraft{Name: draft2024, Reason: discardReason}))
	sc.mark("draftDiscarded")
	sc.step(l.OpenDraft(ctx, sc.req(officer), domain.OpenDraft{Name: draft2025}))
	sc.mark("draft2025Opened")
	list(codeGas, domain.ItemFacts{Code: codeGas, Name: "燃气经营许可证核发", Department: "市住房和城乡建设局", Authority: "市住房和城乡建设局",
		Level: domain.LevelMunicipal}, "2025-01-01")
	accept("zone", codeFood, "370200-Z01", "中德生态园管委字〔2025〕1号", "2026-03-01")
	sc.mark("zoneAccepted")
	sc.step(l.PublishEdition(ctx, sc.req(officer), domain.PublishEdition{Name: edition2025, Change: chg("青政办发〔2025〕1号", "2025-01-01")}))
	sc.mark("end")

	last, err := log.LastPosition(ctx)
	if err != nil || last != sc.last {
		t.Fatalf("scenario: last position %d (%v), expected %d", last, err, sc.last)
	}
	sc.ours = int(last) // the memory log's positions are 1, 2, 3 … and every stream is ours
	return sc
}
