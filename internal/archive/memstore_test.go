package archive_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// memStore is an in-memory steward.LogStore that keeps the contracts the
// archive relies on: AppendTx is exclusive and leaves no trace on error,
// ReadHashes maps a storage index to the record that stored it, and stored
// bytes are copies, never the caller's slices. Tests reach inside to
// inject failures and to tamper with what is stored.
type memStore struct {
	wmu sync.Mutex   // held for a whole write transaction
	mu  sync.RWMutex // guards the fields below against concurrent readers
	// recs[i] is leaf i. A record is replaced, never changed in place,
	// except by tests tampering before a Verify.
	recs  []*steward.Record
	byID  map[string]int64
	byKey map[string]int64
	cps   map[int64]*steward.Checkpoint

	// Failure injection. Tests set these through setHook.
	hmu        sync.Mutex
	beforeTx   func()                      // runs before fn, holding only wmu
	failInsert func(*steward.Record) error // fails an InsertRecord
	failCommit func() error                // fails a transaction after fn succeeded
	failAddCP  func() error                // fails an AddCheckpoint
	failSync   func() error                // fails a Sync
	syncs      int                         // Syncs so far
}

// setHook runs fn, which sets failure hooks, under the hook lock.
func (s *memStore) setHook(fn func()) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	fn()
}

var _ steward.LogStore = (*memStore)(nil)

// Sync is durable by construction in memory; it counts calls and can fail.
func (s *memStore) Sync(ctx context.Context) error {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.syncs++
	if s.failSync != nil {
		return s.failSync()
	}
	return ctx.Err()
}

func newMemStore() *memStore {
	return &memStore{byID: map[string]int64{}, byKey: map[string]int64{}, cps: map[int64]*steward.Checkpoint{}}
}

func (s *memStore) AppendTx(ctx context.Context, fn func(tx steward.LogTx) error) error {
	const op steward.Op = "memstore.AppendTx"
	if err := ctx.Err(); err != nil {
		return steward.E(op, steward.Unavailable, err)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.hmu.Lock()
	beforeTx, failInsert, failCommit := s.beforeTx, s.failInsert, s.failCommit
	s.hmu.Unlock()
	if beforeTx != nil {
		beforeTx()
	}
	s.mu.RLock()
	tx := &memTx{s: s, base: int64(len(s.recs)), ids: map[string]int64{}, keys: map[string]int64{}, failInsert: failInsert}
	s.mu.RUnlock()
	if err := fn(tx); err != nil {
		return err
	}
	if failCommit != nil {
		if err := failCommit(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range tx.added {
		s.byID[r.ID] = r.LeafIndex
		s.byKey[r.IdempotencyKey] = r.LeafIndex
		s.recs = append(s.recs, r)
	}
	return nil
}

type memTx struct {
	s          *memStore
	base       int64
	added      []*steward.Record
	ids        map[string]int64
	keys       map[string]int64
	failInsert func(*steward.Record) error
}

func (tx *memTx) Size() (int64, error) { return tx.base + int64(len(tx.added)), nil }

func (tx *memTx) FindByIdempotencyKeys(keys []string) (map[string]steward.RecordRef, error) {
	tx.s.mu.RLock()
	defer tx.s.mu.RUnlock()
	out := map[string]steward.RecordRef{}
	for _, k := range keys {
		if i, ok := tx.s.byKey[k]; ok {
			r := tx.s.recs[i]
			out[k] = steward.RecordRef{ID: r.ID, LeafIndex: i, Kind: r.Kind}
		} else if i, ok := tx.keys[k]; ok {
			r := tx.added[i-tx.base]
			out[k] = steward.RecordRef{ID: r.ID, LeafIndex: i, Kind: r.Kind}
		}
	}
	return out, nil
}

func (tx *memTx) ReadHashes(indexes []int64) ([]steward.Hash, error) {
	tx.s.mu.RLock()
	defer tx.s.mu.RUnlock()
	return readHashes(indexes, func(i int64) *steward.Record {
		switch {
		case i < int64(len(tx.s.recs)):
			return tx.s.recs[i]
		case i >= tx.base && i-tx.base < int64(len(tx.added)):
			return tx.added[i-tx.base]
		}
		return nil
	})
}

func (tx *memTx) InsertRecords(rs []*steward.Record) error {
	for _, r := range rs {
		if err := tx.insertRecord(r); err != nil {
			return err
		}
	}
	return nil
}

func (tx *memTx) insertRecord(r *steward.Record) error {
	const op steward.Op = "memstore.InsertRecord"
	if tx.failInsert != nil {
		if err := tx.failInsert(r); err != nil {
			return err
		}
	}
	if n, _ := tx.Size(); r.LeafIndex != n {
		return steward.Errorf(op, steward.Invalid, "leaf index %d, want %d", r.LeafIndex, n)
	}
	tx.s.mu.RLock()
	_, dupID := tx.s.byID[r.ID]
	_, dupKey := tx.s.byKey[r.IdempotencyKey]
	tx.s.mu.RUnlock()
	if _, ok := tx.ids[r.ID]; ok || dupID {
		return steward.E(op, steward.Conflict, "record id exists")
	}
	if _, ok := tx.keys[r.IdempotencyKey]; ok || dupKey {
		return steward.E(op, steward.Conflict, "idempotency key exists")
	}
	c := *r
	c.Meta = bytes.Clone(r.Meta)
	c.Sealed = bytes.Clone(r.Sealed)
	c.WrappedKey = bytes.Clone(r.WrappedKey)
	c.Leaf = bytes.Clone(r.Leaf)
	c.TreeHashes = bytes.Clone(r.TreeHashes)
	tx.ids[r.ID] = r.LeafIndex
	tx.keys[r.IdempotencyKey] = r.LeafIndex
	tx.added = append(tx.added, &c)
	return nil
}

// readHashes implements the stored-hash layout: storage index i holds the
// hash at (level L, position n) = tlog.SplitStoredHashIndex(i), which was
// stored by leaf m = (n+1)<<L - 1 (the last leaf of that subtree), at
// offset i - StoredHashIndex(0, m) of m's TreeHashes.
func readHashes(indexes []int64, rec func(int64) *steward.Record) ([]steward.Hash, error) {
	const op steward.Op = "memstore.ReadHashes"
	out := make([]steward.Hash, len(indexes))
	for j, i := range indexes {
		l, n := tlog.SplitStoredHashIndex(i)
		m := (n+1)<<l - 1
		off := i - tlog.StoredHashIndex(0, m)
		r := rec(m)
		if r == nil || int64(len(r.TreeHashes)) < (off+1)*32 {
			return nil, steward.Errorf(op, steward.NotFound, "stored hash %d not found", i)
		}
		copy(out[j][:], r.TreeHashes[off*32:])
	}
	return out, nil
}

func (s *memStore) FindByIdempotencyKeys(ctx context.Context, keys []string) (map[string]steward.RecordRef, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := map[string]steward.RecordRef{}
	for _, k := range keys {
		if i, ok := s.byKey[k]; ok {
			r := s.recs[i]
			found[k] = steward.RecordRef{ID: r.ID, LeafIndex: r.LeafIndex, Kind: r.Kind}
		}
	}
	return found, nil
}

func (s *memStore) LogSize(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return int64(len(s.recs)), nil
}

func (s *memStore) RecordByID(ctx context.Context, id string) (*steward.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.byID[id]
	if !ok {
		return nil, steward.E(steward.Op("memstore.RecordByID"), steward.NotFound, "no such record")
	}
	c := *s.recs[i]
	return &c, nil
}

func (s *memStore) RecordAt(ctx context.Context, index int64) (*steward.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if index < 0 || index >= int64(len(s.recs)) {
		return nil, steward.E(steward.Op("memstore.RecordAt"), steward.NotFound, "no such record")
	}
	c := *s.recs[index]
	return &c, nil
}

func (s *memStore) ScanRecords(ctx context.Context, from int64, fn func(*steward.Record) error) error {
	s.mu.RLock()
	recs := s.recs
	s.mu.RUnlock()
	for i := from; i < int64(len(recs)); i++ {
		if recs[i] == nil {
			continue // deleted by a test
		}
		c := *recs[i]
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) ReadHashes(ctx context.Context, indexes []int64) ([]steward.Hash, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return readHashes(indexes, func(i int64) *steward.Record {
		if i < int64(len(s.recs)) {
			return s.recs[i]
		}
		return nil
	})
}

func (s *memStore) ShredKey(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byID[id]
	if !ok {
		return steward.E(steward.Op("memstore.ShredKey"), steward.NotFound, "no such record")
	}
	c := *s.recs[i]
	c.WrappedKey = nil
	s.recs[i] = &c
	return nil
}

func (s *memStore) AddCheckpoint(ctx context.Context, cp *steward.Checkpoint) error {
	s.hmu.Lock()
	failAddCP := s.failAddCP
	s.hmu.Unlock()
	if failAddCP != nil {
		if err := failAddCP(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cps[cp.Size]; !ok {
		c := *cp
		c.Note = bytes.Clone(cp.Note)
		s.cps[cp.Size] = &c
	}
	return nil
}

func (s *memStore) Checkpoints(ctx context.Context) ([]*steward.Checkpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*steward.Checkpoint, 0, len(s.cps))
	for _, cp := range s.cps {
		c := *cp
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *steward.Checkpoint) int { return int(a.Size - b.Size) })
	return out, nil
}

func (s *memStore) LatestCheckpoint(ctx context.Context) (*steward.Checkpoint, error) {
	cps, _ := s.Checkpoints(ctx)
	if len(cps) == 0 {
		return nil, steward.E(steward.Op("memstore.LatestCheckpoint"), steward.NotFound, "no checkpoint")
	}
	return cps[len(cps)-1], nil
}

// Tampering helpers. They replace the stored record with a modified copy.

func (s *memStore) tamper(i int64, fn func(r *steward.Record)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.recs[i]
	c.Meta, c.Sealed, c.Leaf, c.TreeHashes = bytes.Clone(c.Meta), bytes.Clone(c.Sealed), bytes.Clone(c.Leaf), bytes.Clone(c.TreeHashes)
	fn(&c)
	s.recs[i] = &c
}

func (s *memStore) tamperCheckpoint(size int64, fn func(cp *steward.Checkpoint)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.cps[size]
	c.Note = bytes.Clone(c.Note)
	fn(&c)
	s.cps[size] = &c
}

// remove deletes the record at i, leaving a hole in the leaf indexes.
func (s *memStore) remove(i int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := slices.Clone(s.recs)
	delete(s.byID, recs[i].ID)
	delete(s.byKey, recs[i].IdempotencyKey)
	recs[i] = nil
	s.recs = recs
}

// truncate cuts the log back to n records, and drops the checkpoints
// above n too if dropCheckpoints (a careful attacker, or a restored backup).
func (s *memStore) truncate(n int64, dropCheckpoints bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.recs[n:] {
		delete(s.byID, r.ID)
		delete(s.byKey, r.IdempotencyKey)
	}
	s.recs = slices.Clone(s.recs[:n])
	if dropCheckpoints {
		for size := range s.cps {
			if size > n {
				delete(s.cps, size)
			}
		}
	}
}

func (s *memStore) record(i int64) *steward.Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.recs[i]
}

// memBlobs is an in-memory steward.BlobStore.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

var _ steward.BlobStore = (*memBlobs)(nil)

func newMemBlobs() *memBlobs { return &memBlobs{m: map[string][]byte{}} }

func (b *memBlobs) Put(ctx context.Context, key string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[key] = data
	return nil
}

func (b *memBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.m[key]
	if !ok {
		return nil, steward.E(steward.Op("memblobs.Get"), steward.NotFound, "no such blob")
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (b *memBlobs) Stat(ctx context.Context, key string) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.m[key]
	if !ok {
		return 0, steward.E(steward.Op("memblobs.Stat"), steward.NotFound, "no such blob")
	}
	return int64(len(data)), nil
}

func (b *memBlobs) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, key)
	return nil
}

func (b *memBlobs) List(ctx context.Context, fn func(key string) error) error {
	b.mu.Lock()
	keys := make([]string, 0, len(b.m))
	for k := range b.m {
		keys = append(keys, k)
	}
	b.mu.Unlock()
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// tamper flips a byte of a stored blob, in a copy.
func (b *memBlobs) tamper(key string, at int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := bytes.Clone(b.m[key])
	data[at] ^= 0x01
	b.m[key] = data
}

func (s *memStore) RecordsByKind(ctx context.Context, kind steward.RecordKind, before int64, limit int) ([]*steward.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*steward.Record
	for i := len(s.recs) - 1; i >= 0 && len(out) < limit; i-- {
		r := s.recs[i]
		if r.Kind == kind && (before < 0 || r.LeafIndex < before) {
			c := *r
			out = append(out, &c)
		}
	}
	return out, nil
}
