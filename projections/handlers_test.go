package projections_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

type counter struct{ listed, amended int }

// A table that says nothing about an event is reported by Missing, so a
// view's coverage test fails when the registry gains an event it lacks.
func TestHandlersMissing(t *testing.T) {
	h := projections.NewHandlers[*counter]("test")
	projections.On(h, func(c *counter, _ domain.ItemListed, _ *projections.Envelope) { c.listed++ })
	var rest []string // every current event but the listing, in registry order
	for _, d := range domain.CurrentEvents() {
		if d.Type != domain.TypeItemListed {
			rest = append(rest, d.Type)
		}
	}
	require.Equal(t, rest, h.Missing())
	require.Equal(t, map[string][]string{"test": rest}, projections.MissingHandlers(h))

	// An explicit Ignore counts as a decision; the others stay reported.
	projections.Ignore[domain.BodyRegistered](h)
	require.NotContains(t, h.Missing(), domain.TypeBodyRegistered)
	require.Len(t, h.Missing(), len(rest)-1)
}

// DeclareIgnores gives a view's table the read side's ignores for that
// view: with its handlers, the bodies view then decides every event.
func TestDeclareIgnores(t *testing.T) {
	h := projections.NewHandlers[*counter](projections.ViewBodies)
	projections.On(h, func(*counter, domain.BodyRegistered, *projections.Envelope) {})
	require.Len(t, h.Missing(), len(domain.CurrentEvents())-1)
	projections.DeclareIgnores(h)
	require.Empty(t, h.Missing())

	require.Panics(t, func() { projections.DeclareIgnores(projections.NewHandlers[*counter]("no such view")) })
	// The handler of an event the list says the view ignores is a
	// contradiction, found when the table is built.
	cat := projections.NewHandlers[*counter](projections.ViewCatalogue)
	projections.On(cat, func(*counter, domain.EditionPublished, *projections.Envelope) {})
	require.Panics(t, func() { projections.DeclareIgnores(cat) })
}

// Dispatch runs the handler of the event's type and nothing for an
// ignored one or an event the registry does not know.
func TestHandlersApply(t *testing.T) {
	h := projections.NewHandlers[*counter]("test")
	projections.On(h, func(c *counter, e domain.ItemListed, env *projections.Envelope) {
		require.Equal(t, "item-1", e.ItemID)
		require.Equal(t, env.Event, domain.Event(e))
		c.listed++
	})
	projections.Ignore[domain.ItemAmended](h)
	var c counter
	for _, ev := range []domain.Event{domain.ItemListed{ItemID: "item-1"}, domain.ItemAmended{ItemID: "item-1"}, unknown{}} {
		k, known := projections.KindOf(ev)
		require.Equal(t, ev != domain.Event(unknown{}), known)
		h.Apply(&c, k, &projections.Envelope{Event: ev})
	}
	require.Equal(t, counter{listed: 1}, c)
}

type unknown struct{}

func (unknown) EventType() string { return "Unknown.v1" }

// An entry for an event the registry does not hold, or a second entry for
// one, is a mistake in the program: it panics when the table is built.
func TestHandlersRefuseMistakes(t *testing.T) {
	h := projections.NewHandlers[*counter]("test")
	require.Panics(t, func() { projections.Ignore[unknown](h) })
	projections.Ignore[domain.ItemAmended](h)
	require.Panics(t, func() {
		projections.On(h, func(*counter, domain.ItemAmended, *projections.Envelope) {})
	})
}
