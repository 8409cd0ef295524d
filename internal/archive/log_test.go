package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

func TestAppend(t *testing.T) {
	s := newMemStore()
	now := time.Date(2026, 11, 25, 9, 30, 0, 5, time.FixedZone("CET", 3600))
	l := openLog(t, s, archive.Options{Now: func() time.Time { return now }})
	r := newRecord(1)
	res := mustAppend(t, l, r)
	want := archive.Result{Ref: steward.RecordRef{ID: r.ID, LeafIndex: 0, Kind: steward.RecordMessage}}
	if len(res) != 1 || res[0] != want {
		t.Fatalf("Append = %+v, want %+v", res, want)
	}
	if l.Size() != 1 {
		t.Fatalf("Size = %d, want 1", l.Size())
	}
	got, err := s.RecordByID(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LeafIndex != 0 || !got.CapturedAt.Equal(now) || got.CapturedAt.Location() != time.UTC {
		t.Fatalf("stored LeafIndex %d CapturedAt %v", got.LeafIndex, got.CapturedAt)
	}
	if !bytes.Equal(got.Leaf, archive.EncodeLeaf(got)) {
		t.Fatal("stored leaf is not EncodeLeaf of the stored record")
	}
	if h := archive.LeafHash(got.Leaf); !bytes.Equal(got.TreeHashes, h[:]) {
		t.Fatalf("TreeHashes of leaf 0 = %x, want its leaf hash", got.TreeHashes)
	}
	if l.Origin() != testOrigin {
		t.Fatalf("Origin = %q", l.Origin())
	}
}

func TestAppendInvalid(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	tests := []struct {
		name string
		edit func(r *steward.Record)
	}{
		{"Kind", func(r *steward.Record) { r.Kind = "gossip" }},
		{"NoID", func(r *steward.Record) { r.ID = "" }},
		{"LongID", func(r *steward.Record) { r.ID = string(make([]byte, archive.MaxIDLen+1)) }},
		{"NoKey", func(r *steward.Record) { r.IdempotencyKey = "" }},
		{"LongKey", func(r *steward.Record) { r.IdempotencyKey = string(make([]byte, archive.MaxKeyLen+1)) }},
		{"Meta", func(r *steward.Record) { r.Meta = []byte(`{"channel":`) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := newRecord(100 + i)
			tt.edit(bad)
			if _, err := l.Append(context.Background(), newRecord(i), bad); !steward.Is(steward.Invalid, err) {
				t.Fatalf("err = %v, want Invalid", err)
			}
		})
	}
	if _, err := l.Append(context.Background(), nil); !steward.Is(steward.Invalid, err) {
		t.Fatalf("nil record: err = %v, want Invalid", err)
	}
	if n, _ := s.LogSize(context.Background()); n != 0 {
		t.Fatalf("store has %d records after rejected appends", n)
	}
}

// TestAppendConcurrent checks group commit under concurrent producers:
// every record is stored exactly once, and the tree is the RFC 6962 tree
// of the stored leaves according to an independent implementation.
func TestAppendConcurrent(t *testing.T) {
	const producers, each = 8, 2000
	s := newMemStore()
	l := openLog(t, s, archive.Options{CheckpointEvery: 500, MaxBatch: 256})
	var wg sync.WaitGroup
	refs := make([][]archive.Result, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				res, err := l.Append(context.Background(), newRecord(p*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				refs[p] = append(refs[p], res...)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	const n = producers * each
	if l.Size() != n {
		t.Fatalf("Size = %d, want %d", l.Size(), n)
	}
	seen := make([]bool, n)
	for p := range producers {
		for i, res := range refs[p] {
			r, err := s.RecordByID(context.Background(), newRecord(p*each+i).ID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Replayed || r.LeafIndex != res.Ref.LeafIndex || seen[r.LeafIndex] {
				t.Fatalf("record %s: result %+v, stored at %d (seen %v)", r.ID, res, r.LeafIndex, seen[r.LeafIndex])
			}
			seen[r.LeafIndex] = true
		}
	}
	cp, err := l.Checkpoint(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if want := refRoot(t, s, n); cp.Root != want {
		t.Fatalf("checkpoint root %x, independent root %x", cp.Root, want)
	}
	// Every checkpoint issued along the way matches the independent tree.
	cps, _ := s.Checkpoints(context.Background())
	if len(cps) < 2 {
		t.Fatalf("only %d checkpoints for %d records", len(cps), n)
	}
	for _, cp := range cps {
		if want := refRoot(t, s, cp.Size); cp.Root != want {
			t.Fatalf("checkpoint %d root %x, independent root %x", cp.Size, cp.Root, want)
		}
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, archive.VerifyOptions{Store: s, Open: testOpen}); !rep.OK() || rep.Records != n || rep.Decrypted != n {
		t.Fatalf("Verify: %+v", rep)
	}
}

func TestAppendReplay(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	mustAppend(t, l, newRecord(0))
	var (
		wg       sync.WaitGroup
		fresh    atomic.Int32
		mu       sync.Mutex
		refs     = map[steward.RecordRef]int{}
		template = newRecord(1)
	)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newRecord(1)
			r.ID = fmt.Sprintf("retry-%d", i) // a retry may even carry a new id
			res, err := l.Append(context.Background(), r)
			if err != nil {
				t.Error(err)
				return
			}
			if !res[0].Replayed {
				fresh.Add(1)
			}
			mu.Lock()
			refs[res[0].Ref]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fresh.Load() != 1 || len(refs) != 1 {
		t.Fatalf("%d fresh appends, refs %v; want 1 and one ref", fresh.Load(), refs)
	}
	if n, _ := s.LogSize(context.Background()); n != 2 {
		t.Fatalf("store has %d records, want 2", n)
	}
	// A later retry of the same key replays too.
	res := mustAppend(t, l, template)
	for ref := range refs {
		if !res[0].Replayed || res[0].Ref != ref {
			t.Fatalf("late retry = %+v, want replay of %+v", res[0], ref)
		}
	}
}

// TestAppendReplayPerRecord: a request whose first record is new stores
// its other new records and replays those already present; a request
// whose first record is already stored is a replay as a whole and stores
// nothing, not even records the original lacked.
func TestAppendReplayPerRecord(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	old := mustAppend(t, l, newRecord(1))[0].Ref

	first, a, b, c := newRecord(5), newRecord(1), newRecord(2), newRecord(2)
	a.ID, c.ID = "a-again", "c-dup"
	res := mustAppend(t, l, first, a, b, c)
	if res[0].Replayed || res[0].Ref.LeafIndex != 1 {
		t.Fatalf("new first record: %+v", res[0])
	}
	if !res[1].Replayed || res[1].Ref != old {
		t.Fatalf("stored key: %+v, want replay of %+v", res[1], old)
	}
	if res[2].Replayed || res[2].Ref.LeafIndex != 2 {
		t.Fatalf("new key: %+v", res[2])
	}
	if !res[3].Replayed || res[3].Ref != res[2].Ref {
		t.Fatalf("key repeated in the request: %+v, want replay of %+v", res[3], res[2].Ref)
	}

	again, extra := newRecord(1), newRecord(9)
	again.ID = "again"
	res = mustAppend(t, l, again, extra)
	if !res[0].Replayed || res[0].Ref != old {
		t.Fatalf("replayed item: %+v, want %+v", res[0], old)
	}
	if !res[1].Replayed || res[1].Ref.ID != "" {
		t.Fatalf("record the original lacked: %+v, want a replay with no record", res[1])
	}
	if n, _ := s.LogSize(context.Background()); n != 3 {
		t.Fatalf("store has %d records, want 3", n)
	}
}

func TestAppendAtomic(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	msg, att1, att2 := newRecord(1), newRecord(2), newRecord(3)
	s.setHook(func() {
		s.failInsert = func(r *steward.Record) error {
			if r.ID == att2.ID {
				return steward.E(steward.Op("memstore.InsertRecord"), steward.Unavailable, "disk full")
			}
			return nil
		}
	})
	if _, err := l.Append(context.Background(), msg, att1, att2); !steward.Is(steward.Unavailable, err) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if n, _ := s.LogSize(context.Background()); n != 0 || l.Size() != 0 {
		t.Fatalf("after a failed append: store %d, log %d records", n, l.Size())
	}
	if msg.LeafIndex != -1 || msg.Leaf != nil {
		t.Fatalf("failed append left LeafIndex %d on the caller's record", msg.LeafIndex)
	}
	s.setHook(func() { s.failInsert = nil })
	res := mustAppend(t, l, msg, att1, att2)
	for i, r := range res {
		if r.Ref.LeafIndex != int64(i) || r.Replayed {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
}

// TestAppendTxFailure: a store that cannot commit fails the whole batch
// with its error kind, stores nothing, and the next batch starts clean.
func TestAppendTxFailure(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	mustAppend(t, l, newRecord(0), newRecord(1), newRecord(2))
	s.setHook(func() {
		s.failCommit = func() error {
			return steward.E(steward.Op("memstore.AppendTx"), steward.Unavailable, "database is locked")
		}
	})
	_, err := l.Append(context.Background(), newRecord(3), newRecord(4))
	if !steward.Is(steward.Unavailable, err) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if msg := steward.PublicMessage(err); msg != "capture not committed; nothing was stored" {
		t.Fatalf("public message %q", msg)
	}
	if n, _ := s.LogSize(context.Background()); n != 3 || l.Size() != 3 {
		t.Fatalf("after a failed commit: store %d, log %d records", n, l.Size())
	}
	s.setHook(func() { s.failCommit = nil })
	res := mustAppend(t, l, newRecord(3), newRecord(5))
	if res[0].Ref.LeafIndex != 3 || res[1].Ref.LeafIndex != 4 || res[0].Replayed {
		t.Fatalf("after recovery: %+v", res)
	}
	cp, err := l.Checkpoint(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := refRoot(t, s, 5); cp.Root != want {
		t.Fatal("tree is wrong after a rolled-back batch")
	}
	if rep := mustVerify(t, archive.VerifyOptions{Store: s}); !rep.OK() {
		t.Fatalf("Verify: %+v", rep.Problems)
	}
}

// TestAppendIsolatesBadRequest: a request whose record clashes with a
// stored one fails alone, not the requests batched with it.
func TestAppendIsolatesBadRequest(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	mustAppend(t, l, newRecord(0))

	// Hold the first transaction open so that the next requests queue up
	// and are committed together as one batch.
	release := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	s.setHook(func() { s.beforeTx = func() { once.Do(func() { close(started); <-release }) } })
	errs := make(chan error, 4)
	go func() { _, err := l.Append(context.Background(), newRecord(1)); errs <- err }()
	<-started
	dup := newRecord(3)
	dup.ID = newRecord(0).ID // a reused record id: Conflict in the store
	for _, r := range []*steward.Record{newRecord(2), dup, newRecord(4)} {
		go func() {
			_, err := l.Append(context.Background(), r)
			if r == dup && !steward.Is(steward.Conflict, err) {
				err = fmt.Errorf("duplicate id: err = %v, want Conflict", err)
			} else if r == dup {
				err = nil
			}
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let all three queue
	close(release)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.LogSize(context.Background()); n != 4 {
		t.Fatalf("store has %d records, want 4", n)
	}
}

func TestAppendCancelled(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, newRecord(1)); err == nil {
		t.Fatal("append with a cancelled context succeeded")
	} else if !steward.Is(steward.Unavailable, err) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if n, _ := s.LogSize(context.Background()); n != 0 {
		t.Fatalf("store has %d records", n)
	}
}

// TestExternalAppend: records appended by another process (another Log
// on the same store) are picked up, not overwritten.
func TestExternalAppend(t *testing.T) {
	s := newMemStore()
	a := openLog(t, s, archive.Options{})
	b := openLog(t, s, archive.Options{})
	mustAppend(t, a, newRecord(0), newRecord(1))
	mustAppend(t, b, newRecord(2), newRecord(3), newRecord(4))
	res := mustAppend(t, a, newRecord(5), newRecord(1))
	if res[0].Ref.LeafIndex != 5 || !res[1].Replayed {
		t.Fatalf("after an external append: %+v", res)
	}
	cp, err := a.Checkpoint(context.Background(), 6)
	if err != nil {
		t.Fatal(err)
	}
	if want := refRoot(t, s, 6); cp.Root != want || cp.Size != 6 {
		t.Fatalf("checkpoint %d %x, want 6 %x", cp.Size, cp.Root, want)
	}
}

func TestReopen(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	for i := range 11 {
		mustAppend(t, l, newRecord(i))
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, s, archive.Options{})
	if l.Size() != 11 {
		t.Fatalf("reopened Size = %d", l.Size())
	}
	for i := 11; i < 23; i++ {
		mustAppend(t, l, newRecord(i))
	}
	cp, err := l.Checkpoint(context.Background(), 23)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Root != refRoot(t, s, 23) {
		t.Fatal("root differs after reopening")
	}
}

func TestCheckpointEvery(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{CheckpointEvery: 10})
	for i := range 25 {
		mustAppend(t, l, newRecord(i))
	}
	waitFor(t, "checkpoint 20", func() bool {
		cp, err := s.LatestCheckpoint(context.Background())
		return err == nil && cp.Size == 20
	})
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	sizes := checkpointSizes(t, s)
	// 10 may be superseded by 20 before it is stored; 20 and the final 25
	// are always stored.
	if n := len(sizes); n < 2 || sizes[n-2] != 20 || sizes[n-1] != 25 {
		t.Fatalf("checkpoint sizes %v, want …, 20, 25", sizes)
	}
	for _, cp := range mustCheckpoints(t, s) {
		parsed, err := archive.ParseCheckpoint(cp.Note, testVerifier(t), testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.Size != cp.Size || parsed.Root != cp.Root || cp.Root != refRoot(t, s, cp.Size) {
			t.Fatalf("checkpoint %d: note says %d %x", cp.Size, parsed.Size, parsed.Root)
		}
	}
}

func mustCheckpoints(tb testing.TB, s *memStore) []*steward.Checkpoint {
	cps, err := s.Checkpoints(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return cps
}

func TestCheckpointInterval(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{CheckpointEvery: 1 << 40, CheckpointInterval: 10 * time.Millisecond})
	mustAppend(t, l, newRecord(0), newRecord(1), newRecord(2))
	waitFor(t, "a timed checkpoint", func() bool {
		cp, err := s.LatestCheckpoint(context.Background())
		return err == nil && cp.Size == 3
	})
	time.Sleep(50 * time.Millisecond)
	if sizes := checkpointSizes(t, s); len(sizes) != 1 {
		t.Fatalf("checkpoints %v; an idle log must not issue more", sizes)
	}
}

func TestCheckpointFailureNotFatal(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{CheckpointEvery: 1})
	s.setHook(func() {
		s.failAddCP = func() error { return steward.E(steward.Op("memstore.AddCheckpoint"), steward.Unavailable, "disk full") }
	})
	for i := range 5 {
		mustAppend(t, l, newRecord(i))
	}
	if _, err := l.Checkpoint(context.Background(), 5); !steward.Is(steward.Unavailable, err) {
		t.Fatalf("Checkpoint err = %v, want Unavailable", err)
	}
	s.setHook(func() { s.failAddCP = nil })
	cp, err := l.Checkpoint(context.Background(), 5)
	if err != nil || cp.Size != 5 {
		t.Fatalf("Checkpoint = %v, %v", cp, err)
	}
}

func TestCheckpoint(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	for i := range 7 {
		mustAppend(t, l, newRecord(i))
	}
	cp, err := l.Checkpoint(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 7 || cp.CreatedAt.IsZero() {
		t.Fatalf("Checkpoint(5) = size %d at %v, want 7", cp.Size, cp.CreatedAt)
	}
	if got := checkpointSizes(t, s); len(got) != 1 || got[0] != 7 {
		t.Fatalf("stored checkpoints %v, want [7]", got)
	}
	again, err := l.Checkpoint(context.Background(), 3)
	if err != nil || again.Size != 7 {
		t.Fatalf("Checkpoint(3) = %v, %v; want the latest", again, err)
	}
	if _, err := l.Checkpoint(context.Background(), 8); !steward.Is(steward.Invalid, err) {
		t.Fatalf("Checkpoint beyond the log: err = %v, want Invalid", err)
	}
	root, err := tlog.TreeHash(7, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := s.ReadHashes(context.Background(), idx)
		out := make([]tlog.Hash, len(hs))
		for i := range hs {
			out[i] = tlog.Hash(hs[i])
		}
		return out, err
	}))
	if err != nil || steward.Hash(root) != cp.Root {
		t.Fatalf("tlog.TreeHash over stored hashes = %x, %v; checkpoint %x", root, err, cp.Root)
	}
}

func TestClose(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); l.Append(context.Background(), newRecord(i)) }()
	}
	wg.Wait()
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sizes := checkpointSizes(t, s); len(sizes) != 1 || sizes[0] != 20 {
		t.Fatalf("checkpoints after Close: %v, want a final one at 20", sizes)
	}
	if _, err := l.Append(context.Background(), newRecord(99)); !steward.Is(steward.Unavailable, err) {
		t.Fatalf("Append after Close: err = %v, want Unavailable", err)
	}
	if _, err := l.Checkpoint(context.Background(), 20); err != nil {
		t.Fatalf("Checkpoint covered by the latest after Close: %v", err)
	}
	if _, err := l.Checkpoint(context.Background(), 21); !steward.Is(steward.Unavailable, err) && !steward.Is(steward.Invalid, err) {
		t.Fatalf("Checkpoint after Close: err = %v", err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestCloseDrains: Appends queued when Close starts are committed.
func TestCloseDrains(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	release := make(chan struct{})
	var once sync.Once
	s.setHook(func() { s.beforeTx = func() { once.Do(func() { <-release }) } })
	errs := make(chan error, 10)
	for i := range 10 {
		go func() { _, err := l.Append(context.Background(), newRecord(i)); errs <- err }()
	}
	time.Sleep(20 * time.Millisecond)
	closed := make(chan error)
	go func() { closed <- l.Close(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.LogSize(context.Background()); n != 10 {
		t.Fatalf("store has %d records, want 10", n)
	}
}

func TestGenerateKey(t *testing.T) {
	for _, bad := range []string{"", "has space", "a+b"} {
		if _, _, err := archive.GenerateKey(bad); !steward.Is(steward.Invalid, err) {
			t.Errorf("GenerateKey(%q): err = %v, want Invalid", bad, err)
		}
	}
	if _, err := archive.NewSigner("PRIVATE+KEY+x"); !steward.Is(steward.Invalid, err) {
		t.Errorf("NewSigner: err = %v, want Invalid", err)
	}
	if _, err := archive.NewVerifier("x+00000000+AA=="); !steward.Is(steward.Invalid, err) {
		t.Errorf("NewVerifier: err = %v, want Invalid", err)
	}
}

// TestAppendWaitsForSync: an append is acknowledged only after the store
// has synced, and a failed sync fails the append (its records stay
// committed, so the retry is a replay).
func TestAppendWaitsForSync(t *testing.T) {
	s := newMemStore()
	l := openLog(t, s, archive.Options{})
	s.setHook(func() {
		s.failSync = func() error { return steward.E(steward.Op("memstore.Sync"), steward.Unavailable, "disk gone") }
	})
	rec := newRecord(1)
	if _, err := l.Append(context.Background(), rec); steward.KindOf(err) != steward.Unavailable {
		t.Fatalf("append with a failing sync = %v, want Unavailable", err)
	}
	if got := l.Size(); got != 0 {
		t.Fatalf("Size = %d before any successful sync, want 0", got)
	}
	s.setHook(func() { s.failSync = nil })
	again := newRecord(1)
	res := mustAppend(t, l, again)
	if !res[0].Replayed || res[0].Ref.LeafIndex != 0 {
		t.Fatalf("retry after a failed sync = %+v, want a replay of leaf 0", res[0])
	}
	s.setHook(func() {
		if s.syncs == 0 {
			t.Error("no Sync was called")
		}
	})
}
