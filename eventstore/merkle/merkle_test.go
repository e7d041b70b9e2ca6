package merkle

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/catalogue/catalogue/eventstore"
)

// The checks below do not use the package's (or its library's) code path:
// the root is RFC 9162's recursive definition and the verifiers are its
// algorithms (2.1.3.2, 2.1.4.2) written out from the text.

func rfcNode(l, r Hash) Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// mth is MTH(D[n]) over leaf hashes (RFC 9162, 2.1.1).
func mth(leaves []Hash) Hash {
	switch n := len(leaves); n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		return rfcNode(mth(leaves[:k]), mth(leaves[k:]))
	}
}

// rfcVerifyInclusion is RFC 9162, 2.1.3.2.
func rfcVerifyInclusion(index, size uint64, leaf Hash, path []Hash, root Hash) bool {
	if index >= size {
		return false
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = rfcNode(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn, sn = fn>>1, sn>>1
				}
			}
		} else {
			r = rfcNode(r, p)
		}
		fn, sn = fn>>1, sn>>1
	}
	return sn == 0 && r == root
}

// rfcVerifyConsistency is RFC 9162, 2.1.4.2 (with the trivial cases of
// equal sizes and of an empty first tree).
func rfcVerifyConsistency(first, second uint64, path []Hash, firstRoot, secondRoot Hash) bool {
	switch {
	case first > second:
		return false
	case first == second:
		return len(path) == 0 && firstRoot == secondRoot
	case first == 0:
		return len(path) == 0
	case len(path) == 0:
		return false
	}
	if first&(first-1) == 0 {
		path = append([]Hash{firstRoot}, path...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn, sn = fn>>1, sn>>1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = rfcNode(c, fr), rfcNode(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn, sn = fn>>1, sn>>1
				}
			}
		} else {
			sr = rfcNode(sr, c)
		}
		fn, sn = fn>>1, sn>>1
	}
	return fr == firstRoot && sr == secondRoot && sn == 0
}

func randomLeaves(rng *rand.Rand, n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func treeOf(leaves []Hash) *Tree {
	t := &Tree{}
	for _, l := range leaves {
		t.Append(l)
	}
	return t
}

func TestRootIsRFCMerkleTreeHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	leaves := randomLeaves(rng, 300)
	tree := treeOf(leaves)
	for size := 0; size <= len(leaves); size++ {
		root, err := tree.Root(uint64(size))
		require.NoError(t, err)
		require.Equal(t, mth(leaves[:size]), root, "size %d", size)
	}
	_, err := tree.Root(301)
	require.ErrorIs(t, err, ErrSize)
}

// altered returns a copy of path with one bit of one hash flipped.
func altered(rng *rand.Rand, path []Hash) []Hash {
	out := append([]Hash(nil), path...)
	i := rng.IntN(len(out))
	out[i][rng.IntN(len(Hash{}))] ^= 1 << rng.IntN(8)
	return out
}

func TestInclusionProofs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	leaves := randomLeaves(rng, 200)
	tree := treeOf(leaves)
	for range 2000 {
		size := 1 + rng.Uint64N(200)
		index := rng.Uint64N(size)
		path, err := tree.InclusionProof(index, size)
		require.NoError(t, err)
		root := mth(leaves[:size])
		require.True(t, rfcVerifyInclusion(index, size, leaves[index], path, root), "leaf %d of %d", index, size)
		require.NoError(t, VerifyInclusion(index, size, leaves[index], path, root))
		// A wrong leaf, a wrong index or an altered sibling fails.
		other := leaves[(index+1)%uint64(len(leaves))]
		require.False(t, rfcVerifyInclusion(index, size, other, path, root))
		require.Error(t, VerifyInclusion(index, size, other, path, root))
		if size > 1 {
			require.False(t, rfcVerifyInclusion((index+1)%size, size, leaves[index], path, root))
			bad := altered(rng, path)
			require.False(t, rfcVerifyInclusion(index, size, leaves[index], bad, root))
			require.Error(t, VerifyInclusion(index, size, leaves[index], bad, root))
		}
	}
	_, err := tree.InclusionProof(5, 5)
	require.ErrorIs(t, err, ErrSize)
	_, err = tree.InclusionProof(0, 201)
	require.ErrorIs(t, err, ErrSize)
}

// Property: for random logs and random pairs of sizes, consistency proofs
// verify and altered ones do not.
func TestConsistencyProofs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		n := 1 + rng.IntN(300)
		leaves := randomLeaves(rng, n)
		tree := treeOf(leaves)
		for range 50 {
			size2 := rng.Uint64N(uint64(n) + 1)
			size1 := rng.Uint64N(size2 + 1)
			path, err := tree.ConsistencyProof(size1, size2)
			require.NoError(t, err)
			r1, r2 := mth(leaves[:size1]), mth(leaves[:size2])
			require.True(t, rfcVerifyConsistency(size1, size2, path, r1, r2), "%d → %d", size1, size2)
			require.NoError(t, VerifyConsistency(size1, size2, path, r1, r2))
			if len(path) > 0 {
				bad := altered(rng, path)
				require.False(t, rfcVerifyConsistency(size1, size2, bad, r1, r2))
				require.Error(t, VerifyConsistency(size1, size2, bad, r1, r2))
			}
			if size1 > 0 && size1 < size2 {
				// A first tree that differs (a rewritten past) is caught.
				forged := append([]Hash(nil), leaves[:size1]...)
				forged[rng.IntN(int(size1))][0] ^= 0x80
				require.False(t, rfcVerifyConsistency(size1, size2, path, mth(forged), r2))
				require.Error(t, VerifyConsistency(size1, size2, path, mth(forged), r2))
			}
		}
	}
	_, err := treeOf(nil).ConsistencyProof(2, 1)
	require.ErrorIs(t, err, ErrSize)
}

// Every field of a recorded event is covered by its leaf.
func TestLeafCoversEveryField(t *testing.T) {
	rec := eventstore.RecordedEvent{ID: uuid.New(), Stream: "item-1", Revision: 3, Position: 42, Type: "ItemListed.v1",
		Data: []byte(`{"name":"林木采伐许可证核发"}`), Metadata: []byte(`{"actor":"alice","commandId":"c1"}`),
		RecordedAt: time.Date(2026, 12, 7, 4, 0, 0, 123, time.UTC)}
	base := LeafHash(rec)
	require.Equal(t, Hash(sha256.Sum256(append([]byte{0}, LeafData(rec)...))), base, "LeafHash is the RFC leaf hash of LeafData")
	require.Equal(t, base, LeafHash(rec), "deterministic")
	changes := []func(*eventstore.RecordedEvent){
		func(r *eventstore.RecordedEvent) { r.ID[0] ^= 1 },
		func(r *eventstore.RecordedEvent) { r.Stream = "item-2" },
		func(r *eventstore.RecordedEvent) { r.Revision++ },
		func(r *eventstore.RecordedEvent) { r.Position++ },
		func(r *eventstore.RecordedEvent) { r.Type = "ItemAmended.v1" },
		func(r *eventstore.RecordedEvent) { r.Data = []byte(`{"name":"林木采伐许可证核发 "}`) },
		func(r *eventstore.RecordedEvent) { r.Metadata = []byte(`{"actor":"mallory","commandId":"c1"}`) },
		func(r *eventstore.RecordedEvent) { r.RecordedAt = r.RecordedAt.Add(time.Nanosecond) },
		// Bytes moved from one field to the next must not hash alike.
		func(r *eventstore.RecordedEvent) { r.Stream, r.Type = "item-1I", "temListed.v1" },
	}
	for i, change := range changes {
		r := rec
		r.Data, r.Metadata = append([]byte(nil), rec.Data...), append([]byte(nil), rec.Metadata...)
		change(&r)
		require.NotEqual(t, base, LeafHash(r), "change %d", i)
	}
}
