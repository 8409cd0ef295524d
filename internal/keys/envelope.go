package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"

	"github.com/steward-gov/steward/internal/steward"
)

// Envelope seals and opens archive records under per-record data keys,
// which KEK wraps. It is safe for concurrent use if KEK is.
//
// The record id is the additional authenticated data of both the content
// and the wrapped key, so neither can be moved onto another record without
// failing to open.
type Envelope struct {
	KEK steward.KeyWrapper
}

// SealRecord seals content into r under a fresh random data key: it sets
// r.Sealed to nonce || AES-256-GCM(dek, content, aad = r.ID), and r.KeyID
// and r.WrappedKey to the current KEK's id and the wrapped data key. It
// changes r only on success. The pipeline calls it for every record before
// the log append.
//
// It returns the data key so that the caller can seal an attachment's bytes
// under it with SealBytes; the caller must call Zero on it when done.
//
// Returns Invalid if r.ID is empty, and the KEK's error (Unavailable for a
// KMS that cannot be reached) if wrapping fails.
func (e *Envelope) SealRecord(ctx context.Context, r *steward.Record, content []byte) ([]byte, error) {
	const op steward.Op = "keys.SealRecord"
	if r.ID == "" {
		return nil, steward.E(op, steward.Invalid, "record has no id")
	}
	if e.KEK == nil {
		return nil, steward.E(op, steward.Internal, "no key-encryption key configured")
	}
	dek := make([]byte, KeySize)
	rand.Read(dek)
	aad := []byte(r.ID)
	sealed := newAEAD(dek).Seal(nil, nil, content, aad)

	// KeyID is read before Wrap; a KeyWrapper whose current key can change
	// must not switch between the two calls (a Keyring never does).
	keyID := e.KEK.KeyID()
	wrapped, err := e.KEK.Wrap(ctx, dek, aad)
	if err != nil {
		Zero(dek)
		return nil, steward.E(op, err)
	}
	r.Sealed, r.KeyID, r.WrappedKey = sealed, keyID, wrapped
	return dek, nil
}

// OpenRecord returns the plaintext content of r. Callers (record reads,
// exports, discovery) must authorize and audit the read first.
//
// Returns Gone if r's data key was destroyed by disposition, Integrity with
// "record content does not authenticate" if the sealed content or wrapped
// key was altered or moved from another record, and Internal if the KEK
// that wrapped r's key is not configured (an operator removed it too soon,
// or the record comes from another installation).
func (e *Envelope) OpenRecord(ctx context.Context, r *steward.Record) ([]byte, error) {
	const op steward.Op = "keys.OpenRecord"
	dek, err := e.unwrap(ctx, op, r)
	if err != nil {
		return nil, err
	}
	defer Zero(dek)
	plain, err := OpenBytes(dek, []byte(r.ID), r.Sealed)
	if err != nil {
		return nil, steward.E(op, "record content does not authenticate", err)
	}
	return plain, nil
}

// RecordKey returns r's unwrapped data key, with which the caller opens the
// record's attachment blob (OpenBytes); the caller must call Zero on it when
// done. The errors are those of OpenRecord.
func (e *Envelope) RecordKey(ctx context.Context, r *steward.Record) ([]byte, error) {
	return e.unwrap(ctx, "keys.RecordKey", r)
}

func (e *Envelope) unwrap(ctx context.Context, op steward.Op, r *steward.Record) ([]byte, error) {
	if r.Shredded() {
		return nil, steward.E(op, steward.Gone, "content destroyed by disposition")
	}
	if e.KEK == nil {
		return nil, steward.E(op, steward.Internal, "no key-encryption key configured")
	}
	dek, err := e.KEK.Unwrap(ctx, r.KeyID, r.WrappedKey, []byte(r.ID))
	switch {
	case err == nil:
		return dek, nil
	case steward.Is(steward.NotFound, err):
		// The record exists; a missing KEK is a configuration fault, and
		// NotFound would read as "no such record" at the edge.
		return nil, steward.E(op, steward.Internal, err)
	case steward.Is(steward.Invalid, err):
		return nil, steward.E(op, steward.Integrity, "record content does not authenticate", err)
	default:
		return nil, steward.E(op, err)
	}
}

// SealBytes encrypts plaintext under dek, a 32-byte data key, bound to aad,
// and returns nonce || AES-256-GCM ciphertext and tag. Each data key must
// seal only a handful of messages (the pipeline seals two: a record's
// content and its attachment).
//
// Returns Internal if dek is not 32 bytes.
func SealBytes(dek, aad, plaintext []byte) ([]byte, error) {
	const op steward.Op = "keys.SealBytes"
	if len(dek) != KeySize {
		return nil, steward.Errorf(op, steward.Internal, "data key is %d bytes, want %d", len(dek), KeySize)
	}
	return newAEAD(dek).Seal(nil, nil, plaintext, aad), nil
}

// OpenBytes decrypts what SealBytes sealed under dek and aad.
//
// Returns Integrity if sealed was altered, or was sealed under another key or
// aad; Internal if dek is not 32 bytes.
func OpenBytes(dek, aad, sealed []byte) ([]byte, error) {
	const op steward.Op = "keys.OpenBytes"
	if len(dek) != KeySize {
		return nil, steward.Errorf(op, steward.Internal, "data key is %d bytes, want %d", len(dek), KeySize)
	}
	plain, err := newAEAD(dek).Open(nil, nil, sealed, aad)
	if err != nil {
		return nil, steward.E(op, steward.Integrity, "sealed bytes do not authenticate")
	}
	return plain, nil
}

// newAEAD returns AES-256-GCM under a data key with a random 12-byte nonce
// that Seal prepends and Open strips: the nonce || ciphertext format of
// sealed bytes. A data key seals at most a record and its blob, so random
// nonces are far inside their bound. key must be KeySize bytes; aes.NewCipher
// copies it, so the caller may zero it afterwards.
func newAEAD(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("keys: " + err.Error()) // unreachable: callers check the size
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("keys: " + err.Error()) // unreachable for an AES block
	}
	return aead
}
