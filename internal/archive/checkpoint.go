package archive

import (
	"crypto/rand"
	"math"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/steward"
)

// GenerateKey returns a new Ed25519 checkpoint signing key and its public
// verifier key, in golang.org/x/mod/sumdb/note encoding, both named origin:
//
//	skey  PRIVATE+KEY+<origin>+<hash>+<base64>   (keep secret)
//	vkey  <origin>+<hash>+<base64>                (publish)
//
// The origin names the log in every checkpoint, e.g.
// "archive.example.org/steward". It must be non-empty and contain no
// spaces or plus signs. Returns Invalid otherwise.
func GenerateKey(origin string) (skey, vkey string, err error) {
	const op steward.Op = "archive.GenerateKey"
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", steward.E(op, steward.Internal, err)
	}
	// note.GenerateKey does not check the name; NewSigner does.
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", steward.E(op, steward.Invalid, "origin must be non-empty, without spaces or '+'", err)
	}
	return skey, vkey, nil
}

// NewSigner parses a signing key made by GenerateKey. Returns Invalid if it
// is malformed.
func NewSigner(skey string) (note.Signer, error) {
	const op steward.Op = "archive.NewSigner"
	s, err := note.NewSigner(skey)
	if err != nil {
		// The error text of note never contains key material.
		return nil, steward.E(op, steward.Invalid, "malformed checkpoint signing key", err)
	}
	return s, nil
}

// NewVerifier parses a verifier key made by GenerateKey. Returns Invalid if
// it is malformed.
func NewVerifier(vkey string) (note.Verifier, error) {
	const op steward.Op = "archive.NewVerifier"
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "malformed checkpoint verifier key", err)
	}
	return v, nil
}

// ParseCheckpoint verifies a signed checkpoint note: it must carry a valid
// signature by v, and its body must be a C2SP checkpoint for origin with a
// 32-byte root. Extension lines after the root are allowed by C2SP and
// ignored (Steward issues none). Returns Invalid on any failure.
//
// The result's Note is a copy of noteText; CreatedAt is zero, since the
// note does not carry a time.
func ParseCheckpoint(noteText []byte, v note.Verifier, origin string) (*steward.Checkpoint, error) {
	const op steward.Op = "archive.ParseCheckpoint"
	if v == nil {
		return nil, steward.E(op, steward.Invalid, "no checkpoint verifier key")
	}
	c, _, _, err := log.ParseCheckpoint(noteText, origin, v)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "checkpoint signature or origin does not verify", err)
	}
	if len(c.Hash) != len(steward.Hash{}) || c.Size > math.MaxInt64 {
		return nil, steward.E(op, steward.Invalid, "checkpoint size or root hash out of range")
	}
	cp := &steward.Checkpoint{Size: int64(c.Size), Note: append([]byte(nil), noteText...)}
	copy(cp.Root[:], c.Hash)
	return cp, nil
}

// signCheckpoint builds and signs the checkpoint note for a tree.
func signCheckpoint(s note.Signer, origin string, size int64, root steward.Hash, now time.Time) (*steward.Checkpoint, error) {
	body := log.Checkpoint{Origin: origin, Size: uint64(size), Hash: root[:]}.Marshal()
	msg, err := note.Sign(&note.Note{Text: string(body)}, s)
	if err != nil {
		return nil, err
	}
	return &steward.Checkpoint{Size: size, Root: root, Note: msg, CreatedAt: now}, nil
}
