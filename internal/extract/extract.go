package extract

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Default bounds, used for every Limits field that is zero or negative.
const (
	DefaultMaxInput    = 50 << 20
	DefaultMaxText     = 8 << 20
	DefaultMaxDepth    = 3
	DefaultMaxRatio    = 100
	DefaultMaxEntries  = 1000
	DefaultMaxExpanded = 256 << 20
)

// ratioGrace is the output size below which an entry or stream is never
// called a bomb for its ratio alone: a 40 KiB XML part that compresses
// 150:1 is ordinary, and so small an output costs nothing. Larger outputs
// must stay within MaxRatio, and all outputs count towards MaxExpanded.
const ratioGrace = 1 << 20

// maxProblems caps Result.Unscannable. An archive of ten thousand class
// files need not yield ten thousand identical findings; the first hundred
// say enough for policy to act.
const maxProblems = 100

// Limits bounds the work done on one input. Zero or negative fields take
// the defaults above.
type Limits struct {
	// MaxInput is the largest input, and the largest file inside a
	// container, that is examined. Larger ones are reported too_large.
	MaxInput int64
	// MaxText bounds the total text returned across all parts. Extraction
	// stops when it is reached and Result.Truncated is set.
	MaxText int64
	// MaxDepth is how many containers (archives, documents with embedded
	// files, e-mail attachments) may enclose a file that is examined. The
	// input itself is at depth 0.
	MaxDepth int
	// MaxRatio is the largest uncompressed/compressed ratio accepted for one
	// zip entry, gzip member or PDF stream whose output exceeds 1 MiB.
	MaxRatio int
	// MaxEntries bounds the entries of one archive and the parts of one
	// e-mail message.
	MaxEntries int
	// MaxExpanded bounds the bytes decompressed across the whole input, and
	// separately the bytes of PDF content interpreted (a form drawn on a
	// thousand pages counts a thousand times).
	MaxExpanded int64
}

// Validate reports an error of kind steward.Invalid if a field is negative.
// Zero fields are valid and mean the default.
func (l Limits) Validate() error {
	const op steward.Op = "extract.Limits.Validate"
	if l.MaxInput < 0 || l.MaxText < 0 || l.MaxDepth < 0 || l.MaxRatio < 0 || l.MaxEntries < 0 || l.MaxExpanded < 0 {
		return steward.Errorf(op, steward.Invalid, "extraction limits must not be negative")
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxInput <= 0 {
		l.MaxInput = DefaultMaxInput
	}
	if l.MaxText <= 0 {
		l.MaxText = DefaultMaxText
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxExpanded <= 0 {
		l.MaxExpanded = DefaultMaxExpanded
	}
	return l
}

// Reason says why (part of) an input could not be scanned. The set is
// fixed; policy matches on these strings.
type Reason string

const (
	// Encrypted: a password-protected zip entry, PDF, OOXML or ODF document.
	Encrypted Reason = "encrypted"
	// TooLarge: the input, or a file inside it, exceeds Limits.MaxInput.
	TooLarge Reason = "too_large"
	// TooDeep: containers are nested deeper than Limits.MaxDepth.
	TooDeep Reason = "too_deep"
	// Bomb: decompression exceeded Limits.MaxRatio or Limits.MaxExpanded.
	Bomb Reason = "bomb"
	// TooManyEntries: an archive or message exceeds Limits.MaxEntries.
	TooManyEntries Reason = "too_many_entries"
	// Corrupt: the format was recognised but its structure is broken, so
	// some or all of its content could not be read.
	Corrupt Reason = "corrupt"
	// Unsupported: the format is not one this package reads (an unknown
	// binary, a legacy Office file, a 7z archive), or a feature inside a
	// known format is not (a zip compression method, a PDF font without
	// any Unicode mapping).
	Unsupported Reason = "unsupported"
)

// Part is the text of one document found in the input.
type Part struct {
	// Path names the document: the input's file name, then one segment per
	// container entry, such as "report.zip/inner/a.docx".
	Path string
	// Format is one of "text", "html", "email", "pdf", "docx", "xlsx",
	// "pptx", "odf" or "image-metadata".
	Format string
	// Text is the extracted text, valid UTF-8. It may be empty: a photo
	// without metadata is scanned and holds no text.
	Text string
}

// Problem records a file, or part of one, that could not be scanned. It is
// a finding in its own right. Detail describes structure only (sizes,
// ratios, object numbers), never content.
type Problem struct {
	Path   string
	Reason Reason
	Detail string
}

// Result is everything extracted from one input.
type Result struct {
	Parts       []Part
	Unscannable []Problem
	// Truncated reports that Limits.MaxText was reached and extraction
	// stopped early: the text returned is a prefix of what there was.
	Truncated bool
}

// Extract returns the text of the input and the parts of it that could not
// be scanned. filename and contentType are hints used only when the bytes
// themselves do not decide the format; either may be empty. Extract never
// returns nil and never panics, whatever the input; its memory and time are
// bounded by lim. It is safe for concurrent use.
func Extract(filename, contentType string, data []byte, lim Limits) (res *Result) {
	w := newWalker(lim)
	path := filename
	if path == "" {
		path = "attachment"
	}
	defer func() {
		// Every parser here is fuzzed, but a panic on the capture path
		// must not lose a message: report the input instead.
		if r := recover(); r != nil {
			w.res.Unscannable = append(w.res.Unscannable, Problem{Path: path, Reason: Corrupt, Detail: "internal extractor failure"})
			res = w.res
		}
	}()
	w.file(path, filename, contentType, data, 0)
	return w.res
}

// walker carries the budgets of one Extract call through the recursion.
type walker struct {
	lim        Limits
	res        *Result
	textLeft   int64
	expandLeft int64
	workLeft   int64
	stopped    bool // a whole-input budget is spent: do no more work
}

func newWalker(lim Limits) *walker {
	lim = lim.withDefaults()
	return &walker{lim: lim, res: &Result{}, textLeft: lim.MaxText, expandLeft: lim.MaxExpanded, workLeft: lim.MaxExpanded}
}

// problem records a Problem, at most maxProblems of them.
func (w *walker) problem(path string, r Reason, format string, args ...any) {
	if len(w.res.Unscannable) >= maxProblems {
		return
	}
	w.res.Unscannable = append(w.res.Unscannable, Problem{Path: path, Reason: r, Detail: fmt.Sprintf(format, args...)})
}

// report records a *failure returned by a parser.
func (w *walker) report(path string, f *failure) {
	if f != nil {
		w.problem(path, f.reason, "%s", f.detail)
	}
}

// failure is the error type of the parsers in this package: a Reason and a
// structural detail, ready to become a Problem.
type failure struct {
	reason Reason
	detail string
}

func fail(r Reason, format string, args ...any) *failure {
	return &failure{reason: r, detail: fmt.Sprintf(format, args...)}
}

// spendWork charges n bytes of interpretation to the work budget and
// reports whether it was within it.
func (w *walker) spendWork(n int) bool {
	w.workLeft -= int64(n)
	if w.workLeft < 0 {
		w.stopped = true
		return false
	}
	return true
}

// sink collects the text of one Part within the walker's text budget.
type sink struct {
	w   *walker
	b   strings.Builder
	nl  bool // the last byte written was a newline (or nothing was written)
	sp  bool // the last byte written was white space
	cut bool
}

func (w *walker) newSink() *sink { return &sink{w: w, nl: true, sp: true} }

// full reports whether the text budget is spent, after which writes are
// dropped and extractors should return.
func (s *sink) full() bool { return s.cut || s.w.stopped }

// WriteString appends s (made valid UTF-8) within the budget. It never
// fails; the error is there to satisfy io.StringWriter.
func (s *sink) WriteString(str string) (int, error) {
	if s.full() || str == "" {
		return len(str), nil
	}
	if !utf8.ValidString(str) {
		str = strings.ToValidUTF8(str, "\uFFFD")
	}
	if int64(len(str)) > s.w.textLeft {
		n := int(s.w.textLeft)
		for n > 0 && !utf8.RuneStart(str[n]) {
			n--
		}
		str = str[:n]
		s.cut = true
		s.w.stopped = true
		s.w.res.Truncated = true
	}
	s.w.textLeft -= int64(len(str))
	s.b.WriteString(str)
	if str != "" {
		last := str[len(str)-1]
		s.nl = last == '\n'
		s.sp = last == ' ' || last == '\t' || last == '\n'
	}
	return len(str), nil
}

// Write is WriteString for bytes, without converting them to a string
// first.
func (s *sink) Write(p []byte) (int, error) {
	if s.full() || len(p) == 0 {
		return len(p), nil
	}
	if !utf8.Valid(p) || int64(len(p)) > s.w.textLeft {
		return s.WriteString(string(p))
	}
	s.w.textLeft -= int64(len(p))
	s.b.Write(p)
	last := p[len(p)-1]
	s.nl = last == '\n'
	s.sp = last == ' ' || last == '\t' || last == '\n'
	return len(p), nil
}

// newline ends the current line unless it is already ended.
func (s *sink) newline() {
	if !s.nl {
		s.WriteString("\n")
	}
}

// space separates words unless white space already does.
func (s *sink) space() {
	if !s.sp {
		s.WriteString(" ")
	}
}

// field writes "name: value" on a line of its own, if value is not blank.
func (s *sink) field(name, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	s.newline()
	s.WriteString(name)
	s.WriteString(": ")
	s.WriteString(value)
	s.WriteString("\n")
}

// emit adds a Part with the sink's text.
func (w *walker) emit(path, format string, s *sink) {
	w.res.Parts = append(w.res.Parts, Part{Path: path, Format: format, Text: s.b.String()})
}

// child joins a container path and an entry name.
func child(parent, name string) string {
	name = strings.TrimLeft(name, "/")
	if name == "" {
		name = "unnamed"
	}
	return parent + "/" + name
}

// file examines one file, the input or an entry of a container, at the
// given depth (the number of containers enclosing it).
func (w *walker) file(path, name, ctype string, data []byte, depth int) {
	if w.stopped {
		return
	}
	if int64(len(data)) > w.lim.MaxInput {
		w.problem(path, TooLarge, "%d bytes exceeds the limit of %d", len(data), w.lim.MaxInput)
		return
	}
	k := sniff(data, name, ctype)
	switch k.kind {
	case kindPDF:
		w.pdf(path, data, depth)
	case kindZip:
		w.zip(path, data, depth)
	case kindGzip:
		w.gzip(path, name, data, depth)
	case kindTar:
		w.tar(path, data, depth)
	case kindCFB:
		w.cfb(path, data)
	case kindJPEG, kindPNG, kindGIF, kindTIFF, kindWebP, kindHEIF:
		w.image(path, k.kind, data)
	case kindText:
		w.text(path, data, k.sub, depth)
	default:
		w.problem(path, Unsupported, "%s", k.detail)
	}
}

// container reports whether a container at depth may be opened, recording
// a too_deep problem if not: its entries would lie deeper than MaxDepth.
func (w *walker) container(path string, depth int) bool {
	if depth+1 > w.lim.MaxDepth {
		w.problem(path, TooDeep, "container nested %d deep; limit %d", depth+1, w.lim.MaxDepth)
		return false
	}
	return true
}
