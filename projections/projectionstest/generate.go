package projectionstest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// Shape sizes a generated catalogue: one city with its districts, each with
// its towns, and functional zones.
type Shape struct {
	Items            int
	Districts        int
	TownsPerDistrict int
	Zones            int
	Seed             uint64
}

// CityShape is a city-scale catalogue of about 200,000 events: 7,500 items,
// each delegated to most of ten districts (and some of three zones), most
// delegations accepted, a third of the districts' powers passed on to their
// towns, amendments, withdrawals, revocations, three editions and
// two drafts, one discarded. That is
// the mix of a city that keeps a few years of dynamic management
// (DOMAIN.md, "Real numbers").
var CityShape = Shape{Items: 7500, Districts: 10, TownsPerDistrict: 10, Zones: 3, Seed: 1}

// Generate records a catalogue of the given shape into log and returns the
// number of events written. Every change is decided by the domain's own
// decide functions on states kept in memory, so the events are the ones
// the ledger would record, with the ledger's ids and metadata; but nothing
// is read back, which makes a log of hundreds of thousands of events a
// matter of seconds (benchmarks need one).
func Generate(ctx context.Context, log eventstore.Store, shape Shape) (int, error) {
	g := &generator{ctx: ctx, log: log, rng: rand.New(rand.NewPCG(shape.Seed, 1)),
		clock: time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC)}
	if err := g.bodies(shape); err != nil {
		return g.events, err
	}
	editions := map[int]string{shape.Items / 3: "2023年版", 2 * shape.Items / 3: "2024年版", shape.Items - 1: "2025年版"}
	for i := range shape.Items {
		if err := g.item(i); err != nil {
			return g.events, fmt.Errorf("generate item %d: %w", i, err)
		}
		if name, ok := editions[i]; ok {
			evs, err := domain.DecidePublishEdition(domain.Edition{}, domain.PublishEdition{Name: name, Change: g.change(g.date())})
			if err != nil {
				return g.events, err
			}
			if _, err := g.record(domain.EditionStream(name), 0, evs); err != nil {
				return g.events, err
			}
		}
		if err := g.drafts(i, shape.Items); err != nil {
			return g.events, err
		}
	}
	return g.events, nil
}

// drafts records the drafts due after item i of n: a draft of the 2024
// edition opened after the first third's items and discarded halfway,
// when a second one is opened that stays open.
func (g *generator) drafts(i, n int) error {
	const first, second = "2024年版（草案）", "2024年版（草案二）"
	switch i {
	case n / 6:
		return g.draft(first, func(d domain.Draft) ([]domain.Event, error) {
			return domain.DecideOpenDraft(d, domain.OpenDraft{Name: first, Reason: "按照“放管服”改革要求修订"})
		})
	case n / 2:
		if err := g.draft(first, func(d domain.Draft) ([]domain.Event, error) {
			return domain.DecideDiscardDraft(d, domain.DiscardDraft{Name: first, Reason: "另行起草"})
		}); err != nil {
			return err
		}
		return g.draft(second, func(d domain.Draft) ([]domain.Event, error) {
			return domain.DecideOpenDraft(d, domain.OpenDraft{Name: second})
		})
	}
	return nil
}

// draft decides a command on the draft named name and records its events.
func (g *generator) draft(name string, decide func(domain.Draft) ([]domain.Event, error)) error {
	if g.draftStates == nil {
		g.draftStates = map[string]*draftStream{}
	}
	st := g.draftStates[name]
	if st == nil {
		st = &draftStream{}
		g.draftStates[name] = st
	}
	evs, err := decide(st.draft)
	if err != nil {
		return fmt.Errorf("draft %s: %w", name, err)
	}
	if st.version, err = g.record(domain.DraftStream(name), st.version, evs); err != nil {
		return err
	}
	for _, e := range evs {
		st.draft = domain.EvolveDraft(st.draft, e)
	}
	return nil
}

// draftStream is a draft's decided state and its stream's version.
type draftStream struct {
	draft   domain.Draft
	version uint64
}

type generator struct {
	ctx    context.Context
	log    eventstore.Store
	rng    *rand.Rand
	clock  time.Time
	n      int // commands recorded
	events int

	districts []domain.BodyRef
	towns     map[string][]domain.BodyRef // by district code
	zones     []domain.BodyRef

	draftStates map[string]*draftStream // by name
}

const city = "370200"

func (g *generator) bodies(shape Shape) error {
	register := func(code, name string, kind domain.BodyKind, parent *domain.Body) (domain.Body, error) {
		c := domain.RegisterBody{Code: code, Name: name, Kind: kind, Change: domain.Change{Basis: "青政发〔2013〕1号", EffectiveFrom: domain.MustDate("2013-01-01")}}
		var p domain.Body
		if parent != nil {
			c.Parent, p = parent.Code, *parent
		}
		evs, err := domain.DecideRegisterBody(domain.Body{}, p, c)
		if err != nil {
			return domain.Body{}, err
		}
		if _, err := g.record(domain.BodyStream(code), 0, evs); err != nil {
			return domain.Body{}, err
		}
		return domain.EvolveBody(domain.Body{}, evs[0]), nil
	}
	prov, err := register("370000", "山东省", domain.KindProvince, nil)
	if err != nil {
		return err
	}
	c, err := register(city, "青岛市", domain.KindCity, &prov)
	if err != nil {
		return err
	}
	g.towns = map[string][]domain.BodyRef{}
	for i := range shape.Districts {
		code := fmt.Sprintf("3702%02d", 11+i)
		dist, err := register(code, fmt.Sprintf("第%d区", i+1), domain.KindDistrict, &c)
		if err != nil {
			return err
		}
		g.districts = append(g.districts, domain.BodyRef{Code: code, Known: true, Kind: domain.KindDistrict, Ancestors: []string{city, "370000"}})
		for j := range shape.TownsPerDistrict {
			tc := fmt.Sprintf("%s%03d", code, j+1)
			if _, err := register(tc, fmt.Sprintf("第%d区第%d街道", i+1, j+1), domain.KindTownship, &dist); err != nil {
				return err
			}
			g.towns[code] = append(g.towns[code], domain.BodyRef{Code: tc, Known: true, Kind: domain.KindTownship, Ancestors: []string{code, city, "370000"}})
		}
	}
	for i := range shape.Zones {
		code := fmt.Sprintf("%s-Z%02d", city, i+1)
		if _, err := register(code, fmt.Sprintf("第%d功能区", i+1), domain.KindZone, &c); err != nil {
			return err
		}
		g.zones = append(g.zones, domain.BodyRef{Code: code, Known: true, Kind: domain.KindZone, Ancestors: []string{city, "370000"}})
	}
	return nil
}

var (
	subjects = []string{"林木采伐", "建设工程规划", "食品经营", "药品零售", "燃气经营", "道路货物运输经营", "排污", "取水",
		"医疗机构执业", "民办学校办学", "人力资源服务", "出版物零售", "特种设备使用", "娱乐场所经营", "危险化学品经营", "生猪定点屠宰"}
	acts  = []string{"许可证核发", "许可", "审批", "登记", "备案审核"}
	depts = []string{"市自然资源和规划局", "市市场监督管理局", "市交通运输局", "市生态环境局", "市水务管理局",
		"市卫生健康委员会", "市教育局", "市人力资源和社会保障局", "市文化和旅游局", "市应急管理局"}
	laws = []string{"森林法", "城乡规划法", "食品安全法", "药品管理法", "水法", "环境保护法", "教育法", "安全生产法"}
)

func (g *generator) date() domain.Date {
	return domain.MustDate("2023-01-01").AddDays(g.rng.IntN(3 * 365))
}

func (g *generator) change(from domain.Date) domain.Change {
	return domain.Change{Basis: fmt.Sprintf("青政发〔%d〕%d号", from.Year, 1+g.rng.IntN(60)),
		Reason: "根据“放管服”改革要求，依法调整行政许可事项", EffectiveFrom: from}
}

func (g *generator) item(i int) error {
	code := fmt.Sprintf("%011dY", 10000000+i)
	subject, dept, law := subjects[i%len(subjects)], depts[g.rng.IntN(len(depts))], laws[g.rng.IntN(len(laws))]
	facts := domain.ItemFacts{Code: code, Name: fmt.Sprintf("%s%s（第%d项）", subject, acts[i%len(acts)], i+1),
		Department: dept, Authority: "市行政审批服务局", Level: domain.LevelMunicipal,
		LegalBasis: strings.Repeat(fmt.Sprintf("《中华人民共和国%s》第%d条：从事相关活动应当依法取得许可，并按照许可规定的范围实施。", law, 10+g.rng.IntN(80)), 2)}
	for j := range 1 + g.rng.IntN(3) {
		facts.SubItems = append(facts.SubItems, domain.SubItem{Code: fmt.Sprintf("%s-%03d", code, j+1), Name: fmt.Sprintf("%s（情形%d）", facts.Name, j+1)})
	}
	id := ledger.DerivedID(fmt.Sprint("gen-item-", i), "item")
	st := &itemStream{}
	listed := domain.MustDate("2023-01-01").AddDays(g.rng.IntN(180))
	listing := domain.ListItem{ItemID: id, ItemFacts: facts, Change: g.change(listed)}
	// As the ledger lists: the reservation carries the listing.
	decided, err := domain.DecideListItem(domain.Item{}, listing)
	if err != nil {
		return err
	}
	listedEvent := decided[0].(domain.ItemListed)
	if _, err := g.record(domain.ItemCodeStream(code), 0, []domain.Event{domain.ItemCodeReserved{Code: code, ItemID: id, Listing: &listedEvent}}); err != nil {
		return err
	}
	if err := g.decide(st, id, func(s domain.Item) ([]domain.Event, error) { return domain.DecideListItem(s, listing) }); err != nil {
		return err
	}
	delegate := func(from string, to domain.BodyRef, mode domain.Mode, after domain.Date) (*domain.Delegation, error) {
		c := g.change(after.AddDays(g.rng.IntN(400)))
		did := ledger.DerivedID(fmt.Sprint("gen-", g.n), "delegation")
		err := g.decide(st, id, func(s domain.Item) ([]domain.Event, error) {
			return domain.DecideDelegateItem(s, domain.DelegateItem{DelegationID: did, From: from, To: to, Mode: mode, Jurisdiction: city, Change: c})
		})
		if err != nil || g.rng.Float64() >= 0.8 {
			return st.item.Delegation(did), err
		}
		return st.item.Delegation(did), g.decide(st, id, func(s domain.Item) ([]domain.Event, error) {
			return domain.DecideAcceptDelegation(s, domain.AcceptDelegation{DelegationID: did, Body: to.Code, Change: g.change(c.EffectiveFrom.AddDays(g.rng.IntN(30)))})
		})
	}
	for _, dist := range g.districts {
		if g.rng.Float64() >= 0.9 {
			continue
		}
		mode := domain.ModeDevolve
		if g.rng.Float64() < 0.3 {
			mode = domain.ModeEntrust
		}
		dl, err := delegate("", dist, mode, listed)
		if err != nil {
			return err
		}
		if mode == domain.ModeDevolve && g.rng.Float64() < 0.3 {
			towns := g.towns[dist.Code]
			for _, k := range g.rng.Perm(len(towns))[:min(len(towns), 1+g.rng.IntN(3))] {
				if _, err := delegate(dist.Code, towns[k], domain.ModeDevolve, dl.EffectiveFrom); err != nil {
					return err
				}
			}
		}
	}
	for _, z := range g.zones {
		if g.rng.Float64() < 0.3 {
			if _, err := delegate("", z, domain.ModeEmpower, listed); err != nil {
				return err
			}
		}
	}
	if g.rng.Float64() < 0.5 { // an amendment, now and then retroactive
		name := facts.Name + "（调整）"
		if err := g.decide(st, id, func(s domain.Item) ([]domain.Event, error) {
			return domain.DecideAmendItem(s, domain.AmendItem{Name: &name, Change: g.change(g.date())})
		}); err != nil {
			return err
		}
	}
	for _, dl := range st.item.Delegations {
		if dl.Parent == "" && !dl.Ended() && g.rng.Float64() < 0.05 {
			if err := g.decide(st, id, func(s domain.Item) ([]domain.Event, error) {
				return domain.DecideWithdrawDelegation(s, domain.WithdrawDelegation{DelegationID: dl.ID, Change: g.change(dl.EffectiveFrom.AddDays(1 + g.rng.IntN(200)))})
			}); err != nil {
				return err
			}
		}
	}
	if g.rng.Float64() < 0.03 {
		return g.decide(st, id, func(s domain.Item) ([]domain.Event, error) {
			return domain.DecideRevokeItem(s, domain.RevokeItem{Change: g.change(listed.AddDays(500 + g.rng.IntN(300)))})
		})
	}
	return nil
}

// itemStream is an item's decided state and its stream's version.
type itemStream struct {
	item    domain.Item
	version uint64
}

// decide runs one command on an item and records its events; a refusal by
// a rule (a random date that does not fit) records nothing and is no error.
func (g *generator) decide(st *itemStream, id string, decide func(domain.Item) ([]domain.Event, error)) error {
	evs, err := decide(st.item)
	if domain.ErrorCode(err) != "" {
		return nil
	}
	if err != nil {
		return err
	}
	if st.version, err = g.record(domain.ItemStream(id), st.version, evs); err != nil {
		return err
	}
	for _, e := range evs {
		st.item = domain.EvolveItem(st.item, e)
	}
	return nil
}

// record appends one command's events to a stream at version, as the
// ledger would, and returns the stream's new version.
func (g *generator) record(stream string, version uint64, evs []domain.Event) (uint64, error) {
	g.n++
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(600)) * time.Second)
	cmd := fmt.Sprintf("gen-%d", g.n)
	meta, err := json.Marshal(eventstore.Metadata{Actor: "generator:法制科", CommandID: cmd, RecordedAt: g.clock})
	if err != nil {
		return 0, err
	}
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		typ, body, err := domain.Encode(e)
		if err != nil {
			return 0, err
		}
		data[i] = eventstore.EventData{ID: eventstore.EventID(cmd, stream, i), Type: typ, Data: body, Metadata: meta}
	}
	if _, err := g.log.Append(g.ctx, stream, eventstore.ExpectedFor(version), data); err != nil {
		return 0, err
	}
	g.events += len(evs)
	return version + uint64(len(evs)), nil
}
