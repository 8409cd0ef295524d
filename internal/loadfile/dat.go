package loadfile

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// The Concordance defaults: ASCII 20 between fields, þ (U+00FE) around
// them, ® (U+00AE) for a newline inside a field.
const (
	DefaultSeparator = '\x14'
	DefaultQuote     = 'þ'
	DefaultNewline   = '®'
)

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

// Standard field names, in the order StandardFields lists them.
const (
	BegBates   = "BEGBATES"
	EndBates   = "ENDBATES"
	BegAttach  = "BEGATTACH"
	EndAttach  = "ENDATTACH"
	Custodian  = "CUSTODIAN"
	From       = "FROM"
	To         = "TO"
	DateSent   = "DATESENT"
	MD5Hash    = "MD5HASH"
	SHA256Hash = "SHA256HASH"
	NativePath = "NATIVEPATH"
	TextPath   = "TEXTPATH"
)

// StandardFields is the default header row of a DAT file.
var StandardFields = []string{BegBates, EndBates, BegAttach, EndAttach, Custodian, From, To,
	DateSent, MD5Hash, SHA256Hash, NativePath, TextPath}

// DATOptions choose the delimiters and encoding details of a DAT file.
// The zero value is the Concordance default that Relativity expects.
// Delimiters must be agreed with the receiving party: one well-known
// source swaps the separator and qualifier roles.
type DATOptions struct {
	// Separator goes between fields; zero means DefaultSeparator.
	Separator rune
	// Quote surrounds every field; zero means DefaultQuote. A Quote inside
	// a value is doubled, which is how Relativity's own exporter writes
	// it and how its importer reads it.
	Quote rune
	// Newline stands for a line break inside a value; zero means
	// DefaultNewline. Readers turn it back into a line break, so a Newline
	// character in the data itself comes back as a line break too: the
	// format has no escape for it.
	Newline rune
	// OmitBOM leaves out the UTF-8 byte order mark. By default a writer
	// starts the file with one, because Relativity and Excel then detect
	// UTF-8 by themselves, while without it some tools assume Windows-1252
	// and read þ (C3 BE in UTF-8) as "Ã¾".
	OmitBOM bool
	// DateLayout formats DATESENT, always in UTC; empty means RFC 3339
	// ("2024-03-05T09:30:00Z"). A receiving party's protocol may ask for
	// another layout, such as "01/02/2006 15:04:05".
	DateLayout string
}

func (o *DATOptions) withDefaults(op steward.Op) (DATOptions, error) {
	var d DATOptions
	if o != nil {
		d = *o
	}
	if d.Separator == 0 {
		d.Separator = DefaultSeparator
	}
	if d.Quote == 0 {
		d.Quote = DefaultQuote
	}
	if d.Newline == 0 {
		d.Newline = DefaultNewline
	}
	if d.DateLayout == "" {
		d.DateLayout = time.RFC3339
	}
	for _, r := range []rune{d.Separator, d.Quote, d.Newline} {
		if !utf8.ValidRune(r) || r == '\r' || r == '\n' || r == utf8.RuneError || r == '\uFEFF' {
			return d, steward.Errorf(op, steward.Invalid, "%q cannot delimit a load file", r)
		}
	}
	if d.Separator == d.Quote || d.Separator == d.Newline || d.Quote == d.Newline {
		return d, steward.Errorf(op, steward.Invalid, "separator, quote and newline must differ")
	}
	return d, nil
}

// Document is one row of a DAT file: a message or an attachment.
type Document struct {
	// BegBates and EndBates are the document's range; BegAttach and
	// EndAttach its family's (see Bates.Family).
	BegBates, EndBates, BegAttach, EndAttach string
	Custodian                                string
	// From and To name the sender and recipients as they were at the time.
	From string
	To   []string
	// DateSent is written in UTC with DATOptions.DateLayout; the zero time
	// leaves the field empty.
	DateSent time.Time
	// MD5 and SHA256 are lower-case hex digests of the native file.
	MD5, SHA256 string
	// NativePath and TextPath are paths relative to the production root,
	// with backslashes as Relativity expects.
	NativePath, TextPath string
	// Custom holds the values of any other field in the header row, by
	// field name.
	Custom map[string]string
}

// DATWriter writes a DAT file: a header row, then one row per document.
// It is not safe for concurrent use.
type DATWriter struct {
	w      *bufio.Writer
	opts   DATOptions
	fields []string
	row    []string
	err    error
}

// NewDATWriter writes the byte order mark (unless omitted) and the header
// row of fields, in the given order; nil means StandardFields. It fails
// with steward.Invalid for bad options or field names (empty, repeated
// ignoring case, or holding a delimiter or line break).
func NewDATWriter(w io.Writer, fields []string, opts *DATOptions) (*DATWriter, error) {
	const op steward.Op = "loadfile.NewDATWriter"
	o, err := opts.withDefaults(op)
	if err != nil {
		return nil, err
	}
	if fields == nil {
		fields = StandardFields
	}
	if len(fields) == 0 {
		return nil, steward.Errorf(op, steward.Invalid, "no fields")
	}
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		upper := strings.ToUpper(f)
		switch {
		case f == "" || strings.ContainsAny(f, "\r\n") || strings.ContainsRune(f, o.Separator) ||
			strings.ContainsRune(f, o.Quote) || strings.ContainsRune(f, o.Newline) || !utf8.ValidString(f):
			return nil, steward.Errorf(op, steward.Invalid, "bad field name %q", f)
		case seen[upper]:
			return nil, steward.Errorf(op, steward.Invalid, "field %q appears twice", f)
		}
		seen[upper] = true
	}
	d := &DATWriter{w: bufio.NewWriterSize(w, 64<<10), opts: o, fields: fields, row: make([]string, len(fields))}
	if !o.OmitBOM {
		d.w.WriteString(bom)
	}
	if err := d.WriteRow(fields); err != nil {
		return nil, err
	}
	return d, nil
}

// Fields returns the header row.
func (d *DATWriter) Fields() []string { return d.fields }

// Write writes one document, taking each field's value from the matching
// Document field or, for other names, from Custom.
func (d *DATWriter) Write(doc *Document) error {
	for i, f := range d.fields {
		d.row[i] = d.value(doc, f)
	}
	return d.WriteRow(d.row)
}

func (d *DATWriter) value(doc *Document, field string) string {
	switch field {
	case BegBates:
		return doc.BegBates
	case EndBates:
		return doc.EndBates
	case BegAttach:
		return doc.BegAttach
	case EndAttach:
		return doc.EndAttach
	case Custodian:
		return doc.Custodian
	case From:
		return doc.From
	case To:
		return strings.Join(doc.To, "; ")
	case DateSent:
		if doc.DateSent.IsZero() {
			return ""
		}
		return doc.DateSent.UTC().Format(d.opts.DateLayout)
	case MD5Hash:
		return doc.MD5
	case SHA256Hash:
		return doc.SHA256
	case NativePath:
		return doc.NativePath
	case TextPath:
		return doc.TextPath
	}
	return doc.Custom[field]
}

// WriteRow writes one row of raw values, one per field. Line breaks become
// the Newline character and a Quote inside a value is doubled. It fails
// with steward.Invalid when the number of values does not match the
// header; write errors are sticky and also returned by Flush.
func (d *DATWriter) WriteRow(values []string) error {
	const op steward.Op = "loadfile.DATWriter.WriteRow"
	if d.err != nil {
		return d.err
	}
	if len(values) != len(d.fields) {
		return steward.Errorf(op, steward.Invalid, "%d values for %d fields", len(values), len(d.fields))
	}
	for i, v := range values {
		if i > 0 {
			d.w.WriteRune(d.opts.Separator)
		}
		d.w.WriteRune(d.opts.Quote)
		d.writeValue(v)
		d.w.WriteRune(d.opts.Quote)
	}
	if _, err := d.w.WriteString("\r\n"); err != nil {
		d.err = steward.E(op, err)
	}
	return d.err
}

func (d *DATWriter) writeValue(v string) {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == '\r':
			if i+1 < len(v) && v[i+1] == '\n' {
				n = 2
			}
			d.w.WriteRune(d.opts.Newline)
		case r == '\n':
			d.w.WriteRune(d.opts.Newline)
		case r == d.opts.Quote:
			d.w.WriteRune(r)
			d.w.WriteRune(r)
		default:
			d.w.WriteString(v[i : i+n])
		}
		i += n
	}
}

// Flush writes buffered rows to the underlying writer.
func (d *DATWriter) Flush() error {
	if d.err != nil {
		return d.err
	}
	if err := d.w.Flush(); err != nil {
		d.err = steward.E("loadfile.DATWriter.Flush", err)
	}
	return d.err
}

// Hashes reads r to its end and returns the lower-case hex MD5 and SHA-256
// of its bytes and their count, for the MD5HASH and SHA256HASH fields.
func Hashes(r io.Reader) (md5Hex, sha256Hex string, n int64, err error) {
	m, s := md5.New(), sha256.New()
	n, err = io.Copy(io.MultiWriter(m, s), r)
	if err != nil {
		return "", "", n, steward.E("loadfile.Hashes", err)
	}
	return hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil)), n, nil
}
