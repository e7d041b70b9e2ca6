package sqlite

// Benchmarks of the store against raw SQLite on the same machine, in the
// same run: each reports its throughput and its ratio to a baseline, so
// the figures mean something on any disk.
//
//	go test -bench . -run '^$' ./eventstore/sqlite
//
// Baseline A: one ~400-byte event row INSERTed per transaction by one
// writer, WAL + synchronous=FULL (one fsync per transaction), through
// database/sql with a prepared statement: the best a naive writer does.
// Baseline B: one SELECT of every row of the same table, in position
// order, scanned into strings and byte slices.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

// benchData is a ~400-byte event body, UTF-8 like the real catalogue.
var benchData = func() []byte {
	s := `{"item":"林木采伐许可证核发","code":"000117001000","body":"自然资源局","basis":"《中华人民共和国森林法》第五十六条","note":"`
	return []byte(s + strings.Repeat("x", 400-len(s)-2) + `"}`)
}()

var benchMeta = []byte(`{"actor":"bench","correlation":"00000000-0000-0000-0000-000000000000"}`)

// readRows is how many events the read benchmarks scan.
const readRows = 50_000

var (
	benchDir     string
	benchDirErr  error
	benchDirOnce sync.Once

	readFile     string
	readFileOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// tempDB returns a fresh database path under the run's benchmark directory,
// which outlives each benchmark function (the read fixture is shared).
func tempDB(b *testing.B, name string) string {
	b.Helper()
	benchDirOnce.Do(func() { benchDir, benchDirErr = os.MkdirTemp("", "eventstore-bench-") })
	if benchDirErr != nil {
		b.Fatal(benchDirErr)
	}
	dir, err := os.MkdirTemp(benchDir, name+"-")
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, "events.db")
}

// besideBaseline runs measured with the benchmark timer on, and n units of
// baseline work with it off, half before and half after, so slow drifts of
// the machine (a virtual disk's fsync time varies by tens of percent from
// one second to the next) weigh on both alike. It returns the baseline's
// rate in units per second.
func besideBaseline(b *testing.B, n int, baseline func(n int) (int, time.Duration), measured func()) float64 {
	b.Helper()
	b.ResetTimer() // setup is not measured
	b.StopTimer()
	n1, d1 := baseline(n / 2)
	b.StartTimer()
	measured()
	b.StopTimer()
	n2, d2 := baseline(n - n/2)
	return float64(n1+n2) / (d1 + d2).Seconds()
}

// rawDB opens a file with the store's schema and durability settings but
// none of its machinery.
func rawDB(b *testing.B, path string) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", dsn(path, "busy_timeout", "journal_mode(WAL)", "synchronous(FULL)"))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(db); err != nil {
		b.Fatal(err)
	}
	return db
}

// rawInserts runs n single-row transactions and returns how many ran and
// how long they took.
func rawInserts(b *testing.B, db *sql.DB, n int) (int, time.Duration) {
	b.Helper()
	ins, err := db.Prepare(`INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	var rev int64
	_ = db.QueryRow(`SELECT COALESCE(MAX(revision)+1, 0) FROM events WHERE stream = 'raw'`).Scan(&rev)
	start := time.Now()
	for range n {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		id := uuid.New()
		if _, err := tx.Stmt(ins).Exec("raw", rev, id[:], "Bench.v1", benchData, benchMeta, time.Now().UnixNano()); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		rev++
	}
	return n, time.Since(start)
}

// baselineA returns baseline A's work on a fresh file.
func baselineA(b *testing.B) (run func(n int) (int, time.Duration), closeDB func()) {
	db := rawDB(b, tempDB(b, "baseline-a"))
	return func(n int) (int, time.Duration) { return rawInserts(b, db, n) }, func() { db.Close() }
}

// BenchmarkRawInsert is baseline A itself, measured again by the benchmark
// loop: its ratio shows the noise between two measurements of one thing.
func BenchmarkRawInsert(b *testing.B) {
	baseline, closeBase := baselineA(b)
	defer closeBase()
	db := rawDB(b, tempDB(b, "raw-insert"))
	defer db.Close()
	var d time.Duration
	base := besideBaseline(b, b.N, baseline, func() { _, d = rawInserts(b, db, b.N) })
	report(b, float64(b.N)/d.Seconds(), "tx/s", base, "baseA_tx/s")
}

func openBench(b *testing.B, name string) *Store {
	b.Helper()
	s, err := Open(tempDB(b, name))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchEvent() []eventstore.EventData {
	return []eventstore.EventData{{ID: uuid.New(), Type: "Bench.v1", Data: benchData, Metadata: benchMeta}}
}

// BenchmarkAppendSingleWriter: one goroutine appends one event per call to
// one stream with exact expected revisions, so every append is its own
// transaction. Target ratio to baseline A: at least 0.8.
func BenchmarkAppendSingleWriter(b *testing.B) {
	baseline, closeBase := baselineA(b)
	defer closeBase()
	s := openBench(b, "append-single")
	ctx := context.Background()
	var d time.Duration
	base := besideBaseline(b, b.N, baseline, func() {
		start := time.Now()
		for i := range b.N {
			if _, err := s.Append(ctx, "single", eventstore.ExpectedFor(uint64(i)), benchEvent()); err != nil {
				b.Fatal(err)
			}
		}
		d = time.Since(start)
	})
	closeBench(b, s)
	report(b, float64(b.N)/d.Seconds(), "appends/s", base, "baseA_tx/s")
}

// BenchmarkAppend16Writers: 16 goroutines append to their own streams at
// once; group commit lets waiting appends share one fsync. Target ratio to
// baseline A: at least 2.
func BenchmarkAppend16Writers(b *testing.B) {
	const writers = 16
	baseline, closeBase := baselineA(b)
	defer closeBase()
	s := openBench(b, "append-16")
	var d time.Duration
	base := besideBaseline(b, b.N, baseline, func() {
		var left atomic.Int64
		left.Store(int64(b.N))
		var wg sync.WaitGroup
		start := time.Now()
		for w := range writers {
			wg.Go(func() {
				stream := fmt.Sprintf("writer-%d", w)
				for i := uint64(0); left.Add(-1) >= 0; i++ {
					if _, err := s.Append(context.Background(), stream, eventstore.ExpectedFor(i), benchEvent()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		d = time.Since(start)
	})
	closeBench(b, s)
	report(b, float64(b.N)/d.Seconds(), "appends/s", base, "baseA_tx/s")
	b.ReportMetric(float64(s.w.stats.appends)/float64(max(s.w.stats.txs, 1)), "appends/tx")
}

func closeBench(b *testing.B, s *Store) {
	b.Helper()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// readFixture is a file of readRows events written in one transaction,
// shared by the read benchmarks.
func readFixture(b *testing.B) string {
	readFileOnce.Do(func() {
		path := tempDB(b, "read")
		db := rawDB(b, path)
		defer db.Close()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ins, err := tx.Prepare(`INSERT INTO events (position, stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UnixNano()
		for i := range readRows {
			id := uuid.New()
			if _, err := ins.Exec(i+1, fmt.Sprintf("stream-%d", i%1000), i/1000, id[:], "Bench.v1", benchData, benchMeta, now); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		readFile = path
	})
	return readFile
}

// rawScan reads every row once, in position order, with a bare SELECT
// scanned into strings and byte slices as database/sql users commonly do.
func rawScan(b *testing.B, db *sql.DB) int {
	rows, err := db.Query(`SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events ORDER BY position`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			pos, rev, at   int64
			stream, typ    string
			id, data, meta []byte
		)
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &data, &meta, &at); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

func readDB(b *testing.B) *sql.DB {
	db, err := sql.Open("sqlite", dsn(readFixture(b), "busy_timeout", "query_only(1)"))
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// baselineB returns baseline B's work: n full scans, counted in rows.
func baselineB(b *testing.B) (run func(n int) (int, time.Duration), closeDB func()) {
	db := readDB(b)
	return func(n int) (int, time.Duration) {
		start := time.Now()
		rows := 0
		for range n {
			rows += rawScan(b, db)
		}
		return rows, time.Since(start)
	}, func() { db.Close() }
}

// BenchmarkRawRead is baseline B measured by the benchmark loop.
func BenchmarkRawRead(b *testing.B) {
	baseline, closeBase := baselineB(b)
	defer closeBase()
	db := readDB(b)
	defer db.Close()
	var rows int
	var d time.Duration
	base := besideBaseline(b, b.N, baseline, func() {
		start := time.Now()
		for range b.N {
			rows += rawScan(b, db)
		}
		d = time.Since(start)
	})
	report(b, float64(rows)/d.Seconds(), "rows/s", base, "baseB_rows/s")
}

// BenchmarkReadAllPaging reads the same events through ReadAll in pages
// of subscribePage, as a projector catching up does.
func BenchmarkReadAllPaging(b *testing.B) {
	baseline, closeBase := baselineB(b)
	defer closeBase()
	s, err := Open(readFixture(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var rows int
	var d time.Duration
	base := besideBaseline(b, b.N, baseline, func() {
		start := time.Now()
		for range b.N {
			pos := eventstore.Start
			for {
				page, err := s.ReadAll(ctx, pos, subscribePage)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				rows += len(page)
				pos = page[len(page)-1].Position
			}
		}
		d = time.Since(start)
	})
	if rows != b.N*readRows {
		b.Fatalf("read %d rows, want %d", rows, b.N*readRows)
	}
	report(b, float64(rows)/d.Seconds(), "rows/s", base, "baseB_rows/s")
}

// report prints a rate, the baseline's rate and their ratio.
func report(b *testing.B, rate float64, unit string, base float64, baseUnit string) {
	b.ReportMetric(rate, unit)
	b.ReportMetric(base, baseUnit)
	b.ReportMetric(rate/base, "ratio")
}
