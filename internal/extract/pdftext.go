package extract

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

// pdfFont is what text extraction needs of a font: how to split a string
// into character codes, what text each code stands for, and how wide its
// glyph is, so that word gaps can be told from letter spacing.
type pdfFont struct {
	twoByte bool  // codes default to 2 bytes (Type0)
	toUni   *cmap // ToUnicode, if any
	codes   *cmap // an embedded encoding CMap's code spaces, for Type0
	ucs2    bool  // Type0 with a Unicode CMap: the code is the character
	// gidText: an Identity-encoded font without ToUnicode whose embedded
	// TrueType program maps characters to glyphs; read backwards, it
	// gives the text of each glyph. cidToGID maps codes to glyphs first
	// when the font has a CIDToGIDMap stream.
	gidText  map[uint16]rune
	cidToGID []byte
	// asciiCIDs: an Identity-encoded Adobe CJK font without ToUnicode.
	// Its CIDs 1-95 are ASCII in all four Adobe character collections,
	// so Latin text (and digits) in such a font can still be read.
	asciiCIDs bool
	simple    [256]string

	widths    []float64
	firstChar int
	cidW      []cidWidth
	dw        float64 // default or missing width
	scale     float64 // glyph space to text space: 0.001 except Type3
	std       *[95]uint16
}

type cidWidth struct {
	lo, hi uint32
	w      float64
}

// defaultFont stands in when a content stream uses a font that cannot be
// found: WinAnsi codes, average widths.
var defaultFont = func() *pdfFont {
	f := &pdfFont{dw: 500, scale: 0.001}
	for c, r := range winAnsiEnc {
		if r != 0 {
			f.simple[c] = string(r)
		}
	}
	return f
}()

// missingFont stands in for a font the content names but the file lacks.
// It reads codes as WinAnsi, which is right for many simple fonts, and its
// glyphs are counted so that a document mostly in missing fonts is
// reported corrupt.
var missingFont = func() *pdfFont { f := *defaultFont; return &f }()

// font returns the font for a resource value, cached by object number.
func (d *pdfDoc) font(v any) *pdfFont {
	r, isRef := v.(pdfRef)
	if isRef {
		if f := d.fonts[r.num]; f != nil {
			return f
		}
	}
	dict := asDict(d.resolve(v))
	if dict == nil {
		return missingFont
	}
	f := d.buildFont(dict)
	if isRef {
		d.fonts[r.num] = f
	}
	return f
}

func (d *pdfDoc) cmapOf(v any) *cmap {
	s, ok := d.resolve(v).(*pdfStream)
	if !ok {
		return nil
	}
	if cm := d.cmaps[s.num]; cm != nil {
		return cm
	}
	data, ok := d.stream(s)
	if !ok {
		return nil
	}
	cm := parseCMap(data)
	if s.num != 0 {
		d.cmaps[s.num] = cm
	}
	return cm
}

func (d *pdfDoc) buildFont(dict pdfDict) *pdfFont {
	f := &pdfFont{scale: 0.001}
	f.toUni = d.cmapOf(dict["ToUnicode"])
	subtype := asName(d.resolve(dict["Subtype"]))
	if subtype == "Type0" {
		f.twoByte, f.dw = true, 1000
		switch enc := d.resolve(dict["Encoding"]).(type) {
		case pdfName:
			f.ucs2 = strings.Contains(string(enc), "UCS2") || strings.Contains(string(enc), "UTF16")
		case *pdfStream:
			f.codes = d.cmapOf(enc)
		}
		identity := strings.HasPrefix(string(asName(d.resolve(dict["Encoding"]))), "Identity")
		if n := asName(d.resolve(dict["ToUnicode"])); strings.HasPrefix(string(n), "Identity") {
			// Not a CMap but the name of one: the codes are the text.
			f.ucs2 = true
		}
		descs, _ := d.resolve(dict["DescendantFonts"]).([]any)
		if len(descs) > 0 {
			desc := asDict(d.resolve(descs[0]))
			if f.toUni == nil && !f.ucs2 && identity {
				d.trueTypeText(f, desc)
			}
			info := asDict(d.resolve(desc["CIDSystemInfo"]))
			if reg, _ := d.resolve(info["Registry"]).(pdfString); identity && reg == "Adobe" {
				switch ord, _ := d.resolve(info["Ordering"]).(pdfString); ord {
				case "Japan1", "GB1", "CNS1", "Korea1":
					f.asciiCIDs = true
				}
			}
			if dw, ok := asNum(d.resolve(desc["DW"])); ok {
				f.dw = dw
			}
			f.cidW = d.cidWidths(desc["W"])
		}
		return f
	}

	base := &winAnsiEnc
	if subtype == "Type1" || subtype == "MMType1" {
		base = &standardEnc
	}
	var diffs []any
	switch enc := d.resolve(dict["Encoding"]).(type) {
	case pdfName:
		base = encodingByName(enc, base)
	case pdfDict:
		base = encodingByName(asName(d.resolve(enc["BaseEncoding"])), base)
		diffs, _ = d.resolve(enc["Differences"]).([]any)
	}
	for c, r := range base {
		if r != 0 {
			f.simple[c] = string(r)
		}
	}
	code := -1
	for _, x := range diffs {
		switch v := d.resolve(x).(type) {
		case int64:
			code = int(v)
		case pdfName:
			if code >= 0 && code < 256 {
				f.simple[code] = glyphRune(string(v))
				code++
			}
		}
	}

	if subtype == "Type3" {
		if m, _ := d.resolve(dict["FontMatrix"]).([]any); len(m) == 6 {
			if s, ok := asNum(d.resolve(m[0])); ok && s != 0 && !math.IsNaN(s) {
				f.scale = math.Abs(s)
			}
		}
	}
	first, _ := asInt(d.resolve(dict["FirstChar"]))
	f.firstChar = int(first)
	if ws, ok := d.resolve(dict["Widths"]).([]any); ok && len(ws) <= 256 {
		for _, x := range ws {
			w, _ := asNum(d.resolve(x))
			f.widths = append(f.widths, w)
		}
	}
	desc := asDict(d.resolve(dict["FontDescriptor"]))
	if mw, ok := asNum(d.resolve(desc["MissingWidth"])); ok {
		f.dw = mw
	}
	if f.widths == nil {
		bf := string(asName(d.resolve(dict["BaseFont"])))
		switch {
		case strings.Contains(bf, "Courier"):
			f.dw = 600
		case strings.Contains(bf, "Times"):
			f.std = &timesWidths
		default:
			f.std, f.dw = &helveticaWidths, 500
		}
	}
	return f
}

// trueTypeText gives a font the glyph texts of its embedded TrueType
// program, if it has one.
func (d *pdfDoc) trueTypeText(f *pdfFont, desc pdfDict) {
	fd := asDict(d.resolve(desc["FontDescriptor"]))
	ff, ok := d.resolve(fd["FontFile2"]).(*pdfStream)
	if !ok {
		return
	}
	prog, ok := d.streamOnce(ff)
	if !ok {
		return
	}
	f.gidText = trueTypeGlyphText(prog)
	if m, ok := d.resolve(desc["CIDToGIDMap"]).(*pdfStream); ok {
		f.cidToGID, _ = d.streamOnce(m)
	}
}

func encodingByName(n pdfName, def *[256]rune) *[256]rune {
	switch n {
	case "WinAnsiEncoding":
		return &winAnsiEnc
	case "MacRomanEncoding":
		return &macRomanEnc
	case "StandardEncoding":
		return &standardEnc
	case "PDFDocEncoding":
		return &pdfDocEnc
	}
	return def
}

// cidWidths parses a CIDFont /W array: "c [w1 w2 ...]" and "c1 c2 w".
func (d *pdfDoc) cidWidths(v any) []cidWidth {
	arr, _ := d.resolve(v).([]any)
	var out []cidWidth
	for i := 0; i < len(arr) && len(out) < maxCMapEntries; {
		c1, ok := asInt(d.resolve(arr[i]))
		if !ok || i+1 >= len(arr) {
			break
		}
		switch next := d.resolve(arr[i+1]).(type) {
		case []any:
			for k, x := range next {
				if w, ok := asNum(d.resolve(x)); ok && c1+int64(k) >= 0 {
					out = append(out, cidWidth{lo: uint32(c1 + int64(k)), hi: uint32(c1 + int64(k)), w: w})
				}
			}
			i += 2
		default:
			if i+2 >= len(arr) {
				i = len(arr)
				break
			}
			c2, ok1 := asInt(next)
			w, ok2 := asNum(d.resolve(arr[i+2]))
			if ok1 && ok2 && c1 >= 0 && c2 >= c1 && c2 < 1<<32 {
				out = append(out, cidWidth{lo: uint32(c1), hi: uint32(c2), w: w})
			}
			i += 3
		}
	}
	slices.SortFunc(out, func(a, b cidWidth) int { return int(int64(a.lo) - int64(b.lo)) })
	return out
}

// next decodes the character code at the start of b: its length in
// bytes, the code, and its text ("" and false when the font gives no way
// to know it).
func (f *pdfFont) next(b []byte) (n int, code uint32, text string, mapped bool) {
	switch {
	case !f.twoByte:
		// Simple fonts have one-byte codes, whatever code space their
		// ToUnicode CMap claims; writers often declare <0000> <FFFF>.
		n = 1
	case f.codes != nil && len(f.codes.spaces) > 0:
		n = f.codes.split(b, 2)
	case f.toUni != nil && len(f.toUni.spaces) > 0:
		n = f.toUni.split(b, 2)
	default:
		n = min(2, len(b))
	}
	for _, c := range b[:n] {
		code = code<<8 | uint32(c)
	}
	if f.toUni != nil {
		if t, ok := f.toUni.lookup(code, n); ok {
			return n, code, t, true
		}
		if !f.twoByte {
			if t, ok := f.toUni.lookup(code, 2); ok {
				return n, code, t, true
			}
		}
	}
	if f.twoByte {
		if f.ucs2 && (code < 0xd800 || code > 0xdfff) {
			return n, code, string(rune(code)), true
		}
		if f.gidText != nil {
			gid := code
			if f.cidToGID != nil {
				gid = 0
				if i := 2 * int(code); i+1 < len(f.cidToGID) {
					gid = uint32(f.cidToGID[i])<<8 | uint32(f.cidToGID[i+1])
				}
			}
			if r, ok := f.gidText[uint16(gid)]; ok && gid <= 0xffff {
				return n, code, string(r), true
			}
		}
		if f.asciiCIDs && code >= 1 && code <= 95 {
			return n, code, string(rune(code + 31)), true
		}
		return n, code, "", false
	}
	t := f.simple[code&0xff]
	return n, code, t, t != ""
}

// width returns a glyph's advance in text space units per unit font size.
func (f *pdfFont) width(code uint32, text string) float64 {
	w := f.dw
	switch {
	case f.twoByte:
		i, found := slices.BinarySearchFunc(f.cidW, code, func(c cidWidth, code uint32) int {
			if c.lo < code {
				return -1
			}
			if c.lo > code {
				return 1
			}
			return 0
		})
		if !found {
			i--
		}
		if i >= 0 && i < len(f.cidW) && code >= f.cidW[i].lo && code <= f.cidW[i].hi {
			w = f.cidW[i].w
		}
	case f.widths != nil:
		if k := int(code) - f.firstChar; k >= 0 && k < len(f.widths) {
			w = f.widths[k]
		}
	case f.std != nil:
		if len(text) == 1 && text[0] >= 0x20 && text[0] < 0x7f {
			w = float64(f.std[text[0]-0x20])
		}
	}
	return w * f.scale
}

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n, that is m applied first.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// gstate is the part of the graphics state that affects where text lands.
type gstate struct {
	ctm                                             matrix
	font                                            *pdfFont
	fontSize, charSp, wordSp, hScale, leading, rise float64
}

// maxStack bounds q/Q nesting and forms drawn inside forms.
const (
	maxStack     = 64
	maxFormDepth = 8
)

// interp runs content streams, writing the text they show. Spaces and
// line breaks are inferred from where consecutive strings land relative
// to each other in device space, along and across the direction of the
// text, so rotated pages read the same as upright ones.
type interp struct {
	d        *pdfDoc
	s        *sink
	gs       gstate
	stack    []gstate
	overflow int
	tm, tlm  matrix
	active   map[uint32]bool
	buf      []byte

	have                         bool
	endX, endY, dirX, dirY, size float64
	pending                      byte // separator to write before the next text
}

func newInterp(d *pdfDoc, s *sink) *interp {
	return &interp{d: d, s: s, gs: gstate{ctm: identity, hScale: 1}, tm: identity, tlm: identity, active: map[uint32]bool{}}
}

// operand is one operand of a content-stream operator. Strings and names
// alias the lexer's buffers and live until the operator runs.
type operand struct {
	kind tokKind
	num  float64
	b    []byte
	arr  []operand
}

func (in *interp) run(content []byte, res pdfDict, depth int) {
	lx := lexer{b: content}
	var ops, arr []operand
	fonts := map[string]*pdfFont{}
	for !in.s.full() {
		t := lx.next()
		switch t.kind {
		case tEOF:
			return
		case tNum:
			ops = append(ops, operand{kind: tNum, num: t.num})
		case tName, tStr:
			ops = append(ops, operand{kind: t.kind, b: t.val})
		case tArrOpen:
			start := len(arr)
			arr = readArray(&lx, arr)
			ops = append(ops, operand{kind: tArrOpen, arr: arr[start:]})
		case tDictOpen:
			skipDict(&lx)
			ops = append(ops, operand{kind: tDictOpen})
		case tKeyword:
			if string(t.val) == "BI" {
				skipInlineImage(&lx)
			} else {
				in.op(string(t.val), ops, res, fonts, depth)
			}
			ops, arr = ops[:0], arr[:0]
			lx.arena = lx.arena[:0]
		}
		if len(ops) > 32 {
			ops = ops[:0] // junk without an operator
		}
	}
}

// readArray reads array elements up to ']'. Only numbers and strings
// matter (for TJ); nested arrays and dictionaries are skipped.
func readArray(lx *lexer, arr []operand) []operand {
	for {
		t := lx.next()
		switch t.kind {
		case tEOF, tArrClose:
			return arr
		case tNum:
			arr = append(arr, operand{kind: tNum, num: t.num})
		case tStr:
			arr = append(arr, operand{kind: tStr, b: t.val})
		case tArrOpen:
			skipNested(lx, tArrOpen, tArrClose)
		case tDictOpen:
			skipDict(lx)
		case tKeyword:
			// An operator inside an array: the array was never closed.
			lx.pos -= len(t.val)
			return arr
		}
	}
}

func skipDict(lx *lexer) { skipNested(lx, tDictOpen, tDictClose) }

func skipNested(lx *lexer, open, close tokKind) {
	depth := 1
	for depth > 0 {
		switch lx.next().kind {
		case tEOF:
			return
		case open:
			depth++
		case close:
			depth--
		}
	}
}

// skipInlineImage skips "BI dict ID data EI". The data is binary and its
// end is found as whitespace, "EI", then whitespace or the end.
func skipInlineImage(lx *lexer) {
	for {
		t := lx.next()
		if t.kind == tEOF {
			return
		}
		if t.kind == tKeyword && string(t.val) == "ID" {
			break
		}
	}
	lx.pos++
	for lx.pos < len(lx.b) {
		i := bytes.Index(lx.b[lx.pos:], []byte("EI"))
		if i < 0 {
			lx.pos = len(lx.b)
			return
		}
		at := lx.pos + i
		lx.pos = at + 2
		if (at == 0 || isPDFSpace(lx.b[at-1])) && (at+2 == len(lx.b) || isPDFSpace(lx.b[at+2]) || isDelim(lx.b[at+2])) {
			return
		}
	}
}

// nums returns the last n (at most 6) operands as finite numbers.
func nums(ops []operand, n int) (out [6]float64, ok bool) {
	if len(ops) < n {
		return out, false
	}
	for i, o := range ops[len(ops)-n:] {
		if o.kind != tNum || math.IsNaN(o.num) || math.IsInf(o.num, 0) {
			return out, false
		}
		out[i] = o.num
	}
	return out, true
}

func (in *interp) op(name string, ops []operand, res pdfDict, fonts map[string]*pdfFont, depth int) {
	gs := &in.gs
	switch name {
	case "q":
		if len(in.stack) < maxStack {
			in.stack = append(in.stack, in.gs)
		} else {
			in.overflow++
		}
	case "Q":
		switch {
		case in.overflow > 0:
			in.overflow--
		case len(in.stack) > 0:
			in.gs = in.stack[len(in.stack)-1]
			in.stack = in.stack[:len(in.stack)-1]
		}
	case "cm":
		if v, ok := nums(ops, 6); ok {
			gs.ctm = matrix(v).mul(gs.ctm)
		}
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tf":
		if len(ops) >= 2 && ops[len(ops)-2].kind == tName && ops[len(ops)-1].kind == tNum {
			key := string(ops[len(ops)-2].b)
			f, ok := fonts[key]
			if !ok {
				f = in.d.font(asDict(in.d.resolve(res["Font"]))[pdfName(key)])
				fonts[key] = f
			}
			gs.font, gs.fontSize = f, ops[len(ops)-1].num
		}
	case "Tc":
		if v, ok := nums(ops, 1); ok {
			gs.charSp = v[0]
		}
	case "Tw":
		if v, ok := nums(ops, 1); ok {
			gs.wordSp = v[0]
		}
	case "Tz":
		if v, ok := nums(ops, 1); ok {
			gs.hScale = v[0] / 100
		}
	case "TL":
		if v, ok := nums(ops, 1); ok {
			gs.leading = v[0]
		}
	case "Ts":
		if v, ok := nums(ops, 1); ok {
			gs.rise = v[0]
		}
	case "Td":
		if v, ok := nums(ops, 2); ok {
			in.moveLine(v[0], v[1])
		}
	case "TD":
		if v, ok := nums(ops, 2); ok {
			gs.leading = -v[1]
			in.moveLine(v[0], v[1])
		}
	case "Tm":
		if v, ok := nums(ops, 6); ok {
			in.tm, in.tlm = matrix(v), matrix(v)
		}
	case "T*":
		in.moveLine(0, -gs.leading)
	case "Tj":
		if len(ops) > 0 && ops[len(ops)-1].kind == tStr {
			in.show(ops[len(ops)-1].b)
		}
	case "'":
		in.moveLine(0, -gs.leading)
		if len(ops) > 0 && ops[len(ops)-1].kind == tStr {
			in.show(ops[len(ops)-1].b)
		}
	case "\"":
		if len(ops) >= 3 && ops[len(ops)-1].kind == tStr {
			gs.wordSp, gs.charSp = ops[len(ops)-3].num, ops[len(ops)-2].num
			in.moveLine(0, -gs.leading)
			in.show(ops[len(ops)-1].b)
		}
	case "TJ":
		if len(ops) > 0 && ops[len(ops)-1].kind == tArrOpen {
			for _, e := range ops[len(ops)-1].arr {
				if e.kind == tStr {
					in.show(e.b)
				} else if !math.IsNaN(e.num) && !math.IsInf(e.num, 0) {
					in.advance(-e.num / 1000 * gs.fontSize * gs.hScale)
				}
			}
		}
	case "Do":
		if len(ops) > 0 && ops[len(ops)-1].kind == tName {
			in.form(asDict(in.d.resolve(res["XObject"]))[pdfName(ops[len(ops)-1].b)], res, depth)
		}
	}
}

func (in *interp) moveLine(tx, ty float64) {
	in.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

// advance moves the text position by tx in unscaled text space.
func (in *interp) advance(tx float64) {
	in.tm[4] += tx * in.tm[0]
	in.tm[5] += tx * in.tm[1]
}

// show writes the text of a string operand and advances the position.
// It is the hot path of PDF extraction, so it works with the text matrix
// times the CTM once per string rather than the full rendering matrix per
// glyph: the string starts at that matrix's origin (raised by the rise),
// runs along its first row, and its glyphs are as tall as the font size
// times the length of its second row.
func (in *interp) show(b []byte) {
	gs := &in.gs
	f := gs.font
	if f == nil {
		f = defaultFont
	}
	m := in.tm.mul(gs.ctm)
	x, y := gs.rise*m[2]+m[4], gs.rise*m[3]+m[5]
	dx, dy := m[0], m[1]
	if l := math.Sqrt(dx*dx + dy*dy); l > 0 {
		dx, dy = dx/l, dy/l
	} else {
		dx, dy = 1, 0
	}
	size := math.Abs(gs.fontSize) * math.Sqrt(m[2]*m[2]+m[3]*m[3])
	if sep := in.gap(x, y, size); sep != 0 {
		in.pending = sep
	}

	in.buf = in.buf[:0]
	var adv float64
	for len(b) > 0 {
		n, code, text, mapped := f.next(b)
		if n == 0 {
			break
		}
		b = b[n:]
		in.d.glyphs++
		if f == missingFont {
			in.d.lost++
		}
		if mapped {
			in.buf = append(in.buf, text...)
		} else {
			in.d.unmapped++
		}
		w := f.width(code, text)*gs.fontSize + gs.charSp
		if n == 1 && code == 32 {
			w += gs.wordSp
		}
		adv += w * gs.hScale
	}
	if len(in.buf) > 0 {
		switch {
		case in.pending == '\n':
			in.s.newline()
		case in.pending == ' ' && in.buf[0] != ' ':
			in.s.space()
		}
		in.pending = 0
		in.s.Write(in.buf)
	}
	in.advance(adv)
	// The advance moved the origin adv units along the first row.
	in.have, in.endX, in.endY, in.dirX, in.dirY, in.size = true, x+adv*m[0], y+adv*m[1], dx, dy, size
}

// gap returns the separator between the previous string and one starting
// at (x, y), judged against the font size: a move across the line of more
// than half the size is a new line; a move along it of more than 0.15 of
// the size is a word gap (kerning is far smaller, a space glyph larger).
// The separator is written before the next text, so that strings showing
// nothing do not leave separators behind and a gap before a space glyph
// does not double it.
func (in *interp) gap(x, y, size float64) byte {
	if !in.have {
		return 0
	}
	vx, vy := x-in.endX, y-in.endY
	along := vx*in.dirX + vy*in.dirY
	across := -vx*in.dirY + vy*in.dirX
	h := max(size, in.size)
	if h <= 0 || math.IsNaN(h) || math.IsInf(h, 0) {
		h = 1
	}
	switch {
	case math.Abs(across) > 0.5*h:
		return '\n'
	case along > 0.15*h || along < -h:
		if in.pending == '\n' {
			return '\n'
		}
		return ' '
	}
	return 0
}

// form draws a form XObject: its content with its own resources, under
// its matrix, at most maxFormDepth deep and never inside itself.
func (in *interp) form(v any, res pdfDict, depth int) {
	st, ok := in.d.resolve(v).(*pdfStream)
	if !ok || asName(in.d.resolve(st.dict["Subtype"])) != "Form" || depth >= maxFormDepth || in.active[st.num] {
		return
	}
	data, ok := in.d.stream(st)
	if !ok || !in.d.spend(len(data)) {
		return
	}
	saved, tm, tlm, stack, overflow := in.gs, in.tm, in.tlm, len(in.stack), in.overflow
	if m, _ := in.d.resolve(st.dict["Matrix"]).([]any); len(m) == 6 {
		var mm matrix
		ok := true
		for i, x := range m {
			mm[i], ok = asNum(in.d.resolve(x))
			if !ok {
				break
			}
		}
		if ok {
			in.gs.ctm = mm.mul(in.gs.ctm)
		}
	}
	fres := asDict(in.d.resolve(st.dict["Resources"]))
	if fres == nil {
		fres = res
	}
	in.active[st.num] = true
	in.run(data, fres, depth+1)
	delete(in.active, st.num)
	// A form's unbalanced q/Q must not reach its caller's state.
	in.gs, in.tm, in.tlm, in.stack, in.overflow = saved, tm, tlm, in.stack[:min(stack, len(in.stack))], overflow
}
