package extract

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"strings"
)

// meta collects the metadata text of one image.
type meta struct {
	w    *walker
	path string
	s    *sink
	// problem is the first structural failure; the metadata read before
	// it is kept.
	problem *failure
}

// image extracts the metadata of a picture as text: EXIF (with GPS as
// decimal degrees), XMP, IPTC, comments and PNG text chunks. Pixels are not
// text, so an image whose structure is sound is never unscannable, even
// with no metadata at all. One whose structure claims bytes that are not
// there is reported corrupt, after what could be read.
func (w *walker) image(p string, k kind, data []byte) {
	m := &meta{w: w, path: p, s: w.newSink()}
	switch k {
	case kindJPEG:
		m.jpeg(data)
	case kindPNG:
		m.png(data)
	case kindGIF:
		m.gif(data)
	case kindTIFF:
		m.tiff(data)
	case kindWebP:
		m.webp(data)
	case kindHEIF:
		m.heif(data)
	}
	w.emit(p, "image-metadata", m.s)
	w.report(p, m.problem)
}

func (m *meta) corrupt(format string, args ...any) {
	if m.problem == nil {
		m.problem = fail(Corrupt, format, args...)
	}
}

var (
	exifHeader   = []byte("Exif\x00\x00")
	xmpHeader    = []byte("http://ns.adobe.com/xap/1.0/\x00")
	xmpExtHeader = []byte("http://ns.adobe.com/xmp/extension/\x00")
	psHeader     = []byte("Photoshop 3.0\x00")
)

// jpeg reads the segments before the image data (SOS); metadata lives
// there, and the entropy-coded data after it is not parsed.
func (m *meta) jpeg(b []byte) {
	var ext []byte // extended XMP, reassembled in order of appearance
	defer func() {
		if len(ext) > 0 {
			m.xmp(ext)
		}
	}()
	pos := 2
	for pos+2 <= len(b) && !m.s.full() {
		if b[pos] != 0xff {
			// Some writers leave junk between segments; resynchronise.
			i := bytes.IndexByte(b[pos:], 0xff)
			if i < 0 {
				break
			}
			pos += i
			continue
		}
		marker := b[pos+1]
		switch {
		case marker == 0xff:
			pos++
			continue
		case marker == 0xd8 || marker == 0x01 || marker >= 0xd0 && marker <= 0xd7:
			pos += 2
			continue
		case marker == 0xd9 || marker == 0xda:
			return
		}
		if pos+4 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[pos+2:]))
		if n < 2 || pos+2+n > len(b) {
			m.corrupt("JPEG segment runs past the end")
			return
		}
		seg := b[pos+4 : pos+2+n]
		switch marker {
		case 0xe1:
			// APP1 carries EXIF or XMP, told apart by their signatures;
			// extended XMP spreads one packet over several segments.
			switch {
			case bytes.HasPrefix(seg, exifHeader):
				m.tiff(seg[len(exifHeader):])
			case bytes.HasPrefix(seg, xmpHeader):
				m.xmp(seg[len(xmpHeader):])
			case bytes.HasPrefix(seg, xmpExtHeader) && len(seg) > len(xmpExtHeader)+40:
				ext = append(ext, seg[len(xmpExtHeader)+40:]...)
			}
		case 0xed:
			if bytes.HasPrefix(seg, psHeader) {
				m.photoshop(seg[len(psHeader):])
			}
		case 0xfe:
			m.s.field("Comment", decodeLatin1OrUTF8(bytes.TrimRight(seg, "\x00")))
		}
		pos += 2 + n
	}
	if !m.s.full() {
		m.corrupt("JPEG ends before its image data")
	}
}

// png reads the text chunks: tEXt (Latin-1), zTXt (compressed Latin-1),
// iTXt (UTF-8, maybe compressed; XMP travels in one) and eXIf.
func (m *meta) png(b []byte) {
	pos := 8
	for pos+8 <= len(b) && !m.s.full() {
		n := int64(binary.BigEndian.Uint32(b[pos:]))
		typ := string(b[pos+4 : pos+8])
		if int64(pos)+12+n > int64(len(b)) {
			m.corrupt("PNG %q chunk runs past the end", sanitizeTag(typ))
			return
		}
		d := b[pos+8 : pos+8+int(n)]
		switch typ {
		case "tEXt":
			k, v, _ := bytes.Cut(d, []byte{0})
			m.s.field(decode1252(k), decode1252(v))
		case "zTXt":
			k, rest, _ := bytes.Cut(d, []byte{0})
			if len(rest) > 1 {
				if v, ok := m.inflate(rest[1:]); ok {
					m.s.field(decode1252(k), decode1252(v))
				}
			}
		case "iTXt":
			m.itxt(d)
		case "eXIf":
			m.tiff(d)
		case "IEND":
			return
		}
		pos += 12 + int(n)
	}
	if !m.s.full() {
		// Text chunks may follow the image data; a cut file lost them.
		m.corrupt("PNG ends before IEND")
	}
}

func (m *meta) itxt(d []byte) {
	k, rest, ok := bytes.Cut(d, []byte{0})
	if !ok || len(rest) < 2 {
		return
	}
	compressed := rest[0] == 1
	rest = rest[2:]
	_, rest, ok = bytes.Cut(rest, []byte{0}) // language tag
	if !ok {
		return
	}
	_, text, ok := bytes.Cut(rest, []byte{0}) // translated keyword
	if !ok {
		return
	}
	if compressed {
		if text, ok = m.inflate(text); !ok {
			return
		}
	}
	if string(k) == "XML:com.adobe.xmp" {
		m.xmp(text)
		return
	}
	m.s.field(decodeLatin1OrUTF8(k), decodeLatin1OrUTF8(text))
}

// inflate decompresses a zlib stream inside an image within the walker's
// bounds, recording the failure if it breaks one.
func (m *meta) inflate(comp []byte) ([]byte, bool) {
	zr, err := zlib.NewReader(bytes.NewReader(comp))
	if err != nil {
		m.corrupt("undecodable compressed text chunk")
		return nil, false
	}
	out, f, rerr := m.w.expand(zr, int64(len(comp)), 0)
	if f != nil {
		if m.problem == nil {
			m.problem = f
		}
		return nil, false
	}
	if rerr != nil && len(out) == 0 {
		m.corrupt("undecodable compressed text chunk")
		return nil, false
	}
	return out, true
}

// gif reads comment extensions and an XMP application extension, skipping
// image data by its sub-block lengths.
func (m *meta) gif(b []byte) {
	if len(b) < 13 {
		m.corrupt("GIF header truncated")
		return
	}
	pos := 13
	if b[10]&0x80 != 0 {
		pos += 3 << (b[10]&7 + 1)
	}
	for pos < len(b) && !m.s.full() {
		switch b[pos] {
		case 0x3b: // trailer
			return
		case 0x21:
			if pos+2 > len(b) {
				m.corrupt("GIF extension truncated")
				return
			}
			label := b[pos+1]
			start := pos + 2
			data, next, ok := gifBlocks(b, start)
			if !ok {
				m.corrupt("GIF extension runs past the end")
				return
			}
			switch {
			case label == 0xfe:
				m.s.field("Comment", decodeLatin1OrUTF8(data))
			case label == 0xff && len(data) >= 11 && string(data[:11]) == "XMP DataXMP":
				// XMP's raw bytes double as sub-block lengths, so read
				// the packet from the raw bytes, not the blocks.
				raw := b[start+12 : next]
				if end := bytes.Index(raw, []byte("<?xpacket end")); end >= 0 {
					raw = raw[:end]
				}
				m.xmp(raw)
			}
			pos = next
		case 0x2c: // image descriptor
			if pos+10 > len(b) {
				m.corrupt("GIF image descriptor truncated")
				return
			}
			flags := b[pos+9]
			pos += 10
			if flags&0x80 != 0 {
				pos += 3 << (flags&7 + 1)
			}
			pos++ // LZW minimum code size
			if pos > len(b) {
				m.corrupt("GIF image truncated")
				return
			}
			_, next, ok := gifBlocks(b, pos)
			if !ok {
				m.corrupt("GIF image data runs past the end")
				return
			}
			pos = next
		default:
			m.corrupt("unknown GIF block 0x%02x", b[pos])
			return
		}
	}
	if !m.s.full() {
		m.corrupt("GIF ends before its trailer")
	}
}

// gifBlocks concatenates the data sub-blocks starting at pos and returns
// the position after the terminator.
func gifBlocks(b []byte, pos int) (data []byte, next int, ok bool) {
	for pos < len(b) {
		n := int(b[pos])
		pos++
		if n == 0 {
			return data, pos, true
		}
		if pos+n > len(b) {
			return nil, 0, false
		}
		if len(data) < 1<<20 { // comment text beyond 1 MiB is not kept
			data = append(data, b[pos:pos+n]...)
		}
		pos += n
	}
	return nil, 0, false
}

// webp reads the EXIF and XMP chunks of a RIFF WebP file.
func (m *meta) webp(b []byte) {
	pos := 12
	for pos+8 <= len(b) && !m.s.full() {
		typ := string(b[pos : pos+4])
		n := int64(binary.LittleEndian.Uint32(b[pos+4:]))
		if int64(pos)+8+n > int64(len(b)) {
			m.corrupt("WebP %q chunk runs past the end", sanitizeTag(typ))
			return
		}
		d := b[pos+8 : pos+8+int(n)]
		switch typ {
		case "EXIF":
			m.tiff(bytes.TrimPrefix(d, exifHeader))
		case "XMP ":
			m.xmp(d)
		}
		pos += 8 + int(n) + int(n&1)
	}
}

// photoshop reads Photoshop image resource blocks for IPTC data.
func (m *meta) photoshop(b []byte) {
	i := 0
	for i+12 <= len(b) && string(b[i:i+4]) == "8BIM" {
		id := binary.BigEndian.Uint16(b[i+4:])
		nameLen := int(b[i+6])
		j := i + 7 + nameLen
		if (1+nameLen)%2 == 1 {
			j++
		}
		if j+4 > len(b) {
			return
		}
		size := int64(binary.BigEndian.Uint32(b[j:]))
		j += 4
		if size > int64(len(b)-j) {
			return
		}
		if id == 0x0404 {
			m.iptc(b[j : j+int(size)])
		}
		i = j + int(size) + int(size&1)
	}
}

// iptcNames names the IPTC IIM application record (2) datasets read.
var iptcNames = map[byte]string{
	5: "ObjectName", 25: "Keywords", 40: "SpecialInstructions", 55: "DateCreated", 80: "Byline",
	85: "BylineTitle", 90: "City", 92: "Sublocation", 95: "ProvinceState", 101: "Country",
	103: "TransmissionReference", 105: "Headline", 110: "Credit", 115: "Source", 116: "Copyright",
	118: "Contact", 120: "Caption", 122: "Writer",
}

func (m *meta) iptc(b []byte) {
	i := 0
	for i+5 <= len(b) && b[i] == 0x1c && !m.s.full() {
		rec, ds := b[i+1], b[i+2]
		n := int(binary.BigEndian.Uint16(b[i+3:]))
		if n&0x8000 != 0 {
			return // extended length: only used for binary data sets
		}
		i += 5
		if i+n > len(b) {
			return
		}
		if name := iptcNames[ds]; rec == 2 && name != "" {
			m.s.field(name, decodeLatin1OrUTF8(b[i:i+n]))
		}
		i += n
	}
}

// xmpStructural are RDF scaffolding elements; text inside them is named
// after the nearest enclosing property instead.
var xmpStructural = set("RDF", "Description", "Seq", "Bag", "Alt", "li", "xmpmeta", "xapmeta", "value")

// xmp writes the properties of an XMP packet, whether written as elements
// or as attributes, as "property: value". Embedded thumbnails are skipped.
func (m *meta) xmp(b []byte) {
	x := xmlScanner{s: string(b)}
	var stack []string
	for !m.s.full() {
		t, ok := x.next()
		if !ok {
			return
		}
		switch t.kind {
		case xmlStart:
			t.qattrs(func(qname, val string) bool {
				if strings.HasPrefix(qname, "xmlns") || strings.HasPrefix(qname, "rdf:") || strings.HasPrefix(qname, "xml:") ||
					strings.HasPrefix(qname, "x:") {
					return true
				}
				m.s.field(qname[strings.LastIndexByte(qname, ':')+1:], xmlUnescape(val))
				return true
			})
			if !t.self && len(stack) < 64 {
				stack = append(stack, t.name)
			}
		case xmlEnd:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xmlText, xmlCDATA:
			text := t.text
			if t.kind == xmlText {
				text = xmlUnescape(text)
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			name := ""
			for i := len(stack) - 1; i >= 0; i-- {
				if !xmpStructural[stack[i]] {
					name = stack[i]
					break
				}
			}
			if name != "" && name != "image" {
				m.s.field(name, text)
			}
		}
	}
}

// sanitizeTag makes a four-byte chunk type printable for a Detail.
func sanitizeTag(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
