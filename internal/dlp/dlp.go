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

// Scan runs the selected built-in detectors over text and returns their
// findings sorted by Start, then End, then detector name. It is
// [Scanner.Scan] for a scanner without custom detectors.
func Scan(text string, opts Options) []Finding { return builtinOnly.Scan(text, opts) }

// builtinOnly is the scanner Scan uses.
var builtinOnly = &Scanner{}

// pattern is one candidate regexp of a detector.
type pattern struct {
	// re defines the pattern's candidates. Scans do not run it over the
	// whole text: find returns what re.FindAllStringSubmatchIndex would,
	// looking only where the prefilter found anchors (see match.go).
	re   *regexp.Regexp
	find finder
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

func (d *detector) scan(text string, h *hits, window int, includeInvalid bool) []Finding {
	var fs []Finding
	for _, p := range d.patterns {
		for _, m := range p.find(text, h, p.re) {
			fs = score(fs, d.name, d.context, text, p.check(text, m), window, includeInvalid)
		}
	}
	if len(d.patterns) > 1 {
		sortLongestFirst(fs)
	}
	return dropOverlaps(fs)
}

// score turns a candidate into a finding with its confidence, and appends
// it to fs unless it is dropped, or invalid and not asked for.
func score(fs []Finding, name string, context []string, text string, c candidate, window int, includeInvalid bool) []Finding {
	if c.drop || c.start < 0 || c.end > len(text) || c.start >= c.end {
		return fs
	}
	f := Finding{Detector: name, Start: c.start, End: c.end, Valid: c.valid}
	if c.valid {
		before, after := contextAround(text, c.start, c.end, window)
		hasCtx := hasAnyWord(before, context) || hasAnyWord(after, context)
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
		return fs
	}
	return append(fs, f)
}

// sortLongestFirst orders findings by start, the longer first at a tie,
// keeping the order of equal ones.
func sortLongestFirst(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
}

// dropOverlaps removes overlaps within one detector's findings (in span
// order), preferring valid findings and then the earlier, longer one.
func dropOverlaps(fs []Finding) []Finding {
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
// after the span. Text that is all ASCII is returned as it is, for
// hasAnyWord to fold as it searches, which saves two allocations per
// finding; strings.ToLower would give the same answers.
func contextAround(text string, start, end, window int) (before, after string) {
	return lowerNonASCII(text[max(0, start-window):start]), lowerNonASCII(text[end:min(len(text), end+window)])
}

func lowerNonASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// hasAnyWord reports whether s holds one of the lower-case words (which may
// contain spaces) as a whole word, ignoring the case of ASCII letters in s.
func hasAnyWord(s string, words []string) bool {
	for _, w := range words {
		if w == "" {
			continue
		}
		for i := 0; i+len(w) <= len(s); i++ {
			if c := s[i]; c != w[0] && c|0x20 != w[0] || !equalFoldASCII(s[i:i+len(w)], w) {
				continue
			}
			if b := i + len(w); (i == 0 || !isWordByte(s[i-1])) && (b == len(s) || !isWordByte(s[b])) {
				return true
			}
		}
	}
	return false
}

// equalFoldASCII reports whether s equals the lower-case w once s's ASCII
// letters are lower-cased.
func equalFoldASCII(s, w string) bool {
	for i := 0; i < len(w); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool { return setWord.has(c) }

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
