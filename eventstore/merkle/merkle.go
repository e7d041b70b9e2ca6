// Package merkle makes the event log prove itself: every recorded event is
// a leaf of a Merkle tree in the shape of RFC 6962 / RFC 9162 (Certificate
// Transparency), taken over the global feed in order, so that one 32-byte
// root commits to every event up to a size, an inclusion proof shows one
// event is in the log a root commits to, and a consistency proof shows a
// later root extends an earlier one (the log only grew).
//
// The tree arithmetic (which nodes a proof needs, how proofs verify) is
// github.com/transparency-dev/merkle's, the maintained implementation
// behind Trillian and the Go checksum database; this package adds what is
// the catalogue's own: the canonical bytes of an event (LeafData) and a
// tree that keeps every complete subtree's hash, so roots and proofs for
// any size are answered without rehashing the log.
package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/catalogue/catalogue/eventstore"
)

// Hash is a SHA-256 digest: a leaf's, a node's or a tree's root.
type Hash [sha256.Size]byte

func (h Hash) String() string { return fmt.Sprintf("%x", h[:]) }

// hasher is RFC 6962's: SHA-256, leaves prefixed 0x00, nodes 0x01.
var hasher = rfc6962.DefaultHasher

// leafVersion names the layout of LeafData; a new layout gets a new name,
// so a leaf hashed one way is never mistaken for another.
const leafVersion = "catalogue/leaf/v1"

// LeafData returns the canonical bytes of a recorded event: everything that
// makes it the event it is — its position in the feed, its stream and
// revision, its id, type, the time it was recorded, its data and its
// metadata (command id, actor, …) exactly as stored. Each variable-length
// field is preceded by its length, so no two different events share the
// same bytes.
func LeafData(rec eventstore.RecordedEvent) []byte {
	b := make([]byte, 0, 96+len(rec.Stream)+len(rec.Type)+len(rec.Data)+len(rec.Metadata))
	b = appendBytes(b, []byte(leafVersion))
	b = binary.BigEndian.AppendUint64(b, uint64(rec.Position))
	b = appendBytes(b, []byte(rec.Stream))
	b = binary.BigEndian.AppendUint64(b, rec.Revision)
	b = append(b, rec.ID[:]...)
	b = appendBytes(b, []byte(rec.Type))
	b = binary.BigEndian.AppendUint64(b, uint64(rec.RecordedAt.UnixNano()))
	b = appendBytes(b, rec.Data)
	return appendBytes(b, rec.Metadata)
}

func appendBytes(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// LeafHash returns the leaf hash of a recorded event: SHA-256(0x00 ‖
// LeafData), streamed into the hash without building LeafData (verifying a
// long log is mostly this).
func LeafHash(rec eventstore.RecordedEvent) Hash {
	d := sha256.New()
	var head [8]byte
	field := func(v []byte) {
		binary.BigEndian.PutUint32(head[:4], uint32(len(v)))
		d.Write(head[:4])
		d.Write(v)
	}
	number := func(v uint64) {
		binary.BigEndian.PutUint64(head[:], v)
		d.Write(head[:])
	}
	d.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
	field([]byte(leafVersion))
	number(uint64(rec.Position))
	field([]byte(rec.Stream))
	number(rec.Revision)
	d.Write(rec.ID[:])
	field([]byte(rec.Type))
	number(uint64(rec.RecordedAt.UnixNano()))
	field(rec.Data)
	field(rec.Metadata)
	var h Hash
	d.Sum(h[:0])
	return h
}

// nodeHash is RFC 6962's interior node hash, without allocating.
func nodeHash(l, r *Hash) Hash {
	var b [1 + 2*sha256.Size]byte
	b[0] = rfc6962.RFC6962NodeHashPrefix
	copy(b[1:], l[:])
	copy(b[1+sha256.Size:], r[:])
	return sha256.Sum256(b[:])
}

// EmptyRoot is the root of the tree of no events: SHA-256 of nothing.
func EmptyRoot() Hash { return Hash(hasher.EmptyRoot()) }

// ErrSize is returned for a size or index the tree does not cover.
var ErrSize = errors.New("merkle: size out of range")

// Tree is the Merkle tree over the leaves appended so far. It keeps the
// hash of every complete (perfect) subtree — about two hashes per leaf —
// from which the root of any prefix and every proof are assembled. One
// appender and many readers may use it at once.
type Tree struct {
	mu sync.RWMutex
	// levels[k][i] is the hash of the perfect subtree of 2^k leaves that
	// starts at leaf i·2^k; levels[0] are the leaves.
	levels [][]Hash
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

func (t *Tree) size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Append adds a leaf hash (LeafHash of the next event of the feed).
func (t *Tree) Append(leaf Hash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := leaf
	for k := 0; ; k++ {
		if k == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		t.levels[k] = append(t.levels[k], h)
		n := len(t.levels[k])
		if n%2 == 1 {
			return
		}
		h = nodeHash(&t.levels[k][n-2], &t.levels[k][n-1])
	}
}

// node returns the hash of a perfect subtree.
func (t *Tree) node(id compact.NodeID) []byte {
	h := t.levels[id.Level][id.Index]
	return h[:]
}

// Root returns the root of the first size leaves.
func (t *Tree) Root(size uint64) (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size() {
		return Hash{}, fmt.Errorf("%w: root of %d leaves, the tree has %d", ErrSize, size, t.size())
	}
	if size == 0 {
		return EmptyRoot(), nil
	}
	// The prefix decomposes into perfect subtrees, largest first; the
	// root folds them from the right (RFC 9162, 2.1.1).
	ids := compact.RangeNodes(0, size, nil)
	root := t.node(ids[len(ids)-1])
	for i := len(ids) - 2; i >= 0; i-- {
		root = hasher.HashChildren(t.node(ids[i]), root)
	}
	return Hash(root), nil
}

// InclusionProof returns the audit path of leaf index in the tree of the
// first size leaves (RFC 9162, 2.1.3.1).
func (t *Tree) InclusionProof(index, size uint64) ([]Hash, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: leaf %d is not in a tree of %d leaves", ErrSize, index, size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.assemble(nodes, size)
}

// ConsistencyProof returns the proof that the tree of size2 leaves extends
// the tree of size1 leaves (RFC 9162, 2.1.4.1).
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([]Hash, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("%w: a tree of %d leaves cannot extend one of %d", ErrSize, size2, size1)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.assemble(nodes, size2)
}

// assemble fetches a proof's nodes and folds the ones that make up a node
// of the tree's ragged right edge.
func (t *Tree) assemble(nodes proof.Nodes, size uint64) ([]Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size() {
		return nil, fmt.Errorf("%w: proof in a tree of %d leaves, the tree has %d", ErrSize, size, t.size())
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		hashes[i] = t.node(id)
	}
	folded, err := nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, err
	}
	out := make([]Hash, len(folded))
	for i, h := range folded {
		out[i] = Hash(h)
	}
	return out, nil
}

// VerifyInclusion checks that leaf is at index in the tree of size leaves
// whose root is root.
func VerifyInclusion(index, size uint64, leaf Hash, path []Hash, root Hash) error {
	return proof.VerifyInclusion(hasher, index, size, leaf[:], slices(path), root[:])
}

// VerifyConsistency checks that the tree of size2 leaves with root2
// extends the tree of size1 leaves with root1.
func VerifyConsistency(size1, size2 uint64, path []Hash, root1, root2 Hash) error {
	return proof.VerifyConsistency(hasher, size1, size2, slices(path), root1[:], root2[:])
}

func slices(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
