package dlp

import (
	"strings"
	"sync"
)

// The prefilter is the one pass every scan makes over the whole text. It
// reads each byte once through a 256-entry class table and, for the few
// bytes that can begin or anchor a built-in pattern, records where they
// are. Every pattern then looks only at those places (see match.go), so
// the cost of a scan is one table walk plus work proportional to the
// number of anchors, not to the number of detectors.
//
// Prose is mostly lower-case letters, spaces and punctuation, all of class
// zero: the inner loop skips them without a branch per class.

// Literals the prefilter records, by index into hits.lit.
const (
	litCUI          = iota // CUI
	litControlled          // CONTROLLED UNCLASSIFIED INFORMATION
	litSecret              // SECRET (also the tail of TOP SECRET)
	litConfidential        // CONFIDENTIAL
	litUnclassified        // UNCLASSIFIED
	litAKIA                // AKIA
	litASIA                // ASIA
	litAIza                // AIza
	litBegin               // -----BEGIN
	litJWT                 // eyJ
	nLit
)

var literals = [nLit]string{
	litCUI:          "CUI",
	litControlled:   "CONTROLLED UNCLASSIFIED INFORMATION",
	litSecret:       "SECRET",
	litConfidential: "CONFIDENTIAL",
	litUnclassified: "UNCLASSIFIED",
	litAKIA:         "AKIA",
	litASIA:         "ASIA",
	litAIza:         "AIza",
	litBegin:        "-----BEGIN ",
	litJWT:          "eyJ",
}

// hits is what the prefilter found in one text. Every list is in
// increasing order of position.
type hits struct {
	digits [][2]int // maximal runs of ASCII digits, [start, end)
	at     []int    // '@'
	plus   []int    // '+' followed by 1-9
	paren  []int    // '(' followed by T, S, C or U
	assign []int    // ':' or '=' right after what may end a password key
	lit    [nLit][]int
	// anchored is false when the pass found no anchor at all, so that no
	// built-in pattern can match: most chat messages.
	anchored bool
}

// Byte classes of the prefilter table.
const (
	clNone = iota
	clDigit
	clAt
	clPlus
	clParen
	clAssign
	clDash  // '-': "-----BEGIN "
	clUpper // 'A', 'C', 'S', 'U': the first letters of upper-case literals
	clJ     // 'J': the last letter of "eyJ", which is rarer in prose than "ey"
)

var classOf = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	t['@'], t['+'], t['('], t[':'], t['='], t['-'] = clAt, clPlus, clParen, clAssign, clAssign, clDash
	t['A'], t['C'], t['S'], t['U'] = clUpper, clUpper, clUpper, clUpper
	t['J'] = clJ
	return t
}()

// hitsPool recycles hits: chat messages are short, and allocating the
// lists anew for each would cost more than scanning it.
var hitsPool = sync.Pool{New: func() any { return new(hits) }}

// release empties h and returns it to the pool.
func (h *hits) release() {
	h.digits, h.at, h.plus, h.paren, h.assign = h.digits[:0], h.at[:0], h.plus[:0], h.paren[:0], h.assign[:0]
	for i := range h.lit {
		h.lit[i] = h.lit[i][:0]
	}
	h.anchored = false
	hitsPool.Put(h)
}

// prefilter makes the single pass over text. The caller releases the
// result when done with it.
func prefilter(text string) *hits {
	h := hitsPool.Get().(*hits)
	n := len(text)
	for i := nextAnchor(text, 0); i < n; i = nextAnchor(text, i+1) {
		switch classOf[text[i]] {
		case clDigit:
			j := i + 1
			for j < n && isDigit(text[j]) {
				j++
			}
			h.digits = append(h.digits, [2]int{i, j})
			i = j - 1
		case clAt:
			h.at = append(h.at, i)
		case clPlus:
			if i+1 < n && text[i+1] >= '1' && text[i+1] <= '9' {
				h.plus = append(h.plus, i)
			}
		case clParen:
			if i+1 < n {
				switch text[i+1] {
				case 'T', 'S', 'C', 'U':
					h.paren = append(h.paren, i)
				}
			}
		case clAssign:
			if i > 0 {
				switch text[i-1] {
				case 'd', 'D', 'e', 'E', ' ', '\t', '"', '\'':
					h.assign = append(h.assign, i)
				}
			}
		case clDash:
			if i+1 < n && text[i+1] == '-' && strings.HasPrefix(text[i:], literals[litBegin]) {
				h.lit[litBegin] = append(h.lit[litBegin], i)
			}
		case clUpper:
			h.upper(text, i)
		case clJ:
			if i >= 2 && text[i-2] == 'e' && text[i-1] == 'y' {
				h.lit[litJWT] = append(h.lit[litJWT], i-2)
			}
		}
	}
	h.anchored = len(h.digits)+len(h.at)+len(h.plus)+len(h.paren)+len(h.assign) > 0
	for _, l := range h.lit {
		h.anchored = h.anchored || len(l) > 0
	}
	return h
}

// nextAnchor returns the index of the first byte at or after i whose
// class is not zero, or len(text). It tests eight bytes at a time with
// mayTrigger, and looks at each byte only in words that may hold one.
func nextAnchor(text string, i int) int {
	for ; i+8 <= len(text); i += 8 {
		w := text[i : i+8]
		if !mayTrigger(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56) {
			continue
		}
		for k := range 8 {
			if classOf[w[k]] != 0 {
				return i + k
			}
		}
	}
	for ; i < len(text); i++ {
		if classOf[text[i]] != 0 {
			return i
		}
	}
	return len(text)
}

// mayTrigger reports whether one of the eight bytes of x is in '0'..'U'
// (0x30-0x55) or is '(', '+' or '-': every byte whose class is not zero
// is, while the commonest punctuation of prose (space, '.', ',', '!' and the apostrophe)
// is not. It uses the "has between" and "has zero byte" bit tricks, which
// are exact for every byte value.
func mayTrigger(x uint64) bool {
	const (
		ones = 0x0101010101010101
		low7 = ones * 0x7F
		high = ones * 0x80
	)
	t := x & low7
	between := (ones*(127+0x56) - t) &^ x & (t + ones*(127-0x2F))
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	return (between|zero(x^ones*'(')|zero(x^ones*'+')|zero(x^ones*'-'))&high != 0
}

// upper records the upper-case literal that starts at text[i], if any.
func (h *hits) upper(text string, i int) {
	if i+2 >= len(text) {
		return
	}
	rest := text[i:]
	add := func(l int) {
		if strings.HasPrefix(rest, literals[l]) {
			h.lit[l] = append(h.lit[l], i)
		}
	}
	switch text[i] {
	case 'A':
		switch text[i+1] {
		case 'K':
			add(litAKIA)
		case 'S':
			add(litASIA)
		case 'I':
			add(litAIza)
		}
	case 'C':
		switch text[i+1] {
		case 'U':
			add(litCUI)
		case 'O':
			if text[i+2] == 'N' {
				add(litControlled)
				add(litConfidential)
			}
		}
	case 'S':
		if text[i+1] == 'E' {
			add(litSecret)
		}
	case 'U':
		if text[i+1] == 'N' {
			add(litUnclassified)
		}
	}
}
