package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// logList returns the log up to asOf in order of position.
func (s *Store) logList(asOf eventstore.Position) *list {
	l := &list{name: projections.ListLog, from: s.sql("FROM {s}.log l"),
		cols: `l.position, l.event_id, l.stream, l.revision, l.type, l.data, l.item_id, l.bodies, l.basis, l.reason,
			l.effective_from, l.actor, l.command_id, l.correlation_id, l.causation_id, l.recorded_at`,
		pos: "l.position", args: pgx.NamedArgs{"asof": pos(asOf)}}
	l.filter("l.position <= @asof", "", nil)
	return l
}

func scanEntry(rows pgx.Rows) (projections.LogEntry, projections.Cursor, error) {
	var e projections.LogEntry
	var p, revision, recorded int64
	var id pgtype.UUID
	var from pgtype.Date
	if err := rows.Scan(&p, &id, &e.Stream, &revision, &e.Type, &e.Data, &e.ItemID, &e.Bodies, &e.Basis, &e.Reason,
		&from, &e.Actor, &e.CommandID, &e.CorrelationID, &e.CausationID, &recorded); err != nil {
		return e, projections.Cursor{}, err
	}
	e.Position, e.EventID, e.Revision = eventstore.Position(p), id.Bytes, uint64(revision)
	e.EffectiveFrom, e.RecordedAt = fromPGDate(from), fromNanos(recorded)
	if len(e.Bodies) == 0 {
		e.Bodies = nil
	}
	return e, projections.Cursor{Pos: e.Position}, nil
}

// AuditLog implements projections.Queries. Each filter is an indexed
// column (the bodies an event concerns by a GIN index); a recorded-time
// bound also bounds the high water, which is ordered with the position.
func (s *Store) AuditLog(ctx context.Context, q projections.AuditQuery) (projections.LogPage, error) {
	if err := q.Validate(); err != nil {
		return projections.LogPage{}, err
	}
	asOf, err := s.readAt(ctx, q.AsOf)
	if err != nil {
		return projections.LogPage{}, err
	}
	l := s.logList(asOf)
	if !q.RecordedFrom.IsZero() {
		l.filter("l.recorded_at >= @rfrom AND l.high_water >= @rfrom", "rfrom", nanos(q.RecordedFrom))
	}
	if !q.RecordedBefore.IsZero() {
		l.filter("l.recorded_at < @rbefore", "rbefore", nanos(q.RecordedBefore))
	}
	if q.Actor != "" {
		l.filter("l.actor = @actor", "actor", q.Actor)
	}
	if q.Types != nil {
		l.filter("l.type = ANY(@types)", "types", q.Types)
	}
	if q.ItemID != "" {
		l.filter("l.item_id = @item", "item", q.ItemID)
	}
	if q.Body != "" {
		l.filter("l.bodies @> ARRAY[@body]::text[]", "body", q.Body)
	}
	if q.Basis != "" {
		l.filter("l.basis = @basis", "basis", q.Basis)
	}
	entries, _, info, err := page(ctx, s.db, l, &q.Page, scanEntry)
	if err != nil {
		return projections.LogPage{}, s.fail("audit log", err)
	}
	return projections.LogPage{Entries: entries, PageInfo: info, AsOf: asOf}, nil
}

// PositionAt implements projections.Queries: the last position whose high
// water (the latest recorded time up to it) is not after t.
func (s *Store) PositionAt(ctx context.Context, t time.Time) (eventstore.Position, error) {
	var p int64
	err := s.db.QueryRow(ctx, s.sql(`SELECT COALESCE((SELECT position FROM {s}.log WHERE high_water <= $1
		ORDER BY high_water DESC, position DESC LIMIT 1), 0)`), nanos(t)).Scan(&p)
	if err != nil {
		return 0, s.fail("position at", err)
	}
	return eventstore.Position(p), nil
}
