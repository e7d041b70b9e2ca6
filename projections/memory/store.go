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
	"strings"
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

	items     map[string]*item
	byCode    map[string][]*item // items listed with a code, in order of listing
	itemOrder *sortedIndex[*item]

	delegations map[string]*delegation
	allDel      *sortedIndex[*delegation]
	byTo        map[string]*sortedIndex[*delegation]
	byFrom      map[string]*sortedIndex[*delegation]

	bodies    map[string]*projections.Body
	bodyOrder *sortedIndex[*projections.Body]

	editions     map[string]*edition
	editionOrder []*edition // in order of publication

	log         entryLog           // every event of our streams, in order of position
	bodyEntries map[string][]int32 // log indexes of the events concerning a body

	touched []*item // items changed by the batch being applied
}

var _ projections.Store = (*Store)(nil)

// entry is a log entry with the latest recorded time up to it, which makes
// PositionAt a binary search even if the clock once went backwards.
type entry struct {
	projections.LogEntry
	highWater time.Time
}

// New returns an empty store (checkpoint Start).
func New() *Store {
	return &Store{
		items:       map[string]*item{},
		byCode:      map[string][]*item{},
		itemOrder:   newSortedIndex(itemCursor),
		delegations: map[string]*delegation{},
		allDel:      newSortedIndex(delegationCursor),
		byTo:        map[string]*sortedIndex[*delegation]{},
		byFrom:      map[string]*sortedIndex[*delegation]{},
		bodies:      map[string]*projections.Body{},
		bodyOrder:   newSortedIndex(bodyCursor),
		editions:    map[string]*edition{},
		bodyEntries: map[string][]int32{},
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
	idx := s.appendLog(env)
	e := &s.log.at(idx).LogEntry
	pos := env.Position
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
				e.Bodies = addBody(e.Bodies, d.e.To)
			}
		}
	case domain.ItemDelegated:
		s.delegate(ev, pos)
		e.Bodies = addBody(addBody(e.Bodies, ev.From), ev.To)
	case domain.DelegationAccepted:
		if d := s.delegations[ev.DelegationID]; d != nil {
			d.accepted.set(ev.EffectiveFrom, pos)
			e.Bodies = addBody(e.Bodies, d.e.From)
		}
		e.Bodies = addBody(e.Bodies, ev.Body)
	case domain.DelegationWithdrawn:
		for i, id := range append([]string{ev.DelegationID}, ev.Ended...) {
			if d := s.delegations[id]; d != nil {
				d.withdrawn.set(ev.EffectiveFrom, pos)
				if i == 0 {
					e.Bodies = addBody(e.Bodies, d.e.From)
				}
				e.Bodies = addBody(e.Bodies, d.e.To)
			}
		}
	case domain.BodyRegistered:
		b := &projections.Body{Code: ev.Code, Name: ev.Name, Kind: ev.Kind, Parent: ev.Parent,
			RegisteredFrom: ev.EffectiveFrom, Basis: ev.Basis, Position: pos}
		if _, dup := s.bodies[ev.Code]; !dup {
			s.bodies[ev.Code] = b
			s.bodyOrder.add(b)
		}
		e.Bodies = addBody(e.Bodies, ev.Code)
	case domain.EditionPublished:
		if _, dup := s.editions[ev.Name]; !dup {
			ed := newEdition(ev, env)
			s.editions[ev.Name] = ed
			s.editionOrder = append(s.editionOrder, ed)
		}
	}
	if e.ItemID != "" {
		it := s.item(e.ItemID)
		it.entries = append(it.entries, idx)
		if isItemStream(e.Stream, e.ItemID) {
			it.stream = append(it.stream, idx)
		}
	}
	for _, b := range e.Bodies {
		s.bodyEntries[b] = append(s.bodyEntries[b], idx)
	}
}

// appendLog records the event in the global log and returns its index.
func (s *Store) appendLog(env *projections.Envelope) int32 {
	ch := projections.ChangeOf(env.Event)
	hw := env.RecordedAt
	if n := s.log.len(); n > 0 && s.log.at(int32(n-1)).highWater.After(hw) {
		hw = s.log.at(int32(n - 1)).highWater
	}
	return s.log.add(entry{LogEntry: projections.LogEntry{
		Position: env.Position, EventID: env.ID, Stream: env.Stream, Revision: env.Revision, Type: env.Type,
		Data: env.Data, ItemID: projections.ItemIDOf(env.Event),
		Basis: ch.Basis, Reason: ch.Reason, EffectiveFrom: ch.EffectiveFrom,
		Actor: env.Meta.Actor, CommandID: env.Meta.CommandID, CorrelationID: env.Meta.CorrelationID,
		CausationID: env.Meta.CausationID, RecordedAt: env.RecordedAt,
	}, highWater: hw})
}

// item returns the item with id, creating an unlisted one: a code
// reservation is recorded before its item's listing.
func (s *Store) item(id string) *item {
	it := s.items[id]
	if it == nil {
		it = &item{id: id}
		s.items[id] = it
	}
	return it
}

// isItemStream reports whether stream is domain.ItemStream(id), without
// building the name for every event.
func isItemStream(stream, id string) bool {
	return strings.HasPrefix(stream, domain.ItemStreamPrefix) && stream[len(domain.ItemStreamPrefix):] == id
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
	from domain.Date
	pos  eventstore.Position
}

func (m *mark) set(from domain.Date, pos eventstore.Position) {
	if m.pos == 0 {
		*m = mark{from: from, pos: pos}
	}
}

// at reports whether the fact is recorded at or before position asOf.
func (m mark) at(asOf eventstore.Position) bool { return m.pos != 0 && m.pos <= asOf }

// dateAt returns the fact's effective date if it is recorded by asOf.
func (m mark) dateAt(asOf eventstore.Position) domain.Date {
	if m.at(asOf) {
		return m.from
	}
	return domain.Date{}
}
