// Package hostile builds GraphQL documents that cost a server far more than
// their size — the shapes the API's limits (graph.Limits) must refuse or
// answer cheaply. The API's tests send them in-process and to the real
// binary; they are small so that a test can send many.
package hostile

import (
	"fmt"
	"strings"
)

// FanOut is a query of n+1 fragments in which fragment F_i spreads F_{i-1}
// twice: about 60 bytes per fragment, expanding to 2^n selections.
func FanOut(n int) string { return fanOut(n, "query { ...F%d }", "Query", "__typename") }

// FanOutCycle is FanOut with F0 spreading F_n: a cycle, which validation
// refuses, and in which a walk that follows every path never ends.
func FanOutCycle(n int) string {
	return strings.Replace(FanOut(n), "fragment F0 on Query { __typename }", fmt.Sprintf("fragment F0 on Query { __typename ...F%d }", n), 1)
}

// IntrospectionFanOut is FanOut under __schema, where gqlparser's
// MaxIntrospectionDepth rule follows every path through the fragments.
func IntrospectionFanOut(n int) string {
	return fanOut(n, "query { __schema { ...F%d } }", "__Schema", "description")
}

// fanOut writes the operation (which spreads F_n), F0 on type selecting
// leaf, and each F_i spreading F_{i-1} twice.
func fanOut(n int, operation, typ, leaf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, operation+"\nfragment F0 on %s { %s }\n", n, typ, leaf)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i-1, i-1)
	}
	return b.String()
}

// Chain is a query of n+1 fragments each spreading the one before: the
// validator walks every fragment from each fragment above it (n²/2).
func Chain(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { ...F%d }\nfragment F0 on Query { __typename }\n", n)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { __typename ...F%d }\n", i, i-1)
	}
	return b.String()
}

// Repeated is a query asking for field n times in one place: validation
// compares every pair (n²/2).
func Repeated(field string, n int) string {
	return "{" + strings.Repeat(" "+field, n) + " }"
}

// Wide asks for body copies times, each with children aliased fields: the
// copies are compared pairwise, and so are their children.
func Wide(copies, children int) string {
	var b strings.Builder
	b.WriteString("{")
	for range copies {
		b.WriteString(` body(code: "370202") {`)
		for j := range children {
			fmt.Fprintf(&b, " a%d: code", j)
		}
		b.WriteString(" }")
	}
	b.WriteString(" }")
	return b.String()
}

// Deep nests field n levels deep: {f{f{f...}}}.
func Deep(field string, n int) string {
	return strings.Repeat("{ "+field+" ", n) + "{ __typename }" + strings.Repeat(" }", n)
}

// Aliases asks for one field n times under distinct aliases.
func Aliases(field string, n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// Operations is a document of n operations, each spreading one fragment
// of size fields: the validator walks the fragment once per operation.
func Operations(n, size int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "query q%d { ...F }\n", i)
	}
	b.WriteString("fragment F on Query {")
	for i := range size {
		fmt.Fprintf(&b, " t%d: __typename", i)
	}
	b.WriteString(" }\n")
	return b.String()
}

// Padded is query surrounded by n bytes of white space and a comment:
// the same question in a different request each time.
func Padded(query string, n int) string {
	return "# " + fmt.Sprint(n) + "\n" + strings.Repeat(" ", n) + query + strings.Repeat("\n", n%7)
}
