// Package demo records a realistic catalogue so that a newcomer sees a
// living ledger at once: Qingdao's districts, zones and towns, the 250 real
// items of a district catalogue, a few hundred delegations in every mode,
// acceptances, withdrawals, amendments (one retroactive), revocations with
// real-looking 文号, and two published editions.
//
// The data files are real public data (see data/README.md), embedded so the
// binary runs the demo anywhere. Every command id is fixed, so running the
// demo twice records nothing the second time.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/catalogue/catalogue/cmd/internal/divisions"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

//go:embed data/divisions.csv
var divisionsCSV []byte

//go:embed data/guangan-items.csv
var itemsCSV []byte

// Actor records the demo's changes.
const Actor = "demo:法制科"

// Jurisdiction is the demo catalogue's government: 青岛市.
const Jurisdiction = "370200"

// Progress reports a step of the demo.
type Progress func(step string, done, total int)

// Summary counts what the demo recorded.
type Summary struct {
	Bodies, Items, Delegations, Accepted, Withdrawn, Amended, Revoked, Editions int
	// Earlier is true when an earlier version of the demo is recorded in
	// the log already (and nothing was recorded).
	Earlier bool
}

// zones are functional zones (功能区) of Qingdao that the statistical
// division list does not carry; with the ones it does (开发区, 度假区 …)
// they receive powers by 赋权, not being administrative divisions.
var zones = []importer.Body{
	{Code: "370200-Z02", Name: "青岛中德生态园", Kind: domain.KindZone, Parent: "370211"},
	{Code: "370200-Z03", Name: "青岛胶州湾综合保税区", Kind: domain.KindZone, Parent: "370281"},
	{Code: "370200-Z04", Name: "青岛蓝谷", Kind: domain.KindZone, Parent: "370212"},
}

// Bodies returns the demo's bodies: the real divisions file plus the zones.
func Bodies() ([]importer.Body, error) {
	divs, err := divisions.Parse(bytes.NewReader(divisionsCSV))
	if err != nil {
		return nil, err
	}
	out := make([]importer.Body, 0, len(divs)+len(zones))
	for _, d := range divs {
		out = append(out, importer.Body{Line: d.Line, Code: d.Code, Name: d.Name, Kind: domain.BodyKind(d.Kind), Parent: d.ParentCode})
	}
	return append(out, zones...), nil
}

// Items returns the real district catalogue's items.
func Items() ([]itemsheet.Item, error) { return itemsheet.Parse(bytes.NewReader(itemsCSV)) }

type run struct {
	l        *ledger.Ledger
	rng      *rand.Rand
	n        int
	sum      Summary
	progress Progress
}

func (r *run) req() ledger.Request {
	r.n++
	return ledger.Request{CommandID: fmt.Sprintf("demo:%05d", r.n), By: domain.Actor{Name: Actor, Role: domain.RoleLegalOfficer}}
}

func chg(basis, reason, date string) domain.Change {
	return domain.Change{Basis: basis, Reason: reason, EffectiveFrom: domain.MustDate(date)}
}

// Run records the demo in l.
func Run(ctx context.Context, l *ledger.Ledger, progress Progress) (Summary, error) {
	r := &run{l: l, rng: rand.New(rand.NewPCG(2023, 5)), progress: progress}
	if progress == nil {
		r.progress = func(string, int, int) {}
	}
	bodies, err := Bodies()
	if err != nil {
		return r.sum, err
	}
	rep, err := importer.Bodies(ctx, l, bodies, importer.Options{Basis: "国家统计局2022年统计用区划代码", Effective: domain.MustDate("2022-10-31"),
		Actor: Actor, Reason: "登记行政区划和功能区"}, func(d, t int) { r.progress("bodies", d, t) })
	if err != nil {
		return r.sum, err
	}
	r.sum.Bodies = rep.Total
	items, err := Items()
	if err != nil {
		return r.sum, err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return r.sum, err
		}
		res, err := l.ListItem(ctx, r.req(), importer.Listing(it, domain.LevelCounty,
			chg("青政发〔2023〕5号", "青岛市人民政府关于公布青岛市行政许可事项清单（2023年版）的通知", "2023-03-01")))
		if i == 0 && domain.ErrorCode(err) == domain.CodeCommandIDReused {
			// The demo's first listing is recorded with other particulars:
			// an earlier version recorded the demo here (it copied 实施机关
			// into an empty 主管部门). The demo is there; record nothing.
			r.sum.Earlier = true
			return r.sum, nil
		}
		if err != nil {
			return r.sum, fmt.Errorf("list %s: %w", it.Code, err)
		}
		ids[i] = res.ID
		r.sum.Items++
		r.progress("items", i+1, len(items))
	}
	return r.sum, r.changes(ctx, bodies, items, ids)
}

// districts receive most delegations; towns receive from their district.
var districts = []string{"370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281", "370283", "370285"}

// docPrefix is the abbreviation each body's documents carry (黄政发…).
var docPrefix = map[string]string{"370202": "南", "370203": "北", "370211": "黄", "370212": "崂", "370213": "李",
	"370214": "城", "370215": "即", "370281": "胶", "370283": "平", "370285": "莱西",
	"370200-Z02": "中德园", "370200-Z03": "胶综保", "370200-Z04": "蓝谷", "370214400": "青高新", "370281400": "胶开"}

func (r *run) changes(ctx context.Context, bodies []importer.Body, items []itemsheet.Item, ids []string) error {
	type held struct {
		item, delegation, body string
		mode                   domain.Mode
	}
	var running []held
	steps := 0
	step := func(err error) error {
		steps++
		r.progress("changes", steps, 0)
		if err != nil {
			return err
		}
		return ctx.Err()
	}
	delegate := func(item int, c domain.DelegateItem) (ledger.Result, error) {
		res, err := r.l.DelegateItem(ctx, r.req(), ids[item], c)
		if err == nil {
			r.sum.Delegations++
			running = append(running, held{ids[item], res.ID, c.To.Code, c.Mode})
		}
		return res, err
	}
	order := r.rng.Perm(len(items))

	// 2023: the city hands 160 items down to districts (some only a
	// sub-item, some by entrustment), and grants 30 to zones.
	for k, i := range order[:160] {
		mode := domain.ModeDevolve
		basis := "青政发〔2023〕12号"
		if k%5 == 0 {
			mode, basis = domain.ModeEntrust, "青政字〔2023〕31号"
		}
		for _, d := range pick(r.rng, districts, 1+r.rng.IntN(3)) {
			c := domain.DelegateItem{To: domain.BodyRef{Code: d}, Mode: mode,
				Change: chg(basis, "深化“放管服”改革，将部分市级行政许可事项调整由区(市)实施", "2023-07-01")}
			if subs := items[i].SubItems; len(subs) > 1 && r.rng.IntN(3) == 0 {
				c.Scope = []string{subs[0].Code}
			}
			if _, err := delegate(i, c); step(err) != nil {
				return fmt.Errorf("delegate %s to %s: %w", items[i].Code, d, err)
			}
		}
	}
	var zoneCodes []string
	for _, b := range bodies {
		if b.Kind == domain.KindZone {
			zoneCodes = append(zoneCodes, b.Code)
		}
	}
	for k, i := range order[160:190] {
		z := zoneCodes[k%len(zoneCodes)]
		until := domain.Date{}
		if k%3 == 0 {
			until = domain.MustDate("2025-12-31")
		}
		c := domain.DelegateItem{To: domain.BodyRef{Code: z}, Mode: domain.ModeEmpower, EffectiveUntil: until,
			Change: chg("青政办发〔2023〕8号", "向功能区赋予部分市级经济社会管理权限", "2023-09-01")}
		if _, err := delegate(i, c); step(err) != nil {
			return err
		}
	}
	// Most bodies accept (承接) within weeks.
	for _, h := range running {
		if r.rng.IntN(10) < 8 {
			_, err := r.l.AcceptDelegation(ctx, r.req(), h.item, domain.AcceptDelegation{DelegationID: h.delegation, Body: h.body,
				Change: chg(fmt.Sprintf("%s政字〔2023〕%d号", doc(h.body), 1+r.rng.IntN(40)), "已完成人员、系统和业务交接", "2023-08-15")})
			if step(err) != nil {
				return err
			}
			r.sum.Accepted++
		}
	}
	if _, err := r.l.PublishEdition(ctx, r.req(), domain.PublishEdition{Name: "2023年版",
		Change: chg("青政发〔2023〕20号", "公布2023年版行政许可事项清单", "2023-10-01")}); step(err) != nil {
		return err
	}
	r.sum.Editions++

	// 2024: districts pass devolved powers on to their towns.
	towns := townsByDistrict(bodies)
	for _, h := range slices.Clone(running) {
		if h.mode != domain.ModeDevolve || len(towns[h.body]) == 0 || r.rng.IntN(4) != 0 {
			continue
		}
		c := domain.DelegateItem{From: h.body, To: domain.BodyRef{Code: towns[h.body][r.rng.IntN(len(towns[h.body]))]}, Mode: domain.ModeDevolve,
			Change: chg(doc(h.body)+"政发〔2024〕3号", "推动审批服务向镇街延伸", "2024-03-01")}
		_, err := r.l.DelegateItem(ctx, r.req(), h.item, c)
		if code := domain.ErrorCode(err); code == domain.CodeDelegatorLacksPower || code == domain.CodeDelegationOverlap {
			continue // the district holds only part of the item
		}
		if step(err) != nil {
			return err
		}
		r.sum.Delegations++
	}
	// Amendments: renamed departments after the 2024 institutional reform,
	// one recorded late with a retroactive effective date.
	for k, i := range order[190:210] {
		dept := items[i].Authority + "（行政审批服务局）"
		date := "2024-05-01"
		if k == 0 {
			date = "2023-05-01" // retroactive correction
		}
		_, err := r.l.AmendItem(ctx, r.req(), ids[i], domain.AmendItem{Department: &dept,
			Change: chg("青编发〔2024〕7号", "机构改革后主管部门调整", date)})
		if step(err) != nil {
			return err
		}
		r.sum.Amended++
	}
	// Withdrawals (收回): a dozen powers the districts could not exercise well.
	for _, h := range running[:len(running):len(running)] {
		if r.sum.Withdrawn >= 12 || r.rng.IntN(8) != 0 {
			continue
		}
		_, err := r.l.WithdrawDelegation(ctx, r.req(), h.item, domain.WithdrawDelegation{DelegationID: h.delegation,
			Change: chg("青政发〔2024〕15号", "承接能力不足，市级收回", "2024-07-01")})
		if domain.ErrorCode(err) == domain.CodeDelegationNotActive {
			continue
		}
		if step(err) != nil {
			return err
		}
		r.sum.Withdrawn++
	}
	// Revocations (取消): items whose legal basis was repealed.
	for _, i := range order[210:220] {
		_, err := r.l.RevokeItem(ctx, r.req(), ids[i], domain.RevokeItem{
			Change: chg("国发〔2024〕8号", "设定依据已废止，取消该行政许可事项", "2024-09-01")})
		if step(err) != nil {
			return err
		}
		r.sum.Revoked++
	}
	if _, err := r.l.PublishEdition(ctx, r.req(), domain.PublishEdition{Name: "2024年版",
		Change: chg("青政发〔2024〕21号", "公布2024年版行政许可事项清单", "2024-10-01")}); step(err) != nil {
		return err
	}
	r.sum.Editions++
	return nil
}

// doc returns the abbreviation of a body's documents.
func doc(code string) string {
	if p, ok := docPrefix[code]; ok {
		return p
	}
	if len(code) >= 6 {
		if p, ok := docPrefix[code[:6]]; ok {
			return p
		}
	}
	return "青"
}

func townsByDistrict(bodies []importer.Body) map[string][]string {
	out := map[string][]string{}
	for _, b := range bodies {
		if b.Kind == domain.KindTownship {
			out[b.Parent] = append(out[b.Parent], b.Code)
		}
	}
	return out
}

func pick(rng *rand.Rand, from []string, n int) []string {
	idx := rng.Perm(len(from))[:n]
	out := make([]string, n)
	for i, j := range idx {
		out[i] = from[j]
	}
	return out
}
