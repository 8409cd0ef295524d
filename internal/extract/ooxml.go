package extract

import (
	"archive/zip"
	"path"
	"slices"
	"strconv"
	"strings"
)

// pkg is an opened zip package: an OOXML or ODF document.
type pkg struct {
	zr     *zip.Reader
	byName map[string]*zip.File
}

func newPackage(zr *zip.Reader) *pkg {
	p := &pkg{zr: zr, byName: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		if _, dup := p.byName[f.Name]; !dup {
			p.byName[f.Name] = f
		}
	}
	return p
}

func (p *pkg) has(name string) bool { return p.byName[name] != nil }

// odfType returns the ODF media type stored in the "mimetype" entry, or
// "". The entry is stored uncompressed by the specification; anything
// else is not looked at.
func (p *pkg) odfType() string {
	f := p.byName["mimetype"]
	if f == nil || f.Method != zip.Store || f.UncompressedSize64 > 128 {
		return ""
	}
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf [128]byte
	n, _ := rc.Read(buf[:])
	mt := strings.TrimSpace(string(buf[:n]))
	if strings.HasPrefix(mt, "application/vnd.oasis.opendocument.") {
		return mt
	}
	return ""
}

// matching returns the names of entries under dir whose base name starts
// with prefix and ends in suffix, in natural order (sheet2 before sheet10).
func (p *pkg) matching(dir, prefix, suffix string) []string {
	var names []string
	for name := range p.byName {
		d, base := path.Split(name)
		if d == dir && strings.HasPrefix(base, prefix) && strings.HasSuffix(base, suffix) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, naturalCmp)
	return names
}

// naturalCmp orders strings with runs of digits compared as numbers.
func naturalCmp(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// entry reads one package part as a string. Failures are recorded under
// the part's path; a damaged part still yields what could be read.
func (w *walker) entry(doc string, p *pkg, name string) (string, bool) {
	f := p.byName[name]
	if f == nil {
		return "", false
	}
	data, fl := w.readEntry(f)
	if fl != nil {
		w.report(child(doc, name), fl)
		if fl.reason != Corrupt || len(data) == 0 {
			return "", false
		}
	}
	return string(data), true
}

// relTargets returns the targets of a part's relationships by Id, as
// package paths.
func (w *walker) relTargets(doc string, p *pkg, part string) map[string]string {
	dir, base := path.Split(part)
	rels, ok := w.entry(doc, p, dir+"_rels/"+base+".rels")
	if !ok {
		return nil
	}
	out := make(map[string]string)
	x := xmlScanner{s: rels}
	for {
		t, ok := x.next()
		if !ok {
			return out
		}
		if t.kind == xmlStart && t.name == "Relationship" && t.attr("TargetMode") != "External" {
			target := t.attr("Target")
			if strings.HasPrefix(target, "/") {
				target = target[1:]
			} else {
				target = path.Join(dir, target)
			}
			out[t.attr("Id")] = path.Clean(target)
		}
	}
}

// ordered returns the parts listed by the elements named elem of a main
// part (in document order, via their r:id relationship), followed by any
// other parts in fallback not listed there.
func (w *walker) ordered(doc string, p *pkg, main, elem string, fallback []string) []string {
	src, ok := w.entry(doc, p, main)
	if !ok {
		return fallback
	}
	rels := w.relTargets(doc, p, main)
	var out []string
	seen := map[string]bool{}
	x := xmlScanner{s: src}
	for {
		t, ok := x.next()
		if !ok {
			break
		}
		if t.kind == xmlStart && t.name == elem {
			if target := rels[t.attr("id")]; target != "" && p.has(target) && !seen[target] {
				seen[target] = true
				out = append(out, target)
			}
		}
	}
	for _, f := range fallback {
		if !seen[f] {
			out = append(out, f)
		}
	}
	return out
}

var (
	docxRules = rules(false, map[uint8][]string{
		roleText:  {"t", "delText", "instrText"},
		roleLine:  {"p"},
		roleBreak: {"br", "cr"},
		roleTab:   {"tab"},
		// Fallback repeats the text of a text box for old readers; pPr
		// holds tab stops, not tabs.
		roleSkip: {"Fallback", "pPr"},
	})
	pptxRules = rules(false, map[uint8][]string{
		roleText:  {"t", "text"},
		roleLine:  {"p", "cm"},
		roleBreak: {"br"},
		roleSkip:  {"Fallback"},
	})
	xlsxCommentRules = rules(false, map[uint8][]string{
		roleText: {"t", "text"},
		roleLine: {"comment", "threadedComment"},
	})
)

// ooxml extracts a Word, Excel or PowerPoint document.
func (w *walker) ooxml(doc string, p *pkg, depth int) {
	format, dir := "docx", "word/"
	switch {
	case p.has("xl/workbook.xml"):
		format, dir = "xlsx", "xl/"
	case p.has("ppt/presentation.xml"):
		format, dir = "pptx", "ppt/"
	}
	idx := len(w.res.Parts)
	w.res.Parts = append(w.res.Parts, Part{Path: doc, Format: format})
	s := w.newSink()
	switch format {
	case "docx":
		for _, name := range w.docxParts(p) {
			if src, ok := w.entry(doc, p, name); ok {
				xmlExtract(s, src, docxRules)
				s.newline()
			}
		}
	case "xlsx":
		w.xlsx(doc, p, s)
	case "pptx":
		slides := w.ordered(doc, p, "ppt/presentation.xml", "sldId", p.matching("ppt/slides/", "slide", ".xml"))
		names := append(slides, p.matching("ppt/notesSlides/", "notesSlide", ".xml")...)
		names = append(names, p.matching("ppt/comments/", "", ".xml")...)
		for _, name := range names {
			if src, ok := w.entry(doc, p, name); ok {
				xmlExtract(s, src, pptxRules)
				s.newline()
			}
		}
	}
	w.officeProps(doc, p, s)
	w.res.Parts[idx].Text = s.b.String()
	w.children(doc, p, depth, dir+"embeddings/", dir+"media/")
}

func (w *walker) docxParts(p *pkg) []string {
	names := []string{"word/document.xml"}
	for _, n := range []string{"footnotes.xml", "endnotes.xml", "comments.xml"} {
		if p.has("word/" + n) {
			names = append(names, "word/"+n)
		}
	}
	names = append(names, p.matching("word/", "header", ".xml")...)
	return append(names, p.matching("word/", "footer", ".xml")...)
}

// xlsx writes each sheet as lines of tab-separated cells, resolving shared
// strings, then comments, then any shared strings no cell used (text in
// the file is text, referenced or not).
func (w *walker) xlsx(doc string, p *pkg, s *sink) {
	var shared []string
	if src, ok := w.entry(doc, p, "xl/sharedStrings.xml"); ok {
		shared = sharedStrings(src)
	}
	used := make([]bool, len(shared))
	wbSrc, _ := w.entry(doc, p, "xl/workbook.xml")
	names := map[string]string{} // sheet part -> sheet name
	rels := w.relTargets(doc, p, "xl/workbook.xml")
	var order []string
	x := xmlScanner{s: wbSrc}
	for {
		t, ok := x.next()
		if !ok {
			break
		}
		if t.kind == xmlStart && t.name == "sheet" {
			target := rels[t.attr("id")]
			if target == "" || names[target] != "" {
				continue
			}
			names[target] = t.attr("name")
			order = append(order, target)
		}
	}
	for _, f := range p.matching("xl/worksheets/", "sheet", ".xml") {
		if _, ok := names[f]; !ok {
			names[f] = ""
			order = append(order, f)
		}
	}
	for _, name := range order {
		if s.full() {
			return
		}
		src, ok := w.entry(doc, p, name)
		if !ok {
			continue
		}
		s.field("Sheet", names[name])
		sheetText(s, src, shared, used)
		s.newline()
	}
	comments := p.matching("xl/", "comments", ".xml")
	comments = append(comments, p.matching("xl/threadedComments/", "", ".xml")...)
	for _, name := range comments {
		if src, ok := w.entry(doc, p, name); ok {
			xmlExtract(s, src, xlsxCommentRules)
		}
	}
	for i, str := range shared {
		if !used[i] && strings.TrimSpace(str) != "" {
			s.newline()
			s.WriteString(str)
		}
	}
	s.newline()
}

// sharedStrings parses xl/sharedStrings.xml. Phonetic runs (rPh) are
// readings of the text, not text, and are left out.
func sharedStrings(src string) []string {
	var out []string
	var b strings.Builder
	inSI, inT, inPh := false, 0, 0
	x := xmlScanner{s: src}
	for {
		t, ok := x.next()
		if !ok {
			return out
		}
		switch t.kind {
		case xmlStart:
			switch t.name {
			case "si":
				if t.self {
					out = append(out, "")
					continue
				}
				inSI = true
				b.Reset()
			case "t":
				if !t.self {
					inT++
				}
			case "rPh":
				if !t.self {
					inPh++
				}
			}
		case xmlEnd:
			switch t.name {
			case "si":
				if inSI {
					out = append(out, b.String())
				}
				inSI = false
			case "t":
				inT = max(inT-1, 0)
			case "rPh":
				inPh = max(inPh-1, 0)
			}
		case xmlText, xmlCDATA:
			if inSI && inT > 0 && inPh == 0 {
				if t.kind == xmlText {
					b.WriteString(xmlUnescape(t.text))
				} else {
					b.WriteString(t.text)
				}
			}
		}
	}
}

// sheetText writes a worksheet's rows. Cell values are written as stored:
// numbers as their decimal text, which is how an SSN typed as a number
// is found.
func sheetText(s *sink, src string, shared []string, used []bool) {
	var val strings.Builder
	cellType, inVal, rowHas := "", 0, false
	x := xmlScanner{s: src}
	for !s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch t.kind {
		case xmlStart:
			switch t.name {
			case "row":
				rowHas = false
			case "c":
				cellType = t.attr("t")
				val.Reset()
			case "v", "t":
				if !t.self {
					inVal++
				}
			}
		case xmlEnd:
			switch t.name {
			case "v", "t":
				inVal = max(inVal-1, 0)
			case "c":
				v := val.String()
				if cellType == "s" {
					i, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil || i < 0 || i >= len(shared) {
						continue
					}
					v, used[i] = shared[i], true
				}
				if v == "" {
					continue
				}
				if rowHas {
					s.WriteString("\t")
				}
				s.WriteString(v)
				rowHas = true
			case "row":
				s.newline()
			}
		case xmlText, xmlCDATA:
			if inVal > 0 {
				if t.kind == xmlText {
					val.WriteString(xmlUnescape(t.text))
				} else {
					val.WriteString(t.text)
				}
			}
		}
	}
}

// officeProps writes the document properties people fill in: core
// properties, the company and manager, and custom properties, where
// sensitivity labels live.
func (w *walker) officeProps(doc string, p *pkg, s *sink) {
	if src, ok := w.entry(doc, p, "docProps/core.xml"); ok {
		xmlFields(s, src, set("title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category", "contentStatus", "identifier"))
	}
	if src, ok := w.entry(doc, p, "docProps/app.xml"); ok {
		xmlFields(s, src, set("Company", "Manager"))
	}
	if src, ok := w.entry(doc, p, "docProps/custom.xml"); ok {
		customProps(s, src)
	}
}

// xmlFields writes "name: text" for each element named in want that holds
// text directly.
func xmlFields(s *sink, src string, want map[string]bool) {
	var cur string
	var b strings.Builder
	x := xmlScanner{s: src}
	for !s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch t.kind {
		case xmlStart:
			cur = ""
			if want == nil || want[t.name] {
				cur = t.name
				b.Reset()
			}
		case xmlEnd:
			if cur != "" && t.name == cur {
				s.field(cur, b.String())
			}
			cur = ""
		case xmlText:
			if cur != "" {
				b.WriteString(xmlUnescape(t.text))
			}
		case xmlCDATA:
			if cur != "" {
				b.WriteString(t.text)
			}
		}
	}
}

// customProps writes docProps/custom.xml (OOXML) properties as
// "name: value".
func customProps(s *sink, src string) {
	var name string
	var b strings.Builder
	x := xmlScanner{s: src}
	for !s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch t.kind {
		case xmlStart:
			if t.name == "property" {
				name = t.attr("name")
				b.Reset()
			}
		case xmlEnd:
			if t.name == "property" && name != "" {
				s.field(name, b.String())
				name = ""
			}
		case xmlText:
			if name != "" {
				b.WriteString(xmlUnescape(t.text))
			}
		}
	}
}

// mediaExts are the picture types whose metadata is read when a document
// embeds them. Other media (EMF, SVG, video) are rendering assets.
var mediaExts = set(".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".heic", ".heif")

// children examines the files a document embeds one level deeper: every
// entry under the embedding directories, and pictures under the media
// directories. When that would be too deep, too_deep is recorded once.
func (w *walker) children(doc string, p *pkg, depth int, embeddings, media string) {
	checked := false
	for _, f := range p.zr.File {
		if w.stopped {
			return
		}
		isEmb := embeddings != "" && strings.HasPrefix(f.Name, embeddings)
		isMedia := strings.HasPrefix(f.Name, media) && mediaExts[strings.ToLower(path.Ext(f.Name))]
		if !isEmb && !isMedia || strings.HasSuffix(f.Name, "/") {
			continue
		}
		if !checked {
			if !w.container(doc, depth) {
				return
			}
			checked = true
		}
		cp := child(doc, f.Name)
		data, fl := w.readEntry(f)
		if fl != nil {
			w.report(cp, fl)
			if fl.reason != Corrupt || len(data) == 0 {
				continue
			}
		}
		if isMedia {
			if k := sniff(data, f.Name, ""); k.kind < kindJPEG || k.kind > kindHEIF {
				continue
			}
		}
		w.file(cp, f.Name, "", data, depth+1)
	}
}

var (
	odfRules = rules(true, map[uint8][]string{
		roleWithin: {"body"},
		roleLine:   {"p", "h", "table-row"},
		roleCell:   {"table-cell"},
		roleBreak:  {"line-break"},
		roleTab:    {"tab"},
		roleSpace:  {"s"},
		// Sequence and variable declarations hold names, not text.
		roleSkip: {"sequence-decls", "variable-decls", "user-field-decls"},
	})
	odfStyleRules = rules(true, map[uint8][]string{
		roleWithin: {"master-styles"},
		roleLine:   {"p", "h"},
		roleBreak:  {"line-break"},
		roleTab:    {"tab"},
		roleSpace:  {"s"},
	})
)

// odf extracts an OpenDocument text, spreadsheet or presentation:
// content.xml, headers and footers from styles.xml, and meta.xml.
func (w *walker) odf(doc string, p *pkg, depth int) {
	if m, ok := w.entry(doc, p, "META-INF/manifest.xml"); ok && strings.Contains(m, "encryption-data") {
		w.problem(doc, Encrypted, "password-protected OpenDocument")
		return
	}
	idx := len(w.res.Parts)
	w.res.Parts = append(w.res.Parts, Part{Path: doc, Format: "odf"})
	s := w.newSink()
	if src, ok := w.entry(doc, p, "content.xml"); ok {
		xmlExtract(s, src, odfRules)
		s.newline()
	}
	if src, ok := w.entry(doc, p, "styles.xml"); ok {
		xmlExtract(s, src, odfStyleRules)
		s.newline()
	}
	if src, ok := w.entry(doc, p, "meta.xml"); ok {
		xmlFields(s, src, set("title", "subject", "description", "keyword", "initial-creator", "creator"))
		odfUserFields(s, src)
	}
	w.res.Parts[idx].Text = s.b.String()
	w.children(doc, p, depth, "", "Pictures/")
}

// odfUserFields writes meta:user-defined properties as "name: value".
func odfUserFields(s *sink, src string) {
	var name string
	var b strings.Builder
	x := xmlScanner{s: src}
	for !s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch {
		case t.kind == xmlStart && t.name == "user-defined" && !t.self:
			name = t.attr("name")
			b.Reset()
		case t.kind == xmlEnd && t.name == "user-defined" && name != "":
			s.field(name, b.String())
			name = ""
		case t.kind == xmlText && name != "":
			b.WriteString(xmlUnescape(t.text))
		}
	}
}
