package graph_test

import (
	"testing"
)

const catalogueDiff = `query($from: CataloguePoint!, $to: CataloguePoint!) {
  catalogueDiff(from: $from, to: $to) {
    from { edition { name } inForceOn asOf }
    to { edition { name } inForceOn asOf }
    added { code name status }
    removed { code }
    amended { fields before { code name } after { name status } }
    addedCount removedCount amendedCount
  }
}`

// TestCatalogueDiff compares the catalogue between two dates and between
// an edition and a date, and refuses a point that is neither or both.
func TestCatalogueDiff(t *testing.T) {
	e := newEnv(t)
	f := e.fixture() // 370200-XK-001 listed from 2024-01-01
	e.ok(legal, publishEdition, input(map[string]any{"name": "2024年版", "effectiveFrom": "2024-02-01"}))
	e.ok(legal, amendItem, input(map[string]any{"itemId": f.itemID, "expectedRevision": f.revision,
		"name": "林木采伐许可证核发（含更新采伐）", "effectiveFrom": "2024-05-01"}))
	e.ok(legal, listItem, input(map[string]any{"code": "370200-XK-002", "name": "草原征占用审核", "department": "市农业农村局",
		"authority": "市农业农村局", "level": "MUNICIPAL", "effectiveFrom": "2024-06-01"}))

	check := func(user string, from, to map[string]any, wantFrom map[string]any) {
		t.Helper()
		res := e.ok(user, catalogueDiff, map[string]any{"from": from, "to": to})
		d := "catalogueDiff."
		if res.str(d+"added.0.code") != "370200-XK-002" || res.str(d+"added.0.name") != "草原征占用审核" || len(res.list(d+"added")) != 1 ||
			len(res.list(d+"removed")) != 0 || len(res.list(d+"amended")) != 1 ||
			res.str(d+"amended.0.fields.0") != "name" || len(res.list(d+"amended.0.fields")) != 1 ||
			res.str(d+"amended.0.before.name") != "林木采伐许可证核发" || res.str(d+"amended.0.after.name") != "林木采伐许可证核发（含更新采伐）" ||
			res.get(d+"addedCount") != float64(1) || res.get(d+"removedCount") != float64(0) || res.get(d+"amendedCount") != float64(1) {
			t.Errorf("catalogueDiff(%v, %v): %v", from, to, res.Data)
		}
		for k, v := range wantFrom {
			if got := res.get(d + "from." + k); got != v {
				t.Errorf("catalogueDiff(%v, %v): from.%s = %v, want %v", from, to, k, got, v)
			}
		}
		if res.str(d+"to.inForceOn") != "2024-06-15" || res.get(d+"to.edition") != nil || res.str(d+"to.asOf") == "" {
			t.Errorf("catalogueDiff(%v, %v): to %v", from, to, res.get(d+"to"))
		}
	}
	later := map[string]any{"inForceOn": "2024-06-15"}
	// Two dates, read by anyone who reads the catalogue.
	for _, user := range []string{anon, shinan, auditor, legal} {
		check(user, map[string]any{"inForceOn": "2024-03-01"}, later, map[string]any{"inForceOn": "2024-03-01", "edition": nil})
	}
	// An edition and a date: the edition is read on its own date.
	check(legal, map[string]any{"edition": "2024年版"}, later, map[string]any{"inForceOn": "2024-02-01", "edition.name": "2024年版"})

	// The other way round, the same changes reversed.
	back := e.ok(legal, catalogueDiff, map[string]any{"from": later, "to": map[string]any{"edition": "2024年版"}})
	if back.str("catalogueDiff.removed.0.code") != "370200-XK-002" || back.get("catalogueDiff.addedCount") != float64(0) ||
		back.str("catalogueDiff.amended.0.after.name") != "林木采伐许可证核发" {
		t.Errorf("reversed: %v", back.Data)
	}

	for _, tc := range []struct {
		from, to map[string]any
		field    string
	}{
		{map[string]any{"edition": "2024年版", "inForceOn": "2024-03-01"}, later, "from"},
		{later, map[string]any{}, "to"},
		{later, map[string]any{"asOf": "1"}, "to"},
	} {
		err := e.fails(legal, catalogueDiff, map[string]any{"from": tc.from, "to": tc.to}, "BAD_USER_INPUT", "")
		if err.Extensions["field"] != tc.field {
			t.Errorf("catalogueDiff(%v, %v): field %v, want %s", tc.from, tc.to, err.Extensions["field"], tc.field)
		}
	}
	e.fails(legal, catalogueDiff, map[string]any{"from": map[string]any{"edition": "1999年版"}, "to": later}, "NOT_FOUND", "EDITION_NOT_FOUND")
}
