package search

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// KeySize is the size of an index key.
const KeySize = 32

// KeyInfo is the HKDF info that separates the index key from every other
// key derived from a KEK. A caller that derives keys elsewhere (a keyring
// that never hands out its KEKs) passes it as the purpose.
const KeyInfo = "steward search index v1"

// DeriveKey derives the index key from a key-encryption key with
// HKDF-SHA256 (no salt, info KeyInfo). The index key only hashes tokens;
// it cannot open a record. It must stay the same for the index's life: a
// KEK rotation must not change which KEK it is derived from, or the index
// must be rebuilt (OpenIndex refuses an index built under another key).
func DeriveKey(kek []byte) []byte {
	k, err := hkdf.Key(sha256.New, kek, nil, KeyInfo, KeySize)
	if err != nil {
		// Only FIPS 140-only mode refuses, and only for keys under 112 bits.
		panic(fmt.Sprintf("search.DeriveKey: %v", err))
	}
	return k
}

// A space is the first byte of every hashed string, so that equal strings
// in different roles (the word "smith" in a message and in a name, a
// channel called "deleted" and the deleted flag) hash apart.
const (
	spaceText     = 't' // a token of the text
	spacePrefix   = 'p' // the first 3 to 8 runes of a text token
	spaceGap      = 'g' // the filler between two parts of the text
	spaceSep      = 's' // the end of a party's address, name, or a file name
	spaceAddress  = 'a' // a party's whole address, normalized
	spaceWord     = 'w' // a token of a party's address or name
	spaceFile     = 'f' // a token of a file name
	spaceCust     = 'c' // a custodian's employee id
	spaceConv     = 'v' // a conversation id
	spaceChannel  = 'h' // a channel name
	spaceDir      = 'r' // a direction
	spaceDLP      = 'l' // a DLP detector name
	spaceFlag     = 'x' // all, attachment, deleted, edited
	spaceDate     = 'd' // a decade, year, month or day of the sent time
	spaceKeyCheck = 'k' // Keyer.Check
)

// b32 writes hashes as FTS5 barewords: lower-case letters and 2-7.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// hashLen is how many bytes of HMAC-SHA256 a token keeps: 80 bits, so that
// among even a billion distinct tokens a collision has odds of about 2^-20.
const hashLen = 10

// Keyer hashes tokens and values under an index key, the blind index's
// only secret. It is safe for concurrent use.
type Keyer struct {
	pool sync.Pool // of *hasher
	all  string    // the flag every document has
	gap  string    // filler between parts of the text
	sep  string    // separator of parties and file names
}

type hasher struct {
	mac hash.Hash
	buf []byte
}

// NewKeyer returns a Keyer for key, which must be KeySize bytes (see
// DeriveKey); returns Invalid otherwise.
func NewKeyer(key []byte) (*Keyer, error) {
	const op steward.Op = "search.NewKeyer"
	if len(key) != KeySize {
		return nil, steward.Errorf(op, steward.Invalid, "index key must be %d bytes", KeySize)
	}
	key = append([]byte(nil), key...)
	k := &Keyer{}
	k.pool.New = func() any { return &hasher{mac: hmac.New(sha256.New, key)} }
	k.all, k.gap, k.sep = k.hash(spaceFlag, "all"), k.hash(spaceGap, ""), k.hash(spaceSep, "")
	return k, nil
}

// hash returns the first hashLen bytes of HMAC-SHA256(key, space || 0 ||
// value), in lower-case base32: 16 characters.
func (k *Keyer) hash(space byte, value string) string {
	h := k.pool.Get().(*hasher)
	h.buf = append(append(h.buf[:0], space, 0), value...)
	h.mac.Reset()
	h.mac.Write(h.buf)
	var sum [sha256.Size]byte
	var out [16]byte
	b32.Encode(out[:], h.mac.Sum(sum[:0])[:hashLen])
	k.pool.Put(h)
	return string(out[:])
}

// Check returns a hash that identifies the key without revealing it, so
// that an index opened under the wrong key can say so rather than find
// nothing.
func (k *Keyer) Check() string { return k.hash(spaceKeyCheck, "steward search index key check") }

// Column is one of the blind index's columns of hashed tokens.
type Column uint8

const (
	ColText       Column = iota // the text's tokens in order, parts apart (see Match)
	ColPrefix                   // each distinct proper prefix of 3 to 8 runes of the text's tokens
	ColSender                   // the From party (see Keyer.Blind)
	ColRecipients               // the To parties
	ColMembers                  // the Participants
	ColFiles                    // the file names' tokens, each name ended by a separator
	ColMeta                     // one token for each exact value: custodians, channel, dates...
	NumColumns
)

var columnNames = [NumColumns]string{"text", "prefix", "sender", "recipients", "members", "files", "meta"}

func (c Column) String() string { return columnNames[c] }

// ColumnSet is a set of columns.
type ColumnSet uint8

// Has reports whether c is in s.
func (s ColumnSet) Has(c Column) bool { return s&(1<<c) != 0 }

func setOf(cs ...Column) ColumnSet {
	var s ColumnSet
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// BlindDoc is a document as a blind index stores it: identifiers and the
// sent time in the clear (the archive's metadata holds them in the clear
// too), everything else as keyed hashes.
type BlindDoc struct {
	ID             string
	ConversationID string
	Sent           time.Time // ClampTime(Doc.Sent)
	// Columns holds each column's tokens, in order.
	Columns [NumColumns][]string
}

// Blind returns the blind form of d. Returns Invalid if d fails Doc.Check.
//
// A party's tokens in ColSender, ColRecipients or ColMembers are its
// normalized address, then its address's words, a separator, its name's
// words and a separator, so that a phrase matches within an address or a
// name but never across two.
func (k *Keyer) Blind(d *Doc) (*BlindDoc, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	b := &BlindDoc{ID: d.ID, ConversationID: d.ConversationID, Sent: ClampTime(d.Sent)}
	memo := make(map[string]string) // text tokens repeat; hashing is most of the cost
	prefixes := make(map[string]bool)
	var text, pfx []string
	for i, part := range d.Text {
		if i > 0 {
			for range textGap {
				text = append(text, k.gap)
			}
		}
		for _, t := range Tokens(part) {
			h, ok := memo[t]
			if !ok {
				h = k.hash(spaceText, t)
				memo[t] = h
				pfx = k.appendPrefixes(pfx, t, prefixes)
			}
			text = append(text, h)
		}
	}
	b.Columns[ColText], b.Columns[ColPrefix] = text, pfx
	b.Columns[ColSender] = k.appendParty(nil, d.From)
	for _, p := range d.To {
		b.Columns[ColRecipients] = k.appendParty(b.Columns[ColRecipients], p)
	}
	for _, p := range d.Participants {
		b.Columns[ColMembers] = k.appendParty(b.Columns[ColMembers], p)
	}
	for _, f := range d.Filenames {
		for _, t := range Tokens(f) {
			b.Columns[ColFiles] = append(b.Columns[ColFiles], k.hash(spaceFile, t))
		}
		b.Columns[ColFiles] = append(b.Columns[ColFiles], k.sep)
	}

	meta := []string{k.all}
	for _, c := range d.Custodians {
		meta = append(meta, k.hash(spaceCust, c))
	}
	add := func(space byte, v string) {
		if v != "" {
			meta = append(meta, k.hash(space, v))
		}
	}
	add(spaceConv, d.ConversationID)
	add(spaceChannel, strings.ToLower(d.Channel))
	add(spaceDir, strings.ToLower(string(d.Direction)))
	for _, s := range d.DLP {
		add(spaceDLP, strings.ToLower(s))
	}
	for _, f := range []struct {
		set  bool
		name string
	}{{d.HasAttachment, "attachment"}, {d.Deleted, "deleted"}, {d.Edited, "edited"}} {
		if f.set {
			add(spaceFlag, f.name)
		}
	}
	for _, s := range dateBuckets(b.Sent) {
		add(spaceDate, s)
	}
	b.Columns[ColMeta] = meta
	return b, nil
}

// appendPrefixes appends the hashes of t's proper prefixes of MinPrefix to
// MaxHashedPrefix runes that are not yet in seen. A word that is itself
// short enough is found by its text token instead (see planner.node),
// which spares most words a prefix token.
func (k *Keyer) appendPrefixes(dst []string, t string, seen map[string]bool) []string {
	n := 0 // runes in t[:i]
	for i := range t {
		if n > MaxHashedPrefix {
			break
		}
		if n >= MinPrefix && !seen[t[:i]] {
			seen[t[:i]] = true
			dst = append(dst, k.hash(spacePrefix, t[:i]))
		}
		n++
	}
	return dst
}

func (k *Keyer) appendParty(dst []string, p Party) []string {
	if p.Address == "" && p.Name == "" {
		return dst
	}
	if p.Address != "" {
		dst = append(dst, k.hash(spaceAddress, normAddress(p.Address)))
	}
	for _, s := range []string{p.Address, p.Name} {
		for _, t := range Tokens(s) {
			dst = append(dst, k.hash(spaceWord, t))
		}
		dst = append(dst, k.sep)
	}
	return dst
}

// dateBuckets names the decade, year, month and day of t, so that a range
// of days is a few buckets rather than every day in it (see cover).
func dateBuckets(t time.Time) []string {
	y, m, d := t.Date()
	return []string{
		fmt.Sprintf("e%03d", y/10),
		fmt.Sprintf("y%04d", y),
		fmt.Sprintf("m%04d-%02d", y, m),
		fmt.Sprintf("d%04d-%02d-%02d", y, m, d),
	}
}

// cover returns the fewest buckets (see dateBuckets) that together hold
// exactly the days in [lo, hi), both midnights UTC.
func cover(lo, hi time.Time) []string {
	var out []string
	for t := lo; t.Before(hi); {
		y, m, d := t.Date()
		fits := func(next time.Time) bool { return !next.After(hi) }
		switch {
		case m == 1 && d == 1 && y%10 == 0 && fits(t.AddDate(10, 0, 0)):
			out, t = append(out, fmt.Sprintf("e%03d", y/10)), t.AddDate(10, 0, 0)
		case m == 1 && d == 1 && fits(t.AddDate(1, 0, 0)):
			out, t = append(out, fmt.Sprintf("y%04d", y)), t.AddDate(1, 0, 0)
		case d == 1 && fits(t.AddDate(0, 1, 0)):
			out, t = append(out, fmt.Sprintf("m%04d-%02d", y, m)), t.AddDate(0, 1, 0)
		default:
			out, t = append(out, fmt.Sprintf("d%04d-%02d-%02d", y, m, d)), t.AddDate(0, 0, 1)
		}
	}
	return out
}
