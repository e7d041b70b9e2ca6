package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/graph/generated"
	"github.com/catalogue/catalogue/graph/model"
	"github.com/catalogue/catalogue/projections"
)

// Limits bound what one request may cost, so that no client — careless,
// slow or hostile — can hold the server. Zero fields take the defaults.
type Limits struct {
	// MaxBodyBytes bounds a request body, a GET query string and a
	// WebSocket message (default 1 MiB).
	MaxBodyBytes int64
	// MaxTokens bounds the lexical tokens of a query (default 10,000).
	MaxTokens int
	// MaxDepth bounds the nesting of a query's selections, introspection
	// excepted (default 12).
	MaxDepth int
	// MaxComplexity bounds a query's estimated cost: one per field, times
	// the page size for list fields (default 50,000; a page of 500 items
	// with 20 fields each costs 10,000).
	MaxComplexity int
	// MaxSelections bounds what a query expands to with its fragments
	// spread in place: its fields, fragments and argument values, summed
	// over its operations and fragment definitions (default 10,000, what
	// the token limit allows written out; GraphiQL's schema query expands
	// to 433). Checked before validation, whose work it bounds.
	MaxSelections int
	// MaxRepeats bounds how often one response name may be asked for in
	// one place of a query (default 20): validation compares such fields
	// pairwise.
	MaxRepeats int
	// WaitTimeout bounds how long a query waits for the read models to
	// reach its waitFor position (default 5s).
	WaitTimeout time.Duration
	// ReadTimeout bounds receiving a request, RequestTimeout executing it
	// and WriteTimeout sending the answer (defaults 10s, 30s, 30s).
	ReadTimeout, RequestTimeout, WriteTimeout time.Duration
	// CacheBytes bounds the memory of the caches kept between requests
	// (default 64 MiB): seven eighths for whole answers by position, one
	// sixteenth for parsed queries and one for the map from requests as
	// sent to their normalised form. Negative turns the answer cache off
	// (parsed queries are then kept in a sixteenth of the default).
	CacheBytes int64
}

// The shares of Limits.CacheBytes, in sixteenths. There is no second cache
// of read-model pages behind the answer cache: measured in the
// district-page benchmark (BenchmarkBodyDelegatedItems) it added nothing
// the answer cache did not already save, so its share went to answers.
const (
	cacheShareAnswers   = 14
	cacheShareDocuments = 1
	cacheShareRequests  = 1
)

const defaultCacheBytes = 64 << 20

// cacheBytes returns the share of the cache budget, in sixteenths, of one
// cache; 0 when the caches are off.
func (l Limits) cacheBytes(sixteenths int64) int64 {
	if l.CacheBytes < 0 {
		return 0
	}
	return l.CacheBytes * sixteenths / 16
}

// documentCacheBytes is the share of the cache budget for parsed queries,
// which are kept even when the answer caches are off: parsing is no answer
// that could grow stale.
func (l Limits) documentCacheBytes() int64 {
	if l.CacheBytes < 0 {
		return defaultCacheBytes * cacheShareDocuments / 16
	}
	return l.cacheBytes(cacheShareDocuments)
}

func (l Limits) withDefaults() Limits {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 1 << 20
	}
	set(&l.MaxTokens, 10_000)
	set(&l.MaxDepth, 12)
	set(&l.MaxComplexity, 50_000)
	set(&l.MaxSelections, 10_000)
	set(&l.MaxRepeats, 20)
	if l.CacheBytes == 0 {
		l.CacheBytes = defaultCacheBytes
	}
	setD(&l.WaitTimeout, 5*time.Second)
	setD(&l.ReadTimeout, 10*time.Second)
	setD(&l.RequestTimeout, 30*time.Second)
	setD(&l.WriteTimeout, 30*time.Second)
	return l
}

// Estimated sizes of the lists that have no page size of their own.
const (
	estDelegationsPerItem = 10
	estEventsPerItem      = 20
	estEditions           = 10
)

// pageCost is the cost of a page of first rows (the default page when not
// given; an out-of-range size is refused later by the read side).
func pageCost(child int, first *int) int {
	n := projections.DefaultPageSize
	if first != nil && *first > 0 {
		n = min(*first, projections.MaxPageSize)
	}
	return 1 + child*n
}

// complexity prices the list fields by their page size; every other field
// costs one plus its children (gqlgen's default).
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Catalogue = func(child int, _ *model.CatalogueFilter, _ *domain.Date, _ *eventstore.Position, first *int, _ *string, _ *eventstore.Position) int {
		return pageCost(child, first)
	}
	c.Query.Delegations = func(child int, _ *model.DelegationFilter, _ *domain.Date, _ *eventstore.Position, first *int, _ *string, _ *eventstore.Position) int {
		return pageCost(child, first)
	}
	c.Query.Bodies = func(child int, _ *domain.BodyKind, _ *string, _ *domain.Date, _ *eventstore.Position, first *int, _ *string, _ *eventstore.Position) int {
		return pageCost(child, first)
	}
	c.Query.Events = func(child int, _ *model.EventFilter, _ *string, first *int, _ *eventstore.Position, _ *eventstore.Position) int {
		return pageCost(child, first)
	}
	c.Query.Editions = func(child int, _ *eventstore.Position, _ *eventstore.Position) int { return 1 + child*estEditions }
	c.Body.DelegatedItems = func(child int, _ *domain.Date, _ *eventstore.Position, _ []projections.DelegationStatus, _ *domain.Mode, first *int, _ *string) int {
		return pageCost(child, first)
	}
	c.Edition.Items = func(child int, _ *model.CatalogueFilter, first *int, _ *string) int { return pageCost(child, first) }
	c.Item.Delegations = func(child int, _ []projections.DelegationStatus) int { return 1 + child*estDelegationsPerItem }
	c.Item.History = func(child int) int { return 1 + child*estEventsPerItem }
	return c
}

// codeDepthLimit is the code of a query nested too deeply; like gqlgen's
// own complexity limit it is a request error (HTTP 4xx, no data).
const codeDepthLimit = "DEPTH_LIMIT_EXCEEDED"

func init() { errcode.RegisterErrorType(codeDepthLimit, errcode.KindProtocol) }

// depthLimit refuses queries nested deeper than max. Introspection
// (__schema, __type) is not counted: GraphiQL's own schema query nests its
// type references deeply and must always work.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if n := (fragmentDepths{}).of(oc.Operation.SelectionSet); n > d.max {
		err := gqlerror.Errorf("the query nests selections more than %d deep; ask for less at once", d.max)
		errcode.Set(err, codeDepthLimit)
		return err
	}
	return nil
}

// fragmentDepths keeps the depth of each fragment's selections, measured
// once: the depth of a selection set does not depend on where it is
// spread, and a fragment spread twice by each of N others would otherwise
// be walked 2^N times.
type fragmentDepths map[string]int

// of returns the nesting depth of a selection set. A spread of a fragment
// still being measured (a cycle, refused before validation) counts 0.
func (m fragmentDepths) of(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			deepest = max(deepest, 1+m.of(s.SelectionSet))
		case *ast.InlineFragment:
			deepest = max(deepest, m.of(s.SelectionSet))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			d, ok := m[s.Name]
			if !ok {
				m[s.Name] = 0
				d = m.of(s.Definition.SelectionSet)
				m[s.Name] = d
			}
			deepest = max(deepest, d)
		}
	}
	return deepest
}
