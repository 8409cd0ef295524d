package loadfile

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// MaxFields is the most fields a row may hold, Relativity's own limit.
const MaxFields = 10_000

// maxValue bounds one field, so a file without a closing qualifier cannot
// make the reader buffer without end.
const maxValue = 64 << 20

// DATReader reads a DAT file back, for verifying a production and for
// tests. It follows the grammar Relativity's importer accepts: fields
// optionally surrounded by the qualifier, a doubled qualifier inside a
// qualified field standing for one, rows ending in CRLF (a bare LF is
// also accepted), and the Newline character turned back into a line
// break. It is stricter in one way: a qualifier inside a qualified field
// that is neither doubled nor followed by a separator or the end of the
// row is an error, not silently dropped.
type DATReader struct {
	r      *bufio.Reader
	opts   DATOptions
	fields []string
	row    int // 1-based row number of the last row read; the header is row 1
	buf    strings.Builder
}

// NewDATReader reads an optional byte order mark and the header row. It
// fails with steward.Invalid when the options are bad, the header is
// empty or malformed, or the file is not UTF-8 (the message then says it
// may be Windows-1252, where þ is the single byte FE).
func NewDATReader(r io.Reader, opts *DATOptions) (*DATReader, error) {
	const op steward.Op = "loadfile.NewDATReader"
	o, err := opts.withDefaults(op)
	if err != nil {
		return nil, err
	}
	d := &DATReader{r: bufio.NewReaderSize(r, 64<<10), opts: o}
	if b, err := d.r.Peek(3); err == nil && string(b) == bom {
		d.r.Discard(3)
	}
	fields, err := d.Read()
	switch {
	case err == io.EOF:
		return nil, steward.Errorf(op, steward.Invalid, "empty file: no header row")
	case err != nil:
		return nil, steward.E(op, err)
	}
	for _, f := range fields {
		if f == "" {
			return nil, steward.Errorf(op, steward.Invalid, "the header row has an empty field name")
		}
	}
	d.fields = fields
	return d, nil
}

// Fields returns the header row.
func (d *DATReader) Fields() []string { return d.fields }

// Read returns the next row's values, or io.EOF after the last row. It
// fails with steward.Invalid, naming the row, when the row is malformed or
// has a different number of values than the header.
func (d *DATReader) Read() ([]string, error) {
	const op steward.Op = "loadfile.DATReader.Read"
	if _, err := d.r.Peek(1); err == io.EOF {
		return nil, io.EOF
	}
	d.row++
	var row []string
	for {
		v, end, err := d.field()
		if err != nil {
			return nil, steward.Errorf(op, steward.Invalid, "row %d, field %d: %v", d.row, len(row)+1, err)
		}
		if row = append(row, v); len(row) > MaxFields {
			return nil, steward.Errorf(op, steward.Invalid, "row %d has over %d fields", d.row, MaxFields)
		}
		if end {
			break
		}
	}
	if d.fields != nil && len(row) != len(d.fields) {
		return nil, steward.Errorf(op, steward.Invalid, "row %d has %d fields; the header has %d", d.row, len(row), len(d.fields))
	}
	return row, nil
}

// ReadAll reads the remaining rows.
func (d *DATReader) ReadAll() ([][]string, error) {
	var rows [][]string
	for {
		row, err := d.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

var (
	errNotUTF8 = errors.New("not UTF-8; the file may be Windows-1252, where þ is the single byte FE")
	errTooLong = errors.New("value over 64 MiB; is a qualifier missing?")
)

// field reads one field and the separator or row end after it; end
// reports the row ended.
func (d *DATReader) field() (value string, end bool, err error) {
	d.buf.Reset()
	r, err := d.rune()
	if err == io.EOF {
		return "", true, nil
	}
	if err != nil {
		return "", false, err
	}
	if r != d.opts.Quote {
		// Unqualified: up to the separator or the row end.
		for {
			switch {
			case r == d.opts.Separator:
				return d.value(), false, nil
			case r == '\n':
				return d.value(), true, nil
			case r == '\r':
				if next, _ := d.r.Peek(1); len(next) == 1 && next[0] == '\n' {
					d.r.Discard(1)
					return d.value(), true, nil
				}
				d.buf.WriteRune(r)
			default:
				d.buf.WriteRune(r)
			}
			if d.buf.Len() > maxValue {
				return "", false, errTooLong
			}
			if r, err = d.rune(); err == io.EOF {
				return d.value(), true, nil
			} else if err != nil {
				return "", false, err
			}
		}
	}
	// Qualified: up to a qualifier that is not doubled.
	for {
		r, err := d.rune()
		if err == io.EOF {
			return "", false, errors.New("the file ends inside a qualified value")
		}
		if err != nil {
			return "", false, err
		}
		if r != d.opts.Quote {
			if d.buf.WriteRune(r); d.buf.Len() > maxValue {
				return "", false, errTooLong
			}
			continue
		}
		next, err := d.rune()
		switch {
		case err == io.EOF:
			return d.value(), true, nil
		case err != nil:
			return "", false, err
		case next == d.opts.Quote:
			d.buf.WriteRune(next)
		case next == d.opts.Separator:
			return d.value(), false, nil
		case next == '\n':
			return d.value(), true, nil
		case next == '\r':
			if b, _ := d.r.Peek(1); len(b) == 1 && b[0] == '\n' {
				d.r.Discard(1)
				return d.value(), true, nil
			}
			return "", false, errors.New("a qualifier is followed by a bare carriage return")
		default:
			return "", false, errors.New("a qualifier inside a value is neither doubled nor at the value's end")
		}
	}
}

// rune reads one UTF-8 character, refusing invalid bytes.
func (d *DATReader) rune() (rune, error) {
	r, size, err := d.r.ReadRune()
	if err != nil {
		return 0, err
	}
	if r == utf8.RuneError && size == 1 {
		return 0, errNotUTF8
	}
	return r, nil
}

// value returns the buffered value with line breaks restored: the Newline
// character, and CRLF or CR inside a qualified value, become "\n".
func (d *DATReader) value() string {
	s := d.buf.String()
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	if strings.ContainsRune(s, d.opts.Newline) {
		s = strings.ReplaceAll(s, string(d.opts.Newline), "\n")
	}
	return s
}

// ReadDAT reads a whole DAT file: its header and its rows.
func ReadDAT(r io.Reader, opts *DATOptions) (fields []string, rows [][]string, err error) {
	d, err := NewDATReader(r, opts)
	if err != nil {
		return nil, nil, err
	}
	rows, err = d.ReadAll()
	return d.fields, rows, err
}
