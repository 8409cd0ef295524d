package extract

import (
	"encoding/binary"
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// text extracts a plain-text, HTML or e-mail file.
func (w *walker) text(path string, data []byte, sub textSub, depth int) {
	if sub == subEmail && w.email(path, data, depth) {
		return
	}
	// Decoding more than the budget allows would only be thrown away; UTF-16
	// needs two bytes per character and legacy 8-bit up to three per byte.
	if keep := w.textLeft*3 + 4; int64(len(data)) > keep && sub == subPlain {
		data = data[:keep]
	}
	s := w.newSink()
	str := decodeText(data, "")
	if sub == subHTML {
		stripHTML(s, str)
		w.emit(path, "html", s)
		return
	}
	s.WriteString(str)
	w.emit(path, "text", s)
}

// decodeText turns bytes into UTF-8: by byte order mark, by the declared
// charset when it names one we know, else as UTF-8 when valid and as
// Windows-1252 (a superset of Latin-1 in practice) when not.
func decodeText(data []byte, charset string) string {
	switch {
	case hasPrefix(data, "\xef\xbb\xbf"):
		return string(data[3:])
	case hasPrefix(data, "\xff\xfe"):
		return decodeUTF16(data[2:], binary.LittleEndian)
	case hasPrefix(data, "\xfe\xff"):
		return decodeUTF16(data[2:], binary.BigEndian)
	}
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-16le":
		return decodeUTF16(data, binary.LittleEndian)
	case "utf-16be", "utf-16":
		return decodeUTF16(data, binary.BigEndian)
	case "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252", "iso-8859-15":
		return decode1252(data)
	}
	if bo := utf16Guess(data); bo != nil {
		return decodeUTF16(data, bo)
	}
	if utf8.Valid(data) {
		return string(data)
	}
	return decode1252(data)
}

// utf16Guess recognises UTF-16 without a byte order mark by its zero
// bytes: in mostly-ASCII UTF-16 every other byte is zero, which 8-bit text
// never has. It returns nil for anything else.
func utf16Guess(data []byte) binary.ByteOrder {
	n := min(len(data), 4096) &^ 1
	if n < 8 {
		return nil
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	switch {
	case odd*10 >= half*7 && even*10 <= half:
		return binary.LittleEndian
	case even*10 >= half*7 && odd*10 <= half:
		return binary.BigEndian
	}
	return nil
}

func decodeUTF16(data []byte, bo binary.ByteOrder) string {
	var b strings.Builder
	b.Grow(len(data) / 2)
	for i := 0; i+1 < len(data); i += 2 {
		r := rune(bo.Uint16(data[i:]))
		if utf16.IsSurrogate(r) && i+3 < len(data) {
			if d := utf16.DecodeRune(r, rune(bo.Uint16(data[i+2:]))); d != utf8.RuneError {
				b.WriteRune(d)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cp1252 maps Windows-1252's 0x80-0x9F; the rest of the high half is
// Latin-1. Undefined codes map to themselves as C1 controls.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

func decode1252(data []byte) string {
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xa0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// decodeLatin1OrUTF8 decodes a metadata string of unknown encoding.
func decodeLatin1OrUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return decode1252(b)
}

// blockTags end a line when they open or close; cellTags end a cell.
var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "table": true, "ul": true, "ol": true, "dl": true, "dt": true, "dd": true,
	"blockquote": true, "pre": true, "hr": true, "section": true, "article": true, "header": true,
	"footer": true, "address": true, "title": true, "option": true, "form": true, "tbody": true,
}

var cellTags = map[string]bool{"td": true, "th": true}

// attrsKept are attributes whose values are text a reader sees, or data a
// form carries.
var attrsKept = map[string]bool{"alt": true, "title": true, "value": true, "placeholder": true, "content": true, "href": true}

// stripHTML writes the text of an HTML document: tags are removed (block
// tags become line breaks), character references decoded, comments and
// scripts kept as text (data hides there), style sheets dropped. It is a
// single linear pass and tolerates any malformed input.
func stripHTML(s *sink, doc string) {
	i := 0
	for i < len(doc) && !s.full() {
		lt := strings.IndexByte(doc[i:], '<')
		if lt < 0 {
			htmlText(s, doc[i:])
			return
		}
		htmlText(s, doc[i:i+lt])
		i += lt
		rest := doc[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				end = len(rest) - 4
			}
			s.space()
			htmlText(s, rest[4:4+end])
			s.space()
			i += 4 + end + 3
			continue
		case len(rest) > 1 && !isTagStart(rest[1]):
			// A lone '<' is text.
			htmlText(s, "<")
			i++
			continue
		}
		end := tagEnd(rest)
		name, closing := tagName(rest[:end])
		if !closing {
			tagAttrs(s, rest[:end])
		}
		i += end
		switch {
		case blockTags[name]:
			s.newline()
		case cellTags[name] && closing:
			s.WriteString("\t")
		default:
			// Inline tags still separate words when they are images or
			// inputs; elsewhere ("<b>x</b>y") they must not.
			if name == "img" || name == "input" {
				s.space()
			}
		}
		if !closing && name == "style" {
			if j := indexFold(doc[i:], "</style"); j >= 0 {
				i += j
			} else {
				i = len(doc)
			}
		}
	}
}

func isTagStart(c byte) bool {
	return c == '/' || c == '!' || c == '?' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// tagEnd returns the length of the tag starting at s[0]=='<', honouring
// quoted attribute values.
func tagEnd(s string) int {
	i := 1
	for i < len(s) {
		j := strings.IndexAny(s[i:], "\"'>")
		if j < 0 {
			return len(s)
		}
		i += j
		if s[i] == '>' {
			return i + 1
		}
		k := strings.IndexByte(s[i+1:], s[i])
		if k < 0 {
			return len(s)
		}
		i += k + 2
	}
	return len(s)
}

func tagName(tag string) (name string, closing bool) {
	t := tag[1:]
	if strings.HasPrefix(t, "/") {
		closing = true
		t = t[1:]
	}
	end := 0
	for end < len(t) && (isAlnum(t[end]) || t[end] == ':' || t[end] == '-') {
		end++
	}
	return strings.ToLower(t[:end]), closing
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// tagAttrs writes the values of the attributes in attrsKept.
func tagAttrs(s *sink, tag string) {
	i := 1
	for i < len(tag) && tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\n' && tag[i] != '\r' {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\n' || tag[i] == '\r' || tag[i] == '/') {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && tag[i] != ' ' && tag[i] != '>' && tag[i] != '\t' && tag[i] != '\n' && tag[i] != '\r' {
			i++
		}
		name := strings.ToLower(tag[start:i])
		if i >= len(tag) || tag[i] != '=' {
			if i == start {
				i++
			}
			continue
		}
		i++
		var val string
		if i < len(tag) && (tag[i] == '"' || tag[i] == '\'') {
			q := tag[i]
			j := strings.IndexByte(tag[i+1:], q)
			if j < 0 {
				val, i = tag[i+1:], len(tag)
			} else {
				val, i = tag[i+1:i+1+j], i+2+j
			}
		} else {
			j := i
			for j < len(tag) && tag[j] != ' ' && tag[j] != '>' && tag[j] != '\t' && tag[j] != '\n' {
				j++
			}
			val, i = tag[i:j], j
		}
		if !attrsKept[name] || val == "" {
			continue
		}
		if name == "href" && !strings.HasPrefix(val, "mailto:") && !strings.HasPrefix(val, "tel:") {
			continue
		}
		s.space()
		htmlText(s, val)
		s.space()
	}
}

// htmlText writes a run of character data with references decoded and
// white space collapsed.
func htmlText(s *sink, t string) {
	if t == "" {
		return
	}
	if strings.IndexByte(t, '&') >= 0 {
		t = html.UnescapeString(t)
	}
	for len(t) > 0 && !s.full() {
		j := strings.IndexAny(t, " \t\r\n\u00a0")
		if j < 0 {
			s.WriteString(t)
			return
		}
		if j > 0 {
			s.WriteString(t[:j])
		}
		s.space()
		_, n := utf8.DecodeRuneInString(t[j:])
		t = t[j+n:]
	}
}

// indexFold is strings.Index ignoring ASCII case, for short ASCII needles.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
