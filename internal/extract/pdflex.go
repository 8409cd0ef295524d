package extract

import (
	"bytes"
	"errors"
	"math"
)

// PDF values, as parsed:
//
//	nil       null
//	bool      boolean
//	int64     integer
//	float64   real
//	pdfName   name, without the slash, #xx escapes decoded
//	pdfString string, escapes decoded
//	[]any     array
//	pdfDict   dictionary
//	pdfRef    indirect reference
//	*pdfStream stream
type (
	pdfName   string
	pdfString string
	pdfDict   map[pdfName]any
	pdfRef    struct {
		num uint32
		gen uint16
	}
	pdfStream struct {
		dict pdfDict
		raw  []byte // the undecoded data, a slice of the file
		num  uint32 // object number, 0 if unknown
		gen  uint16
		// fromFile: read from the file itself, so encrypted if the
		// document is (never true of streams built from other data).
		fromFile bool
	}
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tName
	tStr // literal or hex string
	tArrOpen
	tArrClose
	tDictOpen
	tDictClose
	tKeyword
)

type token struct {
	kind  tokKind
	num   float64
	isInt bool
	val   []byte // names, strings (decoded) and keywords; valid until the next reset
}

// lexer tokenizes PDF syntax, for both object bodies and content
// streams. Decoded strings and escaped names are appended to arena, which
// the caller may reset between uses to reuse the memory.
type lexer struct {
	b     []byte
	pos   int
	arena []byte
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isPDFSpace(c) && !isDelim(c) }

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isPDFSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// next returns the next token; malformed input yields keywords or EOF,
// never an error, so that a content stream is read as far as it goes.
func (l *lexer) next() token {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return token{kind: tEOF}
	}
	c := l.b[l.pos]
	switch {
	case c == '/':
		return l.name()
	case c == '(':
		return l.literal()
	case c == '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			return token{kind: tDictOpen}
		}
		return l.hex()
	case c == '>':
		l.pos++
		if l.pos < len(l.b) && l.b[l.pos] == '>' {
			l.pos++
			return token{kind: tDictClose}
		}
		return token{kind: tKeyword, val: []byte(">")}
	case c == '[':
		l.pos++
		return token{kind: tArrOpen}
	case c == ']':
		l.pos++
		return token{kind: tArrClose}
	case c == ')' || c == '{' || c == '}':
		l.pos++
		return token{kind: tKeyword, val: l.b[l.pos-1 : l.pos]}
	case c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.':
		return l.number()
	}
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	return token{kind: tKeyword, val: l.b[start:l.pos]}
}

func (l *lexer) number() token {
	start := l.pos
	neg := false
	for l.pos < len(l.b) && (l.b[l.pos] == '+' || l.b[l.pos] == '-') {
		neg = neg != (l.b[l.pos] == '-')
		l.pos++
	}
	var ip float64
	var frac, scale float64 = 0, 1
	isInt, digits := true, 0
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if isInt {
				ip = ip*10 + float64(c-'0')
			} else if scale < 1e18 {
				scale *= 10
				frac = frac*10 + float64(c-'0')
			}
		case c == '.' && isInt:
			isInt = false
		default:
			goto done
		}
		l.pos++
	}
done:
	if digits == 0 && l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		// Not a number after all ("-foo"); read it as a keyword.
		for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
			l.pos++
		}
		return token{kind: tKeyword, val: l.b[start:l.pos]}
	}
	v := ip + frac/scale
	if neg {
		v = -v
	}
	if math.IsInf(v, 0) {
		v = 0
	}
	return token{kind: tNum, num: v, isInt: isInt && math.Abs(v) < 1<<53}
}

func (l *lexer) name() token {
	l.pos++ // '/'
	start := l.pos
	escaped := false
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		if l.b[l.pos] == '#' {
			escaped = true
		}
		l.pos++
	}
	raw := l.b[start:l.pos]
	if !escaped {
		return token{kind: tName, val: raw}
	}
	from := len(l.arena)
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			l.arena = append(l.arena, unhex(raw[i+1])<<4|unhex(raw[i+2]))
			i += 2
			continue
		}
		l.arena = append(l.arena, raw[i])
	}
	return token{kind: tName, val: l.arena[from:]}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func (l *lexer) hex() token {
	l.pos++ // '<'
	from := len(l.arena)
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		if !isHex(c) {
			continue
		}
		if half {
			l.arena = append(l.arena, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		l.arena = append(l.arena, hi<<4)
	}
	return token{kind: tStr, val: l.arena[from:]}
}

func (l *lexer) literal() token {
	l.pos++ // '('
	from := len(l.arena)
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return token{kind: tStr, val: l.arena[from:]}
			}
		case '\r':
			// An end of line in a string is a newline, whatever its bytes.
			if l.pos < len(l.b) && l.b[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.b) {
				continue
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := e - '0'
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v<<3 | (l.b[l.pos] - '0')
						l.pos++
					}
					c = v
				} else {
					c = e // \( \) \\ and unknown escapes
				}
			}
		}
		l.arena = append(l.arena, c)
	}
	return token{kind: tStr, val: l.arena[from:]}
}

// maxNesting bounds arrays and dictionaries inside one another: PDFs need
// a handful, and the parser recurses.
const maxNesting = 64

var errSyntax = errors.New("pdf syntax error")

// parser reads PDF objects.
type parser struct {
	lexer
	depth int
}

// object reads one object. References ("12 0 R") are recognised by
// looking ahead after an integer.
func (p *parser) object() (any, error) {
	t := p.next()
	return p.objectFrom(t)
}

// objectFrom reads the object that starts with token t. On a syntax
// error it returns what it had so far with the error: the scan keeps
// partial dictionaries, since a damaged file's valid keys are still worth
// having.
func (p *parser) objectFrom(t token) (any, error) {
	switch t.kind {
	case tNum:
		if !t.isInt {
			return t.num, nil
		}
		if t.num >= 0 && t.num < 1<<32 {
			save := p.pos
			t2 := p.next()
			if t2.kind == tNum && t2.isInt && t2.num >= 0 && t2.num < 65536 {
				t3 := p.next()
				if t3.kind == tKeyword && string(t3.val) == "R" {
					return pdfRef{num: uint32(t.num), gen: uint16(t2.num)}, nil
				}
			}
			p.pos = save
		}
		return int64(t.num), nil
	case tName:
		return pdfName(t.val), nil
	case tStr:
		return pdfString(t.val), nil
	case tArrOpen:
		if p.depth >= maxNesting {
			return nil, errSyntax
		}
		p.depth++
		defer func() { p.depth-- }()
		var arr []any
		for {
			t := p.next()
			switch t.kind {
			case tArrClose:
				return arr, nil
			case tEOF:
				return arr, errSyntax
			}
			v, err := p.objectFrom(t)
			if err != nil {
				return arr, err
			}
			arr = append(arr, v)
		}
	case tDictOpen:
		if p.depth >= maxNesting {
			return nil, errSyntax
		}
		p.depth++
		defer func() { p.depth-- }()
		d := pdfDict{}
		for {
			t := p.next()
			switch t.kind {
			case tDictClose:
				return d, nil
			case tName:
			case tEOF:
				return d, errSyntax
			default:
				continue // junk where a key should be: skip it
			}
			key := pdfName(t.val)
			t = p.next()
			if t.kind == tDictClose {
				return d, nil
			}
			v, err := p.objectFrom(t)
			if err != nil {
				return d, err
			}
			d[key] = v
		}
	case tKeyword:
		switch string(t.val) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return nil, errSyntax
	}
	return nil, errSyntax
}

// streamStart returns the offset of a stream's data if the next token is
// the keyword "stream", or -1.
func (p *parser) streamStart() int {
	save := p.pos
	t := p.next()
	if t.kind != tKeyword || string(t.val) != "stream" {
		p.pos = save
		return -1
	}
	pos := p.pos
	if pos < len(p.b) && p.b[pos] == '\r' {
		pos++
	}
	if pos < len(p.b) && p.b[pos] == '\n' {
		pos++
	}
	return pos
}

// streamEnd finds where stream data starting at start ends: at the
// declared length if "endstream" follows it, else before the next
// "endstream" keyword (lengths are often wrong in damaged files).
func streamEnd(b []byte, start int, length int64) int {
	if length >= 0 && length <= int64(len(b)-start) {
		end := start + int(length)
		rest := b[end:]
		i := 0
		for i < len(rest) && i < 4 && isPDFSpace(rest[i]) {
			i++
		}
		if bytes.HasPrefix(rest[i:], []byte("endstream")) {
			return end
		}
	}
	i := bytes.Index(b[start:], []byte("endstream"))
	if i < 0 {
		return len(b)
	}
	end := start + i
	if end > start && b[end-1] == '\n' {
		end--
	}
	if end > start && b[end-1] == '\r' {
		end--
	}
	return end
}

// Accessors that tolerate any value.

func asDict(v any) pdfDict {
	switch d := v.(type) {
	case pdfDict:
		return d
	case *pdfStream:
		return d.dict
	}
	return nil
}

func asNum(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return int64(n), true
		}
	}
	return 0, false
}

func asName(v any) pdfName {
	n, _ := v.(pdfName)
	return n
}
