package projections_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

var (
	sampleOnce sync.Once
	sample     []eventstore.RecordedEvent
)

// cityEvents returns the events of a generated city-scale log: the real mix
// of event types, sizes and texts.
func cityEvents(b *testing.B) []eventstore.RecordedEvent {
	sampleOnce.Do(func() {
		log := eventmemory.New()
		defer log.Close()
		shape := projectionstest.CityShape
		shape.Items = 2000
		if _, err := projectionstest.Generate(ctx, log, shape); err != nil {
			b.Fatal(err)
		}
		var err error
		if sample, err = log.ReadAll(ctx, eventstore.Start, 1<<20); err != nil {
			b.Fatal(err)
		}
	})
	return sample
}

// BenchmarkDecode compares the projector's decoding of an envelope (event
// and metadata) with encoding/json through domain.Decode, per event of a
// city's log.
func BenchmarkDecode(b *testing.B) {
	events := cityEvents(b)
	b.Run("projections", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := projections.Decode(events[i%len(events)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			e := events[i%len(events)]
			if _, err := domain.Decode(e.Type, e.Data); err != nil {
				b.Fatal(err)
			}
			var m eventstore.Metadata
			if err := json.Unmarshal(e.Metadata, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
