package postgres

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// catalogueView is the catalogue as a generation's tables hold it; its queries are the
// store's, run on the generation (see read).
type catalogueView struct{ gen }

// Catalogue implements projections.CatalogueView.
func (v catalogueView) Catalogue(ctx context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	return read(ctx, v.gen, func(s *Store) (projections.ItemPage, error) { return s.catalogue(ctx, q) })
}

// Item implements projections.CatalogueView.
func (v catalogueView) Item(ctx context.Context, q projections.ItemQuery) (projections.Item, error) {
	return read(ctx, v.gen, func(s *Store) (projections.Item, error) { return s.item(ctx, q) })
}

// itemsFrom lists the items; itemVersion joins each with its particulars
// on @d as recorded by @asof: exactly one version row holds for a date and
// a position at or after the listing (see history). So a list that does
// not filter on particulars counts the items alone and joins the versions
// of its page's rows only.
const (
	itemsFrom   = `FROM {s}.items i`
	itemVersion = `
	JOIN {s}.item_versions v ON v.item_id = i.id
		AND v.recorded_pos <= @asof AND (v.superseded_pos IS NULL OR v.superseded_pos > @asof)
		AND (v.valid_from IS NULL OR v.valid_from <= @d) AND (v.valid_to IS NULL OR @d < v.valid_to)`
)

const itemCols = `i.id, i.listed_pos, i.listed_from, COALESCE(i.revoked_pos <= @asof, false), i.revoked_from,
	v.code, v.name, v.department, v.authority, v.legal_basis, v.level, v.sub_items`

// revokedAt is whether the item's revocation is recorded by @asof.
const revokedAt = `COALESCE(i.revoked_pos <= @asof, false)`

// itemList returns the list of items on day d as of asOf with the
// catalogue query's filters; status ItemAnyStatus lets all through.
func (s *Store) itemList(q projections.CatalogueQuery, status projections.ItemStatus, d domain.Date, asOf eventstore.Position) *list {
	l := &list{name: projections.ListItems, from: s.sql(itemsFrom), cols: itemCols, extra: s.sql(itemVersion), base: "i",
		key: "i.code", pos: "i.listed_pos", total: true,
		args: pgx.NamedArgs{"asof": pos(asOf), "d": pgDate(d)}}
	l.filter("i.listed_pos <= @asof", "", nil)
	if status != projections.ItemAnyStatus {
		l.filter(s.sql("{s}.item_status(i.listed_from, "+revokedAt+", i.revoked_from, @d) = @status"), "status", string(status))
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	if q.Department == "" && q.Level == "" && text == "" {
		return l
	}
	l.from, l.extra = l.from+l.extra, "" // the filters read the particulars
	if q.Department != "" {
		l.filter("v.department = @department", "department", q.Department)
	}
	if q.Level != "" {
		l.filter("v.level = @level", "level", string(q.Level))
	}
	if text != "" {
		if strings.ContainsRune(text, 0) {
			l.filter("false", "", nil) // no particular holds a NUL (nor can PostgreSQL text)
		} else {
			// The LIKE is the trigram index's prefilter (migration 0002):
			// it may let through more than the text (terms joined), never
			// less; the EXISTS is the exact test, term by term.
			l.filter(s.sql("{s}.search_text(v.search) LIKE @text_like"), "text_like", "%"+likeEscaper.Replace(text)+"%")
			l.filter("EXISTS (SELECT 1 FROM unnest(v.search) t WHERE strpos(t, @text) > 0)", "text", text)
		}
	}
	return l
}

// likeEscaper makes text match itself in a LIKE pattern (whose escape
// character is the backslash), so the prefilter is as narrow as it can be.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// items reads a page of items (all with p nil) and their revisions.
func (s *Store) items(ctx context.Context, l *list, p *projections.Page, d domain.Date, asOf eventstore.Position) ([]projections.Item, int, projections.PageInfo, error) {
	items, total, info, err := page(ctx, s.db, l, p, scanItem(d))
	if err == nil {
		err = s.revisions(ctx, items, asOf)
	}
	return items, total, info, err
}

// revisions fills in each item's Revision and Position: its stream's last
// event by asOf, one backward index probe per item of the page.
func (s *Store) revisions(ctx context.Context, items []projections.Item, asOf eventstore.Position) error {
	if len(items) == 0 {
		return nil
	}
	streams := make([]string, len(items))
	at := make(map[string]int, len(items))
	for i, it := range items {
		streams[i] = domain.ItemStream(it.ID)
		at[streams[i]] = i
	}
	rows, err := s.db.Query(ctx, s.sql(`SELECT k.stream, last.revision, last.position FROM unnest($1::text[]) k(stream)
		CROSS JOIN LATERAL (SELECT l.revision, l.position FROM {s}.log l WHERE l.stream = k.stream AND l.position <= $2
			ORDER BY l.position DESC LIMIT 1) last`), streams, pos(asOf))
	if err != nil {
		return err
	}
	var stream string
	var revision, last int64
	_, err = pgx.ForEachRow(rows, []any{&stream, &revision, &last}, func() error {
		it := &items[at[stream]]
		it.Revision, it.Position = uint64(revision), eventstore.Position(last)
		return nil
	})
	return err
}

// scanItem reads an item row (itemCols) as read on day d.
func scanItem(d domain.Date) func(pgx.Rows) (projections.Item, projections.Cursor, error) {
	return func(rows pgx.Rows) (projections.Item, projections.Cursor, error) {
		var it projections.Item
		var listedPos int64
		var listedFrom, revokedFrom pgtype.Date
		var revoked bool
		var level string
		var subs []byte
		if err := rows.Scan(&it.ID, &listedPos, &listedFrom, &revoked, &revokedFrom,
			&it.Code, &it.Name, &it.Department, &it.Authority, &it.LegalBasis, &level, &subs); err != nil {
			return it, projections.Cursor{}, err
		}
		it.Level = domain.Level(level)
		if err := json.Unmarshal(subs, &it.SubItems); err != nil {
			return it, projections.Cursor{}, err
		}
		if len(it.SubItems) == 0 {
			it.SubItems = nil
		}
		it.ListedFrom = fromPGDate(listedFrom)
		if revoked {
			it.RevokedFrom = fromPGDate(revokedFrom)
		}
		it.Status = projections.ItemStatusOn(it.ListedFrom, revoked, it.RevokedFrom, d)
		return it, projections.Cursor{Key: it.Code, Pos: eventstore.Position(listedPos)}, nil
	}
}

// catalogue answers projections.CatalogueView.Catalogue.
func (s *Store) catalogue(ctx context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	status, err := q.Validate()
	if err != nil {
		return projections.ItemPage{}, err
	}
	d, asOf := q.InForceOn, q.AsOf
	if q.Edition != "" {
		ed, err := s.edition(ctx, q.Edition, 0)
		if err != nil {
			return projections.ItemPage{}, err
		}
		d, asOf = ed.EffectiveFrom, ed.ContentAsOf
	} else if asOf, err = s.readAt(ctx, asOf); err != nil {
		return projections.ItemPage{}, err
	}
	items, total, info, err := s.items(ctx, s.itemList(q, status, d, asOf), &q.Page, d, asOf)
	if err != nil {
		return projections.ItemPage{}, s.fail("catalogue", err)
	}
	return projections.ItemPage{Items: items, Total: total, PageInfo: info, AsOf: asOf}, nil
}

// item answers projections.CatalogueView.Item.
func (s *Store) item(ctx context.Context, q projections.ItemQuery) (projections.Item, error) {
	if err := q.Validate(); err != nil {
		return projections.Item{}, err
	}
	asOf, err := s.readAt(ctx, q.AsOf)
	if err != nil {
		return projections.Item{}, err
	}
	l := s.itemList(projections.CatalogueQuery{}, projections.ItemAnyStatus, q.InForceOn, asOf)
	if q.ID != "" {
		l.filter("i.id = @id", "id", q.ID)
		l.key = "" // one row: no order to walk an index for
	} else {
		// The last listed in force on the date; else the last listed.
		l.filter("i.code = @code", "code", q.Code)
		l.key, l.pos = s.sql("({s}.item_status(i.listed_from, "+revokedAt+", i.revoked_from, @d) = 'IN_FORCE')"), "i.listed_pos"
		l.key += " DESC"
		l.pos += " DESC"
	}
	l.total = false
	items, _, _, err := s.items(ctx, l, &projections.Page{First: 1}, q.InForceOn, asOf)
	if err != nil {
		return projections.Item{}, s.fail("item", err)
	}
	if len(items) == 0 {
		return projections.Item{}, domain.Errorf(domain.CodeItemNotFound, "id", "no item %s%s as of position %d", q.ID, q.Code, asOf)
	}
	it := items[0]
	dels := s.delegationList(projections.DelegationQuery{ItemID: it.ID}, projections.AllDelegationStatuses, q.InForceOn, asOf)
	dels.key, dels.total = "", false // one item: position order
	if it.Delegations, _, _, err = page(ctx, s.db, dels, nil, scanDelegation(q.InForceOn)); err != nil {
		return projections.Item{}, s.fail("item", err)
	}
	if it.Delegations == nil {
		it.Delegations = []projections.Delegation{} // asked for: an empty list, not none
	}
	return it, nil
}

// catalogueWrites is how the catalogue applies events to a batch: new
// items by COPY, a revocation of an earlier batch's item by an update; the
// particulars' versions are written from the listings and amendments the
// batch touched (versions.go).
var catalogueWrites = func() *projections.Handlers[*writer] {
	h := projections.NewHandlers[*writer](projections.ViewCatalogue)
	projections.On(h, func(w *writer, e domain.ItemListed, env *projections.Envelope) {
		if w.items[e.ItemID] == nil { // listed once: a stream begins with its listing
			it := &itemRow{id: e.ItemID, code: e.Code, fresh: true, listedPos: env.Position, listedFrom: e.EffectiveFrom}
			w.items[e.ItemID] = it
			w.freshItems = append(w.freshItems, it)
			w.touch(e.ItemID, env.Position, e)
		}
	})
	projections.On(h, func(w *writer, e domain.ItemAmended, env *projections.Envelope) {
		w.touch(e.ItemID, env.Position, e)
	})
	projections.On(h, func(w *writer, e domain.ItemRevoked, env *projections.Envelope) {
		if it := w.items[e.ItemID]; it != nil && it.fresh {
			it.revoked.set(e.EffectiveFrom, env.Position)
			return
		}
		w.updates.Queue(w.s.sql(`UPDATE {s}.items SET revoked_from = CASE WHEN revoked_pos IS NULL THEN $2 ELSE revoked_from END,
			revoked_pos = COALESCE(revoked_pos, $3) WHERE id = $1`), e.ItemID, pgDate(e.EffectiveFrom), pos(env.Position))
	})
	return h
}()
