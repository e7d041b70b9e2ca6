package graph

import (
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/catalogue/catalogue/graph/generated"
	"github.com/catalogue/catalogue/graph/hostile"
)

// TestDepthMeasuresEachFragmentOnce: the depth check walks each fragment
// once, whatever the number of places it is spread in; it used to follow
// every spread, 2^40 of them here. (The shape check refuses such a query
// before the depth check sees it; this keeps the depth check safe on its
// own.)
func TestDepthMeasuresEachFragmentOnce(t *testing.T) {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}, Complexity: complexity()})
	doc, err := parser.ParseQuery(&ast.Source{Input: strings.Replace(hostile.FanOut(40), "query {", "query Wide {", 1) + "query Deep { body(code: \"1\") { ...B } }\nfragment B on Body { parentBody { parentBody { code } } }"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(es.Schema(), doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	done := make(chan [2]int, 1)
	go func() {
		done <- [2]int{(fragmentDepths{}).of(doc.Operations[0].SelectionSet), (fragmentDepths{}).of(doc.Operations[1].SelectionSet)}
	}()
	select {
	case d := <-done:
		if d != [2]int{1, 4} {
			t.Errorf("depths %v, want [1 4]", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the depth of a 2^40 fan-out took more than 10 s")
	}
}
