package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/storetest"
)

// mustOpen opens a new store in a file of the test's temporary directory
// and closes it when the test ends.
func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func tempPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "steward.db") }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) steward.Store { return mustOpen(t, tempPath(t)) })
}

// TestTwoOpen opens one file twice, as two processes would, and checks
// that each sees the other's commits.
func TestTwoOpen(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	a, b := mustOpen(t, path), mustOpen(t, path)

	r := storetest.NewRecord(t, "from-a")
	must(t, a.AppendTx(ctx, func(tx steward.LogTx) error { return insert(tx, r) }))
	got, err := b.RecordByID(ctx, r.ID)
	must(t, err)
	if got.LeafIndex != 0 {
		t.Fatalf("b sees a's record at %d, want 0", got.LeafIndex)
	}

	// b appends after a's record: its transaction sees the size a left.
	r2 := storetest.NewRecord(t, "from-b")
	must(t, b.AppendTx(ctx, func(tx steward.LogTx) error { return insert(tx, r2) }))
	if n, err := a.LogSize(ctx); err != nil || n != 2 {
		t.Fatalf("a.LogSize = %d, %v; want 2", n, err)
	}
	must(t, a.ShredKey(ctx, r2.ID))
	if got, err := b.RecordAt(ctx, 1); err != nil || !got.Shredded() {
		t.Fatalf("b.RecordAt(1) = %+v, %v; want shredded", got, err)
	}
	e := &steward.Employee{UserName: "ada"}
	must(t, b.CreateEmployee(ctx, e))
	if _, err := a.EmployeeByUserName(ctx, "ada"); err != nil {
		t.Fatalf("a does not see b's employee: %v", err)
	}
}

// TestOpenConcurrently has two openers race to create and migrate a file.
func TestOpenConcurrently(t *testing.T) {
	path := tempPath(t)
	errs := make(chan error, 2)
	dbs := make(chan *sqlite.DB, 2)
	for range 2 {
		go func() {
			db, err := sqlite.Open(path)
			errs <- err
			dbs <- db
		}()
	}
	for range 2 {
		must(t, <-errs)
		db := <-dbs
		t.Cleanup(func() { db.Close() })
	}
}

// TestWriterWaits checks that an append waits for another connection's
// write transaction and, when its context ends first, says Unavailable.
func TestWriterWaits(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	a, b := mustOpen(t, path), mustOpen(t, path)

	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.AppendTx(ctx, func(tx steward.LogTx) error {
			close(holding)
			<-release
			return insert(tx, storetest.NewRecord(t, "a"))
		})
	}()
	<-holding

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err := b.AppendTx(short, func(tx steward.LogTx) error { return nil })
	if steward.KindOf(err) != steward.Unavailable {
		t.Fatalf("AppendTx while another writer holds the lock = %v, want Unavailable", err)
	}

	// Once the other writer is done, b's append goes through after it.
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	must(t, b.AppendTx(ctx, func(tx steward.LogTx) error { return insert(tx, storetest.NewRecord(t, "b")) }))
	must(t, <-done)
	if n, err := b.LogSize(ctx); err != nil || n != 2 {
		t.Fatalf("LogSize = %d, %v; want 2", n, err)
	}
}

func TestOpenUnavailable(t *testing.T) {
	_, err := sqlite.Open(filepath.Join(t.TempDir(), "missing", "dir", "steward.db"))
	if steward.KindOf(err) != steward.Unavailable {
		t.Fatalf("Open in a missing directory = %v, want Unavailable", err)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, tempPath(t))
	r := storetest.NewRecord(t, "k")
	must(t, db.AppendTx(ctx, func(tx steward.LogTx) error { return insert(tx, r) }))
	must(t, db.ShredKey(ctx, r.ID))
	must(t, db.Checkpoint(ctx))
}

func TestRawInsertBench(t *testing.T) {
	ctx := context.Background()
	recs := newRecords(t, 10)
	path := tempPath(t)
	d, err := sqlite.RawInsertBench(ctx, path, recs, 3)
	must(t, err)
	if d <= 0 {
		t.Fatalf("RawInsertBench took %v", d)
	}
	db := mustOpen(t, path)
	if n, err := db.LogSize(ctx); err != nil || n != 10 {
		t.Fatalf("LogSize = %d, %v; want 10", n, err)
	}
	got, err := db.RecordAt(ctx, 9)
	must(t, err)
	if got.ID != recs[9].ID || got.Shredded() {
		t.Fatalf("RecordAt(9) = %+v, want %s with its key", got, recs[9].ID)
	}
	if _, err := sqlite.RawInsertBench(ctx, path, recs, 3); steward.KindOf(err) != steward.Conflict {
		t.Fatalf("RawInsertBench over an existing file = %v, want Conflict", err)
	}
}

// BenchmarkAppend appends records of about 600 bytes in batches of 1000
// through AppendTx, computing their tree hashes with tlog as the archive
// log does. Each batch is one durable commit. One op is one record.
func BenchmarkAppend(b *testing.B) {
	const batch = 1000
	// Captures run under request contexts, which can be canceled.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := mustOpen(b, tempPath(b))
	recs := make([]*steward.Record, b.N)
	for i := range recs {
		recs[i] = storetest.NewRecord(b, fmt.Sprint("bench-", i))
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for lo := 0; lo < len(recs); lo += batch {
		chunk := recs[lo:min(lo+batch, len(recs))]
		err := db.AppendTx(ctx, func(tx steward.LogTx) error {
			return appendCached(tx, chunk)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

// BenchmarkRawInsert is the baseline for BenchmarkAppend: the same rows,
// hashes precomputed, as plain batched INSERTs.
func BenchmarkRawInsert(b *testing.B) {
	recs := newRecords(b, b.N)
	b.ResetTimer()
	d, err := sqlite.RawInsertBench(context.Background(), tempPath(b), recs, 1000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/d.Seconds(), "records/s")
}

// newRecords returns n records with their leaf indexes and tree hashes.
func newRecords(tb testing.TB, n int) []*steward.Record {
	var mem memHashes
	recs := make([]*steward.Record, n)
	for i := range recs {
		r := storetest.NewRecord(tb, fmt.Sprint("rec-", i))
		hs, err := tlog.StoredHashes(int64(i), r.Leaf, mem)
		if err != nil {
			tb.Fatal(err)
		}
		mem = append(mem, hs...)
		r.LeafIndex = int64(i)
		for _, h := range hs {
			r.TreeHashes = append(r.TreeHashes, h[:]...)
		}
		recs[i] = r
	}
	return recs
}

// insert appends recs at the end of the log, reading earlier hashes
// through tx.
func insert(tx steward.LogTx, recs ...*steward.Record) error {
	return appendCached(tx, recs)
}

// appendCached appends recs as the archive log would: tree hashes come
// from a cache of those this transaction has read or written, and from
// tx.ReadHashes for the rest.
func appendCached(tx steward.LogTx, recs []*steward.Record) error {
	c := &hashCache{tx: tx, m: make(map[int64]tlog.Hash, 2*len(recs))}
	size, err := tx.Size()
	if err != nil {
		return err
	}
	for i, r := range recs {
		n := size + int64(i)
		hs, err := tlog.StoredHashes(n, r.Leaf, c)
		if err != nil {
			return err
		}
		r.LeafIndex = n
		r.TreeHashes = make([]byte, 0, len(hs)*len(hs[0]))
		first := tlog.StoredHashIndex(0, n)
		for i, h := range hs {
			r.TreeHashes = append(r.TreeHashes, h[:]...)
			c.m[first+int64(i)] = h
		}
	}
	return tx.InsertRecords(recs)
}

type hashCache struct {
	tx steward.LogTx
	m  map[int64]tlog.Hash
}

func (c *hashCache) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var miss []int64
	for i, idx := range indexes {
		h, ok := c.m[idx]
		if !ok {
			miss = append(miss, idx)
		}
		out[i] = h
	}
	if len(miss) == 0 {
		return out, nil
	}
	hs, err := c.tx.ReadHashes(miss)
	if err != nil {
		return nil, err
	}
	for i, idx := range miss {
		c.m[idx] = tlog.Hash(hs[i])
	}
	for i, idx := range indexes {
		out[i] = c.m[idx]
	}
	return out, nil
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		out[i] = m[idx]
	}
	return out, nil
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkScan reads every record of a 20000-record log, as verify does.
// One op is one record; the MB/s figure counts the record bytes scanned.
func BenchmarkScan(b *testing.B) {
	ctx := context.Background()
	path := tempPath(b)
	const n = 20000
	recs := newRecords(b, n)
	if _, err := sqlite.RawInsertBench(ctx, path, recs, 1000); err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, r := range recs {
		size += int64(len(r.Meta) + len(r.Sealed) + len(r.WrappedKey) + len(r.Leaf) + len(r.TreeHashes) + len(r.ID) + len(r.IdempotencyKey))
	}
	db := mustOpen(b, path)
	b.SetBytes(size / n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		err := db.ScanRecords(ctx, 0, func(r *steward.Record) error {
			if done++; done == b.N {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			b.Fatal(err)
		}
	}
}

var errStop = fmt.Errorf("stop")
