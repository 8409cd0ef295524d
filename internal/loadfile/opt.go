package loadfile

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Page is one line of an Opticon OPT file, which maps page images to
// documents: ImageKey,Volume,Path,DocBreak,FolderBreak,BoxBreak,PageCount.
type Page struct {
	// ImageKey is the page's Bates number.
	ImageKey string
	// Volume names the production volume, e.g. "VOL001".
	Volume string
	// Path is the image file's path relative to the volume, with
	// backslashes as Windows tools expect.
	Path string
	// DocBreak marks the first page of a document; FolderBreak and
	// BoxBreak mark the first page of a folder or box.
	DocBreak, FolderBreak, BoxBreak bool
	// PageCount is the document's page count, written on its first page
	// only; zero leaves the field empty.
	PageCount int
}

// OPTWriter writes an Opticon OPT file, one CRLF-terminated line per page,
// in UTF-8 without a byte order mark (the paths and keys it carries are
// expected to be ASCII). It is not safe for concurrent use.
type OPTWriter struct {
	w   *bufio.Writer
	err error
}

// NewOPTWriter returns a writer of OPT lines to w.
func NewOPTWriter(w io.Writer) *OPTWriter {
	return &OPTWriter{w: bufio.NewWriter(w)}
}

// WritePage writes one line. It fails with steward.Invalid when a value
// holds a comma or a line break, which the format cannot carry, or when
// ImageKey is empty; write errors are sticky and also returned by Flush.
func (o *OPTWriter) WritePage(p Page) error {
	const op steward.Op = "loadfile.OPTWriter.WritePage"
	if o.err != nil {
		return o.err
	}
	if p.ImageKey == "" {
		return steward.Errorf(op, steward.Invalid, "page without an image key")
	}
	for _, v := range []string{p.ImageKey, p.Volume, p.Path} {
		if strings.ContainsAny(v, ",\r\n") {
			return steward.Errorf(op, steward.Invalid, "%q holds a comma or line break, which an OPT line cannot carry", v)
		}
	}
	if p.PageCount < 0 {
		return steward.Errorf(op, steward.Invalid, "negative page count")
	}
	count := ""
	if p.PageCount > 0 {
		count = strconv.Itoa(p.PageCount)
	}
	line := strings.Join([]string{p.ImageKey, p.Volume, p.Path, flag(p.DocBreak), flag(p.FolderBreak), flag(p.BoxBreak), count}, ",")
	if _, err := o.w.WriteString(line + "\r\n"); err != nil {
		o.err = steward.E(op, err)
	}
	return o.err
}

// WriteDocument writes the pages of one document: keys[i] is page i's
// Bates number and paths[i] its image. The first page carries the
// document break and the page count.
func (o *OPTWriter) WriteDocument(volume string, keys, paths []string) error {
	const op steward.Op = "loadfile.OPTWriter.WriteDocument"
	if len(keys) == 0 || len(keys) != len(paths) {
		return steward.Errorf(op, steward.Invalid, "%d keys for %d image paths", len(keys), len(paths))
	}
	for i := range keys {
		p := Page{ImageKey: keys[i], Volume: volume, Path: paths[i]}
		if i == 0 {
			p.DocBreak, p.PageCount = true, len(keys)
		}
		if err := o.WritePage(p); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes buffered lines to the underlying writer.
func (o *OPTWriter) Flush() error {
	if o.err != nil {
		return o.err
	}
	if err := o.w.Flush(); err != nil {
		o.err = steward.E("loadfile.OPTWriter.Flush", err)
	}
	return o.err
}

func flag(b bool) string {
	if b {
		return "Y"
	}
	return ""
}
