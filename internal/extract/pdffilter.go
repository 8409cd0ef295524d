package extract

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"io"
)

// maxFilters bounds a stream's filter chain; real files use one or two.
const maxFilters = 8

// decodeStream applies a stream's filters. Expanding filters run through
// walker.expand, so every byte they produce is bounded and counted, and
// the ratio is taken against the stream's raw length whatever the chain.
// A decoding error with some output keeps the output: damaged Flate data
// at the end of a content stream is common and the text before it is
// good.
func (d *pdfDoc) decodeStream(s *pdfStream) ([]byte, *failure) {
	filters, parms := d.filterChain(s.dict)
	if len(filters) > maxFilters {
		return nil, fail(Unsupported, "object %d: %d stream filters", s.num, len(filters))
	}
	data := s.raw
	raw := int64(len(s.raw))
	if raw == 0 {
		return nil, nil // an empty stream, whatever its filters
	}
	if d.crypt != nil && s.fromFile && d.crypt.streamEncrypted(s.dict, filters, d) {
		data = d.crypt.decrypt(data, s.num, s.gen, d.crypt.stm)
	}
	for i, f := range filters {
		parm := asDict(d.resolve(parms[i]))
		var r io.Reader
		switch f {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				// Some writers omit the zlib header: try raw deflate.
				r = flate.NewReader(bytes.NewReader(data))
			} else {
				r = zr
			}
		case "LZWDecode", "LZW":
			early := 1
			if v, ok := asInt(d.resolve(parm["EarlyChange"])); ok && v == 0 {
				early = 0
			}
			r = &lzwReader{src: data, early: early, width: 9, next: 258, prev: -1}
		case "RunLengthDecode", "RL":
			r = &runLengthReader{src: data}
		case "ASCIIHexDecode", "AHx":
			data = asciiHexDecode(data)
			continue
		case "ASCII85Decode", "A85":
			data = ascii85Decode(data)
			continue
		case "Crypt":
			// Decryption, if any, happened above: only Identity and the
			// document's default filter are supported.
			continue
		default:
			// DCT, JPX, CCITT and JBIG2 hold pictures, never text.
			return nil, fail(Unsupported, "object %d: stream filter %s", s.num, sanitizeTag(string(f)))
		}
		out, fl, rerr := d.w.expand(r, raw, 0)
		if fl != nil {
			fl.detail = "object " + itoa(int(s.num)) + ": " + fl.detail
			return nil, fl
		}
		if rerr != nil && len(out) == 0 {
			return nil, fail(Corrupt, "object %d: undecodable %s stream", s.num, f)
		}
		data = applyPredictor(out, parm)
	}
	return data, nil
}

func (d *pdfDoc) filterChain(dict pdfDict) ([]pdfName, []any) {
	fv := d.resolve(dict["Filter"])
	pv := d.resolve(dict["DecodeParms"])
	if pv == nil {
		pv = d.resolve(dict["DP"])
	}
	var filters []pdfName
	var parms []any
	switch f := fv.(type) {
	case pdfName:
		filters = []pdfName{f}
		parms = []any{pv}
	case []any:
		pa, _ := pv.([]any)
		for i, x := range f {
			filters = append(filters, asName(d.resolve(x)))
			if i < len(pa) {
				parms = append(parms, pa[i])
			} else {
				parms = append(parms, nil)
			}
		}
	}
	return filters, parms
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// applyPredictor undoes a TIFF (2) or PNG (10-15) predictor. Unsupported
// parameters return the data unchanged.
func applyPredictor(data []byte, parm pdfDict) []byte {
	pred, _ := asInt(parm["Predictor"])
	if pred < 2 {
		return data
	}
	colors, bpc, columns := int64(1), int64(8), int64(1)
	if v, ok := asInt(parm["Colors"]); ok && v >= 1 && v <= 32 {
		colors = v
	}
	if v, ok := asInt(parm["BitsPerComponent"]); ok && (v == 1 || v == 2 || v == 4 || v == 8 || v == 16) {
		bpc = v
	}
	if v, ok := asInt(parm["Columns"]); ok && v >= 1 && v <= 1<<20 {
		columns = v
	}
	// PNG predictors prefix each row with a filter type and predict each
	// byte from the one bpp bytes to its left and the one above; the TIFF
	// predictor has no prefix and only horizontal differences.
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*columns + 7) / 8)
	if pred == 2 {
		if bpc != 8 {
			return data
		}
		for row := 0; row+rowLen <= len(data); row += rowLen {
			for i := bpp; i < rowLen; i++ {
				data[row+i] += data[row+i-bpp]
			}
		}
		return data
	}
	out := make([]byte, 0, len(data))
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	for pos := 0; pos < len(data); pos += rowLen + 1 {
		ft := data[pos]
		row := data[pos+1 : min(pos+1+rowLen, len(data))]
		clear(cur)
		copy(cur, row)
		for i := range rowLen {
			var left, upLeft byte
			if i >= bpp {
				left, upLeft = cur[i-bpp], prev[i-bpp]
			}
			up := prev[i]
			switch ft {
			case 1:
				cur[i] += left
			case 2:
				cur[i] += up
			case 3:
				cur[i] += byte((int(left) + int(up)) / 2)
			case 4:
				cur[i] += paeth(left, up, upLeft)
			}
		}
		out = append(out, cur[:len(row)]...)
		prev, cur = cur, prev
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func asciiHexDecode(src []byte) []byte {
	out := make([]byte, 0, len(src)/2)
	var hi byte
	half := false
	for _, c := range src {
		if c == '>' {
			break
		}
		if !isHex(c) {
			continue
		}
		if half {
			out = append(out, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

func ascii85Decode(src []byte) []byte {
	src = bytes.TrimPrefix(bytes.TrimLeft(src, " \t\r\n\f\x00"), []byte("<~"))
	out := make([]byte, 0, len(src)*4/5+4)
	var group [5]byte
	n := 0
	flush := func(k int) bool {
		var v uint64
		for i := range 5 {
			v = v*85 + uint64(group[i]-'!')
		}
		if v > 0xffffffff {
			return false
		}
		b := [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		out = append(out, b[:k]...)
		return true
	}
	for _, c := range src {
		switch {
		case c == '~':
			goto end
		case c == 'z' && n == 0: // shorthand for four zero bytes
			out = append(out, 0, 0, 0, 0)
		case c >= '!' && c <= 'u':
			group[n] = c
			n++
			if n == 5 {
				if !flush(4) {
					return out
				}
				n = 0
			}
		}
	}
end:
	if n > 1 {
		for i := n; i < 5; i++ {
			group[i] = 'u'
		}
		flush(n - 1)
	}
	return out
}

// runLengthReader decodes RunLengthDecode data.
type runLengthReader struct {
	src []byte
	pos int
	run int  // bytes left in the current repeat run
	lit int  // bytes left in the current literal run
	b   byte // the repeated byte
}

func (r *runLengthReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case r.run > 0:
			k := min(r.run, len(p)-n)
			for i := range k {
				p[n+i] = r.b
			}
			n += k
			r.run -= k
		case r.lit > 0:
			k := copy(p[n:], r.src[r.pos:r.pos+min(r.lit, len(p)-n)])
			n += k
			r.pos += k
			r.lit -= k
		default:
			if r.pos >= len(r.src) || r.src[r.pos] == 128 {
				if n == 0 {
					return 0, io.EOF
				}
				return n, nil
			}
			l := int(r.src[r.pos])
			r.pos++
			if l < 128 {
				r.lit = min(l+1, len(r.src)-r.pos)
			} else if r.pos < len(r.src) {
				r.run, r.b = 257-l, r.src[r.pos]
				r.pos++
			} else {
				r.pos = len(r.src)
			}
		}
	}
	return n, nil
}

// lzwReader decodes PDF's LZW variant: most significant bit first, codes
// of 9 to 12 bits, 256 clears and 257 ends, and by default the code width
// grows one code early (EarlyChange 1). compress/lzw implements neither
// the early change nor, for this purpose, the clear code's reset.
type lzwReader struct {
	src     []byte
	bit     int
	early   int
	width   int
	next    int
	prev    int
	done    bool
	err     error
	prefix  [4096]int16
	suffix  [4096]byte
	length  [4096]int16
	pending []byte
	buf     []byte
}

func (z *lzwReader) code() (int, bool) {
	if z.bit+z.width > len(z.src)*8 {
		return 0, false
	}
	v := 0
	for range z.width {
		v = v<<1 | int(z.src[z.bit>>3]>>(7-z.bit&7)&1)
		z.bit++
	}
	return v, true
}

// str writes the string of code into z.buf.
func (z *lzwReader) str(code int) []byte {
	if code < 256 {
		z.buf = append(z.buf[:0], byte(code))
		return z.buf
	}
	n := int(z.length[code])
	if cap(z.buf) < n {
		z.buf = make([]byte, n, 4096)
	}
	z.buf = z.buf[:n]
	for i := n - 1; i >= 0; i-- {
		if code < 256 {
			z.buf[i] = byte(code)
			break
		}
		z.buf[i] = z.suffix[code]
		code = int(z.prefix[code])
	}
	return z.buf
}

func (z *lzwReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(z.pending) > 0 {
			k := copy(p[n:], z.pending)
			z.pending = z.pending[k:]
			n += k
			continue
		}
		if z.done {
			break
		}
		c, ok := z.code()
		if !ok {
			z.done = true
			break
		}
		switch {
		case c == 256:
			z.width, z.next, z.prev = 9, 258, -1
			continue
		case c == 257:
			z.done = true
			continue
		}
		var entry []byte
		switch {
		case c < z.next && (c < 256 || z.length[c] > 0):
			entry = z.str(c)
		case c == z.next && z.prev >= 0:
			entry = z.str(z.prev)
			entry = append(entry, entry[0])
			z.buf = entry
		default:
			z.done, z.err = true, errTruncated
			continue
		}
		if z.prev >= 0 && z.next < 4096 {
			z.prefix[z.next] = int16(z.prev)
			z.suffix[z.next] = entry[0]
			plen := 1
			if z.prev >= 256 {
				plen = int(z.length[z.prev])
			}
			z.length[z.next] = int16(plen + 1)
			z.next++
		}
		z.prev = c
		// With EarlyChange the width grows one code before the table
		// needs it, as the original Acrobat encoder did.
		if z.next+z.early >= 1<<z.width && z.width < 12 {
			z.width++
		}
		z.pending = entry
	}
	if n == 0 && z.done {
		if z.err != nil {
			return 0, z.err
		}
		return 0, io.EOF
	}
	return n, nil
}
