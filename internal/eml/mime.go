package eml

import (
	"bytes"
	"encoding/base64"
	"io"
	"unicode/utf8"
)

// The helpers below write the small part of RFC 5322 and RFC 2047 these
// messages need. The rsmf package has its own copy, since neither package
// should import the other for its header folding.

const maxLine = 78 // RFC 5322's recommended line length, CRLF excluded

// writeHeader writes "Name: value" CRLF, encoding the value as RFC 2047
// words when it holds anything but printable ASCII (so a CR or LF in a
// name can never start a new header) or a run too long to fold, and
// folding it at spaces.
func writeHeader(b *bytes.Buffer, name, value string) {
	if needsEncoding(value) {
		value = encodeWords(value)
	}
	writeFolded(b, name, value)
}

// word returns s ready for a header: unchanged if it is printable ASCII,
// else as encoded words.
func word(s string) string {
	if needsEncoding(s) {
		return encodeWords(s)
	}
	return s
}

// writeFolded writes a header whose value is already in wire form, such
// as an address list from net/mail, folding it at spaces.
func writeFolded(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteByte(':')
	n := len(name) + 1
	first := true
	for tok := range bytes.SplitSeq([]byte(value), []byte{' '}) {
		if !first && n+1+len(tok) > maxLine {
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

func needsEncoding(s string) bool {
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

// encodeWords encodes s as base64 encoded words of at most 75 characters,
// split on rune boundaries as RFC 2047 requires.
func encodeWords(s string) string {
	if !utf8.ValidString(s) {
		s = string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
	}
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

// lineWriter breaks a stream of base64 into CRLF-terminated lines of 76
// characters, the limit RFC 2045 sets for the base64 transfer encoding.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:n]); err != nil {
			return written, err
		}
		written += n
		l.col += n
		p = p[n:]
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return written, err
			}
			l.col = 0
		}
	}
	return written, nil
}

// end finishes the last line.
func (l *lineWriter) end() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	_, err := io.WriteString(l.w, "\r\n")
	return err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
