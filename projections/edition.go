package projections

// Changes is what changed from one list of items to another, the items
// matched by id: an item revoked and listed again under the same code is
// one removed and one added item. Its lists are in the order of the list
// compared (code order for a catalogue) and never nil.
type Changes struct {
	// Added are items of the second list that the first lacks, as in the second.
	Added []Item
	// Removed are items of the first list that the second lacks (revoked,
	// or replaced), as in the first.
	Removed []Item
	// Amended are items of both whose particulars differ.
	Amended []ItemChange
}

// Diff compares the contents of two editions, each given in code order.
// The result shares no slices with its inputs.
func Diff(from, to Edition, before, after []Item) EditionDiff {
	return EditionDiff{From: from, To: to, Changes: CompareItems(before, after)}
}

// CompareItems compares two lists of items by id: the one comparison every
// diff (between editions, between any two points of the catalogue) makes,
// so that they all name the same changes the same way. The result shares
// no slices with its inputs.
func CompareItems(before, after []Item) Changes {
	diff := Changes{Added: []Item{}, Removed: []Item{}, Amended: []ItemChange{}}
	old := make(map[string]*Item, len(before))
	for i := range before {
		old[before[i].ID] = &before[i]
	}
	now := make(map[string]bool, len(after))
	for _, it := range after {
		now[it.ID] = true
		b, ok := old[it.ID]
		switch {
		case !ok:
			diff.Added = append(diff.Added, it.Clone())
		default:
			if fields := ChangedFields(b.ItemFacts, it.ItemFacts); len(fields) > 0 {
				diff.Amended = append(diff.Amended, ItemChange{Before: b.Clone(), After: it.Clone(), Fields: fields})
			}
		}
	}
	for _, it := range before {
		if !now[it.ID] {
			diff.Removed = append(diff.Removed, it.Clone())
		}
	}
	return diff
}
