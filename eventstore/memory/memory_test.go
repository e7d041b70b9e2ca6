package memory_test

import (
	"testing"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/eventstoretest"
	"github.com/catalogue/catalogue/eventstore/memory"
)

func TestContract(t *testing.T) {
	eventstoretest.Run(t, eventstoretest.Harness{
		// Nothing survives Close, so each Opener is called once.
		Storage: func(*testing.T) eventstoretest.Opener {
			return func() (eventstore.Store, error) { return memory.New(), nil }
		},
		Gapless: true,
	})
}
