package postgres

import (
	"slices"
	"sort"
	"strings"

	"github.com/catalogue/catalogue/domain"
	"github.com/catalogue/catalogue/eventstore"
	"github.com/catalogue/catalogue/projections"
)

// factsChange is an item's listing or amendment, with its position.
type factsChange struct {
	pos   eventstore.Position
	event domain.Event
}

// version is one row of an item's bitemporal particulars: facts holds for
// effective dates [from, to) — a zero bound is open — as recorded from
// position recorded until superseded (0 = still current). seq numbers the
// rows recorded at one position.
type version struct {
	recorded, superseded eventstore.Position
	seq                  int
	from, to             domain.Date
	facts                domain.ItemFacts
}

// history computes every version row of an item from its listing and
// amendments in order of position. After each change the timeline by
// effective date is rebuilt exactly as the memory store builds it — the
// listed facts, then every amendment known so far folded with
// projections.Amend in order of (effective date, position) — and compared
// with the previous one: rows that no longer hold are superseded at the
// change's position, new rows are recorded there. So the rows visible at
// any position are the timeline as known then, and the facts on day d as
// of position P are those of the one visible row whose range holds d.
//
// The first listing counts; amendments before it (none in a valid log)
// are ignored, as an unlisted item is never shown.
func history(changes []factsChange) []version {
	var out []version
	var open []int // indexes in out of the current rows
	var listed domain.ItemFacts
	var amendments []factsChange // in order of (effective date, position)
	isListed := false
	for _, c := range changes {
		switch e := c.event.(type) {
		case domain.ItemListed:
			if isListed {
				continue
			}
			isListed, listed = true, projections.Listed(e)
		case domain.ItemAmended:
			if !isListed {
				continue
			}
			i := sort.Search(len(amendments), func(i int) bool { return e.EffectiveFrom.Before(effectiveFrom(amendments[i])) })
			amendments = slices.Insert(amendments, i, c)
		default:
			continue
		}
		next := timeline(listed, amendments)
		var still []int
		for _, i := range open {
			if j := slices.IndexFunc(next, func(v version) bool { return sameVersion(v, out[i]) }); j >= 0 {
				next = slices.Delete(next, j, j+1) // unchanged: the old row holds on
				still = append(still, i)
			} else {
				out[i].superseded = c.pos
			}
		}
		for seq, v := range next {
			v.recorded, v.seq = c.pos, seq
			still = append(still, len(out))
			out = append(out, v)
		}
		open = still
	}
	return out
}

func effectiveFrom(c factsChange) domain.Date {
	return c.event.(domain.ItemAmended).EffectiveFrom
}

// timeline returns the particulars by effective date: the listed facts
// from the beginning, then each amendment's result from its date; of
// several amendments effective on one date the last folded holds.
func timeline(listed domain.ItemFacts, amendments []factsChange) []version {
	out := []version{{facts: listed}}
	f := listed
	for _, a := range amendments {
		e := a.event.(domain.ItemAmended)
		f = projections.Amend(f, e)
		if last := &out[len(out)-1]; last.from == e.EffectiveFrom {
			last.facts = f
			continue
		}
		out[len(out)-1].to = e.EffectiveFrom
		out = append(out, version{from: e.EffectiveFrom, facts: f})
	}
	return out
}

func sameVersion(a, b version) bool {
	return a.from == b.from && a.to == b.to && a.facts.Code == b.facts.Code &&
		len(projections.ChangedFields(a.facts, b.facts)) == 0
}

// searchTerms are the texts the catalogue's text filter looks in: the code
// and name of the item and of each sub-item, each also lower-cased when
// that differs. A filter (lower-cased) matches when it occurs in one of
// them, which is projections.MatchesText's rule: a text occurs in s
// ignoring case when it occurs in s or in strings.ToLower(s).
func searchTerms(f domain.ItemFacts) []string {
	out := make([]string, 0, 2+2*len(f.SubItems))
	add := func(s string) {
		out = append(out, s)
		if l := strings.ToLower(s); l != s {
			out = append(out, l)
		}
	}
	add(f.Code)
	add(f.Name)
	for _, si := range f.SubItems {
		add(si.Code)
		add(si.Name)
	}
	return out
}
