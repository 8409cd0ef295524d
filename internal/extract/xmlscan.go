package extract

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// xmlScanner is a minimal, forgiving XML tokenizer for pulling text out of
// office documents. It does not check well-formedness, resolve namespaces
// or expand entities beyond the predefined and numeric ones, and it never
// recurses: hostile nesting costs nothing. encoding/xml does all of that
// correctly and about ten times slower, which matters on the capture path.
type xmlScanner struct {
	s   string
	pos int
}

type xmlKind byte

const (
	xmlStart xmlKind = iota + 1
	xmlEnd
	xmlText // text is raw: entities not yet decoded
	xmlCDATA
)

type xmlTok struct {
	kind xmlKind
	name string // local name, without prefix
	tag  string // start tags: everything between '<' and '>', for attributes
	self bool   // start tags: <empty/>
	text string
}

// next returns the next token, or false at the end of input.
func (x *xmlScanner) next() (xmlTok, bool) {
	for x.pos < len(x.s) {
		s := x.s[x.pos:]
		if s[0] != '<' {
			n := strings.IndexByte(s, '<')
			if n < 0 {
				n = len(s)
			}
			x.pos += n
			return xmlTok{kind: xmlText, text: s[:n]}, true
		}
		switch {
		case strings.HasPrefix(s, "<!--"):
			x.skipPast(s, 4, "-->")
			continue
		case strings.HasPrefix(s, "<![CDATA["):
			end := strings.Index(s[9:], "]]>")
			if end < 0 {
				x.pos = len(x.s)
				return xmlTok{kind: xmlCDATA, text: s[9:]}, true
			}
			x.pos += 9 + end + 3
			return xmlTok{kind: xmlCDATA, text: s[9 : 9+end]}, true
		case strings.HasPrefix(s, "<?"):
			x.skipPast(s, 2, "?>")
			continue
		case strings.HasPrefix(s, "<!"):
			x.skipPast(s, 2, ">")
			continue
		}
		end := tagEnd(s)
		x.pos += end
		tag := s[1:end]
		tag = strings.TrimSuffix(tag, ">")
		if strings.HasPrefix(tag, "/") {
			return xmlTok{kind: xmlEnd, name: localName(tag[1:])}, true
		}
		self := strings.HasSuffix(tag, "/")
		if self {
			tag = tag[:len(tag)-1]
		}
		return xmlTok{kind: xmlStart, name: localName(tag), tag: tag, self: self}, true
	}
	return xmlTok{}, false
}

func (x *xmlScanner) skipPast(s string, from int, marker string) {
	if i := strings.Index(s[from:], marker); i >= 0 {
		x.pos += from + i + len(marker)
	} else {
		x.pos = len(x.s)
	}
}

// localName returns the element name at the start of a tag, without its
// namespace prefix.
func localName(tag string) string {
	end := 0
	for end < len(tag) {
		c := tag[end]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>' {
			break
		}
		end++
	}
	name := tag[:end]
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// attr returns the decoded value of the attribute with the given local
// name, or "".
func (t xmlTok) attr(local string) string {
	v, _ := t.attrOK(local)
	return v
}

func (t xmlTok) attrOK(local string) (string, bool) {
	var found string
	var ok bool
	t.qattrs(func(qname, val string) bool {
		if qname[strings.LastIndexByte(qname, ':')+1:] == local {
			found, ok = xmlUnescape(val), true
			return false
		}
		return true
	})
	return found, ok
}

// qattrs calls f with each attribute's qualified name and raw value until
// f returns false.
func (t xmlTok) qattrs(f func(qname, val string) bool) {
	s := t.tag
	i := 0
	for i < len(s) && !isXMLSpace(s[i]) {
		i++
	}
	for i < len(s) {
		for i < len(s) && isXMLSpace(s[i]) {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && !isXMLSpace(s[i]) {
			i++
		}
		name := s[start:i]
		for i < len(s) && isXMLSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			if i == start {
				i++
			}
			continue
		}
		i++
		for i < len(s) && isXMLSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return
		}
		q := s[i]
		if q != '"' && q != '\'' {
			continue
		}
		j := strings.IndexByte(s[i+1:], q)
		var val string
		if j < 0 {
			val, i = s[i+1:], len(s)
		} else {
			val, i = s[i+1:i+1+j], i+2+j
		}
		if name != "" && !f(name, val) {
			return
		}
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// xmlUnescape decodes the five predefined entities and character
// references; anything else is left as written.
func xmlUnescape(s string) string {
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for amp >= 0 {
		b.WriteString(s[:amp])
		s = s[amp:]
		semi := strings.IndexByte(s, ';')
		if semi < 0 || semi > 12 {
			b.WriteByte('&')
			s = s[1:]
		} else {
			ent := s[1:semi]
			r, ok := entityRune(ent)
			if ok {
				b.WriteRune(r)
			} else {
				b.WriteString(s[:semi+1])
			}
			s = s[semi+1:]
		}
		amp = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

func entityRune(ent string) (rune, bool) {
	switch ent {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(ent) > 1 && ent[0] == '#' {
		var n uint64
		var err error
		if ent[1] == 'x' || ent[1] == 'X' {
			n, err = strconv.ParseUint(ent[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(ent[1:], 10, 32)
		}
		if err == nil && utf8.ValidRune(rune(n)) {
			return rune(n), true
		}
		return utf8.RuneError, err == nil
	}
	return 0, false
}

// Element roles in an xmlRules vocabulary.
const (
	roleText   = 1 << iota // character data inside is text
	roleLine               // its end ends a line
	roleCell               // its end writes a tab
	roleBreak              // an empty element standing for a line break
	roleTab                // an empty element standing for a tab
	roleSpace              // an empty element standing for a space
	roleSkip               // character data inside is never text
	roleWithin             // text is only taken inside it
)

// xmlRules say which elements of a vocabulary carry text and which mark
// structure, by local name. One map lookup per tag keeps the scan fast.
type xmlRules struct {
	roles  map[string]uint8
	all    bool // all character data (within the Within element) is text
	within bool // some element has roleWithin
}

// rules builds xmlRules from role sets. all makes every piece of
// character data text.
func rules(all bool, roles map[uint8][]string) *xmlRules {
	r := &xmlRules{roles: map[string]uint8{}, all: all}
	for role, names := range roles {
		for _, n := range names {
			r.roles[n] |= role
		}
		if role == roleWithin && len(names) > 0 {
			r.within = true
		}
	}
	return r
}

// xmlExtract writes the text of an XML document according to r.
func xmlExtract(s *sink, doc string, r *xmlRules) {
	x := xmlScanner{s: doc}
	inText, inWithin, inSkip := 0, 0, 0
	if !r.within {
		inWithin = 1
	}
	for !s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch t.kind {
		case xmlStart:
			role := r.roles[t.name]
			if t.self {
				if inWithin > 0 && inSkip == 0 {
					switch {
					case role&roleBreak != 0:
						s.WriteString("\n")
					case role&roleTab != 0:
						s.WriteString("\t")
					case role&roleSpace != 0:
						s.WriteString(" ")
					case role&roleLine != 0:
						s.newline()
					}
				}
				continue
			}
			if role&roleText != 0 {
				inText++
			}
			if role&roleSkip != 0 {
				inSkip++
			}
			if role&roleWithin != 0 {
				inWithin++
			}
		case xmlEnd:
			role := r.roles[t.name]
			if role&roleText != 0 && inText > 0 {
				inText--
			}
			if role&roleSkip != 0 && inSkip > 0 {
				inSkip--
			}
			if role&roleWithin != 0 && inWithin > 0 {
				inWithin--
			}
			if inWithin > 0 && inSkip == 0 {
				switch {
				case role&roleLine != 0:
					s.newline()
				case role&roleCell != 0:
					s.WriteString("\t")
				}
			}
		case xmlText, xmlCDATA:
			if inWithin > 0 && inSkip == 0 && (inText > 0 || r.all) {
				if t.kind == xmlText && r.all && strings.TrimSpace(t.text) == "" {
					// Indentation between elements, or a space between runs.
					s.space()
				} else if t.kind == xmlText {
					s.WriteString(xmlUnescape(t.text))
				} else {
					s.WriteString(t.text)
				}
			}
		}
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
