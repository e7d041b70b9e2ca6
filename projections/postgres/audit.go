package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// logView is the log as a generation's tables hold it; its queries are the
// store's, run on the generation (see read).
type logView struct{ gen }

// ItemHistory implements projections.LogView.
func (v logView) ItemHistory(ctx context.Context, itemID string, asOf eventstore.Position) ([]projections.LogEntry, error) {
	return read(ctx, v.gen, func(s *Store) ([]projections.LogEntry, error) { return s.itemHistory(ctx, itemID, asOf) })
}

// AuditLog implements projections.LogView.
func (v logView) AuditLog(ctx context.Context, q projections.AuditQuery) (projections.LogPage, error) {
	return read(ctx, v.gen, func(s *Store) (projections.LogPage, error) { return s.auditLog(ctx, q) })
}

// PositionAt implements projections.LogView.
func (v logView) PositionAt(ctx context.Context, t time.Time) (eventstore.Position, error) {
	return read(ctx, v.gen, func(s *Store) (eventstore.Position, error) { return s.positionAt(ctx, t) })
}

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

// auditLog answers projections.LogView.AuditLog. Each filter is an indexed
// column (the bodies an event concerns by a GIN index); a recorded-time
// bound also bounds the high water, which is ordered with the position.
func (s *Store) auditLog(ctx context.Context, q projections.AuditQuery) (projections.LogPage, error) {
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

// positionAt answers projections.LogView.PositionAt: the last position whose high
// water (the latest recorded time up to it) is not after t.
func (s *Store) positionAt(ctx context.Context, t time.Time) (eventstore.Position, error) {
	var p int64
	err := s.db.QueryRow(ctx, s.sql(`SELECT COALESCE((SELECT position FROM {s}.log WHERE high_water <= $1
		ORDER BY high_water DESC, position DESC LIMIT 1), 0)`), nanos(t)).Scan(&p)
	if err != nil {
		return 0, s.fail("position at", err)
	}
	return eventstore.Position(p), nil
}

// itemHistory answers projections.LogView.ItemHistory.
func (s *Store) itemHistory(ctx context.Context, itemID string, asOf eventstore.Position) ([]projections.LogEntry, error) {
	asOf, err := s.readAt(ctx, asOf)
	if err != nil {
		return nil, err
	}
	var listed bool
	if err := s.db.QueryRow(ctx, s.sql("SELECT EXISTS (SELECT 1 FROM {s}.items WHERE id = $1 AND listed_pos <= $2)"), itemID, pos(asOf)).Scan(&listed); err != nil {
		return nil, s.fail("item history", err)
	}
	if !listed {
		return nil, domain.Errorf(domain.CodeItemNotFound, "id", "no item %s as of position %d", itemID, asOf)
	}
	l := s.logList(asOf)
	l.filter("l.item_id = @item", "item", itemID)
	l.filter("l.stream = @stream", "stream", domain.ItemStream(itemID))
	entries, _, _, err := page(ctx, s.db, l, nil, scanEntry)
	if entries == nil {
		entries = []projections.LogEntry{}
	}
	return entries, s.fail("item history", err)
}

// concernHandlers add the bodies an event concerns to w.concern, for its
// log row: the body registered; the delegator and receiver of a delegation
// and of its acceptance or withdrawal, and the receiver of every
// delegation a withdrawal or a revocation ended. They read the batch's
// delegations, which the delegations view has applied the event to.
var concernHandlers = func() *projections.Handlers[*writer] {
	h := projections.NewHandlers[*writer](projections.ViewLog)
	projections.On(h, func(w *writer, e domain.ItemDelegated, _ *projections.Envelope) {
		w.addBody(e.From)
		w.addBody(e.To)
	})
	projections.On(h, func(w *writer, e domain.DelegationAccepted, _ *projections.Envelope) {
		if d := w.delegations[e.DelegationID]; d != nil {
			w.addBody(d.e.From)
		}
		w.addBody(e.Body)
	})
	projections.On(h, func(w *writer, e domain.DelegationWithdrawn, _ *projections.Envelope) {
		if d := w.delegations[e.DelegationID]; d != nil {
			w.addBody(d.e.From)
			w.addBody(d.e.To)
		}
		w.ended(e.Ended)
	})
	projections.On(h, func(w *writer, e domain.ItemRevoked, _ *projections.Envelope) { w.ended(e.Ended) })
	projections.On(h, func(w *writer, e domain.BodyRegistered, _ *projections.Envelope) { w.addBody(e.Code) })
	return h
}()

// ended adds the receivers of the (known) delegations ids.
func (w *writer) ended(ids []string) {
	for _, id := range ids {
		if d := w.delegations[id]; d != nil {
			w.addBody(d.e.To)
		}
	}
}

// addBody adds a body to those the event concerns, once; "" is not added.
func (w *writer) addBody(code string) {
	if code != "" && !slices.Contains(w.concern, code) {
		w.concern = append(w.concern, code)
	}
}

// logRow records the event, of kind k, in the log: every event of ours,
// whatever its type, with the bodies it concerns and whether it changed
// its item's particulars.
func (w *writer) logRow(k projections.Kind, env *projections.Envelope) {
	w.concern = nil // the row keeps the slice
	concernHandlers.Apply(w, k, env)
	factsChange := w.factsChanged
	w.factsChanged = false
	w.highWater = max(w.highWater, nanos(env.RecordedAt))
	ch := domain.ChangeOf(env.Event)
	w.log = append(w.log, []any{pos(env.Position), [16]byte(env.ID), env.Stream, int64(env.Revision), env.Type, env.Data,
		domain.ItemOf(env.Event), textArray(w.concern), ch.Basis, ch.Reason, pgDate(ch.EffectiveFrom), env.Meta.Actor,
		env.Meta.CommandID, env.Meta.CorrelationID, env.Meta.CausationID, nanos(env.RecordedAt), w.highWater, factsChange})
}
