package graph_test

import (
	"testing"
)

// TestMutationsSucceed runs every mutation the way a legal officer and a
// district would, and checks that each returns the affected object as it
// stands after the change, its revision and the position written.
func TestMutationsSucceed(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()

	body := e.ok(legal, registerBody, input(map[string]any{"code": "370211", "name": "黄岛区", "kind": "DISTRICT", "parent": "370200",
		"basis": "国函〔2012〕171号", "effectiveFrom": "2012-12-01"}))
	if body.str("registerBody.body.name") != "黄岛区" || body.str("registerBody.body.parent") != "370200" ||
		body.str("registerBody.body.registeredFrom") != "2012-12-01" || body.str("registerBody.position") == "" {
		t.Errorf("registerBody: %v", body.Data)
	}

	item := e.ok(legal, `query($id: ID!) { item(id: $id) { code name status listedFrom level subItems { code } } }`, map[string]any{"id": f.itemID})
	if item.str("item.code") != "370200-XK-001" || item.str("item.status") != "IN_FORCE" || item.str("item.level") != "MUNICIPAL" ||
		len(item.list("item.subItems")) != 2 {
		t.Errorf("listItem: %v", item.Data)
	}

	am := e.ok(legal, amendItem, input(map[string]any{"itemId": f.itemID, "expectedRevision": f.revision,
		"name": "林木采伐许可证核发（含更新采伐）", "effectiveFrom": "2024-05-01"}))
	if am.str("amendItem.item.name") != "林木采伐许可证核发（含更新采伐）" || am.get("amendItem.revision").(float64) != float64(f.revision+1) {
		t.Errorf("amendItem: %v", am.Data)
	}

	dl := e.ok(legal, delegateItem, input(map[string]any{"itemId": f.itemID, "to": "370202", "mode": "DEVOLVE",
		"scope": []string{"370200-XK-001-01"}, "effectiveFrom": "2024-02-01"}))
	delegationID := dl.str("delegateItem.delegationId")
	if dl.str("delegateItem.delegation.to") != "370202" || dl.str("delegateItem.delegation.toName") != "市南区" ||
		dl.str("delegateItem.delegation.status") != "PENDING_ACCEPTANCE" || dl.get("delegateItem.delegation.from") != nil ||
		dl.str("delegateItem.delegation.scope.0.name") != "林木采伐许可证核发（新办）" {
		t.Errorf("delegateItem: %v", dl.Data)
	}

	acc := e.ok(shinan, acceptDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": delegationID, "effectiveFrom": "2024-02-15"}))
	if acc.get("acceptDelegation.delegation.accepted") != true || acc.str("acceptDelegation.delegation.status") != "ACTIVE" ||
		acc.str("acceptDelegation.delegation.acceptedFrom") != "2024-02-15" {
		t.Errorf("acceptDelegation: %v", acc.Data)
	}

	// 市南区 passes its power on to a town under it, and takes it back.
	town := e.ok(shinan, delegateItem, input(map[string]any{"itemId": f.itemID, "from": "370202", "to": "370202001", "mode": "DEVOLVE",
		"scope": []string{"370200-XK-001-01"}, "effectiveFrom": "2024-03-01"}))
	if town.str("delegateItem.delegation.from") != "370202" {
		t.Errorf("pass-on: %v", town.Data)
	}
	wd := e.ok(shinan, withdrawDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": town.str("delegateItem.delegationId"), "effectiveFrom": "2024-04-01"}))
	if wd.str("withdrawDelegation.delegation.status") != "WITHDRAWN" || wd.str("withdrawDelegation.delegation.withdrawnFrom") != "2024-04-01" {
		t.Errorf("withdrawDelegation: %v", wd.Data)
	}

	pub := e.ok(legal, publishEdition, input(map[string]any{"name": "2024年版", "effectiveFrom": "2024-05-01"}))
	if pub.str("publishEdition.edition.name") != "2024年版" || pub.get("publishEdition.edition.itemCount").(float64) != 1 ||
		pub.str("publishEdition.edition.actor") != "法制科·张三" || pub.str("publishEdition.edition.items.nodes.0.code") != "370200-XK-001" {
		t.Errorf("publishEdition: %v", pub.Data)
	}

	rv := e.ok(legal, revokeItem, input(map[string]any{"itemId": f.itemID, "effectiveFrom": "2024-05-20", "reason": "上位法废止"}))
	if rv.str("revokeItem.item.status") != "REVOKED" || rv.str("revokeItem.item.revokedFrom") != "2024-05-20" ||
		rv.str("revokeItem.item.delegations.0.status") != "REVOKED" {
		t.Errorf("revokeItem: %v", rv.Data)
	}
	// Each mutation's position is where the read models find it.
	if pos := rv.str("revokeItem.position"); pos <= pub.str("publishEdition.position") && len(pos) <= len(pub.str("publishEdition.position")) {
		t.Errorf("positions do not advance: %s after %s", pos, pub.str("publishEdition.position"))
	}
}

// TestRetryRecordsNothing: retrying a mutation with the same commandId
// returns the same answer and records nothing.
func TestRetryRecordsNothing(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	for _, tc := range []struct {
		name, op string
		in       map[string]any
	}{
		{"listItem", listItem, map[string]any{"code": "X-2", "name": "建筑工程施工许可", "department": "市住房城乡建设局", "level": "MUNICIPAL"}},
		{"amendItem", amendItem, map[string]any{"itemId": f.itemID, "department": "市林业局"}},
		{"delegateItem", delegateItem, map[string]any{"itemId": f.itemID, "to": "370203", "mode": "ENTRUST", "effectiveFrom": "2024-02-01"}},
		{"registerBody", registerBody, map[string]any{"code": "370212", "name": "崂山区", "kind": "DISTRICT", "parent": "370200"}},
		{"publishEdition", publishEdition, map[string]any{"name": "2024年版"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := input(tc.in)
			first := e.ok(legal, tc.op, vars)
			before, _ := e.events.LastPosition(t.Context())
			again := e.ok(legal, tc.op, vars)
			after, _ := e.events.LastPosition(t.Context())
			if before != after {
				t.Errorf("the retry recorded events: position %d → %d", before, after)
			}
			if !equalJSON(first.Data, again.Data) {
				t.Errorf("the retry answered differently:\n first %v\n again %v", first.Data, again.Data)
			}
		})
	}
}

// TestCommandIDReused: a commandId already recorded for another command is
// refused as a CONFLICT with rule COMMAND_ID_REUSED on field commandId, and
// records nothing — for listItem even when the reuse names another code,
// which would otherwise be held by a reservation forever. The same command
// under the id stays a replay.
func TestCommandIDReused(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	id := cmd()
	listing := func(code, name string) map[string]any {
		return input(map[string]any{"commandId": id, "code": code, "name": name, "department": "市住房城乡建设局", "level": "MUNICIPAL"})
	}
	first := e.ok(legal, listItem, listing("X-7", "建筑工程施工许可"))
	before, _ := e.events.LastPosition(t.Context())
	for _, in := range []map[string]any{listing("X-7", "建筑工程施工许可（改）"), listing("X-8", "建筑工程施工许可")} {
		got := e.fails(legal, listItem, in, "CONFLICT", "COMMAND_ID_REUSED")
		if field, _ := got.Extensions["field"].(string); field != "commandId" {
			t.Errorf("field %q, want commandId (%s)", field, got.Message)
		}
		if after, _ := e.events.LastPosition(t.Context()); after != before {
			t.Errorf("the refused command recorded events: position %d → %d", before, after)
		}
	}
	// The code the reuse named is free for a new command.
	e.ok(legal, listItem, input(map[string]any{"code": "X-8", "name": "另一事项", "department": "市住房城乡建设局", "level": "MUNICIPAL"}))
	again := e.ok(legal, listItem, listing("X-7", "建筑工程施工许可"))
	if !equalJSON(first.Data, again.Data) {
		t.Errorf("the replay answered differently:\n first %v\n again %v", first.Data, again.Data)
	}
}
