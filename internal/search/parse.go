package search

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Parse parses a query in the language described in the package
// documentation. Returns Invalid, with the 1-based rune position of the
// fault in the message, if q is malformed or exceeds MaxQueryLen,
// MaxDepth or MaxTerms.
func Parse(q string) (*Query, error) {
	const op steward.Op = "search.Parse"
	if len(q) > MaxQueryLen {
		return nil, steward.Errorf(op, steward.Invalid, "query is longer than %d bytes", MaxQueryLen)
	}
	if !utf8.ValidString(q) {
		return nil, steward.E(op, steward.Invalid, "query is not valid UTF-8")
	}
	toks, err := lex(q)
	if err == nil {
		p := &parser{toks: toks}
		var n *Node
		if n, err = p.parse(); err == nil {
			return &Query{root: n}, nil
		}
	}
	return nil, steward.Errorf(op, steward.Invalid, "position %d: %s", err.pos, err.msg)
}

// syntaxError is a fault at a rune position of the query.
type syntaxError struct {
	pos int
	msg string
}

func errAt(pos int, format string, args ...any) *syntaxError {
	return &syntaxError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tNear   // n
	tWord   // text, a bare word
	tQuoted // text, unescaped
	tField  // field and text, its value
)

type token struct {
	kind  tokKind
	text  string
	field Field
	n     int
	pos   int
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// lex splits q into tokens. A bare word runs to the next space,
// parenthesis or quote; a field's value may be quoted right after its
// colon.
func lex(q string) ([]token, *syntaxError) {
	rs := []rune(q)
	var toks []token
	for i := 0; i < len(rs); {
		r, pos := rs[i], i+1
		switch {
		case isSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{kind: tLParen, pos: pos})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, pos: pos})
			i++
		case r == '"':
			s, j, err := unquote(rs, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tQuoted, text: s, pos: pos})
			i = j
		default:
			j := i
			for j < len(rs) && !isSpace(rs[j]) && rs[j] != '(' && rs[j] != ')' && rs[j] != '"' {
				j++
			}
			t, err := classify(string(rs[i:j]), pos)
			if err != nil {
				return nil, err
			}
			if t.kind == tField && t.text == "" && j < len(rs) && rs[j] == '"' {
				s, k, err := unquote(rs, j)
				if err != nil {
					return nil, err
				}
				t.text, j = s, k
			}
			toks = append(toks, t)
			i = j
		}
	}
	return append(toks, token{kind: tEOF, pos: len(rs) + 1}), nil
}

// unquote reads the quoted string that starts at rs[i], in which \"
// stands for a quote and \\ for a backslash. It returns the string and the
// index after the closing quote.
func unquote(rs []rune, i int) (string, int, *syntaxError) {
	var b strings.Builder
	for j := i + 1; j < len(rs); j++ {
		switch rs[j] {
		case '"':
			return b.String(), j + 1, nil
		case '\\':
			if j+1 < len(rs) {
				j++
			}
		}
		b.WriteRune(rs[j])
	}
	return "", 0, errAt(i+1, "quote is not closed")
}

// classify makes a token of a bare word.
func classify(w string, pos int) (token, *syntaxError) {
	switch w {
	case "AND":
		return token{kind: tAnd, pos: pos}, nil
	case "OR":
		return token{kind: tOr, pos: pos}, nil
	case "NOT":
		return token{kind: tNot, pos: pos}, nil
	}
	if len(w) > 2 && (w[0] == 'w' || w[0] == 'W') && w[1] == '/' && isDigits(w[2:]) {
		n, err := strconv.Atoi(w[2:])
		if err != nil || n < 1 || n > MaxProximity {
			return token{}, errAt(pos, "w/N needs N from 1 to %d", MaxProximity)
		}
		return token{kind: tNear, n: n, pos: pos}, nil
	}
	if i := strings.IndexByte(w, ':'); i > 0 && isASCIILetters(w[:i]) {
		f := Field(strings.ToLower(w[:i]))
		if !fields[f] {
			return token{}, errAt(pos, "unknown field %q (to search for the text, put it in quotes)", w[:i])
		}
		return token{kind: tField, field: f, text: w[i+1:], pos: pos}, nil
	}
	return token{kind: tWord, text: w, pos: pos}, nil
}

func isDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

func isASCIILetters(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') })
}

// parser is a recursive-descent parser of the grammar
//
//	query   = or
//	or      = and { "OR" and }
//	and     = unary { ["AND"] unary }
//	unary   = "NOT" unary | near
//	near    = primary [ "w/N" primary ]      (both primaries terms or phrases)
//	primary = "(" or ")" | word | "quoted phrase" | field:value
type parser struct {
	toks  []token
	i     int
	depth int
	terms int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) parse() (*Node, *syntaxError) {
	if t := p.peek(); t.kind == tEOF {
		return nil, errAt(t.pos, "empty query")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, errAt(t.pos, "unmatched )")
		}
		return nil, p.unexpected(t)
	}
	return n, nil
}

// startsOperand reports whether t can begin an operand of AND or OR.
func startsOperand(t token) bool {
	switch t.kind {
	case tWord, tQuoted, tField, tLParen, tNot:
		return true
	}
	return false
}

// unexpected explains why t cannot stand where it is.
func (p *parser) unexpected(t token) *syntaxError {
	switch t.kind {
	case tEOF:
		return errAt(t.pos, "the query ends where a term was expected")
	case tAnd:
		return errAt(t.pos, "AND needs a term on each side")
	case tOr:
		return errAt(t.pos, "OR needs a term on each side")
	case tNear:
		return errAt(t.pos, "w/N needs a term or phrase on each side")
	case tRParen:
		return errAt(t.pos, "unexpected )")
	}
	return errAt(t.pos, "unexpected term")
}

// appendFlat appends k to kids, or k's own kids if it is the same operator,
// so that a AND (b AND c) is one AND of three.
func appendFlat(kids []*Node, k *Node, op Op) []*Node {
	if k.Op == op {
		return append(kids, k.Kids...)
	}
	return append(kids, k)
}

func (p *parser) or() (*Node, *syntaxError) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tOr {
		return first, nil
	}
	kids := appendFlat(nil, first, OpOr)
	for p.peek().kind == tOr {
		p.next()
		k, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = appendFlat(kids, k, OpOr)
	}
	return &Node{Op: OpOr, Kids: kids, Pos: first.Pos}, nil
}

func (p *parser) and() (*Node, *syntaxError) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	var kids []*Node
	for {
		if t := p.peek(); t.kind == tAnd {
			p.next()
		} else if !startsOperand(t) {
			break
		}
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		if kids == nil {
			kids = appendFlat(nil, first, OpAnd)
		}
		kids = appendFlat(kids, k, OpAnd)
	}
	if kids == nil {
		return first, nil
	}
	return &Node{Op: OpAnd, Kids: kids, Pos: first.Pos}, nil
}

func (p *parser) unary() (*Node, *syntaxError) {
	t := p.peek()
	if t.kind != tNot {
		return p.near()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	if !startsOperand(p.peek()) {
		return nil, errAt(t.pos, "NOT needs a term after it")
	}
	k, err := p.unary()
	if err != nil {
		return nil, err
	}
	p.depth--
	return &Node{Op: OpNot, Kids: []*Node{k}, Pos: t.pos}, nil
}

func (p *parser) enter(pos int) *syntaxError {
	if p.depth++; p.depth > MaxDepth {
		return errAt(pos, "query nests more than %d deep", MaxDepth)
	}
	return nil
}

func (p *parser) near() (*Node, *syntaxError) {
	left, err := p.primary()
	if err != nil || p.peek().kind != tNear {
		return left, err
	}
	t := p.next()
	if left.Op != OpPhrase {
		return nil, errAt(t.pos, "w/N joins two terms or phrases, not wildcards, fields or groups")
	}
	if k := p.peek().kind; k != tWord && k != tQuoted {
		return nil, errAt(t.pos, "w/N needs a term or phrase after it")
	}
	right, err := p.primary()
	if err != nil {
		return nil, err
	}
	if right.Op != OpPhrase {
		return nil, errAt(right.Pos, "w/N joins two terms or phrases, not wildcards")
	}
	if u := p.peek(); u.kind == tNear {
		return nil, errAt(u.pos, "w/N joins two terms or phrases: join several pairs with AND")
	}
	return &Node{Op: OpNear, N: t.n, Kids: []*Node{left, right}, Pos: left.Pos}, nil
}

func (p *parser) primary() (*Node, *syntaxError) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		if u := p.peek(); u.kind == tRParen {
			return nil, errAt(t.pos, "empty parentheses")
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tRParen {
			return nil, errAt(t.pos, "( is not closed")
		}
		p.next()
		p.depth--
		return n, nil
	case tWord:
		return p.word(t)
	case tQuoted:
		if strings.ContainsRune(t.text, '*') {
			return nil, errAt(t.pos, "wildcards do not work inside quotes")
		}
		return p.phrase(t.text, t.pos)
	case tField:
		return p.field(t)
	}
	return nil, p.unexpected(t)
}

// count adds n to the query's terms and fails past MaxTerms.
func (p *parser) count(n, pos int) *syntaxError {
	if p.terms += n; p.terms > MaxTerms {
		return errAt(pos, "query has more than %d terms", MaxTerms)
	}
	return nil
}

func (p *parser) phrase(text string, pos int) (*Node, *syntaxError) {
	words := Tokens(text)
	if len(words) == 0 {
		return nil, errAt(pos, "%q has no letters or digits", text)
	}
	if err := p.count(len(words), pos); err != nil {
		return nil, err
	}
	return &Node{Op: OpPhrase, Words: words, Pos: pos}, nil
}

func (p *parser) word(t token) (*Node, *syntaxError) {
	w := t.text
	if strings.HasPrefix(w, "-") && len(w) > 1 {
		return nil, errAt(t.pos, "use NOT to exclude a term (or quote %q to search for it)", w)
	}
	star := strings.IndexByte(w, '*')
	if star < 0 {
		return p.phrase(w, t.pos)
	}
	if star != len(w)-1 {
		return nil, errAt(t.pos+utf8.RuneCountInString(w[:star]), "* may only end a word")
	}
	stem := Tokens(w[:star])
	if len(stem) != 1 {
		return nil, errAt(t.pos, "a wildcard applies to one word of letters and digits")
	}
	if runeLen(stem[0]) < MinPrefix {
		return nil, errAt(t.pos, "a wildcard needs at least %d letters or digits before *", MinPrefix)
	}
	if err := p.count(1, t.pos); err != nil {
		return nil, err
	}
	return &Node{Op: OpPrefix, Words: stem, Pos: t.pos}, nil
}

// Dates of date fields lie within the index's time range.
var (
	minDay = MinTime
	maxDay = MaxTime.AddDate(0, 0, -1)
)

func (p *parser) field(t token) (*Node, *syntaxError) {
	v := strings.TrimSpace(t.text)
	if v == "" {
		return nil, errAt(t.pos, "%s: needs a value", t.field)
	}
	if err := p.count(1, t.pos); err != nil {
		return nil, err
	}
	n := &Node{Op: OpField, Field: t.field, Value: v, Pos: t.pos}
	oneOf := func(vals ...string) *syntaxError {
		n.Value = strings.ToLower(v)
		for _, ok := range vals {
			if n.Value == ok {
				return nil
			}
		}
		return errAt(t.pos, "%s: must be %s", t.field, strings.Join(vals, " or "))
	}
	var err *syntaxError
	switch t.field {
	case FieldFrom, FieldTo, FieldParticipant, FieldFilename:
		if len(Tokens(v)) == 0 {
			err = errAt(t.pos, "%s: value has no letters or digits", t.field)
		}
	case FieldChannel, FieldDLP:
		n.Value = strings.ToLower(v)
	case FieldHas:
		err = oneOf("attachment")
	case FieldDirection:
		err = oneOf(string(steward.DirInbound), string(steward.DirOutbound), string(steward.DirInternal))
	case FieldDeleted, FieldEdited:
		err = oneOf("true", "false")
	case FieldBefore, FieldAfter, FieldOn:
		d, perr := time.Parse(time.DateOnly, v)
		if perr != nil || d.Before(minDay) || d.After(maxDay) {
			err = errAt(t.pos, "%s: needs a date YYYY-MM-DD from %s to %s", t.field, minDay.Format(time.DateOnly), maxDay.Format(time.DateOnly))
		}
		n.Value = d.Format(time.DateOnly)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}
