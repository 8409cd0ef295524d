package archive_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

func TestLeafRoundTrip(t *testing.T) {
	r := newRecord(7)
	r.CapturedAt = time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	b := archive.EncodeLeaf(r)
	l, err := archive.DecodeLeaf(b)
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != r.Kind || l.RecordID != r.ID || l.IdempotencyKey != r.IdempotencyKey || !l.CapturedAt.Equal(r.CapturedAt) {
		t.Fatalf("decoded %+v from %+v", l, r)
	}
	if l.MetaHash != sha256.Sum256(r.Meta) || l.SealedHash != sha256.Sum256(r.Sealed) {
		t.Fatal("digests differ")
	}
	if got := l.Encode(); !bytes.Equal(got, b) {
		t.Fatalf("re-encoded %x, want %x", got, b)
	}
	if got, want := archive.LeafHash(b), rfc6962.DefaultHasher.HashLeaf(b); !bytes.Equal(got[:], want) {
		t.Fatalf("LeafHash = %x, want RFC 6962 leaf hash %x", got, want)
	}
}

func TestLeafExcludesWrappedKey(t *testing.T) {
	r := newRecord(1)
	before := archive.EncodeLeaf(r)
	r.WrappedKey, r.KeyID = nil, ""
	if !bytes.Equal(before, archive.EncodeLeaf(r)) {
		t.Fatal("shredding the data key changed the leaf")
	}
}

func TestDecodeLeafRejects(t *testing.T) {
	r := newRecord(1)
	good := archive.EncodeLeaf(r)
	long := func(n int) *steward.Record {
		c := *r
		c.IdempotencyKey = strings.Repeat("k", n)
		return &c
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"Empty", nil},
		{"BadMagic", append([]byte("STL2"), good[4:]...)},
		{"Truncated", good[:len(good)-1]},
		{"Trailing", append(bytes.Clone(good), 0)},
		{"EmptyKind", append([]byte("STL1\x00"), good[4+1+len(r.Kind):]...)},
		{"KeyTooLong", archive.EncodeLeaf(long(archive.MaxKeyLen + 1))},
		{"PaddedLength", append([]byte("STL1\x87\x00"), good[5:]...)}, // 7 as two bytes
		{"HugeLength", append([]byte("STL1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), good[5:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := archive.DecodeLeaf(tt.b); !steward.Is(steward.Invalid, err) {
				t.Fatalf("err = %v, want Invalid", err)
			}
		})
	}
	if _, err := archive.DecodeLeaf(archive.EncodeLeaf(long(archive.MaxKeyLen))); err != nil {
		t.Fatalf("key of maximum length: %v", err)
	}
}

func FuzzDecodeLeaf(f *testing.F) {
	f.Add(archive.EncodeLeaf(newRecord(1)))
	f.Add([]byte("STL1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := archive.DecodeLeaf(b)
		if err != nil {
			return
		}
		if got := l.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("DecodeLeaf(%x) re-encodes as %x", b, got)
		}
	})
}
