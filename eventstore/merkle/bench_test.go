package merkle

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/catalogue/catalogue/eventstore"
)

func benchEvents(n int) []eventstore.RecordedEvent {
	out := make([]eventstore.RecordedEvent, n)
	for i := range out {
		out[i] = eventstore.RecordedEvent{ID: uuid.New(), Stream: "item-" + uuid.NewString(), Revision: uint64(i % 7),
			Position: eventstore.Position(i + 1), Type: "ItemDelegated.v1",
			Data:       []byte(`{"itemId":"0b6f2c6e-1d7e-4a55-9d2f-1b2f3c4d5e6f","delegationId":"5f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b","to":"370211","mode":"DEVOLVE","effectiveUntil":null,"basis":"青政发〔2023〕5号","reason":"","effectiveFrom":"2024-01-01"}`),
			Metadata:   []byte(`{"actor":"legal@qingdao","commandId":"7d4b1c2a-9f8e-4d3c-b2a1-0f9e8d7c6b5a","recordedAt":"2026-12-07T04:00:00.123456789Z"}`),
			RecordedAt: time.Date(2026, 12, 7, 4, 0, 0, i, time.UTC)}
	}
	return out
}

// BenchmarkTree hashes and appends every event of a log; the baseline,
// BenchmarkRawSHA256, is one SHA-256 over each event's data and metadata —
// what any verifier must at least do. The ratio of their rates is the
// figure the README reports.
func BenchmarkTree(b *testing.B) {
	events := benchEvents(10000)
	b.ReportAllocs()
	for b.Loop() {
		t := &Tree{}
		for i := range events {
			t.Append(LeafHash(events[i]))
		}
		if _, err := t.Root(t.Size()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkRawSHA256(b *testing.B) {
	events := benchEvents(10000)
	for b.Loop() {
		for i := range events {
			h := sha256.New()
			h.Write(events[i].Data)
			h.Write(events[i].Metadata)
			h.Sum(nil)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
}
