package extract

import (
	"bytes"
	"mime"
	"path"
	"strings"
)

type kind int

const (
	kindUnknown kind = iota
	kindPDF
	kindZip
	kindGzip
	kindTar
	kindCFB
	kindJPEG
	kindPNG
	kindGIF
	kindTIFF
	kindWebP
	kindHEIF
	kindText
)

// textSub refines kindText.
type textSub int

const (
	subPlain textSub = iota
	subHTML
	subEmail
)

type sniffed struct {
	kind   kind
	sub    textSub
	detail string // for kindUnknown: what the bytes are, as far as known
}

// binaryMagic names common formats that are recognised only to be
// reported as unsupported with a useful detail.
var binaryMagic = []struct {
	magic  string
	offset int
	name   string
}{
	{"7z\xbc\xaf\x27\x1c", 0, "7z archive"},
	{"Rar!\x1a\x07", 0, "RAR archive"},
	{"BZh", 0, "bzip2 data"},
	{"\xfd7zXZ\x00", 0, "xz data"},
	{"\x28\xb5\x2f\xfd", 0, "zstd data"},
	{"\x7fELF", 0, "ELF executable"},
	{"MZ", 0, "Windows executable"},
	{"\xca\xfe\xba\xbe", 0, "Java class or Mach-O binary"},
	{"\xcf\xfa\xed\xfe", 0, "Mach-O binary"},
	{"ftyp", 4, "ISO media (audio or video)"},
	{"OggS", 0, "Ogg media"},
	{"ID3", 0, "MP3 audio"},
	{"\x1a\x45\xdf\xa3", 0, "Matroska/WebM media"},
	{"SQLite format 3\x00", 0, "SQLite database"},
	{"\x00\x00\x01\x00", 0, "Windows icon"},
	{"BM", 0, "BMP image"},
	{"8BPS", 0, "Photoshop image"},
	{"\x01\x00\x00\x00", 0, "Windows metafile"},
	{"\xd7\xcd\xc6\x9a", 0, "Windows metafile"},
}

// heifBrands are the ISO-BMFF major brands whose metadata is read.
var heifBrands = []string{"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}

// sniff decides the format of data. Magic bytes decide first; the file
// name and content type only choose among text flavours and rescue 8-bit
// text that would otherwise look binary.
func sniff(data []byte, name, ctype string) sniffed {
	ext := strings.ToLower(path.Ext(name))
	mt, _, _ := mime.ParseMediaType(ctype)
	mt = strings.ToLower(mt)

	switch {
	case hasPrefix(data, "%PDF-"):
		return sniffed{kind: kindPDF}
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) && bytes.Contains(data, []byte("endobj")):
		// Readers accept junk before the header; a text that merely
		// mentions "%PDF-" has no objects.
		return sniffed{kind: kindPDF}
	case hasPrefix(data, "PK\x03\x04"), hasPrefix(data, "PK\x05\x06"), hasPrefix(data, "PK\x07\x08"):
		return sniffed{kind: kindZip}
	case hasPrefix(data, "\x1f\x8b"):
		return sniffed{kind: kindGzip}
	case len(data) >= 263 && (string(data[257:263]) == "ustar\x00" || string(data[257:263]) == "ustar "):
		return sniffed{kind: kindTar}
	case hasPrefix(data, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return sniffed{kind: kindCFB}
	case hasPrefix(data, "\xff\xd8\xff"):
		return sniffed{kind: kindJPEG}
	case hasPrefix(data, "\x89PNG\r\n\x1a\n"):
		return sniffed{kind: kindPNG}
	case hasPrefix(data, "GIF87a"), hasPrefix(data, "GIF89a"):
		return sniffed{kind: kindGIF}
	case hasPrefix(data, "II*\x00"), hasPrefix(data, "MM\x00*"):
		return sniffed{kind: kindTIFF}
	case len(data) >= 12 && hasPrefix(data, "RIFF") && string(data[8:12]) == "WEBP":
		return sniffed{kind: kindWebP}
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		brand := string(data[8:12])
		for _, b := range heifBrands {
			if brand == b {
				return sniffed{kind: kindHEIF}
			}
		}
	}

	if sub, ok := textual(data, ext, mt); ok {
		return sniffed{kind: kindText, sub: sub}
	}
	for _, m := range binaryMagic {
		if len(data) >= m.offset+len(m.magic) && string(data[m.offset:m.offset+len(m.magic)]) == m.magic {
			return sniffed{detail: m.name}
		}
	}
	return sniffed{detail: "unrecognised binary data"}
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// textual reports whether data is text, and which kind.
func textual(data []byte, ext, mt string) (textSub, bool) {
	hinted := strings.HasPrefix(mt, "text/") || mt == "message/rfc822" || mt == "application/json" ||
		mt == "application/xml" || mt == "application/xhtml+xml" || textExts[ext]
	if !looksText(data, hinted) {
		return 0, false
	}
	switch {
	case mt == "message/rfc822" || ext == ".eml" || ext == ".mht" || ext == ".mhtml":
		return subEmail, true
	case mt == "text/html" || mt == "application/xhtml+xml" || ext == ".html" || ext == ".htm" || ext == ".xhtml":
		return subHTML, true
	case mt == "" || mt == "application/octet-stream" || mt == "text/plain":
		// No useful hint: look at the first bytes.
		head := bytes.TrimLeft(data[:min(len(data), 512)], "\xef\xbb\xbf \t\r\n")
		if looksHTML(head) {
			return subHTML, true
		}
		if looksEmail(head) {
			return subEmail, true
		}
	}
	return subPlain, true
}

var textExts = map[string]bool{
	".txt": true, ".text": true, ".csv": true, ".tsv": true, ".json": true, ".xml": true, ".html": true,
	".htm": true, ".xhtml": true, ".md": true, ".eml": true, ".log": true, ".ini": true, ".yaml": true,
	".yml": true, ".rtf": true, ".vcf": true, ".ics": true, ".svg": true, ".sql": true, ".mht": true,
}

func looksHTML(head []byte) bool {
	l := bytes.ToLower(head[:min(len(head), 64)])
	return bytes.HasPrefix(l, []byte("<!doctype html")) || bytes.HasPrefix(l, []byte("<html")) ||
		bytes.HasPrefix(l, []byte("<head")) || bytes.HasPrefix(l, []byte("<body"))
}

// looksEmail recognises an RFC 5322 message by a first line that is one of
// the header fields mail systems put first.
func looksEmail(head []byte) bool {
	line, _, ok := bytes.Cut(head, []byte("\n"))
	if !ok {
		return false
	}
	for _, h := range []string{"received:", "return-path:", "delivered-to:", "mime-version:", "message-id:",
		"from:", "date:", "dkim-signature:", "arc-seal:", "authentication-results:", "x-"} {
		if len(line) >= len(h) && strings.EqualFold(string(line[:len(h)]), h) {
			return true
		}
	}
	return false
}

// looksText reports whether data is text: UTF-16 with a byte order mark or
// an evident zero-byte pattern, or 8-bit text with no NUL and few control
// characters. hinted relaxes the last test for declared text, which may be
// in a legacy encoding.
func looksText(data []byte, hinted bool) bool {
	if hasPrefix(data, "\xff\xfe") || hasPrefix(data, "\xfe\xff") {
		return len(data)%2 == 0 || hinted
	}
	if utf16Guess(data) != nil {
		return true
	}
	if len(data) == 0 {
		return true
	}
	var ctl int
	for _, c := range data {
		if c < 0x20 {
			switch c {
			case '\t', '\n', '\r', '\f', '\v', 0x1b:
			case 0:
				return false
			default:
				ctl++
			}
		} else if c == 0x7f {
			ctl++
		}
	}
	// Binary formats are dense in control bytes; text has almost none. A
	// declared text type is allowed more, since legacy encodings and
	// terminal captures use a few.
	if hinted {
		return ctl*20 <= len(data)
	}
	return ctl*100 <= len(data)
}
