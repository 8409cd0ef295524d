package dlp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// QualityThreshold is the confidence at which detection quality is
// measured: a finding counts when a policy asking for "likely" matches
// (MinConfidence 0.5) would see it.
const QualityThreshold = 0.5

// LabelledCase is one case of a labelled corpus: a text and every
// sensitive value in it that some detector should report.
type LabelledCase struct {
	Text   string     `json:"text"`
	Expect []Expected `json:"expect"`
	// Note says what the case tests, for whoever reads the corpus.
	Note string `json:"note,omitempty"`
}

// Expected is one value a detector should report.
type Expected struct {
	Detector string `json:"detector"`
	Value    string `json:"value"`
}

// ReadLabelled reads a labelled corpus in JSON lines, one LabelledCase a
// line; blank lines are skipped. Invalid for a malformed line, naming it.
func ReadLabelled(r io.Reader) ([]LabelledCase, error) {
	const op steward.Op = "dlp.ReadLabelled"
	var cases []LabelledCase
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c LabelledCase
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, steward.E(op, steward.Invalid, fmt.Sprintf("line %d", n), err)
		}
		for _, e := range c.Expect {
			if !strings.Contains(c.Text, e.Value) || e.Value == "" {
				return nil, steward.Errorf(op, steward.Invalid, "line %d: expected value %q is not in the text", n, e.Value)
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, steward.E(op, steward.Invalid, err)
	}
	return cases, nil
}

// Quality is one detector's score on a labelled corpus. A finding is a
// true positive when its detector and matched text are an expected pair of
// its case (each expected pair counts once), a false positive otherwise;
// an expected pair no finding matched is a false negative.
type Quality struct {
	Detector   string
	Cases      int // cases that expect this detector
	TP, FP, FN int
}

// Precision is TP/(TP+FP), or 1 when the detector reported nothing.
func (q Quality) Precision() float64 {
	if q.TP+q.FP == 0 {
		return 1
	}
	return float64(q.TP) / float64(q.TP+q.FP)
}

// Recall is TP/(TP+FN), or 1 when nothing was expected.
func (q Quality) Recall() float64 {
	if q.TP+q.FN == 0 {
		return 1
	}
	return float64(q.TP) / float64(q.TP+q.FN)
}

// Evaluate scans every case with s and opts and scores each of s's
// detectors, in the order of s.Detectors().
func Evaluate(s *Scanner, cases []LabelledCase, opts Options) []Quality {
	names := s.Detectors()
	byName := make(map[string]*Quality, len(names))
	out := make([]Quality, len(names))
	for i, n := range names {
		out[i].Detector = n
		byName[n] = &out[i]
	}
	for _, c := range cases {
		want := map[Expected]int{}
		seen := map[string]bool{}
		for _, e := range c.Expect {
			want[e]++
			if q := byName[e.Detector]; q != nil && !seen[e.Detector] {
				q.Cases++
				seen[e.Detector] = true
			}
		}
		for _, f := range s.Scan(c.Text, opts) {
			q := byName[f.Detector]
			if !f.Valid || q == nil {
				continue
			}
			k := Expected{f.Detector, c.Text[f.Start:f.End]}
			if want[k] > 0 {
				want[k]--
				q.TP++
			} else {
				q.FP++
			}
		}
		for k, n := range want {
			if q := byName[k.Detector]; q != nil {
				q.FN += n
			}
		}
	}
	return out
}

// QualityTable formats qualities as a Markdown table.
func QualityTable(qs []Quality) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| detector | cases | TP | FP | FN | precision | recall |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, q := range qs {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.3f | %.3f |\n", q.Detector, q.Cases, q.TP, q.FP, q.FN, q.Precision(), q.Recall())
	}
	return b.String()
}
