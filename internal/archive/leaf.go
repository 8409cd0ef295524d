package archive

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// Leaf encoding, version 1. The byte layout is specified in
// docs/archive-format.md; changing anything here is a format change.
const (
	leafMagic = "STL1"

	// MaxKindLen, MaxIDLen and MaxKeyLen bound the strings of a leaf, in
	// bytes. Append rejects records that exceed them, and DecodeLeaf
	// rejects leaves that do.
	MaxKindLen = 64
	MaxIDLen   = 64
	MaxKeyLen  = 1024

	digestsLen = 8 + sha256.Size + sha256.Size // captured_at, SHA-256(Meta), SHA-256(Sealed)
)

// Leaf is a decoded leaf: what the log commits to for one record.
//
// It holds digests of the record's metadata and ciphertext, never the
// plaintext, so a published leaf or proof cannot confirm a guess about the
// content. It does not cover the wrapped data key either, which is why
// shredding that key leaves the log verifiable.
type Leaf struct {
	Kind           steward.RecordKind
	RecordID       string
	IdempotencyKey string
	CapturedAt     time.Time    // UTC, nanosecond precision
	MetaHash       steward.Hash // SHA-256 of Record.Meta
	SealedHash     steward.Hash // SHA-256 of Record.Sealed
}

// EncodeLeaf returns the version 1 leaf encoding of r, computed from r's
// Kind, ID, IdempotencyKey, CapturedAt, Meta and Sealed. It does not check
// the length bounds; Append does that before a record is logged, and a
// leaf built from an out-of-bounds record fails DecodeLeaf.
func EncodeLeaf(r *steward.Record) []byte {
	return appendLeaf(make([]byte, 0, leafLen(r.Kind, r.ID, r.IdempotencyKey)),
		r.Kind, r.ID, r.IdempotencyKey, r.CapturedAt.UnixNano(),
		sha256.Sum256(r.Meta), sha256.Sum256(r.Sealed))
}

// Encode returns the leaf encoding of l. For any l returned by DecodeLeaf
// it returns exactly the bytes that were decoded.
func (l *Leaf) Encode() []byte {
	return appendLeaf(make([]byte, 0, leafLen(l.Kind, l.RecordID, l.IdempotencyKey)),
		l.Kind, l.RecordID, l.IdempotencyKey, l.CapturedAt.UnixNano(), l.MetaHash, l.SealedHash)
}

// leafLen is the encoded size of a leaf with these strings.
func leafLen(kind steward.RecordKind, id, key string) int {
	return len(leafMagic) +
		uvarintLen(len(kind)) + len(kind) +
		uvarintLen(len(id)) + len(id) +
		uvarintLen(len(key)) + len(key) +
		digestsLen
}

// appendLeaf appends a leaf encoding to dst. The writer calls it with the
// digests already computed by the producer's goroutine, so that the single
// writer goroutine never hashes record content.
func appendLeaf(dst []byte, kind steward.RecordKind, id, key string, capturedAt int64, meta, sealed steward.Hash) []byte {
	dst = append(dst, leafMagic...)
	dst = binary.AppendUvarint(dst, uint64(len(kind)))
	dst = append(dst, kind...)
	dst = binary.AppendUvarint(dst, uint64(len(id)))
	dst = append(dst, id...)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(capturedAt))
	dst = append(dst, meta[:]...)
	dst = append(dst, sealed[:]...)
	return dst
}

// DecodeLeaf parses a version 1 leaf. It is strict, so that every leaf has
// exactly one encoding: the magic must match, each string must be 1 to its
// maximum length with a minimally encoded length prefix, and nothing may
// follow the sealed-content digest. Returns Invalid otherwise.
func DecodeLeaf(b []byte) (Leaf, error) {
	const op steward.Op = "archive.DecodeLeaf"
	var l Leaf
	if len(b) < len(leafMagic) || string(b[:len(leafMagic)]) != leafMagic {
		return l, steward.E(op, steward.Invalid, "leaf: bad magic")
	}
	b = b[len(leafMagic):]
	kind, b, ok := readString(b, MaxKindLen)
	if !ok {
		return l, steward.E(op, steward.Invalid, "leaf: bad kind")
	}
	id, b, ok := readString(b, MaxIDLen)
	if !ok {
		return l, steward.E(op, steward.Invalid, "leaf: bad record id")
	}
	key, b, ok := readString(b, MaxKeyLen)
	if !ok {
		return l, steward.E(op, steward.Invalid, "leaf: bad idempotency key")
	}
	if len(b) != digestsLen {
		return l, steward.E(op, steward.Invalid, "leaf: wrong length")
	}
	l.Kind = steward.RecordKind(kind)
	l.RecordID = id
	l.IdempotencyKey = key
	l.CapturedAt = time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
	copy(l.MetaHash[:], b[8:])
	copy(l.SealedHash[:], b[8+sha256.Size:])
	return l, nil
}

// readString reads a uvarint length prefix and that many bytes.
func readString(b []byte, max int) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	// w == uvarintLen(n) rejects padded prefixes such as 0x85 0x00, which
	// would otherwise give one leaf two encodings (and two hashes).
	if w <= 0 || n == 0 || n > uint64(max) || w != uvarintLen(int(n)) || uint64(len(b)-w) < n {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// uvarintLen is the size of the minimal uvarint encoding of n ≥ 0.
func uvarintLen(n int) int {
	return (bits.Len64(uint64(n)|1) + 6) / 7
}

// LeafHash returns the RFC 6962 leaf hash of a leaf encoding:
// SHA-256(0x00 || leaf), the same as tlog.RecordHash.
func LeafHash(leaf []byte) steward.Hash {
	return steward.Hash(tlog.RecordHash(leaf))
}
