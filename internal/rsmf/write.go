package rsmf

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/steward-gov/steward/internal/mailfmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultMaxBytes bounds a .rsmf file: Relativity does not load files over
// 2 GB, and this stays under both the decimal and the binary reading.
const DefaultMaxBytes int64 = 2_000_000_000

// DefaultPreviewBytes bounds the text preview in the message body; the
// complete conversation is always in the manifest.
const DefaultPreviewBytes = 1 << 20

// WriteOptions tune Write. The zero value is ready to use.
type WriteOptions struct {
	// Generator is the X-RSMF-Generator header; empty means "Steward".
	Generator string
	// From is the From header, an RFC 5322 address; empty means
	// "Steward <rsmf@steward.invalid>".
	From string
	// MaxBytes bounds the whole .rsmf file; zero means DefaultMaxBytes.
	MaxBytes int64
	// PreviewBytes bounds the preview body; zero means DefaultPreviewBytes.
	PreviewBytes int
}

// Result describes a written file.
type Result struct {
	// Bytes is the size of the .rsmf file.
	Bytes int64
	// Events is the number of events in the manifest.
	Events int
	// Files is the number of attachment and avatar files in rsmf.zip.
	Files int
	// Warnings name what could not be written as given, such as an
	// attachment whose content was missing at capture. The production's
	// own manifest should carry them.
	Warnings []string
}

// Write writes m as one .rsmf file: an RFC 5322 multipart/mixed message
// with the X-RSMF-* headers, a plain-text preview, and exactly one
// base64 attachment, rsmf.zip, holding rsmf_manifest.json and the
// attachment and avatar files at its root. Events are written in the
// order given. Output is reproducible: the same manifest and content
// produce the same bytes.
//
// Attachment content is streamed, not held in memory. The manifest is
// adjusted so that the file always passes Validate:
//   - an attachment without content is left out and named in a custom
//     event property, with a warning in the Result;
//   - a reply whose parent is not in m keeps the parent's ID in a custom
//     event property;
//   - an e-mail address the schema would reject moves to a custom
//     participant property.
//
// Errors: steward.Invalid when m is inconsistent (see NewIndex) or an
// attachment ID cannot name a file in the zip or is used for two
// different files; steward.TooLarge when the file would exceed MaxBytes;
// steward.Integrity when content does not match its declared size or
// SHA-256. After an error w holds a partial file, which the caller must
// discard.
func Write(w io.Writer, m *Manifest, opts *WriteOptions) (*Result, error) {
	const op steward.Op = "rsmf.Write"
	var o WriteOptions
	if opts != nil {
		o = *opts
	}
	if o.Generator == "" {
		o.Generator = "Steward"
	}
	if o.From == "" {
		o.From = "Steward <rsmf@steward.invalid>"
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.PreviewBytes <= 0 {
		o.PreviewBytes = DefaultPreviewBytes
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "bad From address", err)
	}

	x, p := index(m, false)
	if len(p) > 0 {
		return nil, steward.E(op, steward.Invalid, "inconsistent manifest", p)
	}
	files, err := filesOf(op, m)
	if err != nil {
		return nil, err
	}
	var declared int64
	for _, f := range files {
		declared += max(f.Size, 0)
	}
	if est := EstimateSize(declared); est > o.MaxBytes {
		return nil, steward.Errorf(op, steward.TooLarge,
			"attachments make the file about %d bytes, over the %d-byte limit", est, o.MaxBytes)
	}

	preview := previewOf(x, o.PreviewBytes)
	sum := sha256.Sum256(preview)
	boundary := "rsmf-" + hex.EncodeToString(sum[:12])
	first, last, n := span(m.Events)
	date := last
	if date.IsZero() {
		date = time.Unix(0, 0)
	}

	var head bytes.Buffer
	mailfmt.WriteFolded(&head, "From", from.String())
	mailfmt.WriteHeader(&head, "Date", date.UTC().Format(time.RFC1123Z))
	mailfmt.WriteHeader(&head, "Subject", subjectOf(x, first, n))
	mailfmt.WriteHeader(&head, "Message-ID", "<"+hex.EncodeToString(sum[12:24])+"@rsmf.steward.invalid>")
	mailfmt.WriteHeader(&head, "MIME-Version", "1.0")
	mailfmt.WriteHeader(&head, "X-RSMF-Version", Version)
	mailfmt.WriteHeader(&head, "X-RSMF-Generator", o.Generator)
	if apps := distinct(m.Conversations, func(c *Conversation) string { return platformName(c.Platform) }); apps != "" {
		mailfmt.WriteHeader(&head, "X-RSMF-Application", apps)
	}
	if !first.IsZero() {
		mailfmt.WriteHeader(&head, "X-RSMF-BeginDate", timestamp(first))
		mailfmt.WriteHeader(&head, "X-RSMF-EndDate", timestamp(last))
	}
	mailfmt.WriteHeader(&head, "X-RSMF-EventCount", strconv.Itoa(n))
	mailfmt.WriteHeader(&head, "X-RSMF-AttachmentCount", strconv.Itoa(len(files)))
	if c := distinct(m.Conversations, func(c *Conversation) string { return x.Name(c.Custodian) }); c != "" {
		mailfmt.WriteHeader(&head, "X-RSMF-Custodian", c)
	}
	if len(m.Participants) > 0 {
		names := make([]string, len(m.Participants))
		for i := range m.Participants {
			names[i] = x.Name(m.Participants[i].ID)
		}
		mailfmt.WriteHeader(&head, "X-RSMF-Participants", strings.Join(names, ", "))
	}
	if m.EventCollectionID != "" {
		mailfmt.WriteHeader(&head, "X-RSMF-EventCollectionID", m.EventCollectionID)
	}
	mailfmt.WriteHeader(&head, "Content-Type", `multipart/mixed; boundary="`+boundary+`"`)
	head.WriteString("\r\n--" + boundary + "\r\n")
	head.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	head.Write(preview)
	head.WriteString("\r\n--" + boundary + "\r\n")
	head.WriteString("Content-Type: application/octet-stream; name=\"rsmf.zip\"\r\n" +
		"Content-Disposition: attachment; filename=\"rsmf.zip\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")

	cw := &mailfmt.CountWriter{W: w, Limit: o.MaxBytes}
	bw := bufio.NewWriterSize(cw, 64<<10)
	res := &Result{Events: n, Files: len(files)}
	err = func() error {
		if _, err := bw.Write(head.Bytes()); err != nil {
			return err
		}
		lw := &mailfmt.LineWriter{W: bw}
		b64 := base64.NewEncoder(base64.StdEncoding, lw)
		zw := zip.NewWriter(b64)
		// Every entry is deflated, the one method all zip readers
		// stream; BestSpeed because most attachments (photos, video)
		// are already compressed, and Go falls back to stored blocks.
		zw.RegisterCompressor(zip.Deflate, newDeflater)
		written := make(map[string]int64, len(files))
		for _, f := range files {
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.ID, Method: zip.Deflate, Modified: f.modified})
			if err != nil {
				return err
			}
			if written[f.ID], err = f.WriteTo(fw); err != nil {
				return err
			}
		}
		wm := wireOf(x, written, func(s string) { res.Warnings = append(res.Warnings, s) })
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: last})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(fw)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(wm); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := b64.Close(); err != nil {
			return err
		}
		if err := lw.End(); err != nil {
			return err
		}
		if _, err := bw.WriteString("\r\n--" + boundary + "--\r\n"); err != nil {
			return err
		}
		return bw.Flush()
	}()
	res.Bytes = cw.N
	switch {
	case errors.Is(err, mailfmt.ErrTooLarge):
		return res, steward.Errorf(op, steward.TooLarge, "the file would exceed %d bytes", o.MaxBytes)
	case err != nil:
		return res, steward.E(op, err)
	}
	return res, nil
}

// deflaters recycles compressors: each holds about a megabyte of state,
// and a file with hundreds of attachments would otherwise allocate one
// per entry.
var deflaters sync.Pool

type pooledDeflater struct{ *flate.Writer }

func (d pooledDeflater) Close() error {
	err := d.Writer.Close()
	deflaters.Put(d.Writer)
	return err
}

func newDeflater(w io.Writer) (io.WriteCloser, error) {
	if fw, ok := deflaters.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return pooledDeflater{fw}, nil
	}
	fw, err := flate.NewWriter(w, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return pooledDeflater{fw}, nil
}

// EstimateSize returns an upper bound on the size of a .rsmf file whose
// attachments hold content bytes, without the manifest and preview: the
// base64 growth (4/3 plus line breaks) over content that deflate cannot
// shrink, plus zip overhead. The Splitter uses it to cut files in time.
func EstimateSize(content int64) int64 {
	zipped := content + content/16000 + 64<<10 // deflate's stored blocks, headers
	return zipped/57*78 + 78 + 8<<10           // 57 bytes become one 76-character line + CRLF
}

// file is one entry of rsmf.zip besides the manifest.
type file struct {
	*Attachment
	modified time.Time
}

// filesOf lists the files to put in rsmf.zip, each once, in order of first
// use. Attachments without content are not files; the manifest will say
// they are missing.
func filesOf(op steward.Op, m *Manifest) ([]file, error) {
	var files []file
	seen := make(map[string]*Attachment)
	add := func(a *Attachment, t time.Time) error {
		if a.Open == nil {
			return nil
		}
		if !plainName(a.ID) {
			return steward.Errorf(op, steward.Invalid, "attachment id %q cannot name a file at the root of rsmf.zip", a.ID)
		}
		if prev := seen[a.ID]; prev != nil {
			if len(prev.SHA256) > 0 && len(a.SHA256) > 0 && !bytes.Equal(prev.SHA256, a.SHA256) ||
				prev.Size > 0 && a.Size > 0 && prev.Size != a.Size {
				return steward.Errorf(op, steward.Invalid, "attachment id %q names two different files", a.ID)
			}
			return nil
		}
		seen[a.ID] = a
		files = append(files, file{a, t})
		return nil
	}
	for i := range m.Participants {
		if a := m.Participants[i].Avatar; a != nil {
			if err := add(a, time.Time{}); err != nil {
				return nil, err
			}
		}
	}
	for i := range m.Events {
		e := &m.Events[i]
		for j := range e.Attachments {
			if err := add(&e.Attachments[j], e.Timestamp); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// previewOf renders the transcript, stopping at an event boundary once it
// passes limit bytes, and encodes it as quoted-printable.
func previewOf(x *Index, limit int) []byte {
	var text bytes.Buffer
	x.appendSummary(&text)
	for i := range x.m.Events {
		if text.Len() > limit {
			rest := len(x.m.Events) - i
			text.WriteString("\n... " + strconv.Itoa(rest) + " more events: the complete conversation is in rsmf.zip\n")
			break
		}
		text.WriteByte('\n')
		x.appendEvent(&text, &x.m.Events[i])
	}
	var out bytes.Buffer
	out.Grow(text.Len() + text.Len()/8)
	qp := quotedprintable.NewWriter(&out)
	qp.Write(text.Bytes()) // writes to a bytes.Buffer cannot fail
	qp.Close()
	return out.Bytes()
}

func subjectOf(x *Index, first time.Time, n int) string {
	var b strings.Builder
	for i := range x.m.Conversations {
		c := &x.m.Conversations[i]
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(platformName(c.Platform) + ": " + cleanLine(nonEmpty(c.Display, c.ID)))
	}
	if !first.IsZero() {
		b.WriteString(", " + first.UTC().Format(time.DateOnly))
	}
	b.WriteString(" (" + strconv.Itoa(n) + " events)")
	return b.String()
}

// distinct joins the distinct non-empty values f yields, in order.
func distinct(cs []Conversation, f func(*Conversation) string) string {
	var out []string
	for i := range cs {
		v := f(&cs[i])
		if v == "" {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return strings.Join(out, ", ")
}
