package extract

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// cursor reads big-endian integers from a byte slice and turns every
// overrun into a sticky bad flag instead of a panic.
type cursor struct {
	b   []byte
	off int
	bad bool
}

func (c *cursor) take(n int) []byte {
	if c.bad || n < 0 || c.off+n > len(c.b) {
		c.bad = true
		return nil
	}
	p := c.b[c.off : c.off+n]
	c.off += n
	return p
}

func (c *cursor) u8() uint64 {
	if p := c.take(1); p != nil {
		return uint64(p[0])
	}
	return 0
}

func (c *cursor) u16() uint64 {
	if p := c.take(2); p != nil {
		return uint64(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (c *cursor) u32() uint64 {
	if p := c.take(4); p != nil {
		return uint64(binary.BigEndian.Uint32(p))
	}
	return 0
}

// sized reads an unsigned integer of 0, 4 or 8 bytes, as ISO-BMFF's iloc
// box declares them.
func (c *cursor) sized(n uint64) uint64 {
	switch n {
	case 0:
		return 0
	case 4:
		return c.u32()
	case 8:
		if p := c.take(8); p != nil {
			return binary.BigEndian.Uint64(p)
		}
		return 0
	}
	c.bad = true
	return 0
}

// cstr reads a NUL-terminated string.
func (c *cursor) cstr() string {
	if c.bad {
		return ""
	}
	i := bytes.IndexByte(c.b[c.off:], 0)
	if i < 0 {
		c.off = len(c.b)
		return ""
	}
	s := string(c.b[c.off : c.off+i])
	c.off += i + 1
	return s
}

// isoBox is one ISO-BMFF box: its type and body.
type isoBox struct {
	typ  string
	body []byte
}

// isoBoxes splits b into boxes; a box whose size runs past the end ends
// the list and is reported through ok.
func isoBoxes(b []byte) (boxes []isoBox, ok bool) {
	pos := 0
	for pos+8 <= len(b) && len(boxes) < 4096 {
		size := uint64(binary.BigEndian.Uint32(b[pos:]))
		typ := string(b[pos+4 : pos+8])
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b) - pos)
		case 1:
			if pos+16 > len(b) {
				return boxes, false
			}
			size, hdr = binary.BigEndian.Uint64(b[pos+8:]), 16
		}
		if size < hdr || size > uint64(len(b)-pos) {
			return boxes, false
		}
		boxes = append(boxes, isoBox{typ: typ, body: b[pos+int(hdr) : pos+int(size)]})
		pos += int(size)
	}
	return boxes, true
}

// heif reads the Exif and XMP items of a HEIF/HEIC/AVIF file: the meta
// box's item list (iinf) says which items they are, its location table
// (iloc) where their bytes are, in the file or in an idat box.
func (m *meta) heif(b []byte) {
	top, ok := isoBoxes(b)
	if !ok {
		m.corrupt("ISO media box runs past the end")
	}
	var metaBody []byte
	for _, bx := range top {
		if bx.typ == "meta" && len(bx.body) >= 4 {
			metaBody = bx.body[4:] // FullBox: version and flags
			break
		}
	}
	if metaBody == nil {
		return
	}
	children, _ := isoBoxes(metaBody)
	var iinf, iloc, idat []byte
	for _, bx := range children {
		switch bx.typ {
		case "iinf":
			iinf = bx.body
		case "iloc":
			iloc = bx.body
		case "idat":
			idat = bx.body
		}
	}
	kinds := heifItems(iinf)
	if len(kinds) == 0 {
		return
	}
	for id, data := range heifLocations(iloc, kinds, b, idat) {
		switch kinds[id] {
		case "Exif":
			// The item starts with the offset of the TIFF header after
			// this 4-byte field, normally 6 to skip "Exif\0\0".
			if len(data) >= 4 {
				if off := uint64(binary.BigEndian.Uint32(data)); off <= uint64(len(data)-4) {
					m.tiff(data[4+off:])
				}
			}
		case "xmp":
			m.xmp(data)
		}
	}
}

// heifItems returns the Exif and XMP item IDs declared in an iinf box.
func heifItems(iinf []byte) map[uint64]string {
	if len(iinf) < 4 {
		return nil
	}
	c := &cursor{b: iinf}
	version := c.u8()
	c.take(3)
	if version == 0 {
		c.u16()
	} else {
		c.u32()
	}
	if c.bad {
		return nil
	}
	entries, _ := isoBoxes(iinf[c.off:])
	kinds := map[uint64]string{}
	for _, e := range entries {
		if e.typ != "infe" {
			continue
		}
		ec := &cursor{b: e.body}
		v := ec.u8()
		ec.take(3)
		if v < 2 {
			continue
		}
		var id uint64
		if v == 2 {
			id = ec.u16()
		} else {
			id = ec.u32()
		}
		ec.u16() // protection index
		typ := string(ec.take(4))
		ec.cstr() // item name
		if ec.bad {
			continue
		}
		switch typ {
		case "Exif":
			kinds[id] = "Exif"
		case "mime":
			if ct := ec.cstr(); strings.Contains(ct, "rdf+xml") || strings.Contains(ct, "xmp") {
				kinds[id] = "xmp"
			}
		}
	}
	return kinds
}

// heifLocations returns the bytes of the wanted items, per the iloc box.
// Items whose extents fall outside the file are left out.
func heifLocations(iloc []byte, want map[uint64]string, file, idat []byte) map[uint64][]byte {
	// iloc field widths depend on the box version and on size nibbles
	// declared in its header; every read goes through the cursor, so a
	// lying header ends the walk instead of reading out of bounds.
	c := &cursor{b: iloc}
	version := c.u8()
	c.take(3)
	sizes := c.u8()
	offSize, lenSize := sizes>>4, sizes&15
	sizes = c.u8()
	baseSize, idxSize := sizes>>4, sizes&15
	var count uint64
	if version < 2 {
		count = c.u16()
	} else {
		count = c.u32()
	}
	out := map[uint64][]byte{}
	for i := uint64(0); i < count && !c.bad; i++ {
		var id uint64
		if version < 2 {
			id = c.u16()
		} else {
			id = c.u32()
		}
		method := uint64(0)
		if version == 1 || version == 2 {
			method = c.u16() & 15
		}
		c.u16() // data reference index
		base := c.sized(baseSize)
		extents := c.u16()
		var data []byte
		owned := false
		for e := uint64(0); e < extents && !c.bad; e++ {
			if (version == 1 || version == 2) && idxSize > 0 {
				c.sized(idxSize)
			}
			off, n := c.sized(offSize), c.sized(lenSize)
			if want[id] == "" {
				continue
			}
			src := file
			if method == 1 {
				src = idat
			} else if method != 0 {
				continue
			}
			start := base + off
			if start > uint64(len(src)) {
				continue
			}
			if n == 0 || n > uint64(len(src))-start {
				n = uint64(len(src)) - start
			}
			switch {
			case data == nil:
				data = src[start : start+n]
			case len(data) < 16<<20:
				if !owned {
					data, owned = bytes.Clone(data), true
				}
				data = append(data, src[start:start+n]...)
			}
		}
		if data != nil {
			out[id] = data
		}
	}
	return out
}
