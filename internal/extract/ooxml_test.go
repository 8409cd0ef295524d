package extract

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestDOCX(t *testing.T) {
	body := docxPara("Employee: ", "Jane Doe") +
		// Word splits text into runs anywhere, even inside a number.
		docxPara("SSN 078-", "05-", "1121") +
		`<w:p><w:r><w:t>Col A</w:t></w:r><w:r><w:tab/><w:t>Col B</w:t><w:br/><w:t>next line</w:t></w:r></w:p>` +
		// Tracked deletion: still in the file, so still scanned.
		`<w:p><w:del><w:r><w:delText>deleted 4111 1111 1111 1111</w:delText></w:r></w:del></w:p>` +
		// A text box: the VML fallback repeats its text for old readers.
		`<w:p><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p><w:r><w:t>box text</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>` +
		`<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>box text</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:r><w:t>A &amp; B &lt;C&gt; &#x41;&#66;</w:t></w:r></w:p><w:p><w:r><w:t><![CDATA[raw <cdata>]]></w:t></w:r></w:p>`
	data := buildDOCX(t, body,
		zipEntry{name: "word/header1.xml", data: []byte(`<w:hdr ` + wNS + `>` + docxPara("CUI//SP-PRVCY") + `</w:hdr>`)},
		zipEntry{name: "word/footer1.xml", data: []byte(`<w:ftr ` + wNS + `>` + docxPara("page footer") + `</w:ftr>`)},
		zipEntry{name: "word/comments.xml", data: []byte(`<w:comments ` + wNS + `><w:comment>` + docxPara("reviewer comment") + `</w:comment></w:comments>`)},
		zipEntry{name: "word/footnotes.xml", data: []byte(`<w:footnotes ` + wNS + `><w:footnote>` + docxPara("a footnote") + `</w:footnote></w:footnotes>`)},
		zipEntry{name: "docProps/core.xml", data: []byte(`<cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:title>Quarterly review</dc:title><dc:creator>J. Doe</dc:creator><cp:revision>4</cp:revision></cp:coreProperties>`)},
		zipEntry{name: "docProps/custom.xml", data: []byte(`<Properties xmlns:vt="v"><property fmtid="{D5CDD505}" pid="2" name="MSIP_Label_Name"><vt:lpwstr>Confidential</vt:lpwstr></property></Properties>`)},
	)
	r := run("memo.docx", data)
	wantClean(t, r)
	p := part(t, r, "memo.docx")
	if p.Format != "docx" {
		t.Fatalf("format %q", p.Format)
	}
	wantText(t, p.Text, "Employee: Jane Doe\n", "SSN 078-05-1121\n", "Col A\tCol B\nnext line\n",
		"deleted 4111 1111 1111 1111", "A & B <C> AB", "raw <cdata>", "CUI//SP-PRVCY", "page footer",
		"reviewer comment", "a footnote", "title: Quarterly review", "creator: J. Doe", "MSIP_Label_Name: Confidential")
	if n := strings.Count(p.Text, "box text"); n != 1 {
		t.Errorf("text box text appears %d times, want once", n)
	}
	wantNoText(t, p.Text, "Normal", "revision", "\t\t")
	if strings.Index(p.Text, "Employee") > strings.Index(p.Text, "CUI//SP-PRVCY") {
		t.Error("body should come before headers")
	}
}

func TestXLSX(t *testing.T) {
	shared := []string{"Name", "SSN", "Jane &amp; Co", "never referenced 078-05-1121"}
	sheets := [][]string{
		{"s:0|s:1", "s:2|123456789", "i:inline text||42.5"},
		{"s:0", "second sheet"},
	}
	data := buildXLSX(t, shared, sheets,
		zipEntry{name: "xl/comments1.xml", data: []byte(`<comments><commentList><comment ref="A1"><text><r><t>check this</t></r></text></comment></commentList></comments>`)})
	r := run("book.xlsx", data)
	wantClean(t, r)
	p := part(t, r, "book.xlsx")
	if p.Format != "xlsx" {
		t.Fatalf("format %q", p.Format)
	}
	wantText(t, p.Text, "Sheet: Sheet 1\nName\tSSN\nJane & Co\t123456789\ninline text\t42.5\n",
		"Sheet: Sheet 2\nName\n", "check this", "never referenced 078-05-1121")
	if strings.Index(p.Text, "Sheet 1") > strings.Index(p.Text, "Sheet 2") {
		t.Error("sheets should follow workbook order")
	}
	wantNoText(t, p.Text, "A1*2")
}

func TestPPTX(t *testing.T) {
	data := buildPPTX(t,
		`<a:p><a:r><a:t>First slide title</a:t></a:r></a:p><a:p><a:r><a:t>bullet </a:t></a:r><a:r><a:t>one</a:t></a:r><a:br/><a:r><a:t>after break</a:t></a:r></a:p>`,
		`<a:p><a:r><a:t>Second slide</a:t></a:r></a:p>`)
	r := run("deck.pptx", data)
	wantClean(t, r)
	p := part(t, r, "deck.pptx")
	wantText(t, p.Text, "First slide title\nbullet one\nafter break\n", "Second slide")
	if p.Format != "pptx" || strings.Index(p.Text, "First") > strings.Index(p.Text, "Second") {
		t.Fatalf("got %s %q", p.Format, p.Text)
	}
}

func TestODT(t *testing.T) {
	content := `<text:h>Heading</text:h><text:p>Name:<text:tab/>Jane<text:s/>Doe</text:p>` +
		`<text:p>line one<text:line-break/>line two <text:span>078</text:span>-05-1121</text:p>` +
		`<table:table><table:table-row><table:table-cell><text:p>a</text:p></table:table-cell><table:table-cell><text:p>b</text:p></table:table-cell></table:table-row></table:table>`
	data := buildODT(t, content,
		zipEntry{name: "styles.xml", data: []byte(`<office:document-styles><office:styles><number:text>.</number:text></office:styles><office:master-styles><style:master-page><style:header><text:p>ODT header</text:p></style:header></style:master-page></office:master-styles></office:document-styles>`)},
		zipEntry{name: "meta.xml", data: []byte(`<office:document-meta><office:meta><dc:title>ODT title</dc:title><meta:user-defined meta:name="Classification">Internal</meta:user-defined></office:meta></office:document-meta>`)},
	)
	r := run("doc.odt", data)
	wantClean(t, r)
	p := part(t, r, "doc.odt")
	if p.Format != "odf" {
		t.Fatalf("format %q", p.Format)
	}
	wantText(t, p.Text, "Heading\nName:\tJane Doe\nline one\nline two 078-05-1121\n", "ODT header", "title: ODT title", "Classification: Internal")
	wantNoText(t, p.Text, "Illustration", "P1")
}

func TestODTEncrypted(t *testing.T) {
	data := buildZip(t,
		zipEntry{name: "mimetype", data: []byte("application/vnd.oasis.opendocument.text"), store: true},
		zipEntry{name: "content.xml", data: []byte("\x8f\x01 encrypted bytes")},
		zipEntry{name: "META-INF/manifest.xml", data: []byte(`<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>`)})
	r := run("locked.odt", data)
	wantProblem(t, r, "locked.odt", Encrypted)
	if len(r.Parts) != 0 {
		t.Fatalf("parts from an encrypted document: %s", partPaths(r))
	}
}

func TestDOCXEmbeddings(t *testing.T) {
	sheet := buildXLSX(t, []string{"embedded secret"}, [][]string{{"s:0"}})
	photo := buildJPEG(t, jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifSample(binary.LittleEndian)...)))
	data := buildDOCX(t, docxPara("see attached"),
		zipEntry{name: "word/embeddings/Microsoft_Excel_Worksheet.xlsx", data: sheet},
		zipEntry{name: "word/media/image1.jpeg", data: photo},
		zipEntry{name: "word/media/image2.emf", data: []byte("\x01\x00\x00\x00 emf records")},
	)
	r := run("memo.docx", data)
	wantClean(t, r)
	wantText(t, part(t, r, "memo.docx/word/embeddings/Microsoft_Excel_Worksheet.xlsx").Text, "embedded secret")
	wantText(t, part(t, r, "memo.docx/word/media/image1.jpeg").Text, "Artist: Jane Q. Public")
	if len(r.Parts) != 3 {
		t.Fatalf("want docx, sheet and photo parts; got %s", partPaths(r))
	}
	// At the depth limit the document's own text is read and its
	// embeddings are reported once.
	r = Extract("z.zip", "", buildZip(t, zipEntry{name: "memo.docx", data: data}), Limits{MaxDepth: 1})
	wantText(t, part(t, r, "z.zip/memo.docx").Text, "see attached")
	wantProblem(t, r, "z.zip/memo.docx", TooDeep)
	if len(r.Unscannable) != 1 {
		t.Fatalf("want one too_deep, got %+v", r.Unscannable)
	}
}

func TestNaturalOrder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"slide2.xml", "slide10.xml", -1},
		{"slide10.xml", "slide9.xml", 1},
		{"sheet01", "sheet1", 0},
		{"a", "b", -1},
		{"abc", "ab", 1},
	} {
		got := naturalCmp(tc.a, tc.b)
		if (got < 0) != (tc.want < 0) || (got > 0) != (tc.want > 0) {
			t.Errorf("naturalCmp(%q, %q) = %d, want sign of %d", tc.a, tc.b, got, tc.want)
		}
	}
}
