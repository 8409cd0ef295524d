package dlp

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultContextWindow is how many bytes on either side of a span are
// searched for context words when [Options.ContextWindow] is zero.
const DefaultContextWindow = 40

// Finding is one match of one detector.
type Finding struct {
	// Detector is the detector's name, such as "us_ssn".
	Detector string
	// Start and End are byte offsets into the scanned text; text[Start:End]
	// is the matched value.
	Start, End int
	// Confidence is between 0 and 1; see the package documentation.
	Confidence float64
	// Valid reports whether the candidate passed the detector's validation.
	// It is false only when Options.IncludeInvalid was set.
	Valid bool
	// Count is the number of valid findings the same detector made in the
	// same scan, so each finding carries its detector's summary count.
	Count int
}

// Options tune a scan. The zero value runs every built-in detector and
// reports every validated finding.
type Options struct {
	// Detectors restricts the scan to the named detectors; nil or empty
	// means all of them. Unknown names are ignored by Scan; use Validate to
	// reject them.
	Detectors []string
	// MinConfidence drops findings below this confidence.
	MinConfidence float64
	// IncludeInvalid also reports candidates that failed validation, with
	// Valid=false and confidence 0, for testing detectors.
	IncludeInvalid bool
	// ContextWindow is the distance in bytes searched for context words;
	// zero means DefaultContextWindow.
	ContextWindow int
}

// Validate reports an error of kind steward.Invalid when the options name
// an unknown detector or hold an out-of-range value.
func (o Options) Validate() error {
	const op steward.Op = "dlp.Options.Validate"
	for _, name := range o.Detectors {
		if byName(name) == nil {
			return steward.Errorf(op, steward.Invalid, "unknown detector %q", name)
		}
	}
	if o.MinConfidence < 0 || o.MinConfidence > 1 || math.IsNaN(o.MinConfidence) {
		return steward.Errorf(op, steward.Invalid, "min confidence must be between 0 and 1")
	}
	if o.ContextWindow < 0 {
		return steward.Errorf(op, steward.Invalid, "context window must not be negative")
	}
	return nil
}

// Detectors returns the names of the built-in detectors, in a fixed order.
func Detectors() []string {
	names := make([]string, len(builtins))
	for i, d := range builtins {
		names[i] = d.name
	}
	return names
}

// Summary counts valid findings by detector.
func Summary(findings []Finding) map[string]int {
	m := make(map[string]int)
	for _, f := range findings {
		if f.Valid {
			m[f.Detector]++
		}
	}
	return m
}

// Scan runs the selected detectors over text and returns their findings
// sorted by Start, then End, then detector name.
func Scan(text string, opts Options) []Finding {
	window := opts.ContextWindow
	if window <= 0 {
		window = DefaultContextWindow
	}
	var out []Finding
	for _, d := range builtins {
		if len(opts.Detectors) > 0 && !slices.Contains(opts.Detectors, d.name) {
			continue
		}
		fs := d.scan(text, window, opts.IncludeInvalid)
		n := 0
		for _, f := range fs {
			if f.Valid {
				n++
			}
		}
		for _, f := range fs {
			if f.Confidence < opts.MinConfidence {
				continue
			}
			f.Count = n
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if a.End != b.End {
			return a.End - b.End
		}
		return strings.Compare(a.Detector, b.Detector)
	})
	return out
}

// pattern is one candidate regexp of a detector.
type pattern struct {
	re *regexp.Regexp
	// literal, when set, must occur in the text for the pattern to be run.
	literal string
	// near, when set, marks the bytes every match contains (digits, '@').
	// The pattern then runs only on windows of margin bytes around runs of
	// such bytes: Go's regexp walks the whole input at a few tens of MB/s,
	// and most text is far from any digit. margin must exceed the longest
	// stretch of a match (or of the context its regexp reads) without one.
	near   func(byte) bool
	margin int
	// check validates a match (indices as from FindAllStringSubmatchIndex).
	check func(text string, m []int) candidate
}

// candidate is what a check makes of a regexp match.
type candidate struct {
	start, end int
	// drop means the match is not even a candidate (for example it is part
	// of a longer token) and is never reported.
	drop  bool
	valid bool
	// conf is the base confidence of a valid candidate.
	conf float64
	// noContextConf, when non-zero, replaces conf if no context word is
	// found; noContextInvalid instead marks the candidate invalid.
	noContextConf    float64
	noContextInvalid bool
}

// detector is a named set of patterns with its context words.
type detector struct {
	name     string
	patterns []pattern
	context  []string
}

var negativeWords = []string{"example", "examples", "test", "testing", "sample", "dummy", "fake"}

func byName(name string) *detector {
	for i := range builtins {
		if builtins[i].name == name {
			return &builtins[i]
		}
	}
	return nil
}

func (d *detector) scan(text string, window int, includeInvalid bool) []Finding {
	var fs []Finding
	for _, p := range d.patterns {
		if p.literal != "" && !strings.Contains(text, p.literal) {
			continue
		}
		for _, m := range p.matches(text) {
			c := p.check(text, m)
			if c.drop || c.start < 0 || c.end > len(text) || c.start >= c.end {
				continue
			}
			f := Finding{Detector: d.name, Start: c.start, End: c.end, Valid: c.valid}
			if c.valid {
				before, after := contextAround(text, c.start, c.end, window)
				hasCtx := hasAnyWord(before, d.context) || hasAnyWord(after, d.context)
				conf := c.conf
				switch {
				case hasCtx:
					conf += 0.15
				case c.noContextInvalid:
					f.Valid = false
				case c.noContextConf != 0:
					conf = c.noContextConf
				}
				if hasAnyWord(before, negativeWords) || hasAnyWord(after, negativeWords) {
					conf -= 0.3
				}
				if f.Valid {
					f.Confidence = math.Round(min(max(conf, 0.01), 0.99)*100) / 100
				}
			}
			if !f.Valid && !includeInvalid {
				continue
			}
			fs = append(fs, f)
		}
	}
	if len(d.patterns) > 1 {
		slices.SortStableFunc(fs, func(a, b Finding) int {
			if a.Start != b.Start {
				return a.Start - b.Start
			}
			return b.End - a.End // longer first
		})
	}
	// Drop overlaps within the detector, preferring valid findings and then
	// the earlier, longer one.
	kept := fs[:0]
	for _, f := range fs {
		if n := len(kept); n > 0 && f.Start < kept[n-1].End {
			if f.Valid && !kept[n-1].Valid {
				kept[n-1] = f
			}
			continue
		}
		kept = append(kept, f)
	}
	return kept
}

// contextAround returns the lower-cased text within window bytes before and
// after the span.
func contextAround(text string, start, end, window int) (before, after string) {
	return strings.ToLower(text[max(0, start-window):start]), strings.ToLower(text[end:min(len(text), end+window)])
}

// hasAnyWord reports whether s holds one of the lower-case words (which may
// contain spaces) as a whole word.
func hasAnyWord(s string, words []string) bool {
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(s[i:], w)
			if j < 0 {
				break
			}
			a, b := i+j, i+j+len(w)
			if (a == 0 || !isWordByte(s[a-1])) && (b == len(s) || !isWordByte(s[b])) {
				return true
			}
			i = a + 1
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isolated reports whether text[start:end] stands alone as a number: it is
// not glued to letters or digits, nor continued by "-5", ".5", "/5" and the
// like, which would make it part of a longer identifier, decimal or date.
func isolated(text string, start, end int) bool {
	if start > 0 {
		c := text[start-1]
		if isAlnum(c) || c == '_' {
			return false
		}
		if (c == '-' || c == '.' || c == '/' || c == ',') && start > 1 && isDigit(text[start-2]) {
			return false
		}
	}
	if end < len(text) {
		c := text[end]
		if isAlnum(c) || c == '_' {
			return false
		}
		if (c == '-' || c == '.' || c == '/' || c == ',') && end+1 < len(text) && isDigit(text[end+1]) {
			return false
		}
	}
	return true
}

// digitsOf returns the ASCII digits of s, dropping everything else.
func digitsOf(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// matches returns the pattern's matches in text, as FindAllStringSubmatchIndex
// would, but running the regexp only near the bytes every match needs.
func (p *pattern) matches(text string) [][]int {
	if p.near == nil {
		return p.re.FindAllStringSubmatchIndex(text, -1)
	}
	var out [][]int
	for _, w := range windows(text, p.near, p.margin) {
		for _, m := range p.re.FindAllStringSubmatchIndex(text[w[0]:w[1]], -1) {
			for i := range m {
				if m[i] >= 0 {
					m[i] += w[0]
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// windows returns the merged spans [start, end) of text within margin
// bytes of a byte for which near is true. A window never starts or ends
// inside a run of such bytes, so a match is never cut short.
func windows(text string, near func(byte) bool, margin int) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); i++ {
		if !near(text[i]) {
			continue
		}
		j := i
		for j < len(text) && near(text[j]) {
			j++
		}
		start, end := max(i-margin, 0), min(j+margin, len(text))
		if n := len(out); n > 0 && start <= out[n-1][1] {
			out[n-1][1] = end
		} else {
			out = append(out, [2]int{start, end})
		}
		i = j
	}
	return out
}

func isAt(b byte) bool { return b == '@' }
