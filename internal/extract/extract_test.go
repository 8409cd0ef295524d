package extract

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// --- helpers shared by the tests of this package ---

func run(name string, data []byte) *Result { return Extract(name, "", data, Limits{}) }

// part returns the part at path, failing the test if there is none.
func part(t *testing.T, r *Result, path string) Part {
	t.Helper()
	for _, p := range r.Parts {
		if p.Path == path {
			return p
		}
	}
	t.Fatalf("no part %q; parts: %s; problems: %v", path, partPaths(r), r.Unscannable)
	return Part{}
}

func partPaths(r *Result) string {
	var paths []string
	for _, p := range r.Parts {
		paths = append(paths, p.Path+" ("+p.Format+")")
	}
	return strings.Join(paths, ", ")
}

func hasProblem(r *Result, path string, reason Reason) bool {
	for _, p := range r.Unscannable {
		if p.Path == path && p.Reason == reason {
			return true
		}
	}
	return false
}

func wantProblem(t *testing.T, r *Result, path string, reason Reason) {
	t.Helper()
	if !hasProblem(r, path, reason) {
		t.Fatalf("want problem %s at %q; got %+v", reason, path, r.Unscannable)
	}
}

func wantClean(t *testing.T, r *Result) {
	t.Helper()
	if len(r.Unscannable) > 0 {
		t.Fatalf("unexpected problems: %+v", r.Unscannable)
	}
}

func wantText(t *testing.T, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q; text:\n%s", s, text)
		}
	}
}

func wantNoText(t *testing.T, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(text, s) {
			t.Errorf("text has %q but should not; text:\n%s", s, text)
		}
	}
}

// totalText is the extracted text across all parts.
func totalText(r *Result) int {
	n := 0
	for _, p := range r.Parts {
		n += len(p.Text)
	}
	return n
}

// checkInvariants holds for every result, whatever the input: it is what
// the fuzz targets assert.
func checkInvariants(t testing.TB, r *Result, lim Limits) {
	t.Helper()
	if r == nil {
		t.Fatal("nil result")
	}
	lim = lim.withDefaults()
	if int64(totalText(r)) > lim.MaxText {
		t.Fatalf("text %d exceeds MaxText %d", totalText(r), lim.MaxText)
	}
	if len(r.Unscannable) > maxProblems {
		t.Fatalf("%d problems exceeds the cap", len(r.Unscannable))
	}
	for _, p := range r.Parts {
		if !utf8.ValidString(p.Text) {
			t.Fatalf("part %q has invalid UTF-8", p.Path)
		}
		switch p.Format {
		case "text", "html", "email", "pdf", "docx", "xlsx", "pptx", "odf", "image-metadata":
		default:
			t.Fatalf("part %q has undocumented format %q", p.Path, p.Format)
		}
	}
	for _, p := range r.Unscannable {
		switch p.Reason {
		case Encrypted, TooLarge, TooDeep, Bomb, TooManyEntries, Corrupt, Unsupported:
		default:
			t.Fatalf("problem with undocumented reason %q", p.Reason)
		}
	}
}

// --- tests of the API itself ---

func TestLimitsValidate(t *testing.T) {
	if err := (Limits{}).Validate(); err != nil {
		t.Fatalf("zero limits: %v", err)
	}
	err := Limits{MaxDepth: -1}.Validate()
	if !steward.Is(steward.Invalid, err) {
		t.Fatalf("negative limit: got %v, want kind Invalid", err)
	}
	d := Limits{MaxText: -5}.withDefaults()
	if d.MaxText != DefaultMaxText || d.MaxDepth != DefaultMaxDepth || d.MaxRatio != DefaultMaxRatio {
		t.Fatalf("defaults not applied: %+v", d)
	}
}

func TestEmptyAndUnnamedInput(t *testing.T) {
	r := Extract("", "", nil, Limits{})
	checkInvariants(t, r, Limits{})
	if len(r.Parts) != 1 || r.Parts[0].Path != "attachment" || r.Parts[0].Text != "" {
		t.Fatalf("empty input: %+v", r)
	}
	wantClean(t, r)
}

func TestInputTooLarge(t *testing.T) {
	r := Extract("big.txt", "", bytes.Repeat([]byte("a"), 2000), Limits{MaxInput: 1000})
	wantProblem(t, r, "big.txt", TooLarge)
	if len(r.Parts) != 0 {
		t.Fatalf("too-large input was read: %+v", r.Parts)
	}
}

func TestUnknownBinaryIsUnsupported(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	blob := make([]byte, 4096)
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		detail string
	}{
		{"blob.bin", blob, "unrecognised binary data"},
		// A name that says text does not make random bytes text.
		{"notes.txt", blob, "unrecognised binary data"},
		{"a.7z", append([]byte("7z\xbc\xaf\x27\x1c"), blob...), "7z archive"},
		{"prog", append([]byte("\x7fELF"), blob...), "ELF executable"},
	} {
		r := run(tc.name, tc.data)
		wantProblem(t, r, tc.name, Unsupported)
		if r.Unscannable[0].Detail != tc.detail {
			t.Errorf("%s: detail %q, want %q", tc.name, r.Unscannable[0].Detail, tc.detail)
		}
		if len(r.Parts) != 0 {
			t.Errorf("%s: binary yielded parts %s", tc.name, partPaths(r))
		}
	}
}

func TestMagicBeatsName(t *testing.T) {
	// A PDF named .txt is a PDF; a zip named .pdf is a zip.
	pdf := simplePDF("BT /F1 12 Tf 72 700 Td (inside the pdf) Tj ET").bytes()
	if p := part(t, run("report.txt", pdf), "report.txt"); p.Format != "pdf" {
		t.Fatalf("format %q, want pdf", p.Format)
	}
	zipped := buildZip(t, files("a.txt", "inside the zip")...)
	r := run("report.pdf", zipped)
	wantText(t, part(t, r, "report.pdf/a.txt").Text, "inside the zip")
}

func TestPDFHeaderNotAtStart(t *testing.T) {
	pdf := simplePDF("BT /F1 12 Tf 72 700 Td (after junk) Tj ET").bytes()
	r := run("x", append([]byte("garbage before the header\n"), pdf...))
	wantText(t, part(t, r, "x").Text, "after junk")
	if r.Parts[0].Format != "pdf" {
		t.Fatalf("format %q", r.Parts[0].Format)
	}
	// A text that mentions the header is still text.
	r = run("notes.txt", []byte("The file starts with %PDF-1.7 as usual.\n"))
	wantClean(t, r)
	if p := part(t, r, "notes.txt"); p.Format != "text" {
		t.Fatalf("format %q", p.Format)
	}
}

func TestTextBudgetTruncates(t *testing.T) {
	big := strings.Repeat("0123456789", 50)
	zipped := buildZip(t, files("a.txt", big, "b.txt", big, "c.txt", "never read")...)
	lim := Limits{MaxText: 700}
	r := Extract("x.zip", "", zipped, lim)
	checkInvariants(t, r, lim)
	if !r.Truncated {
		t.Fatal("Truncated not set")
	}
	if got := totalText(r); got != 700 {
		t.Fatalf("total text %d, want exactly the budget 700", got)
	}
	for _, p := range r.Parts {
		if p.Path == "x.zip/c.txt" {
			t.Fatal("extraction continued after the budget was spent")
		}
	}
}

func TestTextBudgetCutsOnRuneBoundary(t *testing.T) {
	lim := Limits{MaxText: 5}
	r := Extract("u.txt", "", []byte("ééé"), lim) // 6 bytes
	checkInvariants(t, r, lim)
	if got := part(t, r, "u.txt").Text; got != "éé" {
		t.Fatalf("got %q, want %q", got, "éé")
	}
}

func TestProblemsAreCapped(t *testing.T) {
	var entries []zipEntry
	for i := range 150 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("bin/%03d.dat", i), data: []byte("\x00\x01\x02\x03binary\x00")})
	}
	r := run("many.zip", buildZip(t, entries...))
	checkInvariants(t, r, Limits{})
	if len(r.Unscannable) != maxProblems {
		t.Fatalf("%d problems, want the cap %d", len(r.Unscannable), maxProblems)
	}
}
