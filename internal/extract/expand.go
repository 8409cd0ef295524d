package extract

import (
	"errors"
	"io"
)

// expand reads a decompressing reader to its end within three bounds: the
// output may not exceed MaxInput (it is a file in its own right), nor
// MaxRatio times the compressed size once past ratioGrace, nor what is left
// of the whole input's MaxExpanded budget. Every byte produced is charged
// to that budget, so a bomb cannot be retried cheaply.
//
// compressed is the number of input bytes behind r; hint, if positive, is
// the size the container declares, used only to size the buffer. The
// failure is non-nil when a bound was hit (data is then incomplete); rerr is
// a decoding error, with data holding what was decoded before it.
func (w *walker) expand(r io.Reader, compressed, hint int64) (data []byte, f *failure, rerr error) {
	ratioCap := int64(ratioGrace)
	if compressed > 0 && compressed <= (1<<62)/int64(w.lim.MaxRatio) && compressed*int64(w.lim.MaxRatio) > ratioCap {
		ratioCap = compressed * int64(w.lim.MaxRatio)
	}
	limit := min(w.lim.MaxInput, ratioCap, max(w.expandLeft, 0))

	size := int64(64 << 10)
	if hint > 0 {
		size = hint + 1 // +1 so that reaching EOF needs no growth
	}
	buf := make([]byte, 0, min(size, limit+1))
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			next := min(int64(cap(buf))*2+512, limit+1)
			nb := make([]byte, len(buf), next)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	w.expandLeft -= int64(len(buf))
	if int64(len(buf)) <= limit {
		return buf, nil, rerr
	}
	switch limit {
	case w.lim.MaxInput:
		return buf[:limit], fail(TooLarge, "expands beyond the limit of %d bytes", w.lim.MaxInput), nil
	case ratioCap:
		return buf[:limit], fail(Bomb, "expands more than %d:1 (%d compressed bytes)", w.lim.MaxRatio, compressed), nil
	default:
		// The whole input is spent; nothing after this can be read.
		w.stopped = true
		return buf[:limit], fail(Bomb, "total expansion exceeds %d bytes", w.lim.MaxExpanded), nil
	}
}

// errTruncated marks a decoder that ran out of input mid-stream.
var errTruncated = errors.New("unexpected end of data")
