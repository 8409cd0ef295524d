package rsmf

import (
	"archive/zip"
	"bufio"
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/steward-gov/steward/internal/steward"
)

// schemaJSON is Relativity's official RSMF 2.0.0 manifest schema,
// unchanged (BSD licence, see schema/LICENSE).
//
//go:embed schema/rsmf_schema_2_0_0.json
var schemaJSON []byte

const schemaURL = "http://relativity.com/RSMF/2.0.0/schema.json"

// Limits that keep validation of a hostile file bounded.
const (
	maxManifestBytes = 256 << 20 // a full 10,000-event manifest is a few tens of MB
	maxZipContent    = 8 << 30   // sum of declared entry sizes
	maxProblems      = 100
)

// memorySpool is the largest decoded rsmf.zip Validate keeps in memory;
// a larger one goes to a temporary file. A variable so tests can lower it.
var memorySpool = 64 << 20

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	// The library does not check "idn-email", which the schema uses for
	// participant addresses; Relativity's validator may, so this one does
	// too, with the rule the writer follows.
	c.RegisterFormat(&jsonschema.Format{Name: "idn-email", Validate: func(v any) error {
		if s, ok := v.(string); ok && !validEmail(s) {
			return errors.New("not a valid e-mail address")
		}
		return nil
	}})
	// The schema describes timestamps as ISO 8601 and Relativity's own
	// samples omit the UTC offset ("2018-09-11T09:45:00"), which the
	// library's RFC 3339 "date-time" check would reject.
	c.RegisterFormat(&jsonschema.Format{Name: "date-time", Validate: func(v any) error {
		if s, ok := v.(string); ok {
			if _, ok := parseISO8601(s); !ok {
				return errors.New("not an ISO 8601 date and time")
			}
		}
		return nil
	}})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
})

// Info describes a .rsmf file that passed Validate.
type Info struct {
	// Header holds the message headers, including the X-RSMF-* ones.
	Header mail.Header
	// Events, Participants and Conversations count the manifest's entries.
	Events, Participants, Conversations int
	// Files lists the zip entries besides the manifest.
	Files []string
	// Warnings note what is allowed but unusual, such as a file in the zip
	// that nothing refers to.
	Warnings []string
}

// Validate checks a .rsmf file as conservatively as Relativity's own
// validator is documented to:
//   - the file is an RFC 5322 message of at most DefaultMaxBytes with an
//     X-RSMF-Version header of 2.0.0;
//   - its body is multipart/mixed with text parts and exactly one
//     attachment, named rsmf.zip and base64-encoded;
//   - rsmf.zip is a sound zip (every entry's checksum is read and checked)
//     with rsmf_manifest.json and every other file at its root;
//   - the manifest passes the official schema and the consistency rules
//     of NewIndex, and every reply's parent is in the file;
//   - every attachment and avatar the manifest names is in the zip, and
//     X-RSMF-EventCount, if present, matches the manifest.
//
// It fails with steward.Invalid wrapping Problems, which lists every
// reason found (up to a hundred). It reads at most size bytes from r and
// holds at most 64 MiB of decoded zip in memory, spooling larger ones to a
// temporary file.
func Validate(r io.ReaderAt, size int64) (*Info, error) {
	const op steward.Op = "rsmf.Validate"
	info, p := validate(r, size)
	if len(p) > 0 {
		return nil, steward.E(op, steward.Invalid, "invalid rsmf file", p)
	}
	return info, nil
}

// ValidateManifest checks a bare rsmf_manifest.json against the official
// schema and the consistency rules of Validate; it cannot check that the
// files it names exist. It fails with steward.Invalid wrapping Problems.
func ValidateManifest(r io.Reader) error {
	const op steward.Op = "rsmf.ValidateManifest"
	data, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
	if err != nil {
		return steward.E(op, steward.Unavailable, "reading the manifest", err)
	}
	if _, p := checkManifest(data); len(p) > 0 {
		return steward.E(op, steward.Invalid, "invalid rsmf manifest", p)
	}
	return nil
}

func validate(r io.ReaderAt, size int64) (*Info, Problems) {
	var p Problems
	if size > DefaultMaxBytes {
		p.addf("the file has %d bytes, over the %d Relativity loads", size, DefaultMaxBytes)
	}
	msg, err := mail.ReadMessage(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	if err != nil {
		p.addf("not an RFC 5322 message: %v", err)
		return nil, p
	}
	switch v := msg.Header["X-Rsmf-Version"]; {
	case len(v) == 0:
		p.addf("no X-RSMF-Version header")
	case len(v) > 1:
		p.addf("%d X-RSMF-Version headers", len(v))
	case strings.TrimSpace(v[0]) != Version:
		p.addf("X-RSMF-Version is %q; this validator checks %s", v[0], Version)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		p.addf("the message is not multipart/mixed with a boundary (Content-Type %q)", msg.Header.Get("Content-Type"))
		return nil, p
	}

	sp := &spool{}
	defer sp.close()
	zips := 0
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i := 1; ; i++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.addf("malformed MIME structure at part %d: %v", i, err)
			break
		}
		ct, ctParams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		disp, dParams, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name := dParams["filename"]
		if name == "" {
			name = ctParams["name"]
		}
		switch {
		case strings.HasPrefix(ct, "multipart/"):
			p.addf("part %d is a nested %s; a .rsmf body is flat", i, ct)
		case disp == "attachment" || name != "":
			if name != "rsmf.zip" {
				p.addf("part %d is an attachment %q beside rsmf.zip; a .rsmf file has exactly one attachment", i, name)
				break
			}
			if zips++; zips > 1 {
				p.addf("part %d is a second rsmf.zip", i)
				break
			}
			if !strings.EqualFold(strings.TrimSpace(part.Header.Get("Content-Transfer-Encoding")), "base64") {
				p.addf("rsmf.zip is not base64-encoded")
				break
			}
			if _, err := io.Copy(sp, base64.NewDecoder(base64.StdEncoding, part)); err != nil {
				p.addf("rsmf.zip does not decode: %v", err)
				sp.failed = true
			}
		case ct != "" && !strings.HasPrefix(ct, "text/"):
			p.addf("body part %d has type %s; only text parts may accompany rsmf.zip", i, ct)
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			p.addf("malformed MIME part %d: %v", i, err)
			break
		}
	}
	if zips == 0 {
		p.addf("no rsmf.zip attachment")
	}
	if zips != 1 || sp.failed {
		return nil, p
	}

	info := &Info{Header: msg.Header}
	manifest, names := checkZip(sp, info, &p)
	if manifest == nil {
		return nil, p
	}
	w, mp := checkManifest(manifest)
	p = append(p, mp...)
	if w == nil {
		return nil, p
	}
	referenced := make(map[string]bool)
	for i, pt := range w.Participants {
		if pt.Avatar != "" {
			referenced[pt.Avatar] = true
			if !names[pt.Avatar] {
				p.addf("participant %d (%q): avatar %q is not in rsmf.zip", i, pt.ID, pt.Avatar)
			}
		}
	}
	for i, e := range w.Events {
		for _, a := range e.Attachments {
			referenced[a.ID] = true
			if !names[a.ID] {
				p.addf("event %d (%q): attachment %q is not in rsmf.zip", i, e.ID, a.ID)
			}
		}
	}
	for _, n := range info.Files {
		if !referenced[n] {
			info.Warnings = append(info.Warnings, fmt.Sprintf("rsmf.zip holds %q, which the manifest does not name", n))
		}
	}
	if v := msg.Header.Get("X-RSMF-EventCount"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n != len(w.Events) {
			p.addf("X-RSMF-EventCount is %q but the manifest has %d events", v, len(w.Events))
		}
	}
	info.Events, info.Participants, info.Conversations = len(w.Events), len(w.Participants), len(w.Conversations)
	if len(p) > maxProblems {
		p = append(p[:maxProblems], fmt.Sprintf("... and %d more problems", len(p)-maxProblems))
	}
	return info, p
}

// checkZip opens rsmf.zip, reads every entry to check its checksum, and
// returns the manifest's bytes and the set of root file names.
func checkZip(sp *spool, info *Info, p *Problems) ([]byte, map[string]bool) {
	zr, err := zip.NewReader(sp.readerAt(), sp.n)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil // the reader is usable; such names are reported below
	}
	if err != nil {
		p.addf("rsmf.zip is not a zip file: %v", err)
		return nil, nil
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > maxZipContent {
		p.addf("rsmf.zip declares %d bytes of content, over the %d this validator reads", declared, uint64(maxZipContent))
		return nil, nil
	}
	names := make(map[string]bool, len(zr.File))
	var manifest []byte
	for _, f := range zr.File {
		switch {
		case names[f.Name]:
			p.addf("rsmf.zip holds %q twice", f.Name)
			continue
		case strings.ContainsAny(f.Name, `/\`) || f.Name == "" || f.FileInfo().IsDir():
			p.addf("rsmf.zip entry %q is not a file at the zip root", f.Name)
			continue
		}
		names[f.Name] = true
		if f.Name == ManifestName && f.UncompressedSize64 > maxManifestBytes {
			p.addf("%s has %d bytes, over the %d this validator reads", ManifestName, f.UncompressedSize64, maxManifestBytes)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			p.addf("rsmf.zip entry %q cannot be opened: %v", f.Name, err)
			continue
		}
		if f.Name == ManifestName {
			manifest, err = io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
		} else {
			info.Files = append(info.Files, f.Name)
			_, err = io.Copy(io.Discard, rc)
		}
		rc.Close()
		if err != nil {
			p.addf("rsmf.zip entry %q is corrupt: %v", f.Name, err)
			if f.Name == ManifestName {
				manifest = nil
			}
		}
	}
	if !names[ManifestName] {
		p.addf("rsmf.zip has no %s at its root", ManifestName)
	}
	return manifest, names
}

// checkManifest validates manifest bytes against the schema and the
// consistency rules. It returns the decoded manifest when it could be
// decoded at all, so the caller can check file references.
func checkManifest(data []byte) (*wireManifest, Problems) {
	var p Problems
	if len(data) > maxManifestBytes {
		p.addf("%s is over %d bytes", ManifestName, maxManifestBytes)
		return nil, p
	}
	sch, err := compiledSchema()
	if err != nil {
		p.addf("the embedded schema does not compile: %v", err) // a build defect, reported rather than hidden
		return nil, p
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		p.addf("%s is not JSON: %v", ManifestName, err)
		return nil, p
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			p.addf("%s: %v", ManifestName, err)
		} else {
			schemaProblems(ve, &p)
		}
	}
	var w wireManifest
	if err := json.Unmarshal(data, &w); err != nil {
		if len(p) == 0 {
			p.addf("%s does not decode: %v", ManifestName, err)
		}
		return nil, p
	}
	_, ip := index(modelOf(&w), true)
	return &w, append(p, ip...)
}

// schemaProblems lists the leaves of a validation error: the concrete
// failures, such as "at '/participants/0': missing property 'id'".
func schemaProblems(e *jsonschema.ValidationError, p *Problems) {
	if len(*p) > maxProblems {
		return
	}
	if len(e.Causes) == 0 {
		p.addf("%s does not match the RSMF %s schema: %s", ManifestName, Version, e.Error())
		return
	}
	for _, c := range e.Causes {
		schemaProblems(c, p)
	}
}

// iso8601Layouts are the extended ISO 8601 date-time forms accepted, with
// or without seconds and offset; time.Parse accepts a fraction after the
// seconds without a layout element for it.
var iso8601Layouts = []string{
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04Z0700", "2006-01-02T15:04",
}

// parseISO8601 parses an ISO 8601 date and time; one without an offset is
// read as UTC.
func parseISO8601(s string) (time.Time, bool) {
	s = strings.ToUpper(s)
	for _, l := range iso8601Layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// spool collects the decoded rsmf.zip in memory, moving it to a temporary
// file once it outgrows memorySpool.
type spool struct {
	buf    bytes.Buffer
	f      *os.File
	n      int64
	failed bool
}

func (s *spool) Write(b []byte) (int, error) {
	if s.f == nil && s.buf.Len()+len(b) > memorySpool {
		f, err := os.CreateTemp("", "rsmf-validate-*.zip")
		if err != nil {
			return 0, err
		}
		s.f = f
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, err
		}
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.Write(b)
	} else {
		n, err = s.buf.Write(b)
	}
	s.n += int64(n)
	return n, err
}

func (s *spool) readerAt() io.ReaderAt {
	if s.f != nil {
		return s.f
	}
	return bytes.NewReader(s.buf.Bytes())
}

func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
