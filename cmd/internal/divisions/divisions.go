// Package divisions reads a list of administrative divisions and functional
// zones (`code,name,parent_code`, UTF-8 CSV) — the bodies that can receive a
// delegated licensing power — and checks that it forms a tree.
//
// Codes are GB/T 2260 six-digit codes for provinces, cities and counties,
// and the National Bureau of Statistics' nine-digit codes (统计用区划代码) for
// towns, subdistricts and the zones placed among them. The kind of each body
// is derived from its code and name rather than read from the file, so a
// list exported from either source needs no extra column.
//
// The package is pure: it reads an io.Reader and nothing else.
package divisions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/catalogue/catalogue/cmd/internal/sheet"
)

// Kind is what kind of body a division is. The values are those of
// domain.BodyKind, so a Kind converts to it directly.
type Kind string

// Kinds, named as in the domain model.
const (
	PROVINCE Kind = "PROVINCE"
	CITY     Kind = "CITY"
	DISTRICT Kind = "DISTRICT" // county level: 区, 县, 县级市
	ZONE     Kind = "ZONE"     // functional zone: not a division, but it can be empowered (赋权)
	TOWNSHIP Kind = "TOWNSHIP" // 乡, 镇, 街道
)

// Division is one row of the file.
type Division struct {
	Line       int // 1-based line in the file (header is line 1)
	Code       string
	Name       string
	ParentCode string // "" for a root
	Kind       Kind
}

// ZoneSuffixes are the name endings that mark a functional zone (开发区,
// 高新区 …) among township-level units. The statistical code list files such
// zones under a county next to its towns (e.g. 370214400 青岛高新技术产业开发区
// under 城阳区), and only the name tells them apart.
var ZoneSuffixes = []string{"开发区", "高新区", "新区", "功能区", "保税区", "园区", "保护区", "经济区", "度假区"}

// KindOf derives a body's kind from its code and name:
//
//   - six digits (GB/T 2260): xx0000 is a province, xxyy00 a city (地级),
//     anything else a county-level district;
//   - nine or more digits (statistical code): a township, or a zone if its
//     name ends in one of ZoneSuffixes.
//
// A six-digit code is never a zone, whatever its name: GB/T 2260 lists only
// administrative divisions, and some of them are called 新区 (上海市浦东新区
// 310115, 天津市滨海新区 120116) while being ordinary county-level districts.
// A name is judged by its end only, so 浮山新区街道 is a subdistrict.
func KindOf(code, name string) (Kind, error) {
	if code == "" || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return "", fmt.Errorf("code %q is not made of digits", code)
	}
	switch n := len(code); {
	case n == 6 && code[2:] == "0000":
		return PROVINCE, nil
	case n == 6 && code[4:] == "00":
		return CITY, nil
	case n == 6:
		return DISTRICT, nil
	case n >= 9:
		for _, s := range ZoneSuffixes {
			if strings.HasSuffix(name, s) {
				return ZONE, nil
			}
		}
		return TOWNSHIP, nil
	}
	return "", fmt.Errorf("code %s has %d digits; expected 6 (GB/T 2260) or at least 9 (statistical township code)", code, len(code))
}

// Parse reads the file, checks it, and returns its divisions ordered so that
// every parent comes before its children: registering them in that order
// never names a parent that is not registered yet. The order is otherwise
// the file's (a file already in that order comes back unchanged), and a
// parent listed after its children is moved to just before the first of
// them.
//
// Checked: the header (code, name, parent_code by name, any order, extra
// columns ignored), field counts, codes (digits, 6 or 9+ long, unique),
// names (not empty), parents (in the file, or empty for a root), and that
// no chain of parents loops. All problems are collected into one
// *SheetError; on error no divisions are returned.
func Parse(r io.Reader) ([]Division, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("divisions: reading the file: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\uFEFF"))
	ps := problems{Source: "divisions"}
	if !utf8.Valid(raw) {
		line := 1 + bytes.Count(raw[:validPrefix(raw)], []byte{'\n'})
		ps.Add(line, "", "the file is not valid UTF-8")
		return nil, ps.Err()
	}

	cr, rec, err := ps.ReadHeader(raw)
	if err != nil {
		return nil, err
	}
	h, ok := parseHeader(rec, &ps)
	if !ok {
		return nil, ps.Err()
	}

	var divs []Division
	byCode := map[string]int{}    // code → index in divs
	rejected := map[string]bool{} // codes of rows with problems
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !ps.AddCSVProblem(err) {
				return nil, fmt.Errorf("divisions: %w", err)
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if sheet.IsBlank(rec) {
			continue
		}
		if len(rec) != h.width {
			ps.Add(line, "", "the row has %d fields but the header has %d", len(rec), h.width)
			continue
		}
		d := Division{
			Line:       line,
			Code:       strings.TrimSpace(rec[h.code]),
			Name:       strings.TrimSpace(rec[h.name]),
			ParentCode: strings.TrimSpace(rec[h.parent]),
		}
		ok := true
		if d.Name == "" {
			ps.Add(line, colName, "name is empty")
			ok = false
		}
		if d.Kind, err = KindOf(d.Code, d.Name); err != nil {
			ps.Add(line, colCode, "%v", err)
			ok = false
		}
		if i, dup := byCode[d.Code]; dup && d.Code != "" {
			ps.Add(line, colCode, "code %s is already on line %d", d.Code, divs[i].Line)
			ok = false
		}
		if ok {
			byCode[d.Code] = len(divs)
			divs = append(divs, d)
		} else {
			rejected[d.Code] = true
		}
	}
	if len(divs) == 0 && ps.Len() == 0 {
		ps.Add(0, "", "no divisions: the file has a header but no rows")
	}
	checkParents(divs, byCode, rejected, &ps)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return parentsFirst(divs, byCode), nil
}

// checkParents reports parents missing from the file and loops. A parent
// whose own row has a problem is not reported missing again. Each loop is
// reported once, on the line of its first member in the file.
func checkParents(divs []Division, byCode map[string]int, rejected map[string]bool, ps *problems) {
	for _, d := range divs {
		if d.ParentCode != "" && !rejected[d.ParentCode] {
			if _, ok := byCode[d.ParentCode]; !ok {
				ps.Add(d.Line, colParent, "parent_code %s is not in the file", d.ParentCode)
			}
		}
	}
	// Walk up from each division, colouring as we go: 1 = on the current
	// path, 2 = known to reach a root (or a missing parent, reported above).
	state := make([]uint8, len(divs))
	for start := range divs {
		var path []int
		i := start
		for i >= 0 && state[i] == 0 {
			state[i] = 1
			path = append(path, i)
			i = parentIndex(divs, byCode, i)
		}
		if i >= 0 && state[i] == 1 { // came back onto the path: a loop
			loop := path[slices.Index(path, i):]
			first := slices.MinFunc(loop, func(a, b int) int { return divs[a].Line - divs[b].Line })
			k := slices.Index(loop, first)
			loop = append(loop[k:], loop[:k]...) // start the loop at its first line
			codes := make([]string, 0, len(loop)+1)
			for _, j := range loop {
				codes = append(codes, divs[j].Code)
			}
			codes = append(codes, divs[first].Code)
			ps.Add(divs[first].Line, colParent, "parent_code loops: %s", strings.Join(codes, " → "))
		}
		for _, j := range path {
			state[j] = 2
		}
	}
}

// parentIndex returns the index of division i's parent, or -1.
func parentIndex(divs []Division, byCode map[string]int, i int) int {
	if p := divs[i].ParentCode; p != "" {
		if j, ok := byCode[p]; ok {
			return j
		}
	}
	return -1
}

// parentsFirst returns divs so that each parent precedes its children,
// keeping file order otherwise. It assumes checkParents found nothing.
func parentsFirst(divs []Division, byCode map[string]int) []Division {
	out := make([]Division, 0, len(divs))
	done := make([]bool, len(divs))
	var chain []int
	for i := range divs {
		chain = chain[:0]
		for j := i; j >= 0 && !done[j]; j = parentIndex(divs, byCode, j) {
			chain = append(chain, j)
		}
		for _, j := range slices.Backward(chain) {
			done[j] = true
			out = append(out, divs[j])
		}
	}
	return out
}

const (
	colCode   = "code"
	colName   = "name"
	colParent = "parent_code"
)

type header struct{ width, code, name, parent int }

// parseHeader finds the columns by name (trimmed, any case, any order).
func parseHeader(rec []string, ps *problems) (header, bool) {
	h := header{width: len(rec), code: -1, name: -1, parent: -1}
	ok := true
	for i, cell := range rec {
		name := strings.ToLower(strings.TrimFunc(cell, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }))
		var p *int
		switch name {
		case colCode:
			p = &h.code
		case colName:
			p = &h.name
		case colParent:
			p = &h.parent
		default:
			continue // extra columns are allowed and ignored
		}
		if *p >= 0 {
			ps.Add(1, name, "column %s is given twice (columns %d and %d)", name, *p+1, i+1)
			ok = false
			continue
		}
		*p = i
	}
	for _, c := range []struct {
		name string
		at   int
	}{{colCode, h.code}, {colName, h.name}, {colParent, h.parent}} {
		if c.at < 0 {
			ps.Add(1, c.name, "the header has no %s column", c.name)
			ok = false
		}
	}
	return h, ok
}

// validPrefix returns the length of the longest valid UTF-8 prefix of b.
func validPrefix(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		n += size
	}
	return n
}
