package memory

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/catalogue/catalogue/eventstore"
	eventmemory "github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

// packSamples are texts whose packing must round-trip: events as stored,
// and what could mislead the packer about where strings are.
var packSamples = []string{
	``,
	`{}`,
	`"`,
	`""`,
	`{"itemId":"item-1","to":"370211","mode":"DEVOLVE","basis":"青政发〔2023〕12号","effectiveUntil":null}`,
	`{"itemId":"item-1","scope":["GEN1-01","GEN1-02"],"reason":"依法调整（“证照分离”改革）"}`,
	`{"name":"say \"item-1\"","itemId":"item-1"}`,
	`{"name":"\"item-1\":"}`,
	`{"itemId":"item-1`,
	`item-1"item-1"item-1"`,
	`{"` + strings.Repeat("k", maxName+1) + `":"item-1"}`,
	"\x00\xff\"item-1\"\x80",
}

func packStore() *Store {
	s := New()
	for _, v := range []string{"item-1", "370211", "DEVOLVE", "青政发〔2023〕12号", "GEN1-01", "依法调整（“证照分离”改革）"} {
		s.syms.intern(v)
	}
	return s
}

func TestPackJSONRoundTrips(t *testing.T) {
	s := packStore()
	for _, sample := range packSamples {
		packed := s.log.packJSON(nil, []byte(sample))
		if got := s.log.unpackJSON(nil, packed); string(got) != sample {
			t.Errorf("packed %q, unpacked %q", sample, got)
		}
	}
	// An event packs to much less than its text.
	ev := []byte(packSamples[4])
	if packed := s.log.packJSON(nil, ev); len(packed) > len(ev)/2 {
		t.Errorf("packed %d bytes into %d", len(ev), len(packed))
	}
}

func FuzzPackJSON(f *testing.F) {
	for _, sample := range packSamples {
		f.Add([]byte(sample))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := packStore()
		packed := s.log.packJSON(nil, data)
		if got := s.log.unpackJSON(nil, packed); !bytes.Equal(got, data) {
			t.Fatalf("packed %q, unpacked %q", data, got)
		}
	})
}

// BenchmarkPackJSON packs the data of a generated city's events into a
// store that has applied them.
func BenchmarkPackJSON(b *testing.B) {
	log := eventmemory.New()
	defer log.Close()
	shape := projectionstest.CityShape
	shape.Items = 300
	if _, err := projectionstest.Generate(context.Background(), log, shape); err != nil {
		b.Fatal(err)
	}
	s := New()
	if _, err := projections.Rebuild(context.Background(), log, s); err != nil {
		b.Fatal(err)
	}
	events, err := log.ReadAll(context.Background(), eventstore.Start, 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	var in, out int
	var buf []byte
	for i := 0; b.Loop(); i++ {
		data := events[i%len(events)].Data
		buf = s.log.packJSON(buf[:0], data)
		in, out = in+len(data), out+len(buf)
	}
	b.ReportMetric(float64(out)/float64(in), "packed/raw")
}
