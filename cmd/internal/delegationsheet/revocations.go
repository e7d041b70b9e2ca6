package delegationsheet

import (
	"io"
	"strings"

	"github.com/catalogue/catalogue/cmd/internal/itemsheet"
	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// ColReason is a revocation list's optional column giving the reason one
// item is revoked (取消理由); rows without it take the document's reason.
const ColReason = "取消理由"

// revocationAliases are the headers a revocation list (取消事项目录) is
// read by: the item's code or name, and the reason, which officers also
// head 备注 or 取消原因.
var revocationAliases = map[string]string{
	ColCode: ColCode, ColName: ColName, ColReason: ColReason, "取消原因": ColReason, "备注": ColReason,
}

// Revocation is one row of a revocation list: an item to revoke.
type Revocation struct {
	Sheet    string
	Line     int
	ItemCode string // 事项编码, or ""
	ItemName string // 事项名称, or ""
	Reason   string // 取消理由 or 备注, or ""
}

// ReadRevocations reads every row of a revocation list (取消事项目录). Its
// header is the first row naming 事项编码 or 事项名称; a row naming neither
// is refused by row and column, with every other problem of the file.
func ReadRevocations(r io.Reader) ([]Revocation, error) {
	return read(r, layout[Revocation]{
		source: "revocations", what: "revocation", aliases: revocationAliases,
		known: strings.Join([]string{ColCode, ColName, ColReason + " (备注)"}, ", "),
		header: func(cols map[string]int) bool {
			_, code := cols[ColCode]
			_, name := cols[ColName]
			return code || name
		},
		headerNames: ColCode + " or " + ColName,
		parse:       parseRevocation,
	})
}

func parseRevocation(rec itemsheet.Row, cols map[string]int, ps *sheet.Problems) (Revocation, bool) {
	row := Revocation{Sheet: rec.Sheet, Line: rec.Line, ItemCode: cell(rec, cols, ColCode), ItemName: cell(rec, cols, ColName), Reason: cell(rec, cols, ColReason)}
	if row.ItemCode == "" && row.ItemName == "" {
		ps.AddIn(rec.Sheet, rec.Line, ColName, "%s and %s are both empty: which item is revoked?", ColCode, ColName)
		return row, false
	}
	return row, true
}
