package importer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

// city is a city with two districts, a zone and two towns of one district,
// and two items, registered and listed in a fresh ledger.
func city(t *testing.T) (*ledger.Ledger, importer.Catalogue, *memory.Store) {
	t.Helper()
	log := memory.New()
	t.Cleanup(func() { log.Close() })
	l, cat := catalogueIn(t, log, []importer.Body{
		{Line: 2, Code: "370211", Name: "黄岛区", Kind: domain.KindDistrict, Parent: "3702"},
		{Line: 3, Code: "370212", Name: "崂山区", Kind: domain.KindDistrict, Parent: "3702"},
		{Line: 4, Code: "3702Z1", Name: "青岛高新区", Kind: domain.KindZone, Parent: "3702"},
		{Line: 5, Code: "370211001", Name: "薛家岛街道", Kind: domain.KindTownship, Parent: "370211"},
		{Line: 6, Code: "370211002", Name: "辛安街道", Kind: domain.KindTownship, Parent: "370211"},
	}, []itemsheet.Item{
		{Line: 2, Code: "XK01", Name: "甲许可", Authority: "市行政审批局", Level: "市级"},
		{Line: 3, Code: "XK02", Name: "乙许可", Authority: "市行政审批局", Level: "市级"},
	})
	return l, cat, log
}

// catalogueIn registers a province, its city 3702 (the jurisdiction) and
// the bodies under it, lists the items, and returns the ledger and what a
// document is resolved against.
func catalogueIn(tb testing.TB, log eventstore.Store, under []importer.Body, items []itemsheet.Item) (*ledger.Ledger, importer.Catalogue) {
	tb.Helper()
	ctx := context.Background()
	l := ledger.New(log, ledger.WithJurisdiction("3702"))
	o := importer.Options{Basis: "青政发〔2012〕1号", Effective: domain.MustDate("2012-01-01"), Actor: "cli:test", DefaultLevel: domain.LevelMunicipal}
	bodies := append([]importer.Body{
		{Line: 1, Code: "37", Name: "山东省", Kind: domain.KindProvince},
		{Line: 1, Code: "3702", Name: "青岛市", Kind: domain.KindCity, Parent: "37"},
	}, under...)
	_, err := importer.Bodies(ctx, l, bodies, o, nil)
	require.NoError(tb, err)
	_, err = importer.Items(ctx, l, items, o, nil)
	require.NoError(tb, err)
	cat := importer.Catalogue{Jurisdiction: "3702"}
	for _, b := range bodies {
		cat.Bodies = append(cat.Bodies, importer.BodyRef{Code: b.Code, Name: b.Name, Kind: b.Kind, Parent: b.Parent})
	}
	ids := itemIDs(tb, log)
	for _, it := range items {
		cat.Items = append(cat.Items, importer.ItemRef{ID: ids[it.Code], Code: it.Code, Name: it.Name})
	}
	return l, cat
}

// itemIDs finds the ids the ledger gave the items listed, by code.
func itemIDs(tb testing.TB, log eventstore.Store) map[string]string {
	tb.Helper()
	evs, err := log.ReadAll(context.Background(), 0, 100000)
	require.NoError(tb, err)
	ids := map[string]string{}
	for _, e := range evs {
		if e.Type == domain.TypeItemListed {
			var listed struct{ Code string }
			require.NoError(tb, json.Unmarshal(e.Data, &listed))
			ids[listed.Code] = strings.TrimPrefix(e.Stream, domain.ItemStreams.Prefix)
		}
	}
	return ids
}

func rows(t testing.TB, csv string) []delegationsheet.Row {
	t.Helper()
	rs, err := delegationsheet.Read(strings.NewReader(csv))
	require.NoError(t, err)
	return rs
}

func docOptions() importer.Options {
	return importer.Options{Basis: "青政发〔2012〕9号", Effective: domain.MustDate("2012-06-01"), Actor: "cli:test"}
}

// Groups resolve to the registered bodies (a body a cell names twice
// receives once); the plan counts them by body;
// importing the same document again records nothing.
func TestDelegationGroupsResolveAndReimportRecordsNothing(t *testing.T) {
	ctx := context.Background()
	l, cat, log := city(t)
	doc := rows(t, "青岛市下放事项目录\n事项编码,事项名称,承接主体,方式\nXK01,,\"各区市、黄岛区\",下放\n,乙许可,各功能区,赋权\nXK02,,黄岛区所辖镇街,委托\n")
	before := len(events(t, log))

	rep, plan, err := importer.Delegations(ctx, l, doc, cat, withDry(docOptions()), nil)
	require.NoError(t, err)
	require.Equal(t, 5, rep.Total)
	require.Equal(t, []importer.PlanLine{{"370211", "黄岛区", 1}, {"370212", "崂山区", 1}, {"3702Z1", "青岛高新区", 1},
		{"370211001", "薛家岛街道", 1}, {"370211002", "辛安街道", 1}}, plan)
	require.Len(t, events(t, log), before, "a dry run records nothing")

	rep, _, err = importer.Delegations(ctx, l, doc, cat, docOptions(), nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 5, Recorded: 5}, rep)
	n := len(events(t, log))
	require.Equal(t, before+5, n)

	o := docOptions()
	o.Actor = "cli:another"
	rep, _, err = importer.Delegations(ctx, l, doc, cat, o, nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 5, Already: 5}, rep)
	require.Len(t, events(t, log), n, "a re-import records nothing")
}

// One bad row refuses the whole file, naming each row and column; a row
// repeating an earlier row's delegation is refused before anything is
// recorded.
func TestDelegationBadRowRefusesTheFile(t *testing.T) {
	ctx := context.Background()
	l, cat, log := city(t)
	before := len(events(t, log))
	doc := rows(t, "事项编码,事项名称,承接主体,方式\nXK01,,各区市,下放\nXK09,,崂山区,下放\n,丙许可,崂山区,下放\nXK02,,不存在区,下放\nXK02,,不存在区所辖镇街,委托\nXK02,,370212,下放\nXK02,,崂山区,下放\nXK02,,青岛高新区,下放\n")
	_, _, err := importer.Delegations(ctx, l, doc, cat, docOptions(), nil)
	require.True(t, importer.IsRefusal(err), "%v", err)
	msg := err.Error()
	for _, want := range []string{
		"line 3 (XK09): 事项编码: no item XK09", "ITEM_NOT_FOUND",
		"line 4 (丙许可): 事项名称: no item named 丙许可",
		"line 5 (XK02): 承接主体: 不存在区 is neither", "BODY_NOT_FOUND",
		"line 6 (XK02): 承接主体: 不存在区 is neither",
		"line 8 (XK02 → 370212): scope: body 370212 already holds", "DELEGATION_OVERLAP",
		"line 9 (XK02 → 3702Z1): mode:", "MODE_NOT_ALLOWED",
	} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "line 2", "the good rows are not refused")
	require.Len(t, events(t, log), before, "nothing was recorded")
}

// A group needs the jurisdiction it is under.
func TestDelegationGroupNeedsJurisdiction(t *testing.T) {
	l, cat, _ := city(t)
	cat.Jurisdiction = ""
	_, _, err := importer.Delegations(context.Background(), l, rows(t, "事项编码,承接主体,方式\nXK01,各区市,下放\n"), cat, docOptions(), nil)
	require.ErrorContains(t, err, "--jurisdiction")
}

func withDry(o importer.Options) importer.Options {
	o.DryRun = true
	return o
}

func events(t *testing.T, log *memory.Store) []string {
	t.Helper()
	evs, err := log.ReadAll(context.Background(), 0, 100000)
	require.NoError(t, err)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
