package itemsheet

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// group is the rows of one (事项名称, 实施机关).
type group struct {
	rows   []*row // file order
	own    *row   // the row without 子项名称, if any
	subs   []*row // rows with 子项名称, file order
	needs  bool   // the item code is to be derived or made
	codeAt *row   // the row the item code was given on
}

func groupRows(rows []*row, h *header, ps *problems) []*group {
	type key struct{ name, auth string }
	byKey := map[key]*group{}
	var groups []*group
	for _, rw := range rows {
		k := key{rw.name, rw.auth}
		g := byKey[k]
		if g == nil {
			g = &group{}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, rw)
		if rw.subName == "" {
			if g.own != nil {
				rw.add(ps, ColName, "duplicate row: %s is already on %s", describe(rw), g.own.at())
				continue
			}
			g.own = rw
			continue
		}
		// Same 子项名称 with another code is not a duplicate: the portal
		// lists some sub-items twice, under an old and a new code (Guang'an
		// lines 347 and 348), and each code stands for a distinct entry.
		if i := slices.IndexFunc(g.subs, func(s *row) bool {
			return s.subName == rw.subName && subCodeOf(s, h) == subCodeOf(rw, h)
		}); i >= 0 {
			rw.add(ps, ColSubName, "duplicate row: %s %q of this item is already on %s",
				ColSubName, rw.subName, g.subs[i].at())
			continue
		}
		g.subs = append(g.subs, rw)
	}
	return groups
}

// subCodeOf returns a sub-item row's code: its 子项编码 when the sheet has
// that column (事项编码 then being the item's), else its 事项编码.
func subCodeOf(rw *row, h *header) string {
	if h.has(fSubCode) {
		return rw.subCode
	}
	return rw.code
}

// describe names a row's item for messages.
func describe(rw *row) string {
	if rw.auth == "" {
		return fmt.Sprintf("%s %q", ColName, rw.name)
	}
	return fmt.Sprintf("%s %q of %s %q", ColName, rw.name, ColAuthority, rw.auth)
}

// agree returns the one non-empty value the rows give for a cell, reporting
// rows that give another.
func agree(g *group, column string, get func(*row) string, ps *problems) (string, *row) {
	val, at := "", (*row)(nil)
	for _, rw := range g.rows {
		v := get(rw)
		switch {
		case v == "":
		case val == "":
			val, at = v, rw
		case v != val:
			rw.add(ps, column, "%s differs from %s, which belongs to the same item", column, at.at())
		}
	}
	return val, at
}

func buildItems(rows []*row, h *header, opts Options, ps *problems) []Item {
	groups := groupRows(rows, h, ps)
	subCodeCol := ColCode
	if h.has(fSubCode) {
		subCodeCol = ColSubCode
	}
	basisCol := ColBasis
	if !h.has(fBasis) {
		basisCol = ColSetBasis
		if !h.has(fSetBasis) {
			basisCol = ColImplBasis
		}
	}

	items := make([]Item, len(groups))
	for i, g := range groups {
		first := g.rows[0]
		it := Item{Sheet: first.sheet, Line: first.line, Name: first.name, Authority: first.auth}
		it.Department, _ = agree(g, ColDept, func(r *row) string { return r.dept }, ps)
		it.LegalBasis, _ = agree(g, basisCol, func(r *row) string { return r.basis }, ps)
		it.Level, _ = agree(g, h.name[fLevel], func(r *row) string { return r.level }, ps)
		it.Note, _ = agree(g, ColNote, func(r *row) string { return r.note }, ps)
		switch {
		case h.has(fSubCode): // 事项编码 is the item's, shared by its rows
			it.Code, g.codeAt = agree(g, ColCode, func(r *row) string { return r.code }, ps)
		case g.own != nil:
			it.Code, g.codeAt = g.own.code, g.own
		}
		for _, s := range g.subs {
			it.SubItems = append(it.SubItems, SubItem{Sheet: s.sheet, Line: s.line, Code: subCodeOf(s, h), Name: s.subName})
		}
		g.needs = it.Code == ""
		items[i] = it
	}

	deriveCodes(items, groups)
	if opts.CodePrefix != "" {
		makeCodes(items, groups, opts.CodePrefix, ps)
	}
	checkUnique(items, groups, subCodeCol, ps)
	return items
}

// deriveCodes gives items without a code one derived from their sub-item
// codes; see ParseWith for the rule and why.
func deriveCodes(items []Item, groups []*group) {
	given := map[string]bool{}
	for i, it := range items {
		if !groups[i].needs {
			given[it.Code] = true
		}
		for _, s := range it.SubItems {
			if s.Code != "" {
				given[s.Code] = true
			}
		}
	}
	prefix := make([]string, len(items))
	uses := map[string]int{}
	for i, it := range items {
		codes := subCodes(it)
		if !groups[i].needs || len(codes) == 0 {
			continue
		}
		p := strings.TrimRight(commonPrefix(codes), "-_./")
		if utf8.RuneCountInString(p) >= MinDerivedCodeLen && !given[p] {
			prefix[i] = p
			uses[p]++
		}
	}
	for i := range items {
		codes := subCodes(items[i])
		if !groups[i].needs || len(codes) == 0 {
			continue
		}
		if p := prefix[i]; p != "" && uses[p] == 1 {
			items[i].Code = p
		} else {
			items[i].Code = slices.Min(codes) + "-00"
		}
	}
}

func subCodes(it Item) []string {
	var codes []string
	for _, s := range it.SubItems {
		if s.Code != "" {
			codes = append(codes, s.Code)
		}
	}
	return codes
}

// commonPrefix returns the longest common prefix of ss, whole runes only.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		n := 0
		for n < len(p) && n < len(s) && p[n] == s[n] {
			n++
		}
		p = p[:n]
	}
	for len(p) > 0 && !utf8.ValidString(p) { // cut inside a rune: back off
		p = p[:len(p)-1]
	}
	return p
}

// makeCodes fills the codes still missing from CodePrefix and 序号.
func makeCodes(items []Item, groups []*group, prefix string, ps *problems) {
	for i := range items {
		it := &items[i]
		if it.Code == "" {
			seq := ""
			for _, rw := range groups[i].rows {
				if rw.seq != "" {
					seq = rw.seq
					break
				}
			}
			n, err := strconv.Atoi(seq)
			switch {
			case seq == "":
				groups[i].rows[0].add(ps, ColSeq, "the item has no %s and no %s to make a code from", ColCode, ColSeq)
				continue
			case err != nil || n <= 0:
				groups[i].rows[0].add(ps, ColSeq, "%s %q is not a positive whole number, so no code can be made from it", ColSeq, seq)
				continue
			}
			it.Code = fmt.Sprintf("%s%04d", prefix, n)
		}
		for j := range it.SubItems {
			if it.SubItems[j].Code == "" {
				it.SubItems[j].Code = fmt.Sprintf("%s-%02d", it.Code, j+1)
			}
		}
	}
}

// checkUnique reports codes used twice among all items and sub-items: the
// catalogue reserves item codes, and delegations name sub-items by code, so
// one code must mean one thing.
func checkUnique(items []Item, groups []*group, subCodeCol string, ps *problems) {
	type use struct {
		code, what string
		at         *row
	}
	var uses []use
	for i, it := range items {
		if it.Code != "" {
			what, at := ColCode, groups[i].codeAt
			if groups[i].needs {
				what, at = "item code made by itemsheet", groups[i].rows[0]
			}
			uses = append(uses, use{it.Code, what, at})
		}
		for j, s := range it.SubItems {
			if s.Code != "" {
				uses = append(uses, use{s.Code, subCodeCol, groups[i].subs[j]})
			}
		}
	}
	slices.SortStableFunc(uses, func(a, b use) int { return a.at.ord - b.at.ord })
	first := map[string]use{}
	for _, u := range uses {
		f, dup := first[u.code]
		if !dup {
			first[u.code] = u
			continue
		}
		col := u.what
		if col != ColCode && col != ColSubCode {
			col = ColCode
		}
		u.at.add(ps, col, "duplicate code %s: %s here, %s on %s", u.code, u.what, f.what, f.at.at())
	}
}
