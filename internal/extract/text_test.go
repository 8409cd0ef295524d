package extract

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(bo binary.ByteOrder, bom bool, s string) []byte {
	var b []byte
	if bom {
		b = bo.(binary.AppendByteOrder).AppendUint16(b, 0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = bo.(binary.AppendByteOrder).AppendUint16(b, u)
	}
	return b
}

func TestPlainText(t *testing.T) {
	const s = "Name,SSN\nJane,078-05-1121\nJürgen,😀\n"
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"utf8.csv", []byte(s)},
		{"bom.txt", append([]byte("\xef\xbb\xbf"), s...)},
		{"le.txt", utf16Bytes(binary.LittleEndian, true, s)},
		{"be.txt", utf16Bytes(binary.BigEndian, true, s)},
		{"le-nobom.txt", utf16Bytes(binary.LittleEndian, false, s)},
		{"be-nobom", utf16Bytes(binary.BigEndian, false, s)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(tc.name, tc.data)
			wantClean(t, r)
			p := part(t, r, tc.name)
			if p.Format != "text" || p.Text != s {
				t.Fatalf("got %s %q, want text %q", p.Format, p.Text, s)
			}
		})
	}
}

func TestLegacy8BitText(t *testing.T) {
	// Windows-1252: é is 0xE9, the euro sign 0x80, curly quotes 0x93/0x94.
	data := []byte("Caf\xe9 costs \x805 \x93quoted\x94\n")
	r := run("prices.csv", data)
	wantClean(t, r)
	if got := part(t, r, "prices.csv").Text; got != "Café costs €5 “quoted”\n" {
		t.Fatalf("got %q", got)
	}
}

func TestHTML(t *testing.T) {
	doc := `<!DOCTYPE html><html><head><title>Case 7</title>
<style>p { color: #123456 } .x{}</style></head>
<body><p>Applicant&nbsp;SSN: <b>078</b>-<i>05</i>-1121</p>
<!-- reviewer: call 555-0100 -->
<table><tr><td>Name</td><td>Jane &amp; John</td></tr></table>
<img src="x.png" alt="photo of passport"><input type="text" value="C01234567">
<a href="mailto:jane@example.org">write</a><a href="https://example.org/x">link</a>
<script>var acct = "12345678";</script>
a < b and 3>2 <br>end</body></html>`
	r := Extract("page", "text/html; charset=utf-8", []byte(doc), Limits{})
	wantClean(t, r)
	p := part(t, r, "page")
	if p.Format != "html" {
		t.Fatalf("format %q", p.Format)
	}
	wantText(t, p.Text, "Case 7", "Applicant SSN: 078-05-1121", "reviewer: call 555-0100",
		"Name\tJane & John", "photo of passport", "C01234567", "mailto:jane@example.org", `var acct = "12345678";`,
		"a < b and 3>2", "end")
	wantNoText(t, p.Text, "color", "#123456", "<b>", "https://example.org", "&amp;")
}

func TestHTMLSniffedWithoutHints(t *testing.T) {
	r := run("", []byte("  <html><body><p>hello <em>world</em></p></body></html>"))
	p := part(t, r, "attachment")
	if p.Format != "html" || strings.TrimSpace(p.Text) != "hello world" {
		t.Fatalf("got %s %q", p.Format, p.Text)
	}
}

func TestEmail(t *testing.T) {
	inner := buildZip(t, files("docs/a.txt", "zip inside mail: 078-05-1121")...)
	msg := "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\r\n" +
		"To: case-team@example.org\r\n" +
		"Subject: =?ISO-8859-1?Q?Pr=FCfung?= results\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"preamble\r\n" +
		"--outer\r\n" +
		"Content-Type: multipart/alternative; boundary=alt\r\n\r\n" +
		"--alt\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Plain body with a soft=\r\n break and =C3=A9.\r\n" +
		"--alt\r\n" +
		"Content-Type: text/html; charset=windows-1252\r\n\r\n" +
		"<p>HTML body caf\xe9</p>\r\n" +
		"--alt--\r\n" +
		"--outer\r\n" +
		"Content-Type: application/zip; name=\"report.zip\"\r\n" +
		"Content-Disposition: attachment; filename=\"report.zip\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		wrap76(base64.StdEncoding.EncodeToString(inner)) + "\r\n" +
		"--outer\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Disposition: attachment\r\n\r\n" +
		"an unnamed attached note\r\n" +
		"--outer--\r\n"
	r := run("mail.eml", []byte(msg))
	wantClean(t, r)
	if r.Parts[0].Path != "mail.eml" {
		t.Fatalf("the message should come first: %s", partPaths(r))
	}
	p := part(t, r, "mail.eml")
	if p.Format != "email" {
		t.Fatalf("format %q", p.Format)
	}
	wantText(t, p.Text, "From: Jürgen <j@example.org>", "Subject: Prüfung results", "To: case-team@example.org",
		"Plain body with a soft break and é.", "HTML body café")
	wantNoText(t, p.Text, "preamble", "base64", "zip inside mail")
	wantText(t, part(t, r, "mail.eml/report.zip/docs/a.txt").Text, "078-05-1121")
	wantText(t, part(t, r, "mail.eml/part-2").Text, "an unnamed attached note")
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func TestEmailSniffedAndDepth(t *testing.T) {
	msg := "Received: from a by b\r\nFrom: x@example.org\r\nSubject: s\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=x.txt\r\n\r\nattached\r\n--b--\r\n"
	r := Extract("", "", []byte(msg), Limits{MaxDepth: 1})
	wantText(t, part(t, r, "attachment").Text, "Subject: s", "body")
	wantText(t, part(t, r, "attachment/x.txt").Text, "attached")
	// Inside a zip the message is at depth 1: its attachment would be at
	// depth 2, deeper than allowed, but its own text is still read.
	r = Extract("m.zip", "", buildZip(t, files("m.eml", msg)...), Limits{MaxDepth: 1})
	wantText(t, part(t, r, "m.zip/m.eml").Text, "body")
	wantProblem(t, r, "m.zip/m.eml", TooDeep)
}

func TestEmailFallsBackToText(t *testing.T) {
	// Named .eml but not a message: still text.
	r := run("notes.eml", []byte("just some words, no headers\n"))
	if p := part(t, r, "notes.eml"); p.Format != "text" || p.Text != "just some words, no headers\n" {
		t.Fatalf("got %+v", p)
	}
}
