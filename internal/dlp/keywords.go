package dlp

import (
	"slices"
	"sort"

	"github.com/steward-gov/steward/internal/steward"
)

// keywordMatcher finds many phrases in one pass: an Aho-Corasick automaton
// compiled to a full transition table over byte classes. Matching folds
// ASCII letters to lower case and reads every run of ASCII white space as
// one space; other bytes (so letters outside ASCII) must match exactly.
// Only whole words match: a phrase that begins (ends) with a word byte
// must not be preceded (followed) by one.
type keywordMatcher struct {
	class  [256]uint8 // text byte → class; 0 for bytes in no phrase
	nclass int
	// delta is the transition table while it is built: state*nclass +
	// class → next state. find walks next instead, whose rows have one
	// more column and hold offsets rather than states: next[off+class] is
	// the next state's offset, and next[off+nclass] the state itself when
	// a phrase ends there or at one of its suffixes, else -1. That saves a
	// multiplication and a load per byte.
	delta   []int32
	next    []int32
	out     []int32 // state → phrase ending there, or -1
	dict    []int32 // state → nearest proper suffix state with an output, or -1
	phrases []phraseInfo
}

type phraseInfo struct {
	text               string // as folded
	n                  int    // bytes
	words              int    // word starts in the phrase
	wordHead, wordTail bool
}

// phraseHit is one occurrence of a phrase in a text.
type phraseHit struct {
	phrase             int
	start, end         int
	startWord, endWord int // index of the first and last word, counting words in the text from 1
}

// textFlags classifies bytes for the matcher's word count and white
// space folding.
var textFlags = func() (t [256]uint8) {
	for c := range 256 {
		if isTextWordByte(byte(c)) {
			t[c] |= flagWord
		}
		if isSpace(byte(c)) {
			t[c] |= flagSpace
		}
	}
	return t
}()

const (
	flagWord = 1 << iota
	flagSpace
)

// foldByte is how the matcher reads a byte.
func foldByte(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case isSpace(c):
		return ' '
	}
	return c
}

// foldPhrase is a keyword as the matcher stores it.
func foldPhrase(p string) string {
	p = foldSpaces(p)
	b := []byte(p)
	for i, c := range b {
		b[i] = foldByte(c)
	}
	return string(b)
}

func newKeywordMatcher(phrases []string) (*keywordMatcher, error) {
	const op steward.Op = "dlp.Compile"
	m := &keywordMatcher{}
	// Classes: one per folded byte that occurs in a phrase.
	var folded [256]uint8
	for _, p := range phrases {
		for i := 0; i < len(p); i++ {
			if folded[p[i]] == 0 {
				m.nclass++
				folded[p[i]] = uint8(m.nclass)
			}
		}
	}
	m.nclass++ // class 0
	for c := 0; c < 256; c++ {
		m.class[c] = folded[foldByte(byte(c))]
	}
	// The trie, built straight into the transition table: a row per
	// state, 0 for "no edge" (no edge leads back to the root).
	m.out = []int32{-1}
	m.delta = make([]int32, m.nclass)
	for id, p := range phrases {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			cell := int(s)*m.nclass + int(folded[p[i]])
			if m.delta[cell] == 0 {
				if (len(m.out)+1)*m.nclass > maxKeywordTable {
					return nil, steward.Errorf(op, steward.TooLarge,
						"the keyword lists are too large: more than %d automaton states", maxKeywordTable/m.nclass)
				}
				m.delta[cell] = int32(len(m.out))
				m.out = append(m.out, -1)
				m.delta = append(m.delta, make([]int32, m.nclass)...)
			}
			s = m.delta[cell]
		}
		m.out[s] = int32(id)
		info := phraseInfo{text: p, n: len(p), wordHead: isTextWordByte(p[0]), wordTail: isTextWordByte(p[len(p)-1])}
		for i := 0; i < len(p); i++ {
			if isTextWordByte(p[i]) && (i == 0 || !isTextWordByte(p[i-1])) {
				info.words++
			}
		}
		m.phrases = append(m.phrases, info)
	}
	// Breadth first, fill each state's missing edges from its failure
	// state's row, which is complete because that state is shallower.
	// When a state is reached, its row still holds only trie edges.
	states := len(m.out)
	m.dict = make([]int32, states)
	fail := make([]int32, states)
	queue := []int32{0}
	m.dict[0] = -1
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		row := m.delta[int(s)*m.nclass : int(s+1)*m.nclass]
		frow := m.delta[int(fail[s])*m.nclass : int(fail[s]+1)*m.nclass]
		for c := 1; c < m.nclass; c++ {
			next := row[c]
			if next == 0 {
				if s != 0 {
					row[c] = frow[c]
				}
				continue
			}
			if s != 0 {
				fail[next] = frow[c]
			}
			if f := fail[next]; m.out[f] >= 0 {
				m.dict[next] = f
			} else {
				m.dict[next] = m.dict[f]
			}
			queue = append(queue, next)
		}
	}
	stride := m.nclass + 1
	m.next = make([]int32, states*stride)
	for st := range states {
		row := m.next[st*stride : (st+1)*stride]
		for c, to := range m.delta[st*m.nclass : (st+1)*m.nclass] {
			row[c] = to * int32(stride)
		}
		row[m.nclass] = -1
		if m.out[st] >= 0 || m.dict[st] >= 0 {
			row[m.nclass] = int32(st)
		}
	}
	m.delta = nil
	return m, nil
}

// find returns every whole-word occurrence of every phrase, sorted by
// phrase and then by start (see hitsOf). The loop over the text only
// folds white space and steps the automaton; a hit's start and word
// numbers are worked out when it happens, which is rare.
func (m *keywordMatcher) find(text string) []phraseHit {
	var hits []phraseHit
	words, counted := 0, 0 // word starts in text[:counted]
	off := 0
	prevSpace := false
	for i := 0; i < len(text); i++ {
		b := text[i]
		if textFlags[b]&flagSpace != 0 {
			if prevSpace {
				continue // a run of white space is one space
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		off = int(m.next[off+int(m.class[b])])
		state := m.next[off+m.nclass]
		if state < 0 {
			continue
		}
		for ; counted <= i; counted++ {
			if textFlags[text[counted]]&flagWord != 0 && (counted == 0 || textFlags[text[counted-1]]&flagWord == 0) {
				words++
			}
		}
		for o := state; o >= 0; o = m.dict[o] {
			id := m.out[o]
			if id < 0 {
				continue
			}
			p := &m.phrases[id]
			start, end := phraseStart(text, i, p.n), i+1
			if p.wordHead && start > 0 && isTextWordByte(text[start-1]) ||
				p.wordTail && end < len(text) && isTextWordByte(text[end]) {
				continue
			}
			hits = append(hits, phraseHit{phrase: int(id), start: start, end: end, startWord: words - p.words + 1, endWord: words})
		}
	}
	slices.SortFunc(hits, func(a, b phraseHit) int {
		if a.phrase != b.phrase {
			return a.phrase - b.phrase
		}
		return a.start - b.start
	})
	return hits
}

// phraseStart returns where the n bytes the automaton read up to and
// including text[last] begin: it skips back over the white space it
// folded (every white space byte after another).
func phraseStart(text string, last, n int) int {
	j := last
	for {
		if !(isSpace(text[j]) && j > 0 && isSpace(text[j-1])) {
			if n--; n == 0 {
				return j
			}
		}
		j--
	}
}

// hitsOf returns the hits of one phrase from what find returned.
func hitsOf(hits []phraseHit, phrase int) []phraseHit {
	i := sort.Search(len(hits), func(i int) bool { return hits[i].phrase >= phrase })
	j := i
	for j < len(hits) && hits[j].phrase == phrase {
		j++
	}
	return hits[i:j]
}
