package ledger_test

import (
	"fmt"
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// BenchmarkAmendOnMemory measures the ledger's own cost per command — the
// generic loop, the fold, the fingerprint, the envelope — on the in-memory
// log, where no fsync hides it. Each item's stream grows as the benchmark
// runs (b.N/64 amendments each), as a busy item's would.
//
//	go test -bench AmendOnMemory -run '^$' ./ledger
func BenchmarkAmendOnMemory(b *testing.B) {
	s := memory.New()
	defer s.Close()
	l := ledger.New(s)
	ids := make([]string, 64)
	for i := range ids {
		res, err := l.ListItem(ctx, req(fmt.Sprint("list-", i)), listing(fmt.Sprintf("BENCH%04d", i), "林木采伐许可证核发"))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = res.ID
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		name := fmt.Sprintf("林木采伐许可证核发（第%d次调整）", n)
		if _, err := l.AmendItem(ctx, req(fmt.Sprint("amend-", n)), ids[n%len(ids)],
			domain.AmendItem{Name: &name, Change: chg("青政办字〔2024〕3号", "2024-01-01")}); err != nil {
			b.Fatal(err)
		}
	}
}
