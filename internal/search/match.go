package search

import (
	"slices"
	"strings"
)

// Match reports whether d matches q. It reads the plaintext and is slow;
// it is the specification every Index must meet exactly, and the verifier
// of hits the blind index can only narrow down.
func Match(q *Query, d *Doc) bool {
	m := matcher{d: d}
	return m.eval(q.root)
}

// textGap is how many positions separate two parts of a document's text
// (the body and each attachment's text), so that no phrase and no w/N,
// whose N is at most MaxProximity, spans two parts.
const textGap = MaxProximity

// matcher evaluates a query on one document, tokenizing its text once.
type matcher struct {
	d   *Doc
	at  []string         // the token at each position; "" in the gaps between parts
	pos map[string][]int // each token's positions, ascending
}

func (m *matcher) tokenize() {
	if m.pos != nil {
		return
	}
	m.pos = make(map[string][]int)
	for i, part := range m.d.Text {
		if i > 0 {
			m.at = append(m.at, make([]string, textGap)...)
		}
		for _, t := range Tokens(part) {
			m.pos[t] = append(m.pos[t], len(m.at))
			m.at = append(m.at, t)
		}
	}
}

// starts returns the positions at which the phrase words begins.
func (m *matcher) starts(words []string) []int {
	m.tokenize()
	var out []int
next:
	for _, p := range m.pos[words[0]] {
		for i, w := range words[1:] {
			if p+1+i >= len(m.at) || m.at[p+1+i] != w {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

func (m *matcher) eval(n *Node) bool {
	switch n.Op {
	case OpPhrase:
		return len(m.starts(n.Words)) > 0
	case OpPrefix:
		m.tokenize()
		for t := range m.pos {
			if strings.HasPrefix(t, n.Words[0]) {
				return true
			}
		}
		return false
	case OpNear:
		return m.near(n.Kids[0].Words, n.Kids[1].Words, n.N)
	case OpAnd:
		for _, k := range n.Kids {
			if !m.eval(k) {
				return false
			}
		}
		return true
	case OpOr:
		for _, k := range n.Kids {
			if m.eval(k) {
				return true
			}
		}
		return false
	case OpNot:
		return !m.eval(n.Kids[0])
	case OpField:
		return m.field(n)
	}
	return false
}

// near reports whether an occurrence of phrase a and one of phrase b are
// within n words: the one that starts later (either, if they start
// together) starts at most n words after the other's first word, counting
// a longer phrase's extra words as one. Put another way, at most n-1 words
// lie between the end of the earlier and the start of the later. The two
// may overlap, and when a and b are the same phrase one occurrence serves
// both, as in SQLite's FTS5 NEAR.
func (m *matcher) near(a, b []string, n int) bool {
	as, bs := m.starts(a), m.starts(b)
	for _, i := range as {
		for _, j := range bs {
			if i <= j && j-i-len(a) <= n-1 || j <= i && i-j-len(b) <= n-1 {
				return true
			}
		}
	}
	return false
}

func (m *matcher) field(n *Node) bool {
	d := m.d
	switch n.Field {
	case FieldFrom:
		return partyMatches(n.Value, d.From)
	case FieldTo:
		return slices.ContainsFunc(d.To, func(p Party) bool { return partyMatches(n.Value, p) })
	case FieldParticipant:
		match := func(p Party) bool { return partyMatches(n.Value, p) }
		return match(d.From) || slices.ContainsFunc(d.To, match) || slices.ContainsFunc(d.Participants, match)
	case FieldCustodian:
		return slices.Contains(d.Custodians, n.Value)
	case FieldConversation:
		return d.ConversationID == n.Value
	case FieldChannel:
		return strings.ToLower(d.Channel) == n.Value
	case FieldDirection:
		return strings.ToLower(string(d.Direction)) == n.Value
	case FieldDLP:
		return slices.ContainsFunc(d.DLP, func(s string) bool { return strings.ToLower(s) == n.Value })
	case FieldHas:
		return d.HasAttachment
	case FieldDeleted:
		return d.Deleted == n.flag()
	case FieldEdited:
		return d.Edited == n.flag()
	case FieldFilename:
		words := Tokens(n.Value)
		return slices.ContainsFunc(d.Filenames, func(f string) bool { return containsRun(Tokens(f), words) })
	case FieldBefore, FieldAfter, FieldOn:
		sent, day := ClampTime(d.Sent), n.day()
		next := day.AddDate(0, 0, 1)
		switch n.Field {
		case FieldBefore:
			return sent.Before(day)
		case FieldAfter:
			return !sent.Before(next)
		}
		return !sent.Before(day) && sent.Before(next)
	}
	return false
}

// partyMatches reports whether a from:, to: or participant: value names p:
// it is p's address (compared by normAddress), or its words appear
// together, in order, in p's address or in p's name.
func partyMatches(value string, p Party) bool {
	if normAddress(value) == normAddress(p.Address) {
		return true
	}
	words := Tokens(value)
	return containsRun(Tokens(p.Address), words) || containsRun(Tokens(p.Name), words)
}

// normAddress puts an address in the form in which two spellings of it
// compare equal: trimmed and in lower case, and a phone number (digits
// written with any of "+-(). ") reduced to its digits, after a + if it
// began with one.
func normAddress(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	digits, phone := 0, true
	for _, r := range s {
		if '0' <= r && r <= '9' {
			digits++
		} else if !strings.ContainsRune("+-(). ", r) {
			phone = false
			break
		}
	}
	if !phone || digits < 3 {
		return s
	}
	b := make([]byte, 0, digits+1)
	if s[0] == '+' {
		b = append(b, '+')
	}
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// containsRun reports whether words appear in hay consecutively, in order.
func containsRun(hay, words []string) bool {
	if len(words) == 0 {
		return false
	}
	for i := 0; i+len(words) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(words)], words) {
			return true
		}
	}
	return false
}
