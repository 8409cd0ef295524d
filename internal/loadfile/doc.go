// Package loadfile writes the load files that review platforms import a
// production with: Concordance DAT (document metadata, one row per
// document), Opticon OPT (page images to documents), and the Bates numbers
// both refer to.
//
// # DAT
//
// The defaults are Concordance's: fields separated by ASCII 20 (0x14),
// each surrounded by þ (U+00FE), with ® (U+00AE) standing for a line break
// inside a value, a header row of field names, and CRLF after every row.
// Files are UTF-8, where þ is the two bytes C3 BE (in Windows-1252 it is
// the single byte FE: the commonest reason a DAT file will not load), and
// start with a byte order mark unless DATOptions.OmitBOM says otherwise,
// so that Relativity and spreadsheet tools detect the encoding.
//
// A qualifier inside a value is doubled ("þþ"). That is what Relativity's
// own exporter writes (its cell formatter replaces the quote with two) and
// what its importer reads back as one; replacing the character instead
// would change the evidence. Every value is qualified, as Relativity's
// exporter does, so a separator inside a value needs no escape.
//
// DATReader reads the format back, for verifying a production; it is
// fuzzed, and rejects rather than guesses at malformed rows.
//
// # Bates
//
// [Bates] numbers pages as prefix plus zero-padded sequence (ABC-000001).
// [Bates.Family] numbers a message and its attachments in order and gives
// the family range every member carries as BEGATTACH and ENDATTACH.
package loadfile
