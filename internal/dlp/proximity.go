package dlp

import (
	"strconv"
	"strings"
)

// Term is one parsed lexicon term: a phrase, or two phrases that must
// occur near each other.
type Term struct {
	// A is the phrase of a plain term, or the first operand of a
	// proximity term; B is the second operand.
	A, B string
	// N is the most words allowed between A and B, or 0 for a plain term.
	N int
}

// termError is a lexicon term's problem, worded for an administrator.
type termError string

func (e termError) Error() string { return string(e) }

// ParseTerm parses a lexicon term. Its grammar:
//
//	term    = phrase | operand " w/" N " " operand
//	operand = word | '"' phrase '"'
//
// A plain term is a phrase as written (it may be wrapped in double quotes
// as a whole). In a proximity term, "w/N" (or "W/N") stands alone between
// spaces, N is 1 to MaxProximity, and each operand is one word or a
// double-quoted phrase that holds a letter or digit. ParseTerm returns a
// plain error whose message says what is wrong.
func ParseTerm(s string) (Term, error) {
	type token struct {
		text   string
		quoted bool
	}
	var toks []token
	for i := 0; i < len(s); {
		switch {
		case isSpace(s[i]):
			i++
		case s[i] == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return Term{}, termError("a double quote is not closed")
			}
			toks = append(toks, token{s[i+1 : i+1+j], true})
			i += j + 2
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) {
				j++
			}
			if strings.Contains(s[i:j], `"`) {
				return Term{}, termError("a double quote must start a phrase")
			}
			toks = append(toks, token{s[i:j], false})
			i = j
		}
	}
	op := -1
	for i, t := range toks {
		if !t.quoted && isProximityOp(t.text) {
			if op >= 0 {
				return Term{}, termError("a term has at most one w/N")
			}
			op = i
		}
	}
	if op < 0 {
		phrase := strings.TrimSpace(s)
		if len(toks) == 1 && toks[0].quoted {
			phrase = toks[0].text
		} else if strings.Contains(phrase, `"`) {
			return Term{}, termError("double quotes must enclose a whole phrase")
		}
		if strings.TrimSpace(phrase) == "" {
			return Term{}, termError("the phrase is empty")
		}
		return Term{A: foldSpaces(phrase)}, nil
	}
	if op != 1 || len(toks) != 3 {
		return Term{}, termError(`a proximity term is: word-or-"phrase" w/N word-or-"phrase"`)
	}
	n, err := strconv.Atoi(toks[1].text[2:])
	if err != nil || n < 1 || n > MaxProximity {
		return Term{}, termError("N in w/N must be 1 to " + strconv.Itoa(MaxProximity))
	}
	a, b := foldSpaces(toks[0].text), foldSpaces(toks[2].text)
	if !hasWordByte(a) || !hasWordByte(b) {
		return Term{}, termError("each side of w/N needs a letter or digit")
	}
	return Term{A: a, B: b, N: n}, nil
}

// String formats t so that ParseTerm gives t back.
func (t Term) String() string {
	if t.N == 0 {
		return `"` + t.A + `"`
	}
	return `"` + t.A + `" w/` + strconv.Itoa(t.N) + ` "` + t.B + `"`
}

// isProximityOp reports whether a bare token is w/N or W/N with N digits.
func isProximityOp(s string) bool {
	if len(s) < 3 || s[0]|0x20 != 'w' || s[1] != '/' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// foldSpaces trims s and collapses its runs of ASCII white space to one
// space, as the keyword matcher sees text.
func foldSpaces(s string) string {
	var b strings.Builder
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

func hasWordByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if isTextWordByte(s[i]) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isTextWordByte is the keyword matcher's idea of a word byte: ASCII
// letters, digits and '_', and every byte of a multi-byte UTF-8 sequence,
// so that words in any script are whole words.
func isTextWordByte(c byte) bool { return isWordByte(c) || c >= 0x80 }
