package archive

import (
	"context"
	"encoding/json"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// Proof shows that one record is in the log: an RFC 6962 inclusion proof
// from the record's leaf to the root of a signed checkpoint. Its JSON form
// is what GET /api/v1/records/{id}/proof returns (hashes in standard
// base64):
//
//	{"leaf_index":5,"tree_size":37,"leaf_hash":"…","hashes":["…",…],"checkpoint":"<note text>"}
//
// See docs/archive-format.md and CheckInclusion.
type Proof struct {
	LeafIndex  int64
	TreeSize   int64
	LeafHash   steward.Hash
	Hashes     []steward.Hash // tlog.RecordProof order: from the leaf's sibling up
	Checkpoint string         // the signed checkpoint note of size TreeSize
}

type proofJSON struct {
	LeafIndex  int64       `json:"leaf_index"`
	TreeSize   int64       `json:"tree_size"`
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	Hashes     []tlog.Hash `json:"hashes"`
	Checkpoint string      `json:"checkpoint"`
}

// MarshalJSON encodes p with base64 hashes.
func (p *Proof) MarshalJSON() ([]byte, error) {
	j := proofJSON{LeafIndex: p.LeafIndex, TreeSize: p.TreeSize, LeafHash: tlog.Hash(p.LeafHash),
		Hashes: make([]tlog.Hash, len(p.Hashes)), Checkpoint: p.Checkpoint}
	for i, h := range p.Hashes {
		j.Hashes[i] = tlog.Hash(h)
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (p *Proof) UnmarshalJSON(b []byte) error {
	var j proofJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Proof{LeafIndex: j.LeafIndex, TreeSize: j.TreeSize, LeafHash: steward.Hash(j.LeafHash),
		Hashes: make([]steward.Hash, len(j.Hashes)), Checkpoint: j.Checkpoint}
	for i, h := range j.Hashes {
		p.Hashes[i] = steward.Hash(h)
	}
	return nil
}

// InclusionProof proves that the record at index is in the tree of cp. If
// cp is nil it uses Checkpoint(ctx, index+1). The proof is read from the
// store, so it works for records appended by any process.
//
// Returns Invalid if cp does not cover index, NotFound if the store lacks
// the hashes.
func (l *Log) InclusionProof(ctx context.Context, index int64, cp *steward.Checkpoint) (*Proof, error) {
	const op steward.Op = "archive.InclusionProof"
	if index < 0 {
		return nil, steward.E(op, steward.Invalid, "negative leaf index")
	}
	if cp == nil {
		var err error
		if cp, err = l.Checkpoint(ctx, index+1); err != nil {
			return nil, steward.E(op, err)
		}
	}
	if index >= cp.Size {
		return nil, steward.Errorf(op, steward.Invalid, "checkpoint of size %d does not cover leaf %d", cp.Size, index)
	}
	rd := l.reader(ctx)
	leaf, err := rd.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		return nil, steward.E(op, "cannot read leaf hash", err)
	}
	rp, err := tlog.ProveRecord(cp.Size, index, rd)
	if err != nil {
		return nil, steward.E(op, "cannot build inclusion proof", err)
	}
	p := &Proof{LeafIndex: index, TreeSize: cp.Size, LeafHash: steward.Hash(leaf[0]),
		Hashes: make([]steward.Hash, len(rp)), Checkpoint: string(cp.Note)}
	for i, h := range rp {
		p.Hashes[i] = steward.Hash(h)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of newSize records extends the tree
// of oldSize records (RFC 6962 consistency proof, tlog.TreeProof order).
// Check it with tlog.CheckTree. Returns Invalid unless
// 1 ≤ oldSize ≤ newSize ≤ Size().
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize int64) ([]steward.Hash, error) {
	const op steward.Op = "archive.ConsistencyProof"
	if oldSize < 1 || oldSize > newSize || newSize > l.Size() {
		return nil, steward.Errorf(op, steward.Invalid, "no consistency proof from size %d to %d in a log of %d", oldSize, newSize, l.Size())
	}
	tp, err := tlog.ProveTree(newSize, oldSize, l.reader(ctx))
	if err != nil {
		return nil, steward.E(op, "cannot build consistency proof", err)
	}
	out := make([]steward.Hash, len(tp))
	for i, h := range tp {
		out[i] = steward.Hash(h)
	}
	return out, nil
}

func (l *Log) reader(ctx context.Context) tlog.HashReader {
	return storeReader(func(idx []int64) ([]steward.Hash, error) { return l.store.ReadHashes(ctx, idx) })
}

// CheckInclusion verifies a proof as a client would: the checkpoint must be
// signed by v for origin and be of size p.TreeSize, and the proof must lead
// from the leaf to its root. If leaf is non-nil (the record's Leaf bytes),
// its hash must equal p.LeafHash; with nil, only p.LeafHash is proved.
// Returns Invalid on any failure.
func CheckInclusion(p *Proof, v note.Verifier, origin string, leaf []byte) error {
	const op steward.Op = "archive.CheckInclusion"
	if p == nil {
		return steward.E(op, steward.Invalid, "no proof")
	}
	cp, err := ParseCheckpoint([]byte(p.Checkpoint), v, origin)
	if err != nil {
		return steward.E(op, err)
	}
	if cp.Size != p.TreeSize {
		return steward.E(op, steward.Invalid, "proof tree size differs from its checkpoint")
	}
	if leaf != nil && LeafHash(leaf) != p.LeafHash {
		return steward.E(op, steward.Invalid, "leaf does not match the proof's leaf hash")
	}
	rp := make(tlog.RecordProof, len(p.Hashes))
	for i, h := range p.Hashes {
		rp[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(rp, cp.Size, tlog.Hash(cp.Root), p.LeafIndex, tlog.Hash(p.LeafHash)); err != nil {
		return steward.E(op, steward.Invalid, "inclusion proof does not verify", err)
	}
	return nil
}
