package graph_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph"
)

// TestConcurrentAmendSameRevision: two legal officers amend the same item
// at once from the same revision; one wins, the other gets CONFLICT with
// the current revision, and nothing is silently overwritten.
func TestConcurrentAmendSameRevision(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	for round := range 20 {
		rev := e.ok(legal, `query($id: ID!) { item(id: $id) { revision } }`, map[string]any{"id": f.itemID}).get("item.revision")
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i := range results {
			wg.Go(func() {
				results[i] = e.do(legal, amendItem, input(map[string]any{"itemId": f.itemID, "expectedRevision": rev,
					"name": strings.Repeat("改", round+1) + []string{"甲", "乙"}[i]}))
			})
		}
		wg.Wait()
		var won, conflicts int
		for _, r := range results {
			switch {
			case len(r.Errors) == 0:
				won++
			case r.Errors[0].code() == "CONFLICT" && r.Errors[0].Extensions["currentRevision"] == rev.(float64)+1:
				conflicts++
			default:
				t.Fatalf("round %d: %+v", round, r.Errors)
			}
		}
		if won != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d won, %d conflicts", round, won, conflicts)
		}
	}
}

// TestReadYourWrites: a query given the position a mutation returned waits
// until the read models include it; a position never written is refused at
// once, and one the read models do not reach in time gives a clear error.
func TestReadYourWrites(t *testing.T) {
	// The projector is not started yet: the read models stay behind the log.
	e := newEnv(t, projectorStopped, withLimits(graph.Limits{WaitTimeout: 300 * time.Millisecond}))

	res := e.ok(legal, `mutation($input: ListItemInput!) { listItem(input: $input) { itemId position } }`,
		input(map[string]any{"code": "RYW-1", "name": "读己之写", "department": "市行政审批服务局", "level": "MUNICIPAL"}))
	pos := res.str("listItem.position")
	query := `query($pos: Position) { item(code: "RYW-1", waitFor: $pos) { name } }`

	e.fails(legal, `{ item(code: "RYW-1") { name } }`, nil, "NOT_FOUND", "ITEM_NOT_FOUND")
	slow := e.fails(legal, query, map[string]any{"pos": pos}, "UNAVAILABLE", "")
	if slow.Extensions["position"] != pos || !strings.Contains(slow.Message, "retry") {
		t.Errorf("%+v", slow)
	}
	e.fails(legal, query, map[string]any{"pos": "99999999999999999"}, "BAD_USER_INPUT", "INVALID_INPUT")

	done := make(chan result)
	go func() { done <- e.do(legal, query, map[string]any{"pos": pos}) }()
	time.Sleep(50 * time.Millisecond) // the query is waiting
	e.startProjector()
	got := <-done
	if len(got.Errors) > 0 || got.str("item.name") != "读己之写" {
		t.Fatalf("%+v %v", got.Errors, got.Data)
	}
}
