package projections

// Diff compares the contents of two editions, each given in code order,
// matching items by id. The result is in code order and shares no slices
// with its inputs.
func Diff(from, to Edition, before, after []Item) EditionDiff {
	diff := EditionDiff{From: from, To: to, Added: []Item{}, Removed: []Item{}, Amended: []ItemChange{}}
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
