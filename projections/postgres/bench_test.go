package postgres_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/eventstore/sqlite"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

// cityLog is the benchmarks' log: projectionstest.CityShape (about 200,000
// events), generated once per test binary — or, when CATALOGUE_BENCH_LOG
// names an events.db (e.g. the 1,000,000 events of `catalogue gen`), that
// log, read in place.
var cityLog = sync.OnceValues(func() (eventstore.Store, error) {
	if path := os.Getenv("CATALOGUE_BENCH_LOG"); path != "" {
		return sqlite.OpenReader(path)
	}
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
// in the same iteration, COPYs as many rows as there are events into the
// log table of another fresh schema: the rate a bulk load of the same
// volume reaches on this server at that moment. The COPY's data is
// encoded beforehand (binary format, by pgx's codecs), so the baseline is
// the server's rate alone. ratio is rebuild rate / COPY rate (target ≥ 0.5).
//
//   - bulk is a rebuild as catalogue rebuild (postgres.Rebuild) runs it:
//     BeginBulk, the catch-up, EndBulk (the indexes built again and the
//     tables analysed) all timed, so the schema is ready to serve when the
//     clock stops; endbulk-s is the part of EndBulk.
//   - plain is the same catch-up without bulk mode: how a projector that
//     starts on an empty schema, or a live one, writes.
//
// Each timed phase starts after a CHECKPOINT, so that the writing of one
// phase's dirty pages does not fall into the next.
func BenchmarkRebuild(b *testing.B) {
	for _, c := range []struct {
		name string
		bulk bool
	}{{"bulk", true}, {"plain", false}} {
		b.Run(c.name, func(b *testing.B) { benchmarkRebuild(b, c.bulk) })
	}
}

func benchmarkRebuild(b *testing.B, bulk bool) {
	needPostgres(b)
	log, err := cityLog()
	if err != nil {
		b.Fatal(err)
	}
	last, err := log.LastPosition(ctx)
	if err != nil {
		b.Fatal(err)
	}
	data := copyData(b, logRows(b, log))
	var rebuild, ending, copying time.Duration
	for b.Loop() {
		s := newStore(b)
		settle(b)
		start := time.Now()
		if bulk {
			if err := s.BeginBulk(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := projections.Rebuild(ctx, log, s, projections.WithBatchSize(rebuildBatch)); err != nil {
			b.Fatal(err)
		}
		if bulk {
			end := time.Now()
			if err := s.EndBulk(ctx); err != nil {
				b.Fatal(err)
			}
			ending += time.Since(end)
		}
		rebuild += time.Since(start)

		raw := newStore(b)
		settle(b)
		start = time.Now()
		if err := rawCopy(raw.Schema(), data); err != nil {
			b.Fatal(err)
		}
		copying += time.Since(start)
	}
	n := float64(last) * float64(b.N)
	b.ReportMetric(n/rebuild.Seconds(), "events/s")
	b.ReportMetric(n/copying.Seconds(), "copy-rows/s")
	b.ReportMetric(copying.Seconds()/rebuild.Seconds(), "ratio")
	if bulk {
		b.ReportMetric(ending.Seconds()/float64(b.N), "endbulk-s")
	}
}

// settle writes the server's dirty pages out (CHECKPOINT; it needs a
// superuser or pg_checkpoint, and is skipped without), so that a timed
// phase does not pay for the one before.
func settle(b *testing.B) {
	if _, err := pool.Exec(ctx, "CHECKPOINT"); err != nil {
		b.Logf("checkpoint: %v", err)
	}
}

var logColumns = []string{"position", "event_id", "stream", "revision", "type", "data", "item_id", "bodies", "basis", "reason",
	"effective_from", "actor", "command_id", "correlation_id", "causation_id", "recorded_at", "high_water", "facts_change"}

// logOIDs are the types of logColumns.
var logOIDs = []uint32{pgtype.Int8OID, pgtype.UUIDOID, pgtype.TextOID, pgtype.Int8OID, pgtype.TextOID, pgtype.ByteaOID,
	pgtype.TextOID, pgtype.TextArrayOID, pgtype.TextOID, pgtype.TextOID, pgtype.DateOID, pgtype.TextOID, pgtype.TextOID,
	pgtype.TextOID, pgtype.TextOID, pgtype.Int8OID, pgtype.Int8OID, pgtype.BoolOID}

// copyData encodes rows of the log table as pgx.CopyFrom would send them:
// COPY's binary format, each value by pgx's codec for its column's type.
func copyData(b *testing.B, rows [][]any) []byte {
	m := pgtype.NewMap()
	buf := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	for _, row := range rows {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(row)))
		for i, v := range row {
			at := len(buf)
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // NULL unless encoded
			enc, err := m.Encode(logOIDs[i], pgtype.BinaryFormatCode, v, buf)
			if err != nil {
				b.Fatal(err)
			}
			if enc != nil {
				buf = enc
				binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
			}
		}
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff)
}

// rawCopy COPYs data into the log table of schema.
func rawCopy(schema string, data []byte) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	cols := make([]string, len(logColumns))
	for i, c := range logColumns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	_, err = conn.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(data),
		"COPY "+pgx.Identifier{schema, "log"}.Sanitize()+" ("+strings.Join(cols, ", ")+") FROM STDIN (FORMAT binary)")
	return err
}

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
		ch := domain.ChangeOf(env.Event)
		out[i] = []any{int64(r.Position), [16]byte(r.ID), r.Stream, int64(r.Revision), r.Type, r.Data, domain.ItemOf(env.Event), []string{},
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
	// Built as catalogue rebuild builds a generation: bulk, then the
	// indexes and the planner's statistics.
	s := newStore(b)
	if err := s.BeginBulk(ctx); err != nil {
		b.Fatal(err)
	}
	last, err := projections.Rebuild(ctx, log, s, projections.WithBatchSize(rebuildBatch))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.EndBulk(ctx); err != nil {
		b.Fatal(err)
	}
	now := projections.Axes{InForceOn: domain.MustDate("2025-06-01")}
	then := projections.Axes{InForceOn: domain.MustDate("2023-09-01"), AsOf: last / 2}
	items, err := s.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: now, Status: projections.ItemAnyStatus, Page: projections.Page{First: projections.MaxPageSize}})
	if err != nil {
		b.Fatal(err)
	}
	item, name := items.Items[len(items.Items)/2].ID, items.Items[len(items.Items)/2].Name
	// The body with the most delegations: a district asking for its powers.
	var body string
	if err := needPostgres(b).QueryRow(ctx, "SELECT to_body FROM "+pgx.Identifier{s.Schema()}.Sanitize()+
		".delegations GROUP BY to_body ORDER BY count(*) DESC, to_body LIMIT 1").Scan(&body); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d events; item %s (searched as %q), body %s", last, item, name, body)
	for _, c := range []struct {
		name string
		run  func(at projections.Axes) error
	}{
		{"catalogue-page", func(at projections.Axes) error {
			_, err := s.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: at, Page: projections.Page{First: 50}})
			return err
		}},
		{"catalogue-text", func(at projections.Axes) error {
			_, err := s.Views().Catalogue(ctx, projections.CatalogueQuery{Axes: at, Text: name, Page: projections.Page{First: 50}})
			return err
		}},
		{"body-delegations", func(at projections.Axes) error {
			_, err := s.Views().Delegations(ctx, projections.DelegationQuery{Axes: at, Body: body, Page: projections.Page{First: 50}})
			return err
		}},
		{"item", func(at projections.Axes) error {
			_, err := s.Views().Item(ctx, projections.ItemQuery{Axes: at, ID: item})
			return err
		}},
		{"item-history", func(at projections.Axes) error {
			_, err := s.Views().ItemHistory(ctx, item, at.AsOf)
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
