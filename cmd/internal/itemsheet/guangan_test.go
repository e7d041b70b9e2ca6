package itemsheet

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata/guangan-items.csv is a copy of /work/shared/data/guangan-items.csv
// (public portal data of 广安市广安区, Sichuan), kept here so the test does not
// depend on a path outside the module.
func parseGuangan(t *testing.T) []Item {
	t.Helper()
	f, err := os.Open("testdata/guangan-items.csv")
	require.NoError(t, err)
	defer f.Close()
	items, err := Parse(f)
	require.NoError(t, err)
	return items
}

func TestGuanganCounts(t *testing.T) {
	items := parseGuangan(t)
	require.Len(t, items, 250)

	rows, withSubs, subRows, fallback := 0, 0, 0, 0
	names := map[string]bool{}
	for _, it := range items {
		names[it.Name] = true
		rows += max(1, len(it.SubItems))
		if len(it.SubItems) > 0 {
			withSubs++
			subRows += len(it.SubItems)
			if strings.HasSuffix(it.Code, "-00") {
				fallback++
			}
		}
		// The portal gives neither department nor legal basis.
		require.Empty(t, it.Department, "line %d", it.Line)
		require.Empty(t, it.LegalBasis, "line %d", it.Line)
		require.Equal(t, "县级(区)", it.Level, "line %d", it.Line)
		require.Empty(t, it.Note)
		require.NotEmpty(t, it.Authority)
	}
	require.Equal(t, 536, rows, "every data row is consumed exactly once")
	require.Len(t, names, 248)
	require.Equal(t, 84, withSubs)
	require.Equal(t, 370, subRows, "the README says 370 rows carry a sub-item name")
	require.Equal(t, 33, fallback, "items whose sub-item codes share no usable prefix")
}

func TestGuanganCodesUnique(t *testing.T) {
	items := parseGuangan(t)
	owner := map[string]string{} // code → who holds it
	for _, it := range items {
		require.NotEmpty(t, it.Code)
		require.NotContains(t, owner, it.Code, "item code of line %d", it.Line)
		owner[it.Code] = it.Name
		for _, s := range it.SubItems {
			require.NotEmpty(t, s.Code)
			require.NotContains(t, owner, s.Code, "sub-item code of line %d", s.Line)
			owner[s.Code] = s.Name
		}
	}
	require.Len(t, owner, 250+370)
}

func TestGuanganSpotChecks(t *testing.T) {
	items := parseGuangan(t)
	byLine := map[int]Item{}
	for _, it := range items {
		byLine[it.Line] = it
	}

	first := items[0]
	require.Equal(t, Item{Line: 2, Code: "511A0138000000",
		Name:      "适龄儿童、少年因身体状况需要延缓入学或者休学审批",
		Authority: "区教科体局", Level: "县级(区)"}, first)

	// Sub-items whose codes share a long prefix: the prefix is the item code.
	it := byLine[25]
	require.Equal(t, "基层法律服务工作者执业、变更、注销许可", it.Name)
	require.Equal(t, "511A008100000", it.Code)
	require.Equal(t, []string{"511A0081000003", "511A0081000002", "511A0081000005"}, codesOf(it.SubItems))
	require.Equal(t, []int{25, 26, 27}, linesOf(it.SubItems))

	// One name, two authorities: two items. Both would derive the prefix
	// 511A1400300, so neither takes it.
	var labour []Item
	for _, it := range items {
		if it.Name == "劳务派遣经营许可" {
			labour = append(labour, it)
		}
	}
	require.Len(t, labour, 2)
	require.Equal(t, "区人社局", labour[0].Authority)
	require.Equal(t, "511A14003003-00", labour[0].Code)
	require.Equal(t, "区行政审批局", labour[1].Authority)
	require.Equal(t, "511A14003002-00", labour[1].Code)

	// 35 sub-items regrouped from several base items: only "511A" is
	// common, so the smallest code + "-00".
	it = byLine[284]
	require.Equal(t, "企业设立、变更、注销登记", it.Name)
	require.Len(t, it.SubItems, 35)
	require.Equal(t, "511A0064100052-00", it.Code)

	// The same sub-item name under two codes is two sub-items, not a
	// duplicate row.
	it = byLine[347]
	require.Equal(t, "设置大型户外广告及在城市建筑物、设施上悬挂、张贴宣传品审批", it.Name)
	require.Equal(t, []SubItem{
		{Line: 347, Code: "511A17033003", Name: "城市建筑物、设施上张挂、张贴宣传品审批"},
		{Line: 348, Code: "511A0188100004", Name: "城市建筑物、设施上张挂、张贴宣传品审批"},
		{Line: 349, Code: "511A0188100003", Name: "设置大型户外广告的审批"},
	}, it.SubItems)
	require.Equal(t, "511A0188100003-00", it.Code)

	// Chinese punctuation survives byte for byte.
	names := map[string]bool{}
	for _, it := range items {
		names[it.Name] = true
	}
	for _, n := range []string{
		"文艺表演团体《营业性演出许可证》登记",
		"医疗机构执业登记（人体器官移植除外）",
		"拖拉机/联合收割机驾驶证核发",
		"食品（含保健食品）经营许可",
	} {
		require.True(t, names[n], n)
	}
}

func codesOf(subs []SubItem) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.Code)
	}
	return out
}

func linesOf(subs []SubItem) []int {
	var out []int
	for _, s := range subs {
		out = append(out, s.Line)
	}
	return out
}
