package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/eventstoretest"
	"github.com/catalogue/catalogue/eventstore/sqlite"
)

func TestContract(t *testing.T) {
	eventstoretest.Run(t, eventstoretest.Harness{
		Storage: func(t *testing.T) eventstoretest.Opener {
			path := filepath.Join(t.TempDir(), "events.db")
			return func() (eventstore.Store, error) { return sqlite.Open(path) }
		},
		Durable: true,
		Gapless: true,
	})
}
