package graph

import (
	"context"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// readCache keeps the answers to the read side's list queries — the
// catalogue and the delegations of a body — by the log position they were
// read at. A read model never changes what it answers as of a position it
// has passed, so an answer kept under its position is exact for as long as
// anyone asks for it; a new write moves the position and the next question
// is read afresh. Districts asking for their powers all day, between rare
// changes, are answered without walking thousands of delegations again.
//
// The cached pages are shared between requests and must not be modified.
// Each cache is bounded by bytes (its share of Limits.CacheBytes), keys
// included: a query's text filter or cursor is the client's, up to the
// body limit.
type readCache struct {
	projections.Queries
	feed        Feed
	delegations *bytesLRU[delegationKey, projections.DelegationPage]
	catalogue   *bytesLRU[projections.CatalogueQuery, projections.ItemPage]
}

// delegationKey is a DelegationQuery made comparable.
type delegationKey struct {
	at                 projections.Axes
	page               projections.Page
	body, from, itemID string
	mode               domain.Mode
	statuses           string
}

// newReadCache wraps read with two caches of limit bytes each, or returns
// read itself when limit is not positive.
func newReadCache(read projections.Queries, feed Feed, limit int64) projections.Queries {
	if limit <= 0 {
		return read
	}
	return &readCache{Queries: read, feed: feed,
		delegations: newBytesLRU[delegationKey, projections.DelegationPage](limit, limit/16),
		catalogue:   newBytesLRU[projections.CatalogueQuery, projections.ItemPage](limit, limit/16)}
}

// pin fixes a query's position to one the read models have reached, so that
// the answer read is the one kept under it; ok is false when nothing can be
// pinned (an empty read model).
func (c *readCache) pin(asOf eventstore.Position) (eventstore.Position, bool) {
	cp := c.feed.Position()
	if cp == 0 {
		return 0, false
	}
	if asOf == 0 || asOf > cp {
		return cp, true
	}
	return asOf, true
}

// Delegations implements projections.Queries.
func (c *readCache) Delegations(ctx context.Context, q projections.DelegationQuery) (projections.DelegationPage, error) {
	var ok bool
	if q.AsOf, ok = c.pin(q.AsOf); !ok {
		return c.Queries.Delegations(ctx, q)
	}
	statuses := make([]string, len(q.Statuses))
	for i, s := range q.Statuses {
		statuses[i] = string(s)
	}
	key := delegationKey{at: q.Axes, page: q.Page, body: q.Body, from: q.From, itemID: q.ItemID, mode: q.Mode,
		statuses: strings.Join(statuses, ",")}
	if q.Statuses != nil && len(q.Statuses) == 0 {
		key.statuses = "-" // an empty filter is not the default one
	}
	return cached(c.delegations, key, func() (projections.DelegationPage, error) { return c.Queries.Delegations(ctx, q) })
}

// Catalogue implements projections.Queries.
func (c *readCache) Catalogue(ctx context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	if q.Edition == "" { // an edition fixes its own position
		var ok bool
		if q.AsOf, ok = c.pin(q.AsOf); !ok {
			return c.Queries.Catalogue(ctx, q)
		}
	}
	return cached(c.catalogue, q, func() (projections.ItemPage, error) { return c.Queries.Catalogue(ctx, q) })
}

// cached returns the answer kept under key, or reads and keeps it; errors
// are not kept.
func cached[K comparable, V any](c *bytesLRU[K, V], key K, read func() (V, error)) (V, error) {
	if v, hit := c.Get(key); hit {
		return v, nil
	}
	v, err := read()
	if err == nil {
		c.Add(key, v, sizeOf(key)+sizeOf(v)+entryOverhead)
	}
	return v, err
}
