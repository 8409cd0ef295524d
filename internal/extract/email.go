package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// maxMIMENesting bounds multipart nesting inside one message. It is not
// container depth: an ordinary message is mixed/alternative/related, three
// levels, and those are not files.
const maxMIMENesting = 16

// emailHeaders are the header fields whose values are extracted as text.
var emailHeaders = []string{"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Date", "Subject"}

// mailMsg walks the MIME tree of one message.
type mailMsg struct {
	w        *walker
	path     string
	depth    int
	parts    int
	tooDeep  bool // too_deep already reported for this message
	tooMany  bool
	attached int
}

// email extracts an RFC 5322 message: its main headers and text parts
// become one "email" Part, its attachments are examined as files one level
// deeper. It returns false when data does not parse as a message, so that
// the caller reads it as plain text.
func (w *walker) email(path string, data []byte, depth int) bool {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil || len(msg.Header) == 0 {
		return false
	}
	// Reserve the message's place before its attachments' parts.
	idx := len(w.res.Parts)
	w.res.Parts = append(w.res.Parts, Part{Path: path, Format: "email"})
	s := w.newSink()
	for _, h := range emailHeaders {
		for _, v := range msg.Header[h] {
			s.field(h, decodeHeader(v))
		}
	}
	s.newline()
	m := &mailMsg{w: w, path: path, depth: depth}
	m.entity(s, textproto.MIMEHeader(msg.Header), msg.Body, 0)
	w.res.Parts[idx].Text = s.b.String()
	return true
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "windows-1252", "cp1252", "iso-8859-15", "latin1":
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		return strings.NewReader(decode1252(b)), err
	}
	return nil, fmt.Errorf("unknown charset %q", charset)
}}

func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// entity extracts one MIME entity: recursing into multiparts, writing text
// parts to s and handing attachments to the walker.
func (m *mailMsg) entity(s *sink, h textproto.MIMEHeader, body io.Reader, level int) {
	w := m.w
	if s.full() {
		return
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ct == "" {
		ct, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(ct, "multipart/") {
		m.multipart(s, body, params["boundary"], level)
		return
	}
	data, f := m.body(h, body)
	if f != nil {
		w.report(m.path, f)
		return
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = decodeHeader(name)
	// Text without a file name is part of the message body; anything
	// else is a file in its own right and gets its own Part, so that a
	// finding in it names the attachment.
	inline := disp != "attachment" && name == "" && strings.HasPrefix(ct, "text/")
	if inline {
		text := decodeText(data, params["charset"])
		s.newline()
		if ct == "text/html" {
			stripHTML(s, text)
		} else {
			s.WriteString(text)
		}
		s.newline()
		return
	}
	if m.tooDeep || !w.container(m.path, m.depth) {
		m.tooDeep = true
		return
	}
	m.attached++
	if name == "" {
		name = fmt.Sprintf("part-%d", m.attached)
		if ct == "message/rfc822" {
			name += ".eml"
		}
	}
	w.file(child(m.path, name), name, ct, data, m.depth+1)
}

func (m *mailMsg) multipart(s *sink, body io.Reader, boundary string, level int) {
	w := m.w
	if boundary == "" {
		w.problem(m.path, Corrupt, "multipart without a boundary")
		return
	}
	if level >= maxMIMENesting {
		w.problem(m.path, TooDeep, "multipart nested more than %d deep", maxMIMENesting)
		return
	}
	mr := multipart.NewReader(body, boundary)
	for !s.full() {
		// NextRawPart, not NextPart: NextPart decodes quoted-printable
		// itself and drops the header, so body could not treat all
		// transfer encodings alike.
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			w.problem(m.path, Corrupt, "malformed multipart body")
			return
		}
		m.parts++
		if m.parts > w.lim.MaxEntries {
			if !m.tooMany {
				m.tooMany = true
				w.problem(m.path, TooManyEntries, "more than %d MIME parts", w.lim.MaxEntries)
			}
			return
		}
		m.entity(s, p.Header, p, level+1)
	}
}

// body reads and decodes an entity's body within MaxInput.
func (m *mailMsg) body(h textproto.MIMEHeader, r io.Reader) ([]byte, *failure) {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	data, err := io.ReadAll(io.LimitReader(r, m.w.lim.MaxInput+1))
	if int64(len(data)) > m.w.lim.MaxInput {
		return nil, fail(TooLarge, "MIME part exceeds %d bytes", m.w.lim.MaxInput)
	}
	if err != nil && len(data) == 0 {
		return nil, fail(Corrupt, "undecodable MIME part")
	}
	return data, nil
}

// base64Filter drops everything that is not base64 alphabet, as mail
// readers do: line breaks, stray spaces, and junk some mailers emit.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
