package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

// exampleRecord is the record whose leaf docs/archive-format.md shows.
func exampleRecord() *steward.Record {
	return &steward.Record{
		ID:             "0193a5c2-7f3e-7d4a-9b1c-2e5f8a6d4c3b",
		LeafIndex:      -1,
		Kind:           steward.RecordMessage,
		IdempotencyKey: "signal:1764072000123",
		CapturedAt:     time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC),
		Meta:           []byte(`{"channel":"signal","type":"message"}`),
		Sealed:         []byte("nonce and ciphertext"),
	}
}

func ExampleEncodeLeaf() {
	leaf := archive.EncodeLeaf(exampleRecord())
	fmt.Print(hex.Dump(leaf))
	fmt.Printf("leaf hash: %x\n", archive.LeafHash(leaf))
	// Output:
	// 00000000  53 54 4c 31 07 6d 65 73  73 61 67 65 24 30 31 39  |STL1.message$019|
	// 00000010  33 61 35 63 32 2d 37 66  33 65 2d 37 64 34 61 2d  |3a5c2-7f3e-7d4a-|
	// 00000020  39 62 31 63 2d 32 65 35  66 38 61 36 64 34 63 33  |9b1c-2e5f8a6d4c3|
	// 00000030  62 14 73 69 67 6e 61 6c  3a 31 37 36 34 30 37 32  |b.signal:1764072|
	// 00000040  30 30 30 31 32 33 18 eb  47 f6 6b 35 4d 15 6f a0  |000123..G.k5M.o.|
	// 00000050  b5 01 5c 92 f6 c1 89 ca  8d e1 1d 5a 3d 17 2d be  |..\........Z=.-.|
	// 00000060  2d 65 3a ae 9d a5 e7 43  ef ba 44 1f 65 66 92 2e  |-e:....C..D.ef..|
	// 00000070  32 9e 6c ea 32 44 ee ac  40 38 4b 14 6c b6 9d 62  |2.l.2D..@8K.l..b|
	// 00000080  2f 57 f7 0f 10 e1 97 2a  4e 95 00 ce 22 65        |/W.....*N..."e|
	// leaf hash: de55f8a61738468f26dd98766e91be65d8b0c9789ec8af795524ccf0a50aeba5
}

// Example_checkpointAndProof appends three records with a fixed key and
// clock, and prints the checkpoint and an inclusion proof, as shown in
// docs/archive-format.md.
func Example_checkpointAndProof() {
	seed := sha256.Sum256([]byte("steward archive-format example key"))
	skey, vkey, _ := note.GenerateKey(bytes.NewReader(seed[:]), "archive.example.org/steward")
	signer, _ := archive.NewSigner(skey)
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)

	ctx := context.Background()
	l, _ := archive.Open(ctx, newMemStore(), signer, archive.Options{Now: func() time.Time { return now }, Logger: quietLogger()})
	defer l.Close(ctx)
	r0, r1, r2 := exampleRecord(), exampleRecord(), exampleRecord()
	r1.ID, r1.IdempotencyKey = "0193a5c2-7f3f-7000-8000-000000000001", "signal:1764072000456"
	r2.ID, r2.IdempotencyKey = "0193a5c2-7f3f-7000-8000-000000000002", "signal:1764072000789"
	if _, err := l.Append(ctx, r0, r1, r2); err != nil {
		fmt.Println(err)
		return
	}
	cp, _ := l.Checkpoint(ctx, 3)
	p, _ := l.InclusionProof(ctx, 1, cp)

	fmt.Println("verifier key:", vkey)
	fmt.Printf("checkpoint:\n%s", cp.Note)
	b, _ := json.MarshalIndent(p, "", "  ")
	fmt.Printf("proof:\n%s\n", b)
	v, _ := archive.NewVerifier(vkey)
	fmt.Println("check:", archive.CheckInclusion(p, v, "archive.example.org/steward", r1.Leaf))
	// Output:
	// verifier key: archive.example.org/steward+6080eabc+AdiS+YdjhwF83+Kq9OTxRe57FrUjRKhiLY9U/IsHGR6E
	// checkpoint:
	// archive.example.org/steward
	// 3
	// 7OdfMvAKzZ3+m4yANb5t97O97eRwQ/Nmy7VgghyAn+s=
	//
	// — archive.example.org/steward YIDqvOkytpwCPaRGoTXzG+aPt9QcoRq0FnqTicG0hVP6ncV2GVuyzk/96MrxCtrUZHaq+l3CjDJGiidc5qMV9mVKCg8=
	// proof:
	// {
	//   "leaf_index": 1,
	//   "tree_size": 3,
	//   "leaf_hash": "xuEuJEFVSm7lOKhkzb5M6MA41/aOHQbJ5mkg8Mt9OJI=",
	//   "hashes": [
	//     "3lX4phc4Ro8m3Zh2bpG+ZdiwyXieyK95VSTM8KUK66U=",
	//     "asgAhokp4UK1SLp4iHvO1fr+I7UpytXblNlY+RLnsD4="
	//   ],
	//   "checkpoint": "archive.example.org/steward\n3\n7OdfMvAKzZ3+m4yANb5t97O97eRwQ/Nmy7VgghyAn+s=\n\n— archive.example.org/steward YIDqvOkytpwCPaRGoTXzG+aPt9QcoRq0FnqTicG0hVP6ncV2GVuyzk/96MrxCtrUZHaq+l3CjDJGiidc5qMV9mVKCg8=\n"
	// }
	// check: <nil>
}
