package extract

import (
	"bytes"
	"encoding/binary"
	"testing"
)

var exifWant = []string{
	"ImageDescription: Site visit 123-45-6789", "Artist: Jane Q. Public", "Copyright: (c) Agency",
	"Make: Canon", "XPComment: XP comment ÄÖ", "XPAuthor: XP author", "UserComment: user comment here",
	"BodySerialNumber: SN-998877", "GPSPosition: 48.858367, -2.294500", "GPSTimeStamp: 2024:05:06",
}

func TestJPEGExif(t *testing.T) {
	for _, bo := range []tiffOrder{binary.LittleEndian, binary.BigEndian} {
		app1 := jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifSample(bo)...))
		r := run("photo.jpg", buildJPEG(t, app1))
		wantClean(t, r)
		p := part(t, r, "photo.jpg")
		if p.Format != "image-metadata" {
			t.Fatalf("format %q", p.Format)
		}
		wantText(t, p.Text, exifWant...)
	}
}

const xmpPacket = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="ScanApp 2.1">
<dc:creator><rdf:Seq><rdf:li>Jane Q. Public</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Passport C01234567</rdf:li></rdf:Alt></dc:description>
<xmpGImg:image>/9j/4AAQSkZJRgABAgEASABIAAD</xmpGImg:image>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`

func TestJPEGXMPCommentIPTC(t *testing.T) {
	var iptc []byte
	for _, ds := range []struct {
		n byte
		s string
	}{{120, "Caption of the scene"}, {80, "Photographer Name"}, {25, "keyword1"}} {
		iptc = append(iptc, 0x1c, 2, ds.n, 0, byte(len(ds.s)))
		iptc = append(iptc, ds.s...)
	}
	irb := append([]byte("8BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptc)))...)
	irb = append(irb, iptc...)
	if len(iptc)%2 == 1 {
		irb = append(irb, 0)
	}
	data := buildJPEG(t,
		jpegSegment(0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)),
		jpegSegment(0xfe, []byte("JPEG comment text")),
		jpegSegment(0xed, append([]byte("Photoshop 3.0\x00"), irb...)))
	r := run("scan.jpg", data)
	wantClean(t, r)
	p := part(t, r, "scan.jpg")
	wantText(t, p.Text, "CreatorTool: ScanApp 2.1", "creator: Jane Q. Public", "description: Passport C01234567",
		"Comment: JPEG comment text", "Caption: Caption of the scene", "Byline: Photographer Name", "Keywords: keyword1")
	wantNoText(t, p.Text, "9j/4AAQ", "about", "x-default", "adobe:ns:meta")
}

func TestPhotoWithoutMetadata(t *testing.T) {
	r := run("plain.jpg", buildJPEG(t))
	wantClean(t, r)
	if p := part(t, r, "plain.jpg"); p.Format != "image-metadata" || p.Text != "" {
		t.Fatalf("got %+v", p)
	}
	r = run("plain.png", buildPNG(t))
	wantClean(t, r)
	if p := part(t, r, "plain.png"); p.Text != "" {
		t.Fatalf("got %+v", p)
	}
}

func TestPNGText(t *testing.T) {
	itxt := func(key string, compressed bool, text string) []byte {
		b := append([]byte(key), 0)
		body := []byte(text)
		if compressed {
			b = append(b, 1, 0)
			body = zlibBytes(body)
		} else {
			b = append(b, 0, 0)
		}
		b = append(b, "en\x00Title\x00"...)
		return pngChunk("iTXt", append(b, body...))
	}
	data := buildPNG(t,
		pngChunk("tEXt", []byte("Author\x00Ren\xe9 Latin-1")),
		pngChunk("zTXt", append([]byte("Comment\x00\x00"), zlibBytes([]byte("compressed comment"))...)),
		itxt("Description", false, "UTF-8 ✓ text"),
		itxt("Title", true, "compressed international"),
		itxt("XML:com.adobe.xmp", false, xmpPacket),
		pngChunk("eXIf", exifSample(binary.BigEndian)),
	)
	r := run("shot.png", data)
	wantClean(t, r)
	p := part(t, r, "shot.png")
	wantText(t, p.Text, "Author: René Latin-1", "Comment: compressed comment", "Description: UTF-8 ✓ text",
		"Title: compressed international", "creator: Jane Q. Public", "Artist: Jane Q. Public")
}

func TestPNGTextBomb(t *testing.T) {
	data := buildPNG(t,
		pngChunk("tEXt", []byte("Author\x00before the bomb")),
		pngChunk("zTXt", append([]byte("Comment\x00\x00"), zlibBytes(make([]byte, 20<<20))...)))
	r := run("bomb.png", data)
	wantProblem(t, r, "bomb.png", Bomb)
	// The picture is still reported with what was read.
	wantText(t, part(t, r, "bomb.png").Text, "Author: before the bomb")
}

func TestImageCorrupt(t *testing.T) {
	png := buildPNG(t, pngChunk("tEXt", []byte("Author\x00someone")))
	r := run("cut.png", png[:60])
	wantProblem(t, r, "cut.png", Corrupt)
	wantText(t, part(t, r, "cut.png").Text, "Author: someone")

	jpg := buildJPEG(t, jpegSegment(0xfe, []byte("a long comment that is cut off")))
	r = run("cut.jpg", jpg[:20])
	wantProblem(t, r, "cut.jpg", Corrupt)

	// A photo cut off in its image data is not corrupt for our purpose:
	// its metadata came first and was read whole.
	r = run("partial.jpg", jpg[:len(jpg)-40])
	wantClean(t, r)
	wantText(t, part(t, r, "partial.jpg").Text, "Comment: a long comment")
}

func TestExifHostileOffsets(t *testing.T) {
	// An IFD pointing at itself, a sub-IFD pointing at IFD0, and counts
	// that run past the end: all ignored without looping.
	bo := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = bo.AppendUint16(b, 3)
	entry := func(tag, typ uint16, count, val uint32) {
		b = bo.AppendUint16(b, tag)
		b = bo.AppendUint16(b, typ)
		b = bo.AppendUint32(b, count)
		b = bo.AppendUint32(b, val)
	}
	entry(0x010e, 2, 0xffffffff, 8) // description far past the end
	entry(tagExifIFD, 4, 1, 8)      // EXIF IFD is IFD0 again
	entry(tagGPSIFD, 4, 1, 8)
	b = bo.AppendUint32(b, 8) // next IFD: itself
	r := run("loop.tif", b)
	wantClean(t, r)
	if p := part(t, r, "loop.tif"); p.Text != "" {
		t.Fatalf("got %q", p.Text)
	}
}

func TestTIFFAndWebP(t *testing.T) {
	r := run("scan.tif", exifSample(binary.LittleEndian))
	wantClean(t, r)
	wantText(t, part(t, r, "scan.tif").Text, exifWant...)

	riff := func(chunks ...[]byte) []byte {
		body := []byte("WEBP")
		for _, c := range chunks {
			body = append(body, c...)
		}
		out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
		return append(out, body...)
	}
	chunk := func(typ string, data []byte) []byte {
		c := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	webp := riff(chunk("VP8 ", []byte{1, 2, 3}), chunk("EXIF", exifSample(binary.LittleEndian)), chunk("XMP ", []byte(xmpPacket)))
	r = run("sticker.webp", webp)
	wantClean(t, r)
	wantText(t, part(t, r, "sticker.webp").Text, "Artist: Jane Q. Public", "creator: Jane Q. Public")
}

func TestGIFComment(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	b.Write([]byte{1, 0, 1, 0, 0x80, 0, 0}) // 1x1, global colour table of 2
	b.Write([]byte{0, 0, 0, 255, 255, 255})
	b.Write([]byte{0x21, 0xfe, 5})
	b.WriteString("hello")
	b.Write([]byte{6})
	b.WriteString(" world")
	b.Write([]byte{0})
	b.Write([]byte{0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0}) // image descriptor
	b.Write([]byte{2, 2, 0x4c, 0x01, 0})             // LZW data
	b.WriteByte(0x3b)
	r := run("anim.gif", b.Bytes())
	wantClean(t, r)
	wantText(t, part(t, r, "anim.gif").Text, "Comment: hello world")

	r = run("cut.gif", b.Bytes()[:22])
	wantProblem(t, r, "cut.gif", Corrupt)
}

// isoBox builds an ISO-BMFF box.
func isoBoxBytes(typ string, body ...[]byte) []byte {
	var content []byte
	for _, b := range body {
		content = append(content, b...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(content)))
	out = append(out, typ...)
	return append(out, content...)
}

func TestHEIF(t *testing.T) {
	exifItem := append([]byte{0, 0, 0, 6}, "Exif\x00\x00"...)
	exifItem = append(exifItem, exifSample(binary.BigEndian)...)
	xmpItem := []byte(xmpPacket)
	build := func(exifOff, xmpOff uint32) []byte {
		infe := func(id uint16, typ, ct string) []byte {
			body := []byte{2, 0, 0, 0}
			body = binary.BigEndian.AppendUint16(body, id)
			body = append(body, 0, 0)
			body = append(body, typ...)
			body = append(body, 0) // empty name
			if ct != "" {
				body = append(body, ct...)
				body = append(body, 0)
			}
			return isoBoxBytes("infe", body)
		}
		iinf := isoBoxBytes("iinf", []byte{0, 0, 0, 0, 0, 2}, infe(1, "Exif", ""), infe(2, "mime", "application/rdf+xml"))
		iloc := []byte{0, 0, 0, 0, 0x44, 0x00, 0, 2}
		for _, it := range []struct {
			id       uint16
			off, len uint32
		}{{1, exifOff, uint32(len(exifItem))}, {2, xmpOff, uint32(len(xmpItem))}} {
			iloc = binary.BigEndian.AppendUint16(iloc, it.id)
			iloc = append(iloc, 0, 0, 0, 1) // data ref 0, one extent
			iloc = binary.BigEndian.AppendUint32(iloc, it.off)
			iloc = binary.BigEndian.AppendUint32(iloc, it.len)
		}
		meta := isoBoxBytes("meta", []byte{0, 0, 0, 0}, isoBoxBytes("hdlr", make([]byte, 24)), iinf, isoBoxBytes("iloc", iloc))
		head := append(isoBoxBytes("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")), meta...)
		return append(head, isoBoxBytes("mdat", exifItem, xmpItem)...)
	}
	probe := build(0, 0)
	mdat := uint32(len(probe) - len(exifItem) - len(xmpItem))
	data := build(mdat, mdat+uint32(len(exifItem)))
	r := run("IMG_0001.HEIC", data)
	wantClean(t, r)
	wantText(t, part(t, r, "IMG_0001.HEIC").Text, "Artist: Jane Q. Public", "GPSPosition: 48.858367, -2.294500", "creator: Jane Q. Public")

	// A box claiming more than the file holds.
	bad := append(bytes.Clone(data[:24]), 0xff, 0xff, 0xff, 0xff)
	r = run("bad.heic", append(bad, "meta"...))
	wantProblem(t, r, "bad.heic", Corrupt)
}
