package archive

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// frontier is the right edge of a Merkle tree of size records: the stored
// hashes of the maximal complete subtrees that partition [0, size), largest
// (leftmost) first, one per set bit of size.
//
// Those are exactly the hashes that tlog.StoredHashes reads when the next
// record is appended and that tlog.TreeHash reads for the root, so a
// frontier lets both the writer and the verifier grow a tree of any size in
// O(log n) memory, without a store round trip per record. It is a plain
// value: copying it is a cheap snapshot, which is how the writer rolls back
// a failed batch.
type frontier struct {
	size int64
	n    int
	e    [64]frontierEntry
	buf  [64]tlog.Hash // ReadHashes result; tlog consumes it before the next call
}

type frontierEntry struct {
	index int64 // tlog storage index
	hash  tlog.Hash
}

// frontierIndexes returns the storage indexes of the frontier of a tree of
// the given size, largest subtree first. This is the list tlog.TreeHash
// reads: the subtrees [lo, lo+2^L) for each set bit L of size, from the top.
func frontierIndexes(size int64) []int64 {
	idx := make([]int64, 0, bits.OnesCount64(uint64(size)))
	var lo int64
	for l := 62; l >= 0; l-- {
		if size&(1<<l) != 0 {
			idx = append(idx, tlog.StoredHashIndex(l, lo>>l))
			lo += 1 << l
		}
	}
	return idx
}

// load sets f to the frontier of a tree of the given size, reading the
// hashes from r.
func (f *frontier) load(size int64, r tlog.HashReader) error {
	idx := frontierIndexes(size)
	var hs []tlog.Hash
	if len(idx) > 0 {
		var err error
		if hs, err = r.ReadHashes(idx); err != nil {
			return err
		}
		if len(hs) != len(idx) {
			return fmt.Errorf("read %d hashes, want %d", len(hs), len(idx))
		}
	}
	f.size, f.n = size, len(idx)
	for i := range idx {
		f.e[i] = frontierEntry{idx[i], hs[i]}
	}
	return nil
}

// push records that leaf f.size was appended and produced hashes, the
// result of tlog.StoredHashes(f.size, …). hashes[k] is the level-k subtree
// ending at the new leaf, stored at StoredHashIndex(0, size)+k; the top one
// absorbs the len(hashes)-1 smallest frontier subtrees.
func (f *frontier) push(hashes []tlog.Hash) {
	m := len(hashes) - 1
	f.n -= m
	f.e[f.n] = frontierEntry{tlog.StoredHashIndex(0, f.size) + int64(m), hashes[m]}
	f.n++
	f.size++
}

// lookup returns the hash with the given storage index if it is on the
// frontier. Recent (small) subtrees sit at the end, so search from there.
func (f *frontier) lookup(index int64) (tlog.Hash, bool) {
	for i := f.n - 1; i >= 0; i-- {
		if f.e[i].index == index {
			return f.e[i].hash, true
		}
	}
	return tlog.Hash{}, false
}

// ReadHashes implements tlog.HashReader over the frontier alone. The
// result is only valid until the next call.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) > len(f.buf) {
		return nil, fmt.Errorf("archive: %d hashes requested from the tree frontier", len(indexes))
	}
	out := f.buf[:len(indexes)]
	for i, x := range indexes {
		h, ok := f.lookup(x)
		if !ok {
			return nil, fmt.Errorf("archive: stored hash %d is not on the tree frontier of size %d", x, f.size)
		}
		out[i] = h
	}
	return out, nil
}

// root returns the tree hash of the f.size records.
func (f *frontier) root() (steward.Hash, error) {
	h, err := tlog.TreeHash(f.size, f)
	return steward.Hash(h), err
}

// storeReader adapts a LogStore-like hash source to tlog.HashReader.
type storeReader func(indexes []int64) ([]steward.Hash, error)

func (r storeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs, err := r(indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(hs))
	for i := range hs {
		out[i] = tlog.Hash(hs[i])
	}
	return out, nil
}

// appendHashes appends the 32-byte hashes to dst, the layout of
// Record.TreeHashes.
func appendHashes(dst []byte, hs []tlog.Hash) []byte {
	for i := range hs {
		dst = append(dst, hs[i][:]...)
	}
	return dst
}
