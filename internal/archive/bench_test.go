package archive_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

// BenchmarkAppend measures captures per second with concurrent producers,
// each appending one ~600-byte record per call and waiting for it: the
// shape of live capture. "fsync2ms" adds 2 ms to every store transaction,
// as a disk flush would, to show group commit absorbing it; there a
// producer waits up to two commits, so throughput is bounded by about
// producers / 4 ms.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		delay     time.Duration
		producers int
	}{{0, 32}, {2 * time.Millisecond, 32}, {2 * time.Millisecond, 256}} {
		name := fmt.Sprintf("mem/producers=%d", bc.producers)
		if bc.delay > 0 {
			name = fmt.Sprintf("fsync2ms/producers=%d", bc.producers)
		}
		b.Run(name, func(b *testing.B) {
			s := newMemStore()
			if bc.delay > 0 {
				s.setHook(func() { s.beforeTx = func() { time.Sleep(bc.delay) } })
			}
			l := openLog(b, s, archive.Options{})
			meta := newRecord(0).Meta
			sealed := bytes.Repeat([]byte{0xA5}, 512)
			wrapped := bytes.Repeat([]byte{0x5A}, 60)
			var seq atomic.Int64
			b.SetParallelism(max(1, bc.producers/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := strconv.FormatInt(seq.Add(1), 10)
					r := &steward.Record{ID: "rec-" + i, LeafIndex: -1, Kind: steward.RecordMessage,
						IdempotencyKey: "signal:" + i, Meta: meta, Sealed: sealed, KeyID: "kek-1", WrappedKey: wrapped}
					if _, err := l.Append(ctx, r); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// benchArchive builds an archive of n records with AES-GCM sealed content
// of size bytes, every tenth an attachment with a 64 KiB blob.
func benchArchive(b *testing.B, n, size int) (*memStore, *memBlobs, cipher.AEAD) {
	b.Helper()
	key := sha256.Sum256([]byte("bench key"))
	block, _ := aes.NewCipher(key[:])
	aead, _ := cipher.NewGCM(block)
	s, blobs := newMemStore(), newMemBlobs()
	l := openLog(b, s, archive.Options{CheckpointEvery: 1000})
	plain := bytes.Repeat([]byte("lorem ipsum "), size/12+1)[:size]
	blob := bytes.Repeat([]byte{0x42}, 64<<10)
	batch := make([]*steward.Record, 0, 100)
	for i := range n {
		nonce := make([]byte, aead.NonceSize())
		copy(nonce, strconv.Itoa(i))
		r := &steward.Record{ID: fmt.Sprintf("rec-%d", i), LeafIndex: -1, Kind: steward.RecordMessage,
			IdempotencyKey: fmt.Sprintf("signal:%d", i), Meta: newRecord(i).Meta,
			Sealed: aead.Seal(nonce, nonce, plain, []byte(fmt.Sprintf("rec-%d", i))), KeyID: "kek-1", WrappedKey: []byte("wrapped")}
		if i%10 == 0 {
			blob[0] = byte(i)
			blob[1] = byte(i >> 8)
			sum := sha256.Sum256(blob)
			k := hex.EncodeToString(sum[:])
			blobs.Put(context.Background(), k, bytes.NewReader(blob))
			r.Kind = steward.RecordAttachment
			r.Meta, _ = json.Marshal(steward.RecordMeta{Blob: &steward.BlobRef{Key: k, Size: int64(len(blob)), SHA256: k}})
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			mustAppend(b, l, batch...)
			batch = batch[:0]
		}
	}
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s, blobs, aead
}

// BenchmarkVerify measures a full offline verification in archive bytes
// per second (the MB/s column): 20,000 records of 4 KiB sealed content and
// 2,000 attachment blobs of 64 KiB. "decrypt" also opens every record
// with AES-256-GCM.
func BenchmarkVerify(b *testing.B) {
	s, blobs, aead := benchArchive(b, 20000, 4096)
	open := func(ctx context.Context, r *steward.Record) error {
		ns := aead.NonceSize()
		_, err := aead.Open(nil, r.Sealed[:ns], r.Sealed[ns:], []byte(r.ID))
		return err
	}
	for _, bc := range []struct {
		name string
		open func(context.Context, *steward.Record) error
	}{{"hash", nil}, {"decrypt", open}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := archive.VerifyOptions{Store: s, Blobs: blobs, Verifier: testVerifier(b), Open: bc.open}
			rep := mustVerify(b, opts)
			if !rep.OK() {
				b.Fatalf("problems: %v", rep.Problems[:min(5, len(rep.Problems))])
			}
			b.SetBytes(rep.Bytes)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				mustVerify(b, opts)
			}
			b.ReportMetric(float64(rep.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
