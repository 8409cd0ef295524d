package dlp

import (
	"regexp"
	"strings"
)

// A finder returns exactly what re.FindAllStringSubmatchIndex(text, -1)
// returns for its pattern's regexp, but looks only where the prefilter's
// hits say a match can be. The regexp stays the definition of a pattern:
// TestFindersMatchRegexp and FuzzFinders compare every finder with it.
//
// Finders rely on three facts, argued for each below:
//
//   - Alphabet: every byte of a match belongs to a small set, so a match
//     lies inside one maximal run of that set, and a regexp run over the
//     run plus one byte either side (for \b) finds what it finds in the
//     whole text. The extra bytes are outside the set, so no match can
//     use them.
//   - Anchor: every match starts at (or contains) a byte or literal the
//     prefilter records.
//   - Order: FindAll reports non-overlapping matches left to right, each
//     search resuming where the last match ended; finders keep that
//     position (next) and skip anchors before it.
type finder func(text string, h *hits, re *regexp.Regexp) [][]int

// shift adds off to the non-negative indices of m.
func shift(m []int, off int) []int {
	for i := range m {
		if m[i] >= 0 {
			m[i] += off
		}
	}
	return m
}

func isWordAt(text string, i int) bool { return i >= 0 && i < len(text) && isWordByte(text[i]) }

// byteSet is a set of bytes: a bit of the byteSets table, so that
// walking a run of a set costs a load and a test per byte.
type byteSet uint16

const (
	setWord        byteSet = 1 << iota // [A-Za-z0-9_], what \b calls a word byte
	setDigitSep                        // [0-9 -]: SSN, card
	setPhone                           // [0-9 ().-]: NANP phone
	setUpperDigit                      // [A-Z0-9]
	setCUI                             // [A-Z0-9/-]: CUI markings, portion marks
	setBanner                          // [A-Z0-9/ ,-]: classification banners
	setEmailLocal                      // [A-Za-z0-9._%+-]
	setEmailDomain                     // [A-Za-z0-9.-]
	setB64URL                          // [A-Za-z0-9_-]
)

var byteSets = func() (t [256]byteSet) {
	add := func(set byteSet, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= set
		}
	}
	const (
		digits = "0123456789"
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower  = "abcdefghijklmnopqrstuvwxyz"
	)
	add(setWord, digits+upper+lower+"_")
	add(setDigitSep, digits+" -")
	add(setPhone, digits+" ().-")
	add(setUpperDigit, upper+digits)
	add(setCUI, upper+digits+"/-")
	add(setBanner, upper+digits+"/ ,-")
	add(setEmailLocal, upper+lower+digits+"._%+-")
	add(setEmailDomain, upper+lower+digits+".-")
	add(setB64URL, upper+lower+digits+"_-")
	return t
}()

func (s byteSet) has(c byte) bool { return byteSets[c]&s != 0 }

// runAround returns the maximal run of bytes of s that holds
// text[start:end] (which must be of s).
func (s byteSet) runAround(text string, start, end int) (int, int) {
	for start > 0 && byteSets[text[start-1]]&s != 0 {
		start--
	}
	for end < len(text) && byteSets[text[end]]&s != 0 {
		end++
	}
	return start, end
}

// inRuns finds the matches of the patterns made of digits and separators
// (SSN, card, NANP phone). Every match lies in one maximal run of set
// bytes, and its digit groups have a shape that the shape function
// recognizes at one of its digit runs; the regexp runs only over runs
// where a shape is, so a date or a price costs a look at its digit runs.
func inRuns(set byteSet, shape func(text string, runs [][2]int, k int) bool) finder {
	return func(text string, h *hits, re *regexp.Regexp) [][]int {
		var out [][]int
		done := 0
		for k, r := range h.digits {
			if r[0] < done || !shape(text, h.digits, k) {
				continue
			}
			s, e := set.runAround(text, r[0], r[1])
			done = e
			lo, hi := max(s-1, 0), min(e+1, len(text))
			for _, m := range re.FindAllStringSubmatchIndex(text[lo:hi], -1) {
				out = append(out, shift(m, lo))
			}
		}
		return out
	}
}

// joined reports whether digit runs k and k+1 exist and are one byte
// apart, that byte being one of seps.
func joined(text string, runs [][2]int, k int, seps string) bool {
	return k+1 < len(runs) && runs[k+1][0] == runs[k][1]+1 && strings.IndexByte(seps, text[runs[k][1]]) >= 0
}

func runLen(runs [][2]int, k int) int { return runs[k][1] - runs[k][0] }

// ssnShape: a match of \b\d{3}[- ]?\d{2}[- ]?\d{4}\b is whole digit runs
// of 9, 3+6, 5+4 or 3+2+4 digits, one '-' or ' ' apart; k is the first.
func ssnShape(text string, runs [][2]int, k int) bool {
	switch runLen(runs, k) {
	case 9:
		return true
	case 3:
		return joined(text, runs, k, "- ") && (runLen(runs, k+1) == 6 ||
			runLen(runs, k+1) == 2 && joined(text, runs, k+1, "- ") && runLen(runs, k+2) == 4)
	case 5:
		return joined(text, runs, k, "- ") && runLen(runs, k+1) == 4
	}
	return false
}

// cardShape: a match of \b\d(?:[ -]?\d){12,18}\b is a chain of whole digit
// runs, one '-' or ' ' apart, holding 13 to 19 digits; k is the first.
// The chain is followed only until it holds 13 digits.
func cardShape(text string, runs [][2]int, k int) bool {
	n := runLen(runs, k)
	for n < 13 && joined(text, runs, k, "- ") {
		k++
		n += runLen(runs, k)
	}
	return n >= 13
}

// nanpShape: every NANP match ends with a whole run of three digits, one
// ' ', '.' or '-', and a whole run of four; k is the three.
func nanpShape(text string, runs [][2]int, k int) bool {
	return runLen(runs, k) == 3 && joined(text, runs, k, " .-") && runLen(runs, k+1) == 4
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func allOf(s string, set byteSet) bool {
	for i := 0; i < len(s); i++ {
		if !set.has(s[i]) {
			return false
		}
	}
	return true
}

// digitWord finds \b\d{n}\b, and with letter also \b[A-Z]\d{n-1}\b: a
// match is a whole word (run of word bytes), so it is one of the digit
// runs, possibly with one capital before it.
func digitWord(n int, letter bool) finder {
	return func(text string, h *hits, _ *regexp.Regexp) [][]int {
		var out [][]int
		for _, r := range h.digits {
			s, e := r[0], r[1]
			if l := e - s; l != n && !(letter && l == n-1) || isWordAt(text, e) {
				continue
			}
			switch {
			case e-s == n && !isWordAt(text, s-1):
				out = append(out, []int{s, e})
			case letter && e-s == n-1 && s > 0 && isUpper(text[s-1]) && !isWordAt(text, s-2):
				out = append(out, []int{s - 1, e})
			}
		}
		return out
	}
}

// findIBAN finds \b[A-Z]{2}\d{2} ?[A-Z0-9]{4}. The two digits start a
// digit run (a letter precedes them); the optional space is taken when
// present, and giving it back cannot help, as a space is not [A-Z0-9].
func findIBAN(text string, h *hits, _ *regexp.Regexp) [][]int {
	var out [][]int
	next := 0
	for _, r := range h.digits {
		s := r[0] - 2
		if s < next || r[1]-r[0] < 2 || !isUpper(text[s]) || !isUpper(text[s+1]) || isWordAt(text, s-1) {
			continue
		}
		p := s + 4
		var e int
		switch {
		case p < len(text) && text[p] == ' ':
			if p+5 > len(text) || !allOf(text[p+1:p+5], setUpperDigit) {
				continue
			}
			e = p + 5
		case p+4 <= len(text) && allOf(text[p:p+4], setUpperDigit):
			e = p + 4
		default:
			continue
		}
		out = append(out, []int{s, e})
		next = e
	}
	return out
}

// findE164 runs \+[1-9][0-9 ().-]{6,22}\d at each '+': a match holds one
// '+', its first byte, and is at most 25 bytes long.
func findE164(text string, h *hits, re *regexp.Regexp) [][]int {
	var out [][]int
	for _, p := range h.plus {
		if m := re.FindStringSubmatchIndex(text[p:min(len(text), p+25)]); m != nil && m[0] == 0 {
			out = append(out, shift(m, p))
		}
	}
	return out
}

// findEmail runs the email regexp around each '@'. A match holds exactly
// one '@', a local part from the run of local-part bytes before it and a
// domain from the run of domain bytes after it; the regexp has no leading
// assertion, so the window may start where the last match ended.
func findEmail(text string, h *hits, re *regexp.Regexp) [][]int {
	var out [][]int
	next := 0
	for _, a := range h.at {
		s := a
		for s > next && setEmailLocal.has(text[s-1]) {
			s--
		}
		if s == a {
			continue
		}
		e := a + 1
		for e < len(text) && setEmailDomain.has(text[e]) {
			e++
		}
		if m := re.FindStringSubmatchIndex(text[s:min(e+1, len(text))]); m != nil {
			out = append(out, shift(m, s))
			next = m[1]
		}
	}
	return out
}

// inLiteralRuns runs re over each maximal run of set that contains one of
// the literals, once per run: the markings, whose matches start at a
// literal and are made of capitals, digits and a few separators.
func inLiteralRuns(set byteSet, lits ...int) finder {
	return func(text string, h *hits, re *regexp.Regexp) [][]int {
		var starts []int
		for _, l := range lits {
			starts = mergeSorted(starts, h.lit[l])
		}
		var out [][]int
		done := 0
		for _, s := range starts {
			if s < done {
				continue
			}
			s, e := set.runAround(text, s, s)
			done = e
			lo, hi := max(s-1, 0), min(e+1, len(text))
			for _, m := range re.FindAllStringSubmatchIndex(text[lo:hi], -1) {
				out = append(out, shift(m, lo))
			}
		}
		return out
	}
}

func mergeSorted(a, b []int) []int {
	if len(a) == 0 {
		return b
	}
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return append(append(out, a[i:]...), b[j:]...)
}

// findCUI finds the cui_marking regexp: the CUI alternative inside runs of
// [A-Z0-9/-], and the spelled-out alternative, which holds spaces, at its
// literal. The two kinds cannot overlap each other except when a run's
// match swallows the start of a spelled-out one, which FindAll would then
// skip; merging by start with the resume position does the same.
func findCUI(text string, h *hits, re *regexp.Regexp) [][]int {
	short := inLiteralRuns(setCUI, litCUI)(text, h, re)
	const long = len("CONTROLLED UNCLASSIFIED INFORMATION")
	var out [][]int
	next := 0
	add := func(m []int) {
		if m[0] >= next {
			out = append(out, m)
			next = m[1]
		}
	}
	for _, s := range h.lit[litControlled] {
		for len(short) > 0 && short[0][0] < s {
			add(short[0])
			short = short[1:]
		}
		if !isWordAt(text, s-1) && !isWordAt(text, s+long) {
			add([]int{s, s + long})
		}
	}
	for _, m := range short {
		add(m)
	}
	return out
}

// findPortion runs the portion-mark regexp at each "(T", "(S", "(C" or
// "(U": the body is [A-Z0-9/-] and a ')' must close it.
func findPortion(text string, h *hits, re *regexp.Regexp) [][]int {
	var out [][]int
	for _, p := range h.paren {
		q := p + 1
		for q < len(text) && setCUI.has(text[q]) {
			q++
		}
		if q == len(text) || text[q] != ')' {
			continue
		}
		if m := re.FindStringSubmatchIndex(text[p : q+1]); m != nil && m[0] == 0 {
			out = append(out, shift(m, p))
		}
	}
	return out
}

// awsKey finds \bLIT[A-Z0-9]{16}\b at the literal lit.
func awsKey(lit int) finder {
	return func(text string, h *hits, _ *regexp.Regexp) [][]int {
		var out [][]int
		for _, s := range h.lit[lit] {
			e := s + 20
			if e <= len(text) && !isWordAt(text, s-1) && !isWordAt(text, e) && allOf(text[s+4:e], setUpperDigit) {
				out = append(out, []int{s, e})
			}
		}
		return out
	}
}

// findGCP finds AIza[0-9A-Za-z_-]{35}, which has no assertion.
func findGCP(text string, h *hits, _ *regexp.Regexp) [][]int {
	var out [][]int
	next := 0
	for _, s := range h.lit[litAIza] {
		if e := s + 39; s >= next && e <= len(text) && allOf(text[s+4:e], setB64URL) {
			out = append(out, []int{s, e})
			next = e
		}
	}
	return out
}

// findPEM runs the BEGIN-line regexp at each "-----BEGIN ": between the
// literal and the closing "-----" come only [A-Z0-9 ], so the first '-'
// after the literal opens the closing dashes.
func findPEM(text string, h *hits, re *regexp.Regexp) [][]int {
	var out [][]int
	next := 0
	const lit = len("-----BEGIN ")
	for _, s := range h.lit[litBegin] {
		if s < next {
			continue
		}
		d := s + lit
		for d < len(text) && text[d] != '-' {
			d++
		}
		if m := re.FindStringSubmatchIndex(text[s:min(len(text), d+5)]); m != nil && m[0] == 0 {
			out = append(out, shift(m, s))
			next = m[1]
		}
	}
	return out
}

// findJWT finds \beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*.
// The segments' class excludes '.', so each greedy repetition is a whole
// run and backtracking cannot change the match. When what follows the
// first segment's run rules a match out, it rules out every "eyJ" inside
// that run too (their first segment ends at the same byte), so those are
// skipped: "eyJaaaa-eyJaaaa-..." stays linear.
func findJWT(text string, h *hits, _ *regexp.Regexp) [][]int {
	var out [][]int
	next, dead := 0, 0
	run := func(i int) int {
		for i < len(text) && setB64URL.has(text[i]) {
			i++
		}
		return i
	}
	for _, s := range h.lit[litJWT] {
		if s < next || s+3 < dead || isWordAt(text, s-1) {
			continue
		}
		a := run(s + 3)
		if a == len(text) || text[a] != '.' {
			dead = a
			continue
		}
		b := run(a + 1)
		if b == len(text) || text[b] != '.' {
			dead = a
			continue
		}
		if a-(s+3) < 5 {
			continue
		}
		e := run(b + 1)
		out = append(out, []int{s, e})
		next = e
	}
	return out
}

// passwordKeys are the password regexp's keys, which (?i) matches without
// regard to case; Go folds 's' with 'ſ' (U+017F) too.
var passwordKeys = []string{"password", "passwd", "pwd", "passphrase"}

// keyEndingAt returns where a password key ending at text[:j] starts, or -1.
func keyEndingAt(text string, j int) int {
	for _, k := range passwordKeys {
		i, ok := j, true
		for x := len(k) - 1; x >= 0 && ok; x-- {
			switch c := k[x]; {
			case i > 0 && text[i-1]|0x20 == c:
				i--
			case c == 's' && i > 1 && text[i-2] == 0xC5 && text[i-1] == 0xBF:
				i -= 2
			default:
				ok = false
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// findPassword runs the password regexp from the key before each ':' or
// '=' the prefilter kept. The key, an optional quote and at most three
// blanks precede the operator, so the match's start is found by looking
// back; the value is at most 258 bytes, so the window is bounded.
func findPassword(text string, h *hits, re *regexp.Regexp) [][]int {
	var out [][]int
	next := 0
	for _, i := range h.assign {
		j := i
		for b := 0; b < 3 && j > 0 && (text[j-1] == ' ' || text[j-1] == '\t'); b++ {
			j--
		}
		if j > 0 && (text[j-1] == '"' || text[j-1] == '\'') {
			j--
		}
		k := keyEndingAt(text, j)
		switch {
		case k < 0:
			continue
		case k > 0 && text[k-1] == '_':
			k-- // (?:\b|_) takes the underscore
		case isWordAt(text, k-1):
			continue
		}
		if k < next {
			continue
		}
		if m := re.FindStringSubmatchIndex(text[k:min(len(text), i+2+3+258)]); m != nil && m[0] == 0 {
			out = append(out, shift(m, k))
			next = m[1]
		}
	}
	return out
}
