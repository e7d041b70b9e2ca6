package memory

import (
	"context"
	"sync"
	"testing"

	"github.com/catalogue/catalogue/domain"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

func TestDayPacksDates(t *testing.T) {
	dates := []domain.Date{{}, domain.MustDate("0000-01-01"), domain.MustDate("2024-02-29"),
		domain.MustDate("2024-03-01"), domain.MustDate("9999-12-31")}
	for i, d := range dates {
		if got := dayOf(d).date(); got != d {
			t.Errorf("%v packs and unpacks to %v", d, got)
		}
		if i > 0 && dayOf(dates[i-1]) >= dayOf(d) {
			t.Errorf("%v does not pack before %v", dates[i-1], d)
		}
	}
}

// Queries share the store's read lock, so nothing they call may write to
// it (run with -race).
func TestConcurrentQueries(t *testing.T) {
	ctx := context.Background()
	log := eventmemory.New()
	defer log.Close()
	shape := projectionstest.CityShape
	shape.Items = 30
	if _, err := projectionstest.Generate(ctx, log, shape); err != nil {
		t.Fatal(err)
	}
	s := New()
	if _, err := projections.Rebuild(ctx, log, s); err != nil {
		t.Fatal(err)
	}
	s.syms.recent = [len(s.syms.recent)]sym{} // cold: every lookup goes to the map
	on := projections.Axes{InForceOn: domain.MustDate("2025-06-01")}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, body := range []string{"370211", "370212", "370213", "unknown"} {
				if _, err := s.Views().AuditLog(ctx, projections.AuditQuery{Body: body}); err != nil {
					t.Error(err)
				}
				if _, err := s.Views().Delegations(ctx, projections.DelegationQuery{Axes: on, Body: body}); err != nil {
					t.Error(err)
				}
				if _, err := s.Views().Delegations(ctx, projections.DelegationQuery{Axes: on, From: body}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
