package projections

import (
	"fmt"
	"reflect"

	"github.com/catalogue/catalogue/domain"
)

// A view applies events through a handler table: for each event type of
// the domain's registry (domain.CurrentEvents) either a handler or an
// explicit Ignore. The table is the view's whole answer to "what does this
// event change here", and Missing lists the registered events a view has
// said nothing about, so a new event type fails each view's coverage test
// until every view has decided, instead of being dropped silently by a
// type switch that lacks its case.
//
// Dispatch is by the event's Go type, which an older stored version shares
// with the current one (it is upcast when decoded): KindOf turns it into a
// small integer once per event, and each view's table is a slice indexed
// by it. KindOf scans the registry's few types rather than hashing into a
// map, which took about half the time (BenchmarkKindOf: 12–20 ns against
// 23–50 ns for a map keyed by reflect.Type). In all, a store's five tables
// cost 30–40 ns an event more than a type switch (BenchmarkDispatch),
// against the 3–5 µs of CPU an event's reading, decoding and applying take
// in a rebuild: under 1%, below what the rebuild benchmark can tell.

// Kind is an event type's index in the registry's current events.
type Kind int

// noKind is the kind of an event type the registry does not know.
const noKind Kind = -1

var (
	kindEvents = domain.CurrentEvents()
	kindTypes  []reflect.Type // the Go type of each kind
)

func init() {
	for _, d := range kindEvents {
		kindTypes = append(kindTypes, d.Go)
	}
}

// KindOf returns the kind of event e; false if its type is not registered.
func KindOf(e domain.Event) (Kind, bool) {
	return kindOf(reflect.TypeOf(e))
}

func kindOf(t reflect.Type) (Kind, bool) {
	for k, kt := range kindTypes {
		if kt == t {
			return Kind(k), true
		}
	}
	return noKind, false
}

// Handlers is one view's handler table; V is the view's state (usually a
// pointer). Build it once (On, Ignore) and share it: Apply only reads it.
type Handlers[V any] struct {
	view    string
	fns     []func(V, *Envelope) // by kind; nil when ignored or missing
	decided []bool               // by kind: handled or explicitly ignored
}

// NewHandlers returns an empty table for the view named view (the name is
// what Missing's callers report).
func NewHandlers[V any](view string) *Handlers[V] {
	return &Handlers[V]{view: view, fns: make([]func(V, *Envelope), len(kindEvents)), decided: make([]bool, len(kindEvents))}
}

// View returns the name of the view the table belongs to.
func (h *Handlers[V]) View() string { return h.view }

// On makes fn the handler of events of type E. E must be a registered
// current event, and have one entry in the table: either is a mistake in
// the program, found when the table is built (at start), so it panics.
func On[E domain.Event, V any](h *Handlers[V], fn func(v V, e E, env *Envelope)) {
	k := h.claim(reflect.TypeFor[E]())
	h.fns[k] = func(v V, env *Envelope) { fn(v, env.Event.(E), env) }
}

// Ignore records that the view has nothing to do for events of type E
// (which must be registered, with no other entry in the table).
func Ignore[E domain.Event, V any](h *Handlers[V]) { h.claim(reflect.TypeFor[E]()) }

// claim reserves the table's entry for event type t.
func (h *Handlers[V]) claim(t reflect.Type) Kind {
	k, ok := kindOf(t)
	if !ok {
		panic(fmt.Sprintf("projections: view %s: %s is not a registered current event (domain/registry.go)", h.view, t))
	}
	if h.decided[k] {
		panic(fmt.Sprintf("projections: view %s: %s has two entries", h.view, t))
	}
	h.decided[k] = true
	return k
}

// Missing returns the stored type names of the registered current events
// that the table neither handles nor ignores, in registry order; nil when
// the view has decided about every event.
func (h *Handlers[V]) Missing() []string {
	var out []string
	for k, d := range kindEvents {
		if !h.decided[k] {
			out = append(out, d.Type)
		}
	}
	return out
}

// Apply runs the handler of env's event, of kind k (KindOf), on v; an
// ignored kind, or an event KindOf does not know, does nothing.
func (h *Handlers[V]) Apply(v V, k Kind, env *Envelope) {
	if uint(k) < uint(len(h.fns)) {
		if fn := h.fns[k]; fn != nil {
			fn(v, env)
		}
	}
}

// Table is a handler table whatever its view's type: what the coverage
// check and DeclareIgnores need of it.
type Table interface {
	View() string
	Missing() []string
	ignore(t reflect.Type)
}

func (h *Handlers[V]) ignore(t reflect.Type) { h.claim(t) }

// MissingHandlers is the coverage check of a set of views: for each table
// that lacks an entry, the view's name and the events it lacks. A store's
// test asserts it is empty.
func MissingHandlers(tables ...Table) map[string][]string {
	out := map[string][]string{}
	for _, t := range tables {
		if m := t.Missing(); len(m) > 0 {
			out[t.View()] = m
		}
	}
	return out
}
