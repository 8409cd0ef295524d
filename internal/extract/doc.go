// Package extract turns message attachments into text for data-loss
// prevention scanning, and says precisely what it could not scan.
//
// [Extract] takes the bytes of one attachment and returns the text of every
// document found in it ([Part]) and every file or piece of one that could
// not be read ([Problem]). It is called on the capture path, so it is pure
// Go without cgo or external programs, holds the input in memory once, and
// bounds everything else by [Limits]: each file's size, the total text, the
// nesting of containers, the compression ratio of each entry and stream,
// the entries of each archive, and the bytes decompressed (and, for PDF,
// the content interpreted) across the whole input. Hostile input ends in a
// Problem, never in a panic, an unbounded allocation or a loop without end.
//
// # Formats
//
// The format is decided by magic bytes first; the file name and content
// type only choose among text flavours.
//
//   - Text: UTF-8, UTF-16 with a byte order mark (or evidently UTF-16
//     without one), legacy 8-bit text read as Windows-1252. HTML is
//     stripped of markup (comments, scripts and alt/title/value attributes
//     are kept as text; style sheets are not). E-mail (RFC 5322) yields its
//     main headers and text bodies as one part, and its attachments are
//     examined as files one level deeper.
//   - PDF: objects are found by scanning rather than by the cross-reference
//     table; object streams, Flate, LZW, ASCIIHex, ASCII85 and RunLength
//     filters and PNG predictors are supported. Text comes from the Tj, TJ,
//     ' and " operators in page order, through ToUnicode CMaps (bfchar and
//     bfrange), simple-font encodings with /Differences, and Unicode CMaps;
//     form XObjects are followed. Spaces and line breaks are inferred from
//     glyph positions. Annotation text, filled-in form fields and the
//     document information follow the page text. Embedded files are
//     examined one level deeper. Identity-encoded fonts without ToUnicode
//     are read through their embedded TrueType cmap. An encrypted PDF is
//     read when its user password is empty (it only restricts
//     permissions, and opens in any viewer without a password; RC4 and
//     AES-128/256 of the standard security handler) and reported
//     encrypted otherwise.
//   - OOXML: DOCX (body, footnotes, endnotes, comments, headers, footers,
//     including deleted text of tracked changes), XLSX (sheets as
//     tab-separated rows, shared and inline strings and numeric values,
//     comments), PPTX (slides, notes, comments), each with document
//     properties including custom ones (sensitivity labels). Embedded
//     documents are examined one level deeper, embedded pictures for their
//     metadata. ODF (content, headers and footers, metadata) likewise.
//     Encrypted OOXML (an OLE compound file holding EncryptedPackage) and
//     encrypted ODF are reported encrypted; other OLE files (legacy .doc,
//     .xls, .ppt, .msg) are reported unsupported.
//   - Images: JPEG, PNG, GIF, TIFF, WebP and HEIF/AVIF metadata: EXIF text
//     tags (ImageDescription, Artist, Copyright, UserComment, XP* tags,
//     camera owner and serial numbers), GPS position as decimal degrees,
//     XMP, IPTC, JPEG and GIF comments, PNG text chunks. Pixels are not
//     text: a picture with sound structure is never unscannable, even with
//     no metadata at all (its Part then has empty text).
//   - Archives: zip (and jar, apk, epub ...), gzip (one member) and tar;
//     each entry is examined as a file one level deeper. Encrypted entries
//     and unsupported compression methods are reported per entry. macOS
//     resource forks (__MACOSX/), .DS_Store and Thumbs.db are skipped.
//   - Anything else is reported unsupported, with what it appears to be.
//
// # Paths and depth
//
// A Part's or Problem's Path is the input's file name followed by one
// segment per entry, as in "report.zip/inner/a.docx" or
// "scan.pdf/attachment.xlsx". The input is at depth 0 and each container
// (archive, document with embedded files, e-mail with attachments) puts
// its entries one deeper; a container whose entries would lie deeper than
// MaxDepth is reported too_deep once instead of being opened. Documents
// at the limit still yield their own text.
//
// # Problems
//
// Each Problem has one of the reasons [Encrypted], [TooLarge], [TooDeep],
// [Bomb], [TooManyEntries], [Corrupt] or [Unsupported], and a Detail that
// describes structure only (sizes, ratios, object numbers), never content,
// so that it may be logged. A file can yield both a Part and a Problem: a
// PDF whose one damaged page could not be decoded still yields the text of
// the others. At most 100 problems are recorded per input.
//
// A bomb is an entry or stream expanding more than MaxRatio:1 once its
// output passes 1 MiB (small outputs are harmless whatever their ratio),
// or the input's decompressed bytes passing MaxExpanded, after which
// extraction stops. Zip entries that declare such sizes are refused
// before a byte is inflated.
package extract
