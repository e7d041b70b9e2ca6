package ledger

import (
	"context"

	"github.com/catalogue/catalogue/domain"
)

// OpenDraft opens a draft of the catalogue's next version.
func (l *Ledger) OpenDraft(ctx context.Context, req Request, c domain.OpenDraft) (Result, error) {
	return Execute(ctx, l, req, "OpenDraft", c, draftAggregate(c.Name), func(d domain.Draft) ([]domain.Event, error) {
		return domain.DecideOpenDraft(d, c)
	})
}

// DiscardDraft abandons an open draft.
func (l *Ledger) DiscardDraft(ctx context.Context, req Request, c domain.DiscardDraft) (Result, error) {
	return Execute(ctx, l, req, "DiscardDraft", c, draftAggregate(c.Name), func(d domain.Draft) ([]domain.Event, error) {
		return domain.DecideDiscardDraft(d, c)
	})
}
