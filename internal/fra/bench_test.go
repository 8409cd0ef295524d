package fra_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// BenchmarkBuild scans an archive made by `steward bench capture --data
// DIR` (set STEWARD_FRA_BENCH_DATA=DIR/archive) and reports records/s;
// without it, a small archive captured here.
func BenchmarkBuild(b *testing.B) {
	ctx := context.Background()
	var db *sqlite.DB
	if dir := os.Getenv("STEWARD_FRA_BENCH_DATA"); dir != "" {
		var err error
		if db, err = sqlite.Open(filepath.Join(dir, "steward.db")); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
	} else {
		e := newEnv(b)
		for i := range 5000 {
			e.capture("steward:"+steward.NewID(), steward.DirOutbound, danaAddr, rileyAddr, time.Now().Add(-time.Duration(i)*time.Second))
		}
		db = e.db
	}
	size, err := db.LogSize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cp := &steward.Checkpoint{Size: size}
	b.ResetTimer()
	for range b.N {
		if _, err := fra.Build(ctx, db, db, cp, 0, time.Now(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
