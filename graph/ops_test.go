package graph_test

// The operations the tests send, written as a client would.
const (
	registerBody = `mutation($input: RegisterBodyInput!) {
  registerBody(input: $input) { revision position body { code name kind parent registeredFrom } }
}`
	listItem = `mutation($input: ListItemInput!) {
  listItem(input: $input) {
    itemId revision position
    item { id code name department authority level status listedFrom revision subItems { code name } }
  }
}`
	amendItem = `mutation($input: AmendItemInput!) {
  amendItem(input: $input) { itemId revision position item { name revision } }
}`
	revokeItem = `mutation($input: RevokeItemInput!) {
  revokeItem(input: $input) { itemId revision position item { status revokedFrom delegations { id status revokedFrom } } }
}`
	delegateItem = `mutation($input: DelegateItemInput!) {
  delegateItem(input: $input) {
    delegationId itemId revision position
    delegation { id itemCode from to toName mode status effectiveFrom accepted scope { code name } }
  }
}`
	acceptDelegation = `mutation($input: AcceptDelegationInput!) {
  acceptDelegation(input: $input) { delegationId revision position delegation { id accepted acceptedFrom status } }
}`
	withdrawDelegation = `mutation($input: WithdrawDelegationInput!) {
  withdrawDelegation(input: $input) { delegationId revision position delegation { id status withdrawnFrom } }
}`
	publishEdition = `mutation($input: PublishEditionInput!) {
  publishEdition(input: $input) { revision position edition { name effectiveFrom itemCount actor items { totalCount nodes { code } } } }
}`
)

// fixture is a small catalogue: 山东省 › 青岛市 › 市南区 (with a town) and
// 市北区, a zone, and one item with two sub-items.
type fixture struct {
	itemID   string
	revision int
	position string
}

func (e *env) fixture() fixture {
	e.t.Helper()
	for _, b := range []map[string]any{
		{"code": "370000", "name": "山东省", "kind": "PROVINCE"},
		{"code": "370200", "name": "青岛市", "kind": "CITY", "parent": "370000"},
		{"code": "370202", "name": "市南区", "kind": "DISTRICT", "parent": "370200"},
		{"code": "370203", "name": "市北区", "kind": "DISTRICT", "parent": "370200"},
		{"code": "370202001", "name": "八大关街道", "kind": "TOWNSHIP", "parent": "370202"},
		{"code": "370299", "name": "青岛高新区", "kind": "ZONE", "parent": "370200"},
	} {
		b["basis"], b["effectiveFrom"] = "国家统计局统计用区划代码", "2022-10-31"
		e.ok(legal, registerBody, input(b))
	}
	res := e.ok(legal, listItem, input(map[string]any{
		"code": "370200-XK-001", "name": "林木采伐许可证核发", "department": "市自然资源和规划局",
		"authority": "市自然资源和规划局", "legalBasis": "《中华人民共和国森林法》第五十六条", "level": "MUNICIPAL",
		"subItems": []map[string]any{{"code": "370200-XK-001-01", "name": "林木采伐许可证核发（新办）"}, {"code": "370200-XK-001-02", "name": "林木采伐许可证核发（变更）"}},
	}))
	return fixture{itemID: res.str("listItem.itemId"), revision: int(res.get("listItem.revision").(float64)), position: res.str("listItem.position")}
}

// delegate delegates the fixture item to a body and returns the delegation id.
func (e *env) delegate(user, itemID, from, to, mode string, extra map[string]any) string {
	e.t.Helper()
	in := map[string]any{"itemId": itemID, "to": to, "mode": mode, "effectiveFrom": "2024-02-01"}
	if from != "" {
		in["from"] = from
		in["effectiveFrom"] = "2024-03-01"
	}
	for k, v := range extra {
		in[k] = v
	}
	return e.ok(user, delegateItem, input(in)).str("delegateItem.delegationId")
}
