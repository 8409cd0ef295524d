package dlp

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Limits on custom detectors. They keep one administrator's detector from
// making every scan slow or the scanner large.
const (
	MaxPatternBytes = 1024  // a regex or edm Pattern
	MaxKeywords     = 10000 // keywords or lexicon terms of one detector
	MaxKeywordBytes = 256   // one keyword or term
	MaxContextWords = 100   // context words of one detector
	MaxProximity    = 100   // the largest N of a "w/N" term
	maxContextBytes = 64
	// maxKeywordTable bounds the keyword automaton of one scanner, in
	// transitions (4 bytes each).
	maxKeywordTable = 8 << 20
)

var customNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// CheckDetector reports, as an error of kind steward.Invalid whose message
// says what to fix, whether d can be compiled: a name of 1-48 characters
// of a-z, 0-9 and '_' starting with a letter and not a built-in
// detector's; a known kind; for regex and edm a Pattern that is valid RE2
// of at most MaxPatternBytes bytes, cannot match the empty string, and no
// keywords; for keywords and lexicon no Pattern and 1 to MaxKeywords
// non-blank keywords of at most MaxKeywordBytes bytes of UTF-8, each
// lexicon term well formed (see the package documentation); a confidence
// in (0, 1]; and at most MaxContextWords non-blank context words. It
// does not look at Enabled, Deleted or the version fields.
func CheckDetector(d *steward.CustomDetector) error {
	const op steward.Op = "dlp.CheckDetector"
	if d == nil {
		return steward.E(op, steward.Invalid, "no detector")
	}
	switch {
	case !customNameRE.MatchString(d.Name):
		return steward.Errorf(op, steward.Invalid,
			"detector name %q: want 1-48 characters of a-z, 0-9 and '_', starting with a letter", d.Name)
	case byName(d.Name) != nil:
		return steward.Errorf(op, steward.Invalid, "detector name %q is taken by a built-in detector", d.Name)
	case !(d.Confidence > 0 && d.Confidence <= 1):
		return steward.Errorf(op, steward.Invalid, "detector %s: confidence must be greater than 0 and at most 1", d.Name)
	case len(d.Context) > MaxContextWords:
		return steward.Errorf(op, steward.Invalid, "detector %s: at most %d context words", d.Name, MaxContextWords)
	}
	for _, w := range d.Context {
		if strings.TrimSpace(w) == "" || len(w) > maxContextBytes || !utf8.ValidString(w) {
			return steward.Errorf(op, steward.Invalid,
				"detector %s: context word %q must be non-blank UTF-8 of at most %d bytes", d.Name, w, maxContextBytes)
		}
	}
	switch d.Kind {
	case steward.DetectorRegex, steward.DetectorEDM:
		if len(d.Keywords) > 0 {
			return steward.Errorf(op, steward.Invalid, "detector %s: a %s detector takes a pattern, not keywords", d.Name, d.Kind)
		}
		if _, err := compilePattern(d.Pattern); err != nil {
			return steward.Errorf(op, steward.Invalid, "detector %s: %v", d.Name, err)
		}
	case steward.DetectorKeywords, steward.DetectorLexicon:
		if d.Pattern != "" {
			return steward.Errorf(op, steward.Invalid, "detector %s: a %s detector takes keywords, not a pattern", d.Name, d.Kind)
		}
		if len(d.Keywords) == 0 || len(d.Keywords) > MaxKeywords {
			return steward.Errorf(op, steward.Invalid, "detector %s: want 1 to %d keywords", d.Name, MaxKeywords)
		}
		for i, k := range d.Keywords {
			if strings.TrimSpace(k) == "" || len(k) > MaxKeywordBytes || !utf8.ValidString(k) {
				return steward.Errorf(op, steward.Invalid,
					"detector %s: keyword %d must be non-blank UTF-8 of at most %d bytes", d.Name, i+1, MaxKeywordBytes)
			}
			if d.Kind == steward.DetectorLexicon {
				if _, err := ParseTerm(k); err != nil {
					return steward.Errorf(op, steward.Invalid, "detector %s: term %d (%q): %v", d.Name, i+1, k, err)
				}
			}
		}
	default:
		return steward.Errorf(op, steward.Invalid, "detector %s: unknown kind %q (want regex, keywords, lexicon or edm)", d.Name, d.Kind)
	}
	return nil
}

// patternError is a pattern's problem, worded for an administrator.
type patternError string

func (e patternError) Error() string { return string(e) }

func compilePattern(p string) (*regexp.Regexp, error) {
	switch {
	case p == "":
		return nil, patternError("the pattern is empty")
	case len(p) > MaxPatternBytes:
		return nil, patternError("the pattern is longer than 1024 bytes")
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, patternError("the pattern is not valid RE2: " + strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	if re.MatchString("") {
		return nil, patternError("the pattern matches the empty string")
	}
	return re, nil
}

// Config is what Compile builds a Scanner from.
type Config struct {
	// Custom are the administrator's detectors. Deleted and disabled ones
	// are left out of the scanner.
	Custom []*steward.CustomDetector
	// EDM holds each exact-data-match detector's keyed digests (see
	// EDMDigest), by detector ID.
	EDM map[string][][]byte
	// Key is the 32-byte HMAC key of EDM digests and of ValueDigest. It is
	// required when an enabled detector is of kind edm, and may otherwise
	// be empty.
	Key []byte
}

// customDetector is a compiled steward.CustomDetector.
type customDetector struct {
	name    string
	kind    steward.DetectorKind
	conf    float64
	context []string       // lower-cased
	re      *regexp.Regexp // regex, edm
	lit     string         // a literal every match of re holds, or ""
	prox    []proximity    // lexicon
	digests map[[32]byte]struct{}
}

// proximity is a compiled "a w/N b" term.
type proximity struct{ a, b, n int }

// Compile checks and compiles cfg's enabled, undeleted custom detectors
// (see CheckDetector) into a Scanner that runs them beside the built-in
// detectors. Invalid for a detector CheckDetector rejects, two detectors
// of one name, a key that is neither empty nor 32 bytes, an edm detector
// without a key, or a digest that is not 32 bytes; TooLarge when the
// keyword automaton would exceed its bound.
func Compile(cfg Config) (*Scanner, error) {
	const op steward.Op = "dlp.Compile"
	if len(cfg.Key) != 0 && len(cfg.Key) != 32 {
		return nil, steward.E(op, steward.Invalid, "the EDM key must be 32 bytes")
	}
	s := &Scanner{}
	if len(cfg.Key) > 0 {
		s.key = slices.Clone(cfg.Key)
	}
	var phrases []string
	phraseID := map[string]int{}
	intern := func(p string) int {
		p = foldPhrase(p)
		id, ok := phraseID[p]
		if !ok {
			id = len(phrases)
			phrases = append(phrases, p)
			phraseID[p] = id
		}
		return id
	}
	names := map[string]bool{}
	for _, d := range cfg.Custom {
		if d != nil && (d.Deleted || !d.Enabled) {
			continue
		}
		if err := CheckDetector(d); err != nil {
			return nil, steward.E(op, err)
		}
		if names[d.Name] {
			return nil, steward.Errorf(op, steward.Invalid, "two detectors are named %q", d.Name)
		}
		names[d.Name] = true
		c := &customDetector{name: d.Name, kind: d.Kind, conf: d.Confidence}
		use := func(phrase, term int) {
			for len(s.uses) <= phrase {
				s.uses = append(s.uses, nil)
			}
			u := phraseUse{det: len(s.custom), term: term}
			if !slices.Contains(s.uses[phrase], u) {
				s.uses[phrase] = append(s.uses[phrase], u)
			}
		}
		for _, w := range d.Context {
			c.context = append(c.context, strings.ToLower(strings.Join(strings.Fields(w), " ")))
		}
		switch d.Kind {
		case steward.DetectorRegex:
			c.re, _ = compilePattern(d.Pattern)
			c.lit = requiredLiteral(c.re)
		case steward.DetectorEDM:
			if len(s.key) == 0 {
				return nil, steward.Errorf(op, steward.Invalid, "detector %s: exact data match needs the 32-byte EDM key", d.Name)
			}
			c.re, _ = compilePattern(d.Pattern)
			c.lit = requiredLiteral(c.re)
			c.digests = make(map[[32]byte]struct{}, len(cfg.EDM[d.ID]))
			for i, dg := range cfg.EDM[d.ID] {
				if len(dg) != 32 {
					return nil, steward.Errorf(op, steward.Invalid, "detector %s: digest %d is %d bytes, want 32", d.Name, i+1, len(dg))
				}
				c.digests[[32]byte(dg)] = struct{}{}
			}
		case steward.DetectorKeywords:
			for _, k := range d.Keywords {
				use(intern(k), -1)
			}
		case steward.DetectorLexicon:
			for _, k := range d.Keywords {
				t, _ := ParseTerm(k)
				if t.N == 0 {
					use(intern(t.A), -1)
					continue
				}
				p := proximity{a: intern(t.A), b: intern(t.B), n: t.N}
				use(p.a, len(c.prox))
				if p.b != p.a {
					use(p.b, len(c.prox))
				}
				c.prox = append(c.prox, p)
			}
		}
		s.custom = append(s.custom, c)
	}
	if len(phrases) > 0 {
		kw, err := newKeywordMatcher(phrases)
		if err != nil {
			return nil, steward.E(op, err)
		}
		s.kw = kw
	}
	return s, nil
}

// Detectors returns the names of the scanner's detectors: the built-in
// ones, then the custom ones in the order they were configured.
func (s *Scanner) Detectors() []string {
	names := Detectors()
	for _, c := range s.custom {
		names = append(names, c.name)
	}
	return names
}

// CheckOptions is Options.Validate for this scanner: it also accepts the
// names of its custom detectors. Invalid.
func (s *Scanner) CheckOptions(o Options) error {
	const op steward.Op = "dlp.Scanner.CheckOptions"
	known := s.Detectors()
	for _, name := range o.Detectors {
		if !slices.Contains(known, name) {
			return steward.Errorf(op, steward.Invalid, "unknown detector %q", name)
		}
	}
	if err := (Options{MinConfidence: o.MinConfidence, ContextWindow: o.ContextWindow}).Validate(); err != nil {
		return steward.E(op, err)
	}
	return nil
}

// scanCustom runs the selected custom detectors and passes each one's
// findings, in span order without overlaps, to add.
func (s *Scanner) scanCustom(text string, names []string, window int, includeInvalid bool, add func([]Finding)) {
	var byKeyword [][]Finding
	if s.kw != nil {
		byKeyword = s.keywordFindings(text, names, window, includeInvalid)
	}
	for i, c := range s.custom {
		if !selected(names, c.name) {
			continue
		}
		var fs []Finding
		switch {
		case c.re != nil && c.lit != "" && !strings.Contains(text, c.lit):
			// No match can be there.
		case c.kind == steward.DetectorRegex:
			for _, m := range c.re.FindAllStringIndex(text, -1) {
				fs = c.score(fs, text, m[0], m[1], true, window, includeInvalid)
			}
		case c.kind == steward.DetectorEDM:
			for _, m := range c.re.FindAllStringIndex(text, -1) {
				_, ok := c.digests[[32]byte(EDMDigest(s.key, ClientHash(text[m[0]:m[1]])))]
				fs = c.score(fs, text, m[0], m[1], ok, window, includeInvalid)
			}
		default:
			if byKeyword != nil {
				fs = byKeyword[i]
			}
		}
		sortLongestFirst(fs)
		add(dropOverlaps(fs))
	}
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of re contains, or "". Go's regexp skips ahead to a literal
// prefix by itself, but not to one behind an assertion such as \b, nor
// to one in the middle; a scan checks this one with strings.Contains
// before running the regexp, which is most of the time all it does.
func requiredLiteral(re *regexp.Regexp) string {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	var walk func(t *syntax.Regexp) string
	walk = func(t *syntax.Regexp) string {
		switch t.Op {
		case syntax.OpLiteral:
			if t.Flags&syntax.FoldCase == 0 {
				return string(t.Rune)
			}
		case syntax.OpCapture, syntax.OpPlus:
			return walk(t.Sub[0])
		case syntax.OpRepeat:
			if t.Min >= 1 {
				return walk(t.Sub[0])
			}
		case syntax.OpConcat:
			best := ""
			for _, sub := range t.Sub {
				if l := walk(sub); len(l) > len(best) {
					best = l
				}
			}
			return best
		}
		return ""
	}
	return walk(tree)
}

func (c *customDetector) score(fs []Finding, text string, start, end int, valid bool, window int, includeInvalid bool) []Finding {
	return score(fs, c.name, c.context, text, candidate{start: start, end: end, valid: valid, conf: c.conf}, window, includeInvalid)
}

// phraseUse is a custom detector's use of a keyword phrase: as a keyword
// (term < 0), or as an operand of its proximity term prox[term].
type phraseUse struct{ det, term int }

// keywordFindings runs the keyword automaton once for every keyword and
// lexicon detector, and returns each selected detector's findings, by
// index in s.custom; nil when no phrase occurs. The work follows the
// hits, not the size of the lists: most texts hit nothing.
func (s *Scanner) keywordFindings(text string, names []string, window int, includeInvalid bool) [][]Finding {
	hits := s.kw.find(text)
	if len(hits) == 0 {
		return nil
	}
	out := make([][]Finding, len(s.custom))
	var done map[phraseUse]bool
	for _, h := range hits {
		for _, u := range s.uses[h.phrase] {
			c := s.custom[u.det]
			if !selected(names, c.name) {
				continue
			}
			if u.term < 0 {
				out[u.det] = c.score(out[u.det], text, h.start, h.end, true, window, includeInvalid)
				continue
			}
			if done[u] {
				continue
			}
			if done == nil {
				done = map[phraseUse]bool{}
			}
			done[u] = true
			p := c.prox[u.term]
			near(hitsOf(hits, p.a), hitsOf(hits, p.b), p.n, func(start, end int) {
				out[u.det] = c.score(out[u.det], text, start, end, true, window, includeInvalid)
			})
		}
	}
	return out
}

// near reports each span from an occurrence of one phrase to a later
// occurrence of the other with at most n words between them, pairing each
// occurrence with the closest earlier one of the other phrase.
func near(a, b []phraseHit, n int, found func(start, end int)) {
	var lastA, lastB *phraseHit
	for len(a) > 0 || len(b) > 0 {
		var h, other *phraseHit
		if len(b) == 0 || len(a) > 0 && a[0].start <= b[0].start {
			h, other, lastA, a = &a[0], lastB, &a[0], a[1:]
		} else {
			h, other, lastB, b = &b[0], lastA, &b[0], b[1:]
		}
		if other != nil && other.end <= h.start && h.startWord-other.endWord-1 <= n {
			found(other.start, h.end)
		}
	}
}
