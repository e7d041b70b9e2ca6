package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/ledger"
)

// request builds the ledger request of a mutation. The actor is the
// signed-in principal (name, role and body), never anything the request
// says; the domain decides what that principal may do. The correlation id
// may come from the X-Correlation-ID header, so that a client can tie the
// events of one user action together.
func (r *Resolver) request(ctx context.Context, commandID string, expectedRevision *int) (ledger.Request, error) {
	p, err := principal(ctx)
	if err != nil {
		return ledger.Request{}, err
	}
	req := ledger.Request{CommandID: commandID, By: p.DomainActor()}
	if expectedRevision != nil {
		if *expectedRevision < 0 {
			return ledger.Request{}, domain.Errorf(domain.CodeInvalid, "expectedRevision", "must not be negative")
		}
		rev := uint64(*expectedRevision)
		req.ExpectedRevision = &rev
	}
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Headers != nil {
		if id := strings.TrimSpace(oc.Headers.Get("X-Correlation-ID")); len(id) <= 128 {
			req.CorrelationID = id
		}
	}
	return req, nil
}

// change is the legal change every mutation carries.
func change(basis string, reason *string, effectiveFrom domain.Date) domain.Change {
	return domain.Change{Basis: basis, Reason: deref(reason), EffectiveFrom: effectiveFrom}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ptr returns nil for the zero value, so empty strings become null.
func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func subItems(in []model.SubItemInput) []domain.SubItem {
	if in == nil {
		return nil
	}
	out := make([]domain.SubItem, len(in))
	for i, s := range in {
		out[i] = domain.SubItem{Code: s.Code, Name: s.Name}
	}
	return out
}

func itemPayload(res ledger.Result) *model.ItemPayload {
	return &model.ItemPayload{ItemID: res.ID, Revision: int(res.Revision), Position: res.Position}
}

func delegationPayload(itemID string, delegationID string, res ledger.Result) *model.DelegationPayload {
	return &model.DelegationPayload{DelegationID: delegationID, ItemID: itemID, Revision: int(res.Revision), Position: res.Position}
}

// draftPayload is what a draft's command wrote: the draft is read, when
// the client asks for it, at the position written.
func draftPayload(res ledger.Result, err error) (*model.DraftPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.DraftPayload{Name: res.ID, Revision: res.Revision, Position: res.Position}, nil
}

func domainPublish(in model.PublishEditionInput) domain.PublishEdition {
	return domain.PublishEdition{Name: in.Name, Change: change(in.Basis, in.Reason, in.EffectiveFrom)}
}
