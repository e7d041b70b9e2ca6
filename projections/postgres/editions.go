package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// editionsView is the editions as a generation's tables hold it; its queries are the
// store's, run on the generation (see read).
type editionsView struct{ gen }

// Editions implements projections.EditionsView.
func (v editionsView) Editions(ctx context.Context, asOf eventstore.Position) ([]projections.Edition, error) {
	return read(ctx, v.gen, func(s *Store) ([]projections.Edition, error) { return s.allEditions(ctx, asOf) })
}

// Edition implements projections.EditionsView.
func (v editionsView) Edition(ctx context.Context, name string, asOf eventstore.Position) (projections.Edition, error) {
	return read(ctx, v.gen, func(s *Store) (projections.Edition, error) { return s.edition(ctx, name, asOf) })
}

// EditionDiff implements projections.EditionsView.
func (v editionsView) EditionDiff(ctx context.Context, from, to string, asOf eventstore.Position) (projections.EditionDiff, error) {
	return read(ctx, v.gen, func(s *Store) (projections.EditionDiff, error) { return s.editionDiff(ctx, from, to, asOf) })
}

// editions returns the editions published by asOf (all of them, or the one
// named), each with its item count. An edition's content is the catalogue
// in force on its date as recorded before its publication, which rows
// stamped with positions answer for ever; so it is not stored apart.
func (s *Store) editions(ctx context.Context, name string, asOf eventstore.Position) ([]projections.Edition, error) {
	query := `SELECT name, basis, reason, effective_from, actor, recorded_at, position FROM {s}.editions WHERE position <= $1`
	args := []any{pos(asOf)}
	if name != "" {
		query += " AND name = $2"
		args = append(args, name)
	}
	rows, err := s.db.Query(ctx, s.sql(query+" ORDER BY position"), args...)
	if err != nil {
		return nil, err
	}
	eds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (projections.Edition, error) {
		var e projections.Edition
		var from pgtype.Date
		var recorded, p int64
		err := row.Scan(&e.Name, &e.Basis, &e.Reason, &from, &e.Actor, &recorded, &p)
		e.EffectiveFrom, e.RecordedAt, e.Position = fromPGDate(from), fromNanos(recorded), eventstore.Position(p)
		e.ContentAsOf = e.Position - 1
		return e, err
	})
	if err != nil {
		return nil, err
	}
	for i := range eds {
		l := s.editionList(eds[i], projections.CatalogueQuery{})
		if err := s.db.QueryRow(ctx, "SELECT count(*) "+l.from+l.whereSQL(), l.args).Scan(&eds[i].ItemCount); err != nil {
			return nil, err
		}
	}
	return eds, nil
}

// editionList is the list of an edition's items, with a catalogue query's
// filters on particulars.
func (s *Store) editionList(e projections.Edition, q projections.CatalogueQuery) *list {
	return s.itemList(q, projections.ItemInForce, e.EffectiveFrom, e.ContentAsOf)
}

// edition finds the edition published by asOf (0 = the checkpoint).
func (s *Store) edition(ctx context.Context, name string, asOf eventstore.Position) (projections.Edition, error) {
	asOf, err := s.readAt(ctx, asOf)
	if err != nil {
		return projections.Edition{}, err
	}
	eds, err := s.editions(ctx, name, asOf)
	if err != nil {
		return projections.Edition{}, s.fail("edition", err)
	}
	if len(eds) == 0 {
		return projections.Edition{}, domain.Errorf(projections.CodeEditionNotFound, "name", "no edition %s published as of position %d", name, asOf)
	}
	return eds[0], nil
}

// allEditions answers projections.EditionsView.Editions.
func (s *Store) allEditions(ctx context.Context, asOf eventstore.Position) ([]projections.Edition, error) {
	asOf, err := s.readAt(ctx, asOf)
	if err != nil {
		return nil, err
	}
	eds, err := s.editions(ctx, "", asOf)
	return eds, s.fail("editions", err)
}

// editionDiff answers projections.EditionsView.EditionDiff with the shared comparison,
// projections.Diff, on the two editions' whole contents.
func (s *Store) editionDiff(ctx context.Context, from, to string, asOf eventstore.Position) (projections.EditionDiff, error) {
	a, err := s.edition(ctx, from, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	b, err := s.edition(ctx, to, asOf)
	if err != nil {
		return projections.EditionDiff{}, err
	}
	var contents [2][]projections.Item
	for i, e := range []projections.Edition{a, b} {
		if contents[i], _, _, err = s.items(ctx, s.editionList(e, projections.CatalogueQuery{}), nil, e.EffectiveFrom, e.ContentAsOf); err != nil {
			return projections.EditionDiff{}, s.fail("edition diff", err)
		}
	}
	return projections.Diff(a, b, contents[0], contents[1]), nil
}

// editionsWrites is how the editions view applies events to a batch: an
// edition is published once (within the batch here, across batches by ON
// CONFLICT). Its content is the catalogue's rows, read at its position.
// The drafts' handlers are in drafts.go.
var editionsWrites = func() *projections.Handlers[*writer] {
	h := projections.NewHandlers[*writer](projections.ViewEditions)
	projections.On(h, func(w *writer, e domain.EditionPublished, env *projections.Envelope) {
		if !w.editions[e.Name] {
			w.editions[e.Name] = true
			w.editionRows = append(w.editionRows, []any{e.Name, e.Basis, e.Reason, pgDate(e.EffectiveFrom), env.Meta.Actor, nanos(env.RecordedAt), pos(env.Position)})
		}
	})
	onDrafts(h)
	return h
}()
