package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// TIFF/EXIF tags whose values are text worth scanning, by IFD.
var (
	ifd0Tags = map[uint16]string{
		0x010d: "DocumentName", 0x010e: "ImageDescription", 0x010f: "Make", 0x0110: "Model",
		0x0131: "Software", 0x0132: "DateTime", 0x013b: "Artist", 0x013c: "HostComputer",
		0x8298: "Copyright", 0x9c9b: "XPTitle", 0x9c9c: "XPComment", 0x9c9d: "XPAuthor",
		0x9c9e: "XPKeywords", 0x9c9f: "XPSubject",
	}
	exifTags = map[uint16]string{
		0x9003: "DateTimeOriginal", 0x9286: "UserComment", 0xa420: "ImageUniqueID",
		0xa430: "CameraOwnerName", 0xa431: "BodySerialNumber", 0xa433: "LensMake",
		0xa434: "LensModel", 0xa435: "LensSerialNumber",
	}
)

const (
	tagExifIFD = 0x8769
	tagGPSIFD  = 0x8825
	tagXMP     = 0x02bc
	tagIPTC    = 0x83bb
)

// maxIFDs bounds the IFDs read from one TIFF structure, whatever its
// pointers say; real files have three or four.
const maxIFDs = 16

type tiffReader struct {
	m    *meta
	b    []byte
	bo   binary.ByteOrder
	seen map[uint32]bool
}

// tiff reads a TIFF structure, the body of EXIF: IFD0 and its chain, the
// EXIF and GPS sub-IFDs, and XMP or IPTC blocks embedded as tags. Bad
// offsets and counts are skipped, not reported: camera firmware writes
// plenty of them, and what they point at is not text.
func (m *meta) tiff(b []byte) {
	if len(b) < 8 {
		return
	}
	t := &tiffReader{m: m, b: b, seen: map[uint32]bool{}}
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return
	}
	if t.bo.Uint16(b[2:]) != 42 {
		return
	}
	off := t.bo.Uint32(b[4:])
	for range 4 { // IFD0, then the thumbnail's IFD1 and rare successors
		if off == 0 {
			return
		}
		off = t.ifd(off, ifd0Tags)
	}
}

// tiffEntry is one IFD entry with its value bytes resolved.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	val      []byte
}

var tiffTypeSize = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

// ifd reads the IFD at off and returns the offset of the next one.
func (t *tiffReader) ifd(off uint32, names map[uint16]string) uint32 {
	if t.seen[off] || len(t.seen) >= maxIFDs || int64(off)+2 > int64(len(t.b)) {
		return 0
	}
	t.seen[off] = true
	n := int(t.bo.Uint16(t.b[off:]))
	pos := int(off) + 2
	if pos+12*n > len(t.b) {
		n = (len(t.b) - pos) / 12
	}
	for i := 0; i < n && !t.m.s.full(); i++ {
		e, ok := t.entry(t.b[pos+12*i : pos+12*i+12])
		if !ok {
			continue
		}
		switch e.tag {
		case tagExifIFD:
			if names != nil {
				t.ifd(t.u32(e), exifTags)
			}
		case tagGPSIFD:
			if names != nil {
				t.gps(t.u32(e))
			}
		case tagXMP:
			t.m.xmp(e.val)
		case tagIPTC:
			t.m.iptc(e.val)
		default:
			if name := names[e.tag]; name != "" {
				t.m.s.field(name, t.text(e))
			}
		}
	}
	end := pos + 12*n
	if end+4 > len(t.b) {
		return 0
	}
	return t.bo.Uint32(t.b[end:])
}

func (t *tiffReader) entry(raw []byte) (tiffEntry, bool) {
	e := tiffEntry{tag: t.bo.Uint16(raw), typ: t.bo.Uint16(raw[2:]), count: t.bo.Uint32(raw[4:])}
	if int(e.typ) >= len(tiffTypeSize) || tiffTypeSize[e.typ] == 0 {
		return e, false
	}
	size := uint64(e.count) * uint64(tiffTypeSize[e.typ])
	if size <= 4 {
		e.val = raw[8 : 8+size]
		return e, true
	}
	off := uint64(t.bo.Uint32(raw[8:]))
	if off+size > uint64(len(t.b)) {
		return e, false
	}
	e.val = t.b[off : off+size]
	return e, true
}

func (t *tiffReader) u32(e tiffEntry) uint32 {
	switch {
	case len(e.val) >= 4 && (e.typ == 4 || e.typ == 13 || e.typ == 9):
		return t.bo.Uint32(e.val)
	case len(e.val) >= 2 && e.typ == 3:
		return uint32(t.bo.Uint16(e.val))
	}
	return 0
}

// text renders a text-bearing tag: ASCII strings, the UTF-16LE XP* tags
// Windows writes, and UserComment with its 8-byte character code.
func (t *tiffReader) text(e tiffEntry) string {
	v := e.val
	switch {
	case e.tag >= 0x9c9b && e.tag <= 0x9c9f:
		// Windows Explorer's XP* tags are UTF-16LE in BYTE entries,
		// whatever the file's byte order.
		return strings.TrimRight(decodeUTF16(v, binary.LittleEndian), "\x00")
	case e.tag == 0x9286 && len(v) >= 8:
		// UserComment starts with an 8-byte character code. "UNICODE" is
		// UTF-16 in the file's byte order by the standard, though some
		// writers add a byte order mark; JIS text is not decoded.
		code, body := string(v[:8]), v[8:]
		switch {
		case strings.HasPrefix(code, "UNICODE"):
			bo := t.bo
			if bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
				bo, body = binary.LittleEndian, body[2:]
			} else if bytes.HasPrefix(body, []byte{0xfe, 0xff}) {
				bo, body = binary.BigEndian, body[2:]
			}
			return strings.TrimRight(decodeUTF16(body, bo), "\x00 ")
		case strings.HasPrefix(code, "JIS"):
			return ""
		}
		v = body
	case e.typ != 2 && e.typ != 1 && e.typ != 7:
		return ""
	}
	return decodeLatin1OrUTF8(bytes.TrimRight(v, "\x00 "))
}

// gps writes the position as signed decimal degrees, plus altitude and
// the GPS time stamp.
func (t *tiffReader) gps(off uint32) {
	if t.seen[off] || len(t.seen) >= maxIFDs || int64(off)+2 > int64(len(t.b)) {
		return
	}
	t.seen[off] = true
	n := int(t.bo.Uint16(t.b[off:]))
	pos := int(off) + 2
	if pos+12*n > len(t.b) {
		n = (len(t.b) - pos) / 12
	}
	var latRef, lonRef, date string
	var lat, lon, alt, clock []float64
	altBelow := false
	for i := 0; i < n; i++ {
		e, ok := t.entry(t.b[pos+12*i : pos+12*i+12])
		if !ok {
			continue
		}
		switch e.tag {
		case 1:
			latRef = string(bytes.TrimRight(e.val, "\x00"))
		case 2:
			lat = t.rationals(e)
		case 3:
			lonRef = string(bytes.TrimRight(e.val, "\x00"))
		case 4:
			lon = t.rationals(e)
		case 5:
			altBelow = len(e.val) > 0 && e.val[0] == 1
		case 6:
			alt = t.rationals(e)
		case 7:
			clock = t.rationals(e)
		case 0x1d:
			date = string(bytes.TrimRight(e.val, "\x00"))
		}
	}
	if la, ok := degrees(lat, latRef, "S"); ok {
		if lo, ok := degrees(lon, lonRef, "W"); ok {
			t.m.s.field("GPSPosition", fmt.Sprintf("%.6f, %.6f", la, lo))
		}
	}
	if len(alt) == 1 {
		if altBelow {
			alt[0] = -alt[0]
		}
		t.m.s.field("GPSAltitude", fmt.Sprintf("%.1f m", alt[0]))
	}
	stamp := decodeLatin1OrUTF8([]byte(date))
	if len(clock) == 3 {
		stamp += fmt.Sprintf(" %02d:%02d:%02d", int(clock[0]), int(clock[1]), int(clock[2]))
	}
	t.m.s.field("GPSTimeStamp", stamp)
}

func degrees(dms []float64, ref, negative string) (float64, bool) {
	if len(dms) != 3 {
		return 0, false
	}
	d := dms[0] + dms[1]/60 + dms[2]/3600
	if math.IsNaN(d) || math.IsInf(d, 0) || d > 180 {
		return 0, false
	}
	if strings.EqualFold(strings.TrimSpace(ref), negative) {
		d = -d
	}
	return d, true
}

func (t *tiffReader) rationals(e tiffEntry) []float64 {
	if e.typ != 5 && e.typ != 10 {
		return nil
	}
	var out []float64
	for i := 0; i+8 <= len(e.val) && len(out) < 3; i += 8 {
		num, den := t.bo.Uint32(e.val[i:]), t.bo.Uint32(e.val[i+4:])
		if den == 0 {
			return nil
		}
		if e.typ == 10 {
			out = append(out, float64(int32(num))/float64(int32(den)))
		} else {
			out = append(out, float64(num)/float64(den))
		}
	}
	return out
}
