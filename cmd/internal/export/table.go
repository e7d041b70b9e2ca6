package export

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// column is one column of an exported list.
type column struct {
	name string
	// perRow marks the cells that differ between the rows of one record
	// (a sub-item's code and name); every other cell belongs to the whole
	// record and is merged down over its rows in XLSX, repeated in CSV.
	perRow bool
	// number marks a column written as a number (序号), so that a
	// spreadsheet sorts it as one.
	number bool
}

// The official column order (序号, 事项名称, 子项名称, 主管部门, 实施机关,
// 设定和实施依据, 备注) with the codes and the level beside it: without them a
// re-import would have to make codes up and guess levels.
var catalogueColumns = []column{
	{name: "序号", number: true}, {name: "事项编码"}, {name: "事项名称"},
	{name: "子项编码", perRow: true}, {name: "子项名称", perRow: true},
	{name: "主管部门"}, {name: "实施机关"}, {name: "设定和实施依据"}, {name: "行使层级"}, {name: "备注"},
}

// A body's powers: what it holds, from whom, how, since when, on what
// basis, and whether it has taken the power over (承接).
var bodyColumns = []column{
	{name: "序号", number: true}, {name: "事项编码"}, {name: "事项名称"},
	{name: "子项编码", perRow: true}, {name: "子项名称", perRow: true},
	{name: "方式"}, {name: "授权主体"}, {name: "生效日期"}, {name: "截止日期"},
	{name: "依据文号"}, {name: "承接情况"}, {name: "状态"},
}

// table is an exported list held in memory: the column widths of an XLSX
// file must be set before its first row is streamed, so every cell is known
// first. A catalogue of thousands of items is a few megabytes.
type table struct {
	title   string
	columns []column
	// groups are the records, each one or more rows (one per sub-item)
	// of len(columns) cells.
	groups [][][]string
	asOf   eventstore.Position
}

func newTable(title string, columns []column) *table {
	return &table{title: title, columns: columns}
}

func (t *table) add(rows [][]string) { t.groups = append(t.groups, rows) }

func (t *table) rows() int {
	n := 0
	for _, g := range t.groups {
		n += len(g)
	}
	return n
}

// withSubItems returns a record's rows: one row when there are no
// sub-items (their cells empty), else one per sub-item, each carrying the
// record's cells.
func withSubItems(cells []string, subCode, subName int, subs []domain.SubItem) [][]string {
	if len(subs) == 0 {
		return [][]string{cells}
	}
	rows := make([][]string, len(subs))
	for i, s := range subs {
		r := append([]string(nil), cells...)
		r[subCode], r[subName] = s.Code, s.Name
		rows[i] = r
	}
	return rows
}

func itemRows(seq int, it projections.Item) [][]string {
	cells := []string{strconv.Itoa(seq), it.Code, it.Name, "", "", it.Department, it.Authority, it.LegalBasis, text(levelTexts, it.Level), ""}
	return withSubItems(cells, 3, 4, it.SubItems)
}

func delegationRows(seq int, d projections.Delegation) [][]string {
	from := d.From
	if from == "" {
		from = "本级人民政府"
	}
	accepted := "待承接"
	if d.Accepted {
		accepted = "已承接（" + d.AcceptedFrom.String() + "起）"
	}
	cells := []string{strconv.Itoa(seq), d.ItemCode, d.ItemName, "", "", text(modeTexts, d.Mode), from,
		d.EffectiveFrom.String(), dateOrEmpty(d.EffectiveUntil), d.Basis, accepted, text(statusTexts, d.Status)}
	return withSubItems(cells, 3, 4, d.Scope)
}

func dateOrEmpty(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// Wording of published lists; domain.ParseLevel reads the levels back.
var (
	levelTexts = map[domain.Level]string{domain.LevelNational: "国家级", domain.LevelProvincial: "省级",
		domain.LevelMunicipal: "市级", domain.LevelCounty: "县级", domain.LevelTownship: "乡镇级"}
	modeTexts   = map[domain.Mode]string{domain.ModeDevolve: "下放", domain.ModeEntrust: "委托", domain.ModeEmpower: "赋权"}
	statusTexts = map[projections.DelegationStatus]string{
		projections.DelegationActive: "有效", projections.DelegationPendingAcceptance: "有效（待承接）",
		projections.DelegationNotYetEffective: "尚未生效", projections.DelegationWithdrawn: "已收回",
		projections.DelegationRevoked: "已取消", projections.DelegationExpired: "已到期",
	}
)

// text returns the wording of a code, or the code itself when it has none
// (a value added to the domain later is still shown, not dropped).
func text[K ~string](words map[K]string, k K) string {
	if s, ok := words[k]; ok {
		return s
	}
	return string(k)
}

// Column widths, in the units of a spreadsheet (the width of a "0").
const (
	minWidth = 6
	maxWidth = 60 // longer text wraps: a legal basis runs to hundreds of characters
)

// widths fits each column to its longest line, counting East Asian wide
// characters double — a column sized by character count would cut Chinese
// text in half — within minWidth and maxWidth.
func (t *table) widths() []float64 {
	w := make([]int, len(t.columns))
	for i, c := range t.columns {
		w[i] = displayWidth(c.name)
	}
	for _, g := range t.groups {
		for _, r := range g {
			for i, cell := range r {
				if w[i] < maxWidth {
					w[i] = max(w[i], displayWidth(cell))
				}
			}
		}
	}
	out := make([]float64, len(w))
	for i, n := range w {
		out[i] = float64(min(max(n+2, minWidth), maxWidth))
	}
	return out
}

// displayWidth is the width of the widest line of s: wide and fullwidth
// characters count 2, and so do ambiguous ones (“”、《》…), which Chinese
// fonts draw full width.
func displayWidth(s string) int {
	widest := 0
	for line := range strings.SplitSeq(s, "\n") {
		n := 0
		if isASCII(line) {
			n = len(line)
		} else {
			for _, r := range line {
				switch width.LookupRune(r).Kind() {
				case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
					n += 2
				default:
					n++
				}
			}
		}
		widest = max(widest, n)
	}
	return widest
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
