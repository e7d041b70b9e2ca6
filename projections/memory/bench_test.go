package memory_test

// BenchmarkRebuild measures how fast the in-memory read models are rebuilt
// from an event log, the start-up cost of the embedded mode:
//
//	go test -bench Rebuild -benchtime 3x -run '^$' ./projections/memory
//
// The log is a generated city-scale catalogue (projectionstest.CityShape,
// about 200,000 events) in the in-memory event store and in the SQLite
// one. Each sub-benchmark reports events/s and, measured in the same run on
// the same log, the rate of a raw, decode-free sequential read of all its
// events (raw-events/s) and the ratio of the two: the share of the bare
// read speed that the whole pipeline (read, decode, apply) keeps. It also
// reports the CPU time the process spent per event (cpu-µs/event, all
// goroutines, GC included), which is steadier than wall time on a shared
// machine: on n otherwise idle cores a rebuild cannot beat
// n / cpu-µs/event million events a second.

import (
	"cmp"
	"context"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/eventstore/sqlite"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

var ctx = context.Background()

var (
	cityOnce sync.Once
	cityLog  *eventmemory.Store
	cityN    int
	cityErr  error
)

// city returns the generated log in memory, made once per run.
func city(b *testing.B) (*eventmemory.Store, int) {
	cityOnce.Do(func() {
		cityLog = eventmemory.New()
		cityN, cityErr = projectionstest.Generate(ctx, cityLog, projectionstest.CityShape)
	})
	if cityErr != nil {
		b.Fatal(cityErr)
	}
	return cityLog, cityN
}

func BenchmarkRebuild(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		log, n := city(b)
		benchRebuild(b, log, n)
	})
	b.Run("sqlite", func(b *testing.B) {
		src, n := city(b)
		log, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer log.Close()
		if err := copyLog(src, log); err != nil {
			b.Fatal(err)
		}
		benchRebuild(b, log, n)
	})
}

func benchRebuild(b *testing.B, log eventstore.Store, n int) {
	raw := rawReadRate(b, log, n)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		pos, err := projections.Rebuild(ctx, log, memory.New())
		if err != nil {
			b.Fatal(err)
		}
		if int(pos) != n {
			b.Fatalf("rebuilt to %d of %d", pos, n)
		}
	}
	rate := float64(n*b.N) / time.Since(start).Seconds()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n*b.N), "cpu-µs/event")
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(raw, "raw-events/s")
	b.ReportMetric(rate/raw, "ratio")
	b.ReportMetric(float64(n), "events")
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawReadRate reads the whole log in pages, decoding nothing: the speed
// limit of any rebuild from this store.
func rawReadRate(b *testing.B, log eventstore.Store, n int) float64 {
	best := 0.0
	for range 3 {
		start := time.Now()
		read, from := 0, eventstore.Start
		for {
			page, err := log.ReadAll(ctx, from, 1024)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			read += len(page)
			from = page[len(page)-1].Position
		}
		if read != n {
			b.Fatalf("read %d of %d events", read, n)
		}
		best = max(best, float64(n)/time.Since(start).Seconds())
	}
	return best
}

// copyLog copies a log into another store, one append per stream with all
// its events. Bodies go first, one by one, so every delegation still comes
// after its body's registration; the other streams are appended
// concurrently, which lets SQLite's group commit make the copy quick.
func copyLog(src, dst eventstore.Store) error {
	events, err := src.ReadAll(ctx, eventstore.Start, 1<<30)
	if err != nil {
		return err
	}
	var bodies, others []string
	streams := map[string][]eventstore.EventData{}
	for _, e := range events {
		if _, ok := streams[e.Stream]; !ok {
			if domain.BodyStreams.Holds(e.Stream) {
				bodies = append(bodies, e.Stream)
			} else {
				others = append(others, e.Stream)
			}
		}
		streams[e.Stream] = append(streams[e.Stream], eventstore.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata})
	}
	appendStream := func(s string) error {
		_, err := dst.Append(ctx, s, eventstore.NoStream(), streams[s])
		return err
	}
	for _, s := range bodies {
		if err := appendStream(s); err != nil {
			return err
		}
	}
	work := make(chan string)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for s := range work {
				if err := appendStream(s); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, s := range others {
		work <- s
	}
	close(work)
	wg.Wait()
	return firstErr
}
