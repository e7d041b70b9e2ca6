package graph_test

import (
	"testing"
	"time"

	"github.com/catalogue/catalogue/graph"
)

// TestWritesDoNotWaitForTheReadModels: every mutation decides on the log
// alone, so a stalled projector (here: never started) delays no write. A
// body officer accepts and withdraws, and is refused what it may not do,
// with the read models still empty; a legal officer lists, amends and
// delegates. The mutations ask only for what the write returns (ids and
// positions): reading the written object back is what waits.
func TestWritesDoNotWaitForTheReadModels(t *testing.T) {
	e := newEnv(t, projectorStopped, withLimits(graph.Limits{WaitTimeout: time.Second}))
	const (
		list     = `mutation($input: ListItemInput!) { listItem(input: $input) { itemId position } }`
		amend    = `mutation($input: AmendItemInput!) { amendItem(input: $input) { revision position } }`
		delegate = `mutation($input: DelegateItemInput!) { delegateItem(input: $input) { delegationId position } }`
		accept   = `mutation($input: AcceptDelegationInput!) { acceptDelegation(input: $input) { delegationId position } }`
		withdraw = `mutation($input: WithdrawDelegationInput!) { withdrawDelegation(input: $input) { delegationId position } }`
		register = `mutation($input: RegisterBodyInput!) { registerBody(input: $input) { revision position } }`
	)
	for _, b := range []map[string]any{
		{"code": "370000", "name": "山东省", "kind": "PROVINCE"},
		{"code": "370200", "name": "青岛市", "kind": "CITY", "parent": "370000"},
		{"code": "370202", "name": "市南区", "kind": "DISTRICT", "parent": "370200"},
		{"code": "370203", "name": "市北区", "kind": "DISTRICT", "parent": "370200"},
		{"code": "370202001", "name": "八大关街道", "kind": "TOWNSHIP", "parent": "370202"},
	} {
		b["basis"], b["effectiveFrom"] = "国家统计局统计用区划代码", "2022-10-31"
		e.ok(legal, register, input(b))
	}
	itemID := e.ok(legal, list, input(map[string]any{"code": "NW-1", "name": "不等读模型", "department": "市行政审批服务局",
		"level": "MUNICIPAL", "effectiveFrom": "2024-01-01"})).str("listItem.itemId")
	e.ok(legal, amend, input(map[string]any{"itemId": itemID, "name": "不等读模型（变更）"}))
	toShinan := e.ok(legal, delegate, input(map[string]any{"itemId": itemID, "to": "370202", "mode": "DEVOLVE",
		"effectiveFrom": "2024-02-01"})).str("delegateItem.delegationId")

	// Refusals are decided on the log too, with the codes clients know.
	e.fails(shibei, accept, input(map[string]any{"itemId": itemID, "delegationId": toShinan}), "FORBIDDEN", "")
	e.fails(shibei, withdraw, input(map[string]any{"itemId": itemID, "delegationId": toShinan}), "FORBIDDEN", "")
	e.fails(shinan, accept, input(map[string]any{"itemId": itemID, "delegationId": "no-such"}), "NOT_FOUND", "DELEGATION_NOT_FOUND")

	e.ok(shinan, accept, input(map[string]any{"itemId": itemID, "delegationId": toShinan}))
	passOn := e.ok(shinan, delegate, input(map[string]any{"itemId": itemID, "from": "370202", "to": "370202001",
		"mode": "DEVOLVE", "effectiveFrom": "2024-03-01"})).str("delegateItem.delegationId")
	e.ok(shinan, withdraw, input(map[string]any{"itemId": itemID, "delegationId": passOn, "effectiveFrom": "2024-04-01"}))
	// A legal officer accepting without naming the body: the body comes
	// from the delegation as the log holds it.
	toShibei := e.ok(legal, delegate, input(map[string]any{"itemId": itemID, "to": "370203", "mode": "DEVOLVE",
		"effectiveFrom": "2024-02-01"})).str("delegateItem.delegationId")
	e.ok(legal, accept, input(map[string]any{"itemId": itemID, "delegationId": toShibei}))

	// A write that waited would have failed UNAVAILABLE after the 1 s wait
	// limit; the read models never moved.
	if pos, err := e.read.Checkpoint(t.Context()); err != nil || pos != 0 {
		t.Errorf("read models at %v, %v: the projector was meant to be stopped", pos, err)
	}
}
