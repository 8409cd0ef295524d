package mailfmt

import (
	"bytes"
	"mime"
	"strings"
	"testing"
)

func TestWriteHeader(t *testing.T) {
	var b bytes.Buffer
	WriteHeader(&b, "Subject", "Evil\r\nBcc: attacker@example.org")
	if strings.Count(b.String(), "\r\n") != 1 || strings.Contains(b.String(), "\nBcc:") {
		t.Fatalf("a CRLF in a value started a new header: %q", b.String())
	}
	got, err := new(mime.WordDecoder).DecodeHeader(strings.TrimSpace(strings.TrimPrefix(b.String(), "Subject:")))
	if err != nil || got != "Evil\r\nBcc: attacker@example.org" {
		t.Fatalf("decoded %q, %v", got, err)
	}
	b.Reset()
	long := strings.Repeat("word ", 40)
	WriteHeader(&b, "X-Long", long)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		if len(line) > MaxLine {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
	if Word("plain ascii") != "plain ascii" || !strings.HasPrefix(Word("naïve"), "=?utf-8?b?") || !NeedsEncoding("a =?b") {
		t.Error("Word/NeedsEncoding")
	}
}

func TestLineAndCountWriter(t *testing.T) {
	var out bytes.Buffer
	lw := &LineWriter{W: &out}
	lw.Write(bytes.Repeat([]byte("A"), 200))
	if err := lw.End(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n")
	if len(lines) != 3 || len(lines[0]) != 76 || len(lines[2]) != 48 {
		t.Fatalf("lines %d: %q", len(lines), out.String())
	}
	cw := &CountWriter{W: &out, Limit: 10}
	if _, err := cw.Write(make([]byte, 8)); err != nil || cw.N != 8 {
		t.Fatal(err)
	}
	if _, err := cw.Write(make([]byte, 3)); err != ErrTooLarge {
		t.Fatalf("past the limit: %v", err)
	}
}
