package transfer

import (
	"reflect"
	"testing"
)

// FuzzParseManifest feeds ParseManifest arbitrary bytes: it must never
// panic, and whatever it accepts must survive encoding and parsing again
// unchanged. Seeds are in testdata/fuzz/FuzzParseManifest.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"steward-transfer-v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		again, err := m.encode()
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		m2, err := ParseManifest(again)
		if err != nil {
			t.Fatalf("an accepted manifest, re-encoded, is refused: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the manifest:\n%+v\n%+v", m, m2)
		}
	})
}
