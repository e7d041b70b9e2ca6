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
	"sync"
	"time"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// Store is the in-memory read-model store: five views (views.go) over
// one lock, one checkpoint and one table of interned strings. The zero
// value is not usable; call New.
type Store struct {
	core
	cat   *catalogueView
	bods  *bodiesView
	dels  *delegationsView
	eds   *editionsView
	log   *logView
	views projections.Views
}

// core is what every view of a store shares: the lock that makes a batch
// visible in every view at once, the checkpoint that covers them all, and
// the interned strings (symbols.go).
type core struct {
	mu         sync.RWMutex
	checkpoint eventstore.Position
	syms       symbols
}

// rlock takes the read lock for a query and returns the position to read
// at: asOf bounded by the checkpoint (projections.ReadAt). The caller
// unlocks (c.mu.RUnlock).
func (c *core) rlock(asOf eventstore.Position) eventstore.Position {
	c.mu.RLock()
	return projections.ReadAt(asOf, c.checkpoint)
}

var _ projections.Store = (*Store)(nil)

// New returns an empty store (checkpoint Start).
func New() *Store {
	s := &Store{core: core{syms: newSymbols()}}
	s.wire()
	return s
}

// Views implements projections.Store: the store's views, which answer
// from the store's state whenever they are asked (a memory store has no
// generations).
func (s *Store) Views() projections.Views { return s.views }

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
// is applied whole or not at all, to every view under the one write lock.
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
	if s.log.entries.len()+len(batch) > maxEntries {
		return fmt.Errorf("memory: apply: more than %d events; use a database read model", maxEntries)
	}
	for i := range batch {
		if batch[i].Event != nil {
			s.apply(&batch[i])
		}
	}
	s.cat.endBatch()
	if len(batch) > 0 {
		s.checkpoint = batch[len(batch)-1].Position
	}
	return nil
}

// maxEntries bounds the log because entries are indexed by int32.
const maxEntries = 1<<31 - 1

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
