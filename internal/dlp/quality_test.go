package dlp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readLabelled reads every corpus file in testdata/labelled.
func readLabelled(t testing.TB) []LabelledCase {
	t.Helper()
	var all []LabelledCase
	for _, cases := range readLabelledFiles(t) {
		all = append(all, cases...)
	}
	return all
}

// readLabelledFiles reads testdata/labelled/DETECTOR.jsonl, by detector.
func readLabelledFiles(t testing.TB) map[string][]LabelledCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "labelled", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string][]LabelledCase{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := ReadLabelled(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		byFile[strings.TrimSuffix(filepath.Base(name), ".jsonl")] = cases
	}
	return byFile
}

// TestQuality measures precision and recall of every built-in detector on
// the labelled corpus at QualityThreshold, and fails below 0.95. Each
// detector has a file of at least 40 cases, positives and near misses.
func TestQuality(t *testing.T) {
	files := readLabelledFiles(t)
	var cases []LabelledCase
	for _, d := range Detectors() {
		pos, neg := 0, 0
		for _, c := range files[d] {
			if slices.ContainsFunc(c.Expect, func(e Expected) bool { return e.Detector == d }) {
				pos++
			} else {
				neg++
			}
		}
		if pos+neg < 40 || pos < 15 || neg < 15 {
			t.Errorf("%s.jsonl: %d positive and %d negative cases, want 40 or more with at least 15 of each", d, pos, neg)
		}
	}
	for name, cs := range files {
		if !slices.Contains(Detectors(), name) {
			t.Errorf("testdata/labelled/%s.jsonl is not named after a detector", name)
		}
		for _, c := range cs {
			for _, e := range c.Expect {
				if !slices.Contains(Detectors(), e.Detector) {
					t.Errorf("case %q expects unknown detector %q", c.Text, e.Detector)
				}
			}
		}
		cases = append(cases, cs...)
	}
	qs := Evaluate(&Scanner{}, cases, Options{MinConfidence: QualityThreshold})
	t.Logf("%d cases, confidence ≥ %.2f\n%s", len(cases), QualityThreshold, QualityTable(qs))
	for _, q := range qs {
		if q.Precision() < 0.95 || q.Recall() < 0.95 {
			t.Errorf("%s: precision %.3f, recall %.3f, want both ≥ 0.95", q.Detector, q.Precision(), q.Recall())
		}
	}
}

// BenchmarkQuality prints the quality table (go test -bench Quality -run x).
func BenchmarkQuality(b *testing.B) {
	cases := readLabelled(b)
	var qs []Quality
	for b.Loop() {
		qs = Evaluate(&Scanner{}, cases, Options{MinConfidence: QualityThreshold})
	}
	b.Logf("%d cases, confidence ≥ %.2f\n%s", len(cases), QualityThreshold, QualityTable(qs))
}
