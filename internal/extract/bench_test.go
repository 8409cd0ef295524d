package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Benchmarks report throughput in bytes of input per second:
//
//	go test ./internal/extract -run '^$' -bench . -benchmem

var loremWords = strings.Fields(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor
	incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris
	nisi ut aliquip ex ea commodo consequat case number 078-05-1121 applicant contact 555-0100`)

// loremLine is a line of words chosen pseudo-randomly, so that the
// documents compress like prose rather than like a repeated pattern.
func loremLine(i, words int) string {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	var b strings.Builder
	for j := range words {
		if j > 0 {
			b.WriteByte(' ')
		}
		w := loremWords[rng.IntN(len(loremWords))]
		if rng.IntN(4) == 0 {
			w = fmt.Sprintf("%s%d", w, rng.IntN(1000))
		}
		b.WriteString(w)
	}
	return b.String()
}

// benchDOCX is a document in Word's verbose style: every run carries its
// formatting, paragraphs their properties.
func benchDOCX(t testing.TB, paragraphs int) []byte {
	var body strings.Builder
	for i := range paragraphs {
		// Word's revision ids are random, and runs split at edits.
		fmt.Fprintf(&body, `<w:p w:rsidR="%08X" w:rsidRDefault="%08X"><w:pPr><w:spacing w:after="120"/><w:rPr><w:rFonts w:ascii="Calibri"/></w:rPr></w:pPr>`, i*7919, i*104729)
		line := loremLine(i, 14)
		if i%50 == 0 {
			line += " SSN 078-05-1121"
		}
		for j, run := range strings.SplitAfter(line, " ") {
			if j%3 != 0 {
				fmt.Fprintf(&body, `<w:r><w:t xml:space="preserve">%s</w:t></w:r>`, run)
				continue
			}
			fmt.Fprintf(&body, `<w:r w:rsidRPr="%08X"><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="22"/><w:szCs w:val="22"/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>`, i*31+j, run)
		}
		body.WriteString("</w:p>")
	}
	return buildDOCX(t, body.String())
}

// benchPDF is a word-processor-style PDF: pages of lines shown with a
// Type0 font, a ToUnicode CMap and kerned TJ arrays.
func benchPDF(pages, lines int) []byte {
	g := newGlyphEncoder()
	p := newPDF()
	p.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for pg := range pages {
		var content strings.Builder
		content.WriteString("q 0.1 0 0 0.1 0 0 cm q 10 0 0 10 0 0 cm BT\n/F1 11 Tf\n")
		for l := range lines {
			fmt.Fprintf(&content, "1 0 0 1 72 %.2f Tm [", 760-float64(l)*14.5)
			line := loremLine(pg*lines+l, 12)
			if l == 0 {
				line = "SSN 078-05-1121 " + line
			}
			// Glyph runs between kerning pairs, as Word writes them.
			runes := []rune(line)
			for i := 0; i < len(runes); i += 5 {
				if i > 0 {
					content.WriteString("-11")
				}
				content.WriteString(g.hex(string(runes[i:min(i+5, len(runes))])))
			}
			content.WriteString("]TJ\n")
		}
		content.WriteString("ET Q Q\n")
		page, cont := 10+2*pg, 11+2*pg
		fmt.Fprintf(&kids, "%d 0 R ", page)
		p.obj(page, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>", cont))
		p.stream(cont, "", []byte(content.String()), true)
	}
	p.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 5 0 R >> >> >>", kids.String(), pages))
	p.obj(5, "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+Calibri /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
	p.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+Calibri /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 >>")
	p.stream(7, "", []byte(toUnicodeCMap(g.chars(), nil)), true)
	return p.bytes()
}

// benchExtract measures Extract on data, reporting input bytes per second
// and, if unit is set, perOp units (pages, uncompressed bytes) per second.
func benchExtract(b *testing.B, name string, data []byte, want, unit string, perOp float64) {
	r := Extract(name, "", data, Limits{})
	if len(r.Unscannable) > 0 || !strings.Contains(r.Parts[0].Text, want) {
		b.Fatalf("fixture does not extract: %+v", r.Unscannable)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		Extract(name, "", data, Limits{})
	}
	if unit != "" {
		b.ReportMetric(perOp*float64(b.N)/b.Elapsed().Seconds(), unit)
	}
}

func BenchmarkExtractDOCX(b *testing.B) {
	data := benchDOCX(b, 3000)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var xml uint64
	for _, f := range zr.File {
		xml += f.UncompressedSize64
	}
	benchExtract(b, "bench.docx", data, "078-05-1121", "xml-MB/s", float64(xml)/1e6)
}

func BenchmarkExtractPDF(b *testing.B) {
	benchExtract(b, "bench.pdf", benchPDF(50, 48), "078-05-1121", "pages/s", 50)
}

func BenchmarkExtractJPEG(b *testing.B) {
	app1 := jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifSample(binary.LittleEndian)...))
	benchExtract(b, "bench.jpg", buildJPEG(b, app1), "Jane Q. Public", "", 0)
}
