package memory

// entryLog holds the log entries in blocks of fixed size: appending never
// copies what is there (a rebuild of a million events would otherwise move
// gigabytes as one slice doubles), and an entry's address never changes.
type entryLog struct {
	blocks [][]entry
	n      int
}

const blockBits = 12 // 4096 entries a block

func (l *entryLog) len() int { return l.n }

// add appends e and returns its index.
func (l *entryLog) add(e entry) int32 {
	if l.n>>blockBits == len(l.blocks) {
		l.blocks = append(l.blocks, make([]entry, 0, 1<<blockBits))
	}
	b := &l.blocks[l.n>>blockBits]
	*b = append(*b, e)
	l.n++
	return int32(l.n - 1)
}

// at returns the entry at index i.
func (l *entryLog) at(i int32) *entry {
	return &l.blocks[i>>blockBits][i&(1<<blockBits-1)]
}
