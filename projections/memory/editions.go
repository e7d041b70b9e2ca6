package memory

import (
	"context"
	"sync"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// edition is a published edition. Its content never changes (it is read at
// the position before its publication), so it is computed once, by the
// first reader that needs it, and kept.
type edition struct {
	view  projections.Edition
	once  sync.Once
	items []projections.Item // in cursor order
}

func newEdition(e domain.EditionPublished, env *projections.Envelope) *edition {
	return &edition{view: projections.Edition{
		Name: e.Name, Basis: e.Basis, Reason: e.Reason, EffectiveFrom: e.EffectiveFrom,
		Actor: env.Meta.Actor, RecordedAt: env.RecordedAt, Position: env.Position, ContentAsOf: env.Position - 1,
	}}
}

// editionContent returns the catalogue in force on the edition's date as
// recorded strictly before its publication. The caller holds the read lock:
// every event before the edition is applied, so the content is final.
func (s *Store) editionContent(ed *edition) []projections.Item {
	ed.once.Do(func() {
		d, asOf := ed.view.EffectiveFrom, ed.view.ContentAsOf
		ed.items = []projections.Item{}
		for _, it := range s.itemOrder.inOrder() {
			if it.listed.at(asOf) && it.statusOn(d, asOf) == projections.ItemInForce {
				ed.items = append(ed.items, s.itemView(it, d, asOf, false))
			}
		}
		ed.view.ItemCount = len(ed.items)
	})
	return ed.items
}

// edition finds a published edition by asOf, its content computed.
func (s *Store) edition(name string, asOf eventstore.Position) (*edition, error) {
	ed := s.editions[name]
	if ed == nil || ed.view.Position > asOf {
		return nil, domain.Errorf(projections.CodeEditionNotFound, "name", "no edition %s published as of position %d", name, asOf)
	}
	s.editionContent(ed)
	return ed, nil
}

// Editions implements projections.Queries.
func (s *Store) Editions(ctx context.Context, asOf eventstore.Position) ([]projections.Edition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	asOf = projections.ReadAt(asOf, s.checkpoint)
	out := []projections.Edition{}
	for _, ed := range s.editionOrder {
		if ed.view.Position <= asOf {
			s.editionContent(ed)
			out = append(out, ed.view)
		}
	}
	return out, nil
}

// Edition implements projections.Queries.
func (s *Store) Edition(ctx context.Context, name string, asOf eventstore.Position) (projections.Edition, error) {
	if err := ctx.Err(); err != nil {
		return projections.Edition{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ed, err := s.edition(name, projections.ReadAt(asOf, s.checkpoint))
	if err != nil {
		return projections.Edition{}, err
	}
	return ed.view, nil
}

// EditionDiff implements projections.Queries.
func (s *Store) EditionDiff(ctx context.Context, from, to string, asOf eventstore.Position) (projections.EditionDiff, error) {
	if err := ctx.Err(); err != nil {
		return projections.EditionDiff{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	asOf = projections.ReadAt(asOf, s.checkpoint)
	a, err := s.edition(from, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	b, err := s.edition(to, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	return projections.Diff(a.view, b.view, a.items, b.items), nil
}
