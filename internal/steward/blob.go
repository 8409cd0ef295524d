package steward

import (
	"context"
	"io"
)

// BlobStore keeps opaque, already-sealed attachment bytes under a key. It
// never sees plaintext.
//
// Keys are lowercase hex strings (the SHA-256 of the sealed bytes);
// implementations may reject other keys with Invalid.
type BlobStore interface {
	// Put stores the bytes read from r under key, durably, before
	// returning. Putting an existing key again succeeds and keeps one copy.
	// Returns Unavailable when the backend cannot take writes (disk full).
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the bytes under key. Returns NotFound if absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns the stored size. Returns NotFound if absent.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for each stored key, in no particular order.
	List(ctx context.Context, fn func(key string) error) error
}

// KeyWrapper is the small KMS interface: it wraps and unwraps per-record
// data keys with a key-encryption key (KEK) that never leaves it.
type KeyWrapper interface {
	// KeyID names the KEK that Wrap uses now.
	KeyID() string
	// Wrap encrypts a data key, binding it to aad (the record id).
	Wrap(ctx context.Context, dek, aad []byte) ([]byte, error)
	// Unwrap decrypts a data key wrapped by the KEK named keyID. Returns
	// NotFound if that KEK is unknown, Invalid if the wrapped key or aad
	// does not authenticate.
	Unwrap(ctx context.Context, keyID string, wrapped, aad []byte) ([]byte, error)
}
