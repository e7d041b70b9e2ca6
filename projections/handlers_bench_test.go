package projections_test

import (
	"testing"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// BenchmarkDispatch measures what the handler tables cost a store per
// event: one KindOf and five tables (the memory store's views), each
// calling a handler that does nothing but count, against a type switch
// with the same five calls. The events cycle through the registry's kinds.
//
//	go test -bench Dispatch -run '^$' ./projections
func BenchmarkDispatch(b *testing.B) {
	events := []domain.Event{domain.ItemListed{}, domain.ItemAmended{}, domain.ItemDelegated{}, domain.DelegationAccepted{},
		domain.DelegationWithdrawn{}, domain.ItemRevoked{}, domain.ItemCodeReserved{}, domain.BodyRegistered{}, domain.EditionPublished{}}
	envs := make([]projections.Envelope, len(events))
	for i, e := range events {
		envs[i].Event = e
	}
	b.Run("tables", func(b *testing.B) {
		var tables [5]*projections.Handlers[*int]
		for i := range tables {
			h := projections.NewHandlers[*int]("bench")
			projections.On(h, func(n *int, _ domain.ItemListed, _ *projections.Envelope) { *n++ })
			projections.On(h, func(n *int, _ domain.ItemDelegated, _ *projections.Envelope) { *n++ })
			projections.On(h, func(n *int, _ domain.DelegationAccepted, _ *projections.Envelope) { *n++ })
			tables[i] = h
		}
		var n int
		for i := 0; b.Loop(); i++ {
			env := &envs[i%len(envs)]
			k, _ := projections.KindOf(env.Event)
			for _, h := range tables {
				h.Apply(&n, k, env)
			}
		}
	})
	b.Run("switch", func(b *testing.B) {
		var n int
		count := func(*int, *projections.Envelope) { n++ }
		for i := 0; b.Loop(); i++ {
			env := &envs[i%len(envs)]
			for range 5 {
				switch env.Event.(type) {
				case domain.ItemListed, domain.ItemDelegated, domain.DelegationAccepted:
					count(&n, env)
				}
			}
		}
	})
}

// BenchmarkKindOf measures the one lookup per event that every table's
// dispatch shares.
func BenchmarkKindOf(b *testing.B) {
	events := []domain.Event{domain.ItemListed{}, domain.ItemAmended{}, domain.ItemDelegated{}, domain.DelegationAccepted{},
		domain.DelegationWithdrawn{}, domain.ItemRevoked{}, domain.ItemCodeReserved{}, domain.BodyRegistered{}, domain.EditionPublished{}}
	var sum projections.Kind
	for i := 0; b.Loop(); i++ {
		k, _ := projections.KindOf(events[i%len(events)])
		sum += k
	}
	_ = sum
}
