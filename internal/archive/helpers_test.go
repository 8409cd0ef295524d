package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

const testOrigin = "steward.test/archive"

var testKeys = sync.OnceValues(func() (string, string) {
	skey, vkey, err := archive.GenerateKey(testOrigin)
	if err != nil {
		panic(err)
	}
	return skey, vkey
})

func testSigner(tb testing.TB) note.Signer {
	tb.Helper()
	skey, _ := testKeys()
	s, err := archive.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func testVerifier(tb testing.TB) note.Verifier {
	tb.Helper()
	_, vkey := testKeys()
	v, err := archive.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// quietLogger discards the log's own logging (checkpoint failures that
// tests provoke on purpose).
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openLog opens a Log that the test closes at cleanup.
func openLog(tb testing.TB, store steward.LogStore, opts archive.Options) *archive.Log {
	tb.Helper()
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = time.Hour // tests drive checkpoints explicitly
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	l, err := archive.Open(context.Background(), store, testSigner(tb), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close(context.Background()) })
	return l
}

// seal stands in for envelope encryption: it appends a digest over the
// wrapped key and payload, which testOpen checks, so a changed byte
// anywhere in Sealed "does not decrypt".
func seal(wrapped, payload []byte) []byte {
	sum := sha256.Sum256(append(bytes.Clone(wrapped), payload...))
	return append(bytes.Clone(payload), sum[:]...)
}

func testOpen(ctx context.Context, r *steward.Record) error {
	if len(r.Sealed) < sha256.Size {
		return fmt.Errorf("ciphertext too short")
	}
	payload := r.Sealed[:len(r.Sealed)-sha256.Size]
	if !bytes.Equal(seal(r.WrappedKey, payload), r.Sealed) {
		return fmt.Errorf("message authentication failed")
	}
	return nil
}

// newRecord returns the i'th test record, not yet appended.
func newRecord(i int) *steward.Record {
	wrapped := []byte(fmt.Sprintf("wrapped-dek-%d", i))
	meta, _ := json.Marshal(steward.RecordMeta{Channel: "signal", ChannelID: fmt.Sprint(1700000000000 + i), Type: "message",
		Direction: steward.DirInbound, Sender: "+15550100", Recipients: []string{"+15550101"}})
	return &steward.Record{
		ID:             fmt.Sprintf("rec-%06d", i),
		LeafIndex:      -1,
		Kind:           steward.RecordMessage,
		IdempotencyKey: fmt.Sprintf("signal:%d", 1700000000000+i),
		Meta:           meta,
		Sealed:         seal(wrapped, []byte(fmt.Sprintf("message body number %d", i))),
		KeyID:          "kek-1",
		WrappedKey:     wrapped,
	}
}

// newAttachment returns an attachment record whose sealed bytes are put
// in blobs.
func newAttachment(tb testing.TB, i int, blobs steward.BlobStore) *steward.Record {
	tb.Helper()
	r := newRecord(i)
	data := bytes.Repeat([]byte(fmt.Sprintf("attachment %d ", i)), 100)
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	if err := blobs.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		tb.Fatal(err)
	}
	r.Kind = steward.RecordAttachment
	r.Meta, _ = json.Marshal(steward.RecordMeta{Parent: "rec-parent", Blob: &steward.BlobRef{Key: key, Size: int64(len(data)), SHA256: key}})
	return r
}

// refRoot computes the RFC 6962 root of the store's first n leaves with
// transparency-dev/merkle, independently of tlog.
func refRoot(tb testing.TB, s *memStore, n int64) steward.Hash {
	tb.Helper()
	if n == 0 {
		return steward.Hash(rfc6962.DefaultHasher.EmptyRoot())
	}
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := f.NewEmptyRange(0)
	for i := range n {
		if err := r.Append(rfc6962.DefaultHasher.HashLeaf(s.record(i).Leaf), nil); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return steward.Hash(root)
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func checkpointSizes(tb testing.TB, s *memStore) []int64 {
	tb.Helper()
	cps, err := s.Checkpoints(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var sizes []int64
	for _, cp := range cps {
		sizes = append(sizes, cp.Size)
	}
	return sizes
}

func mustAppend(tb testing.TB, l *archive.Log, recs ...*steward.Record) []archive.Result {
	tb.Helper()
	res, err := l.Append(context.Background(), recs...)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func mustVerify(tb testing.TB, opts archive.VerifyOptions) *archive.Report {
	tb.Helper()
	if opts.Verifier == nil {
		opts.Verifier = testVerifier(tb)
	}
	rep, err := archive.Verify(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}
