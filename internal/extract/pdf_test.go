package extract

import (
	"bytes"
	"compress/lzw"
	"encoding/ascii85"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// pdfText1 extracts a PDF and returns its text, failing on problems.
func pdfTextOf(t *testing.T, data []byte) string {
	t.Helper()
	r := run("doc.pdf", data)
	checkInvariants(t, r, Limits{})
	wantClean(t, r)
	p := part(t, r, "doc.pdf")
	if p.Format != "pdf" {
		t.Fatalf("format %q", p.Format)
	}
	return p.Text
}

func TestPDFTextOperators(t *testing.T) {
	content := `BT /F1 12 Tf 72 700 Td (Hello, World) Tj
0 -14 Td [(SSN: 078)-20(-05-)10(1121)] TJ
0 -14 Td [(word)-300(gap)] TJ
14 TL T* (after T-star) Tj
(quote operator) '
2 1 (double quote) "
0 -14 Td (escapes: \( \) \\ \101\102 \
continued) Tj
0 -14 Td <48 65 78 21> Tj
ET`
	text := pdfTextOf(t, simplePDF(content).bytes())
	wantText(t, text, "Hello, World\nSSN: 078-05-1121\nword gap\nafter T-star\nquote operator\n",
		"double quote\nescapes: ( ) \\ AB continued\nHex!\n")
}

// winAnsiWidths is a /Widths array for Helvetica from 32 to 126.
func winAnsiWidths() string {
	var b strings.Builder
	b.WriteString("[")
	for _, w := range helveticaWidths {
		fmt.Fprintf(&b, "%d ", w)
	}
	b.WriteString("]")
	return b.String()
}

func helvWidth(s string, size float64) float64 {
	var w float64
	for _, c := range s {
		w += float64(helveticaWidths[c-32])
	}
	return w * size / 1000
}

func TestPDFWordGapsFromPositions(t *testing.T) {
	// Word places runs with their own Tm and often no space glyph: the gap
	// between them is the only space.
	var content strings.Builder
	content.WriteString("BT\n")
	x := 72.0
	for i, w := range []string{"Account", "number:", "021000021", "and", "more"} {
		if i == 3 {
			// Kerned, not spaced: no gap.
			x -= 0.2
		}
		fmt.Fprintf(&content, "/F1 12 Tf 1 0 0 1 %.3f 700 Tm (%s) Tj\n", x, w)
		x += helvWidth(w, 12)
		if i != 2 {
			x += helvWidth(" ", 12)
		}
	}
	content.WriteString("ET")
	p := simplePDF(content.String())
	p.obj(5, "<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Arial /FirstChar 32 /LastChar 126 /Widths "+winAnsiWidths()+" /Encoding /WinAnsiEncoding >>")
	text := pdfTextOf(t, p.bytes())
	if strings.TrimSpace(text) != "Account number: 021000021and more" {
		t.Fatalf("got %q", text)
	}
}

func TestPDFType0ToUnicode(t *testing.T) {
	text := pdfTextOf(t, type0PDF("Employee: Jane Doe", "SSN: 078-05-1121", "Card 4111 1111 1111 1111"))
	wantText(t, text, "Employee: Jane Doe\nSSN: 078-05-1121\nCard 4111 1111 1111 1111\n")
}

func TestPDFSimpleFontToUnicode(t *testing.T) {
	// LibreOffice style: a subset TrueType font with codes 1..N, a one-byte
	// ToUnicode CMap, and bfrange entries in both forms.
	cmap := `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <00> <FF> endcodespacerange
3 beginbfchar <01> <0053> <02> <0053> <03> <004E> endbfchar
3 beginbfrange <10> <19> <0030> <1A> <1B> [<002D> <0020>] <1C> <1C> <00660069> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`
	content := "BT /F1 11 Tf 56.8 770 Td <010203>Tj 25 0 Td <1B1011121A13141A151617181B1C>Tj ET"
	p := simplePDF(content)
	p.obj(5, "<< /Type /Font /Subtype /TrueType /BaseFont /BAAAAA+LiberationSerif /FirstChar 0 /LastChar 28 /Widths [ 365 556 556 722 0 0 0 0 0 0 0 0 0 0 0 0 500 500 500 500 500 500 500 500 500 500 333 250 556 ] /FontDescriptor 6 0 R /ToUnicode 7 0 R >>")
	p.obj(6, "<< /Type /FontDescriptor /FontName /BAAAAA+LiberationSerif /Flags 4 /MissingWidth 0 >>")
	p.stream(7, "", []byte(cmap), true)
	text := pdfTextOf(t, p.bytes())
	if strings.TrimSpace(text) != "SSN 012-34-5678 fi" {
		t.Fatalf("got %q", text)
	}
}

func TestPDFDifferencesAndGlyphNames(t *testing.T) {
	content := "BT /F1 12 Tf 72 700 Td <4142434445> Tj ET"
	p := simplePDF(content)
	p.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Custom /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /uni00C4 /B.sc /f_f /Euro /g123] >> >>")
	r := run("doc.pdf", p.bytes())
	if got := strings.TrimSpace(part(t, r, "doc.pdf").Text); got != "ÄBff€" {
		t.Fatalf("got %q", got)
	}
}

func TestPDFObjectStreams(t *testing.T) {
	bodies := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var header, objs strings.Builder
	for _, n := range []int{1, 2, 3, 5} {
		fmt.Fprintf(&header, "%d %d ", n, objs.Len())
		objs.WriteString(bodies[n] + "\n")
	}
	p := newPDF()
	p.version = "1.5"
	p.xrefStream = true
	p.stream(4, "", []byte("BT /F1 12 Tf 72 700 Td (from an object stream) Tj ET"), true)
	p.stream(10, fmt.Sprintf("/Type /ObjStm /N 4 /First %d", header.Len()), []byte(header.String()+objs.String()), true)
	// The cross-reference stream's data is not consulted, only its
	// dictionary; give it a PNG predictor as real writers do.
	p.stream(11, "/Type /XRef /Size 12 /W [1 2 1] /Root 1 0 R /DecodeParms << /Columns 4 /Predictor 12 >>", make([]byte, 60), true)
	data := p.bytes()
	if bytes.Contains(data, []byte("trailer")) {
		t.Fatal("fixture should have no classic trailer")
	}
	wantText(t, pdfTextOf(t, data), "from an object stream")
}

func TestPDFEncrypted(t *testing.T) {
	p := simplePDF("BT /F1 12 Tf (secret) Tj ET")
	p.obj(9, "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>")
	p.trailer = "/Root 1 0 R /Encrypt 9 0 R"
	r := run("locked.pdf", p.bytes())
	wantProblem(t, r, "locked.pdf", Encrypted)
	if len(r.Parts) != 0 {
		t.Fatalf("encrypted PDF yielded parts: %s", partPaths(r))
	}
}

func twoPagePDF(page2 []byte, page2Filter bool) *pdfBuilder {
	p := newPDF()
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.obj(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 /Resources << /Font << /F1 5 0 R >> >> >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
	p.stream(4, "", []byte("BT /F1 12 Tf 72 700 Td (first page text) Tj ET"), true)
	p.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	p.obj(6, "<< /Type /Page /Parent 2 0 R /Contents 7 0 R >>")
	p.stream(7, "", page2, page2Filter)
	return p
}

func TestPDFFlateBomb(t *testing.T) {
	zeros := make([]byte, 20<<20)
	data := twoPagePDF(zeros, true).bytes()
	if len(data) > 100<<10 {
		t.Fatalf("fixture too big: %d", len(data))
	}
	r := run("doc.pdf", data)
	checkInvariants(t, r, Limits{})
	wantProblem(t, r, "doc.pdf", Bomb)
	if d := r.Unscannable[0].Detail; !strings.Contains(d, "object 7") {
		t.Fatalf("detail %q should name the stream", d)
	}
	// Inherited resources, and the other page, are still read.
	wantText(t, part(t, r, "doc.pdf").Text, "first page text")
}

func TestPDFFormXObjects(t *testing.T) {
	p := simplePDF("q 1 0 0 1 0 0 cm /Fm1 Do Q BT /F1 12 Tf 72 100 Td (page text) Tj ET")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R >> >> >>")
	// Fm1 shows text, draws Fm2 and then itself (a cycle).
	p.stream(6, "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> /XObject << /Fm2 7 0 R /Fm1 6 0 R >> >>",
		[]byte("BT /F1 12 Tf 72 700 Td (form text) Tj ET /Fm2 Do /Fm1 Do"), true)
	p.stream(7, "/Type /XObject /Subtype /Form /Matrix [1 0 0 1 0 -100] /BBox [0 0 612 792]",
		[]byte("BT /F1 12 Tf 72 700 Td (nested form text) Tj ET"), true)
	text := pdfTextOf(t, p.bytes())
	wantText(t, text, "form text\nnested form text\npage text")
	if n := strings.Count(text, "nested form text"); n != 1 {
		t.Fatalf("nested form drawn %d times", n)
	}
}

func TestPDFFormAmplification(t *testing.T) {
	// Each form draws the next one 50 times: 50^4 draws of the last.
	p := simplePDF("/X0 Do")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /X0 10 0 R >> >> >>")
	for i := range 4 {
		body := strings.Repeat(fmt.Sprintf("/X%d Do ", i+1), 50)
		p.stream(10+i, fmt.Sprintf("/Subtype /Form /Resources << /XObject << /X%d %d 0 R >> >>", i+1, 11+i), []byte(body), true)
	}
	p.stream(14, "/Subtype /Form /Resources << /Font << /F1 5 0 R >> >>", []byte("BT /F1 1 Tf (x) Tj ET"), true)
	lim := Limits{MaxExpanded: 1 << 20}
	r := Extract("doc.pdf", "", p.bytes(), lim)
	checkInvariants(t, r, lim)
	wantProblem(t, r, "doc.pdf", Bomb)
	if n := strings.Count(part(t, r, "doc.pdf").Text, "x"); n >= 50*50*50*50 {
		t.Fatalf("all %d draws were interpreted", n)
	}
}

func TestPDFAnnotationsFieldsInfo(t *testing.T) {
	p := simplePDF("BT /F1 12 Tf 72 700 Td (Application form) Tj ET")
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R] >> >>")
	p.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R] >>")
	p.obj(6, "<< /Type /Annot /Subtype /Text /Contents (Reviewer note: verify 078-05-1121) >>")
	p.obj(7, "<< /Type /Annot /Subtype /Widget /Parent 8 0 R >>")
	p.obj(8, "<< /T (applicant) /Kids [10 0 R 11 0 R] >>")
	p.obj(9, "<< /T (agree) /V /Yes >>")
	p.obj(10, "<< /T (name) /V (Jane Doe) >>")
	p.obj(11, "<< /T (ssn) /V <FEFF003000370038002D00300035002D0031003100320031> >>")
	p.obj(12, "<< /Title <FEFF00DC0062006500720073006900630068007400> /Author (J. Doe) /Producer (Test \\215quoted\\216) >>")
	p.trailer = "/Root 1 0 R /Info 12 0 R"
	text := pdfTextOf(t, p.bytes())
	wantText(t, text, "Application form", "Reviewer note: verify 078-05-1121", "applicant.name: Jane Doe",
		"applicant.ssn: 078-05-1121", "agree: Yes", "Title: Übersicht", "Author: J. Doe", "Producer: Test “quoted”")
}

func TestPDFEmbeddedFiles(t *testing.T) {
	p := simplePDF("BT /F1 12 Tf 72 700 Td (see attachment) Tj ET")
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Kids [6 0 R] >> >> >>")
	p.obj(6, "<< /Names [(notes.txt) 7 0 R (data.csv) 9 0 R] >>")
	p.obj(7, "<< /Type /Filespec /F (notes.txt) /UF <FEFF006E006F007400650073002E007400780074> /EF << /F 8 0 R >> >>")
	p.stream(8, "/Type /EmbeddedFile /Subtype /text#2Fplain", []byte("embedded note 078-05-1121"), true)
	p.obj(9, "<< /Type /Filespec /F (data.csv) /EF << /F 10 0 R >> >>")
	p.stream(10, "/Type /EmbeddedFile", []byte("a,b\n1,2\n"), false)
	r := run("doc.pdf", p.bytes())
	wantClean(t, r)
	wantText(t, part(t, r, "doc.pdf").Text, "see attachment")
	wantText(t, part(t, r, "doc.pdf/notes.txt").Text, "embedded note 078-05-1121")
	wantText(t, part(t, r, "doc.pdf/data.csv").Text, "1,2")
}

func TestPDFIncrementalUpdate(t *testing.T) {
	data := simplePDF("BT /F1 12 Tf 72 700 Td (old text) Tj ET").bytes()
	update := zlibBytes([]byte("BT /F1 12 Tf 72 700 Td (new text) Tj ET"))
	data = append(data, fmt.Sprintf("4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n", len(update), update)...)
	data = append(data, "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 6 /Root 1 0 R /Prev 9 >>\nstartxref\n0\n%%EOF\n"...)
	text := pdfTextOf(t, data)
	wantText(t, text, "new text")
	wantNoText(t, text, "old text")
}

func TestPDFDamaged(t *testing.T) {
	// No cross-reference table at all, lengths that lie, and the file cut
	// off in the second page's content.
	page2 := []byte("BT /F1 12 Tf 72 700 Td (second page text) Tj ET")
	data := twoPagePDF(page2, false).bytes()
	data = bytes.Replace(data, []byte("/Length 47"), []byte("/Length 9999"), 1)
	cut := bytes.Index(data, []byte("second page text) Tj"))
	data = data[:cut+len("second page text) Tj")]
	r := run("doc.pdf", data)
	checkInvariants(t, r, Limits{})
	wantText(t, part(t, r, "doc.pdf").Text, "first page text\nsecond page text")
}

func TestPDFNotAPDF(t *testing.T) {
	r := run("x.pdf", []byte("%PDF-1.4\nnothing else here at all"))
	wantProblem(t, r, "x.pdf", Corrupt)
}

func TestPDFFilters(t *testing.T) {
	const msg = "BT /F1 12 Tf 72 700 Td (filtered text) Tj ET"
	a85 := func(b []byte) []byte {
		out := make([]byte, ascii85.MaxEncodedLen(len(b)))
		n := ascii85.Encode(out, b)
		return append(out[:n], "~>"...)
	}
	var lzwBuf bytes.Buffer
	lw := lzw.NewWriter(&lzwBuf, lzw.MSB, 8)
	lw.Write([]byte(msg))
	lw.Close()
	for _, tc := range []struct {
		name string
		dict string
		data []byte
	}{
		{"hex+flate", "/Filter [/AHx /Fl]", []byte(hex.EncodeToString(zlibBytes([]byte(msg))) + ">")},
		{"ascii85", "/Filter /ASCII85Decode", a85([]byte(msg))},
		{"runlength", "/Filter /RunLengthDecode", append(append([]byte{byte(len(msg) - 1)}, msg...), 128)},
		// compress/lzw has no early change: EarlyChange 0.
		{"lzw", "/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwBuf.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := simplePDF("")
			p.objs[4] = fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", tc.dict, len(tc.data), tc.data)
			wantText(t, pdfTextOf(t, p.bytes()), "filtered text")
		})
	}
}

func TestLZWEarlyChange(t *testing.T) {
	// The example from the PDF specification (7.4.4.2).
	src := []byte{0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01}
	w := newWalker(Limits{})
	out, f, err := w.expand(&lzwReader{src: src, early: 1, width: 9, next: 258, prev: -1}, int64(len(src)), 0)
	if f != nil || err != nil || string(out) != "-----A---B" {
		t.Fatalf("got %q, %v, %v", out, f, err)
	}
}

func TestPredictors(t *testing.T) {
	// PNG Up predictor, two rows of three bytes.
	in := []byte{2, 1, 2, 3, 2, 1, 1, 1}
	got := applyPredictor(in, pdfDict{"Predictor": int64(12), "Columns": int64(3)})
	if want := []byte{1, 2, 3, 2, 3, 4}; !bytes.Equal(got, want) {
		t.Fatalf("Up: got %v, want %v", got, want)
	}
	// PNG Sub and Paeth, TIFF predictor 2.
	got = applyPredictor([]byte{1, 5, 1, 1, 4, 1, 1, 1}, pdfDict{"Predictor": int64(15), "Columns": int64(3)})
	if want := []byte{5, 6, 7, 6, 7, 8}; !bytes.Equal(got, want) {
		t.Fatalf("Sub/Paeth: got %v, want %v", got, want)
	}
	got = applyPredictor([]byte{5, 1, 1, 9, 1, 1}, pdfDict{"Predictor": int64(2), "Columns": int64(3)})
	if want := []byte{5, 6, 7, 9, 10, 11}; !bytes.Equal(got, want) {
		t.Fatalf("TIFF: got %v, want %v", got, want)
	}
}

func TestPDFFontWithoutUnicodeMapping(t *testing.T) {
	content := "BT /F1 12 Tf 72 700 Td <0011001200130014001500160017001800190020> Tj (again) Tj <00110012001300140015001600170018> Tj ET"
	p := simplePDF(content)
	p.obj(5, "<< /Type /Font /Subtype /Type0 /BaseFont /XYZ /Encoding /Identity-H /DescendantFonts [6 0 R] >>")
	p.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>")
	r := run("doc.pdf", p.bytes())
	wantProblem(t, r, "doc.pdf", Unsupported)
	// The same glyphs in an Adobe-Japan1 font are ASCII CIDs.
	p.obj(6, "<< /Type /Font /Subtype /CIDFontType0 /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> >>")
	p.stream(4, "", []byte("BT /F1 12 Tf 72 700 Td <00240050004E0051> Tj ET"), true)
	r = run("doc.pdf", p.bytes())
	wantClean(t, r)
	if got := strings.TrimSpace(part(t, r, "doc.pdf").Text); got != "Comp" {
		t.Fatalf("got %q", got)
	}
}

func TestPDFInlineImageAndRotation(t *testing.T) {
	content := "BT /F1 12 Tf 72 700 Td (before) Tj ET\n" +
		"q BI /W 4 /H 4 /BPC 8 /CS /G ID \x00EI\xff(Tj) Tj junk\x01\x02 EI Q\n" +
		// Rotated 90 degrees: the baseline runs up the page.
		"BT /F1 12 Tf 0 1 -1 0 300 100 Tm [(up)-300(the)] TJ 0 -14 Td (page) Tj ET"
	text := pdfTextOf(t, simplePDF(content).bytes())
	if text != "before\nup the\npage\n" {
		t.Fatalf("got %q", text)
	}
}

// buildTrueType makes a font program holding only a cmap table: a
// format 4 subtable mapping '0'-'9' to glyphs 10-19 by delta and 'A'-'C'
// to glyphs 20-22 through the glyph array.
func buildTrueType() []byte {
	be := binary.BigEndian
	segs := [][4]uint16{ // start, end, delta, uses glyph array
		{'0', '9', 0x10000 + 10 - '0', 0},
		{'A', 'C', 0, 1},
		{0xffff, 0xffff, 1, 0},
	}
	n := len(segs)
	var sub []byte
	sub = be.AppendUint16(sub, 4)
	sub = be.AppendUint16(sub, 0) // length, patched below
	sub = be.AppendUint16(sub, 0)
	sub = be.AppendUint16(sub, uint16(2*n))
	sub = append(sub, 0, 0, 0, 0, 0, 0)
	for _, s := range segs {
		sub = be.AppendUint16(sub, s[1])
	}
	sub = be.AppendUint16(sub, 0)
	for _, s := range segs {
		sub = be.AppendUint16(sub, s[0])
	}
	for _, s := range segs {
		sub = be.AppendUint16(sub, s[2])
	}
	for i, s := range segs {
		if s[3] == 1 {
			// Offset from this idRangeOffset entry to the glyph array.
			sub = be.AppendUint16(sub, uint16(2*(n-i)))
		} else {
			sub = be.AppendUint16(sub, 0)
		}
	}
	sub = be.AppendUint16(sub, 20)
	sub = be.AppendUint16(sub, 21)
	sub = be.AppendUint16(sub, 22)
	be.PutUint16(sub[2:], uint16(len(sub)))
	cmap := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12}
	cmap = append(cmap, sub...)
	font := []byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	font = append(font, "cmap"...)
	font = be.AppendUint32(font, 0)
	font = be.AppendUint32(font, 28)
	font = be.AppendUint32(font, uint32(len(cmap)))
	return append(font, cmap...)
}

func TestTrueTypeGlyphText(t *testing.T) {
	got := trueTypeGlyphText(buildTrueType())
	want := map[uint16]rune{10: '0', 15: '5', 19: '9', 20: 'A', 21: 'B', 22: 'C'}
	for gid, r := range want {
		if got[gid] != r {
			t.Errorf("glyph %d: got %q, want %q", gid, got[gid], r)
		}
	}
	if len(got) != 13 {
		t.Errorf("got %d glyphs, want 13: %v", len(got), got)
	}
	if trueTypeGlyphText([]byte("not a font at all")) != nil {
		t.Error("garbage should give no map")
	}
}

func TestPDFEmbeddedTrueTypeWithoutToUnicode(t *testing.T) {
	// iText style: Identity-H, glyph IDs as codes, no ToUnicode; the
	// embedded font's cmap is the only key. Glyphs 20 22 10 11 ... = "AC01".
	p := simplePDF("BT /F1 12 Tf 72 700 Td <00140016000A000B0013001200110010000F000E> Tj ET")
	p.obj(5, "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEE+Arial /Encoding /Identity-H /DescendantFonts [6 0 R] >>")
	p.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEE+Arial /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R >>")
	p.obj(7, "<< /Type /FontDescriptor /FontName /ABCDEE+Arial /Flags 32 /FontFile2 8 0 R >>")
	p.stream(8, "", buildTrueType(), true)
	if got := strings.TrimSpace(pdfTextOf(t, p.bytes())); got != "AC01987654" {
		t.Fatalf("got %q", got)
	}
}
