package importer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/importer"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore/memory"
	"github.com/catalogue/catalogue/ledger"
)

func revocationRows(t testing.TB, csv string) []delegationsheet.Revocation {
	t.Helper()
	rs, err := delegationsheet.ReadRevocations(strings.NewReader(csv))
	require.NoError(t, err)
	return rs
}

func revokeOptions() importer.Options {
	return importer.Options{Basis: "青政发〔2013〕2号", Effective: domain.MustDate("2013-01-01"), Actor: "cli:test", Reason: "清理规范行政许可事项"}
}

// revoked returns the ItemRevoked events of the log, by item code.
func revoked(t *testing.T, log *memory.Store) map[string]domain.ItemRevoked {
	t.Helper()
	evs, err := log.ReadAll(context.Background(), 0, 100000)
	require.NoError(t, err)
	out := map[string]domain.ItemRevoked{}
	for _, e := range evs {
		if e.Type == domain.TypeItemRevoked {
			var r domain.ItemRevoked
			require.NoError(t, json.Unmarshal(e.Data, &r))
			out[r.Code] = r
		}
	}
	return out
}

// The dry run plans the items and records nothing; the import revokes each
// item with its row's reason (else the document's), ending its running
// delegations; importing the list again records nothing.
func TestRevocationsRevokeEachItemAndReimportRecordsNothing(t *testing.T) {
	ctx := context.Background()
	l, cat, log := city(t)
	_, _, err := importer.Delegations(ctx, l, rows(t, "事项编码,承接主体,方式\nXK01,黄岛区,下放\n"), cat, docOptions(), nil)
	require.NoError(t, err)
	list := revocationRows(t, "青岛市取消行政许可事项目录\n事项编码,事项名称,取消理由\nXK01,,上位法已取消\n,乙许可,\n")
	before := len(events(t, log))

	rep, plan, err := importer.Revocations(ctx, l, list, cat, withDry(revokeOptions()), nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 2}, rep)
	require.Equal(t, []string{"XK01 甲许可", "XK02 乙许可"}, []string{plan[0].String(), plan[1].String()})
	require.Len(t, events(t, log), before, "a dry run records nothing")

	rep, _, err = importer.Revocations(ctx, l, list, cat, revokeOptions(), nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 2, Recorded: 2}, rep)
	got := revoked(t, log)
	require.Len(t, got, 2)
	require.Equal(t, "上位法已取消", got["XK01"].Reason, "the row's reason")
	require.Equal(t, "清理规范行政许可事项", got["XK02"].Reason, "the document's reason")
	require.Equal(t, "青政发〔2013〕2号", got["XK02"].Basis)
	require.Equal(t, domain.MustDate("2013-01-01"), got["XK02"].EffectiveFrom)
	require.Len(t, got["XK01"].Ended, 1, "the item's running delegation ends with it")
	require.Empty(t, got["XK02"].Ended)
	n := len(events(t, log))

	o := revokeOptions()
	o.Actor, o.Reason = "cli:another", "另一理由"
	rep, _, err = importer.Revocations(ctx, l, list, cat, o, nil)
	require.NoError(t, err)
	require.Equal(t, importer.Report{Total: 2, Already: 2}, rep)
	require.Len(t, events(t, log), n, "a re-import records nothing")
}

// One bad row refuses the whole list, naming each row and column: an item
// not in force, an item named twice (by code, then by name), an item
// revoked already, and a date before the item's listing.
func TestRevocationsBadRowRefusesTheFile(t *testing.T) {
	ctx := context.Background()
	l, cat, log := city(t)
	_, err := l.RevokeItem(ctx, ledger.Request{CommandID: "earlier", By: domain.Actor{Name: "t", Role: domain.RoleLegalOfficer}},
		cat.Items[1].ID, domain.RevokeItem{Change: domain.Change{Basis: "青政发〔2012〕5号", Reason: "早已取消", EffectiveFrom: domain.MustDate("2012-03-01")}})
	require.NoError(t, err)
	before := len(events(t, log))
	list := revocationRows(t, "事项编码,事项名称\nXK01,\nXK09,\n,丙许可\n,甲许可\nXK02,\n")
	_, _, err = importer.Revocations(ctx, l, list, cat, revokeOptions(), nil)
	require.True(t, importer.IsRefusal(err), "%v", err)
	msg := err.Error()
	for _, want := range []string{
		"line 3 (XK09): 事项编码: no item XK09 is in force", "ITEM_NOT_FOUND",
		"line 4 (丙许可): 事项名称: no item named 丙许可",
		"line 5 (甲许可): 事项名称: item XK01 甲许可 is already named on line 2", "INVALID_INPUT",
		"line 6 (XK02):", "ITEM_REVOKED",
	} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "line 2 ", "the good row is not refused")
	require.Len(t, events(t, log), before, "nothing was recorded")

	o := revokeOptions()
	o.Effective = domain.MustDate("2011-06-01")
	_, _, err = importer.Revocations(ctx, l, revocationRows(t, "事项编码\nXK01\n"), cat, o, nil)
	require.ErrorContains(t, err, "line 2 (XK01): effectiveFrom: the item is listed from 2012-01-01")
	require.Len(t, events(t, log), before, "nothing was recorded")
}
