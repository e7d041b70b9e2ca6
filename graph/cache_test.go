package graph_test

import (
	"testing"
	"time"
)

// TestCachedAnswersFollowWrites: answers kept by the response cache are
// never older than the read models: after a write, the same question gets
// the new answer; and who asks is part of the question.
func TestCachedAnswersFollowWrites(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	count := `{ catalogue { totalCount } }`
	before := e.ok(anon, count, nil).get("catalogue.totalCount").(float64)
	e.ok(anon, count, nil) // now kept
	res := e.ok(legal, listItem, input(map[string]any{"code": "C-1", "name": "新事项", "department": "市民政局", "level": "MUNICIPAL"}))
	e.ok(anon, `query($p: Position) { catalogue(waitFor: $p) { totalCount } }`, map[string]any{"p": res.str("listItem.position")})
	deadline := time.Now().Add(2 * time.Second)
	for e.ok(anon, count, nil).get("catalogue.totalCount").(float64) != before+1 {
		if time.Now().After(deadline) {
			t.Fatal("the cached answer outlived the write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	me := `{ me { name } }`
	if a, b := e.ok(legal, me, nil).str("me.name"), e.ok(auditor, me, nil).str("me.name"); a == b {
		t.Errorf("two principals got the same answer %q", a)
	}
	if e.ok(anon, me, nil).get("me") != nil {
		t.Error("anonymous got someone's answer")
	}
}
