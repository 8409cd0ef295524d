package dlp

import "testing"

// TestMayTrigger: the word test agrees with a byte-wise reading for every
// pair of byte values, in every pair of positions, and every byte of a
// non-zero class triggers it.
func TestMayTrigger(t *testing.T) {
	want := func(b byte) bool { return b >= 0x30 && b <= 0x55 || b == '(' || b == '+' || b == '-' }
	for b := range 256 {
		if classOf[b] != 0 && !want(byte(b)) {
			t.Fatalf("class of %#x is %d, but mayTrigger would skip it", b, classOf[b])
		}
	}
	for a := range 256 {
		for b := range 256 {
			for p := range 8 {
				for q := range 8 {
					var w [8]byte
					for i := range w {
						w[i] = 'e'
					}
					w[p], w[q] = byte(a), byte(b)
					var x uint64
					for i := range w {
						x |= uint64(w[i]) << (8 * i)
					}
					exp := false
					for _, c := range w {
						exp = exp || want(c)
					}
					if mayTrigger(x) != exp {
						t.Fatalf("mayTrigger(% x) = %v", w, !exp)
					}
				}
			}
		}
	}
}

// TestNextAnchor: nextAnchor finds the first byte of non-zero class.
func TestNextAnchor(t *testing.T) {
	text := "the quick, brown. fox jumps over the lazy dog " + "x(S)" + " and 12"
	for i := range len(text) + 1 {
		want := i
		for want < len(text) && classOf[text[want]] == 0 {
			want++
		}
		if got := nextAnchor(text, i); got != want {
			t.Fatalf("nextAnchor(%d) = %d, want %d", i, got, want)
		}
	}
}
