package extract

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The fuzz targets run the extractors without Extract's recover, so that
// a panic fails the run, and assert the invariants every result keeps.
// Their seed corpora in testdata/fuzz are written by TestWriteFuzzSeeds
// from the same builders the tests use:
//
//	go test ./internal/extract -run TestWriteFuzzSeeds -update-seeds

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// fuzzLimits are smaller than the defaults so that each input is quick
// and the bounds themselves get exercised.
var fuzzLimits = Limits{MaxInput: 4 << 20, MaxText: 1 << 20, MaxExpanded: 16 << 20, MaxEntries: 200}

func fuzzCheck(t *testing.T, w *walker) {
	t.Helper()
	checkInvariants(t, w.res, fuzzLimits)
	// expand never reads more than one byte past what is left.
	if w.expandLeft < -1 {
		t.Fatalf("expanded %d bytes past the budget", -w.expandLeft)
	}
}

func FuzzPDF(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWalker(fuzzLimits)
		w.pdf("f.pdf", data, 0)
		fuzzCheck(t, w)
	})
}

func FuzzZip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWalker(fuzzLimits)
		w.zip("f.zip", data, 0)
		fuzzCheck(t, w)
	})
}

// FuzzOOXML fuzzes the XML of office documents rather than their zip
// container: the input becomes the main part of a document of the given
// kind (and, for spreadsheets, also its shared strings).
func FuzzOOXML(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint8, xml []byte) {
		w := newWalker(fuzzLimits)
		w.zip("f", ooxmlFor(t, kind, xml), 0)
		fuzzCheck(t, w)
	})
}

func ooxmlFor(t testing.TB, kind uint8, xml []byte) []byte {
	stored := func(name string) zipEntry { return zipEntry{name: name, data: xml, store: true} }
	switch kind % 4 {
	case 0:
		return buildZip(t, stored("word/document.xml"), stored("word/header1.xml"), stored("docProps/custom.xml"))
	case 1:
		return buildZip(t, stored("xl/workbook.xml"), stored("xl/sharedStrings.xml"), stored("xl/worksheets/sheet1.xml"),
			stored("xl/_rels/workbook.xml.rels"))
	case 2:
		return buildZip(t, stored("ppt/presentation.xml"), stored("ppt/slides/slide1.xml"), stored("ppt/_rels/presentation.xml.rels"))
	default:
		return buildZip(t, zipEntry{name: "mimetype", data: []byte("application/vnd.oasis.opendocument.text"), store: true},
			stored("content.xml"), stored("styles.xml"), stored("meta.xml"))
	}
}

func FuzzImage(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWalker(fuzzLimits)
		w.file("f", "", "", data, 0)
		fuzzCheck(t, w)
	})
}

func FuzzExtract(f *testing.F) {
	f.Fuzz(func(t *testing.T, name, ctype string, data []byte) {
		w := newWalker(fuzzLimits)
		w.file(name, name, ctype, data, 0)
		fuzzCheck(t, w)
		// And through the public entry point, with the default limits.
		checkInvariants(t, Extract(name, ctype, data, Limits{}), Limits{})
	})
}

// seed is one corpus entry: the fuzz target's arguments.
type seed struct {
	name string
	args []any
}

func fuzzSeeds(t testing.TB) map[string][]seed {
	le, be := binary.LittleEndian, binary.BigEndian
	pdfs := []seed{
		{"simple", []any{simplePDF("BT /F1 12 Tf 72 700 Td (Hello) Tj [(a)-300(b)] TJ T* (c) ' 1 2 (d) \" ET").bytes()}},
		{"type0", []any{type0PDF("SSN: 078-05-1121", "second line")}},
		{"twopage", []any{twoPagePDF([]byte("BT /F1 9 Tf 0 1 -1 0 10 10 Tm (rot) Tj ET /X Do BI /W 1 ID \x00 EI"), true).bytes()}},
	}
	encrypted := simplePDF("BT (x) Tj ET")
	encrypted.obj(9, "<< /Filter /Standard /V 2 /R 3 /Length 128 /O <0011> /U <0022> /P -4 >>")
	encrypted.trailer = "/Root 1 0 R /Encrypt 9 0 R /ID [<0102> <0102>]"
	pdfs = append(pdfs, seed{"encrypted", []any{encrypted.bytes()}},
		seed{"encrypted-rc4", []any{newEncryptor("", false).pdf("BT /F1 9 Tf (rc4) Tj ET")}},
		seed{"encrypted-aes", []any{newEncryptor("", true).pdf("BT /F1 9 Tf (aes) Tj ET")}})
	tt := simplePDF("BT /F1 12 Tf 72 700 Td <00140016000A> Tj ET")
	tt.obj(5, "<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /DescendantFonts [6 0 R] >>")
	tt.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /FontDescriptor 7 0 R /W [10 [500 500] 20 22 600] >>")
	tt.obj(7, "<< /Type /FontDescriptor /FontFile2 8 0 R >>")
	tt.stream(8, "", buildTrueType(), true)
	pdfs = append(pdfs, seed{"truetype", []any{tt.bytes()}})

	docx := buildDOCX(t, docxPara("hello ", "world")+`<w:p><w:r><w:tab/><w:t>x &amp; y</w:t></w:r></w:p>`)
	xlsx := buildXLSX(t, []string{"a", "b"}, [][]string{{"s:0|s:1|42|i:inline"}})
	pptx := buildPPTX(t, `<a:p><a:r><a:t>slide</a:t></a:r></a:p>`)
	odt := buildODT(t, `<text:p>odt<text:s/>text</text:p>`)
	zips := []seed{
		{"plain", []any{buildZip(t, files("a.txt", "alpha", "d/b.txt", "bravo")...)}},
		{"nested", []any{buildZip(t, zipEntry{name: "in.zip", data: buildZip(t, files("c.txt", "charlie")...)})}},
		{"docx", []any{docx}}, {"xlsx", []any{xlsx}}, {"pptx", []any{pptx}}, {"odt", []any{odt}},
		{"encrypted-entry", []any{buildZip(t, zipEntry{name: "s.txt", data: []byte("s"), encrypted: true})}},
	}
	ooxml := []seed{
		{"docx", []any{uint8(0), []byte(`<w:document><w:body><w:p><w:r><w:t>a&#x41;&amp;</w:t><w:br/><w:delText>d</w:delText></w:r></w:p></w:body></w:document>`)}},
		{"xlsx", []any{uint8(1), []byte(`<sst><si><t>s0</t></si></sst><sheetData><row><c t="s"><v>0</v></c><c><v>1</v></c><c t="inlineStr"><is><t>i</t></is></c></row></sheetData><sheet name="S" r:id="rId1"/><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>`)}},
		{"pptx", []any{uint8(2), []byte(`<p:sldId r:id="rId1"/><a:p><a:r><a:t>t</a:t></a:r><a:br/></a:p><Relationship Id="rId1" Target="slides/slide1.xml"/>`)}},
		{"odt", []any{uint8(3), []byte(`<office:body><text:p>a<text:tab/>b<text:s text:c="3"/><![CDATA[c]]></text:p></office:body><office:master-styles><text:p>h</text:p></office:master-styles><dc:title>t</dc:title>`)}},
	}
	app1 := jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifSample(le)...))
	images := []seed{
		{"jpeg-exif", []any{buildJPEG(t, app1, jpegSegment(0xfe, []byte("comment")))}},
		{"jpeg-xmp", []any{buildJPEG(t, jpegSegment(0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)))}},
		{"png-text", []any{buildPNG(t, pngChunk("tEXt", []byte("k\x00v")), pngChunk("zTXt", append([]byte("z\x00\x00"), zlibBytes([]byte("zz"))...)), pngChunk("eXIf", exifSample(be)))}},
		{"tiff", []any{exifSample(be)}},
		{"gif", []any{[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00!\xfe\x02hi\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02L\x01\x00;")}},
	}
	extract := []seed{
		{"text", []any{"a.txt", "", []byte("plain text 078-05-1121\n")}},
		{"html", []any{"a.html", "text/html", []byte("<p>x &amp; <b>y</b><!-- c --><style>s</style></p>")}},
		{"utf16", []any{"u.txt", "", []byte("\xff\xfeh\x00i\x00")}},
		{"email", []any{"m.eml", "message/rfc822", []byte("From: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\nContent-Disposition: attachment; filename=x.txt\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n")}},
		{"gzip", []any{"a.gz", "", buildGzip(t, "a.txt", []byte("gz"))}},
		{"tar", []any{"a.tar", "", buildTar(t, "a.txt", "tar")}},
		{"cfb", []any{"a.doc", "", fakeCFB("WordDocument")}},
	}
	for _, s := range pdfs {
		extract = append(extract, seed{"pdf-" + s.name, []any{"f.pdf", "application/pdf", s.args[0]}})
	}
	for _, s := range zips {
		extract = append(extract, seed{"zip-" + s.name, []any{"f.zip", "", s.args[0]}})
	}
	for _, s := range images {
		extract = append(extract, seed{"img-" + s.name, []any{"f", "", s.args[0]}})
	}
	return map[string][]seed{"FuzzPDF": pdfs, "FuzzZip": zips, "FuzzOOXML": ooxml, "FuzzImage": images, "FuzzExtract": extract}
}

// TestWriteFuzzSeeds writes the seed corpora with -update-seeds, and
// otherwise checks that every seed still extracts cleanly enough to be a
// useful starting point.
func TestWriteFuzzSeeds(t *testing.T) {
	for target, seeds := range fuzzSeeds(t) {
		for _, s := range seeds {
			if *updateSeeds {
				dir := filepath.Join("testdata", "fuzz", target)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "seed-"+s.name), corpusFile(s.args), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := os.Stat(filepath.Join("testdata", "fuzz", target, "seed-"+s.name)); err != nil {
				t.Errorf("seed %s/%s missing; run with -update-seeds", target, s.name)
			}
		}
	}
}

// corpusFile encodes fuzz arguments in the "go test fuzz v1" format.
func corpusFile(args []any) []byte {
	b := []byte("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			b = fmt.Appendf(b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			b = fmt.Appendf(b, "string(%s)\n", strconv.Quote(v))
		case uint8:
			b = fmt.Appendf(b, "uint8(%d)\n", v)
		}
	}
	return b
}
