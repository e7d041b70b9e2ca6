package postgres

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// delegationsView is the delegations as a generation's tables hold it; its queries are the
// store's, run on the generation (see read).
type delegationsView struct{ gen }

// Delegations implements projections.DelegationsView.
func (v delegationsView) Delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error) {
	return read(ctx, v.gen, func(s *Store) (projections.DelegationPage, error) { return s.delegations(ctx, q) })
}

// delegationJoins join each delegation with its item's particulars on @d
// as recorded by @asof (for the item's name and the scope's names) and
// with its receiving body (for its name, as the memory store gives it:
// whenever registered). Filters read the delegations only, so the joins
// are made for the rows of a page only, not for the total.
const (
	delegationsFrom = `FROM {s}.delegations dl`
	delegationJoins = `
	LEFT JOIN {s}.item_versions v ON v.item_id = dl.item_id
		AND v.recorded_pos <= @asof AND (v.superseded_pos IS NULL OR v.superseded_pos > @asof)
		AND (v.valid_from IS NULL OR v.valid_from <= @d) AND (v.valid_to IS NULL OR @d < v.valid_to)
	LEFT JOIN {s}.bodies b ON b.code = dl.to_body`
)

// The marks as recorded by @asof: a mark recorded later is not yet a fact.
const (
	acceptedAt  = "COALESCE(dl.accepted_pos <= @asof, false)"
	withdrawnAt = "COALESCE(dl.withdrawn_pos <= @asof, false)"
	dlRevokedAt = "COALESCE(dl.revoked_pos <= @asof, false)"
)

const delegationCols = `dl.id, dl.item_id, COALESCE(v.code, ''), COALESCE(v.name, ''), COALESCE(v.sub_items, '[]'),
	dl.from_body, dl.parent_id, dl.to_body, COALESCE(b.name, ''), dl.mode, dl.scope,
	dl.effective_from, dl.effective_until, ` + acceptedAt + `, dl.accepted_from, ` + withdrawnAt + `, dl.withdrawn_from,
	` + dlRevokedAt + `, dl.revoked_from, dl.basis, dl.reason, dl.position, dl.item_code`

// delegationList returns the list of delegations recorded by asOf with the
// query's filters and statuses on day d.
func (s *Store) delegationList(q projections.DelegationQuery, statuses []projections.DelegationStatus, d domain.Date, asOf eventstore.Position) *list {
	l := &list{name: projections.ListDelegations, from: s.sql(delegationsFrom), extra: s.sql(delegationJoins), base: "dl", cols: delegationCols,
		key: "dl.item_code", pos: "dl.position", total: true,
		args: pgx.NamedArgs{"asof": pos(asOf), "d": pgDate(d)}}
	l.filter("dl.position <= @asof", "", nil)
	if q.Body != "" {
		l.filter("dl.to_body = @body", "body", q.Body)
	}
	if q.From != "" {
		l.filter("dl.from_body = @from", "from", q.From)
	}
	if q.ItemID != "" {
		l.filter("dl.item_id = @item", "item", q.ItemID)
	}
	if q.Mode != "" {
		l.filter("dl.mode = @mode", "mode", string(q.Mode))
	}
	if !allStatuses(statuses) {
		names := make([]string, len(statuses))
		for i, st := range statuses {
			names[i] = string(st)
		}
		l.filter(s.sql(`{s}.delegation_status(@d, dl.effective_from, dl.effective_until, `+acceptedAt+`, dl.accepted_from,
			`+withdrawnAt+`, dl.withdrawn_from, `+dlRevokedAt+`, dl.revoked_from) = ANY(@statuses)`), "statuses", names)
	}
	return l
}

// allStatuses reports whether the filter lets every status through, so
// the status function need not run.
func allStatuses(statuses []projections.DelegationStatus) bool {
	for _, st := range projections.AllDelegationStatuses {
		if !slices.Contains(statuses, st) {
			return false
		}
	}
	return true
}

// scanDelegation reads a delegation row (delegationCols) as read on day d:
// its status by the shared rule, projections.DelegationFacts.StatusOn.
func scanDelegation(d domain.Date) func(pgx.Rows) (projections.Delegation, projections.Cursor, error) {
	return func(rows pgx.Rows) (projections.Delegation, projections.Cursor, error) {
		var v projections.Delegation
		var subs []byte
		var scope []string
		var mode, key string
		var p int64
		var from, until, accFrom, wFrom, rFrom pgtype.Date
		var f projections.DelegationFacts
		if err := rows.Scan(&v.ID, &v.ItemID, &v.ItemCode, &v.ItemName, &subs, &v.From, &v.ParentID, &v.To, &v.ToName, &mode, &scope,
			&from, &until, &f.Accepted, &accFrom, &f.Withdrawn, &wFrom, &f.Revoked, &rFrom, &v.Basis, &v.Reason, &p, &key); err != nil {
			return v, projections.Cursor{}, err
		}
		f.EffectiveFrom, f.EffectiveUntil = fromPGDate(from), fromPGDate(until)
		if f.Accepted {
			f.AcceptedFrom = fromPGDate(accFrom)
		}
		if f.Withdrawn {
			f.WithdrawnFrom = fromPGDate(wFrom)
		}
		if f.Revoked {
			f.RevokedFrom = fromPGDate(rFrom)
		}
		v.Mode, v.Position = domain.Mode(mode), eventstore.Position(p)
		v.EffectiveFrom, v.EffectiveUntil = f.EffectiveFrom, f.EffectiveUntil
		v.Accepted, v.AcceptedFrom, v.WithdrawnFrom, v.RevokedFrom = f.Accepted, f.AcceptedFrom, f.WithdrawnFrom, f.RevokedFrom
		v.Status = f.StatusOn(d)
		if len(scope) > 0 {
			var sub []domain.SubItem
			if err := json.Unmarshal(subs, &sub); err != nil {
				return v, projections.Cursor{}, err
			}
			v.Scope = make([]domain.SubItem, len(scope))
			for i, code := range scope {
				v.Scope[i].Code = code
				if j := slices.IndexFunc(sub, func(si domain.SubItem) bool { return si.Code == code }); j >= 0 {
					v.Scope[i].Name = sub[j].Name
				}
			}
		}
		return v, projections.Cursor{Key: key, Pos: v.Position}, nil
	}
}

// delegations answers projections.DelegationsView.Delegations.
func (s *Store) delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error) {
	statuses, err := q.Validate()
	if err != nil {
		return projections.DelegationPage{}, err
	}
	asOf, err := s.readAt(ctx, q.AsOf)
	if err != nil {
		return projections.DelegationPage{}, err
	}
	dels, total, info, err := page(ctx, s.db, s.delegationList(q, statuses, q.InForceOn, asOf), &q.Page, scanDelegation(q.InForceOn))
	if err != nil {
		return projections.DelegationPage{}, s.fail("delegations", err)
	}
	return projections.DelegationPage{Delegations: dels, Total: total, PageInfo: info, AsOf: asOf}, nil
}

// delegationsWrites is how the delegations view applies events to a
// batch: new delegations by COPY, marks on those of earlier batches by
// updates (writer.mark). A reference to an unknown delegation changes
// nothing here.
var delegationsWrites = func() *projections.Handlers[*writer] {
	h := projections.NewHandlers[*writer](projections.ViewDelegations)
	projections.On(h, func(w *writer, e domain.ItemDelegated, env *projections.Envelope) {
		if w.delegations[e.DelegationID] == nil {
			d := &delegationRow{e: e, fresh: true, pos: env.Position}
			if it := w.items[e.ItemID]; it != nil {
				d.code = it.code
			}
			w.delegations[e.DelegationID] = d
			w.freshDels = append(w.freshDels, d)
		}
	})
	projections.On(h, func(w *writer, e domain.DelegationAccepted, env *projections.Envelope) {
		if d := w.delegations[e.DelegationID]; d != nil {
			w.mark(d, "accepted", &d.accepted, e.EffectiveFrom, env.Position)
		}
	})
	projections.On(h, func(w *writer, e domain.DelegationWithdrawn, env *projections.Envelope) {
		for _, id := range append([]string{e.DelegationID}, e.Ended...) {
			if d := w.delegations[id]; d != nil {
				w.mark(d, "withdrawn", &d.withdrawn, e.EffectiveFrom, env.Position)
			}
		}
	})
	projections.On(h, func(w *writer, e domain.ItemRevoked, env *projections.Envelope) {
		for _, id := range e.Ended {
			if d := w.delegations[id]; d != nil {
				w.mark(d, "revoked", &d.revoked, e.EffectiveFrom, env.Position)
			}
		}
	})
	return h
}()
