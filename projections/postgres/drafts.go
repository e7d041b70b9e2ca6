package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Drafts implements projections.EditionsView.
func (v editionsView) Drafts(ctx context.Context, q projections.DraftQuery) ([]projections.Draft, error) {
	return read(ctx, v.gen, func(s *Store) ([]projections.Draft, error) { return s.allDrafts(ctx, q) })
}

// Draft implements projections.EditionsView.
func (v editionsView) Draft(ctx context.Context, name string, asOf eventstore.Position) (projections.Draft, error) {
	return read(ctx, v.gen, func(s *Store) (projections.Draft, error) { return s.draft(ctx, name, asOf) })
}

// drafts returns the drafts opened by asOf (all, or the one named), in
// order of opening, each as known at asOf (projections.Draft.AsOf: the
// row holds the draft's whole life).
func (s *Store) drafts(ctx context.Context, name string, asOf eventstore.Position) ([]projections.Draft, error) {
	query := `SELECT name, reason, opened_by, opened_at, opened_pos, discarded_by, discarded_at, discard_reason, discarded_pos
		FROM {s}.drafts WHERE opened_pos <= $1`
	args := []any{pos(asOf)}
	if name != "" {
		query += " AND name = $2"
		args = append(args, name)
	}
	rows, err := s.db.Query(ctx, s.sql(query+" ORDER BY opened_pos"), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (projections.Draft, error) {
		var d projections.Draft
		var openedAt, opened int64
		var discardedBy, discardReason *string
		var discardedAt, discarded *int64
		if err := row.Scan(&d.Name, &d.Reason, &d.OpenedBy, &openedAt, &opened, &discardedBy, &discardedAt, &discardReason, &discarded); err != nil {
			return d, err
		}
		d.OpenedAt, d.OpenedPosition = fromNanos(openedAt), eventstore.Position(opened)
		if discarded != nil {
			d.DiscardedBy, d.DiscardedAt, d.DiscardReason, d.DiscardedPosition = *discardedBy, fromNanos(*discardedAt), *discardReason, eventstore.Position(*discarded)
		}
		d, _ = d.AsOf(asOf)
		return d, nil
	})
}

// allDrafts answers projections.EditionsView.Drafts. Drafts are few (a
// handful a year), so the status filter runs here, on the drafts as known
// at the position read.
func (s *Store) allDrafts(ctx context.Context, q projections.DraftQuery) ([]projections.Draft, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	asOf, err := s.readAt(ctx, q.AsOf)
	if err != nil {
		return nil, err
	}
	ds, err := s.drafts(ctx, "", asOf)
	if err != nil {
		return nil, s.fail("drafts", err)
	}
	out := []projections.Draft{}
	for _, d := range ds {
		if q.Wants(d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// draft answers projections.EditionsView.Draft.
func (s *Store) draft(ctx context.Context, name string, asOf eventstore.Position) (projections.Draft, error) {
	asOf, err := s.readAt(ctx, asOf)
	if err != nil {
		return projections.Draft{}, err
	}
	ds, err := s.drafts(ctx, name, asOf)
	if err != nil {
		return projections.Draft{}, s.fail("draft", err)
	}
	if len(ds) == 0 {
		return projections.Draft{}, projections.DraftNotFound(name, asOf)
	}
	return ds[0], nil
}

// onDrafts adds the drafts' handlers to the editions view's write table.
// Both go in the batch's updates, in event order, so a draft opened and
// discarded in one batch is both; as in the memory store, the first
// opening and the first discarding of a name count (ON CONFLICT, and
// discarded_pos IS NULL), and a discarding of a draft never opened
// changes no row.
func onDrafts(h *projections.Handlers[*writer]) {
	projections.On(h, func(w *writer, e domain.DraftOpened, env *projections.Envelope) {
		w.updates.Queue(w.s.sql(`INSERT INTO {s}.drafts (name, reason, opened_by, opened_at, opened_pos)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`), e.Name, e.Reason, env.Meta.Actor, nanos(env.RecordedAt), pos(env.Position))
	})
	projections.On(h, func(w *writer, e domain.DraftDiscarded, env *projections.Envelope) {
		w.updates.Queue(w.s.sql(`UPDATE {s}.drafts SET discarded_by = $2, discarded_at = $3, discard_reason = $4, discarded_pos = $5
			WHERE name = $1 AND discarded_pos IS NULL`), e.Name, env.Meta.Actor, nanos(env.RecordedAt), e.Reason, pos(env.Position))
	})
}
