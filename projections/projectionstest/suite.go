// Package projectionstest is the contract every read-model store passes:
// it records a realistic scenario through the ledger on an in-memory event
// log, projects it with the projector into the store under test, and
// checks every query on both time axes.
//
//	func TestContract(t *testing.T) {
//		projectionstest.Run(t, func(t *testing.T) projections.Store { return memory.New() })
//	}
//
// A store for a database creates an isolated, empty schema per call.
package projectionstest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// NewStore returns an empty store (checkpoint Start) for one test.
type NewStore func(t *testing.T) projections.Store

var ctx = context.Background()

// Run runs the contract against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	sc := newScenario(t)
	project := func(t *testing.T) *fixture {
		s := newStore(t)
		pos, err := projections.Rebuild(ctx, sc.log, s, projections.WithBatchSize(7))
		require.NoError(t, err)
		require.Equal(t, sc.last, pos)
		return &fixture{t: t, s: s, v: s.Views(), sc: sc}
	}
	for _, c := range []struct {
		name string
		test func(*fixture)
	}{
		{"CatalogueFilters", testCatalogueFilters},
		{"CataloguePaging", testCataloguePaging},
		{"InvalidQueries", testInvalidQueries},
		{"Item", testItem},
		{"ItemByCode", testItemByCode},
		{"RetroactiveAmendmentOnBothAxes", testRetroactiveAmendment},
		{"ItemHistory", testItemHistory},
		{"DelegationStatuses", testDelegationStatuses},
		{"BodyPowers", testBodyPowers},
		{"DelegationFiltersAndPaging", testDelegationPaging},
		{"Bodies", testBodies},
		{"Editions", testEditions},
		{"EditionDiff", testEditionDiff},
		{"CatalogueDiff", testCatalogueDiff},
		{"Drafts", testDrafts},
		{"AuditLog", testAuditLog},
		{"AuditPaging", testAuditPaging},
		{"PositionAt", testPositionAt},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(project(t)) })
	}
	t.Run("Checkpoint", func(t *testing.T) { testCheckpoint(t, sc, newStore(t)) })
	t.Run("ReadersSeeWholeBatches", func(t *testing.T) { testWholeBatches(t, sc, newStore(t)) })
}

// fixture is one store with the scenario projected into it.
type fixture struct {
	t  *testing.T
	s  projections.Store
	v  projections.Views // s's
	sc *scenario
}

// at fixes the axes: a date and a scenario mark ("" = latest).
func (f *fixture) at(day, mark string) projections.Axes {
	a := projections.Axes{InForceOn: d(day)}
	if mark != "" {
		m, ok := f.sc.marks[mark]
		require.True(f.t, ok, "no mark %s", mark)
		a.AsOf = m.pos
	}
	return a
}

func (f *fixture) catalogue(q projections.CatalogueQuery) projections.ItemPage {
	f.t.Helper()
	p, err := f.v.Catalogue(ctx, q)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) item(q projections.ItemQuery) projections.Item {
	f.t.Helper()
	it, err := f.v.Item(ctx, q)
	require.NoError(f.t, err)
	return it
}

func (f *fixture) delegations(q projections.DelegationQuery) projections.DelegationPage {
	f.t.Helper()
	p, err := f.v.Delegations(ctx, q)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) audit(q projections.AuditQuery) projections.LogPage {
	f.t.Helper()
	p, err := f.v.AuditLog(ctx, q)
	require.NoError(f.t, err)
	return p
}

// requireCode asserts that err is a rule error with code.
func requireCode(t *testing.T, code domain.Code, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, domain.ErrorCode(err), "error: %v", err)
}

func itemCodes(items []projections.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Code
	}
	return out
}

// allPages walks a list page by page with page size first and returns every
// row, checking the page invariants on the way.
func allPages[T any](t *testing.T, first int, get func(after string) ([]T, projections.PageInfo, int)) []T {
	t.Helper()
	var out []T
	after, total := "", -1
	for range 1000 {
		rows, info, tot := get(after)
		if total >= 0 {
			require.Equal(t, total, tot, "the total is the same on every page")
		}
		total = tot
		require.LessOrEqual(t, len(rows), first)
		out = append(out, rows...)
		if !info.HasNextPage {
			if total >= 0 {
				require.Equal(t, total, len(out))
			}
			return out
		}
		require.Len(t, rows, first, "only the last page is short")
		require.NotEmpty(t, info.EndCursor)
		after = info.EndCursor
	}
	t.Fatal("paging does not end")
	return nil
}

// lastPosition is the log position of the scenario's end.
func (f *fixture) lastPosition() eventstore.Position { return f.sc.last }
