// Package keys provides Steward's key-encryption keys (KEKs) and the
// envelope encryption of archive records under per-record data keys.
//
// Every record's content is sealed with AES-256-GCM under a fresh 32-byte
// data key (DEK); the DEK is wrapped by a KEK and stored beside the record.
// Destroying the wrapped DEK (crypto-shredding) makes the content
// unreadable for good, which is how disposition works.
//
// # Key sources
//
// Operators configure exactly one source of KEKs, all in the same text
// format (see ParseKeyring):
//
//   - a key file, read by LoadFile and created on first start by CreateFile;
//   - the STEWARD_KEK environment variable, which the caller passes to
//     ParseKeyring (newlines separate keys there too).
//
// A key is 32 random bytes in standard base64, for example the output of
// `head -c 32 /dev/urandom | base64`. Keys are never compiled in and never
// logged; errors name lines and key ids, never key material.
//
// # Rotation
//
// The last key in the text is current: new data keys are wrapped under it.
// Older keys stay so that records wrapped under them still open. To rotate,
// append a new key and restart; never remove a key while records wrapped
// under it are retained.
//
// A KEK wraps one DEK per record, hundreds of millions over its life. Plain
// AES-GCM with random 96-bit nonces would allow only 2^32 wraps per KEK
// (NIST SP 800-38D), about 40 hours at 30,000 captures a second. So wraps
// use XAES-256-GCM (C2SP xaes-256-gcm): a 192-bit random nonce, from whose
// first half a one-time AES-256-GCM key is derived with the KEK, so the
// number of wraps per KEK has no practical bound. The derivation costs two
// AES block operations, which keeps Wrap cheap on the capture hot path.
package keys

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/steward-gov/steward/internal/steward"
)

// KeySize is the size of every key this package handles, KEKs and DEKs
// alike: AES-256.
const KeySize = 32

// Keyring is a steward.KeyWrapper backed by KEKs held in memory: one current
// KEK that wraps, and older ones that still unwrap.
//
// A Keyring is immutable once built, so it is safe for concurrent use.
type Keyring struct {
	current string
	wrap    *xaes            // the current KEK
	keks    map[string]*xaes // every KEK by id, current included
	ids     []string         // ids in configured order, oldest first
	// root is the HKDF pseudorandom key extracted from the oldest KEK,
	// from which DeriveKey expands keys for other purposes.
	root []byte
}

var _ steward.KeyWrapper = (*Keyring)(nil)

// ParseKeyring builds a Keyring from text holding one key per line, either
//
//	BASE64
//	ID:BASE64
//
// where BASE64 is the standard base64 encoding of exactly 32 bytes and ID is
// 1 to 64 letters, digits, '.', '_' or '-'. A key without an ID is named
// "kek-" followed by the hex of the first 8 bytes of its SHA-256. Blank
// lines and text from '#' to the end of a line are ignored. The last key is
// current.
//
// Returns Invalid, naming the offending line but never its content, if a
// line is malformed, two keys share an id, or there is no key at all.
func ParseKeyring(text string) (*Keyring, error) {
	b := []byte(text)
	defer Zero(b)
	return parse("keys.ParseKeyring", "key text", b)
}

// parse does ParseKeyring's work on bytes, which callers that read a file
// can zero afterwards. source names the text in messages: "key text" or
// "key file PATH".
func parse(op steward.Op, source string, src []byte) (*Keyring, error) {
	k := &Keyring{keks: make(map[string]*xaes)}
	lineOf := make(map[string]int)
	for i, line := range bytes.Split(src, []byte("\n")) {
		n := i + 1
		if j := bytes.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		label, b64, labeled := bytes.Cut(line, []byte(":"))
		if !labeled {
			b64, label = label, nil
		}
		b64 = bytes.TrimSpace(b64)
		if labeled {
			// The label is not echoed: an operator who pasted a key on the
			// wrong side of the colon must not find it in a log.
			label = bytes.TrimSpace(label)
			if !validID(label) {
				return nil, steward.Errorf(op, steward.Invalid,
					"%s, line %d: key id must be 1 to 64 letters, digits, '.', '_' or '-'", source, n)
			}
		}
		key, err := decodeKey(b64)
		if err != nil {
			return nil, steward.Errorf(op, steward.Invalid, "%s, line %d: %s", source, n, err.Error())
		}
		id := string(label)
		if id == "" {
			id = DeriveID(key)
		}
		if prev, dup := lineOf[id]; dup {
			return nil, steward.Errorf(op, steward.Invalid, "%s, line %d: key id is already used on line %d", source, n, prev)
		}
		lineOf[id] = n
		x := newXAES(key)
		if k.root == nil {
			prk, err := hkdf.Extract(sha256.New, key, []byte("steward derived keys v1"))
			if err != nil {
				panic("keys: HKDF extract cannot fail: " + err.Error())
			}
			k.root = prk
		}
		Zero(key)
		k.keks[id] = x
		k.ids = append(k.ids, id)
		k.current, k.wrap = id, x
	}
	if len(k.ids) == 0 {
		return nil, steward.Errorf(op, steward.Invalid, "%s holds no key", source)
	}
	return k, nil
}

// decodeKey decodes one base64 key. Its errors are safe to show: they say
// what is wrong, not what the text was.
func decodeKey(b64 []byte) ([]byte, error) {
	key := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(key, b64)
	if err != nil {
		Zero(key)
		return nil, fmt.Errorf("key is not valid standard base64")
	}
	if n != KeySize {
		Zero(key)
		return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, n)
	}
	return key[:n], nil
}

func validID(id []byte) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// DeriveID returns the id of an unlabelled key: "kek-" and the hex of the
// first 8 bytes of its SHA-256. Revealing 64 bits of a hash of a 256-bit
// random key tells nothing useful about the key.
func DeriveID(key []byte) string {
	sum := sha256.Sum256(key)
	return "kek-" + hex.EncodeToString(sum[:8])
}

// wrapVersion prefixes every wrapped key, so the format can change later
// without guessing. Version 1 is XAES-256-GCM.
const wrapVersion = 1

// xaesNonceSize is XAES-256-GCM's nonce size.
const xaesNonceSize = 24

// xaes is one KEK prepared for XAES-256-GCM: its AES block cipher and the
// CMAC subkey K1 that the key derivation uses.
type xaes struct {
	block cipher.Block
	k1    [aes.BlockSize]byte
}

func newXAES(key []byte) *xaes {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("keys: " + err.Error()) // unreachable: callers check the size
	}
	x := &xaes{block: block}
	// K1 = L << 1, reduced by 0x87 if the top bit of L = AES_K(0^128) was set.
	block.Encrypt(x.k1[:], x.k1[:])
	msb := x.k1[0] >> 7
	for i := 0; i < aes.BlockSize-1; i++ {
		x.k1[i] = x.k1[i]<<1 | x.k1[i+1]>>7
	}
	x.k1[aes.BlockSize-1] = x.k1[aes.BlockSize-1]<<1 ^ msb*0x87
	return x
}

// aead derives the AES-256-GCM of one XAES nonce: the key from the first 12
// bytes of the nonce (NIST SP 800-108 counter-mode KDF with CMAC-AES), to
// be used with the last 12 bytes as the GCM nonce.
func (x *xaes) aead(nonce []byte) (cipher.AEAD, error) {
	var key [2 * aes.BlockSize]byte
	m := [aes.BlockSize]byte{0: 0, 1: 1, 2: 'X', 3: 0}
	copy(m[4:], nonce[:12])
	for i := range m {
		m[i] ^= x.k1[i]
	}
	x.block.Encrypt(key[:aes.BlockSize], m[:])
	m[1] ^= 1 ^ 2 // the counter byte: 0x01 → 0x02, under the same K1 mask
	x.block.Encrypt(key[aes.BlockSize:], m[:])
	block, err := aes.NewCipher(key[:])
	Zero(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// KeyID returns the id of the current KEK, the one Wrap uses.
func (k *Keyring) KeyID() string { return k.current }

// IDs returns the ids of every KEK in the keyring, oldest first; the last is
// current. It is meant for status output and rotation checks.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Wrap encrypts dek under the current KEK with XAES-256-GCM, bound to aad
// (the record id): a version byte, the random 24-byte nonce, then the
// ciphertext and tag.
func (k *Keyring) Wrap(ctx context.Context, dek, aad []byte) ([]byte, error) {
	const op steward.Op = "keys.Wrap"
	if k == nil || k.wrap == nil {
		return nil, steward.E(op, steward.Internal, "no key-encryption key configured")
	}
	out := make([]byte, 1+xaesNonceSize, 1+xaesNonceSize+len(dek)+16)
	out[0] = wrapVersion
	nonce := out[1:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	aead, err := k.wrap.aead(nonce)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	return aead.Seal(out, nonce[12:], dek, aad), nil
}

// Unwrap decrypts a data key that Wrap wrapped under the KEK named keyID.
// Returns NotFound if the keyring has no such KEK (it was removed, or the
// record comes from another installation), and Invalid if wrapped or aad
// has been altered or belongs to another record.
func (k *Keyring) Unwrap(ctx context.Context, keyID string, wrapped, aad []byte) ([]byte, error) {
	const op steward.Op = "keys.Unwrap"
	var kek *xaes
	if k != nil {
		kek = k.keks[keyID]
	}
	if kek == nil {
		return nil, steward.Errorf(op, steward.NotFound, "key-encryption key %q is not in the keyring", keyID)
	}
	if len(wrapped) < 1+xaesNonceSize+16 || wrapped[0] != wrapVersion {
		return nil, steward.E(op, steward.Invalid, "wrapped data key is malformed")
	}
	nonce := wrapped[1 : 1+xaesNonceSize]
	aead, err := kek.aead(nonce)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	dek, err := aead.Open(nil, nonce[12:], wrapped[1+xaesNonceSize:], aad)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "wrapped data key does not authenticate")
	}
	return dek, nil
}

// String describes the keyring without key material. It exists so that
// printing a Keyring, or a struct holding one, with %v or %+v never dumps
// the AES key schedules held inside the AEADs.
func (k *Keyring) String() string {
	if k == nil {
		return "keys.Keyring(nil)"
	}
	return fmt.Sprintf("keys.Keyring{current: %s, keys: %d}", k.current, len(k.ids))
}

// GoString is String for %#v, for the same reason.
func (k *Keyring) GoString() string { return k.String() }

// Zero overwrites b with zeros. Call it on a data key as soon as it is no
// longer needed. It is best effort: the runtime may have copied the bytes
// (a growing slice, a string conversion), and those copies it cannot reach.
func Zero(b []byte) { clear(b) }

// DeriveKey returns a 32-byte key for a purpose other than wrapping, such
// as keying exact-data-match digests or the blind search index, derived
// with HKDF-SHA256 from the oldest KEK of the ring. The oldest, not the
// current: keys derived for data kept over years must survive rotation,
// which appends new KEKs and keeps old ones. Distinct purposes give
// independent keys.
func (k *Keyring) DeriveKey(purpose string) []byte {
	b, err := hkdf.Expand(sha256.New, k.root, "steward derived key: "+purpose, KeySize)
	if err != nil {
		panic("keys: HKDF expand of 32 bytes cannot fail: " + err.Error()) // fails only past 255 blocks
	}
	return b
}
