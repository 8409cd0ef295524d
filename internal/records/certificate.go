package records

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// The certificate of disposition has exactly one byte encoding, which is
// what the log key signs (as the text of a C2SP signed note) and what a
// verifier re-derives. It is ASCII text, one field per line, each line
// ending in "\n", with no blank line:
//
//	steward disposition certificate v1
//	batch <batch id>
//	action <destroy|transfer>
//	requested-by <employee id>
//	approved-by <employee id> <time>        one line per approval, in order given
//	executed-by <employee id>
//	executed-at <time>
//	records <n>
//	record <leaf index> <leaf hash> <record id> <item id> <authority>   n lines
//
// <time> is RFC 3339 in UTC with the fewest fractional digits that keep
// the instant (time.RFC3339Nano after UTC()). <leaf index> is decimal
// without leading zeros; <leaf hash> is 64 lowercase hex digits. Records
// are ordered by leaf index, then record id, and a record id appears
// once. Text fields (ids, authority) are non-empty and escaped: bytes
// other than A-Z a-z 0-9 - . _ ~ : / @ + are written %XX with uppercase
// hex, so a field never holds a space, a newline or non-ASCII.

const certificateMagic = "steward disposition certificate v1"

// maxCertificate bounds what ParseCertificate reads: a full batch of
// 100,000 records with long ids fits.
const maxCertificate = 64 << 20

// EncodeCertificate returns c's canonical encoding. Invalid for an
// unknown action, an empty text field, no approval, no record, a negative
// leaf index, a record listed twice, or a zero time. Records need not be
// sorted: the encoding sorts them.
func EncodeCertificate(c steward.DispositionCertificate) ([]byte, error) {
	const op steward.Op = "records.EncodeCertificate"
	if err := checkCertificate(&c); err != nil {
		return nil, steward.E(op, err)
	}
	recs := slices.Clone(c.Records)
	sortCertified(recs)
	for i := 1; i < len(recs); i++ {
		if recs[i].RecordID == recs[i-1].RecordID {
			return nil, steward.Errorf(op, steward.Invalid, "record %s is listed twice", recs[i].RecordID)
		}
	}
	var b bytes.Buffer
	b.Grow(256 + 200*len(recs))
	line := func(fields ...string) {
		b.WriteString(strings.Join(fields, " "))
		b.WriteByte('\n')
	}
	line(certificateMagic)
	line("batch", EscapeField(c.BatchID))
	line("action", string(c.Action))
	line("requested-by", EscapeField(c.RequestedBy))
	for _, a := range c.Approvals {
		line("approved-by", EscapeField(a.By), certTime(a.At))
	}
	line("executed-by", EscapeField(c.ExecutedBy))
	line("executed-at", certTime(c.ExecutedAt))
	line("records", strconv.Itoa(len(recs)))
	for _, r := range recs {
		line("record", strconv.FormatInt(r.LeafIndex, 10), hex.EncodeToString(r.LeafHash[:]),
			EscapeField(r.RecordID), EscapeField(r.ItemID), EscapeField(r.Authority))
	}
	return b.Bytes(), nil
}

func checkCertificate(c *steward.DispositionCertificate) error {
	const op steward.Op = "records.checkCertificate"
	switch {
	case !steward.ValidDispositionAction(c.Action):
		return steward.Errorf(op, steward.Invalid, "unknown disposition action %q", c.Action)
	case c.BatchID == "" || c.RequestedBy == "" || c.ExecutedBy == "":
		return steward.E(op, steward.Invalid, "a certificate needs a batch id, a requester and an executor")
	case c.ExecutedAt.IsZero():
		return steward.E(op, steward.Invalid, "a certificate needs the execution time")
	case len(c.Approvals) == 0:
		return steward.E(op, steward.Invalid, "a certificate needs at least one approval")
	case len(c.Records) == 0:
		return steward.E(op, steward.Invalid, "a certificate needs at least one record")
	}
	for _, a := range c.Approvals {
		if a.By == "" || a.At.IsZero() {
			return steward.E(op, steward.Invalid, "every approval needs an approver and a time")
		}
	}
	for _, r := range c.Records {
		if r.RecordID == "" || r.ItemID == "" || r.Authority == "" || r.LeafIndex < 0 {
			return steward.E(op, steward.Invalid, "every record needs an id, an item, an authority and a leaf index")
		}
	}
	return nil
}

// ParseCertificate decodes a certificate from its canonical encoding.
// Invalid for anything that is not exactly what EncodeCertificate would
// produce for the decoded value, so two different byte strings never
// decode to the same certificate; TooLarge beyond 64 MiB.
func ParseCertificate(data []byte) (steward.DispositionCertificate, error) {
	const op steward.Op = "records.ParseCertificate"
	var c steward.DispositionCertificate
	if len(data) > maxCertificate {
		return c, steward.E(op, steward.TooLarge, "a certificate is at most 64 MiB")
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return c, steward.E(op, steward.Invalid, "a certificate ends with a newline")
	}
	lines := strings.Split(string(data[:len(data)-1]), "\n")
	p := certParser{lines: lines}
	bad := func(format string, args ...any) (steward.DispositionCertificate, error) {
		return steward.DispositionCertificate{}, steward.Errorf(op, steward.Invalid, "line %d: "+format, append([]any{p.n}, args...)...)
	}
	p.n = 1
	if lines[0] != certificateMagic {
		return bad("not a Steward disposition certificate v1")
	}
	var ok bool
	if c.BatchID, ok = p.text("batch"); !ok {
		return bad("want batch <id>")
	}
	f := p.next(2)
	if f == nil || f[0] != "action" {
		return bad("want action <destroy|transfer>")
	}
	c.Action = steward.DispositionAction(f[1])
	if c.RequestedBy, ok = p.text("requested-by"); !ok {
		return bad("want requested-by <id>")
	}
	for p.peek("approved-by") {
		f := p.next(3)
		if f == nil {
			return bad("want approved-by <id> <time>")
		}
		by, err1 := UnescapeField(f[1])
		at, err2 := parseCertTime(f[2])
		if err1 != nil || err2 != nil {
			return bad("want approved-by <id> <time>")
		}
		c.Approvals = append(c.Approvals, steward.BatchApproval{By: by, At: at})
	}
	if c.ExecutedBy, ok = p.text("executed-by"); !ok {
		return bad("want executed-by <id>")
	}
	if f = p.next(2); f == nil || f[0] != "executed-at" {
		return bad("want executed-at <time>")
	}
	var err error
	if c.ExecutedAt, err = parseCertTime(f[1]); err != nil {
		return bad("bad executed-at time")
	}
	if f = p.next(2); f == nil || f[0] != "records" {
		return bad("want records <n>")
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n != len(lines)-p.n {
		return bad("the record count does not match the record lines")
	}
	c.Records = make([]steward.CertifiedRecord, 0, n)
	for range n {
		f := p.next(6)
		if f == nil || f[0] != "record" {
			return bad("want record <leaf index> <leaf hash> <record id> <item id> <authority>")
		}
		var r steward.CertifiedRecord
		var errs [5]error
		r.LeafIndex, errs[0] = strconv.ParseInt(f[1], 10, 64)
		var h []byte
		h, errs[1] = hex.DecodeString(f[2])
		r.RecordID, errs[2] = UnescapeField(f[3])
		r.ItemID, errs[3] = UnescapeField(f[4])
		r.Authority, errs[4] = UnescapeField(f[5])
		if slices.ContainsFunc(errs[:], func(e error) bool { return e != nil }) || len(h) != len(r.LeafHash) {
			return bad("malformed record line")
		}
		copy(r.LeafHash[:], h)
		c.Records = append(c.Records, r)
	}
	// Re-encoding is the canonicality check: it rejects unsorted records,
	// duplicates, non-canonical escapes, times and numbers, and any
	// missing field, with one rule instead of many.
	again, err := EncodeCertificate(c)
	if err != nil {
		return steward.DispositionCertificate{}, steward.E(op, steward.Invalid, err)
	}
	if !bytes.Equal(again, data) {
		return steward.DispositionCertificate{}, steward.E(op, steward.Invalid, "the certificate is not in canonical form")
	}
	return c, nil
}

type certParser struct {
	lines []string
	n     int // lines consumed
}

// next consumes a line and returns its fields if it has exactly want of
// them, else nil.
func (p *certParser) next(want int) []string {
	if p.n >= len(p.lines) {
		return nil
	}
	f := strings.Split(p.lines[p.n], " ")
	p.n++
	if len(f) != want {
		return nil
	}
	return f
}

func (p *certParser) peek(key string) bool {
	return p.n < len(p.lines) && strings.HasPrefix(p.lines[p.n], key+" ")
}

// text consumes a "key <escaped text>" line.
func (p *certParser) text(key string) (string, bool) {
	f := p.next(2)
	if f == nil || f[0] != key {
		return "", false
	}
	s, err := UnescapeField(f[1])
	return s, err == nil
}

func certTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseCertTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

func safeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/@+", c) >= 0
}

// EscapeField writes s for a canonical text line: bytes other than
// letters, digits and -._~:/@+ become %XX, so no value can contain the
// separators (space, newline) of the formats that use it (certificates of
// disposition, the signed FRA summary). UnescapeField reverses it.
func EscapeField(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; safeByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// UnescapeField reverses EscapeField, refusing an empty field, a bad
// escape, or a byte that should have been escaped (so every value has one
// encoding and a signed text has one reading).
func UnescapeField(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty field")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad escape")
			}
			b.WriteByte(byte(v))
			i += 2
		case safeByte(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("byte %#x must be escaped", c)
		}
	}
	return b.String(), nil
}
