package keys

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestXAESVectors checks the XAES-256-GCM derivation against the C2SP
// specification's published test vectors.
func TestXAESVectors(t *testing.T) {
	for _, v := range []struct{ key, aad, want string }{
		{"0101010101010101010101010101010101010101010101010101010101010101", "", "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"},
		{"0303030303030303030303030303030303030303030303030303030303030303", "c2sp.org/XAES-256-GCM", "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"},
	} {
		key, _ := hex.DecodeString(v.key)
		nonce := []byte("ABCDEFGHIJKLMNOPQRSTUVWX")
		aead, err := newXAES(key).aead(nonce)
		if err != nil {
			t.Fatal(err)
		}
		got := aead.Seal(nil, nonce[12:], []byte("XAES-256-GCM"), []byte(v.aad))
		want, _ := hex.DecodeString(v.want)
		if !bytes.Equal(got, want) {
			t.Errorf("key %s…: got %x, want %x", v.key[:4], got, want)
		}
	}
}
