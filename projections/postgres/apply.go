package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

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
// New rows go in with COPY, in the binary format written by the writer
// itself as it folds the events (copyRows); changes to rows of earlier
// batches (marks on delegations, revocations, superseded versions) in one
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
		w := &writer{s: s, tx: tx, checkpoint: cp, highWater: highWater,
			items: map[string]*itemRow{}, delegations: map[string]*delegationRow{}, bodies: map[string]bool{}, editions: map[string]bool{}}
		// The log's COPY data is a little more than the events' JSON:
		// sized at once, it is never copied as it grows.
		size := 0
		for i := range batch {
			size += len(batch[i].Data) + 256
		}
		w.log.b, w.rows.b = getBuffer(size), getBuffer(0)
		defer func() {
			// After a failed COPY the driver may still be reading a
			// buffer: only a batch written in full gives them back.
			if err == nil {
				putBuffer(w.log.b)
				putBuffer(w.rows.b)
			}
		}()
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

	log         copyRows // the log's rows
	rows        copyRows // the other tables', one table at a time
	freshItems  []*itemRow
	freshDels   []*delegationRow
	facts       []string                 // items listed or amended in the batch, in order
	changes     map[string][]factsChange // the batch's listings and amendments by item
	updates     pgx.Batch                // changes to rows of earlier batches, in event order
	bodyRows    [][]any
	editionRows [][]any
}

// load reads the rows of earlier batches that the batch refers to: the
// items and delegations it changes or delegates under.
func (w *writer) load(ctx context.Context, batch []projections.Envelope) error {
	// Each id once: an item is named by each of its delegations, and a
	// delegation by its acceptance.
	var itemIDs, delIDs []string
	seenItems, seenDels := map[string]bool{}, make(map[string]bool, len(batch))
	item := func(id string) {
		if !seenItems[id] {
			seenItems[id] = true
			itemIDs = append(itemIDs, id)
		}
	}
	del := func(ids ...string) {
		for _, id := range ids {
			if !seenDels[id] {
				seenDels[id] = true
				delIDs = append(delIDs, id)
			}
		}
	}
	for i := range batch {
		switch e := batch[i].Event.(type) {
		case domain.ItemListed:
			item(e.ItemID)
		case domain.ItemRevoked:
			item(e.ItemID)
			del(e.Ended...)
		case domain.ItemDelegated:
			item(e.ItemID)
			del(e.DelegationID)
		case domain.DelegationAccepted:
			del(e.DelegationID)
		case domain.DelegationWithdrawn:
			del(e.DelegationID)
			del(e.Ended...)
		case domain.BodyRegistered, domain.EditionPublished:
			// registered or published twice: the first wins, by ON CONFLICT
		}
	}
	// A join with unnest, not "id = ANY($1)": the planner keeps probing
	// the primary key however the table grows during a rebuild, where
	// ANY over a large array drifts to a sequential scan per batch.
	rows, err := w.tx.Query(ctx, w.s.sql("SELECT i.id, i.code, i.listed_pos FROM unnest($1::text[]) k(id) JOIN {s}.items i ON i.id = k.id"), itemIDs)
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
	rows, err = w.tx.Query(ctx, w.s.sql("SELECT d.id, d.from_body, d.to_body FROM unnest($1::text[]) k(id) JOIN {s}.delegations d ON d.id = k.id"), delIDs)
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

// apply folds one event of ours into the batch's writes.
func (w *writer) apply(env *projections.Envelope) {
	p := env.Position
	var bodies []string
	factsChange := false
	switch e := env.Event.(type) {
	case domain.ItemListed:
		if w.items[e.ItemID] == nil { // listed once: a stream begins with its listing
			it := &itemRow{id: e.ItemID, code: e.Code, fresh: true, listedPos: p, listedFrom: e.EffectiveFrom}
			w.items[e.ItemID] = it
			w.freshItems = append(w.freshItems, it)
			w.touch(e.ItemID, p, e)
			factsChange = true
		}
	case domain.ItemAmended:
		w.touch(e.ItemID, p, e)
		factsChange = true
	case domain.ItemRevoked:
		if it := w.items[e.ItemID]; it != nil && it.fresh {
			it.revoked.set(e.EffectiveFrom, p)
		} else {
			w.updates.Queue(w.s.sql(`UPDATE {s}.items SET revoked_from = CASE WHEN revoked_pos IS NULL THEN $2 ELSE revoked_from END,
				revoked_pos = COALESCE(revoked_pos, $3) WHERE id = $1`), e.ItemID, pgDate(e.EffectiveFrom), pos(p))
		}
		for _, id := range e.Ended {
			if d := w.delegations[id]; d != nil {
				w.mark(d, "revoked", &d.revoked, e.EffectiveFrom, p)
				bodies = addBody(bodies, d.e.To)
			}
		}
	case domain.ItemDelegated:
		if w.delegations[e.DelegationID] == nil {
			d := &delegationRow{e: e, fresh: true, pos: p}
			if it := w.items[e.ItemID]; it != nil {
				d.code = it.code
			}
			w.delegations[e.DelegationID] = d
			w.freshDels = append(w.freshDels, d)
		}
		bodies = addBody(addBody(bodies, e.From), e.To)
	case domain.DelegationAccepted:
		if d := w.delegations[e.DelegationID]; d != nil {
			w.mark(d, "accepted", &d.accepted, e.EffectiveFrom, p)
			bodies = addBody(bodies, d.e.From)
		}
		bodies = addBody(bodies, e.Body)
	case domain.DelegationWithdrawn:
		for i, id := range append([]string{e.DelegationID}, e.Ended...) {
			if d := w.delegations[id]; d != nil {
				w.mark(d, "withdrawn", &d.withdrawn, e.EffectiveFrom, p)
				if i == 0 {
					bodies = addBody(bodies, d.e.From)
				}
				bodies = addBody(bodies, d.e.To)
			}
		}
	case domain.BodyRegistered:
		if !w.bodies[e.Code] {
			w.bodies[e.Code] = true
			w.bodyRows = append(w.bodyRows, []any{e.Code, e.Name, string(e.Kind), e.Parent, pgDate(e.EffectiveFrom), e.Basis, pos(p)})
		}
		bodies = addBody(bodies, e.Code)
	case domain.EditionPublished:
		if !w.editions[e.Name] {
			w.editions[e.Name] = true
			w.editionRows = append(w.editionRows, []any{e.Name, e.Basis, e.Reason, pgDate(e.EffectiveFrom), env.Meta.Actor, nanos(env.RecordedAt), pos(p)})
		}
	}
	w.highWater = max(w.highWater, nanos(env.RecordedAt))
	ch := projections.ChangeOf(env.Event)
	r := &w.log
	r.row(len(logColumns))
	r.int8(pos(p))
	r.uuid(env.ID)
	r.text(env.Stream)
	r.int8(int64(env.Revision))
	r.text(env.Type)
	r.bytea(env.Data)
	r.text(projections.ItemIDOf(env.Event))
	r.textArray(bodies)
	r.text(ch.Basis)
	r.text(ch.Reason)
	r.date(ch.EffectiveFrom)
	r.text(env.Meta.Actor)
	r.text(env.Meta.CommandID)
	r.text(env.Meta.CorrelationID)
	r.text(env.Meta.CausationID)
	r.int8(nanos(env.RecordedAt))
	r.int8(w.highWater)
	r.bool(factsChange)
}

// touch notes a change the batch makes to an item's particulars.
func (w *writer) touch(id string, p eventstore.Position, e domain.Event) {
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

func addBody(bodies []string, code string) []string {
	if code == "" {
		return bodies
	}
	for _, b := range bodies {
		if b == code {
			return bodies
		}
	}
	return append(bodies, code)
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
	if err := w.copy(ctx, "log", logColumns, &w.log); err != nil {
		return err
	}
	rows := &w.rows
	rows.reset()
	for _, it := range w.freshItems {
		rows.row(len(itemColumns))
		rows.text(it.id)
		rows.text(it.code)
		rows.int8(pos(it.listedPos))
		rows.date(it.listedFrom)
		rows.optInt8(it.revoked.pos)
		rows.date(it.revoked.from)
	}
	if err := w.copy(ctx, "items", itemColumns, rows); err != nil {
		return err
	}
	rows.reset()
	for _, d := range w.freshDels {
		rows.row(len(delegationColumns))
		rows.text(d.e.DelegationID)
		rows.text(d.e.ItemID)
		rows.text(d.code)
		rows.text(d.e.From)
		rows.text(d.e.ParentDelegationID)
		rows.text(d.e.To)
		rows.text(string(d.e.Mode))
		rows.textArray(d.e.Scope)
		rows.date(d.e.EffectiveFrom)
		rows.date(d.e.EffectiveUntil)
		rows.text(d.e.Basis)
		rows.text(d.e.Reason)
		rows.int8(pos(d.pos))
		rows.optInt8(d.accepted.pos)
		rows.date(d.accepted.from)
		rows.optInt8(d.withdrawn.pos)
		rows.date(d.withdrawn.from)
		rows.optInt8(d.revoked.pos)
		rows.date(d.revoked.from)
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

// copy writes rows into table by COPY in the binary format.
func (w *writer) copy(ctx context.Context, table string, columns []string, rows *copyRows) error {
	if rows.n == 0 {
		return nil
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := "COPY " + pgx.Identifier{w.s.schema, table}.Sanitize() + " (" + strings.Join(quoted, ", ") + ") FROM STDIN (FORMAT binary)"
	_, err := w.tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(rows.finish()), sql)
	return err
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
	fresh := &w.rows
	fresh.reset()
	for _, id := range w.facts {
		for _, v := range history(append(changes[id], w.changes[id]...)) {
			switch {
			case pos(v.recorded) > w.checkpoint:
				if err := v.row(fresh, id); err != nil {
					return err
				}
			case pos(v.superseded) > w.checkpoint:
				w.updates.Queue(w.s.sql("UPDATE {s}.item_versions SET superseded_pos = $4 WHERE item_id = $1 AND recorded_pos = $2 AND seq = $3"),
					id, pos(v.recorded), v.seq, pos(v.superseded))
			}
		}
	}
	return w.copy(ctx, "item_versions", versionColumns, fresh)
}

// row adds the version's row of item_versions to rows.
func (v version) row(rows *copyRows, itemID string) error {
	subs := v.facts.SubItems
	if subs == nil {
		subs = []domain.SubItem{}
	}
	subJSON, err := json.Marshal(subs)
	if err != nil {
		return err
	}
	rows.row(len(versionColumns))
	rows.text(itemID)
	rows.int8(pos(v.recorded))
	rows.int4(int32(v.seq))
	rows.date(v.from)
	rows.date(v.to)
	rows.optInt8(v.superseded)
	rows.text(v.facts.Code)
	rows.text(v.facts.Name)
	rows.text(v.facts.Department)
	rows.text(v.facts.Authority)
	rows.text(v.facts.LegalBasis)
	rows.text(string(v.facts.Level))
	rows.jsonb(subJSON)
	rows.textArray(searchTerms(v.facts))
	return nil
}

// copyRows accumulates rows in PostgreSQL's binary COPY format: what
// pgx.CopyFrom would send, written straight from the writer's values
// without boxing each in an interface and planning its encoding, which
// was a third of the writer's CPU in a rebuild. The column types are the
// migration's; a mismatch is refused by the server (a test covers every
// column against pgx's own encoding).
type copyRows struct {
	b []byte
	n int // rows
}

// buffers recycles the writers' COPY buffers: a rebuild's batches would
// otherwise allocate megabytes each, and make the collector run for them.
var buffers sync.Pool

// getBuffer returns an empty buffer of at least size bytes.
func getBuffer(size int) []byte {
	if b, ok := buffers.Get().(*[]byte); ok && cap(*b) >= size {
		return (*b)[:0]
	}
	return make([]byte, 0, max(size, 64<<10))
}

// putBuffer keeps b for another batch, unless it is outsized.
func putBuffer(b []byte) {
	if cap(b) <= 64<<20 {
		buffers.Put(&b)
	}
}

// copyHeader is the binary format's signature, flags and extension length.
const copyHeader = "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00"

// postgresEpoch is 2000-01-01 in days since 1970-01-01: dates are sent as
// days since the former.
const postgresEpoch = 10957

// textOID is the element type of the text[] columns.
const textOID = 25

func (r *copyRows) reset() { r.b, r.n = r.b[:0], 0 }

// row begins a row of the given number of fields.
func (r *copyRows) row(fields int) {
	if len(r.b) == 0 {
		r.b = append(r.b, copyHeader...)
	}
	r.n++
	r.b = binary.BigEndian.AppendUint16(r.b, uint16(fields))
}

// finish ends the data with the trailer and returns it.
func (r *copyRows) finish() []byte {
	return binary.BigEndian.AppendUint16(r.b, 0xffff)
}

func (r *copyRows) null() { r.b = binary.BigEndian.AppendUint32(r.b, 0xffffffff) }

func (r *copyRows) int8(v int64) {
	r.b = binary.BigEndian.AppendUint32(r.b, 8)
	r.b = binary.BigEndian.AppendUint64(r.b, uint64(v))
}

func (r *copyRows) int4(v int32) {
	r.b = binary.BigEndian.AppendUint32(r.b, 4)
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(v))
}

// optInt8 is a mark's position: NULL when not set.
func (r *copyRows) optInt8(p eventstore.Position) {
	if p == 0 {
		r.null()
		return
	}
	r.int8(pos(p))
}

func (r *copyRows) text(s string) {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(s)))
	r.b = append(r.b, s...)
}

func (r *copyRows) bytea(b []byte) {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(b)))
	r.b = append(r.b, b...)
}

// jsonb is the version byte 1, then the JSON text.
func (r *copyRows) jsonb(b []byte) {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(b)+1))
	r.b = append(r.b, 1)
	r.b = append(r.b, b...)
}

func (r *copyRows) uuid(u [16]byte) {
	r.b = binary.BigEndian.AppendUint32(r.b, 16)
	r.b = append(r.b, u[:]...)
}

func (r *copyRows) bool(v bool) {
	r.b = binary.BigEndian.AppendUint32(r.b, 1)
	if v {
		r.b = append(r.b, 1)
	} else {
		r.b = append(r.b, 0)
	}
}

// date is NULL for the zero date, as pgDate; a date is normalised as
// time.Date does (pgDate's conversion).
func (r *copyRows) date(d domain.Date) {
	if d.IsZero() {
		r.null()
		return
	}
	days := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()/86400 - postgresEpoch
	r.int4(int32(days))
}

// textArray is a one-dimensional text[] without NULLs; nil is the empty
// array, as the writer always wrote it.
func (r *copyRows) textArray(ss []string) {
	if len(ss) == 0 {
		r.b = binary.BigEndian.AppendUint32(r.b, 12)
		r.b = binary.BigEndian.AppendUint32(r.b, 0) // dimensions
		r.b = binary.BigEndian.AppendUint32(r.b, 0) // no NULLs
		r.b = binary.BigEndian.AppendUint32(r.b, textOID)
		return
	}
	size := 20
	for _, s := range ss {
		size += 4 + len(s)
	}
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(size))
	r.b = binary.BigEndian.AppendUint32(r.b, 1) // dimensions
	r.b = binary.BigEndian.AppendUint32(r.b, 0) // no NULLs
	r.b = binary.BigEndian.AppendUint32(r.b, textOID)
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(ss)))
	r.b = binary.BigEndian.AppendUint32(r.b, 1) // lower bound
	for _, s := range ss {
		r.text(s)
	}
}
