package main

import (
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/dlp"
)

// TestBenchDLP: `steward bench dlp` runs every measurement it can on a
// small corpus and reports each, and --quality prints a row per detector.
func TestBenchDLP(t *testing.T) {
	out, errOut, code := runSteward(t, "bench", "dlp", "--mb", "1", "--rounds", "1")
	if code != 0 {
		t.Fatalf("bench dlp: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"steward dlp.Scan, all built-ins", "Go regexp, one alternation", "steward / regexp", "Hyperscan"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "dlp scan") {
		t.Errorf("no progress on stderr: %q", errOut)
	}

	out, errOut, code = runSteward(t, "bench", "dlp", "--quality", "--labelled", "../../internal/dlp/testdata/labelled")
	if code != 0 {
		t.Fatalf("bench dlp --quality: exit %d\n%s", code, errOut)
	}
	for _, d := range dlp.Detectors() {
		if !strings.Contains(out, "| "+d+" |") {
			t.Errorf("no row for %s in\n%s", d, out)
		}
	}
	if _, _, code := runSteward(t, "bench", "dlp", "--quality", "--labelled", t.TempDir()); code == 0 {
		t.Error("an empty labelled directory was accepted")
	}
}
