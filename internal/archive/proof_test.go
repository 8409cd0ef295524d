package archive_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

func TestInclusionProof(t *testing.T) {
	const n = 37
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	for i := range n {
		mustAppend(t, l, newRecord(i))
	}
	cp, err := l.Checkpoint(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	v := testVerifier(t)
	for i := range int64(n) {
		p, err := l.InclusionProof(context.Background(), i, cp)
		if err != nil {
			t.Fatal(err)
		}
		leaf := s.record(i).Leaf
		if err := archive.CheckInclusion(p, v, testOrigin, leaf); err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		// The same proof verifies with an independent implementation.
		hashes := make([][]byte, len(p.Hashes))
		for j := range p.Hashes {
			hashes[j] = p.Hashes[j][:]
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), n, rfc6962.DefaultHasher.HashLeaf(leaf), hashes, cp.Root[:]); err != nil {
			t.Fatalf("leaf %d: merkle/proof: %v", i, err)
		}
		// JSON round trip, as served by the API.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q archive.Proof
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*p, q) {
			t.Fatalf("JSON round trip: %s", b)
		}
		// Any altered part fails.
		if len(p.Hashes) > 0 {
			bad := q
			bad.Hashes = append([]steward.Hash(nil), q.Hashes...)
			bad.Hashes[0][3] ^= 1
			if err := archive.CheckInclusion(&bad, v, testOrigin, leaf); !steward.Is(steward.Invalid, err) {
				t.Fatalf("altered hash: err = %v", err)
			}
		}
		wrong := s.record((i + 1) % n).Leaf
		if err := archive.CheckInclusion(p, v, testOrigin, wrong); err == nil {
			t.Fatal("proof accepted another leaf")
		}
	}
	// The proof JSON field names are part of the API.
	p, _ := l.InclusionProof(context.Background(), 5, nil)
	var m map[string]any
	b, _ := json.Marshal(p)
	json.Unmarshal(b, &m)
	for _, k := range []string{"leaf_index", "tree_size", "leaf_hash", "hashes", "checkpoint"} {
		if _, ok := m[k]; !ok {
			t.Errorf("proof JSON lacks %q: %s", k, b)
		}
	}
	if err := archive.CheckInclusion(p, v, "other.origin/log", nil); !steward.Is(steward.Invalid, err) {
		t.Fatalf("wrong origin: err = %v", err)
	}
	if _, err := l.InclusionProof(context.Background(), n, cp); !steward.Is(steward.Invalid, err) {
		t.Fatalf("leaf beyond checkpoint: err = %v", err)
	}
}

func TestConsistencyProof(t *testing.T) {
	const n = 33
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	for i := range n {
		mustAppend(t, l, newRecord(i))
	}
	roots := make([]steward.Hash, n+1)
	for size := int64(1); size <= n; size++ {
		roots[size] = refRoot(t, s, size)
	}
	for old := int64(1); old <= n; old++ {
		for new := old; new <= n; new++ {
			p, err := l.ConsistencyProof(context.Background(), old, new)
			if err != nil {
				t.Fatal(err)
			}
			tp := make(tlog.TreeProof, len(p))
			hashes := make([][]byte, len(p))
			for i := range p {
				tp[i] = tlog.Hash(p[i])
				hashes[i] = p[i][:]
			}
			if err := tlog.CheckTree(tp, new, tlog.Hash(roots[new]), old, tlog.Hash(roots[old])); err != nil {
				t.Fatalf("%d→%d: tlog: %v", old, new, err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(old), uint64(new), hashes, roots[old][:], roots[new][:]); err != nil {
				t.Fatalf("%d→%d: merkle/proof: %v", old, new, err)
			}
		}
	}
	for _, bad := range [][2]int64{{0, 5}, {6, 5}, {5, n + 1}} {
		if _, err := l.ConsistencyProof(context.Background(), bad[0], bad[1]); !steward.Is(steward.Invalid, err) {
			t.Errorf("ConsistencyProof(%d, %d): err = %v, want Invalid", bad[0], bad[1], err)
		}
	}
}
