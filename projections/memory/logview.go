package memory

import (
	"slices"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/projections"
)

// logView is every event of our streams, in order of position (log.go has
// its compact form), with the indexes the history and the audit log walk:
// an item's entries (kept in the item) and a body's. It records every
// event whatever its type; its handler table says which bodies an event
// concerns, read from the delegations view (a delegation's bodies), and
// the catalogue gives the item an event concerns. It is applied last, so
// both have applied the event, and the strings the other views interned
// are in the symbol table's cache when the event's JSON is packed.
type logView struct {
	*core
	cat  *catalogueView
	dels *delegationsView

	entries     entryLog        // every event of our streams, in order of position
	arena       arena           // the entries' records
	bodyEntries map[sym][]int32 // log indexes of the events concerning a body

	scratch []byte // the record being encoded
	packed  []byte // the data being packed
	concern []sym  // the bodies the event being applied concerns
}

func newLogView(c *core, cat *catalogueView, dels *delegationsView) *logView {
	return &logView{core: c, cat: cat, dels: dels, bodyEntries: map[sym][]int32{}}
}

// concernHandlers add the bodies an event concerns to v.concern: the body
// registered; the delegator and receiver of a delegation and of its
// acceptance or withdrawal, and the receiver of every delegation a
// withdrawal or a revocation ended.
var concernHandlers = func() *projections.Handlers[*logView] {
	h := projections.NewHandlers[*logView](projections.ViewLog)
	projections.On(h, func(v *logView, e domain.ItemDelegated, _ *projections.Envelope) {
		v.addBody(v.syms.intern(e.From))
		v.addBody(v.syms.intern(e.To))
	})
	projections.On(h, func(v *logView, e domain.DelegationAccepted, _ *projections.Envelope) {
		if d := v.dels.delegations[e.DelegationID]; d != nil {
			v.addBody(d.from)
		}
		v.addBody(v.syms.intern(e.Body))
	})
	projections.On(h, func(v *logView, e domain.DelegationWithdrawn, _ *projections.Envelope) {
		if d := v.dels.delegations[e.DelegationID]; d != nil {
			v.addBody(d.from)
			v.addBody(d.to)
		}
		v.ended(e.Ended)
	})
	projections.On(h, func(v *logView, e domain.ItemRevoked, _ *projections.Envelope) { v.ended(e.Ended) })
	projections.On(h, func(v *logView, e domain.BodyRegistered, _ *projections.Envelope) {
		v.addBody(v.syms.intern(e.Code))
	})
	return h
}()

// ended adds the receivers of the (known) delegations ids.
func (v *logView) ended(ids []string) {
	for _, id := range ids {
		if d := v.dels.delegations[id]; d != nil {
			v.addBody(d.to)
		}
	}
}

// addBody adds a body to those the event concerns, once; 0 (no body) is
// not added.
func (v *logView) addBody(code sym) {
	if code != 0 && !slices.Contains(v.concern, code) {
		v.concern = append(v.concern, code)
	}
}

// apply records one event of ours, of kind k.
func (v *logView) apply(k projections.Kind, env *projections.Envelope) {
	idx := int32(v.entries.len())
	v.concern = v.concern[:0]
	concernHandlers.Apply(v, k, env)
	var it *item // the item the event concerns, if any
	if id := domain.ItemOf(env.Event); id != "" {
		it = v.cat.item(id)
	}
	v.appendEntry(env, it, v.concern)
	if it != nil {
		it.entries = append(it.entries, idx)
		if isItemStream(env.Stream, it.id) {
			it.stream = append(it.stream, idx)
		}
	}
	for _, b := range v.concern {
		v.bodyEntries[b] = append(v.bodyEntries[b], idx)
	}
}

// appendEntry records the event in the log; it concerns item (nil if
// none) and bodies.
func (v *logView) appendEntry(env *projections.Envelope, it *item, bodies []sym) {
	ch := domain.ChangeOf(env.Event)
	e := entry{
		pos: env.Position, sec: env.RecordedAt.Unix(), nsec: int32(env.RecordedAt.Nanosecond()),
		typ: v.syms.intern(env.Type), basis: v.syms.intern(ch.Basis), actor: v.syms.intern(env.Meta.Actor),
	}
	if it != nil && isItemStream(env.Stream, it.id) {
		if it.streamSym == 0 {
			it.streamSym = v.syms.intern(env.Stream)
		}
		e.stream = it.streamSym
	} else {
		e.stream = v.syms.intern(env.Stream)
	}
	if it != nil {
		e.itemID = it.sym
	}
	// The high-water mark is this entry's time, unless an earlier entry
	// was recorded later.
	e.hw = int32(v.entries.len())
	if e.hw > 0 {
		if hw := v.entries.at(e.hw - 1).hw; v.entries.at(hw).after(&e) {
			e.hw = hw
		}
	}
	v.scratch = v.appendRecord(v.scratch[:0], env, v.syms.intern(ch.Reason), ch.EffectiveFrom, bodies)
	e.rec = v.arena.add(v.scratch)
	v.entries.add(e)
}

// isItemStream reports whether stream is the item stream of id, without
// building the name for every event.
func isItemStream(stream, id string) bool {
	return domain.ItemStreams.IsStreamOf(stream, id)
}
