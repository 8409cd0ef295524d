package signal_test

// This test lives in an external package so that the pipeline may import
// package signal later without creating an import cycle.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/signal"
)

// TestFixturesNormalize runs every fixture's items through the pipeline's
// gate, so that nothing this package builds is refused at capture.
func TestFixturesNormalize(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		n, err := signal.DecodeNotification(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		items, err := n.Items(n.Account)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range items {
			if err := pipeline.Normalize(&items[i], pipeline.Limits{}, time.Now()); err != nil {
				t.Errorf("%s item %d: %v", f, i, err)
			}
		}
	}
}
