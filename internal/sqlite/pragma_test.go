package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/storetest"
)

// TestPragmas checks the settings that durability and shredding rely on,
// on the writer and on a reader.
func TestPragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		pool      string
		db        *sql.DB
		queryOnly string
	}{{"writer", db.w, "0"}, {"reader", db.r, "1"}} {
		for pragma, want := range map[string]string{
			"journal_mode":       "wal",
			"synchronous":        "2", // FULL
			"busy_timeout":       "10000",
			"foreign_keys":       "1",
			"secure_delete":      "1",
			"wal_autocheckpoint": "10000",
			"query_only":         tc.queryOnly,
		} {
			var got string
			if err := tc.db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", tc.pool, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", tc.pool, pragma, got, want)
			}
		}
	}
}

// TestHashLocation checks hashLocation against tlog's own index math: the
// hash at level L, position n is stored by leaf (n+1)<<L - 1, L hashes
// after that leaf's own.
func TestHashLocation(t *testing.T) {
	for i := int64(0); i < 100000; i++ {
		leaf, off := hashLocation(i)
		level, n := tlog.SplitStoredHashIndex(i)
		if off != int64(level) || leaf>>level != n || tlog.StoredHashIndex(level, n) != i {
			t.Fatalf("hashLocation(%d) = leaf %d, offset %d; tlog says level %d, n %d", i, leaf, off, level, n)
		}
		// The leaf must really produce that many hashes.
		if stored := 1 + bits.TrailingZeros64(uint64(leaf+1)); off >= int64(stored) {
			t.Fatalf("hashLocation(%d): offset %d, but leaf %d stores %d hashes", i, off, leaf, stored)
		}
	}
}

// TestDiskFull fills the database up to a page limit, as a full disk
// would, and checks that the append says Unavailable, leaves nothing
// behind, and that appends resume once there is room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+20)); err != nil {
		t.Fatal(err)
	}
	appendN := func(n int) error {
		return db.AppendTx(ctx, func(tx steward.LogTx) error {
			for i := 0; i < n; i++ {
				size, _ := tx.Size()
				r := storetest.NewRecord(t, fmt.Sprint("full-", size))
				r.LeafIndex = size
				if err := tx.InsertRecords([]*steward.Record{r}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = appendN(500)
	if steward.KindOf(err) != steward.Unavailable {
		t.Fatalf("append to a full database = %v, want Unavailable", err)
	}
	if n, err := db.LogSize(ctx); err != nil || n != 0 {
		t.Fatalf("LogSize after failed append = %d, %v; want 0", n, err)
	}
	if _, err := db.w.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := appendN(500); err != nil {
		t.Fatalf("append once there is room: %v", err)
	}
}
