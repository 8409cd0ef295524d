package fra_test

import (
	"bytes"
	"testing"

	"github.com/steward-gov/steward/internal/fra"
)

// FuzzParse feeds Parse arbitrary text: it must never panic, and what it
// accepts must be exactly what Encode writes for the result. Seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	text, err := fra.Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(text)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := fra.Parse(data)
		if err != nil {
			return
		}
		again, err := fra.Encode(r)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted a text that does not re-encode to itself: %v\n%q\n%q", err, data, again)
		}
	})
}
