package importer

import (
	"context"
	"fmt"

	"github.com/catalogue/catalogue/cmd/internal/delegationsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/ledger"
)

// Revocations imports a revocation list (取消事项目录): every row is
// resolved against the items in force on the document's date (by code,
// else by a name only one item has) and every revocation checked as if the
// earlier ones were recorded, before anything is recorded; then the items
// are revoked in file order, each ending its running delegations as the
// domain does. A row's own reason (取消理由, 备注) is recorded with it, else
// the document's. It also returns the plan: the items, in file order.
func Revocations(ctx context.Context, l *ledger.Ledger, rows []delegationsheet.Revocation, cat Catalogue, o Options, progress Progress) (Report, []ItemRef, error) {
	idx := newIndex(cat)
	var entries []entry
	var batch []ledger.PlannedRevocation
	var at []int                 // batch index → entry index
	var plan []ItemRef           // the items revoked, in file order
	named := map[string]string{} // item id → where the file first names it
	for _, r := range rows {
		label := itemLabel(r.ItemCode, r.ItemName)
		item, err := idx.item(r.ItemCode, r.ItemName)
		if err == nil {
			err = once(named, item, r)
		}
		if err != nil {
			entries = append(entries, refusedEntry(r.Sheet, r.Line, label, err))
			continue
		}
		req := ledger.Request{CommandID: commandID("import-revocation", o.Basis, o.Effective.String(), item.ID), By: domain.Actor{Name: o.Actor, Role: domain.RoleLegalOfficer}}
		ch := o.change("按文件批量取消事项")
		if r.Reason != "" {
			ch.Reason = r.Reason
		}
		c := domain.RevokeItem{Change: ch}
		at = append(at, len(entries))
		batch = append(batch, ledger.PlannedRevocation{Req: req, ItemID: item.ID, Command: c})
		itemID := item.ID
		entries = append(entries, entry{sheet: r.Sheet, line: r.Line, code: label, req: req,
			run: func(ctx context.Context) (ledger.Result, error) { return l.RevokeItem(ctx, req, itemID, c) }})
		plan = append(plan, item)
	}
	checks, err := l.CheckRevocations(ctx, batch)
	rep, err := runChecked(ctx, entries, at, checks, err, o.DryRun, progress)
	return rep, plan, err
}

// once refuses a row naming an item an earlier row of the file named (by
// code or by name): a list revokes an item once, and the second row is
// more likely a mistyped other item than a repetition.
func once(named map[string]string, item ItemRef, r delegationsheet.Revocation) error {
	if first, ok := named[item.ID]; ok {
		col := delegationsheet.ColCode
		if r.ItemCode == "" {
			col = delegationsheet.ColName
		}
		return domain.Errorf(domain.CodeInvalid, col, "item %s %s is already named on %s; a list revokes an item once", item.Code, item.Name, first)
	}
	named[item.ID] = sheet.At(r.Sheet, r.Line)
	return nil
}

// String is an item of a revocation plan as the dry run prints it.
func (it ItemRef) String() string { return fmt.Sprintf("%s %s", it.Code, it.Name) }
