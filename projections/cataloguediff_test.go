package projections_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// movingCatalogue serves a catalogue one item per page while its
// checkpoint moves on after every read, as a projector's does: it records
// the position each read asked for. Every item is in force on every date
// and named after the date, so two dates differ in every item.
type movingCatalogue struct {
	projections.CatalogueView
	projections.EditionsView
	checkpoint eventstore.Position
	asked      []eventstore.Position
}

func (m *movingCatalogue) Catalogue(_ context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	if _, err := q.Validate(); err != nil {
		return projections.ItemPage{}, err
	}
	m.asked = append(m.asked, q.AsOf)
	at := projections.ReadAt(q.AsOf, m.checkpoint)
	m.checkpoint++
	n := 0
	if q.After != "" {
		n, _ = strconv.Atoi(q.After)
	}
	it := projections.Item{ID: strconv.Itoa(n), ItemFacts: domain.ItemFacts{Code: strconv.Itoa(n), Name: q.InForceOn.String()}}
	return projections.ItemPage{Items: []projections.Item{it}, Total: 3, AsOf: at,
		PageInfo: projections.PageInfo{EndCursor: strconv.Itoa(n + 1), HasNextPage: n < 2}}, nil
}

// Every page of both sides reads the position the first page was read at,
// however the checkpoint moves meanwhile.
func TestDiffCataloguePinsTheLatestPosition(t *testing.T) {
	v := &movingCatalogue{checkpoint: 10}
	from, to := projections.CataloguePoint{InForceOn: domain.MustDate("2024-01-01")}, projections.CataloguePoint{InForceOn: domain.MustDate("2025-01-01")}
	diff, err := projections.DiffCatalogue(context.Background(), v, from, to)
	require.NoError(t, err)
	require.Equal(t, []eventstore.Position{0, 10, 10, 10, 10, 10}, v.asked)
	require.Equal(t, eventstore.Position(10), diff.From.AsOf)
	require.Equal(t, eventstore.Position(10), diff.To.AsOf)
	require.Len(t, diff.Amended, 3)
	require.Equal(t, []string{"name"}, diff.Amended[2].Fields)
	require.Equal(t, "2024-01-01", diff.Amended[2].Before.Name)
	require.Equal(t, "2025-01-01", diff.Amended[2].After.Name)

	// A position given beyond the checkpoint is read as the checkpoint the
	// first page saw, on every page.
	v = &movingCatalogue{checkpoint: 10}
	from.AsOf = 99
	diff, err = projections.DiffCatalogue(context.Background(), v, from, to)
	require.NoError(t, err)
	require.Equal(t, []eventstore.Position{99, 10, 10, 0, 13, 13}, v.asked)
	require.Equal(t, eventstore.Position(10), diff.From.AsOf)
	require.Equal(t, eventstore.Position(13), diff.To.AsOf)
}
