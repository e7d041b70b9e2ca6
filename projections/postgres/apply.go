package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Apply implements projections.Store: the batch's rows and the checkpoint
// are written in one transaction, so after a crash at any point rows and
// checkpoint agree. The checkpoint row is locked first (FOR UPDATE): a
// second writer waits, then sees the new checkpoint and skips what the
// first applied, so nothing is applied twice even by two writers.
//
// New rows go in with COPY (pgx's CopyFrom, binary format); changes to
// rows of earlier batches (marks on delegations, revocations, superseded versions) in one
// pgx.Batch. What the memory store tolerates, this store tolerates too: a
// second listing of an item or registration of a body is ignored, and a
// reference to an unknown delegation is kept in the log only.
//
// In bulk mode (BeginBulk) the same rows are written; the transaction
// then commits without waiting for the WAL flush.
func (s *Store) Apply(ctx context.Context, batch []projections.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range batch {
		if batch[i].Position > math.MaxInt64 {
			return fmt.Errorf("postgres: apply: position %d does not fit a bigint", batch[i].Position)
		}
		if i > 0 && batch[i].Position <= batch[i-1].Position {
			return fmt.Errorf("postgres: apply: position %d follows %d; a batch must be in feed order", batch[i].Position, batch[i-1].Position)
		}
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) (err error) {
		// In bulk mode the transaction commits without waiting for the
		// WAL flush (see BeginBulk for why that is safe): set in the
		// statement that locks the checkpoint, so it costs no round trip.
		// CASE runs set_config only when the schema is in bulk mode.
		var cp, highWater int64
		if err := tx.QueryRow(ctx, s.sql(`SELECT position, high_water,
			CASE WHEN to_regclass('{s}.`+bulkTable+`') IS NOT NULL THEN set_config('synchronous_commit', 'off', true) END
			FROM {s}.checkpoint FOR UPDATE`)).Scan(&cp, &highWater, nil); err != nil {
			return err
		}
		for len(batch) > 0 && pos(batch[0].Position) <= cp {
			batch = batch[1:] // applied before: a redelivery
		}
		if len(batch) == 0 {
			return nil
		}
		w := &writer{s: s, tx: tx, checkpoint: cp, highWater: highWater, log: make([][]any, 0, len(batch)),
			items: map[string]*itemRow{}, delegations: map[string]*delegationRow{}, bodies: map[string]bool{}, editions: map[string]bool{}}
		if err := w.load(ctx, batch); err != nil {
			return err
		}
		for i := range batch {
			if batch[i].Event != nil {
				w.apply(&batch[i])
			}
		}
		if err := w.flush(ctx); err != nil {
			return err
		}
		// The notification is delivered at commit, with the rows: readers
		// in other processes (Follow) learn the new checkpoint at once.
		_, err = tx.Exec(ctx, s.sql("WITH c AS (UPDATE {s}.checkpoint SET position = $1, high_water = $2 RETURNING position) "+
			"SELECT pg_notify($3, $4 || ' ' || position) FROM c"),
			pos(batch[len(batch)-1].Position), w.highWater, NotifyChannel, s.schema)
		return err
	})
	return s.fail("apply", err)
}

// NotifyChannel is the channel on which every committed batch announces
// "<schema> <checkpoint>", and a generation switch "switch <name>".
const NotifyChannel = "catalogue_read_models"

// itemRow is an item as the batch knows it: loaded (old) or listed in the
// batch (fresh, copied at the end).
type itemRow struct {
	id, code   string
	fresh      bool
	listedPos  eventstore.Position
	listedFrom domain.Date
	revoked    mark
}

// delegationRow is a delegation as the batch knows it.
type delegationRow struct {
	e                            domain.ItemDelegated
	code                         string // its item's code: the order of delegation lists
	fresh                        bool
	pos                          eventstore.Position
	accepted, withdrawn, revoked mark
}

// mark is a fact with the position that recorded it; only the first
// recording counts (as in the memory store).
type mark struct {
	from domain.Date
	pos  eventstore.Position
}

func (m *mark) set(from domain.Date, p eventstore.Position) {
	if m.pos == 0 {
		*m = mark{from: from, pos: p}
	}
}

// writer accumulates one batch's writes.
type writer struct {
	s          *Store
	tx         pgx.Tx
	checkpoint int64
	highWater  int64

	items       map[string]*itemRow
	delegations map[string]*delegationRow
	bodies      map[string]bool // registered in the batch
	editions    map[string]bool

	log     [][]any  // the log's rows
	concern []string // the bodies the event being applied concerns
	// factsChanged tells whether the event being applied changed its
	// item's particulars.
	factsChanged bool
	freshItems   []*itemRow
	freshDels    []*delegationRow
	facts        []string                 // items listed or amended in the batch, in order
	changes      map[string][]factsChange // the batch's listings and amendments by item
	updates      pgx.Batch                // changes to rows of earlier batches, in event order
	bodyRows     [][]any
	editionRows  [][]any
}

// refs are the rows of earlier batches a batch refers to: the items and
// delegations it changes or delegates under, each once (an item is named
// by each of its delegations, and a delegation by its acceptance).
type refs struct {
	itemIDs, delIDs   []string
	seenItem, seenDel map[string]bool
}

func (r *refs) item(id string) {
	if !r.seenItem[id] {
		r.seenItem[id] = true
		r.itemIDs = append(r.itemIDs, id)
	}
}

func (r *refs) del(ids ...string) {
	for _, id := range ids {
		if !r.seenDel[id] {
			r.seenDel[id] = true
			r.delIDs = append(r.delIDs, id)
		}
	}
}

// refHandlers say which rows of earlier batches an event refers to.
var refHandlers = func() *projections.Handlers[*refs] {
	h := projections.NewHandlers[*refs]("load")
	projections.On(h, func(r *refs, e domain.ItemListed, _ *projections.Envelope) { r.item(e.ItemID) })
	projections.On(h, func(r *refs, e domain.ItemRevoked, _ *projections.Envelope) {
		r.item(e.ItemID)
		r.del(e.Ended...)
	})
	projections.On(h, func(r *refs, e domain.ItemDelegated, _ *projections.Envelope) {
		r.item(e.ItemID)
		r.del(e.DelegationID)
	})
	projections.On(h, func(r *refs, e domain.DelegationAccepted, _ *projections.Envelope) { r.del(e.DelegationID) })
	projections.On(h, func(r *refs, e domain.DelegationWithdrawn, _ *projections.Envelope) {
		r.del(e.DelegationID)
		r.del(e.Ended...)
	})
	// An amendment's earlier particulars are read from the log
	// (versions); a code reservation changes no row; a body or an edition
	// registered or published twice: the first wins, by ON CONFLICT.
	projections.Ignore[domain.ItemAmended](h)
	projections.Ignore[domain.ItemCodeReserved](h)
	projections.Ignore[domain.BodyRegistered](h)
	projections.Ignore[domain.EditionPublished](h)
	projections.Ignore[domain.DraftOpened](h) // a draft's rows are written by name (drafts.go)
	projections.Ignore[domain.DraftDiscarded](h)
	return h
}()

// load reads the rows of earlier batches that the batch refers to.
func (w *writer) load(ctx context.Context, batch []projections.Envelope) error {
	r := &refs{seenItem: map[string]bool{}, seenDel: make(map[string]bool, len(batch))}
	for i := range batch {
		if batch[i].Event != nil {
			k, _ := projections.KindOf(batch[i].Event)
			refHandlers.Apply(r, k, &batch[i])
		}
	}
	// A join with unnest, not "id = ANY($1)": the planner keeps probing
	// the primary key however the table grows during a rebuild, where
	// ANY over a large array drifts to a sequential scan per batch.
	rows, err := w.tx.Query(ctx, w.s.sql("SELECT i.id, i.code, i.listed_pos FROM unnest($1::text[]) k(id) JOIN {s}.items i ON i.id = k.id"), r.itemIDs)
	if err != nil {
		return err
	}
	var it itemRow
	var listed int64
	if _, err := pgx.ForEachRow(rows, []any{&it.id, &it.code, &listed}, func() error {
		w.items[it.id] = &itemRow{id: it.id, code: it.code, listedPos: eventstore.Position(listed)}
		return nil
	}); err != nil {
		return err
	}
	rows, err = w.tx.Query(ctx, w.s.sql("SELECT d.id, d.from_body, d.to_body FROM unnest($1::text[]) k(id) JOIN {s}.delegations d ON d.id = k.id"), r.delIDs)
	if err != nil {
		return err
	}
	var d delegationRow
	_, err = pgx.ForEachRow(rows, []any{&d.e.DelegationID, &d.e.From, &d.e.To}, func() error {
		w.delegations[d.e.DelegationID] = &delegationRow{e: d.e}
		return nil
	})
	return err
}

// apply folds one event of ours into the batch's writes: each view's
// table in turn (the order of the memory store's views), then the log.
func (w *writer) apply(env *projections.Envelope) {
	k, _ := projections.KindOf(env.Event)
	catalogueWrites.Apply(w, k, env)
	bodiesWrites.Apply(w, k, env)
	delegationsWrites.Apply(w, k, env)
	editionsWrites.Apply(w, k, env)
	w.logRow(k, env)
}

// writeTables are the tables that write a batch, for the coverage test.
func writeTables() []projections.Table {
	return []projections.Table{refHandlers, catalogueWrites, delegationsWrites, bodiesWrites, editionsWrites, concernHandlers}
}

// touch notes a change the batch makes to an item's particulars (the
// event's log row records that it made one: facts_change).
func (w *writer) touch(id string, p eventstore.Position, e domain.Event) {
	w.factsChanged = true
	if w.changes == nil {
		w.changes = map[string][]factsChange{}
	}
	if _, seen := w.changes[id]; !seen {
		w.facts = append(w.facts, id)
	}
	w.changes[id] = append(w.changes[id], factsChange{pos: p, event: e})
}

// mark sets a delegation's mark: in memory for a delegation of this batch,
// else by an update that keeps the first recording (column is a fixed
// name, never input).
func (w *writer) mark(d *delegationRow, column string, m *mark, from domain.Date, p eventstore.Position) {
	if d.fresh {
		m.set(from, p)
		return
	}
	w.updates.Queue(w.s.sql(fmt.Sprintf(`UPDATE {s}.delegations SET %[1]s_from = CASE WHEN %[1]s_pos IS NULL THEN $2 ELSE %[1]s_from END,
		%[1]s_pos = COALESCE(%[1]s_pos, $3) WHERE id = $1`, column)), d.e.DelegationID, pgDate(from), pos(p))
}

var logColumns = []string{"position", "event_id", "stream", "revision", "type", "data", "item_id", "bodies", "basis", "reason",
	"effective_from", "actor", "command_id", "correlation_id", "causation_id", "recorded_at", "high_water", "facts_change"}

var (
	itemColumns       = []string{"id", "code", "listed_pos", "listed_from", "revoked_pos", "revoked_from"}
	delegationColumns = []string{"id", "item_id", "item_code", "from_body", "parent_id", "to_body", "mode", "scope",
		"effective_from", "effective_until", "basis", "reason", "position", "accepted_pos", "accepted_from",
		"withdrawn_pos", "withdrawn_from", "revoked_pos", "revoked_from"}
	versionColumns = []string{"item_id", "recorded_pos", "seq", "valid_from", "valid_to", "superseded_pos",
		"code", "name", "department", "authority", "legal_basis", "level", "sub_items", "search"}
)

// flush writes the batch: new rows by COPY, then the item versions, then
// the updates.
func (w *writer) flush(ctx context.Context) error {
	if err := w.copy(ctx, "log", logColumns, w.log); err != nil {
		return err
	}
	rows := make([][]any, 0, len(w.freshItems))
	for _, it := range w.freshItems {
		rows = append(rows, []any{it.id, it.code, pos(it.listedPos), pgDate(it.listedFrom), optPos(it.revoked.pos), pgDate(it.revoked.from)})
	}
	if err := w.copy(ctx, "items", itemColumns, rows); err != nil {
		return err
	}
	rows = make([][]any, 0, len(w.freshDels))
	for _, d := range w.freshDels {
		rows = append(rows, []any{d.e.DelegationID, d.e.ItemID, d.code, d.e.From, d.e.ParentDelegationID, d.e.To, string(d.e.Mode),
			textArray(d.e.Scope), pgDate(d.e.EffectiveFrom), pgDate(d.e.EffectiveUntil), d.e.Basis, d.e.Reason, pos(d.pos),
			optPos(d.accepted.pos), pgDate(d.accepted.from), optPos(d.withdrawn.pos), pgDate(d.withdrawn.from),
			optPos(d.revoked.pos), pgDate(d.revoked.from)})
	}
	if err := w.copy(ctx, "delegations", delegationColumns, rows); err != nil {
		return err
	}
	for _, r := range w.bodyRows {
		w.updates.Queue(w.s.sql(`INSERT INTO {s}.bodies (code, name, kind, parent, registered_from, basis, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING`), r...)
	}
	for _, r := range w.editionRows {
		w.updates.Queue(w.s.sql(`INSERT INTO {s}.editions (name, basis, reason, effective_from, actor, recorded_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING`), r...)
	}
	if err := w.versions(ctx); err != nil {
		return err
	}
	if w.updates.Len() > 0 {
		return w.tx.SendBatch(ctx, &w.updates).Close()
	}
	return nil
}

// copy writes rows into table by COPY, with pgx's CopyFrom. A
// hand-written binary encoder was measured against it on the same rows
// (the log's rows of the city, batches of 4,096, alternating, 6 runs): it
// was never faster (pgx 1.04–1.23× its rate, since pgx encodes in a
// goroutine while the server reads) and was removed: it had to be ≥ 1.2×
// faster to be worth its code. What boxing the values costs the writer
// shows in a whole bulk rebuild, about 7% slower than with the encoder
// (BenchmarkRebuild, 3 alternating pairs: ratio 0.62–0.66 against
// 0.68–0.70), still above its 0.5 target.
func (w *writer) copy(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := w.tx.CopyFrom(ctx, pgx.Identifier{w.s.schema, table}, columns, pgx.CopyFromRows(rows))
	return err
}

// optPos is a mark's position: NULL when not set.
func optPos(p eventstore.Position) any {
	if p == 0 {
		return nil
	}
	return pos(p)
}

// textArray is a text[] value: nil is the empty array, never NULL.
func textArray(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// versions writes the particulars of the items the batch listed or
// amended. An item's timeline is recomputed from its listing and
// amendments as the log holds them — those of earlier batches read back
// from the log, then the batch's own — and only the rows the batch
// recorded or superseded are written: the rows of earlier batches are
// already there, unchanged.
func (w *writer) versions(ctx context.Context) error {
	if len(w.facts) == 0 {
		return nil
	}
	// An item listed in this batch has no earlier listing or amendment
	// that counts (amendments before a listing are ignored): only the
	// others are read back. In a rebuild that is a few of each batch.
	var earlier []string
	for _, id := range w.facts {
		if it := w.items[id]; it == nil || !it.fresh {
			earlier = append(earlier, id)
		}
	}
	changes := make(map[string][]factsChange, len(w.facts))
	if len(earlier) > 0 {
		rows, err := w.tx.Query(ctx, w.s.sql(`SELECT l.item_id, l.position, l.type, l.data
			FROM unnest($1::text[]) k(id) JOIN {s}.log l ON l.item_id = k.id AND l.facts_change AND l.position <= $2
			ORDER BY l.item_id, l.position`), earlier, w.checkpoint)
		if err != nil {
			return err
		}
		var itemID, typ string
		var p int64
		var data []byte
		if _, err := pgx.ForEachRow(rows, []any{&itemID, &p, &typ, &data}, func() error {
			ev, err := domain.Decode(typ, data)
			if err != nil {
				return fmt.Errorf("item %s, position %d: %w", itemID, p, err)
			}
			changes[itemID] = append(changes[itemID], factsChange{pos: eventstore.Position(p), event: ev})
			return nil
		}); err != nil {
			return err
		}
	}
	var fresh [][]any
	for _, id := range w.facts {
		for _, v := range history(append(changes[id], w.changes[id]...)) {
			switch {
			case pos(v.recorded) > w.checkpoint:
				row, err := v.row(id)
				if err != nil {
					return err
				}
				fresh = append(fresh, row)
			case pos(v.superseded) > w.checkpoint:
				w.updates.Queue(w.s.sql("UPDATE {s}.item_versions SET superseded_pos = $4 WHERE item_id = $1 AND recorded_pos = $2 AND seq = $3"),
					id, pos(v.recorded), v.seq, pos(v.superseded))
			}
		}
	}
	return w.copy(ctx, "item_versions", versionColumns, fresh)
}

// row is the version's row of item_versions.
func (v version) row(itemID string) ([]any, error) {
	subs := v.facts.SubItems
	if subs == nil {
		subs = []domain.SubItem{}
	}
	subJSON, err := json.Marshal(subs)
	if err != nil {
		return nil, err
	}
	return []any{itemID, pos(v.recorded), int32(v.seq), pgDate(v.from), pgDate(v.to), optPos(v.superseded), v.facts.Code,
		v.facts.Name, v.facts.Department, v.facts.Authority, v.facts.LegalBasis, string(v.facts.Level), json.RawMessage(subJSON),
		textArray(searchTerms(v.facts))}, nil
}
