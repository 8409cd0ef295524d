package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// The builders below make the fixtures the tests use, in code, so that
// every fixture's content is visible next to the assertion about it.

// zipEntry is one entry for buildZip.
type zipEntry struct {
	name      string
	data      []byte
	store     bool   // stored rather than deflated
	encrypted bool   // sets the encryption flag (the data stays plain)
	method    uint16 // overrides the compression method
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.store {
			h.Method = zip.Store
		}
		if e.encrypted {
			h.Flags |= 1
		}
		if e.method != 0 {
			h.Method = e.method
			zw.RegisterCompressor(e.method, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func files(kv ...string) []zipEntry {
	var out []zipEntry
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, zipEntry{name: kv[i], data: []byte(kv[i+1])})
	}
	return out
}

func buildGzip(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = name
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func buildTar(t testing.TB, kv ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		tw.WriteHeader(&tar.Header{Name: kv[i], Mode: 0o644, Size: int64(len(kv[i+1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(kv[i+1]))
	}
	tw.Close()
	return buf.Bytes()
}

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

// docxPara is a Word paragraph of runs.
func docxPara(runs ...string) string {
	var b strings.Builder
	b.WriteString("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>")
	for _, r := range runs {
		fmt.Fprintf(&b, "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">%s</w:t></w:r>", r)
	}
	b.WriteString("</w:p>")
	return b.String()
}

// buildDOCX makes a Word document with the given body XML (inside
// w:body) plus any extra parts.
func buildDOCX(t testing.TB, body string, extra ...zipEntry) []byte {
	t.Helper()
	entries := append(files(
		"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<w:document `+wNS+`><w:body>`+body+`<w:sectPr/></w:body></w:document>`,
		"word/styles.xml", `<w:styles `+wNS+`><w:style w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>`,
	), extra...)
	return buildZip(t, entries...)
}

func buildXLSX(t testing.TB, shared []string, sheets [][]string, extra ...zipEntry) []byte {
	t.Helper()
	var ss strings.Builder
	ss.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range shared {
		fmt.Fprintf(&ss, "<si><t>%s</t></si>", s)
	}
	ss.WriteString("</sst>")
	var wb, rels strings.Builder
	wb.WriteString(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	rels.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	entries := files("xl/sharedStrings.xml", ss.String())
	for i, rows := range sheets {
		// Listed in reverse so that workbook order, not file names, is
		// shown to decide.
		n := len(sheets) - i
		fmt.Fprintf(&wb, `<sheet name="Sheet %d" sheetId="%d" r:id="rId%d"/>`, i+1, i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Target="worksheets/sheet%d.xml" Type="worksheet"/>`, i+1, n)
		var sh strings.Builder
		sh.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		for r, row := range rows {
			fmt.Fprintf(&sh, `<row r="%d">`, r+1)
			for c, cell := range strings.Split(row, "|") {
				ref := fmt.Sprintf("%c%d", 'A'+c, r+1)
				switch {
				case strings.HasPrefix(cell, "s:"):
					fmt.Fprintf(&sh, `<c r="%s" t="s"><v>%s</v></c>`, ref, cell[2:])
				case strings.HasPrefix(cell, "i:"):
					fmt.Fprintf(&sh, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, cell[2:])
				case cell == "":
					fmt.Fprintf(&sh, `<c r="%s" s="1"/>`, ref)
				default:
					fmt.Fprintf(&sh, `<c r="%s"><f>A1*2</f><v>%s</v></c>`, ref, cell)
				}
			}
			sh.WriteString("</row>")
		}
		sh.WriteString("</sheetData></worksheet>")
		entries = append(entries, zipEntry{name: fmt.Sprintf("xl/worksheets/sheet%d.xml", n), data: []byte(sh.String())})
	}
	wb.WriteString("</sheets></workbook>")
	rels.WriteString("</Relationships>")
	entries = append(entries, files("xl/workbook.xml", wb.String(), "xl/_rels/workbook.xml.rels", rels.String())...)
	return buildZip(t, append(entries, extra...)...)
}

func buildPPTX(t testing.TB, slides ...string) []byte {
	t.Helper()
	entries := files("ppt/presentation.xml", `<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst>`+
		func() string {
			var b strings.Builder
			for i := range slides {
				fmt.Fprintf(&b, `<p:sldId id="%d" r:id="rId%d"/>`, 256+i, i+1)
			}
			return b.String()
		}()+`</p:sldIdLst></p:presentation>`)
	var rels strings.Builder
	rels.WriteString("<Relationships>")
	for i, s := range slides {
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Target="slides/slide%d.xml"/>`, i+1, i+1)
		entries = append(entries, zipEntry{name: fmt.Sprintf("ppt/slides/slide%d.xml", i+1), data: []byte(
			`<p:sld xmlns:a="a" xmlns:p="p"><p:cSld><p:spTree><p:sp><p:txBody>` + s + `</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`)})
	}
	rels.WriteString("</Relationships>")
	entries = append(entries, files("ppt/_rels/presentation.xml.rels", rels.String())...)
	return buildZip(t, entries...)
}

func buildODT(t testing.TB, content string, extra ...zipEntry) []byte {
	t.Helper()
	entries := []zipEntry{
		{name: "mimetype", data: []byte("application/vnd.oasis.opendocument.text"), store: true},
		{name: "content.xml", data: []byte(`<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="tb"><office:automatic-styles><style:style xmlns:style="s" style:name="P1"/></office:automatic-styles><office:body><office:text><text:sequence-decls><text:sequence-decl text:name="Illustration"/></text:sequence-decls>` + content + `</office:text></office:body></office:document-content>`)},
		{name: "META-INF/manifest.xml", data: []byte(`<manifest:manifest xmlns:manifest="m"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>`)},
	}
	return buildZip(t, append(entries, extra...)...)
}

// --- images ---

func tinyImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	return img
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// buildPNG encodes a small image and inserts chunks after IHDR.
func buildPNG(t testing.TB, chunks ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, tinyImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	out := append([]byte{}, b[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, b[ihdrEnd:]...)
}

func zlibBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// jpegSegment makes a marker segment.
func jpegSegment(marker byte, payload []byte) []byte {
	seg := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// buildJPEG encodes a small image and inserts segments after SOI.
func buildJPEG(t testing.TB, segments ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, tinyImage(), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	out := append([]byte{}, b[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, b[2:]...)
}

// tiffTag is one IFD entry for buildTIFF.
type tiffTag struct {
	tag, typ uint16
	data     []byte // value bytes; count is derived from typ
	sub      []tiffTag
}

func asciiTag(tag uint16, s string) tiffTag {
	return tiffTag{tag: tag, typ: 2, data: append([]byte(s), 0)}
}

func rationalTag(bo binary.AppendByteOrder, tag uint16, vals ...[2]uint32) tiffTag {
	var b []byte
	for _, v := range vals {
		b = bo.AppendUint32(b, v[0])
		b = bo.AppendUint32(b, v[1])
	}
	return tiffTag{tag: tag, typ: 5, data: b}
}

func utf16leBytes(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// buildTIFF lays out a TIFF structure: header, IFD0, and sub-IFDs for
// entries that have sub tags (their tag is the pointer tag).
func buildTIFF(bo tiffOrder, tags []tiffTag) []byte {
	var out []byte
	if bo == binary.LittleEndian {
		out = []byte("II*\x00")
	} else {
		out = []byte("MM\x00*")
	}
	out = bo.AppendUint32(out, 8)
	var writeIFD func(tags []tiffTag) []byte
	writeIFD = func(tags []tiffTag) []byte {
		sort.Slice(tags, func(i, j int) bool { return tags[i].tag < tags[j].tag })
		start := len(out)
		size := 2 + 12*len(tags) + 4
		out = append(out, make([]byte, size)...)
		bo.PutUint16(out[start:], uint16(len(tags)))
		for i, tg := range tags {
			e := start + 2 + 12*i
			bo.PutUint16(out[e:], tg.tag)
			if tg.sub != nil {
				bo.PutUint16(out[e+2:], 4)
				bo.PutUint32(out[e+4:], 1)
				off := len(out)
				bo.PutUint32(out[e+8:], uint32(off))
				writeIFD(tg.sub)
				continue
			}
			bo.PutUint16(out[e+2:], tg.typ)
			count := len(tg.data) / tiffTypeSize[tg.typ]
			bo.PutUint32(out[e+4:], uint32(count))
			if len(tg.data) <= 4 {
				copy(out[e+8:], tg.data)
			} else {
				bo.PutUint32(out[e+8:], uint32(len(out)))
				out = append(out, tg.data...)
				if len(out)%2 == 1 {
					out = append(out, 0)
				}
			}
		}
		return out
	}
	writeIFD(tags)
	return out
}

// exifSample is EXIF with the usual privacy-relevant tags.
func exifSample(bo tiffOrder) []byte {
	return buildTIFF(bo, []tiffTag{
		asciiTag(0x010e, "Site visit 123-45-6789"),
		asciiTag(0x013b, "Jane Q. Public"),
		asciiTag(0x8298, "(c) Agency"),
		asciiTag(0x010f, "Canon"),
		{tag: 0x9c9c, typ: 1, data: utf16leBytes("XP comment ÄÖ")},
		{tag: 0x9c9d, typ: 1, data: utf16leBytes("XP author")},
		{tag: tagExifIFD, sub: []tiffTag{
			{tag: 0x9286, typ: 7, data: append([]byte("ASCII\x00\x00\x00"), "user comment here"...)},
			asciiTag(0xa431, "SN-998877"),
		}},
		{tag: tagGPSIFD, sub: []tiffTag{
			asciiTag(1, "N"),
			rationalTag(bo, 2, [2]uint32{48, 1}, [2]uint32{51, 1}, [2]uint32{3012, 100}),
			asciiTag(3, "W"),
			rationalTag(bo, 4, [2]uint32{2, 1}, [2]uint32{17, 1}, [2]uint32{4020, 100}),
			asciiTag(0x1d, "2024:05:06"),
		}},
	})
}

// --- PDF ---

// pdfBuilder writes a PDF with numbered objects and a correct xref table.
type pdfBuilder struct {
	objs    map[int]string
	trailer string
	version string
	// xrefStream leaves out the classic xref table and trailer, as PDF 1.5
	// writers do when a cross-reference stream object carries them.
	xrefStream bool
}

func newPDF() *pdfBuilder { return &pdfBuilder{objs: map[int]string{}, version: "1.7"} }

func (p *pdfBuilder) obj(n int, body string) { p.objs[n] = body }

// stream adds a stream object, Flate-compressed unless raw.
func (p *pdfBuilder) stream(n int, dict string, data []byte, flate bool) {
	if flate {
		data = zlibBytes(data)
		dict += " /Filter /FlateDecode"
	}
	p.objs[n] = fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func (p *pdfBuilder) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", p.version)
	maxN := 0
	for n := range p.objs {
		maxN = max(maxN, n)
	}
	offsets := make([]int, maxN+1)
	for n := 1; n <= maxN; n++ {
		body, ok := p.objs[n]
		if !ok {
			continue
		}
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	xref := b.Len()
	if p.xrefStream {
		fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", offsets[maxN])
		return b.Bytes()
	}
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", maxN+1)
	for n := 1; n <= maxN; n++ {
		if offsets[n] == 0 {
			b.WriteString("0000000000 65535 f \n")
		} else {
			fmt.Fprintf(&b, "%010d 00000 n \n", offsets[n])
		}
	}
	tr := p.trailer
	if tr == "" {
		tr = "/Root 1 0 R"
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", maxN+1, tr, xref)
	return b.Bytes()
}

// simplePDF is a one-page PDF showing content with Helvetica as /F1.
func simplePDF(content string) *pdfBuilder {
	p := newPDF()
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	p.stream(4, "", []byte(content), true)
	p.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	return p
}

// toUnicodeCMap writes a ToUnicode CMap the way LibreOffice and Word do:
// a 2-byte code space, bfchar entries and bfrange entries.
func toUnicodeCMap(chars map[uint16]rune, ranges [][3]uint16) string {
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	codes := make([]int, 0, len(chars))
	for c := range chars {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	fmt.Fprintf(&b, "%d beginbfchar\n", len(codes))
	for _, c := range codes {
		fmt.Fprintf(&b, "<%04X> <%04X>\n", c, chars[uint16(c)])
	}
	b.WriteString("endbfchar\n")
	if len(ranges) > 0 {
		fmt.Fprintf(&b, "%d beginbfrange\n", len(ranges))
		for _, r := range ranges {
			fmt.Fprintf(&b, "<%04X> <%04X> <%04X>\n", r[0], r[1], r[2])
		}
		b.WriteString("endbfrange\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.String()
}

// glyphEncoder assigns glyph IDs to runes as a subsetting PDF writer does
// (in order of first use, from 3) and hex-encodes text with them.
type glyphEncoder struct {
	ids  map[rune]uint16
	next uint16
}

func newGlyphEncoder() *glyphEncoder { return &glyphEncoder{ids: map[rune]uint16{}, next: 3} }

func (g *glyphEncoder) hex(s string) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range s {
		id, ok := g.ids[r]
		if !ok {
			id = g.next
			g.ids[r] = id
			g.next++
		}
		fmt.Fprintf(&b, "%04X", id)
	}
	b.WriteByte('>')
	return b.String()
}

func (g *glyphEncoder) chars() map[uint16]rune {
	m := map[uint16]rune{}
	for r, id := range g.ids {
		m[id] = r
	}
	return m
}

// type0PDF makes a PDF in the style of a word processor's export: one
// Type0/Identity-H font with a ToUnicode CMap, glyph IDs instead of
// character codes, and text placed line by line with Tm and TJ kerning.
func type0PDF(lines ...string) []byte {
	g := newGlyphEncoder()
	var content strings.Builder
	content.WriteString("q 0.1 0 0 0.1 0 0 cm /R7 gs\nq 10 0 0 10 0 0 cm BT\n/F1 11 Tf\n")
	y := 720.0
	for _, line := range lines {
		fmt.Fprintf(&content, "1 0 0 1 72 %.2f Tm [", y)
		// Kern inside words, as Word and LibreOffice do.
		for i, word := range strings.Split(line, " ") {
			if i > 0 {
				content.WriteString(g.hex(" "))
			}
			for j, r := range word {
				if j > 0 && j%3 == 0 {
					content.WriteString("-12")
				}
				content.WriteString(g.hex(string(r)))
			}
		}
		content.WriteString("]TJ\n")
		y -= 13.8
	}
	content.WriteString("ET Q Q\n")
	p := newPDF()
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /ExtGState << /R7 << /Type /ExtGState /SA true >> >> >> >>")
	p.stream(4, "", []byte(content.String()), true)
	p.obj(5, "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+Calibri /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
	p.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+Calibri /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 /W [3 [226] 4 20 507] /CIDToGIDMap /Identity >>")
	p.stream(7, "", []byte(toUnicodeCMap(g.chars(), nil)), true)
	return p.bytes()
}

// tiffOrder is a byte order that can also append.
type tiffOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}
