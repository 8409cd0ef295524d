// Package mailfmt writes the small part of RFC 5322, RFC 2045 and RFC 2047
// that Steward's mail-shaped exports need: folded headers whose values
// are encoded words whenever they hold anything but printable ASCII (so a
// CR or LF in a display name can never start a new header), base64 bodies
// in 76-character lines, and a byte counter with a ceiling. The rsmf and
// eml packages share it.
package mailfmt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"unicode/utf8"
)

// MaxLine is RFC 5322's recommended line length, CRLF excluded.
const MaxLine = 78

// WriteHeader writes "Name: value" CRLF, encoding the value as RFC 2047
// words when it holds anything but printable ASCII (so a CR or LF in a
// display name can never start a new header) or a run too long to fold,
// and folding it at spaces.
func WriteHeader(b *bytes.Buffer, name, value string) {
	WriteFolded(b, name, Word(value))
}

// WriteFolded writes a header whose value is already in wire form, such
// as an address from net/mail, folding it at spaces.
func WriteFolded(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteByte(':')
	n := len(name) + 1
	first := true
	for tok := range bytes.SplitSeq([]byte(value), []byte{' '}) {
		if !first && n+1+len(tok) > MaxLine {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteByte(' ')
		b.Write(tok)
		n += 1 + len(tok)
		first = false
	}
	b.WriteString("\r\n")
}

// Word returns s ready for a header: unchanged if it is printable ASCII
// (and holds nothing that reads as an encoded word), else as encoded words.
func Word(s string) string {
	if NeedsEncoding(s) {
		return EncodeWords(s)
	}
	return s
}

// NeedsEncoding reports whether s must be sent as encoded words.
func NeedsEncoding(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return true
		}
		if c == ' ' {
			run = 0
		} else if run++; run > 900 {
			return true
		}
	}
	// "=?" could be read back as the start of an encoded word.
	return bytes.Contains([]byte(s), []byte("=?"))
}

// EncodeWords encodes s as base64 encoded words of at most 75 characters,
// split on rune boundaries as RFC 2047 requires.
func EncodeWords(s string) string {
	s = ToValidUTF8(s)
	var b bytes.Buffer
	const chunk = 45 // 45 bytes of UTF-8 make 60 base64 characters
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("=?utf-8?b?")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(s[:n])))
		b.WriteString("?=")
		s = s[n:]
	}
	return b.String()
}

// ToValidUTF8 replaces invalid UTF-8 with U+FFFD.
func ToValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
}

// LineWriter breaks a stream of base64 into CRLF-terminated lines of 76
// characters, the limit RFC 2045 sets for the base64 transfer encoding.
type LineWriter struct {
	W   io.Writer
	col int
}

func (l *LineWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(76-l.col, len(p))
		if _, err := l.W.Write(p[:n]); err != nil {
			return written, err
		}
		written += n
		l.col += n
		p = p[n:]
		if l.col == 76 {
			if _, err := io.WriteString(l.W, "\r\n"); err != nil {
				return written, err
			}
			l.col = 0
		}
	}
	return written, nil
}

// End finishes the last line.
func (l *LineWriter) End() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	_, err := io.WriteString(l.W, "\r\n")
	return err
}

// CountWriter counts the bytes written through it, and with a Limit
// refuses to pass more, so a writer can stop before it produces a file a
// reader rejects.
type CountWriter struct {
	W     io.Writer
	N     int64
	Limit int64 // 0: no limit
}

// ErrTooLarge is what CountWriter answers past its Limit; callers turn it
// into a steward.TooLarge error.
var ErrTooLarge = errors.New("size limit reached")

func (c *CountWriter) Write(p []byte) (int, error) {
	if c.Limit > 0 && c.N+int64(len(p)) > c.Limit {
		return 0, ErrTooLarge
	}
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
