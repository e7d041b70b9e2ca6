package postgres_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

// cityLog is the benchmark's log: projectionstest.CityShape (about 200,000
// events), generated once per test binary.
var cityLog = sync.OnceValues(func() (eventstore.Store, error) {
	log := eventmemory.New()
	_, err := projectionstest.Generate(ctx, log, projectionstest.CityShape)
	return log, err
})

// rebuildBatch is the batch size of a rebuild: larger than the projector's
// default (1024), which suits a live projector's latency; in a rebuild
// fewer, larger transactions are a quarter faster.
const rebuildBatch = 4096

// BenchmarkRebuild rebuilds the city's read models into a fresh schema
// (the projector's whole pipeline: read, decode, Apply in batches) and,
// in the same run, COPYs as many rows as there are events into the log
// table of another fresh schema: the rate a bulk load of the same volume
// reaches on this server. ratio is rebuild rate / COPY rate (target ≥ 0.5).
func BenchmarkRebuild(b *testing.B) {
	needPostgres(b)
	log, err := cityLog()
	if err != nil {
		b.Fatal(err)
	}
	last, err := log.LastPosition(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rows := logRows(b, log)
	var rebuild, copying time.Duration
	for b.Loop() {
		s := newStore(b)
		start := time.Now()
		if _, err := projections.Rebuild(ctx, log, s, projections.WithBatchSize(rebuildBatch)); err != nil {
			b.Fatal(err)
		}
		rebuild += time.Since(start)

		raw := newStore(b)
		start = time.Now()
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{raw.Schema(), "log"}, logColumns, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		copying += time.Since(start)
	}
	n := float64(last) * float64(b.N)
	b.ReportMetric(n/rebuild.Seconds(), "events/s")
	b.ReportMetric(n/copying.Seconds(), "copy-rows/s")
	b.ReportMetric(copying.Seconds()/rebuild.Seconds(), "ratio")
}

var logColumns = []string{"position", "event_id", "stream", "revision", "type", "data", "item_id", "bodies", "basis", "reason",
	"effective_from", "actor", "command_id", "correlation_id", "causation_id", "recorded_at", "high_water", "facts_change"}

// logRows are the log table's rows of every event, as Apply writes them.
func logRows(b *testing.B, log eventstore.Store) [][]any {
	recs, err := log.ReadAll(ctx, eventstore.Start, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	out := make([][]any, len(recs))
	for i, r := range recs {
		env, err := projections.Decode(r)
		if err != nil {
			b.Fatal(err)
		}
		ch := projections.ChangeOf(env.Event)
		out[i] = []any{int64(r.Position), r.ID, r.Stream, int64(r.Revision), r.Type, r.Data, projections.ItemIDOf(env.Event), []string{},
			ch.Basis, ch.Reason, nil, env.Meta.Actor, env.Meta.CommandID, env.Meta.CorrelationID, env.Meta.CausationID,
			r.RecordedAt.UnixNano(), r.RecordedAt.UnixNano(), false}
	}
	return out
}

// BenchmarkQueries measures the latency (p50, p99) of the read side's
// common questions on the city's read models, now and at a historical
// position and date: the historical ones should cost about as much as the
// current ones, since both are the same indexed lookups.
func BenchmarkQueries(b *testing.B) {
	needPostgres(b)
	log, err := cityLog()
	if err != nil {
		b.Fatal(err)
	}
	s := newStore(b)
	last, err := projections.Rebuild(ctx, log, s, projections.WithBatchSize(rebuildBatch))
	if err != nil {
		b.Fatal(err)
	}
	now := projections.Axes{InForceOn: domain.MustDate("2025-06-01")}
	then := projections.Axes{InForceOn: domain.MustDate("2023-09-01"), AsOf: last / 2}
	items, err := s.Catalogue(ctx, projections.CatalogueQuery{Axes: now, Status: projections.ItemAnyStatus, Page: projections.Page{First: projections.MaxPageSize}})
	if err != nil {
		b.Fatal(err)
	}
	item := items.Items[len(items.Items)/2].ID
	for _, c := range []struct {
		name string
		run  func(at projections.Axes) error
	}{
		{"catalogue-page", func(at projections.Axes) error {
			_, err := s.Catalogue(ctx, projections.CatalogueQuery{Axes: at, Page: projections.Page{First: 50}})
			return err
		}},
		{"catalogue-text", func(at projections.Axes) error {
			_, err := s.Catalogue(ctx, projections.CatalogueQuery{Axes: at, Text: "食品经营", Page: projections.Page{First: 50}})
			return err
		}},
		{"body-delegations", func(at projections.Axes) error {
			_, err := s.Delegations(ctx, projections.DelegationQuery{Axes: at, Body: "370213", Page: projections.Page{First: 50}})
			return err
		}},
		{"item", func(at projections.Axes) error {
			_, err := s.Item(ctx, projections.ItemQuery{Axes: at, ID: item})
			return err
		}},
		{"item-history", func(at projections.Axes) error {
			_, err := s.ItemHistory(ctx, item, at.AsOf)
			return err
		}},
	} {
		for _, axis := range []struct {
			name string
			at   projections.Axes
		}{{"now", now}, {"historical", then}} {
			b.Run(c.name+"/"+axis.name, func(b *testing.B) {
				var lat []time.Duration
				for b.Loop() {
					start := time.Now()
					if err := c.run(axis.at); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			})
		}
	}
}
