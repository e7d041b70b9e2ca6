package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

// TestSameAnswersAsMemory is the property test: a long random sequence of
// commands (projectionstest.Generate: listings, delegations down to towns,
// acceptances, retroactive amendments, withdrawals, revocations,
// editions, each decided by the domain) is projected into the memory store
// in one go and into PostgreSQL in batches of random sizes, and every query
// — on a grid of dates and log positions — must answer the same.
func TestSameAnswersAsMemory(t *testing.T) {
	needPostgres(t)
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			testSameAnswers(t, seed)
		})
	}
}

func testSameAnswers(t *testing.T, seed uint64) {
	log := eventmemory.New()
	defer log.Close()
	n, err := projectionstest.Generate(ctx, log, smallCity(seed))
	require.NoError(t, err)
	t.Logf("%d events", n)

	mem := memory.New()
	last, err := projections.Rebuild(ctx, log, mem)
	require.NoError(t, err)
	pg := newStore(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	envs := decodeAll(t, log)
	for i := 0; i < len(envs); {
		j := min(len(envs), i+1+rng.IntN(150))
		require.NoError(t, pg.Apply(ctx, envs[i:j]))
		i = j
	}
	cp, err := pg.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, last, cp)

	c := &comparer{t: t, mem: mem.Views(), pg: pg.Views()}
	positions := []eventstore.Position{0, last / 5, last / 2, last - 1 - eventstore.Position(rng.IntN(int(last/3)))}
	days := []string{"2022-12-31", "2023-03-15", "2024-01-01", "2024-09-30", "2026-06-01"}
	items := c.catalogue(projections.CatalogueQuery{Axes: projections.Axes{InForceOn: domain.MustDate("2026-06-01")}, Status: projections.ItemAnyStatus}, projections.MaxPageSize)
	require.NotEmpty(t, items)
	var sample []projections.Item
	for _, k := range rng.Perm(len(items))[:12] {
		sample = append(sample, items[k])
	}
	for _, asOf := range positions {
		for _, day := range days {
			at := projections.Axes{InForceOn: domain.MustDate(day), AsOf: asOf}
			for _, st := range []projections.ItemStatus{"", projections.ItemNotYetInForce, projections.ItemRevoked, projections.ItemAnyStatus} {
				c.catalogue(projections.CatalogueQuery{Axes: at, Status: st}, 37)
			}
			for _, f := range []projections.CatalogueQuery{{Department: "市交通运输局"}, {Text: "许可"}, {Text: "调整"}, {Text: "0001000001"}, {Level: domain.LevelMunicipal, Text: "情形2"}} {
				f.Axes, f.Status = at, projections.ItemAnyStatus
				c.catalogue(f, 50)
			}
			for _, q := range []projections.DelegationQuery{
				{Statuses: projections.AllDelegationStatuses},
				{},
				{Body: "370211"}, {Body: "370212001"}, {Body: "370200-Z01", Statuses: projections.AllDelegationStatuses},
				{From: "370211", Statuses: projections.AllDelegationStatuses},
				{Mode: domain.ModeEntrust, Statuses: []projections.DelegationStatus{projections.DelegationExpired, projections.DelegationWithdrawn, projections.DelegationRevoked}},
				{Statuses: []projections.DelegationStatus{projections.DelegationNotYetEffective}},
			} {
				q.Axes = at
				c.delegations(q, 61)
			}
			for _, it := range sample {
				c.item(projections.ItemQuery{Axes: at, ID: it.ID})
				c.item(projections.ItemQuery{Axes: at, Code: it.Code})
				c.delegations(projections.DelegationQuery{Axes: at, ItemID: it.ID, Statuses: projections.AllDelegationStatuses}, 3)
			}
			c.bodies(projections.BodyQuery{Axes: at}, 7)
			c.bodies(projections.BodyQuery{Axes: at, Kind: domain.KindTownship, Parent: "370212"}, 2)
		}
		for _, it := range sample {
			c.history(it.ID, asOf)
		}
		for _, q := range []projections.AuditQuery{{}, {Body: "370213"}, {ItemID: sample[0].ID}, {Types: []string{domain.TypeItemAmended, domain.TypeItemRevoked}},
			{Types: []string{}}, {Basis: "青政发〔2024〕7号"},
			{RecordedFrom: time.Date(2023, 1, 3, 0, 0, 0, 0, time.UTC), RecordedBefore: time.Date(2023, 1, 5, 0, 0, 0, 0, time.UTC)}} {
			q.AsOf = asOf
			c.audit(q, 97)
		}
		c.editions(asOf)
	}
	c.drafts()
	for _, tm := range []time.Time{{}, time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC), time.Date(2023, 1, 2, 13, 7, 0, 0, time.UTC), time.Date(2023, 1, 9, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		a, err := c.mem.PositionAt(ctx, tm)
		require.NoError(t, err)
		b, err := c.pg.PositionAt(ctx, tm)
		require.NoError(t, err)
		require.Equal(t, a, b, "PositionAt(%s)", tm)
	}
}

// comparer asks both stores the same question and requires the same answer.
type comparer struct {
	t       *testing.T
	mem, pg projections.Views
}

// walk reads every page of a list from both stores and compares them page
// by page; it returns the rows.
func walk[T any](c *comparer, what string, get func(s projections.Views, after string) ([]T, projections.PageInfo, int, error)) []T {
	c.t.Helper()
	var all []T
	after := ""
	for range 10000 {
		a, ai, at, aerr := get(c.mem, after)
		b, bi, bt, berr := get(c.pg, after)
		require.Equal(c.t, domain.ErrorCode(aerr), domain.ErrorCode(berr), "%s: errors %v / %v", what, aerr, berr)
		require.Equal(c.t, aerr == nil, berr == nil, "%s: errors %v / %v", what, aerr, berr)
		if aerr != nil {
			return nil
		}
		require.Equal(c.t, at, bt, "%s: total", what)
		require.Equal(c.t, ai, bi, "%s: page info", what)
		require.Equal(c.t, normalize(a), normalize(b), "%s after %q", what, after)
		all = append(all, a...)
		if !ai.HasNextPage {
			return all
		}
		after = ai.EndCursor
	}
	c.t.Fatalf("%s: paging does not end", what)
	return nil
}

func (c *comparer) catalogue(q projections.CatalogueQuery, first int) []projections.Item {
	return walk(c, fmt.Sprintf("catalogue %+v", q), func(s projections.Views, after string) ([]projections.Item, projections.PageInfo, int, error) {
		q.Page = projections.Page{First: first, After: after}
		p, err := s.Catalogue(ctx, q)
		return p.Items, p.PageInfo, p.Total, err
	})
}

func (c *comparer) delegations(q projections.DelegationQuery, first int) {
	walk(c, fmt.Sprintf("delegations %+v", q), func(s projections.Views, after string) ([]projections.Delegation, projections.PageInfo, int, error) {
		q.Page = projections.Page{First: first, After: after}
		p, err := s.Delegations(ctx, q)
		return p.Delegations, p.PageInfo, p.Total, err
	})
}

func (c *comparer) bodies(q projections.BodyQuery, first int) {
	walk(c, fmt.Sprintf("bodies %+v", q), func(s projections.Views, after string) ([]projections.Body, projections.PageInfo, int, error) {
		q.Page = projections.Page{First: first, After: after}
		p, err := s.Bodies(ctx, q)
		return p.Bodies, p.PageInfo, p.Total, err
	})
}

func (c *comparer) audit(q projections.AuditQuery, first int) {
	walk(c, fmt.Sprintf("audit %+v", q), func(s projections.Views, after string) ([]projections.LogEntry, projections.PageInfo, int, error) {
		q.Page = projections.Page{First: first, After: after}
		p, err := s.AuditLog(ctx, q)
		return p.Entries, p.PageInfo, 0, err
	})
}

func (c *comparer) item(q projections.ItemQuery) {
	c.t.Helper()
	a, aerr := c.mem.Item(ctx, q)
	b, berr := c.pg.Item(ctx, q)
	require.Equal(c.t, domain.ErrorCode(aerr), domain.ErrorCode(berr), "item %+v: %v / %v", q, aerr, berr)
	require.Equal(c.t, aerr == nil, berr == nil, "item %+v: %v / %v", q, aerr, berr)
	require.Equal(c.t, normalize([]projections.Item{a}), normalize([]projections.Item{b}), "item %+v", q)
}

func (c *comparer) history(id string, asOf eventstore.Position) {
	c.t.Helper()
	a, aerr := c.mem.ItemHistory(ctx, id, asOf)
	b, berr := c.pg.ItemHistory(ctx, id, asOf)
	require.Equal(c.t, domain.ErrorCode(aerr), domain.ErrorCode(berr), "history %s at %d: %v / %v", id, asOf, aerr, berr)
	require.Equal(c.t, normalize(a), normalize(b), "history %s at %d", id, asOf)
}

// drafts compares the drafts, and each of them, as of the latest
// position and as of each opening and discarding and the position before.
func (c *comparer) drafts() {
	c.t.Helper()
	all, err := c.mem.Drafts(ctx, projections.DraftQuery{})
	require.NoError(c.t, err)
	require.Len(c.t, all, 2, "the generator opens two drafts")
	positions := []eventstore.Position{0}
	for _, d := range all {
		positions = append(positions, d.OpenedPosition-1, d.OpenedPosition)
		if d.DiscardedPosition != 0 {
			positions = append(positions, d.DiscardedPosition-1, d.DiscardedPosition)
		}
	}
	for _, asOf := range positions {
		for _, st := range []projections.DraftStatus{"", projections.DraftOpen, projections.DraftDiscarded} {
			q := projections.DraftQuery{AsOf: asOf, Status: st}
			a, err := c.mem.Drafts(ctx, q)
			require.NoError(c.t, err)
			b, err := c.pg.Drafts(ctx, q)
			require.NoError(c.t, err)
			require.Equal(c.t, a, b, "drafts %+v", q)
		}
		for _, d := range all {
			a, errA := c.mem.Draft(ctx, d.Name, asOf)
			b, errB := c.pg.Draft(ctx, d.Name, asOf)
			require.Equal(c.t, domain.ErrorCode(errA), domain.ErrorCode(errB), "draft %s at %d: %v / %v", d.Name, asOf, errA, errB)
			require.Equal(c.t, a, b, "draft %s at %d", d.Name, asOf)
		}
	}
}

func (c *comparer) editions(asOf eventstore.Position) {
	c.t.Helper()
	a, err := c.mem.Editions(ctx, asOf)
	require.NoError(c.t, err)
	b, err := c.pg.Editions(ctx, asOf)
	require.NoError(c.t, err)
	require.Equal(c.t, a, b, "editions at %d", asOf)
	for _, from := range a {
		walk(c, "edition "+from.Name, func(s projections.Views, after string) ([]projections.Item, projections.PageInfo, int, error) {
			p, err := s.Catalogue(ctx, projections.CatalogueQuery{Edition: from.Name, Text: "许可", Page: projections.Page{First: 41, After: after}})
			return p.Items, p.PageInfo, p.Total, err
		})
		for _, to := range a {
			x, err := c.mem.EditionDiff(ctx, from.Name, to.Name, asOf)
			require.NoError(c.t, err)
			y, err := c.pg.EditionDiff(ctx, from.Name, to.Name, asOf)
			require.NoError(c.t, err)
			require.Equal(c.t, normalizeDiff(x), normalizeDiff(y), "diff %s → %s", from.Name, to.Name)
		}
	}
}

// normalize treats an empty slice and nil alike where the two stores'
// answers may differ only so (a listing's sub-items read back from JSON
// as [] or null; an event concerning no body).
func normalize[T any](rows []T) []T {
	out := slices.Clone(rows)
	for i := range out {
		switch v := any(&out[i]).(type) {
		case *projections.Item:
			if len(v.SubItems) == 0 {
				v.SubItems = nil
			}
			for j := range v.Delegations {
				if len(v.Delegations[j].Scope) == 0 {
					v.Delegations[j].Scope = nil
				}
			}
		case *projections.LogEntry:
			if len(v.Bodies) == 0 {
				v.Bodies = nil
			}
		}
	}
	return out
}

func normalizeDiff(d projections.EditionDiff) projections.EditionDiff {
	d.Added, d.Removed = normalize(d.Added), normalize(d.Removed)
	for i := range d.Amended {
		d.Amended[i].Before = normalize([]projections.Item{d.Amended[i].Before})[0]
		d.Amended[i].After = normalize([]projections.Item{d.Amended[i].After})[0]
	}
	return d
}

// smallCity is a generated city small enough for a test.
func smallCity(seed uint64) projectionstest.Shape {
	return projectionstest.Shape{Items: 150, Districts: 3, TownsPerDistrict: 3, Zones: 2, Seed: seed}
}

var cityLogSmall = sync.OnceValues(func() (eventstore.Store, error) {
	log := eventmemory.New()
	_, err := projectionstest.Generate(ctx, log, smallCity(1))
	return log, err
})

// decodeAll reads and decodes a whole log.
func decodeAll(t *testing.T, log eventstore.Store) []projections.Envelope {
	recs, err := log.ReadAll(ctx, eventstore.Start, 1<<30)
	require.NoError(t, err)
	envs := make([]projections.Envelope, len(recs))
	for i, r := range recs {
		envs[i], err = projections.Decode(r)
		require.NoError(t, err)
	}
	return envs
}
