//go:build hyperscan

package dlp

import "testing"

// TestHyperscan: Hyperscan accepts every built-in pattern and finds the
// sample's values.
func TestHyperscan(t *testing.T) {
	h, err := NewHyperscan(Patterns())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if n, err := h.Count([]byte("nothing to see here")); err != nil || n != 0 {
		t.Fatalf("prose: %d matches, %v", n, err)
	}
	n, err := h.Count([]byte("SSN 123-45-6789, mail jane@agency.gov, SECRET//NOFORN, AKIAIOSFODNN7EXAMPLE"))
	if err != nil || n < 4 {
		t.Fatalf("sample: %d matches, %v", n, err)
	}
}
