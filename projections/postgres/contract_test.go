package postgres_test

import (
	"testing"

	"github.com/catalogue/catalogue/projections"
	"github.com/catalogue/catalogue/projections/projectionstest"
)

func TestContract(t *testing.T) {
	needPostgres(t)
	projectionstest.Run(t, func(t *testing.T) projections.Store { return newStore(t) })
}
