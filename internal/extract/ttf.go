package extract

import "encoding/binary"

// maxCmapCodes bounds the character codes walked in one TrueType cmap
// subtable; Unicode has 1.1 million, fonts map a few thousand.
const maxCmapCodes = 1 << 17

// trueTypeGlyphText reads an embedded TrueType font's cmap table and
// returns the text of each glyph ID: the inverse of the character to
// glyph mapping, lowest character first. PDF writers that omit ToUnicode
// for Identity-encoded TrueType fonts (iText, some report generators)
// leave this as the only way to read their text. It returns nil when the
// font has no Unicode or Mac Roman cmap.
func trueTypeGlyphText(font []byte) map[uint16]rune {
	if len(font) < 12 {
		return nil
	}
	be := binary.BigEndian
	n := int(be.Uint16(font[4:]))
	var cmap []byte
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(font) {
			return nil
		}
		if string(font[rec:rec+4]) == "cmap" {
			off, length := uint64(be.Uint32(font[rec+8:])), uint64(be.Uint32(font[rec+12:]))
			if off+length > uint64(len(font)) || length < 4 {
				return nil
			}
			cmap = font[off : off+length]
			break
		}
	}
	if cmap == nil {
		return nil
	}
	// Prefer full Unicode, then the BMP, then Mac Roman.
	var best []byte
	bestRank, mac := 0, false
	for i := range int(be.Uint16(cmap[2:])) {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			break
		}
		pid, eid, off := be.Uint16(cmap[rec:]), be.Uint16(cmap[rec+2:]), uint64(be.Uint32(cmap[rec+4:]))
		if off+4 > uint64(len(cmap)) {
			continue
		}
		rank := 0
		switch {
		case pid == 3 && eid == 10, pid == 0 && eid >= 4:
			rank = 4
		case pid == 3 && eid == 1, pid == 0:
			rank = 3
		case pid == 1 && eid == 0:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank, mac = cmap[off:], rank, pid == 1
		}
	}
	if best == nil {
		return nil
	}
	out := map[uint16]rune{}
	add := func(code uint32, gid uint32) {
		if gid == 0 || gid > 0xffff {
			return
		}
		r := rune(code)
		if mac {
			if code > 0xff {
				return
			}
			r = macRomanEnc[code]
		}
		if _, seen := out[uint16(gid)]; !seen && r != 0 {
			out[uint16(gid)] = r
		}
	}
	walked := 0
	switch be.Uint16(best) {
	case 0: // byte encoding table
		if len(best) >= 6+256 {
			for c := range 256 {
				add(uint32(c), uint32(best[6+c]))
			}
		}
	case 4: // segment mapping to delta values
		// Parallel arrays of segment ends, starts, deltas and range
		// offsets; a non-zero range offset points, relative to its own
		// position, into the glyph array that follows.
		if len(best) < 14 {
			return nil
		}
		segs := int(be.Uint16(best[6:])) / 2
		ends, starts := 14, 16+2*segs
		deltas, ranges := starts+2*segs, starts+4*segs
		if ranges+2*segs > len(best) {
			return nil
		}
		for s := range segs {
			end, start := uint32(be.Uint16(best[ends+2*s:])), uint32(be.Uint16(best[starts+2*s:]))
			delta, ro := uint32(be.Uint16(best[deltas+2*s:])), int(be.Uint16(best[ranges+2*s:]))
			for c := start; c <= end && c != 0xffff && walked < maxCmapCodes; c++ {
				walked++
				if ro == 0 {
					add(c, (c+delta)&0xffff)
					continue
				}
				at := ranges + 2*s + ro + 2*int(c-start)
				if at+2 > len(best) {
					break
				}
				if g := uint32(be.Uint16(best[at:])); g != 0 {
					add(c, (g+delta)&0xffff)
				}
			}
		}
	case 6: // trimmed table
		if len(best) < 10 {
			return nil
		}
		first, count := uint32(be.Uint16(best[6:])), int(be.Uint16(best[8:]))
		for i := 0; i < count && 10+2*i+2 <= len(best); i++ {
			add(first+uint32(i), uint32(be.Uint16(best[10+2*i:])))
		}
	case 12: // segmented coverage
		if len(best) < 16 {
			return nil
		}
		groups := uint64(be.Uint32(best[12:]))
		for g := uint64(0); g < groups && 16+12*g+12 <= uint64(len(best)); g++ {
			p := best[16+12*g:]
			start, end, gid := be.Uint32(p), be.Uint32(p[4:]), be.Uint32(p[8:])
			for c := start; c <= end && c <= 0x10ffff && walked < maxCmapCodes; c++ {
				walked++
				add(c, gid+(c-start))
			}
		}
	}
	return out
}
