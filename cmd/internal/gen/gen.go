// Package gen generates a large, realistic event log for benchmarks: a
// city-sized catalogue with thousands of items, hundreds of bodies and
// about a million events in the mix the real world produces (delegations
// to every district, pass-ons to towns, acceptances, withdrawals,
// amendments, a few revocations).
//
// Every event is decided by the domain's own rules against the item's
// evolving state, so the log is one the ledger could have written; only the
// appends are batched (many commands' events per append) so that a million
// events take seconds, not the hours one fsync per command would.
package gen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/catalogue/catalogue/cmd/internal/demo"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/ledger"
)

// Config sizes the log.
type Config struct {
	Events  int // total events to write (approximately: never fewer)
	Items   int
	Bodies  int // at least the real divisions (≈260); the rest are synthetic towns
	Writers int // concurrent appenders
	Seed    uint64
}

// DefaultConfig is the reference log: 1,000,000 events, 5,000
// items, 500 bodies.
var DefaultConfig = Config{Events: 1_000_000, Items: 5000, Bodies: 500, Writers: 8, Seed: 1}

// Progress is told the number of events written so far.
type Progress func(written, total int)

const actor = "gen:benchmark"

func chg(basis, date string) domain.Change {
	return domain.Change{Basis: basis, Reason: "基准测试数据", EffectiveFrom: domain.MustDate(date)}
}

// Generate writes the log into store, which should be empty.
func Generate(ctx context.Context, store eventstore.Store, cfg Config, progress Progress) error {
	if progress == nil {
		progress = func(int, int) {}
	}
	l := ledger.New(store)
	bodies, err := registerBodies(ctx, l, cfg)
	if err != nil {
		return err
	}
	var written atomic.Int64
	written.Store(int64(len(bodies.refs)))
	// Each item: 2 events to list it (code reservation + listing), the rest
	// its life.
	perItem := max((cfg.Events-len(bodies.refs)+cfg.Items-1)/max(cfg.Items, 1), 3) // round up: never fewer than asked
	items := make(chan int)
	errs := make(chan error, cfg.Writers)
	var wg sync.WaitGroup
	for range max(cfg.Writers, 1) {
		wg.Go(func() {
			for i := range items {
				n, err := generateItem(ctx, store, l, bodies, cfg.Seed, i, perItem)
				if err != nil {
					errs <- err
					return
				}
				progress(int(written.Add(int64(n))), cfg.Events)
			}
		})
	}
	var ferr error
feed:
	for i := range cfg.Items {
		select {
		case items <- i:
		case ferr = <-errs:
			break feed
		case <-ctx.Done():
			ferr = ctx.Err()
			break feed
		}
	}
	close(items)
	wg.Wait()
	close(errs)
	if ferr == nil {
		ferr = <-errs
	}
	return ferr
}

// bodyset is the registered bodies as the rules see them.
type bodyset struct {
	refs      map[string]domain.BodyRef
	districts []string
	zones     []string
	towns     map[string][]string // by district
}

func registerBodies(ctx context.Context, l *ledger.Ledger, cfg Config) (*bodyset, error) {
	list, err := demo.Bodies()
	if err != nil {
		return nil, err
	}
	var districts []importer.Body
	for _, b := range list {
		if b.Kind == domain.KindDistrict {
			districts = append(districts, b)
		}
	}
	for n := 0; len(list) < cfg.Bodies; n++ {
		d := districts[n%len(districts)]
		list = append(list, importer.Body{Code: fmt.Sprintf("%s9%02d", d.Code, n/len(districts)),
			Name: fmt.Sprintf("%s新设第%d街道", d.Name, n/len(districts)+1), Kind: domain.KindTownship, Parent: d.Code})
	}
	if _, err := importer.Bodies(ctx, l, list, importer.Options{Basis: "基准测试区划", Effective: domain.MustDate("2020-01-01"), Actor: actor}, nil); err != nil {
		return nil, fmt.Errorf("register bodies: %w", err)
	}
	set := &bodyset{refs: map[string]domain.BodyRef{}, towns: map[string][]string{}}
	for _, b := range list {
		ref, err := l.BodyRef(ctx, b.Code)
		if err != nil {
			return nil, err
		}
		set.refs[b.Code] = ref
		switch b.Kind {
		case domain.KindDistrict:
			set.districts = append(set.districts, b.Code)
		case domain.KindZone:
			set.zones = append(set.zones, b.Code)
		case domain.KindTownship:
			set.towns[b.Parent] = append(set.towns[b.Parent], b.Code)
		}
	}
	return set, nil
}

// itemRun decides one item's life and appends it in chunks.
type itemRun struct {
	store   eventstore.Store
	stream  string
	id      string
	state   domain.Item
	version uint64
	pending []eventstore.EventData
	cmd     int
	item    int
	written int
	now     time.Time
}

const chunk = 128

func (r *itemRun) do(ctx context.Context, events []domain.Event, err error) error {
	if err != nil {
		return nil // a command the rules refuse is simply not part of the log
	}
	r.cmd++
	data, err := ledger.Envelope(ledger.Request{CommandID: fmt.Sprintf("gen:%d:%d", r.item, r.cmd), By: domain.Actor{Name: actor, Role: domain.RoleLegalOfficer}}, r.stream, events, r.now)
	if err != nil {
		return err
	}
	for _, e := range events {
		r.state = domain.EvolveItem(r.state, e)
	}
	r.pending = append(r.pending, data...)
	if len(r.pending) >= chunk {
		return r.flush(ctx)
	}
	return nil
}

func (r *itemRun) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	if _, err := r.store.Append(ctx, r.stream, eventstore.ExpectedFor(r.version), r.pending); err != nil {
		return fmt.Errorf("append to %s: %w", r.stream, err)
	}
	r.version += uint64(len(r.pending))
	r.written += len(r.pending)
	r.pending = r.pending[:0]
	return nil
}

func generateItem(ctx context.Context, store eventstore.Store, l *ledger.Ledger, bodies *bodyset, seed uint64, i, budget int) (int, error) {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	code := fmt.Sprintf("GEN%06d", i)
	subs := []domain.SubItem{{Code: code + "-01", Name: fmt.Sprintf("第%d项许可（新办）", i)}, {Code: code + "-02", Name: fmt.Sprintf("第%d项许可（变更）", i)}}
	res, err := l.ListItem(ctx, ledger.Request{CommandID: fmt.Sprintf("gen:list:%d", i), By: domain.Actor{Name: actor, Role: domain.RoleLegalOfficer}}, domain.ListItem{
		ItemFacts: domain.ItemFacts{Code: code, Name: fmt.Sprintf("第%d项行政许可事项", i), Department: "市行政审批服务局",
			Authority: "市行政审批服务局", LegalBasis: "《中华人民共和国行政许可法》", Level: domain.LevelMunicipal, SubItems: subs},
		Change: chg("青政发〔2023〕5号", "2023-03-01")})
	if err != nil {
		return 0, err
	}
	r := &itemRun{store: store, stream: res.Stream, id: res.ID, version: res.Revision + 1, item: i, written: 2, now: time.Now()}
	events, err := store.ReadStream(ctx, res.Stream, 0)
	if err != nil {
		return 0, err
	}
	for _, e := range events {
		de, err := domain.Decode(e.Type, e.Data)
		if err != nil {
			return 0, err
		}
		r.state = domain.EvolveItem(r.state, de)
	}
	left := func() bool { return r.written+len(r.pending) < budget }
	delegate := func(from, to string, mode domain.Mode, date string) error {
		c := domain.DelegateItem{DelegationID: ledger.DerivedID(fmt.Sprintf("gen:%d:%d", i, r.cmd+1), "delegation"),
			From: from, To: bodies.refs[to], Mode: mode, Change: chg("青政发〔2023〕12号", date)}
		if rng.IntN(4) == 0 {
			c.Scope = []string{subs[rng.IntN(len(subs))].Code}
		}
		ev, err := domain.DecideDelegateItem(r.state, c)
		return r.do(ctx, ev, err)
	}
	accept := func(d *domain.Delegation, date string) error {
		ev, err := domain.DecideAcceptDelegation(r.state, domain.AcceptDelegation{DelegationID: d.ID, Body: d.To, Change: chg("承接〔2023〕1号", date)})
		return r.do(ctx, ev, err)
	}
	// Rounds until the budget is spent: each round hands the item to every
	// district and a zone, the districts pass it on to towns, most accept,
	// some are withdrawn, and the item is amended.
	for round := 0; left() && round < 50; round++ {
		year := 2023 + round
		date := func(md string) string { return fmt.Sprintf("%04d-%s", year, md) }
		for _, d := range bodies.districts {
			if !left() {
				break
			}
			mode := domain.ModeDevolve
			if rng.IntN(5) == 0 {
				mode = domain.ModeEntrust
			}
			if err := delegate("", d, mode, date("02-01")); err != nil {
				return 0, err
			}
		}
		if len(bodies.zones) > 0 && left() {
			if err := delegate("", bodies.zones[rng.IntN(len(bodies.zones))], domain.ModeEmpower, date("02-01")); err != nil {
				return 0, err
			}
		}
		for _, d := range r.state.Delegations {
			if left() && !d.Accepted && !d.Ended() && rng.IntN(100) < 85 {
				if err := accept(d, date("03-01")); err != nil {
					return 0, err
				}
			}
		}
		for _, d := range bodies.districts {
			towns := bodies.towns[d]
			for k := 0; k < 4 && left() && len(towns) > 0; k++ {
				if err := delegate(d, towns[rng.IntN(len(towns))], domain.ModeDevolve, date("04-01")); err != nil {
					return 0, err
				}
			}
		}
		for _, d := range r.state.Delegations {
			if left() && d.From != "" && !d.Accepted && !d.Ended() && rng.IntN(100) < 85 {
				if err := accept(d, date("05-01")); err != nil {
					return 0, err
				}
			}
		}
		for _, d := range r.state.Delegations {
			if left() && d.From == "" && !d.Ended() && rng.IntN(100) < 10 {
				ev, err := domain.DecideWithdrawDelegation(r.state, domain.WithdrawDelegation{DelegationID: d.ID, Change: chg("青政发〔2024〕15号", date("09-01"))})
				if err := r.do(ctx, ev, err); err != nil {
					return 0, err
				}
			}
		}
		for k := 0; k < 2 && left(); k++ {
			name := fmt.Sprintf("第%d项行政许可事项（%d年第%d次调整）", i, year, k+1)
			ev, err := domain.DecideAmendItem(r.state, domain.AmendItem{Name: &name, Change: chg("青政办字〔2024〕3号", date("10-01"))})
			if err := r.do(ctx, ev, err); err != nil {
				return 0, err
			}
		}
		// Close the round: every delegation of this round ends so the next
		// round may hand the item out again without overlapping.
		for _, d := range r.state.Delegations {
			if left() && d.From == "" && !d.Ended() {
				ev, err := domain.DecideWithdrawDelegation(r.state, domain.WithdrawDelegation{DelegationID: d.ID, Change: chg("青政发〔2024〕16号", date("12-31"))})
				if err := r.do(ctx, ev, err); err != nil {
					return 0, err
				}
			}
		}
	}
	if i%100 == 7 {
		ev, err := domain.DecideRevokeItem(r.state, domain.RevokeItem{Change: chg("国发〔2025〕8号", "2030-01-01")})
		if err := r.do(ctx, ev, err); err != nil {
			return 0, err
		}
	}
	if err := r.flush(ctx); err != nil {
		return 0, err
	}
	return r.written, nil
}
