package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// noNUL refuses an operation any of whose string inputs (a variable's value
// or a literal argument, at any depth) holds U+0000. JSON and GraphQL both
// let a client send it, and Go and the in-memory read models take it, but
// PostgreSQL text cannot hold it: a read would fail inside the read models
// (an internal error), and a write would record an event that the
// PostgreSQL projector could never apply. Refused here, before execution,
// it is the client's BAD_USER_INPUT on every backend alike, and nothing is
// recorded.
type noNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noNUL{}

func (noNUL) ExtensionName() string                   { return "NoNUL" }
func (noNUL) Validate(graphql.ExecutableSchema) error { return nil }

func (noNUL) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for name, v := range oc.Variables {
		if hasNUL(v) {
			return nulError("$"+name, nil)
		}
	}
	w := &nulWalk{doc: oc.Doc}
	if arg := w.selections(oc.Operation.SelectionSet); arg != nil {
		return nulError(arg.Name, arg.Position)
	}
	return nil
}

// nulError is the refusal of input field (a variable or an argument).
func nulError(field string, at *ast.Position) *gqlerror.Error {
	err := gqlerror.Errorf("%s holds a NUL character (U+0000), which no text may contain", field)
	if at != nil {
		err.Locations = []gqlerror.Location{{Line: at.Line, Column: at.Column}}
	}
	err.Extensions = map[string]any{"code": CodeBadUserInput, "field": strings.TrimPrefix(field, "$")}
	return err
}

// hasNUL reports whether a variable's value (as decoded from JSON) holds a
// string with U+0000.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// nulWalk finds a literal argument holding U+0000 in the selections an
// operation runs, following each fragment once.
type nulWalk struct {
	doc  *ast.QueryDocument
	seen map[string]bool // fragments followed; made at the first spread
}

func (w *nulWalk) selections(set ast.SelectionSet) *ast.Argument {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				if literalHasNUL(arg.Value) {
					return arg
				}
			}
			if arg := w.selections(s.SelectionSet); arg != nil {
				return arg
			}
		case *ast.InlineFragment:
			if arg := w.selections(s.SelectionSet); arg != nil {
				return arg
			}
		case *ast.FragmentSpread:
			if w.seen[s.Name] || w.doc == nil {
				continue
			}
			if w.seen == nil {
				w.seen = map[string]bool{}
			}
			w.seen[s.Name] = true
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				if arg := w.selections(f.SelectionSet); arg != nil {
					return arg
				}
			}
		}
	}
	return nil
}

// literalHasNUL reports whether a literal value holds U+0000 in a string
// (variables inside it are checked as variables).
func literalHasNUL(v *ast.Value) bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return strings.IndexByte(v.Raw, 0) >= 0
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if literalHasNUL(c.Value) {
				return true
			}
		}
	}
	return false
}
