package postgres_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections/postgres"
	"github.com/catalogue/catalogue/projections/postgres/pgtest"
)

// lagRate is the steady write load of BenchmarkLag: events per second,
// about what a province's whole catalogue office writes in a busy hour
// many times over.
const lagRate = 200

// BenchmarkLag measures the lag from an append to the read model including
// it, as another process sees it: a writer appends the city's events one
// by one at a steady lagRate into the log, a projector (Live.Project)
// follows it into PostgreSQL, and a second Live on the same read model —
// the API process of another machine — waits for each appended position
// (the `waitFor` of read-your-writes). Each iteration is one append; the
// lag is from the append's acknowledgement to the reader's WaitFor
// returning. Reported: lag p50/p99 (ms), and as the same run's baseline the
// p99 of a bare round trip between two sessions — a one-row transaction
// whose NOTIFY another session receives — which is the floor any
// cross-process read-your-writes over PostgreSQL pays.
func BenchmarkLag(b *testing.B) {
	pool := needPostgres(b)
	city, err := cityLog()
	if err != nil {
		b.Fatal(err)
	}
	source, err := city.ReadAll(ctx, eventstore.Start, b.N)
	if err != nil {
		b.Fatal(err)
	}
	if len(source) < b.N {
		b.Fatalf("the city has %d events, the benchmark wants %d", len(source), b.N)
	}
	baseline := notifyRoundTrips(b, 200)

	name := newBenchReadModel(b)
	log := eventmemory.New()
	defer log.Close()
	writer, err := postgres.OpenLive(ctx, pool, name, true)
	if err != nil {
		b.Fatal(err)
	}
	defer writer.Close()
	reader, err := postgres.OpenLive(ctx, pool, name, false)
	if err != nil {
		b.Fatal(err)
	}
	defer reader.Close()
	run, stop := context.WithCancel(ctx)
	projected := make(chan error, 1)
	go func() { projected <- writer.Project(run, log) }()
	defer func() {
		stop()
		if err := <-projected; err != nil {
			b.Error(err)
		}
	}()

	type appended struct {
		pos eventstore.Position
		at  time.Time
	}
	acks := make(chan appended, b.N)
	lags := make([]time.Duration, 0, b.N)
	observed := make(chan struct{})
	go func() {
		defer close(observed)
		for a := range acks {
			wait, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := reader.WaitFor(wait, a.pos)
			cancel()
			if err != nil {
				b.Errorf("position %d never reached the reader: %v", a.pos, err)
				return
			}
			lags = append(lags, time.Since(a.at))
		}
	}()
	tick := time.NewTicker(time.Second / lagRate)
	defer tick.Stop()
	b.ResetTimer()
	for _, e := range source[:b.N] {
		<-tick.C
		res, err := log.Append(ctx, e.Stream, eventstore.Any(), []eventstore.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}})
		if err != nil {
			b.Fatal(err)
		}
		acks <- appended{res.Position, time.Now()}
	}
	close(acks)
	<-observed
	b.StopTimer()
	if len(lags) == 0 {
		return
	}
	p50, p99 := percentiles(lags)
	b.ReportMetric(ms(p50), "lag-p50-ms")
	b.ReportMetric(ms(p99), "lag-p99-ms")
	_, base99 := percentiles(baseline)
	b.ReportMetric(ms(base99), "notify-p99-ms")
	b.ReportMetric(float64(lagRate), "events/s-load")
}

// notifyRoundTrips measures n round trips of a one-row transaction with a
// NOTIFY, from its commit to another session receiving it.
func notifyRoundTrips(b *testing.B, n int) []time.Duration {
	pool := needPostgres(b)
	listener, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	conn := listener.Hijack()
	defer conn.Close(ctx)
	channel := fmt.Sprintf("lag_baseline_%d", os.Getpid())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		b.Fatal(err)
	}
	table := newSchema(b)
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+table+"; CREATE TABLE "+table+".t (n int)"); err != nil {
		b.Fatal(err)
	}
	out := make([]time.Duration, 0, n)
	for range n {
		began := time.Now()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO "+table+".t VALUES (1)"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "SELECT pg_notify($1, 'x')", channel)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(began))
	}
	return out
}

// newBenchReadModel returns a read-model name for a benchmark, dropped
// with its generations at the end.
func newBenchReadModel(b *testing.B) string {
	name := fmt.Sprintf("lag_%d_%d", os.Getpid(), schemas.Add(1))
	pool := needPostgres(b)
	b.Cleanup(func() {
		if err := pgtest.DropReadModel(context.Background(), pool, name); err != nil {
			b.Error(err)
		}
	})
	return name
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
