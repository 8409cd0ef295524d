package dlp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Exact data match (EDM) finds known sensitive values, such as an agency's
// own case numbers, without Steward ever holding them in the clear:
//
//  1. The agency normalizes and hashes each value on its own machine:
//     ClientHash(value), which `steward dlp edm-hash` prints.
//  2. Steward keys each uploaded hash with its secret EDM key and stores
//     only the result, EDMDigest(key, hash), so that a leaked database
//     cannot be checked against guessed values without the key.
//  3. A scan cuts candidates with the detector's Pattern, and reports a
//     candidate whose EDMDigest(key, ClientHash(candidate)) is stored.
//
// The same keyed digest of a matched value is what a reviewer's "suppress
// this value" stores (Scanner.ValueDigest).

// NormalizeEDM is the form in which values are hashed, so that a value
// matches however it is written. It
//
//  1. lower-cases s (strings.ToLower: Unicode simple case mapping; invalid
//     UTF-8 becomes U+FFFD),
//  2. trims white space and collapses each inner run of white space
//     (unicode.IsSpace) to one ASCII space, and
//  3. if what is left consists of ASCII digits, '-' and spaces and holds
//     at least one digit, drops the '-' and the spaces, so that
//     "123-45-6789", "123 45 6789" and "123456789" are one value.
//
// It does not apply Unicode normalization (NFC) or strip punctuation
// other than those '-' in digit-only values.
func NormalizeEDM(s string) string {
	s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '-' || c == ' ':
		default:
			return s
		}
	}
	if digits == 0 {
		return s
	}
	return digitsOf(s)
}

// ClientHash is the SHA-256 of NormalizeEDM(value): what an agency
// computes and uploads instead of the value.
func ClientHash(value string) [32]byte { return sha256.Sum256([]byte(NormalizeEDM(value))) }

// EDMDigest is HMAC-SHA256 of clientHash under key: what Steward stores
// for an uploaded client hash and compares scans against.
func EDMDigest(key []byte, clientHash [32]byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(clientHash[:])
	return m.Sum(nil)
}

// ValueDigest returns the hex EDMDigest of value under the scanner's key,
// EDMDigest(key, ClientHash(value)): a stable name for a matched value
// that does not reveal it, which suppressions of a value store. It
// returns "" when the scanner was compiled without a key.
func (s *Scanner) ValueDigest(value string) string {
	if len(s.key) == 0 {
		return ""
	}
	return hex.EncodeToString(EDMDigest(s.key, ClientHash(value)))
}
