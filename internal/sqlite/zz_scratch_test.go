package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	msqlite "modernc.org/sqlite"

	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/storetest"
)

func TestScratch(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	ctx := context.Background()
	const N, batch = 20000, 1000
	for _, cfg := range []string{"base", "autockpt10000", "cache64m", "fdatasync", "cancelctx", "all"} {
		db, err := Open(filepath.Join(t.TempDir(), "x.db"))
		if err != nil {
			t.Fatal(err)
		}
		rctx := ctx
		switch cfg {
		case "autockpt10000":
			db.w.Exec("PRAGMA wal_autocheckpoint=10000")
		case "cache64m":
			db.w.Exec("PRAGMA cache_size=-65536")
		case "fdatasync":
			msqlite.Fdatasync(true)
		case "cancelctx":
			c, cancel := context.WithCancel(ctx)
			defer cancel()
			rctx = c
		case "all":
			db.w.Exec("PRAGMA wal_autocheckpoint=10000")
			db.w.Exec("PRAGMA cache_size=-65536")
			msqlite.Fdatasync(true)
		}
		recs := make([]*steward.Record, N)
		for i := range recs {
			recs[i] = storetest.NewRecord(t, fmt.Sprint("k", i))
		}
		var inTx, commit time.Duration
		start := time.Now()
		for lo := 0; lo < N; lo += batch {
			var t0, t1 time.Time
			t0 = time.Now()
			err := db.AppendTx(rctx, func(tx steward.LogTx) error {
				for _, r := range recs[lo : lo+batch] {
					n, _ := tx.Size()
					hs, err := tlog.StoredHashes(n, r.Leaf, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
						h, err := tx.ReadHashes(idx)
						out := make([]tlog.Hash, len(h))
						for i := range h {
							out[i] = tlog.Hash(h[i])
						}
						return out, err
					}))
					if err != nil {
						return err
					}
					r.LeafIndex = n
					for _, h := range hs {
						r.TreeHashes = append(r.TreeHashes, h[:]...)
					}
					if err := tx.InsertRecord(r); err != nil {
						return err
					}
				}
				t1 = time.Now()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			inTx += t1.Sub(t0)
			commit += time.Since(t1)
		}
		el := time.Since(start)
		fmt.Printf("%-14s %7.0f rec/s  inTx %v commit %v\n", cfg, N/el.Seconds(), inTx, commit)
		msqlite.Fdatasync(false)
		db.Close()
	}
}
