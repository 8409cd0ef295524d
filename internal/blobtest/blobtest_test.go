package blobtest_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/blobtest"
	"github.com/steward-gov/steward/internal/steward"
)

// memStore is the smallest store that meets the contract. Running the
// suite against it checks that the suite asks for nothing beyond
// steward.BlobStore and the rules in the package comment.
type memStore struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func valid(key string) bool {
	if len(key) != 64 {
		return false
	}
	for _, c := range []byte(key) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (m *memStore) Put(ctx context.Context, key string, r io.Reader) error {
	if !valid(key) {
		return steward.E(steward.Invalid, "bad key")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[key] = b
	return nil
}

func (m *memStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if !valid(key) {
		return nil, steward.E(steward.Invalid, "bad key")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, steward.E(steward.NotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Stat(ctx context.Context, key string) (int64, error) {
	if !valid(key) {
		return 0, steward.E(steward.Invalid, "bad key")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return 0, steward.E(steward.NotFound)
	}
	return int64(len(b)), nil
}

func (m *memStore) Delete(ctx context.Context, key string) error {
	if !valid(key) {
		return steward.E(steward.Invalid, "bad key")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, key)
	return nil
}

func (m *memStore) List(ctx context.Context, fn func(string) error) error {
	m.mu.Lock()
	var keys []string
	for k := range m.blobs {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

func TestSuiteAgainstMemory(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) steward.BlobStore {
		return &memStore{blobs: make(map[string][]byte)}
	})
}
