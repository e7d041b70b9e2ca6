package memory

import (
	"context"
	"slices"
	"sort"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// item is everything recorded about one item, each fact with its position.
type item struct {
	id         string
	sym        sym              // of id
	streamSym  sym              // of its stream's name, once an event of the stream is applied
	listed     mark             // listing: its effective date and position
	facts      domain.ItemFacts // as listed
	amendments []amendment      // in order of (effective date, position)
	factsPos   eventstore.Position
	revoked    mark

	// Kept by the delegations view: the item's delegations, in order of
	// position.
	delegations []*delegation
	// Kept by the log view: log indexes of the item stream's events, and
	// of every event concerning the item (with its code reservation).
	stream  []int32
	entries []int32

	// versions are the particulars with every amendment known, by
	// effective date: versions[i] holds from versions[i].from until the
	// next. versions[0] starts at the zero date (the listed facts, also
	// shown for dates before the listing).
	versions []version
	dirty    bool // versions need a refresh at the end of the batch
}

// catalogueView is the catalogue: every item, by id and by code, with its
// particulars over time. Its queries also read the delegations view (an
// item's delegations), the log (its stream's revision) and the editions
// (an edition's items).
type catalogueView struct {
	*core
	dels *delegationsView
	log  *logView
	eds  *editionsView

	items     map[string]*item
	byCode    map[string][]*item // items listed with a code, in order of listing
	itemOrder *sortedIndex[*item]

	touched  []*item // items changed by the batch being applied
	lastItem *item   // the item c.item returned last
}

func newCatalogueView(c *core) *catalogueView {
	return &catalogueView{core: c, items: map[string]*item{}, byCode: map[string][]*item{}, itemOrder: newSortedIndex(itemCursor)}
}

// catalogueHandlers is how the catalogue applies events.
var catalogueHandlers = func() *projections.Handlers[*catalogueView] {
	h := projections.NewHandlers[*catalogueView](projections.ViewCatalogue)
	projections.On(h, func(c *catalogueView, e domain.ItemListed, env *projections.Envelope) {
		if it := c.item(e.ItemID); it.listed.pos == 0 { // listed once: a stream begins with its listing
			it.list(e, env.Position)
			c.touch(it)
			c.byCode[e.Code] = append(c.byCode[e.Code], it)
			c.itemOrder.add(it)
		}
	})
	projections.On(h, func(c *catalogueView, e domain.ItemAmended, env *projections.Envelope) {
		it := c.item(e.ItemID)
		it.amend(e, env.Position)
		c.touch(it)
	})
	projections.On(h, func(c *catalogueView, e domain.ItemRevoked, env *projections.Envelope) {
		c.item(e.ItemID).revoked.set(e.EffectiveFrom, env.Position)
	})
	return h
}()

// item returns the item with id, creating an unlisted one: a code
// reservation (or, in a log that lacks the listing, any other event of
// the item) is recorded before its item's listing. The item found last is
// remembered: applying an event looks its item up in several views, and a
// command's events follow each other in the log.
func (c *catalogueView) item(id string) *item {
	if it := c.lastItem; it != nil && it.id == id {
		return it
	}
	it := c.items[id]
	if it == nil {
		sy := c.syms.intern(id)
		it = &item{id: c.syms.str(sy), sym: sy}
		c.items[it.id] = it
	}
	c.lastItem = it
	return it
}

// touch notes that the batch changed the item's particulars.
func (c *catalogueView) touch(it *item) {
	if !it.dirty {
		it.dirty = true
		c.touched = append(c.touched, it)
	}
}

// endBatch recomputes the timelines of the items the batch changed.
func (c *catalogueView) endBatch() {
	for _, it := range c.touched {
		it.refresh()
	}
	c.touched = c.touched[:0]
}

type amendment struct {
	from domain.Date
	pos  eventstore.Position
	e    domain.ItemAmended
}

type version struct {
	from  domain.Date
	facts domain.ItemFacts
}

func (it *item) list(e domain.ItemListed, pos eventstore.Position) {
	it.listed.set(e.EffectiveFrom, pos)
	it.facts = projections.Listed(e)
	it.factsPos = max(it.factsPos, pos)
}

// amend inserts an amendment in (effective date, position) order: a
// retroactive amendment recorded late goes before later-dated ones.
func (it *item) amend(e domain.ItemAmended, pos eventstore.Position) {
	a := amendment{from: e.EffectiveFrom, pos: pos, e: e}
	i := sort.Search(len(it.amendments), func(i int) bool { return a.from.Before(it.amendments[i].from) })
	it.amendments = slices.Insert(it.amendments, i, a)
	it.factsPos = max(it.factsPos, pos)
}

// refresh recomputes the timeline of particulars after a batch changed them.
func (it *item) refresh() {
	it.dirty = false
	vs := append(it.versions[:0], version{facts: it.facts})
	f := it.facts
	for _, a := range it.amendments {
		f = projections.Amend(f, a.e)
		vs = append(vs, version{from: a.from, facts: f})
	}
	it.versions = vs
}

// factsOn returns the particulars in force on day d with the log read up to
// asOf: the listed facts with every amendment recorded by asOf and
// effective on or before d applied in order of (effective date, position).
// When asOf has seen every listing and amendment, that is the precomputed
// timeline; otherwise the item's amendments are folded for this query.
func (it *item) factsOn(d domain.Date, asOf eventstore.Position) domain.ItemFacts {
	if asOf >= it.factsPos {
		i := sort.Search(len(it.versions), func(i int) bool { return d.Before(it.versions[i].from) })
		return it.versions[i-1].facts
	}
	f := it.facts
	for _, a := range it.amendments {
		if d.Before(a.from) {
			break
		}
		if a.pos <= asOf {
			f = projections.Amend(f, a.e)
		}
	}
	return f
}

func (it *item) statusOn(d domain.Date, asOf eventstore.Position) projections.ItemStatus {
	return projections.ItemStatusOn(it.listed.date(), it.revoked.at(asOf), it.revoked.date(), d)
}

func itemCursor(it *item) projections.Cursor {
	return projections.Cursor{Key: it.facts.Code, Pos: it.listed.pos}
}

// itemView builds the item as read on d at asOf, with its delegations if asked.
func (c *catalogueView) itemView(it *item, d domain.Date, asOf eventstore.Position, withDelegations bool) projections.Item {
	facts := it.factsOn(d, asOf)
	v := projections.Item{
		ID: it.id, ItemFacts: facts, Status: it.statusOn(d, asOf),
		ListedFrom: it.listed.date(), RevokedFrom: it.revoked.dateAt(asOf),
	}
	v.SubItems = slices.Clone(facts.SubItems)
	// The stream's last event recorded by asOf gives revision and position.
	n := sort.Search(len(it.stream), func(i int) bool { return c.log.entries.at(it.stream[i]).pos > asOf })
	if n > 0 {
		last := it.stream[n-1]
		v.Revision, v.Position = c.log.revision(last), c.log.entries.at(last).pos
	}
	if withDelegations {
		v.Delegations = []projections.Delegation{}
		for _, dl := range it.delegations {
			if dl.pos <= asOf {
				v.Delegations = append(v.Delegations, c.dels.view(dl, d, asOf, facts))
			}
		}
	}
	return v
}

// Catalogue implements projections.CatalogueView.
func (c *catalogueView) Catalogue(ctx context.Context, q projections.CatalogueQuery) (projections.ItemPage, error) {
	status, err := q.Validate()
	if err != nil {
		return projections.ItemPage{}, err
	}
	page, err := projections.NewPaginator[projections.Item](projections.ListItems, q.Page)
	if err != nil {
		return projections.ItemPage{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.ItemPage{}, err
	}
	match := q.Matcher()
	asOf := c.rlock(q.AsOf)
	defer c.mu.RUnlock()
	if q.Edition != "" {
		ed, err := c.eds.edition(q.Edition, c.checkpoint)
		if err != nil {
			return projections.ItemPage{}, err
		}
		for _, it := range ed.items {
			if match(it.ItemFacts) {
				page.Add(projections.Cursor{Key: it.Code, Pos: c.items[it.ID].listed.pos}, func() projections.Item { return it.Clone() })
			}
		}
		asOf = ed.view.ContentAsOf
	} else {
		d := q.InForceOn
		for _, it := range c.itemOrder.inOrder() {
			if !it.listed.at(asOf) || status != projections.ItemAnyStatus && it.statusOn(d, asOf) != status {
				continue
			}
			if match(it.factsOn(d, asOf)) {
				page.Add(itemCursor(it), func() projections.Item { return c.itemView(it, d, asOf, false) })
			}
		}
	}
	return projections.ItemPage{Items: page.Rows, Total: page.Total, PageInfo: page.Info(), AsOf: asOf}, nil
}

// Item implements projections.CatalogueView.
func (c *catalogueView) Item(ctx context.Context, q projections.ItemQuery) (projections.Item, error) {
	if err := q.Validate(); err != nil {
		return projections.Item{}, err
	}
	if err := ctx.Err(); err != nil {
		return projections.Item{}, err
	}
	asOf := c.rlock(q.AsOf)
	defer c.mu.RUnlock()
	var found *item
	if q.ID != "" {
		if it := c.items[q.ID]; it != nil && it.listed.at(asOf) {
			found = it
		}
	} else {
		// The last listed in force on the date; else the last listed.
		listed := c.byCode[q.Code]
		for i := len(listed) - 1; i >= 0; i-- {
			it := listed[i]
			if !it.listed.at(asOf) {
				continue
			}
			if found == nil {
				found = it
			}
			if it.statusOn(q.InForceOn, asOf) == projections.ItemInForce {
				found = it
				break
			}
		}
	}
	if found == nil {
		return projections.Item{}, domain.Errorf(domain.CodeItemNotFound, "id", "no item %s%s as of position %d", q.ID, q.Code, asOf)
	}
	return c.itemView(found, q.InForceOn, asOf, true), nil
}
