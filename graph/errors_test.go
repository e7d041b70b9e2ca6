package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return reflect.DeepEqual(ja, jb)
}

// TestRuleErrorCodes: every rule a mutation can break answers with its API
// code, the rule's own code and a message that names the field.
func TestRuleErrorCodes(t *testing.T) {
	e := newEnv(t)
	f := e.fixture()
	other := e.ok(legal, listItem, input(map[string]any{"code": "370200-XK-002", "name": "取水许可", "department": "市水务管理局", "level": "MUNICIPAL",
		"subItems": []map[string]any{{"code": "370200-XK-002-01", "name": "取水许可（新办）"}}})).str("listItem.itemId")
	gone := e.ok(legal, listItem, input(map[string]any{"code": "370200-XK-009", "name": "已取消事项", "department": "市发展改革委", "level": "MUNICIPAL"})).str("listItem.itemId")
	e.ok(legal, revokeItem, input(map[string]any{"itemId": gone, "effectiveFrom": "2024-03-01"}))
	toShinan := e.delegate(legal, f.itemID, "", "370202", "ENTRUST", map[string]any{"scope": []string{"370200-XK-001-02"}})
	accepted := e.delegate(legal, other, "", "370203", "DEVOLVE", nil)
	e.ok(legal, acceptDelegation, input(map[string]any{"itemId": other, "delegationId": accepted, "effectiveFrom": "2024-02-10"}))
	withdrawn := e.delegate(legal, f.itemID, "", "370203", "DEVOLVE", map[string]any{"scope": []string{"370200-XK-001-01"}})
	e.ok(legal, withdrawDelegation, input(map[string]any{"itemId": f.itemID, "delegationId": withdrawn, "effectiveFrom": "2024-03-01"}))
	e.ok(legal, publishEdition, input(map[string]any{"name": "2024年版"}))

	for _, tc := range []struct {
		name, op   string
		in         map[string]any
		code, rule string
		field      string
	}{
		{"basis required", listItem, map[string]any{"code": "N-1", "name": "x", "department": "d", "level": "COUNTY", "basis": " "}, "BAD_USER_INPUT", "INVALID_INPUT", "basis"},
		{"department or authority", listItem, map[string]any{"code": "N-2", "name": "x", "level": "COUNTY"}, "BAD_USER_INPUT", "INVALID_INPUT", "authority"},
		{"code taken", listItem, map[string]any{"code": "370200-XK-001", "name": "重复", "department": "d", "level": "COUNTY"}, "CONFLICT", "CODE_TAKEN", "code"},
		{"sub-item code twice", listItem, map[string]any{"code": "N-3", "name": "x", "department": "d", "level": "COUNTY",
			"subItems": []map[string]any{{"code": "S", "name": "a"}, {"code": "S", "name": "b"}}}, "BAD_USER_INPUT", "INVALID_INPUT", "subItems.code"},
		{"unknown item", amendItem, map[string]any{"itemId": "00000000-0000-0000-0000-000000000000", "name": "x"}, "NOT_FOUND", "ITEM_NOT_FOUND", "itemId"},
		{"amend revoked", amendItem, map[string]any{"itemId": gone, "name": "x"}, "BAD_USER_INPUT", "ITEM_REVOKED", ""},
		{"no change", amendItem, map[string]any{"itemId": f.itemID, "name": "林木采伐许可证核发"}, "BAD_USER_INPUT", "NO_CHANGE", ""},
		{"remove delegated sub-item", amendItem, map[string]any{"itemId": f.itemID,
			"subItems": []map[string]any{{"code": "370200-XK-001-01", "name": "新办"}}}, "BAD_USER_INPUT", "SUB_ITEM_DELEGATED", "subItems"},
		{"stale revision", amendItem, map[string]any{"itemId": f.itemID, "expectedRevision": 0, "name": "y"}, "CONFLICT", "WRONG_EXPECTED_REVISION", "expectedRevision"},
		{"revoke before listing", revokeItem, map[string]any{"itemId": f.itemID, "effectiveFrom": "2023-01-01"}, "BAD_USER_INPUT", "EFFECTIVE_DATE", "effectiveFrom"},
		{"delegate revoked", delegateItem, map[string]any{"itemId": gone, "to": "370202", "mode": "DEVOLVE"}, "BAD_USER_INPUT", "ITEM_REVOKED", ""},
		{"unknown body", delegateItem, map[string]any{"itemId": f.itemID, "to": "999999", "mode": "DEVOLVE"}, "NOT_FOUND", "BODY_NOT_FOUND", "to"},
		{"unknown sub-item", delegateItem, map[string]any{"itemId": f.itemID, "to": "370202", "mode": "DEVOLVE", "scope": []string{"NOPE"}}, "BAD_USER_INPUT", "SUB_ITEM_UNKNOWN", "scope"},
		{"empower a district", delegateItem, map[string]any{"itemId": other, "to": "370202", "mode": "EMPOWER"}, "BAD_USER_INPUT", "MODE_NOT_ALLOWED", "mode"},
		{"devolve to a zone", delegateItem, map[string]any{"itemId": other, "to": "370299", "mode": "DEVOLVE"}, "BAD_USER_INPUT", "MODE_NOT_ALLOWED", "mode"},
		{"outside jurisdiction", delegateItem, map[string]any{"itemId": other, "to": "370000", "mode": "DEVOLVE"}, "BAD_USER_INPUT", "OUTSIDE_JURISDICTION", "to"},
		{"overlap", delegateItem, map[string]any{"itemId": other, "to": "370203", "mode": "DEVOLVE", "effectiveFrom": "2024-04-01"}, "CONFLICT", "DELEGATION_OVERLAP", "scope"},
		{"ends before it begins", delegateItem, map[string]any{"itemId": other, "to": "370202", "mode": "DEVOLVE", "effectiveUntil": "2023-12-31"}, "BAD_USER_INPUT", "EFFECTIVE_DATE", "effectiveUntil"},
		{"town not under delegator", delegateItem, map[string]any{"itemId": other, "from": "370203", "to": "370202001", "mode": "DEVOLVE", "effectiveFrom": "2024-03-01"}, "BAD_USER_INPUT", "BODY_HIERARCHY", "to"},
		{"delegator lacks power", delegateItem, map[string]any{"itemId": other, "from": "370202", "to": "370202001", "mode": "DEVOLVE", "effectiveFrom": "2024-03-01"}, "BAD_USER_INPUT", "DELEGATOR_LACKS_POWER", "from"},
		{"entrusted cannot pass on", delegateItem, map[string]any{"itemId": f.itemID, "from": "370202", "to": "370202001", "mode": "DEVOLVE",
			"scope": []string{"370200-XK-001-02"}, "effectiveFrom": "2024-03-01"}, "BAD_USER_INPUT", "MODE_NOT_ALLOWED", "from"},
		{"unknown delegation", acceptDelegation, map[string]any{"itemId": f.itemID, "delegationId": "nope", "body": "370202"}, "NOT_FOUND", "DELEGATION_NOT_FOUND", "delegationId"},
		{"wrong body", acceptDelegation, map[string]any{"itemId": f.itemID, "delegationId": toShinan, "body": "370203"}, "BAD_USER_INPUT", "WRONG_BODY", "body"},
		{"accepted twice", acceptDelegation, map[string]any{"itemId": other, "delegationId": accepted}, "CONFLICT", "ALREADY_ACCEPTED", "delegationId"},
		{"accept withdrawn", acceptDelegation, map[string]any{"itemId": f.itemID, "delegationId": withdrawn, "body": "370203"}, "BAD_USER_INPUT", "DELEGATION_NOT_ACTIVE", "delegationId"},
		{"withdraw twice", withdrawDelegation, map[string]any{"itemId": f.itemID, "delegationId": withdrawn}, "BAD_USER_INPUT", "DELEGATION_NOT_ACTIVE", "delegationId"},
		{"withdraw before it began", withdrawDelegation, map[string]any{"itemId": f.itemID, "delegationId": toShinan, "effectiveFrom": "2024-01-15"}, "BAD_USER_INPUT", "EFFECTIVE_DATE", "effectiveFrom"},
		{"body exists", registerBody, map[string]any{"code": "370202", "name": "市南区", "kind": "DISTRICT", "parent": "370200"}, "CONFLICT", "BODY_EXISTS", "code"},
		{"unknown parent", registerBody, map[string]any{"code": "370214", "name": "城阳区", "kind": "DISTRICT", "parent": "379999"}, "NOT_FOUND", "BODY_NOT_FOUND", "parent"},
		{"town under a city", registerBody, map[string]any{"code": "370200100", "name": "某镇", "kind": "TOWNSHIP", "parent": "370200"}, "BAD_USER_INPUT", "BODY_HIERARCHY", "parent"},
		{"edition exists", publishEdition, map[string]any{"name": "2024年版"}, "CONFLICT", "EDITION_EXISTS", "name"},
		{"command id required", publishEdition, map[string]any{"name": "2025年版", "commandId": ""}, "BAD_USER_INPUT", "INVALID_INPUT", "commandId"},
		{"negative revision", amendItem, map[string]any{"itemId": f.itemID, "expectedRevision": -1, "name": "y"}, "BAD_USER_INPUT", "INVALID_INPUT", "expectedRevision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.fails(legal, tc.op, input(tc.in), tc.code, tc.rule)
			if field, _ := got.Extensions["field"].(string); field != tc.field {
				t.Errorf("field %q, want %q (%s)", field, tc.field, got.Message)
			}
			if tc.field != "" && !strings.Contains(got.Message, tc.field) || !strings.Contains(got.Message, tc.rule) {
				t.Errorf("the message %q does not name the field %q and the rule %s", got.Message, tc.field, tc.rule)
			}
		})
	}

	t.Run("conflict carries the current revision", func(t *testing.T) {
		got := e.fails(legal, amendItem, input(map[string]any{"itemId": f.itemID, "expectedRevision": 0, "name": "y"}), "CONFLICT", "WRONG_EXPECTED_REVISION")
		item := e.ok(legal, `query($id: ID!) { item(id: $id) { revision } }`, map[string]any{"id": f.itemID})
		if got.Extensions["currentRevision"] != item.get("item.revision") || got.Extensions["expectedRevision"] != float64(0) {
			t.Errorf("extensions %v, item revision %v", got.Extensions, item.get("item.revision"))
		}
	})
	t.Run("a malformed date names the argument", func(t *testing.T) {
		res := e.do(legal, `{ catalogue(inForceOn: "2024-13-01") { totalCount } }`, nil)
		if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "2024-13-01") {
			t.Errorf("%+v", res.Errors)
		}
	})
	t.Run("queries", func(t *testing.T) {
		e.fails(anon, `{ item(code: "NOPE") { id } }`, nil, "NOT_FOUND", "ITEM_NOT_FOUND")
		e.fails(anon, `{ body(code: "NOPE") { code } }`, nil, "NOT_FOUND", "BODY_NOT_FOUND")
		e.fails(anon, `{ edition(name: "1999年版") { name } }`, nil, "NOT_FOUND", "EDITION_NOT_FOUND")
		e.fails(anon, `{ item { id } }`, nil, "BAD_USER_INPUT", "INVALID_INPUT")
		e.fails(anon, `{ catalogue(first: 501) { totalCount } }`, nil, "BAD_USER_INPUT", "INVALID_INPUT")
		e.fails(anon, `{ catalogue(after: "bogus") { totalCount } }`, nil, "BAD_USER_INPUT", "INVALID_INPUT")
	})
}

// TestClientWentAway: a request the client abandons (it closes the
// connection while the server waits for the read models) is logged at
// INFO as "client went away", not at ERROR as an internal error.
func TestClientWentAway(t *testing.T) {
	e := newEnv(t, projectorStopped)
	res := e.ok(legal, `mutation($input: RegisterBodyInput!) { registerBody(input: $input) { position } }`,
		input(map[string]any{"code": "370000", "name": "山东省", "kind": "PROVINCE"}))
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	body := fmt.Sprintf(`{"query":"{ catalogue(waitFor: \"%s\") { totalCount } }"}`, res.str("registerBody.position"))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %s before the client left", resp.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.logs.String(), "client went away") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "level=INFO msg=\"graphql: client went away\"") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("want the abandoned request logged at INFO as the client going away, not at ERROR:\n%s", logs)
	}
}
