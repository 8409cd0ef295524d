package extract

import (
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Simple-font encodings, code to rune; 0 means undefined.
var (
	winAnsiEnc  [256]rune
	standardEnc [256]rune
	macRomanEnc [256]rune
	pdfDocEnc   [256]rune
)

// glyphRunes maps Adobe glyph names to runes, for /Differences arrays.
var glyphRunes = map[string]rune{}

// asciiGlyphs and latin1Glyphs name the glyphs of 0x20-0x7E and
// 0xA0-0xFF in order; the rest of the names are listed in extraGlyphs.
var (
	asciiGlyphs = strings.Fields(`space exclam quotedbl numbersign dollar percent ampersand quotesingle
		parenleft parenright asterisk plus comma hyphen period slash zero one two three four five six seven
		eight nine colon semicolon less equal greater question at A B C D E F G H I J K L M N O P Q R S T U V
		W X Y Z bracketleft backslash bracketright asciicircum underscore grave a b c d e f g h i j k l m n o
		p q r s t u v w x y z braceleft bar braceright asciitilde`)
	latin1Glyphs = strings.Fields(`nbspace exclamdown cent sterling currency yen brokenbar section dieresis
		copyright ordfeminine guillemotleft logicalnot sfthyphen registered macron degree plusminus
		twosuperior threesuperior acute mu paragraph periodcentered cedilla onesuperior ordmasculine
		guillemotright onequarter onehalf threequarters questiondown Agrave Aacute Acircumflex Atilde
		Adieresis Aring AE Ccedilla Egrave Eacute Ecircumflex Edieresis Igrave Iacute Icircumflex Idieresis
		Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply Oslash Ugrave Uacute Ucircumflex
		Udieresis Yacute Thorn germandbls agrave aacute acircumflex atilde adieresis aring ae ccedilla egrave
		eacute ecircumflex edieresis igrave iacute icircumflex idieresis eth ntilde ograve oacute ocircumflex
		otilde odieresis divide oslash ugrave uacute ucircumflex udieresis yacute thorn ydieresis`)
	extraGlyphs = map[string]rune{
		"quoteright": 0x2019, "quoteleft": 0x2018, "quotedblleft": 0x201C, "quotedblright": 0x201D,
		"quotesinglbase": 0x201A, "quotedblbase": 0x201E, "bullet": 0x2022, "dagger": 0x2020,
		"daggerdbl": 0x2021, "ellipsis": 0x2026, "emdash": 0x2014, "endash": 0x2013, "florin": 0x0192,
		"fraction": 0x2044, "guilsinglleft": 0x2039, "guilsinglright": 0x203A, "minus": 0x2212,
		"perthousand": 0x2030, "trademark": 0x2122, "fi": 0xFB01, "fl": 0xFB02, "ff": 0xFB00,
		"ffi": 0xFB03, "ffl": 0xFB04, "Lslash": 0x0141, "lslash": 0x0142, "OE": 0x0152, "oe": 0x0153,
		"Scaron": 0x0160, "scaron": 0x0161, "Zcaron": 0x017D, "zcaron": 0x017E, "Ydieresis": 0x0178,
		"dotlessi": 0x0131, "Euro": 0x20AC, "circumflex": 0x02C6, "tilde": 0x02DC, "breve": 0x02D8,
		"dotaccent": 0x02D9, "ring": 0x02DA, "hungarumlaut": 0x02DD, "ogonek": 0x02DB, "caron": 0x02C7,
		"nonbreakingspace": 0xA0, "softhyphen": 0xAD, "middot": 0xB7, "overscore": 0xAF,
		"notequal": 0x2260, "infinity": 0x221E, "lessequal": 0x2264, "greaterequal": 0x2265,
		"partialdiff": 0x2202, "summation": 0x2211, "product": 0x220F, "pi": 0x03C0, "integral": 0x222B,
		"Omega": 0x03A9, "radical": 0x221A, "approxequal": 0x2248, "Delta": 0x2206, "lozenge": 0x25CA,
		"apple": 0xF8FF, "periodcentered": 0xB7, "registered": 0xAE, "copyright": 0xA9,
	}
)

// macRomanHigh is Mac OS Roman 0x80-0xFF.
var macRomanHigh = [128]rune{
	0xC4, 0xC5, 0xC7, 0xC9, 0xD1, 0xD6, 0xDC, 0xE1, 0xE0, 0xE2, 0xE4, 0xE3, 0xE5, 0xE7, 0xE9, 0xE8,
	0xEA, 0xEB, 0xED, 0xEC, 0xEE, 0xEF, 0xF1, 0xF3, 0xF2, 0xF4, 0xF6, 0xF5, 0xFA, 0xF9, 0xFB, 0xFC,
	0x2020, 0xB0, 0xA2, 0xA3, 0xA7, 0x2022, 0xB6, 0xDF, 0xAE, 0xA9, 0x2122, 0xB4, 0xA8, 0x2260, 0xC6, 0xD8,
	0x221E, 0xB1, 0x2264, 0x2265, 0xA5, 0xB5, 0x2202, 0x2211, 0x220F, 0x3C0, 0x222B, 0xAA, 0xBA, 0x3A9, 0xE6, 0xF8,
	0xBF, 0xA1, 0xAC, 0x221A, 0x192, 0x2248, 0x2206, 0xAB, 0xBB, 0x2026, 0xA0, 0xC0, 0xC3, 0xD5, 0x152, 0x153,
	0x2013, 0x2014, 0x201C, 0x201D, 0x2018, 0x2019, 0xF7, 0x25CA, 0xFF, 0x178, 0x2044, 0x20AC, 0x2039, 0x203A, 0xFB01, 0xFB02,
	0x2021, 0xB7, 0x201A, 0x201E, 0x2030, 0xC2, 0xCA, 0xC1, 0xCB, 0xC8, 0xCD, 0xCE, 0xCF, 0xCC, 0xD3, 0xD4,
	0xF8FF, 0xD2, 0xDA, 0xDB, 0xD9, 0x131, 0x2C6, 0x2DC, 0xAF, 0x2D8, 0x2D9, 0x2DA, 0xB8, 0x2DD, 0x2DB, 0x2C7,
}

// pdfDocHigh is PDFDocEncoding 0x80-0xA0 (the rest is Latin-1).
var pdfDocHigh = [33]rune{
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203A, 0x2212, 0x2030, 0x201E,
	0x201C, 0x201D, 0x2018, 0x2019, 0x201A, 0x2122, 0xFB01, 0xFB02, 0x0141, 0x0152, 0x0160, 0x0178, 0x017D,
	0x0131, 0x0142, 0x0153, 0x0161, 0x017E, 0, 0x20AC,
}

// standardHigh is StandardEncoding's upper half, by code.
var standardHigh = map[byte]string{
	0xA1: "exclamdown", 0xA2: "cent", 0xA3: "sterling", 0xA4: "fraction", 0xA5: "yen", 0xA6: "florin",
	0xA7: "section", 0xA8: "currency", 0xA9: "quotesingle", 0xAA: "quotedblleft", 0xAB: "guillemotleft",
	0xAC: "guilsinglleft", 0xAD: "guilsinglright", 0xAE: "fi", 0xAF: "fl", 0xB1: "endash", 0xB2: "dagger",
	0xB3: "daggerdbl", 0xB4: "periodcentered", 0xB6: "paragraph", 0xB7: "bullet", 0xB8: "quotesinglbase",
	0xB9: "quotedblbase", 0xBA: "quotedblright", 0xBB: "guillemotright", 0xBC: "ellipsis",
	0xBD: "perthousand", 0xBF: "questiondown", 0xC1: "grave", 0xC2: "acute", 0xC3: "circumflex",
	0xC4: "tilde", 0xC5: "macron", 0xC6: "breve", 0xC7: "dotaccent", 0xC8: "dieresis", 0xCA: "ring",
	0xCB: "cedilla", 0xCD: "hungarumlaut", 0xCE: "ogonek", 0xCF: "caron", 0xD0: "emdash", 0xE1: "AE",
	0xE3: "ordfeminine", 0xE8: "Lslash", 0xE9: "Oslash", 0xEA: "OE", 0xEB: "ordmasculine", 0xF1: "ae",
	0xF5: "dotlessi", 0xF8: "lslash", 0xF9: "oslash", 0xFA: "oe", 0xFB: "germandbls",
}

func init() {
	for i, n := range asciiGlyphs {
		glyphRunes[n] = rune(0x20 + i)
	}
	for i, n := range latin1Glyphs {
		glyphRunes[n] = rune(0xA0 + i)
	}
	for n, r := range extraGlyphs {
		glyphRunes[n] = r
	}
	for c := 0x20; c < 0x7f; c++ {
		winAnsiEnc[c], standardEnc[c], macRomanEnc[c], pdfDocEnc[c] = rune(c), rune(c), rune(c), rune(c)
	}
	for _, c := range []int{'\t', '\n', '\r'} {
		pdfDocEnc[c] = rune(c)
	}
	standardEnc['\''], standardEnc['`'] = 0x2019, 0x2018
	for c := 0x80; c < 0x100; c++ {
		if c < 0xA0 {
			winAnsiEnc[c] = cp1252[c-0x80]
		} else {
			winAnsiEnc[c] = rune(c)
		}
		macRomanEnc[c] = macRomanHigh[c-0x80]
		if c <= 0xA0 {
			pdfDocEnc[c] = pdfDocHigh[c-0x80]
		} else {
			pdfDocEnc[c] = rune(c)
		}
		if n, ok := standardHigh[byte(c)]; ok {
			standardEnc[c] = glyphRunes[n]
		}
	}
	// WinAnsi maps the undefined 0x81, 0x8D, 0x8F, 0x90 and 0x9D to
	// nothing; and writers put a space at 0xA0 and a hyphen at 0xAD.
	for _, c := range []int{0x81, 0x8D, 0x8F, 0x90, 0x9D} {
		winAnsiEnc[c] = 0
	}
	winAnsiEnc[0xA0], winAnsiEnc[0xAD] = ' ', '-'
}

// glyphRune maps a glyph name to text: AGL names, uniXXXX, uXXXX[XX],
// names with a suffix (a.sc) and ligatures written f_f_i.
func glyphRune(name string) string {
	if r, ok := glyphRunes[name]; ok {
		return string(r)
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return glyphRune(name[:i])
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for _, part := range strings.Split(name, "_") {
			b.WriteString(glyphRune(part))
		}
		return b.String()
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var b strings.Builder
		for i := 3; i+4 <= len(name); i += 4 {
			v, err := strconv.ParseUint(name[i:i+4], 16, 16)
			if err != nil {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7 {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v))
		}
	}
	return ""
}

// pdfText decodes a PDF text string: UTF-16BE or UTF-8 with a byte order
// mark, else PDFDocEncoding.
func pdfText(s pdfString) string {
	switch {
	case strings.HasPrefix(string(s), "\xfe\xff"):
		return decodeUTF16([]byte(s[2:]), binary.BigEndian)
	case strings.HasPrefix(string(s), "\xef\xbb\xbf"):
		return strings.ToValidUTF8(string(s[3:]), "\uFFFD")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if r := pdfDocEnc[s[i]]; r != 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cmap is a ToUnicode CMap (or the code-space part of an encoding CMap):
// codes of 1-4 bytes mapped to text.
type cmap struct {
	spaces []codeSpace
	chars  map[uint64]string // (length<<32 | code) -> text
	ranges []cmapRange       // sorted by (n, lo)
	// dense holds the bfchar entries of two-byte codes below denseLimit
	// as a slice, the common case of a subset font's glyph IDs: text
	// extraction looks up every glyph.
	dense []string
}

const denseLimit = 1 << 13

type codeSpace struct {
	n      int
	lo, hi [4]byte
}

type cmapRange struct {
	n      int
	lo, hi uint32
	base   []uint16 // UTF-16 of the text of lo; the last unit counts up
	array  []string // or one text per code
}

// maxCMapEntries bounds one CMap; the largest real ones (CJK fonts) have
// tens of thousands.
const maxCMapEntries = 1 << 18

// parseCMap reads codespacerange, bfchar and bfrange sections, ignoring
// everything else in the PostScript around them.
func parseCMap(data []byte) *cmap {
	cm := &cmap{chars: map[uint64]string{}}
	l := &lexer{b: data}
	entries := 0
	for entries < maxCMapEntries {
		l.arena = l.arena[:0]
		t := l.next()
		if t.kind == tEOF {
			break
		}
		if t.kind != tKeyword {
			continue
		}
		switch string(t.val) {
		case "begincodespacerange":
			for entries < maxCMapEntries {
				a, b := l.next(), l.next()
				if a.kind != tStr || b.kind != tStr {
					break
				}
				entries++
				if len(a.val) == len(b.val) && len(a.val) >= 1 && len(a.val) <= 4 && len(cm.spaces) < 64 {
					cs := codeSpace{n: len(a.val)}
					copy(cs.lo[:], a.val)
					copy(cs.hi[:], b.val)
					cm.spaces = append(cm.spaces, cs)
				}
			}
		case "beginbfchar":
			for entries < maxCMapEntries {
				src := l.next()
				if src.kind != tStr {
					break
				}
				code, n := codeOf(src.val)
				dst := l.next()
				entries++
				if n == 0 {
					continue
				}
				switch dst.kind {
				case tStr:
					cm.chars[uint64(n)<<32|uint64(code)] = utf16Text(dst.val)
				case tName:
					cm.chars[uint64(n)<<32|uint64(code)] = glyphRune(string(dst.val))
				}
			}
		case "beginbfrange":
			for entries < maxCMapEntries {
				lo := l.next()
				if lo.kind != tStr {
					break
				}
				loCode, n := codeOf(lo.val)
				hi := l.next()
				hiCode, hn := codeOf(hi.val)
				entries++
				r := cmapRange{n: n, lo: loCode, hi: hiCode}
				dst := l.next()
				switch dst.kind {
				case tStr:
					r.base = utf16Units(dst.val)
				case tArrOpen:
					for entries < maxCMapEntries {
						e := l.next()
						if e.kind != tStr {
							break
						}
						entries++
						r.array = append(r.array, utf16Text(e.val))
					}
				}
				if n > 0 && n == hn && hiCode >= loCode && (r.base != nil || r.array != nil) {
					cm.ranges = append(cm.ranges, r)
				}
			}
		}
	}
	cm.densify()
	slices.SortFunc(cm.ranges, func(a, b cmapRange) int {
		if a.n != b.n {
			return a.n - b.n
		}
		return int(int64(a.lo) - int64(b.lo))
	})
	return cm
}

// densify moves two-byte bfchar entries to the dense slice when they are
// all small codes.
func (cm *cmap) densify() {
	hi := -1
	for k := range cm.chars {
		n, code := int(k>>32), int(k&0xffffffff)
		if n != 2 {
			continue
		}
		if code >= denseLimit {
			return
		}
		hi = max(hi, code)
	}
	if hi < 0 {
		return
	}
	cm.dense = make([]string, hi+1)
	for k, v := range cm.chars {
		if k>>32 == 2 {
			cm.dense[k&0xffffffff] = v
			delete(cm.chars, k)
		}
	}
}

func codeOf(b []byte) (uint32, int) {
	if len(b) == 0 || len(b) > 4 {
		return 0, 0
	}
	var c uint32
	for _, x := range b {
		c = c<<8 | uint32(x)
	}
	return c, len(b)
}

func utf16Units(b []byte) []uint16 {
	u := make([]uint16, 0, len(b)/2+1)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		u = append(u, uint16(b[len(b)-1]))
	}
	return u
}

func utf16Text(b []byte) string {
	if len(b) == 1 {
		return string(rune(b[0]))
	}
	return string(utf16.Decode(utf16Units(b)))
}

// lookup returns the text of a code of n bytes.
func (cm *cmap) lookup(code uint32, n int) (string, bool) {
	if n == 2 && int(code) < len(cm.dense) && cm.dense[code] != "" {
		return cm.dense[code], true
	}
	if s, ok := cm.chars[uint64(n)<<32|uint64(code)]; ok {
		return s, true
	}
	// The last range starting at or below code.
	i, _ := slices.BinarySearchFunc(cm.ranges, struct {
		n  int
		lo uint32
	}{n, code}, func(r cmapRange, k struct {
		n  int
		lo uint32
	}) int {
		if r.n != k.n {
			return r.n - k.n
		}
		if r.lo < k.lo {
			return -1
		}
		if r.lo > k.lo {
			return 1
		}
		return 0
	})
	if i < len(cm.ranges) && cm.ranges[i].n == n && cm.ranges[i].lo == code {
		i++
	}
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		r := &cm.ranges[j]
		if r.n != n || code < r.lo {
			break
		}
		if code > r.hi {
			continue
		}
		k := code - r.lo
		if r.array != nil {
			if int(k) < len(r.array) {
				return r.array[k], true
			}
			return "", false
		}
		if len(r.base) == 1 {
			return string(rune(r.base[0] + uint16(k))), true
		}
		u := slices.Clone(r.base)
		if len(u) == 0 {
			return "", false
		}
		u[len(u)-1] += uint16(k)
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// split returns the length of the code at the start of b per the code
// space ranges, or def when none matches.
func (cm *cmap) split(b []byte, def int) int {
	for _, cs := range cm.spaces {
		if cs.n > len(b) {
			continue
		}
		ok := true
		for i := 0; i < cs.n; i++ {
			if b[i] < cs.lo[i] || b[i] > cs.hi[i] {
				ok = false
				break
			}
		}
		if ok {
			return cs.n
		}
	}
	return min(def, len(b))
}

// Widths (per 1000 em) of the printable ASCII glyphs of two standard 14
// fonts, used when a font dictionary gives no /Widths, so that word gaps
// can still be told from letter spacing. Courier is 600 throughout.
var helveticaWidths = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
}

var timesWidths = [95]uint16{
	250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
	500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
	921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
	556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
	333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
	500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
}
