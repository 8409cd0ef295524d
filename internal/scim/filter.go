package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// This file holds the filter language of RFC 7644 §3.4.2.2 and the
// attribute paths it shares with PATCH (§3.5.2): a tokenizer, a
// recursive-descent parser, and evaluation against a resource held as
// decoded JSON. Precedence is the RFC's: not, then and, then or.
//
// Two leniencies serve identity providers that stray from the grammar:
// an unquoted value is read as a string (an Entra ID example sends
// externalId eq jyoung), and a value path may end in a sub-attribute
// inside a filter (Entra ID sends emails[type eq "work"].value eq "…").

const (
	maxFilterLen   = 4096 // bytes; identity providers send short filters
	maxFilterDepth = 32   // nesting of parentheses, not and value filters
)

// Path names an attribute: [URN ":"] attr ["[" filter "]"] ["." sub].
type Path struct {
	URN    string // an extension's schema URN; "" for the core schema and the common attributes
	Attr   string // the attribute; "" when the path is an extension as a whole
	Filter Expr   // a value filter on a multi-valued attribute, or nil
	Sub    string // a sub-attribute, or ""
}

// String returns the path in the form ParsePath reads back.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.URN)
	if p.URN != "" && p.Attr != "" {
		b.WriteByte(':')
	}
	b.WriteString(p.Attr)
	if p.Filter != nil {
		b.WriteByte('[')
		b.WriteString(p.Filter.String())
		b.WriteByte(']')
	}
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

// Expr is a parsed filter.
type Expr interface {
	// String returns the filter in a canonical form that ParseFilter
	// reads back to an equal Expr.
	String() string
	match(obj map[string]any, sc scope) bool
}

// Logical is "L and R" or "L or R".
type Logical struct {
	Op   string // "and" or "or"
	L, R Expr
}

// Not is "not (X)".
type Not struct{ X Expr }

// Compare is "path op value". Value is a string, a json.Number, a bool
// or nil (null).
type Compare struct {
	Path  Path
	Op    string // eq ne co sw ew gt ge lt le
	Value any
}

// Present is "path pr", and also a bare value path such as
// emails[type eq "work"], which is true when some value matches.
type Present struct{ Path Path }

// String parenthesizes only where the tree needs it, so that the
// canonical form of a long "a and b and …" nests no deeper than the input.
func (e *Logical) String() string {
	l, r := e.L.String(), e.R.String()
	if x, ok := e.L.(*Logical); ok && x.Op == "or" && e.Op == "and" {
		l = "(" + l + ")"
	}
	if x, ok := e.R.(*Logical); ok && (x.Op == e.Op || x.Op == "or") {
		r = "(" + r + ")"
	}
	return l + " " + e.Op + " " + r
}
func (e *Not) String() string     { return "not (" + e.X.String() + ")" }
func (e *Present) String() string { return e.Path.String() + " pr" }
func (e *Compare) String() string {
	return e.Path.String() + " " + e.Op + " " + formatValue(e.Value)
}

func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return string(v)
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // a string always encodes
		return strings.TrimSuffix(b.String(), "\n")
	}
	return fmt.Sprint(v)
}

var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
	"gt": true, "ge": true, "lt": true, "le": true}

// ParseFilter parses a filter expression. Errors are Invalid with the
// scimType invalidFilter.
func ParseFilter(s string) (Expr, error) {
	const op steward.Op = "scim.ParseFilter"
	if len(s) > maxFilterLen {
		return nil, invalid(op, typeInvalidFilter, fmt.Sprintf("filter longer than %d bytes", maxFilterLen))
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, invalid(op, typeInvalidFilter, err.Error())
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err == nil && p.peek().kind != tEOF {
		err = p.errorf("unexpected %s", p.peek())
	}
	if err != nil {
		return nil, invalid(op, typeInvalidFilter, err.Error())
	}
	return e, nil
}

// ParsePath parses a PATCH path: an attribute path, optionally with a
// value filter and a sub-attribute after it. Errors are Invalid with the
// scimType invalidPath.
func ParsePath(s string) (Path, error) {
	const op steward.Op = "scim.ParsePath"
	if len(s) > maxFilterLen {
		return Path{}, invalid(op, typeInvalidPath, "path too long")
	}
	toks, err := tokenize(s)
	if err != nil {
		return Path{}, invalid(op, typeInvalidPath, err.Error())
	}
	p := &parser{toks: toks}
	t := p.next()
	if t.kind != tWord {
		return Path{}, invalid(op, typeInvalidPath, fmt.Sprintf("path %q does not start with an attribute", s))
	}
	path, err := p.path(t)
	if err == nil && p.peek().kind != tEOF {
		err = p.errorf("unexpected %s", p.peek())
	}
	if err != nil {
		return Path{}, invalid(op, typeInvalidPath, fmt.Sprintf("bad path %q: %v", s, err))
	}
	return path, nil
}

// parseAttr parses "[URN:]attr[.sub]", with no value filter. A known
// schema URN may be followed by ':' or '.' (Entra ID writes
// "…:2.0:User.manager"); an unknown one ends at its last ':'.
func parseAttr(w string) (Path, error) {
	var p Path
	rest := w
	if len(w) >= 4 && strings.EqualFold(w[:4], "urn:") {
		known := false
		for _, k := range knownURNs {
			n := len(k.spelling)
			if len(w) < n || !strings.EqualFold(w[:n], k.spelling) {
				continue
			}
			if len(w) == n {
				p.URN, rest, known = k.urn, "", true
				break
			}
			if c := w[n]; c == ':' || c == '.' {
				p.URN, rest, known = k.urn, w[n+1:], true
				break
			}
		}
		if !known {
			i := strings.LastIndexByte(w, ':')
			if i <= len("urn:") || i == len(w)-1 {
				return Path{}, fmt.Errorf("bad attribute %q", w)
			}
			p.URN, rest = w[:i], w[i+1:]
		}
		if p.URN == URNUser || p.URN == URNGroup {
			p.URN = "" // the core schema's attributes are written without it
			if rest == "" {
				return Path{}, fmt.Errorf("path %q names a core schema, not an attribute", w)
			}
		}
		if rest == "" {
			return p, nil
		}
	}
	attr, sub, dotted := strings.Cut(rest, ".")
	if !validName(attr) || dotted && !validName(sub) {
		return Path{}, fmt.Errorf("bad attribute %q", w)
	}
	p.Attr, p.Sub = attr, sub
	return p, nil
}

// validName reports whether s is an ATTRNAME (RFC 7643 §2.1) or "$ref".
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tLBracket
	tRBracket
)

type token struct {
	kind tokKind
	text string // a word as written, or a string's decoded value
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return fmt.Sprintf("string %s at %d", formatValue(t.text), t.pos)
	}
	return fmt.Sprintf("%q at %d", t.text, t.pos)
}

// tokenize splits a filter into words, JSON strings and brackets. A word
// is any run of characters other than space and ()[]". The filter must be
// UTF-8: a value is compared with stored text, which is.
func tokenize(s string) ([]token, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("not valid UTF-8")
	}
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			toks = append(toks, token{kind: map[byte]tokKind{'(': tLParen, ')': tRParen, '[': tLBracket, ']': tRBracket}[c], text: string(c), pos: i})
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
				return nil, fmt.Errorf("bad string at %d", i)
			}
			toks = append(toks, token{kind: tString, text: v, pos: i})
			i = j + 1
		case c < 0x20 || c == 0x7f:
			return nil, fmt.Errorf("control character at %d", i)
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()[]\"", rune(s[j])) && s[j] >= 0x20 && s[j] != 0x7f {
				j++
			}
			toks = append(toks, token{kind: tWord, text: s[i:j], pos: i})
			i = j
		}
	}
	return append(toks, token{kind: tEOF, pos: len(s)}), nil
}

type parser struct {
	toks    []token
	i       int
	depth   int
	inValue bool // inside attr[…], where value filters may not nest
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && strings.EqualFold(t.text, w)
}

// or := and {"or" and}
func (p *parser) or() (Expr, error) {
	l, err := p.and()
	for err == nil && p.isWord("or") {
		p.next()
		var r Expr
		if r, err = p.and(); err == nil {
			l = &Logical{Op: "or", L: l, R: r}
		}
	}
	return l, err
}

// and := unary {"and" unary}
func (p *parser) and() (Expr, error) {
	l, err := p.unary()
	for err == nil && p.isWord("and") {
		p.next()
		var r Expr
		if r, err = p.unary(); err == nil {
			l = &Logical{Op: "and", L: l, R: r}
		}
	}
	return l, err
}

// unary := "not" "(" or ")" | "(" or ")" | path ("pr" | op value)?
func (p *parser) unary() (Expr, error) {
	if p.isWord("not") && p.toks[p.i+1].kind == tLParen {
		p.next()
		e, err := p.group()
		if err != nil {
			return nil, err
		}
		return &Not{X: e}, nil
	}
	t := p.peek()
	switch t.kind {
	case tLParen:
		return p.group()
	case tWord:
		p.next()
	default:
		return nil, p.errorf("expected an attribute, got %s", t)
	}
	path, err := p.path(t)
	if err != nil {
		return nil, err
	}
	opTok := p.peek()
	op := strings.ToLower(opTok.text)
	switch {
	case opTok.kind == tWord && op == "pr":
		p.next()
		return &Present{Path: path}, nil
	case opTok.kind == tWord && compareOps[op]:
		p.next()
	case path.Filter != nil && path.Sub == "":
		return &Present{Path: path}, nil // a bare value path
	default:
		return nil, p.errorf("expected an operator after %s, got %s", path, opTok)
	}
	vt := p.next()
	var v any
	switch vt.kind {
	case tString:
		v = vt.text
	case tWord:
		v = literal(vt.text)
	default:
		return nil, p.errorf("expected a value after %q, got %s", op, vt)
	}
	// RFC 7644 §3.4.2.2: gt, ge, lt and le on a boolean, and co, sw and ew
	// on anything but a string, are invalidFilter. Refusing them here,
	// rather than matching nothing, tells the client its filter is wrong.
	if _, isStr := v.(string); !isStr && op != "eq" && op != "ne" {
		if _, isNum := v.(json.Number); !isNum || op == "co" || op == "sw" || op == "ew" {
			return nil, p.errorf("operator %q cannot compare %s", op, formatValue(v))
		}
	}
	return &Compare{Path: path, Op: op, Value: v}, nil
}

// group := "(" or ")"
func (p *parser) group() (Expr, error) {
	if t := p.next(); t.kind != tLParen {
		return nil, p.errorf("expected '(', got %s", t)
	}
	if p.depth++; p.depth > maxFilterDepth {
		return nil, p.errorf("filter nested deeper than %d", maxFilterDepth)
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tRParen {
		return nil, p.errorf("expected ')', got %s", t)
	}
	p.depth--
	return e, nil
}

// path reads an attribute path whose first word is t, with an optional
// value filter and sub-attribute.
func (p *parser) path(t token) (Path, error) {
	path, err := parseAttr(t.text)
	if err != nil {
		return Path{}, err
	}
	if p.peek().kind != tLBracket {
		return path, nil
	}
	if p.inValue {
		return Path{}, p.errorf("value filters cannot nest (at %d)", p.peek().pos)
	}
	if path.Attr == "" || path.Sub != "" {
		return Path{}, p.errorf("a value filter must follow an attribute (at %d)", p.peek().pos)
	}
	p.next()
	p.inValue = true
	f, err := p.or()
	p.inValue = false
	if err != nil {
		return Path{}, err
	}
	if t := p.next(); t.kind != tRBracket {
		return Path{}, p.errorf("expected ']', got %s", t)
	}
	path.Filter = f
	if w := p.peek(); w.kind == tWord && strings.HasPrefix(w.text, ".") {
		p.next()
		if !validName(w.text[1:]) {
			return Path{}, p.errorf("bad sub-attribute %s", w)
		}
		path.Sub = w.text[1:]
	}
	return path, nil
}

// literal reads an unquoted value: true, false, null, a JSON number, or
// else (leniently) a string.
func literal(w string) any {
	switch strings.ToLower(w) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	// Only what is a JSON number is a number, so that an unquoted GUID
	// such as 5d48a0a8-… stays a string.
	if c := w[0]; (c == '-' || '0' <= c && c <= '9') && json.Valid([]byte(w)) {
		return json.Number(w)
	}
	return w
}

// scope is what evaluation needs besides the object: the resource type,
// for attribute definitions, and inside a value filter the multi-valued
// attribute whose values are being filtered.
type scope struct {
	rt     *resourceType
	parent *attr
}

// values returns the values at path in obj, flattened (a multi-valued
// attribute gives its elements), and the definition of what they are.
func values(p Path, obj map[string]any, sc scope) ([]any, *attr) {
	var def *attr
	container := obj
	if sc.parent != nil {
		def = sc.parent.sub(p.Attr)
	} else {
		p = sc.rt.alias(p)
		if p.URN != "" {
			ext, _ := lookupCI(obj, p.URN).(map[string]any)
			if ext == nil {
				return nil, nil
			}
			if p.Attr == "" {
				return []any{ext}, nil
			}
			container = ext
		}
		def = sc.rt.def(p.URN, p.Attr)
	}
	list := asList(lookupCI(container, p.Attr))
	if p.Filter != nil {
		// The value filter sees each value as an object of sub-attributes,
		// with the multi-valued attribute's definition as its scope, so that
		// emails[type eq "work"] knows type is not case-exact.
		var keep []any
		for _, v := range list {
			m, ok := v.(map[string]any)
			if !ok {
				m = map[string]any{"value": v} // a filter on a list of plain values tests "value"
			}
			if p.Filter.match(m, scope{rt: sc.rt, parent: orEmpty(def)}) {
				keep = append(keep, v)
			}
		}
		list = keep
	}
	if p.Sub != "" {
		var out []any
		for _, v := range list {
			if m, ok := v.(map[string]any); ok {
				out = append(out, asList(lookupCI(m, p.Sub))...)
			}
		}
		list, def = out, def.sub(p.Sub)
	}
	return list, def
}

// orEmpty returns a, or an unknown complex attribute, so that a value
// filter on an attribute without a definition still evaluates.
func orEmpty(a *attr) *attr {
	if a == nil {
		return &attr{Type: "complex"}
	}
	return a
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func (e *Logical) match(obj map[string]any, sc scope) bool {
	if e.Op == "and" {
		return e.L.match(obj, sc) && e.R.match(obj, sc)
	}
	return e.L.match(obj, sc) || e.R.match(obj, sc)
}

func (e *Not) match(obj map[string]any, sc scope) bool { return !e.X.match(obj, sc) }

func (e *Present) match(obj map[string]any, sc scope) bool {
	vs, _ := values(e.Path, obj, sc)
	for _, v := range vs {
		switch v := v.(type) {
		case nil:
		case string:
			if v != "" {
				return true
			}
		case map[string]any:
			if len(v) > 0 {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// match is true when some value at the path compares true; "ne" is true
// when none is equal, so that on a multi-valued attribute "ne" is the
// negation of "eq", and an absent attribute is "ne" anything.
func (e *Compare) match(obj map[string]any, sc scope) bool {
	vs, def := values(e.Path, obj, sc)
	if e.Value == nil { // "eq null" asks whether the attribute is unassigned
		return (len(vs) == 0) == (e.Op == "eq")
	}
	exact := def != nil && def.CaseExact
	if e.Op == "ne" {
		for _, v := range vs {
			if compare(v, "eq", e.Value, exact) {
				return false
			}
		}
		return true
	}
	for _, v := range vs {
		if compare(v, e.Op, e.Value, exact) {
			return true
		}
	}
	return false
}

// compare applies op to an attribute value x and a filter value want.
// A complex value compares by its "value" sub-attribute (RFC 7644
// §3.4.2.2). Values of different types never match, except that a string
// and a number compare as text.
func compare(x any, op string, want any, exact bool) bool {
	if m, ok := x.(map[string]any); ok {
		x = lookupCI(m, "value")
	}
	switch want := want.(type) {
	case bool:
		xb, ok := x.(bool)
		return ok && op == "eq" && xb == want
	case json.Number:
		if xn, ok := x.(json.Number); ok {
			a, err1 := xn.Float64()
			b, err2 := want.Float64()
			if err1 == nil && err2 == nil {
				return ordered(op, cmpFloat(a, b))
			}
		}
		xs, ok := x.(string)
		return ok && compareText(xs, op, string(want), exact)
	case string:
		switch x := x.(type) {
		case string:
			return compareText(x, op, want, exact)
		case json.Number:
			return compareText(string(x), op, want, exact)
		}
	}
	return false
}

func compareText(a, op, b string, exact bool) bool {
	if !exact {
		a, b = fold(a), fold(b)
	}
	switch op {
	case "eq":
		return a == b
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	}
	return ordered(op, strings.Compare(a, b))
}

func ordered(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fold maps case variants to one form, as the store does for user names.
func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// lookupCI returns m's value for name, matching the key case-insensitively
// as SCIM attribute names are (RFC 7643 §2.1); an exact match wins.
func lookupCI(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// hints are equality conditions that every match of a filter satisfies,
// keyed by "id", "userName", "externalId", "displayName" or "workEmail".
// The store finds candidates by them through an index; the whole filter
// is still evaluated on each candidate, so a hint only narrows.
func hints(e Expr) map[string]string {
	h := map[string]string{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *Logical:
			if e.Op == "and" {
				walk(e.L)
				walk(e.R)
			}
		case *Compare:
			if e.Op != "eq" || e.Path.URN != "" {
				return
			}
			var v string
			switch x := e.Value.(type) {
			case string:
				v = x
			case json.Number:
				v = string(x)
			default:
				return
			}
			key := ""
			switch p := e.Path; {
			case p.Filter == nil && p.Sub == "":
				for _, k := range []string{"id", "userName", "externalId", "displayName"} {
					if strings.EqualFold(p.Attr, k) {
						key = k
					}
				}
			case strings.EqualFold(p.Attr, "emails") && strings.EqualFold(p.Sub, "value") && isWorkType(p.Filter):
				key = "workEmail"
			}
			if _, dup := h[key]; key != "" && !dup {
				h[key] = v
			}
		}
	}
	walk(e)
	return h
}

// isWorkType reports whether f is exactly type eq "work".
func isWorkType(f Expr) bool {
	c, ok := f.(*Compare)
	if !ok || c.Op != "eq" || c.Path.Filter != nil || c.Path.Sub != "" || !strings.EqualFold(c.Path.Attr, "type") {
		return false
	}
	s, ok := c.Value.(string)
	return ok && strings.EqualFold(s, "work")
}

// mentions reports whether e refers to the attribute name anywhere.
func mentions(e Expr, name string) bool {
	switch e := e.(type) {
	case *Logical:
		return mentions(e.L, name) || mentions(e.R, name)
	case *Not:
		return mentions(e.X, name)
	case *Compare:
		return strings.EqualFold(e.Path.Attr, name)
	case *Present:
		return strings.EqualFold(e.Path.Attr, name)
	}
	return false
}
