// Package memory keeps the catalogue's read models in memory: the embedded
// default, rebuilt from the event log at start-up and kept live by a
// projections.Projector.
//
// One applier writes and many readers read under a read-write lock; a batch
// is applied under one write lock together with the checkpoint, so readers
// see whole batches only.
//
// Both time axes are served from the same structures. Every fact is kept
// with the log position that recorded it, so reading "as of position P" is
// a filter, never a replay. For the latest position the particulars of each
// item are precomputed as a short timeline by effective date, so "in force
// on D" is one binary search; a historical position folds the item's own
// (short) list of amendments.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Store is the in-memory read-model store. The zero value is not usable;
// call New.
type Store struct {
	mu         sync.RWMutex
	checkpoint eventstore.Position

	syms symbols // every string the read models and the log share

	items     map[string]*item
	byCode    map[string][]*item // items listed with a code, in order of listing
	itemOrder *sortedIndex[*item]

	delegations map[string]*delegation
	allDel      *sortedIndex[*delegation]
	byTo        map[sym]*sortedIndex[*delegation]
	byFrom      map[sym]*sortedIndex[*delegation]

	bodies    map[string]*projections.Body
	bodyOrder *sortedIndex[*projections.Body]

	editions     map[string]*edition
	editionOrder []*edition // in order of publication

	log         entryLog        // every event of our streams, in order of position
	arena       arena           // the log's records
	bodyEntries map[sym][]int32 // log indexes of the events concerning a body

	touched  []*item // items changed by the batch being applied
	lastItem *item   // the item s.item returned last
	scratch  []byte  // the record being encoded
	packed   []byte  // the data being packed
	concern  []sym   // the bodies the event being applied concerns
}

var _ projections.Store = (*Store)(nil)

// New returns an empty store (checkpoint Start).
func New() *Store {
	return &Store{
		syms:        newSymbols(),
		items:       map[string]*item{},
		byCode:      map[string][]*item{},
		itemOrder:   newSortedIndex(itemCursor),
		delegations: map[string]*delegation{},
		allDel:      newSortedIndex(delegationCursor),
		byTo:        map[sym]*sortedIndex[*delegation]{},
		byFrom:      map[sym]*sortedIndex[*delegation]{},
		bodies:      map[string]*projections.Body{},
		bodyOrder:   newSortedIndex(bodyCursor),
		editions:    map[string]*edition{},
		bodyEntries: map[sym][]int32{},
	}
}

// Checkpoint implements projections.Store.
func (s *Store) Checkpoint(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpoint, nil
}

// Apply implements projections.Store. Everything that could refuse the
// batch is checked before anything changes, and applying an event never
// fails (events are facts that already passed the rules; a reference to an
// unknown delegation is kept in the log and otherwise ignored), so a batch
// is applied whole or not at all.
func (s *Store) Apply(ctx context.Context, batch []projections.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(batch) > 0 && batch[0].Position <= s.checkpoint {
		batch = batch[1:] // applied before: a redelivery
	}
	for i := 1; i < len(batch); i++ {
		if batch[i].Position <= batch[i-1].Position {
			return fmt.Errorf("memory: apply: position %d follows %d; a batch must be in feed order", batch[i].Position, batch[i-1].Position)
		}
	}
	if s.log.len()+len(batch) > maxEntries {
		return fmt.Errorf("memory: apply: more than %d events; use a database read model", maxEntries)
	}
	for i := range batch {
		if batch[i].Event != nil {
			s.apply(&batch[i])
		}
	}
	for _, it := range s.touched {
		it.refresh()
	}
	s.touched = s.touched[:0]
	if len(batch) > 0 {
		s.checkpoint = batch[len(batch)-1].Position
	}
	return nil
}

// maxEntries bounds the log because entries are indexed by int32.
const maxEntries = 1<<31 - 1

// apply folds one event of ours into the read models and the log.
func (s *Store) apply(env *projections.Envelope) {
	idx := int32(s.log.len())
	pos := env.Position
	bodies := s.concern[:0]
	switch ev := env.Event.(type) {
	case domain.ItemListed:
		if it := s.item(ev.ItemID); it.listed.pos == 0 { // listed once: a stream begins with its listing
			it.list(ev, pos)
			s.touched = appendTouched(s.touched, it)
			s.byCode[ev.Code] = append(s.byCode[ev.Code], it)
			s.itemOrder.add(it)
		}
	case domain.ItemAmended:
		it := s.item(ev.ItemID)
		it.amend(ev, pos)
		s.touched = appendTouched(s.touched, it)
	case domain.ItemRevoked:
		s.item(ev.ItemID).revoked.set(ev.EffectiveFrom, pos)
		for _, id := range ev.Ended {
			if d := s.delegations[id]; d != nil {
				d.revoked.set(ev.EffectiveFrom, pos)
				bodies = addBody(bodies, d.to)
			}
		}
	case domain.ItemDelegated:
		from, to := s.syms.intern(ev.From), s.syms.intern(ev.To)
		s.delegate(s.item(ev.ItemID), ev, pos, from, to)
		bodies = addBody(addBody(bodies, from), to)
	case domain.DelegationAccepted:
		if d := s.delegations[ev.DelegationID]; d != nil {
			d.accepted.set(ev.EffectiveFrom, pos)
			bodies = addBody(bodies, d.from)
		}
		bodies = addBody(bodies, s.syms.intern(ev.Body))
	case domain.DelegationWithdrawn:
		withdraw := func(id string, own bool) {
			if d := s.delegations[id]; d != nil {
				d.withdrawn.set(ev.EffectiveFrom, pos)
				if own {
					bodies = addBody(bodies, d.from)
				}
				bodies = addBody(bodies, d.to)
			}
		}
		withdraw(ev.DelegationID, true)
		for _, id := range ev.Ended {
			withdraw(id, false)
		}
	case domain.BodyRegistered:
		code := s.syms.intern(ev.Code)
		if _, dup := s.bodies[ev.Code]; !dup {
			b := &projections.Body{Code: s.syms.str(code), Name: ev.Name, Kind: ev.Kind, Parent: ev.Parent,
				RegisteredFrom: ev.EffectiveFrom, Basis: ev.Basis, Position: pos}
			s.bodies[b.Code] = b
			s.bodyOrder.add(b)
		}
		bodies = addBody(bodies, code)
	case domain.EditionPublished:
		if _, dup := s.editions[ev.Name]; !dup {
			ed := newEdition(ev, env)
			s.editions[ev.Name] = ed
			s.editionOrder = append(s.editionOrder, ed)
		}
	}
	s.concern = bodies
	var it *item // the item the event concerns, if any
	if id := domain.ItemOf(env.Event); id != "" {
		it = s.item(id)
	}
	s.appendLog(env, it, bodies)
	if it != nil {
		it.entries = append(it.entries, idx)
		if isItemStream(env.Stream, it.id) {
			it.stream = append(it.stream, idx)
		}
	}
	for _, b := range bodies {
		s.bodyEntries[b] = append(s.bodyEntries[b], idx)
	}
}

// appendLog records the event in the global log; it concerns item (nil if
// none) and bodies.
func (s *Store) appendLog(env *projections.Envelope, it *item, bodies []sym) {
	ch := domain.ChangeOf(env.Event)
	e := entry{
		pos: env.Position, sec: env.RecordedAt.Unix(), nsec: int32(env.RecordedAt.Nanosecond()),
		typ: s.syms.intern(env.Type), basis: s.syms.intern(ch.Basis), actor: s.syms.intern(env.Meta.Actor),
	}
	if it != nil && isItemStream(env.Stream, it.id) {
		if it.streamSym == 0 {
			it.streamSym = s.syms.intern(env.Stream)
		}
		e.stream = it.streamSym
	} else {
		e.stream = s.syms.intern(env.Stream)
	}
	if it != nil {
		e.itemID = it.sym
	}
	// The high-water mark is this entry's time, unless an earlier entry
	// was recorded later.
	e.hw = int32(s.log.len())
	if e.hw > 0 {
		if hw := s.log.at(e.hw - 1).hw; s.log.at(hw).after(&e) {
			e.hw = hw
		}
	}
	s.scratch = s.appendRecord(s.scratch[:0], env, s.syms.intern(ch.Reason), ch.EffectiveFrom, bodies)
	e.rec = s.arena.add(s.scratch)
	s.log.add(e)
}

// item returns the item with id, creating an unlisted one: a code
// reservation is recorded before its item's listing. The item found last
// is remembered: applying an event looks its item up more than once, and a
// command's events follow each other in the log.
func (s *Store) item(id string) *item {
	if it := s.lastItem; it != nil && it.id == id {
		return it
	}
	it := s.items[id]
	if it == nil {
		sy := s.syms.intern(id)
		it = &item{id: s.syms.str(sy), sym: sy}
		s.items[it.id] = it
	}
	s.lastItem = it
	return it
}

// isItemStream reports whether stream is domain.ItemStream(id), without
// building the name for every event.
func isItemStream(stream, id string) bool {
	return domain.ItemStreams.IsStreamOf(stream, id)
}

// addBody adds a body to those an event concerns, once; 0 (no body) is
// not added.
func addBody(bodies []sym, code sym) []sym {
	if code == 0 || slices.Contains(bodies, code) {
		return bodies
	}
	return append(bodies, code)
}

func appendTouched(touched []*item, it *item) []*item {
	if !it.dirty {
		it.dirty = true
		touched = append(touched, it)
	}
	return touched
}

// mark is a fact recorded at a position with an effective date; the zero
// mark is "not recorded". Only the first recording counts: a later one can
// never be visible at a position where the first is not.
type mark struct {
	pos  eventstore.Position
	from day
}

func (m *mark) set(from domain.Date, pos eventstore.Position) {
	if m.pos == 0 {
		*m = mark{from: dayOf(from), pos: pos}
	}
}

// at reports whether the fact is recorded at or before position asOf.
func (m mark) at(asOf eventstore.Position) bool { return m.pos != 0 && m.pos <= asOf }

// date returns the fact's effective date, whether recorded or not.
func (m mark) date() domain.Date { return m.from.date() }

// dateAt returns the fact's effective date if it is recorded by asOf.
func (m mark) dateAt(asOf eventstore.Position) domain.Date {
	if m.at(asOf) {
		return m.from.date()
	}
	return domain.Date{}
}

// day is a domain.Date in four bytes, ordered as dates are. Every date an
// event holds was read from "YYYY-MM-DD" (year 0 to 9999) or is the zero
// date, and packs exactly; the zero date packs to 0.
type day uint32

func dayOf(d domain.Date) day {
	return day(d.Year<<9 | int(d.Month)<<5 | d.Day)
}

func (d day) date() domain.Date {
	return domain.Date{Year: int(d >> 9), Month: time.Month(d >> 5 & 15), Day: int(d & 31)}
}
