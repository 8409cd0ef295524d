package archive

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// fullHashes is a HashReader over every stored hash, the textbook layout.
type fullHashes []tlog.Hash

func (f fullHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(f)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = f[x]
	}
	return out, nil
}

// TestFrontier checks that the O(log n) frontier serves tlog exactly what
// a store of all hashes would, at every size.
func TestFrontier(t *testing.T) {
	var (
		all fullHashes
		f   frontier
	)
	for n := range int64(600) {
		// The frontier's indexes are the ones tlog.TreeHash reads.
		var asked []int64
		tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			asked = idx
			return make([]tlog.Hash, len(idx)), nil
		}))
		if got := frontierIndexes(n); !slices.Equal(got, asked) && len(got)+len(asked) > 0 {
			t.Fatalf("size %d: frontier %v, TreeHash reads %v", n, got, asked)
		}
		want, err := tlog.TreeHash(n, all)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.root(); err != nil || got != [32]byte(want) {
			t.Fatalf("size %d: root %x, %v; want %x", n, got, err, want)
		}
		var loaded frontier
		if err := loaded.load(n, all); err != nil || !slices.Equal(loaded.e[:loaded.n], f.e[:f.n]) {
			t.Fatalf("size %d: loaded frontier differs (%v)", n, err)
		}

		leaf := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, leaf, &f)
		if err != nil {
			t.Fatalf("size %d: StoredHashes from frontier: %v", n, err)
		}
		ref, _ := tlog.StoredHashes(n, leaf, all)
		if !slices.Equal(hs, ref) {
			t.Fatalf("size %d: hashes differ", n)
		}
		if int64(len(all)) != tlog.StoredHashIndex(0, n) {
			t.Fatalf("size %d: storage index mismatch", n)
		}
		all = append(all, ref...)
		f.push(hs)
	}
}
