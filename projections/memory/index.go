package memory

import (
	"slices"
	"sync"

	"github.com/catalogue/catalogue/projections"
)

// sortedIndex keeps rows in cursor order for paging. The applier only
// appends (under the store's write lock); the first reader after a change
// sorts the new rows and merges them in (under the index's own mutex, as
// many readers may hold the store's read lock at once). A rebuild thus
// sorts once at the end, not once per batch, and a live change costs a
// merge of the few new rows.
type sortedIndex[T any] struct {
	key func(T) projections.Cursor

	mu     sync.Mutex
	rows   []T
	sorted int // rows[:sorted] are in order
}

func newSortedIndex[T any](key func(T) projections.Cursor) *sortedIndex[T] {
	return &sortedIndex[T]{key: key}
}

// add appends a row; the caller holds the store's write lock.
func (x *sortedIndex[T]) add(v T) { x.rows = append(x.rows, v) }

// inOrder returns the rows in cursor order; the caller holds the store's
// read lock and must not modify the slice.
func (x *sortedIndex[T]) inOrder() []T {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sorted == len(x.rows) {
		return x.rows
	}
	cmp := func(a, b T) int { return compareCursors(x.key(a), x.key(b)) }
	head, tail := x.rows[:x.sorted], x.rows[x.sorted:]
	slices.SortStableFunc(tail, cmp)
	if len(head) > 0 && len(tail) > 0 && cmp(head[len(head)-1], tail[0]) > 0 {
		merged := make([]T, 0, cap(x.rows))
		i, j := 0, 0
		for i < len(head) && j < len(tail) {
			if cmp(tail[j], head[i]) < 0 {
				merged = append(merged, tail[j])
				j++
			} else {
				merged = append(merged, head[i])
				i++
			}
		}
		merged = append(append(merged, head[i:]...), tail[j:]...)
		x.rows = merged
	}
	x.sorted = len(x.rows)
	return x.rows
}

// from returns the rows of inOrder() that come after cursor c, found by
// binary search (all rows when c is not set).
func (x *sortedIndex[T]) from(c projections.Cursor, set bool) []T {
	rows := x.inOrder()
	if !set {
		return rows
	}
	i, _ := slices.BinarySearchFunc(rows, c, func(r T, c projections.Cursor) int {
		if compareCursors(x.key(r), c) <= 0 {
			return -1
		}
		return 1
	})
	return rows[i:]
}

func compareCursors(a, b projections.Cursor) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}
