package dlp

import (
	"slices"
	"strings"
)

// Scanner runs the built-in detectors and a set of compiled custom
// detectors. Build one with [Compile]; the zero Scanner runs the built-ins
// only. A Scanner is immutable and safe for concurrent use.
type Scanner struct {
	custom []*customDetector
	kw     *keywordMatcher // the keyword, lexicon and proximity phrases of every custom detector
	uses   [][]phraseUse   // by phrase id in kw: the detectors that use it
	key    []byte          // HMAC key of EDM digests and ValueDigest; nil if none was configured
}

// Scan runs the selected detectors, built-in and custom, over text and
// returns their findings sorted by Start, then End, then detector name.
// opts.Detectors selects by name among both; unknown names are ignored
// (see [Scanner.CheckOptions]).
func (s *Scanner) Scan(text string, opts Options) []Finding {
	window := opts.ContextWindow
	if window <= 0 {
		window = DefaultContextWindow
	}
	var out []Finding
	add := func(fs []Finding) {
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
	if anyBuiltin(opts.Detectors) {
		scanBuiltins(text, opts, window, add)
	}
	if len(s.custom) > 0 {
		s.scanCustom(text, opts.Detectors, window, opts.IncludeInvalid, add)
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

// scanBuiltins runs the selected built-in detectors and passes each one's
// findings, in span order without overlaps, to add.
func scanBuiltins(text string, opts Options, window int, add func([]Finding)) {
	h := prefilter(text)
	defer h.release()
	if !h.anchored {
		return // no anchor, so no built-in pattern can match
	}
	for i := range builtins {
		if d := &builtins[i]; selected(opts.Detectors, d.name) {
			add(d.scan(text, h, window, opts.IncludeInvalid))
		}
	}
}

// anyBuiltin reports whether names selects a built-in detector.
func anyBuiltin(names []string) bool {
	return len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return byName(n) != nil })
}

func selected(names []string, name string) bool {
	return len(names) == 0 || slices.Contains(names, name)
}
