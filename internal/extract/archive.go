package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"
)

// zip examines a zip file: an OOXML or ODF document, or a plain archive
// whose entries are examined one level deeper.
func (w *walker) zip(p string, data []byte, depth int) {
	if n := zipEntries(data, w.lim.MaxEntries); n > w.lim.MaxEntries {
		// Refuse before archive/zip builds a File for every entry.
		w.problem(p, TooManyEntries, "more than %d entries", w.lim.MaxEntries)
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Names like "../x" are only labels here, never written to disk.
		w.problem(p, Corrupt, "unreadable zip directory")
		return
	}
	// Office documents are zips too; they are told apart by the parts
	// they hold, not by their name, which the sender chose.
	pkg := newPackage(zr)
	switch {
	case pkg.has("word/document.xml") || pkg.has("xl/workbook.xml") || pkg.has("ppt/presentation.xml"):
		w.ooxml(p, pkg, depth)
	case pkg.odfType() != "":
		w.odf(p, pkg, depth)
	default:
		w.zipArchive(p, zr, depth)
	}
}

// skippedEntries are operating-system droppings, not content: macOS
// resource forks and Finder state. Their binary formats would otherwise
// each be reported unsupported.
func skippedEntry(name string) bool {
	return strings.HasPrefix(name, "__MACOSX/") || path.Base(name) == ".DS_Store" || path.Base(name) == "Thumbs.db"
}

func (w *walker) zipArchive(p string, zr *zip.Reader, depth int) {
	if !w.container(p, depth) {
		return
	}
	for _, f := range zr.File {
		if w.stopped {
			return
		}
		// Directories and empty files hold nothing to scan; an empty
		// file would only add an empty Part.
		if strings.HasSuffix(f.Name, "/") || skippedEntry(f.Name) || f.UncompressedSize64 == 0 && f.CompressedSize64 == 0 {
			continue
		}
		cp := child(p, f.Name)
		data, fl := w.readEntry(f)
		if fl != nil {
			w.report(cp, fl)
			if fl.reason != Corrupt || len(data) == 0 {
				continue
			}
		}
		w.file(cp, f.Name, "", data, depth+1)
	}
}

// readEntry decompresses one zip entry within the bounds. A Corrupt
// failure may come with the data read before the damage.
func (w *walker) readEntry(f *zip.File) ([]byte, *failure) {
	if f.Flags&1 != 0 {
		return nil, fail(Encrypted, "password-protected zip entry")
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, fail(Unsupported, "zip compression method %d", f.Method)
	}
	if f.UncompressedSize64 > uint64(w.lim.MaxInput) {
		return nil, fail(TooLarge, "declares %d bytes; limit %d", f.UncompressedSize64, w.lim.MaxInput)
	}
	// The declared sizes are checked by archive/zip as it reads, so a
	// declared ratio over the limit is a bomb without reading a byte.
	if f.UncompressedSize64 > ratioGrace && f.UncompressedSize64/uint64(w.lim.MaxRatio) > f.CompressedSize64 {
		return nil, fail(Bomb, "declares %d:1 expansion; limit %d:1", f.UncompressedSize64/max(f.CompressedSize64, 1), w.lim.MaxRatio)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fail(Corrupt, "unreadable zip entry header")
	}
	defer rc.Close()
	data, fl, rerr := w.expand(rc, int64(f.CompressedSize64), int64(f.UncompressedSize64))
	if fl != nil {
		return nil, fl
	}
	if rerr != nil {
		if errors.Is(rerr, zip.ErrChecksum) {
			return data, fail(Corrupt, "zip entry checksum mismatch")
		}
		return data, fail(Corrupt, "damaged zip entry data")
	}
	return data, nil
}

// zipEntries returns an upper bound on the number of entries archive/zip
// will read from data, exact in all but contrived cases, without
// allocating. It stops counting past limit.
func zipEntries(data []byte, limit int) int {
	sig := []byte("PK\x01\x02")
	if n := bytes.Count(data, sig); n <= limit {
		return n // cannot be more headers than signatures
	}
	// Enough signatures that a stored inner zip might account for some:
	// walk the central directory as archive/zip does.
	end := bytes.LastIndex(data[max(0, len(data)-(65<<10)-22):], []byte("PK\x05\x06"))
	if end < 0 {
		return 0
	}
	end += max(0, len(data)-(65<<10)-22)
	if end+22 > len(data) {
		return limit + 1
	}
	size := int64(binary.LittleEndian.Uint32(data[end+12:]))
	off := int64(binary.LittleEndian.Uint32(data[end+16:]))
	if size == 0xffffffff || off == 0xffffffff {
		return limit + 1 // zip64 with this many signatures: refuse
	}
	base := int64(end) - size - off
	pos := base + off
	if base > 0 && off+4 <= int64(len(data)) && bytes.Equal(data[off:off+4], sig) {
		pos = off
	}
	n := 0
	for pos >= 0 && pos+46 <= int64(len(data)) && bytes.Equal(data[pos:pos+4], sig) {
		n++
		if n > limit {
			return n
		}
		pos += 46 + int64(binary.LittleEndian.Uint16(data[pos+28:])) +
			int64(binary.LittleEndian.Uint16(data[pos+30:])) + int64(binary.LittleEndian.Uint16(data[pos+32:]))
	}
	return n
}

// gzip examines the single member of a gzip file one level deeper.
func (w *walker) gzip(p, name string, data []byte, depth int) {
	if !w.container(p, depth) {
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		w.problem(p, Corrupt, "unreadable gzip header")
		return
	}
	// Only the first member: concatenated members are legal but rare,
	// and reading one bounds the work by the member's own header.
	zr.Multistream(false)
	inner := path.Base(zr.Name)
	if zr.Name == "" || inner == "." || inner == "/" {
		base := path.Base(name)
		switch {
		case strings.HasSuffix(strings.ToLower(base), ".tgz"):
			inner = base[:len(base)-4] + ".tar"
		case strings.HasSuffix(strings.ToLower(base), ".gz"):
			inner = base[:len(base)-3]
		default:
			inner = "data"
		}
	}
	out, fl, rerr := w.expand(zr, int64(len(data)), 0)
	cp := child(p, inner)
	if fl != nil {
		w.report(cp, fl)
		return
	}
	if rerr != nil {
		w.problem(p, Corrupt, "damaged gzip data")
		if len(out) == 0 {
			return
		}
	}
	w.file(cp, inner, "", out, depth+1)
}

// tar examines the regular files of a tar archive one level deeper.
func (w *walker) tar(p string, data []byte, depth int) {
	if !w.container(p, depth) {
		return
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for n := 0; !w.stopped; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			w.problem(p, Corrupt, "damaged tar header")
			return
		}
		if n >= w.lim.MaxEntries {
			w.problem(p, TooManyEntries, "more than %d entries", w.lim.MaxEntries)
			return
		}
		if h.Typeflag != tar.TypeReg || h.Size == 0 || skippedEntry(h.Name) {
			continue
		}
		cp := child(p, h.Name)
		if h.Size > w.lim.MaxInput {
			w.problem(cp, TooLarge, "%d bytes exceeds the limit of %d", h.Size, w.lim.MaxInput)
			continue
		}
		if h.Size > int64(len(data)) {
			w.problem(cp, Corrupt, "entry larger than the archive")
			return
		}
		// A tar entry is stored, not compressed: its size is bounded by
		// the archive's, which MaxInput already bounded, so it is not
		// charged to the expansion budget.
		buf := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, buf); err != nil {
			w.problem(cp, Corrupt, "truncated tar entry")
			return
		}
		w.file(cp, h.Name, "", buf, depth+1)
	}
}

// cfb classifies an OLE compound file. Encrypted OOXML documents are
// stored in one, as are legacy Office formats, which are not read.
func (w *walker) cfb(p string, data []byte) {
	// Directory entry names are stored as UTF-16LE; searching for them
	// avoids parsing the sector chains, and a false match only changes
	// which reason a file that is unreadable anyway is given.
	has := func(name string) bool { return bytes.Contains(data, utf16le(name)) }
	switch {
	case has("EncryptedPackage") && has("EncryptionInfo"):
		w.problem(p, Encrypted, "password-protected Office document")
	case has("WordDocument"):
		w.problem(p, Unsupported, "legacy Word document (.doc)")
	case has("Workbook") || has("Book"):
		w.problem(p, Unsupported, "legacy Excel workbook (.xls)")
	case has("PowerPoint Document"):
		w.problem(p, Unsupported, "legacy PowerPoint presentation (.ppt)")
	case has("__substg1.0_"):
		w.problem(p, Unsupported, "Outlook message (.msg)")
	default:
		w.problem(p, Unsupported, "OLE compound file")
	}
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}
