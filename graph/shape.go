package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// The codes of a query refused for its shape before it is validated; like
// gqlgen's complexity limit they are request errors (HTTP 4xx, no data),
// presented as BAD_USER_INPUT with the code in extensions.reason.
const (
	// codeSelectionLimit: the query expands, with its fragments spread in
	// place, to more selections than Limits.MaxSelections.
	codeSelectionLimit = "SELECTION_LIMIT_EXCEEDED"
	// codeRepeatLimit: the query asks for one response name more than
	// Limits.MaxRepeats times in one place.
	codeRepeatLimit = "FIELD_REPEAT_LIMIT_EXCEEDED"
)

func init() {
	errcode.RegisterErrorType(codeSelectionLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeRepeatLimit, errcode.KindProtocol)
}

// shapeLimit refuses, before gqlgen validates a query, the documents whose
// validation, complexity estimate or execution would cost more than their
// size suggests. The token limit bounds the text, but not the work:
//
//   - Fragment fan-out. A fragment spread twice by another, spread twice by
//     another, ... makes a 1.5 KB document expand to 2^N selections, and
//     gqlgen's complexity walker, gqlparser's MaxIntrospectionDepth rule and
//     execution all walk the expansion. Fragments written in a chain make
//     the validator walk each fragment from every fragment above it.
//   - Repeated fields. gqlparser's OverlappingFieldsCanBeMerged compares
//     every pair of fields that share a response name in one place (and,
//     recursively, their sub-selections): 9,990 `__typename` fit under the
//     token limit and make 50 million comparisons, ten seconds of CPU.
//
// So the check parses the document itself (with the token limit: linear in
// the text) and measures, in time linear in the document, the selections it
// expands to — each fragment's expansion counted once and reused — and
// refuses it past Limits.MaxSelections; only then, the expansion being
// bounded, it walks it to count how often a response name repeats in one
// place, and refuses past Limits.MaxRepeats. Every later step — validation,
// which walks each operation with its fragments once; the complexity
// estimate; the depth check; execution — then works on at most
// MaxSelections nodes, and the comparisons of overlapping fields are at most
// MaxRepeats × MaxSelections. That bound is what makes parsing and
// validation, which gqlgen runs without looking at the request's deadline,
// short: they cannot be interrupted, so they must not be able to run long.
//
// It runs as an OperationParameterMutator, the one hook gqlgen calls before
// it parses, for every transport (POST, GET, WebSocket). A document gqlgen
// keeps parsed has passed the check already and is not checked again.
type shapeLimit struct {
	maxTokens, maxSelections, maxRepeats int
	parsed                               *documentCache
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (s shapeLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if s.parsed != nil && s.parsed.has(p.Query) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, s.maxTokens)
	if err != nil {
		return nil // gqlgen parses it again and reports the error in its words
	}
	return checkShape(doc, s.maxSelections, s.maxRepeats)
}

// checkShape measures a parsed document; nil if it is within the limits.
func checkShape(doc *ast.QueryDocument, maxSelections, maxRepeats int) *gqlerror.Error {
	m := newMeasure(doc, maxSelections)
	total := m.total()
	if m.cycle != "" {
		// Refused here, not left to validation: gqlparser's
		// MaxIntrospectionDepth rule follows every path through a cycle of
		// fragments, and so would the walk below.
		err := gqlerror.Errorf("Cannot spread fragment %q within itself.", m.cycle)
		errcode.Set(err, errcode.ValidationFailed)
		return err
	}
	if total > maxSelections {
		err := gqlerror.Errorf("the query expands to more than %d selections (fields and arguments, every fragment counted where it is spread); ask for less at once", maxSelections)
		errcode.Set(err, codeSelectionLimit)
		return err
	}
	if name, n := m.repeats(maxRepeats); n > maxRepeats {
		err := gqlerror.Errorf("the query asks for %q more than %d times in one place; ask for each field once", name, maxRepeats)
		errcode.Set(err, codeRepeatLimit)
		return err
	}
	return nil
}

// measure computes the size of a document's expansion. Sizes saturate just
// past the limit, so that 2^N never overflows.
type measure struct {
	doc   *ast.QueryDocument
	frags map[string]*ast.FragmentDefinition
	size  map[string]int // a fragment's expanded size; -1 while it is being measured
	limit int
	// cycle is a fragment that spreads itself, directly or not, if any.
	cycle string
}

func newMeasure(doc *ast.QueryDocument, limit int) *measure {
	m := &measure{doc: doc, frags: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		size: make(map[string]int, len(doc.Fragments)), limit: limit}
	for _, f := range doc.Fragments {
		if _, dup := m.frags[f.Name]; !dup { // as the validator's ForName: the first one
			m.frags[f.Name] = f
		}
	}
	return m
}

func (m *measure) add(a, b int) int { return min(a+b, m.limit+1) }

// total is the expanded size of every operation and of every fragment
// definition (the validator walks each fragment from its definition too,
// and compares the fields within it).
func (m *measure) total() int {
	n := 0
	for _, op := range m.doc.Operations {
		n = m.add(n, m.add(m.directives(op.Directives), m.set(op.SelectionSet)))
		for _, v := range op.VariableDefinitions {
			n = m.add(n, 1+m.value(v.DefaultValue)+m.directives(v.Directives))
		}
	}
	for _, f := range m.doc.Fragments {
		n = m.add(n, m.add(m.directives(f.Directives), m.set(f.SelectionSet)))
	}
	return n
}

// set is the size of a selection set with its fragments spread in place:
// one per selection, plus the values of its arguments and directives.
func (m *measure) set(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n = m.add(n, 1+m.arguments(s.Arguments)+m.directives(s.Directives))
			n = m.add(n, m.set(s.SelectionSet))
		case *ast.InlineFragment:
			n = m.add(n, 1+m.directives(s.Directives))
			n = m.add(n, m.set(s.SelectionSet))
		case *ast.FragmentSpread:
			n = m.add(n, 1+m.directives(s.Directives))
			n = m.add(n, m.fragment(s.Name))
		}
	}
	return n
}

// fragment is the expanded size of a named fragment, measured once. A
// spread that closes a cycle counts nothing and is noted.
func (m *measure) fragment(name string) int {
	if n, ok := m.size[name]; ok {
		if n < 0 && m.cycle == "" {
			m.cycle = name
		}
		return max(n, 0)
	}
	f := m.frags[name]
	if f == nil {
		return 0 // an unknown fragment: refused by validation
	}
	m.size[name] = -1
	n := m.add(m.directives(f.Directives), m.set(f.SelectionSet))
	m.size[name] = n
	return n
}

func (m *measure) arguments(args ast.ArgumentList) int {
	n := 0
	for _, a := range args {
		n = m.add(n, m.value(a.Value))
	}
	return n
}

func (m *measure) directives(dirs ast.DirectiveList) int {
	n := 0
	for _, d := range dirs {
		n = m.add(n, 1+m.arguments(d.Arguments))
	}
	return n
}

func (m *measure) value(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 1
	for _, c := range v.Children {
		n = m.add(n, m.value(c.Value))
	}
	return n
}

// repeats walks the expansion of every operation and fragment definition
// (bounded by the selection limit, checked first) and returns the response
// name repeated most often in one place — at one response path — and how
// often, stopping once it passes limit. The validator compares fields
// pairwise only within one place, so this bounds its comparisons.
func (m *measure) repeats(limit int) (string, int) {
	r := repeatCounter{m: m, counts: map[placeKey]*place{}, busy: map[string]bool{}, limit: limit}
	for _, op := range m.doc.Operations {
		r.root++
		if r.set(op.SelectionSet, 0) {
			return r.name, r.most
		}
	}
	for _, f := range m.doc.Fragments {
		r.root++
		r.busy[f.Name] = true
		stop := r.set(f.SelectionSet, 0)
		delete(r.busy, f.Name)
		if stop {
			return r.name, r.most
		}
	}
	return r.name, r.most
}

// placeKey is a place in one root's expansion: a response name under the
// place of its parent field (0: the root).
type placeKey struct {
	root, parent int
	name         string
}

type place struct{ id, n int }

type repeatCounter struct {
	m      *measure
	counts map[placeKey]*place
	busy   map[string]bool // fragments being spread on the current path
	root   int
	limit  int
	name   string
	most   int
}

// set counts the fields of a selection set at the place parent; it reports
// true once a name passes the limit.
func (r *repeatCounter) set(set ast.SelectionSet, parent int) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			k := placeKey{r.root, parent, name}
			p := r.counts[k]
			if p == nil {
				p = &place{id: len(r.counts) + 1}
				r.counts[k] = p
			}
			p.n++
			if p.n > r.most {
				r.name, r.most = name, p.n
				if p.n > r.limit {
					return true
				}
			}
			if r.set(s.SelectionSet, p.id) {
				return true
			}
		case *ast.InlineFragment:
			if r.set(s.SelectionSet, parent) {
				return true
			}
		case *ast.FragmentSpread:
			f := r.m.frags[s.Name]
			if f == nil || r.busy[s.Name] {
				continue
			}
			r.busy[s.Name] = true
			stop := r.set(f.SelectionSet, parent)
			delete(r.busy, s.Name)
			if stop {
				return true
			}
		}
	}
	return false
}
