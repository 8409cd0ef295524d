package extract

import (
	"bytes"
	"slices"
	"strings"
)

// maxPDFObjects bounds the objects indexed in one PDF. Each costs an
// index entry; a large real document has a few hundred thousand.
const maxPDFObjects = 1 << 19

// maxRefChain bounds how many references are followed to reach a value
// (a reference to a reference to ...).
const maxRefChain = 16

// objLoc says where an object is defined: at off in the file, or at off
// in the decoded data of object stream stm. order is the file position
// of the definition, so that the latest of several definitions (an
// incremental update) wins.
type objLoc struct {
	off   int
	stm   uint32
	order int
	gen   uint16
	// For streams found by the scan: the extent of the raw data.
	sStart, sEnd int
}

// pdfDoc is one PDF being read.
type pdfDoc struct {
	w     *walker
	path  string
	depth int
	data  []byte

	locs    map[uint32]objLoc
	cache   map[uint32]any
	busy    map[uint32]bool
	stmData map[uint32][]byte
	decoded map[uint32][]byte
	cmaps   map[uint32]*cmap
	fonts   map[uint32]*pdfFont
	objStms []uint32
	root    any
	info    any
	encrypt any    // the trailer's /Encrypt, if any
	fileID  []byte // the first element of the trailer's /ID
	crypt   *pdfCrypt

	glyphs, unmapped, lost int
	failed                 map[uint32]bool // streams already reported
}

// pdf extracts the text of a PDF: page content in page order (with
// ToUnicode maps and simple-font encodings), annotation and form-field
// text, and the document information. Embedded files are examined one
// level deeper.
//
// Objects are found by scanning the file for "N G obj" rather than by
// trusting the cross-reference table, which is the first thing a damaged
// or hand-edited PDF gets wrong; object streams are then unpacked and
// "trailer" dictionaries and cross-reference streams consulted for the
// catalogue, the information dictionary and /Encrypt.
func (w *walker) pdf(p string, data []byte, depth int) {
	d := &pdfDoc{
		w: w, path: p, depth: depth, data: data,
		locs: map[uint32]objLoc{}, cache: map[uint32]any{}, busy: map[uint32]bool{},
		stmData: map[uint32][]byte{}, decoded: map[uint32][]byte{}, cmaps: map[uint32]*cmap{},
		fonts: map[uint32]*pdfFont{}, failed: map[uint32]bool{},
	}
	if !d.scan() {
		return
	}
	if d.encrypt != nil {
		// Most encrypted PDFs only restrict permissions and open without
		// a password; those are read. The rest are reported.
		c, f := d.openEncryption()
		if f != nil {
			w.report(p, f)
			return
		}
		d.crypt = c
	}
	d.unpackObjStms()
	if d.root == nil {
		d.findCatalog()
	}
	idx := len(w.res.Parts)
	w.res.Parts = append(w.res.Parts, Part{Path: p, Format: "pdf"})
	s := w.newSink()
	pages := d.pages()
	for _, pg := range pages {
		if s.full() {
			break
		}
		d.page(s, pg)
		s.newline()
	}
	d.formFields(s)
	d.infoFields(s)
	w.res.Parts[idx].Text = s.b.String()
	// Text that cannot be read is reported when it is most of the text:
	// a stray symbol font should not make a document unscannable.
	switch {
	case d.lost >= 16 && d.lost*2 > d.glyphs:
		w.problem(p, Corrupt, "%d of %d glyphs use fonts missing from the file", d.lost, d.glyphs)
	case d.unmapped >= 16 && d.unmapped*2 > d.glyphs:
		w.problem(p, Unsupported, "%d of %d glyphs are in fonts without a Unicode mapping", d.unmapped, d.glyphs)
	}
	if len(pages) == 0 && d.root == nil {
		w.problem(p, Corrupt, "no document catalogue or pages found")
	}
	d.embeddedFiles(pages)
}

// scan indexes every "N G obj" in the file and reads trailers. It reports
// false if the PDF cannot be read at all.
func (d *pdfDoc) scan() bool {
	b := d.data
	p := &parser{}
	p.b = b
	i := 0
	for {
		j := bytes.Index(b[i:], []byte("obj"))
		if j < 0 {
			break
		}
		k := i + j
		i = k + 3
		if k+3 < len(b) && isRegular(b[k+3]) {
			continue // "objstm", "object", ...
		}
		num, gen, ok := objHeader(b, k)
		if !ok {
			continue
		}
		if len(d.locs) >= maxPDFObjects {
			d.w.problem(d.path, TooManyEntries, "more than %d objects", maxPDFObjects)
			return false
		}
		p.pos, p.arena, p.depth = k+3, p.arena[:0], 0
		v, err := p.object()
		if err != nil && v == nil {
			continue
		}
		loc := objLoc{off: k + 3, order: k, gen: gen}
		if dict, ok := v.(pdfDict); ok {
			if start := p.streamStart(); start >= 0 {
				length, ok := asInt(dict["Length"])
				if !ok {
					length = -1
				}
				loc.sStart, loc.sEnd = start, streamEnd(b, start, length)
				i = loc.sEnd
				switch asName(dict["Type"]) {
				case "ObjStm":
					d.objStms = append(d.objStms, num)
				case "XRef":
					d.trailer(dict)
				}
			} else {
				i = max(i, p.pos)
			}
		} else {
			i = max(i, p.pos)
		}
		d.locs[num] = loc
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("trailer"))
		if j < 0 {
			break
		}
		i += j + 7
		p.pos, p.arena, p.depth = i, p.arena[:0], 0
		if v, _ := p.object(); v != nil {
			if dict, ok := v.(pdfDict); ok {
				d.trailer(dict)
			}
		}
	}
	if len(d.locs) == 0 {
		d.w.problem(d.path, Corrupt, "no PDF objects found")
		return false
	}
	return true
}

// objHeader checks that "obj" at k is preceded by "num gen " and returns
// them.
func objHeader(b []byte, k int) (num uint32, gen uint16, ok bool) {
	i := k - 1
	for i >= 0 && isPDFSpace(b[i]) {
		i--
	}
	end := i + 1
	for i >= 0 && b[i] >= '0' && b[i] <= '9' {
		i--
	}
	if i+1 == end || end-(i+1) > 5 || i < 0 || !isPDFSpace(b[i]) {
		return 0, 0, false
	}
	var g uint64
	for _, c := range b[i+1 : end] {
		g = g*10 + uint64(c-'0')
	}
	if g > 65535 {
		return 0, 0, false
	}
	for i >= 0 && isPDFSpace(b[i]) {
		i--
	}
	end = i + 1
	for i >= 0 && b[i] >= '0' && b[i] <= '9' {
		i--
	}
	// Some writers run "endobj" into the next object number.
	if i+1 == end || end-(i+1) > 10 || i >= 0 && isRegular(b[i]) && !bytes.HasSuffix(b[:i+1], []byte("endobj")) {
		return 0, 0, false
	}
	var n uint64
	for _, c := range b[i+1 : end] {
		n = n*10 + uint64(c-'0')
	}
	if n == 0 || n >= 1<<32 {
		return 0, 0, false
	}
	return uint32(n), uint16(g), true
}

// trailer takes the catalogue, information dictionary and encryption
// flag from a trailer or cross-reference stream dictionary. Later ones
// win, as they do for incremental updates.
func (d *pdfDoc) trailer(t pdfDict) {
	if r, ok := t["Root"]; ok && r != nil {
		d.root = r
	}
	if r, ok := t["Info"]; ok && r != nil {
		d.info = r
	}
	if e, ok := t["Encrypt"]; ok && e != nil {
		d.encrypt = e
	}
	if ids, ok := t["ID"].([]any); ok && len(ids) > 0 {
		if id, ok := ids[0].(pdfString); ok {
			d.fileID = []byte(id)
		}
	}
}

// unpackObjStms indexes the objects inside object streams.
func (d *pdfDoc) unpackObjStms() {
	for _, num := range d.objStms {
		if d.w.stopped {
			return
		}
		s, ok := d.get(num).(*pdfStream)
		if !ok {
			continue
		}
		data, f := d.decodeStream(s)
		if f != nil {
			d.w.report(d.path, f)
			continue
		}
		first, _ := asInt(d.resolve(s.dict["First"]))
		n, _ := asInt(d.resolve(s.dict["N"]))
		if first < 0 || first > int64(len(data)) || n <= 0 {
			continue
		}
		d.stmData[num] = data
		order := d.locs[num].order
		l := &lexer{b: data[:first]}
		for range n {
			t1, t2 := l.next(), l.next()
			if t1.kind != tNum || t2.kind != tNum || t1.num <= 0 || t1.num >= 1<<32 || t2.num < 0 {
				break
			}
			if len(d.locs) >= maxPDFObjects {
				return
			}
			onum := uint32(t1.num)
			if old, ok := d.locs[onum]; ok && old.order > order {
				continue
			}
			d.locs[onum] = objLoc{off: int(first) + int(t2.num), stm: num, order: order}
		}
	}
}

// findCatalog looks for a /Type /Catalog object when no trailer names one.
func (d *pdfDoc) findCatalog() {
	for _, num := range d.sortedNums() {
		if asName(asDict(d.get(num))["Type"]) == "Catalog" {
			d.root = pdfRef{num: num}
			return
		}
	}
}

func (d *pdfDoc) sortedNums() []uint32 {
	nums := make([]uint32, 0, len(d.locs))
	for n := range d.locs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

// get returns object num, parsing it on first use.
func (d *pdfDoc) get(num uint32) any {
	if v, ok := d.cache[num]; ok {
		return v
	}
	loc, ok := d.locs[num]
	if !ok || d.busy[num] {
		return nil
	}
	d.busy[num] = true
	defer delete(d.busy, num)
	p := &parser{}
	if loc.stm != 0 {
		data := d.stmData[loc.stm]
		if loc.off < 0 || loc.off >= len(data) {
			return nil
		}
		p.b, p.pos = data, loc.off
	} else {
		p.b, p.pos = d.data, loc.off
	}
	v, err := p.object()
	// Objects are parsed on demand and cached, but many entries of an
	// object stream may point at one huge object: parsing is work too.
	if !d.spend(p.pos - loc.off) {
		v = nil
	}
	if err != nil && v == nil {
		d.cache[num] = nil
		return nil
	}
	if d.crypt != nil && loc.stm == 0 && !d.isEncryptDict(num) {
		// Strings in objects inside object streams were encrypted with
		// the stream, and the Encrypt dictionary is never encrypted.
		v = d.crypt.decryptStrings(v, num, loc.gen, 0)
	}
	if dict, ok := v.(pdfDict); ok && loc.stm == 0 && loc.sEnd > 0 {
		s := &pdfStream{dict: dict, num: num, gen: loc.gen, raw: d.data[loc.sStart:loc.sEnd], fromFile: true}
		// A Length given by reference can be checked only now.
		if r, ok := dict["Length"].(pdfRef); ok {
			if n, ok := asInt(d.resolve(r)); ok {
				if end := streamEnd(d.data, loc.sStart, n); end == loc.sStart+int(n) {
					s.raw = d.data[loc.sStart:end]
				}
			}
		}
		v = s
	}
	d.cache[num] = v
	return v
}

// resolve follows references to a value.
func (d *pdfDoc) resolve(v any) any {
	for range maxRefChain {
		r, ok := v.(pdfRef)
		if !ok {
			return v
		}
		v = d.get(r.num)
	}
	return nil
}

// stream returns the decoded data of a stream, cached by object number
// because content, forms and CMaps are used again and again. Failures are
// reported once per stream.
func (d *pdfDoc) stream(s *pdfStream) ([]byte, bool) {
	return d.decode(s, true)
}

// streamOnce decodes a stream read once (an embedded file, a font
// program) without keeping it.
func (d *pdfDoc) streamOnce(s *pdfStream) ([]byte, bool) {
	return d.decode(s, false)
}

func (d *pdfDoc) decode(s *pdfStream, keep bool) ([]byte, bool) {
	if s.num != 0 {
		if data, ok := d.decoded[s.num]; ok {
			return data, true
		}
		if d.failed[s.num] {
			return nil, false
		}
	}
	data, f := d.decodeStream(s)
	if f != nil {
		if s.num == 0 || !d.failed[s.num] {
			d.w.report(d.path, f)
		}
		if s.num != 0 {
			d.failed[s.num] = true
		}
		return nil, false
	}
	if s.num != 0 && keep {
		d.decoded[s.num] = data
	}
	return data, true
}

// spend charges content about to be interpreted, or an object just
// parsed, to the work budget, reporting a bomb the first time it runs
// out: a form drawn a million times costs a million times its size,
// though decoded once.
func (d *pdfDoc) spend(n int) bool {
	if d.w.stopped {
		return false
	}
	if !d.w.spendWork(n) {
		d.w.problem(d.path, Bomb, "content drawn and objects parsed exceed %d bytes", d.w.lim.MaxExpanded)
		return false
	}
	return true
}

// pdfPage is a page dictionary with the resources it inherits.
type pdfPage struct {
	dict pdfDict
	res  pdfDict
}

// pages walks the page tree in order. If the tree is missing or broken,
// every /Type /Page object is taken in object-number order instead.
func (d *pdfDoc) pages() []pdfPage {
	var out []pdfPage
	visited := map[uint32]bool{}
	var walk func(node any, res pdfDict, depth int)
	walk = func(node any, res pdfDict, depth int) {
		if depth > maxNesting || len(out) >= maxPDFObjects {
			return
		}
		if r, ok := node.(pdfRef); ok {
			if visited[r.num] {
				return
			}
			visited[r.num] = true
		}
		dict := asDict(d.resolve(node))
		if dict == nil {
			return
		}
		if r := asDict(d.resolve(dict["Resources"])); r != nil {
			res = r
		}
		kids, isTree := d.resolve(dict["Kids"]).([]any)
		if isTree || asName(dict["Type"]) == "Pages" {
			for _, k := range kids {
				walk(k, res, depth+1)
			}
			return
		}
		out = append(out, pdfPage{dict: dict, res: res})
	}
	if root := asDict(d.resolve(d.root)); root != nil {
		walk(root["Pages"], nil, 0)
	}
	if len(out) == 0 {
		for _, num := range d.sortedNums() {
			if dict := asDict(d.get(num)); asName(dict["Type"]) == "Page" {
				out = append(out, pdfPage{dict: dict, res: asDict(d.resolve(dict["Resources"]))})
			}
		}
	}
	return out
}

// page writes the text of one page: its content streams, then the text
// of its annotations (comments, notes, free text).
func (d *pdfDoc) page(s *sink, pg pdfPage) {
	var content []byte
	switch c := d.resolve(pg.dict["Contents"]).(type) {
	case *pdfStream:
		content, _ = d.stream(c)
	case []any:
		var parts [][]byte
		for _, x := range c {
			if st, ok := d.resolve(x).(*pdfStream); ok {
				if data, ok := d.stream(st); ok {
					parts = append(parts, data)
				}
			}
		}
		// Content may be split anywhere between streams, even inside a
		// token's neighbourhood, so they are joined with a separator.
		content = bytes.Join(parts, []byte{'\n'})
	}
	if len(content) > 0 {
		if !d.spend(len(content)) {
			return
		}
		newInterp(d, s).run(content, pg.res, 0)
	}
	annots, _ := d.resolve(pg.dict["Annots"]).([]any)
	for _, a := range annots {
		ad := asDict(d.resolve(a))
		if c, ok := d.resolve(ad["Contents"]).(pdfString); ok {
			s.newline()
			s.WriteString(pdfText(c))
			s.newline()
		}
	}
}

// formFields writes the AcroForm fields as "name: value": filled-in forms
// are where personal data is typed.
func (d *pdfDoc) formFields(s *sink) {
	root := asDict(d.resolve(d.root))
	form := asDict(d.resolve(root["AcroForm"]))
	fields, _ := d.resolve(form["Fields"]).([]any)
	visited := map[uint32]bool{}
	var walk func(f any, name string, depth int)
	walk = func(f any, name string, depth int) {
		if depth > maxNesting || s.full() {
			return
		}
		if r, ok := f.(pdfRef); ok {
			if visited[r.num] {
				return
			}
			visited[r.num] = true
		}
		dict := asDict(d.resolve(f))
		if dict == nil {
			return
		}
		if t, ok := d.resolve(dict["T"]).(pdfString); ok {
			if name != "" {
				name += "."
			}
			name += pdfText(t)
		}
		switch v := d.resolve(dict["V"]).(type) {
		case pdfString:
			s.field(name, pdfText(v))
		case pdfName:
			if v != "Off" {
				s.field(name, string(v))
			}
		case []any:
			var vals []string
			for _, x := range v {
				if str, ok := d.resolve(x).(pdfString); ok {
					vals = append(vals, pdfText(str))
				}
			}
			s.field(name, strings.Join(vals, ", "))
		}
		kids, _ := d.resolve(dict["Kids"]).([]any)
		for _, k := range kids {
			walk(k, name, depth+1)
		}
	}
	for _, f := range fields {
		walk(f, "", 0)
	}
}

// infoFields writes the document information dictionary.
func (d *pdfDoc) infoFields(s *sink) {
	info := asDict(d.resolve(d.info))
	for _, k := range []pdfName{"Title", "Author", "Subject", "Keywords", "Creator", "Producer"} {
		if v, ok := d.resolve(info[k]).(pdfString); ok {
			s.field(string(k), pdfText(v))
		}
	}
}

// embeddedFiles examines the files attached to the document, from the
// EmbeddedFiles name tree and file-attachment annotations, one level
// deeper.
func (d *pdfDoc) embeddedFiles(pages []pdfPage) {
	var specs []any
	visited := map[uint32]bool{}
	var walk func(node any, depth int)
	walk = func(node any, depth int) {
		if depth > maxNesting {
			return
		}
		if r, ok := node.(pdfRef); ok {
			if visited[r.num] {
				return
			}
			visited[r.num] = true
		}
		dict := asDict(d.resolve(node))
		names, _ := d.resolve(dict["Names"]).([]any)
		for i := 1; i < len(names); i += 2 {
			specs = append(specs, names[i])
		}
		kids, _ := d.resolve(dict["Kids"]).([]any)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	root := asDict(d.resolve(d.root))
	walk(asDict(d.resolve(root["Names"]))["EmbeddedFiles"], 0)
	for _, pg := range pages {
		annots, _ := d.resolve(pg.dict["Annots"]).([]any)
		for _, a := range annots {
			if ad := asDict(d.resolve(a)); asName(ad["Subtype"]) == "FileAttachment" {
				specs = append(specs, ad["FS"])
			}
		}
	}
	seen := map[uint32]bool{}
	checked := false
	for i, spec := range specs {
		if d.w.stopped {
			return
		}
		fs := asDict(d.resolve(spec))
		ef := asDict(d.resolve(fs["EF"]))
		st, ok := d.resolve(ef["F"]).(*pdfStream)
		if !ok {
			st, ok = d.resolve(ef["UF"]).(*pdfStream)
		}
		if !ok || seen[st.num] {
			continue
		}
		seen[st.num] = true
		if !checked {
			if !d.w.container(d.path, d.depth) {
				return
			}
			checked = true
		}
		name := ""
		for _, k := range []pdfName{"UF", "F"} {
			if v, ok := d.resolve(fs[k]).(pdfString); ok && name == "" {
				name = pdfText(v)
			}
		}
		if name == "" {
			name = "attachment-" + itoa(i+1)
		}
		data, ok := d.streamOnce(st)
		if !ok {
			continue
		}
		ct := ""
		if sub := asName(st.dict["Subtype"]); sub != "" {
			ct = strings.ReplaceAll(string(sub), "#2F", "/")
		}
		d.w.file(child(d.path, name), name, ct, data, d.depth+1)
	}
}
