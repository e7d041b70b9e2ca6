package memory_test

import (
	"testing"
	"time"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/memory"
)

// BenchmarkApply measures the store alone: the city's events are read and
// decoded once, then applied to a fresh store in batches as the projector
// makes them. Against BenchmarkRebuild it leaves out the read and the
// decode, so what the views cost per event (their dispatch included)
// shows undiluted:
//
//	go test -bench Apply -benchtime 3x -run '^$' ./projections/memory
func BenchmarkApply(b *testing.B) {
	log, n := city(b)
	recs, err := log.ReadAll(ctx, eventstore.Start, n)
	if err != nil {
		b.Fatal(err)
	}
	envs := make([]projections.Envelope, len(recs))
	for i, r := range recs {
		if envs[i], err = projections.Decode(r); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 1024
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		s := memory.New()
		for i := 0; i < len(envs); i += batch {
			if err := s.Apply(ctx, envs[i:min(len(envs), i+batch)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*b.N), "cpu-ns/event")
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n*b.N), "ns/event")
}
