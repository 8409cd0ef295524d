package storetest

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

func testLog(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		if n, err := s.LogSize(ctx); err != nil || n != 0 {
			t.Fatalf("LogSize = %d, %v; want 0", n, err)
		}
		_, err := s.RecordAt(ctx, 0)
		wantKind(t, "RecordAt(0)", err, steward.NotFound)
		_, err = s.RecordByID(ctx, steward.NewID())
		wantKind(t, "RecordByID", err, steward.NotFound)
		_, err = s.ReadHashes(ctx, []int64{0})
		wantKind(t, "ReadHashes", err, steward.NotFound)
		must(t, "ScanRecords", s.ScanRecords(ctx, 0, func(r *steward.Record) error {
			t.Fatalf("ScanRecords visited %d on an empty log", r.LeafIndex)
			return nil
		}))
	})

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		a, b, c := NewRecord(t, "k-a"), NewRecord(t, "k-b"), NewRecord(t, "k-c")
		b.WrappedKey = nil // a record may carry no key at all
		c.Kind = "some_future_kind"
		must(t, "append", appendRecords(s, a, b, c))
		if n, err := s.LogSize(ctx); err != nil || n != 3 {
			t.Fatalf("LogSize = %d, %v; want 3", n, err)
		}
		for i, want := range []*steward.Record{a, b, c} {
			if want.LeafIndex != int64(i) {
				t.Fatalf("record %d appended at %d", i, want.LeafIndex)
			}
			got, err := s.RecordByID(ctx, want.ID)
			must(t, "RecordByID", err)
			same(t, "RecordByID", normRecord(got), normRecord(want))
			got, err = s.RecordAt(ctx, int64(i))
			must(t, "RecordAt", err)
			same(t, "RecordAt", normRecord(got), normRecord(want))
			if !got.CapturedAt.Equal(want.CapturedAt) {
				t.Fatalf("CapturedAt = %v, want %v exactly", got.CapturedAt, want.CapturedAt)
			}
		}
		_, err := s.RecordAt(ctx, 3)
		wantKind(t, "RecordAt past the end", err, steward.NotFound)
	})

	t.Run("Sync", func(t *testing.T) {
		s := open(t)
		must(t, "Sync on an empty log", s.Sync(ctx))
		must(t, "append", appendRecords(s, NewRecord(t, "synced")))
		must(t, "Sync", s.Sync(ctx))
		if n, err := s.LogSize(ctx); err != nil || n != 1 {
			t.Fatalf("LogSize after Sync = %d, %v; want 1", n, err)
		}
	})

	t.Run("SizeInTx", func(t *testing.T) {
		s := open(t)
		must(t, "append", appendRecords(s, NewRecord(t, "first")))
		err := s.AppendTx(ctx, func(tx steward.LogTx) error {
			for want := int64(1); want <= 3; want++ {
				if n, err := tx.Size(); err != nil || n != want {
					return fmt.Errorf("Size = %d, %v; want %d", n, err, want)
				}
				r := NewRecord(t, fmt.Sprint("k", want))
				r.LeafIndex = want
				if err := tx.InsertRecords([]*steward.Record{r}); err != nil {
					return err
				}
			}
			if n, err := tx.Size(); err != nil || n != 4 {
				return fmt.Errorf("Size = %d, %v; want 4", n, err)
			}
			return nil
		})
		must(t, "AppendTx", err)
		if n, err := s.LogSize(ctx); err != nil || n != 4 {
			t.Fatalf("LogSize = %d, %v; want 4", n, err)
		}
	})

	t.Run("Rollback", func(t *testing.T) {
		s := open(t)
		must(t, "append", appendRecords(s, NewRecord(t, "kept")))
		a, b := NewRecord(t, "gone-a"), NewRecord(t, "gone-b")
		boom := errors.New("boom")
		err := s.AppendTx(ctx, func(tx steward.LogTx) error {
			if err := insert(tx, a, b); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("AppendTx = %v, want fn's error unchanged", err)
		}
		if n, err := s.LogSize(ctx); err != nil || n != 1 {
			t.Fatalf("LogSize = %d, %v; want 1", n, err)
		}
		for _, r := range []*steward.Record{a, b} {
			_, err := s.RecordByID(ctx, r.ID)
			wantKind(t, "RecordByID of rolled-back record", err, steward.NotFound)
		}
		_, err = s.RecordAt(ctx, 1)
		wantKind(t, "RecordAt of rolled-back index", err, steward.NotFound)
		// Leaf 1's hash and the level-1 hash over leaves 0 and 1.
		_, err = s.ReadHashes(ctx, []int64{tlog.StoredHashIndex(0, 1)})
		wantKind(t, "ReadHashes of rolled-back leaf", err, steward.NotFound)
		_, err = s.ReadHashes(ctx, []int64{tlog.StoredHashIndex(1, 0)})
		wantKind(t, "ReadHashes of rolled-back subtree", err, steward.NotFound)
		must(t, "AppendTx", s.AppendTx(ctx, func(tx steward.LogTx) error {
			found, err := tx.FindByIdempotencyKeys([]string{"gone-a", "gone-b", "kept"})
			if err != nil {
				return err
			}
			if len(found) != 1 {
				return fmt.Errorf("FindByIdempotencyKeys after rollback = %v, want only kept", found)
			}
			if n, _ := tx.Size(); n != 1 {
				return fmt.Errorf("Size = %d, want 1", n)
			}
			return nil
		}))
		// The same records, ids and keys included, can be appended again.
		must(t, "append again", appendRecords(s, a, b))
	})

	t.Run("LeafIndexMismatch", func(t *testing.T) {
		s := open(t)
		must(t, "append", appendRecords(s, NewRecord(t, "k0")))
		for _, at := range []int64{-1, 0, 2} {
			err := s.AppendTx(ctx, func(tx steward.LogTx) error {
				r := NewRecord(t, fmt.Sprint("at", at))
				r.LeafIndex = at
				return tx.InsertRecords([]*steward.Record{r})
			})
			wantKind(t, fmt.Sprintf("InsertRecord at %d of 1", at), err, steward.Internal)
		}
		if n, err := s.LogSize(ctx); err != nil || n != 1 {
			t.Fatalf("LogSize = %d, %v; want 1", n, err)
		}
	})

	t.Run("Duplicates", func(t *testing.T) {
		s := open(t)
		orig := NewRecord(t, "dup")
		must(t, "append", appendRecords(s, orig))

		sameKey := NewRecord(t, "dup")
		wantKind(t, "append duplicate idempotency key", appendRecords(s, sameKey), steward.Conflict)
		sameID := NewRecord(t, "other")
		sameID.ID = orig.ID
		wantKind(t, "append duplicate id", appendRecords(s, sameID), steward.Conflict)
		twice := NewRecord(t, "twice")
		wantKind(t, "append key twice in one tx", appendRecords(s, twice, NewRecord(t, "twice")), steward.Conflict)

		if n, err := s.LogSize(ctx); err != nil || n != 1 {
			t.Fatalf("LogSize = %d, %v; want 1", n, err)
		}
		got, err := s.RecordByID(ctx, orig.ID)
		must(t, "RecordByID", err)
		same(t, "original record", normRecord(got), normRecord(orig))
	})

	t.Run("FindByIdempotencyKeys", func(t *testing.T) {
		s := open(t)
		// More keys than a store is likely to put in one query.
		const n = 1200
		recs := make([]*steward.Record, n)
		keys := make([]string, 0, 2*n)
		for i := range recs {
			recs[i] = NewRecord(t, fmt.Sprintf("key-%04d", i))
			if i%3 == 0 {
				recs[i].Kind = steward.RecordEvent
			}
			keys = append(keys, recs[i].IdempotencyKey, fmt.Sprintf("missing-%04d", i))
		}
		must(t, "append", appendRecords(s, recs[:n-1]...))
		err := s.AppendTx(ctx, func(tx steward.LogTx) error {
			if err := insert(tx, recs[n-1]); err != nil {
				return err
			}
			found, err := tx.FindByIdempotencyKeys(keys)
			if err != nil {
				return err
			}
			if len(found) != n {
				return fmt.Errorf("found %d keys, want %d", len(found), n)
			}
			for _, r := range recs {
				want := steward.RecordRef{ID: r.ID, LeafIndex: r.LeafIndex, Kind: r.Kind}
				if got := found[r.IdempotencyKey]; got != want {
					return fmt.Errorf("found[%s] = %+v, want %+v", r.IdempotencyKey, got, want)
				}
			}
			none, err := tx.FindByIdempotencyKeys(nil)
			if err != nil || len(none) != 0 {
				return fmt.Errorf("FindByIdempotencyKeys(nil) = %v, %v", none, err)
			}
			return nil
		})
		must(t, "AppendTx", err)
		// Outside a transaction, every committed key is found.
		found, err := s.FindByIdempotencyKeys(ctx, keys)
		must(t, "FindByIdempotencyKeys", err)
		if len(found) != n {
			t.Fatalf("FindByIdempotencyKeys found %d keys, want %d", len(found), n)
		}
		for _, r := range recs {
			if got, want := found[r.IdempotencyKey], (steward.RecordRef{ID: r.ID, LeafIndex: r.LeafIndex, Kind: r.Kind}); got != want {
				t.Fatalf("found[%s] = %+v, want %+v", r.IdempotencyKey, got, want)
			}
		}
	})

	t.Run("Scan", func(t *testing.T) {
		s := open(t)
		const n = 600
		recs := make([]*steward.Record, n)
		for i := range recs {
			recs[i] = NewRecord(t, fmt.Sprint("scan-", i))
		}
		must(t, "append", appendRecords(s, recs[:250]...))
		must(t, "append", appendRecords(s, recs[250:]...))

		for _, from := range []int64{0, 1, 255, 256, 257, 512, 599, 600, 1000} {
			var got []int64
			must(t, "ScanRecords", s.ScanRecords(ctx, from, func(r *steward.Record) error {
				if r.LeafIndex < n && r.ID != recs[r.LeafIndex].ID {
					return fmt.Errorf("record %d has id %s, want %s", r.LeafIndex, r.ID, recs[r.LeafIndex].ID)
				}
				got = append(got, r.LeafIndex)
				return nil
			}))
			want := max(0, n-from)
			if int64(len(got)) != want {
				t.Fatalf("ScanRecords from %d visited %d records, want %d", from, len(got), want)
			}
			for i, idx := range got {
				if idx != from+int64(i) {
					t.Fatalf("ScanRecords from %d: visit %d was record %d", from, i, idx)
				}
			}
		}
		// fn may keep the records it is handed (verify works on them after
		// fn returns), so none may share memory with a later one.
		var kept []*steward.Record
		must(t, "ScanRecords", s.ScanRecords(ctx, 0, func(r *steward.Record) error {
			kept = append(kept, r)
			return nil
		}))
		for i, r := range kept {
			same(t, fmt.Sprint("kept record ", i), normRecord(r), normRecord(recs[i]))
		}

		stop := errors.New("stop")
		calls := 0
		err := s.ScanRecords(ctx, 0, func(r *steward.Record) error {
			if calls++; calls == 300 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 300 {
			t.Fatalf("ScanRecords = %v after %d calls, want fn's error after 300", err, calls)
		}
	})

	t.Run("ShredKey", func(t *testing.T) {
		s := open(t)
		a, b, keyless := NewRecord(t, "a"), NewRecord(t, "b"), NewRecord(t, "keyless")
		keyless.WrappedKey = nil
		must(t, "append", appendRecords(s, a, b, keyless))
		must(t, "ShredKey", s.ShredKey(ctx, a.ID))

		got, err := s.RecordByID(ctx, a.ID)
		must(t, "RecordByID", err)
		if got.WrappedKey != nil || !got.Shredded() {
			t.Fatalf("after ShredKey WrappedKey = %x, want nil", got.WrappedKey)
		}
		shredded := *a
		shredded.WrappedKey = nil
		same(t, "shredded record", normRecord(got), normRecord(&shredded))
		got, err = s.RecordAt(ctx, a.LeafIndex)
		must(t, "RecordAt", err)
		same(t, "shredded record by index", normRecord(got), normRecord(&shredded))
		must(t, "ScanRecords", s.ScanRecords(ctx, 0, func(r *steward.Record) error {
			if (r.ID == a.ID || r.ID == keyless.ID) != r.Shredded() {
				return fmt.Errorf("record %d: Shredded = %v", r.LeafIndex, r.Shredded())
			}
			return nil
		}))
		got, err = s.RecordByID(ctx, b.ID)
		must(t, "RecordByID", err)
		same(t, "neighbouring record", normRecord(got), normRecord(b))

		must(t, "ShredKey twice", s.ShredKey(ctx, a.ID))
		must(t, "ShredKey of keyless record", s.ShredKey(ctx, keyless.ID))
		wantKind(t, "ShredKey of unknown id", s.ShredKey(ctx, steward.NewID()), steward.NotFound)
	})
}

// testHashes builds a real tlog tree through the store and checks that
// tlog can hash and prove it through ReadHashes, inside and outside a
// transaction, exactly as it does over an in-memory copy.
func testHashes(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	const n = 1000
	var mem memHashes
	recs := make([]*steward.Record, n)
	for i := range recs {
		recs[i] = NewRecord(t, fmt.Sprint("h", i))
		hs, err := tlog.StoredHashes(int64(i), recs[i].Leaf, mem)
		must(t, "StoredHashes", err)
		mem = append(mem, hs...)
	}
	// Uneven batches, so that subtrees straddle transactions.
	for lo, size := 0, 1; lo < n; lo, size = lo+size, size*3 {
		hi := min(lo+size, n)
		must(t, "append", appendRecords(s, recs[lo:hi]...))
	}
	if got, want := int64(len(mem)), tlog.StoredHashCount(n); got != want {
		t.Fatalf("in-memory tree has %d hashes, want %d", got, want)
	}

	st := storeHashes{s}
	all := make([]int64, len(mem))
	for i := range all {
		all[i] = int64(i)
	}
	got, err := st.ReadHashes(all)
	must(t, "ReadHashes(all)", err)
	for i := range mem {
		if got[i] != mem[i] {
			t.Fatalf("hash %d = %v, want %v", i, got[i], mem[i])
		}
	}
	// Out of order and repeated, as a proof asks for them.
	some := []int64{1500, 3, 700, 3, 0, int64(len(mem) - 1), 1501}
	got, err = st.ReadHashes(some)
	must(t, "ReadHashes(some)", err)
	for i, idx := range some {
		if got[i] != mem[idx] {
			t.Fatalf("ReadHashes(%v)[%d] = %v, want %v", some, i, got[i], mem[idx])
		}
	}
	_, err = s.ReadHashes(ctx, []int64{0, int64(len(mem))})
	wantKind(t, "ReadHashes past the end", err, steward.NotFound)

	for _, size := range []int64{1, 2, 3, 500, 999, n} {
		want, err := tlog.TreeHash(size, mem)
		must(t, "TreeHash(mem)", err)
		th, err := tlog.TreeHash(size, st)
		must(t, "TreeHash(store)", err)
		if th != want {
			t.Fatalf("TreeHash(%d) = %v, want %v", size, th, want)
		}
		for _, leaf := range []int64{0, size / 2, size - 1} {
			p, err := tlog.ProveRecord(size, leaf, st)
			must(t, "ProveRecord", err)
			if err := tlog.CheckRecord(p, size, th, leaf, tlog.RecordHash(recs[leaf].Leaf)); err != nil {
				t.Fatalf("CheckRecord(leaf %d of %d): %v", leaf, size, err)
			}
		}
	}
	thOld, _ := tlog.TreeHash(333, mem)
	thNew, _ := tlog.TreeHash(n, mem)
	p, err := tlog.ProveTree(n, 333, st)
	must(t, "ProveTree", err)
	must(t, "CheckTree", tlog.CheckTree(p, n, thNew, 333, thOld))

	// Inside a transaction the same hashes read the same.
	must(t, "AppendTx", s.AppendTx(ctx, func(tx steward.LogTx) error {
		hs, err := txHashes{tx}.ReadHashes(some)
		if err != nil {
			return err
		}
		for i, idx := range some {
			if hs[i] != mem[idx] {
				return fmt.Errorf("LogTx.ReadHashes(%v)[%d] = %v, want %v", some, i, hs[i], mem[idx])
			}
		}
		return nil
	}))
}

// appendRecords appends recs in one transaction, as the archive log does:
// each at the current size, with the tree hashes tlog computes from the
// hashes already stored, earlier ones of the same transaction included.
func appendRecords(s steward.Store, recs ...*steward.Record) error {
	return s.AppendTx(ctx, func(tx steward.LogTx) error { return insert(tx, recs...) })
}

func insert(tx steward.LogTx, recs ...*steward.Record) error {
	for _, r := range recs {
		n, err := tx.Size()
		if err != nil {
			return err
		}
		hs, err := tlog.StoredHashes(n, r.Leaf, txHashes{tx})
		if err != nil {
			return err
		}
		r.LeafIndex = n
		r.TreeHashes = r.TreeHashes[:0]
		for _, h := range hs {
			r.TreeHashes = append(r.TreeHashes, h[:]...)
		}
		if err := tx.InsertRecords([]*steward.Record{r}); err != nil {
			return err
		}
	}
	return nil
}

// memHashes is a tlog tree's stored hashes in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not stored", idx)
		}
		out[i] = m[idx]
	}
	return out, nil
}

// storeHashes and txHashes are a store's hashes as a tlog.HashReader.
type storeHashes struct{ s steward.Store }

func (h storeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return tlogHashes(h.s.ReadHashes(ctx, indexes))
}

type txHashes struct{ tx steward.LogTx }

func (h txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return tlogHashes(h.tx.ReadHashes(indexes))
}

func tlogHashes(hs []steward.Hash, err error) ([]tlog.Hash, error) {
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

// normRecord is a copy of r fit for comparison. CapturedAt keeps its
// nanoseconds: records must round-trip it exactly.
func normRecord(r *steward.Record) steward.Record {
	c := *r
	c.CapturedAt = r.CapturedAt.UTC()
	c.Meta = bytesOrNil(c.Meta)
	c.Sealed = bytesOrNil(c.Sealed)
	c.WrappedKey = bytesOrNil(c.WrappedKey)
	c.Leaf = bytesOrNil(c.Leaf)
	c.TreeHashes = bytesOrNil(c.TreeHashes)
	return c
}
