package memory

import (
	"context"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// drafts are the editions view's drafts in preparation: each draft's whole
// life, read as of a position through projections.Draft.AsOf.
type drafts struct {
	byName map[string]*projections.Draft
	order  []*projections.Draft // in order of opening
}

// onDrafts adds the drafts' handlers to the editions view's table. A
// name is opened once and discarded once: the first recording counts (a
// second one changes nothing), and a discarding of a draft never opened
// is ignored, as the PostgreSQL store ignores it.
func onDrafts(h *projections.Handlers[*editionsView]) {
	projections.On(h, func(v *editionsView, e domain.DraftOpened, env *projections.Envelope) {
		if _, dup := v.drafts.byName[e.Name]; !dup {
			d := &projections.Draft{Name: e.Name, Reason: e.Reason, Status: projections.DraftOpen,
				OpenedBy: env.Meta.Actor, OpenedAt: env.RecordedAt, OpenedPosition: env.Position}
			v.drafts.byName[e.Name] = d
			v.drafts.order = append(v.drafts.order, d)
		}
	})
	projections.On(h, func(v *editionsView, e domain.DraftDiscarded, env *projections.Envelope) {
		if d := v.drafts.byName[e.Name]; d != nil && d.DiscardedPosition == 0 {
			d.Status = projections.DraftDiscarded
			d.DiscardedBy, d.DiscardedAt, d.DiscardReason, d.DiscardedPosition = env.Meta.Actor, env.RecordedAt, e.Reason, env.Position
		}
	})
}

// Drafts implements projections.EditionsView.
func (v *editionsView) Drafts(ctx context.Context, q projections.DraftQuery) ([]projections.Draft, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	asOf := v.rlock(q.AsOf)
	defer v.mu.RUnlock()
	out := []projections.Draft{}
	for _, d := range v.drafts.order {
		if at, ok := d.AsOf(asOf); ok && q.Wants(at) {
			out = append(out, at)
		}
	}
	return out, nil
}

// Draft implements projections.EditionsView.
func (v *editionsView) Draft(ctx context.Context, name string, asOf eventstore.Position) (projections.Draft, error) {
	if err := ctx.Err(); err != nil {
		return projections.Draft{}, err
	}
	asOf = v.rlock(asOf)
	defer v.mu.RUnlock()
	if d := v.drafts.byName[name]; d != nil {
		if at, ok := d.AsOf(asOf); ok {
			return at, nil
		}
	}
	return projections.Draft{}, projections.DraftNotFound(name, asOf)
}
