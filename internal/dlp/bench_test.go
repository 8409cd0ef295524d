package dlp

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

var (
	corpusOnce sync.Once
	corpus     []string
	corpusSize int64
)

// chatCorpus is 16 MB of SyntheticCorpus, made once per test binary.
func chatCorpus() ([]string, int64) {
	corpusOnce.Do(func() {
		corpus = SyntheticCorpus(1, 16<<20)
		for _, m := range corpus {
			corpusSize += int64(len(m))
		}
	})
	return corpus, corpusSize
}

// BenchmarkScanCorpus scans realistic chat messages one at a time, as the
// capture pipeline does; MB/s is per core.
func BenchmarkScanCorpus(b *testing.B) {
	msgs, size := chatCorpus()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			Scan(m, Options{})
		}
	}
}

// BenchmarkRegexpAlternation is the baseline: Go's regexp with one
// alternation of every built-in pattern, over the same messages (it finds
// candidates only, and validates nothing).
func BenchmarkRegexpAlternation(b *testing.B) {
	msgs, size := chatCorpus()
	re := regexp.MustCompile(strings.Join(alternatives(), "|"))
	b.SetBytes(size)
	for b.Loop() {
		for _, m := range msgs {
			re.FindAllStringIndex(m, -1)
		}
	}
}

func alternatives() []string {
	var alts []string
	for _, p := range Patterns() {
		alts = append(alts, "(?:"+p+")")
	}
	return alts
}

// BenchmarkPrefilter is the single pass alone.
func BenchmarkPrefilter(b *testing.B) {
	msgs, size := chatCorpus()
	b.SetBytes(size)
	for b.Loop() {
		for _, m := range msgs {
			prefilter(m).release()
		}
	}
}

// BenchmarkScanCustom scans the chat corpus with the built-ins plus a
// lexicon of 1,000 keywords and a proximity term, and a regex detector.
func BenchmarkScanCustom(b *testing.B) {
	msgs, size := chatCorpus()
	kws := []string{"bomb w/5 school"}
	for i := range 1000 {
		kws = append(kws, fmt.Sprintf("codeword%d", i))
	}
	s, err := Compile(Config{Custom: []*steward.CustomDetector{
		{Name: "lexicon", Kind: steward.DetectorLexicon, Keywords: kws, Confidence: 0.5, Enabled: true},
		{Name: "case_no", Kind: steward.DetectorRegex, Pattern: `\bCASE-\d{6}\b`, Confidence: 0.5, Enabled: true},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			s.Scan(m, Options{})
		}
	}
}
