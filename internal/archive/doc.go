// Package archive is Steward's tamper-evident record log: an RFC 6962
// Merkle tree over every archive record, grown by a group-committing
// writer, summarized by signed C2SP checkpoints, and checked end to end by
// an offline verifier.
//
// The tree arithmetic is golang.org/x/mod/sumdb/tlog and the signatures are
// golang.org/x/mod/sumdb/note; this package only decides what a leaf is
// (see [EncodeLeaf]), where the tree's stored hashes live (in each record's
// TreeHashes, persisted by a [steward.LogStore] in the same transaction as
// the record), and when checkpoints are issued. docs/archive-format.md
// describes the formats precisely enough to write an independent verifier.
//
// The package imports no adapter: storage arrives as a steward.LogStore and
// steward.BlobStore, and decryption (for [Verify]) as a function.
package archive
