package dlp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

var testKey = bytes.Repeat([]byte{7}, 32)

func det(name string, kind steward.DetectorKind, pattern string, keywords ...string) *steward.CustomDetector {
	return &steward.CustomDetector{ID: "id-" + name, Name: name, Kind: kind, Pattern: pattern, Keywords: keywords,
		Confidence: 0.6, Enabled: true}
}

func TestCheckDetector(t *testing.T) {
	ok := []*steward.CustomDetector{
		det("case_number", steward.DetectorRegex, `\bCASE-\d{6}\b`),
		det("projects", steward.DetectorKeywords, "", "Project Bluebird", "operation x"),
		det("threats", steward.DetectorLexicon, "", "bomb w/5 school", `"active shooter"`, `"pipe bomb" W/10 "city hall"`),
		det("employees", steward.DetectorEDM, `\b\d{6}\b`),
		det("a", steward.DetectorRegex, "x"),
		det(strings.Repeat("a", 48), steward.DetectorRegex, "x"),
	}
	for _, d := range ok {
		if err := CheckDetector(d); err != nil {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
	long := det("long", steward.DetectorRegex, strings.Repeat("a", MaxPatternBytes+1))
	conf := func(c float64) *steward.CustomDetector {
		d := det("conf", steward.DetectorRegex, "x")
		d.Confidence = c
		return d
	}
	ctx := det("ctx", steward.DetectorRegex, "x")
	ctx.Context = []string{"ok", " "}
	bad := []struct {
		d    *steward.CustomDetector
		want string // in the message
	}{
		{nil, "no detector"},
		{det("", steward.DetectorRegex, "x"), "detector name"},
		{det("Case", steward.DetectorRegex, "x"), "detector name"},
		{det("1case", steward.DetectorRegex, "x"), "detector name"},
		{det("case-number", steward.DetectorRegex, "x"), "detector name"},
		{det(strings.Repeat("a", 49), steward.DetectorRegex, "x"), "detector name"},
		{det("us_ssn", steward.DetectorRegex, "x"), "built-in"},
		{det("email", steward.DetectorKeywords, "", "x"), "built-in"},
		{det("k", "fuzzy", "x"), "unknown kind"},
		{det("k", "", "x"), "unknown kind"},
		{det("r", steward.DetectorRegex, ""), "empty"},
		{det("r", steward.DetectorRegex, `(`), "not valid RE2"},
		{det("r", steward.DetectorRegex, `(?<=a)b`), "not valid RE2"},
		{det("r", steward.DetectorRegex, `\d*`), "empty string"},
		{long, "longer than 1024"},
		{det("r", steward.DetectorRegex, "x", "kw"), "not keywords"},
		{det("e", steward.DetectorEDM, `\d+(`), "not valid RE2"},
		{det("k", steward.DetectorKeywords, ""), "keywords"},
		{det("k", steward.DetectorKeywords, "x", "kw"), "not a pattern"},
		{det("k", steward.DetectorKeywords, "", "ok", "  "), "keyword 2"},
		{det("k", steward.DetectorKeywords, "", strings.Repeat("k", MaxKeywordBytes+1)), "keyword 1"},
		{det("k", steward.DetectorKeywords, "", "\xff"), "keyword 1"},
		{det("l", steward.DetectorLexicon, "", "a w/0 b"), "term 1"},
		{det("l", steward.DetectorLexicon, "", "fine", "a w/5"), "term 2"},
		{det("l", steward.DetectorLexicon, "", `"unclosed w/3 b`), "not closed"},
		{det("l", steward.DetectorLexicon, "", "a w/2 b w/3 c"), "at most one"},
		{conf(0), "confidence"},
		{conf(-0.5), "confidence"},
		{conf(1.01), "confidence"},
		{ctx, "context word"},
	}
	for _, tt := range bad {
		err := CheckDetector(tt.d)
		if !steward.Is(steward.Invalid, err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want Invalid mentioning %q", tt.d, err, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	edm := det("emp", steward.DetectorEDM, `\d+`)
	tests := []struct {
		name string
		cfg  Config
		kind steward.Kind
	}{
		{"short key", Config{Key: []byte("short")}, steward.Invalid},
		{"edm without key", Config{Custom: []*steward.CustomDetector{edm}}, steward.Invalid},
		{"bad digest", Config{Custom: []*steward.CustomDetector{edm}, Key: testKey, EDM: map[string][][]byte{edm.ID: {{1, 2}}}}, steward.Invalid},
		{"duplicate", Config{Custom: []*steward.CustomDetector{det("x", steward.DetectorRegex, "a"), det("x", steward.DetectorRegex, "b")}}, steward.Invalid},
		{"invalid detector", Config{Custom: []*steward.CustomDetector{det("x", steward.DetectorRegex, "(")}}, steward.Invalid},
		{"nil detector", Config{Custom: []*steward.CustomDetector{nil}}, steward.Invalid},
	}
	for _, tt := range tests {
		if _, err := Compile(tt.cfg); !steward.Is(tt.kind, err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.kind)
		}
	}
	// Disabled and deleted detectors are left out, even when invalid.
	off := det("off", steward.DetectorRegex, "(")
	off.Enabled = false
	gone := det("gone", steward.DetectorRegex, "x")
	gone.Deleted = true
	s, err := Compile(Config{Custom: []*steward.CustomDetector{off, gone}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Detectors(), Detectors()) {
		t.Errorf("detectors = %v", s.Detectors())
	}
}

// spans scans text and returns "detector:value" for each valid finding.
func spans(s *Scanner, text string, opts Options) []string {
	var out []string
	for _, f := range s.Scan(text, opts) {
		if f.Valid {
			out = append(out, f.Detector+":"+text[f.Start:f.End])
		}
	}
	return out
}

func TestCustomScan(t *testing.T) {
	kw := det("projects", steward.DetectorKeywords, "", "Project Bluebird", "bluebird", "c++", "niño", "x")
	lex := det("threats", steward.DetectorLexicon, "", "bomb w/3 school", `"city hall" w/1 "pipe bomb"`, `"active shooter"`)
	re := det("case_number", steward.DetectorRegex, `CASE-\d{6}`)
	s, err := Compile(Config{Custom: []*steward.CustomDetector{kw, lex, re}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"keyword case and spaces", "the PROJECT\n\t BLUEBIRD files", []string{"projects:PROJECT\n\t BLUEBIRD"}},
		{"keyword whole word", "bluebirds and xbluebird and bluebird_2 but bluebird.", []string{"projects:bluebird"}},
		{"keyword punctuation edge", "we use c++ and c++11", []string{"projects:c++", "projects:c++"}},
		{"keyword non-ascii", "el niño and el NIÑO and niños", []string{"projects:niño"}},
		{"single letter", "x marks the spot, not xx or x1", []string{"projects:x"}},
		{"proximity", "a bomb near the school", []string{"threats:bomb near the school"}},
		{"proximity reversed", "school, then one two bomb", []string{"threats:school, then one two bomb"}},
		{"proximity too far", "bomb one two three four school", nil},
		{"proximity phrases", "City Hall pipe bomb; pipe bomb at the city hall", []string{"threats:City Hall pipe bomb"}},
		{"lexicon phrase", "reports of an Active  Shooter", []string{"threats:Active  Shooter"}},
		{"regex", "see CASE-123456 and CASE-12345", []string{"case_number:CASE-123456"}},
		{"with builtins", "SSN 123-45-6789 re Project Bluebird", []string{"us_ssn:123-45-6789", "projects:Project Bluebird"}},
	}
	for _, tt := range tests {
		if got := spans(s, tt.text, Options{}); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	text := "SSN 123-45-6789 re Project Bluebird and CASE-123456"
	if got := spans(s, text, Options{Detectors: []string{"projects", "us_ssn"}}); !slices.Equal(got, []string{"us_ssn:123-45-6789", "projects:Project Bluebird"}) {
		t.Errorf("filter: %q", got)
	}
	if got := spans(s, text, Options{Detectors: []string{"case_number"}}); !slices.Equal(got, []string{"case_number:CASE-123456"}) {
		t.Errorf("filter custom only: %q", got)
	}
	for _, f := range s.Scan(text, Options{}) {
		if f.Detector == "projects" && (f.Confidence != 0.6 || !f.Valid || f.Count != 1) {
			t.Errorf("custom finding %+v", f)
		}
	}
	if err := s.CheckOptions(Options{Detectors: []string{"projects", "email"}}); err != nil {
		t.Error(err)
	}
	if err := s.CheckOptions(Options{Detectors: []string{"nope"}}); !steward.Is(steward.Invalid, err) {
		t.Errorf("unknown name: %v", err)
	}
	if err := s.CheckOptions(Options{MinConfidence: 3}); !steward.Is(steward.Invalid, err) {
		t.Errorf("bad confidence: %v", err)
	}
	if want := append(Detectors(), "projects", "threats", "case_number"); !slices.Equal(s.Detectors(), want) {
		t.Errorf("Detectors() = %v", s.Detectors())
	}
}

func TestCustomContext(t *testing.T) {
	d := det("badge", steward.DetectorRegex, `\bB\d{5}\b`)
	d.Context = []string{"Badge", "access card"}
	s, err := Compile(Config{Custom: []*steward.CustomDetector{d}})
	if err != nil {
		t.Fatal(err)
	}
	conf := func(text string) float64 {
		fs := s.Scan(text, Options{Detectors: []string{"badge"}})
		if len(fs) != 1 {
			t.Fatalf("%q: %+v", text, fs)
		}
		return fs[0].Confidence
	}
	if c := conf("number B12345"); c != 0.6 {
		t.Errorf("plain = %v", c)
	}
	if c := conf("badge B12345"); c != 0.75 {
		t.Errorf("context = %v", c)
	}
	if c := conf("the ACCESS CARD B12345"); c != 0.75 {
		t.Errorf("phrase context = %v", c)
	}
	if c := conf("sample B12345"); c != 0.3 {
		t.Errorf("negative = %v", c)
	}
}

func TestEDM(t *testing.T) {
	values := []string{"123-45-6789", "Jane Q. Public", "CASE 0042"}
	var digests [][]byte
	for _, v := range values {
		digests = append(digests, EDMDigest(testKey, ClientHash(v)))
	}
	ssn := det("known_ssn", steward.DetectorEDM, `\b\d{3}[- ]?\d{2}[- ]?\d{4}\b`)
	names := det("known_name", steward.DetectorEDM, `\b[A-Z][a-z]+ [A-Z]\. [A-Z][a-z]+\b`)
	s, err := Compile(Config{Custom: []*steward.CustomDetector{ssn, names}, Key: testKey,
		EDM: map[string][][]byte{ssn.ID: digests, names.ID: digests}})
	if err != nil {
		t.Fatal(err)
	}
	text := "ids 123 45 6789, 123456789 and 987-65-4321; Jane Q. Public and John Q. Public"
	want := []string{"known_ssn:123 45 6789", "known_ssn:123456789", "known_name:Jane Q. Public"}
	if got := spans(s, text, Options{Detectors: []string{"known_ssn", "known_name"}}); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	all := s.Scan(text, Options{Detectors: []string{"known_ssn"}, IncludeInvalid: true})
	if len(all) != 3 || all[2].Valid || text[all[2].Start:all[2].End] != "987-65-4321" {
		t.Errorf("with invalid: %+v", all)
	}
	// ValueDigest is the stored digest of the value, in hex.
	if got, want := s.ValueDigest("123456789"), hex.EncodeToString(digests[0]); got != want {
		t.Errorf("ValueDigest = %s, want %s", got, want)
	}
	if (&Scanner{}).ValueDigest("x") != "" {
		t.Error("ValueDigest without a key")
	}
	// The digest is HMAC-SHA256(key, SHA-256(normalized)).
	sum := sha256.Sum256([]byte("jane q. public"))
	m := hmac.New(sha256.New, testKey)
	m.Write(sum[:])
	if !bytes.Equal(m.Sum(nil), EDMDigest(testKey, ClientHash("  JANE   Q. Public\n"))) || ClientHash("Jane Q. Public") != sum {
		t.Error("digest construction")
	}
}

func TestNormalizeEDM(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Jane   Q.\tPublic ", "jane q. public"},
		{"123-45-6789", "123456789"},
		{"123 45 6789", "123456789"},
		{" 4111-1111 1111-1111\n", "4111111111111111"},
		{"CASE-0042", "case-0042"},
		{"12.5", "12.5"},
		{"---", "---"},
		{"ÉCOLE", "école"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeEDM(tt.in); got != tt.want {
			t.Errorf("NormalizeEDM(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	text := "SSN 123-45-6789, card 4111 1111 1111 1111."
	fs := Scan(text, Options{})
	if got, want := Redact(text, fs), "SSN [REDACTED], card [REDACTED]."; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	f := func(s, e int) Finding { return Finding{Start: s, End: e} }
	tests := []struct {
		fs   []Finding
		want string
	}{
		{nil, "abcdefghij"},
		{[]Finding{f(2, 4)}, "ab[REDACTED]efghij"},
		{[]Finding{f(6, 8), f(2, 4)}, "ab[REDACTED]ef[REDACTED]ij"},
		{[]Finding{f(2, 5), f(4, 7)}, "ab[REDACTED]hij"},  // overlap
		{[]Finding{f(2, 4), f(4, 6)}, "ab[REDACTED]ghij"}, // touching
		{[]Finding{f(1, 9), f(3, 4)}, "a[REDACTED]j"},     // nested
		{[]Finding{f(0, 10)}, "[REDACTED]"},
		{[]Finding{f(-5, 2), f(8, 99)}, "[REDACTED]cdefgh[REDACTED]"}, // clamped
		{[]Finding{f(5, 5), f(7, 3)}, "abcdefghij"},                   // empty
	}
	for _, tt := range tests {
		if got := Redact("abcdefghij", tt.fs); got != tt.want {
			t.Errorf("Redact(%v) = %q, want %q", tt.fs, got, tt.want)
		}
	}
}

func TestParseTerm(t *testing.T) {
	tests := []struct {
		in   string
		want Term
		err  string
	}{
		{"bomb", Term{A: "bomb"}, ""},
		{"  social   security  ", Term{A: "social security"}, ""},
		{`"social security"`, Term{A: "social security"}, ""},
		{`"w/3"`, Term{A: "w/3"}, ""},
		{"bomb w/5 school", Term{A: "bomb", B: "school", N: 5}, ""},
		{"bomb W/5 school", Term{A: "bomb", B: "school", N: 5}, ""},
		{`"pipe bomb" w/10 "city hall"`, Term{A: "pipe bomb", B: "city hall", N: 10}, ""},
		{`"a w/2 b" w/3 c`, Term{A: "a w/2 b", B: "c", N: 3}, ""},
		{"a w/100 b", Term{A: "a", B: "b", N: 100}, ""},
		{"a w/101 b", Term{}, "1 to 100"},
		{"a w/0 b", Term{}, "1 to 100"},
		{"a w/99999999999999999999 b", Term{}, "1 to 100"},
		{"w/3 b", Term{}, "proximity term"},
		{"a w/3", Term{}, "proximity term"},
		{"a b w/3 c", Term{}, "proximity term"},
		{"a w/3 b c", Term{}, "proximity term"},
		{"a w/2 w/3 b", Term{}, "at most one"},
		{`"a`, Term{}, "not closed"},
		{`a"b`, Term{}, "start a phrase"},
		{`say "hi" now`, Term{}, "whole phrase"},
		{`""`, Term{}, "empty"},
		{"   ", Term{}, "empty"},
		{`"--" w/2 b`, Term{}, "letter or digit"},
	}
	for _, tt := range tests {
		got, err := ParseTerm(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseTerm(%q) = %+v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTerm(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseTerm(f *testing.F) {
	for _, s := range []string{"bomb", "bomb w/5 school", `"pipe bomb" W/10 "city hall"`, `"a`, "a w/0 b", `"x" w/3`, "w/ w/1 w/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		term, err := ParseTerm(s)
		if err != nil {
			return
		}
		if term.A == "" || term.N < 0 || term.N > MaxProximity || (term.N > 0) != (term.B != "") {
			t.Fatalf("ParseTerm(%q) = %+v", s, term)
		}
		again, err := ParseTerm(term.String())
		if err != nil || again != term {
			t.Fatalf("round trip of %q: %q gives %+v, %v", s, term.String(), again, err)
		}
	})
}

// naivePhrases finds phrase in text the slow way, as keywordMatcher should.
func naivePhrases(text, phrase string) [][2]int {
	var out [][2]int
	for s := 0; s < len(text); s++ {
		i, j := s, 0
		for j < len(phrase) && i < len(text) {
			if phrase[j] == ' ' {
				if !isSpace(text[i]) {
					break
				}
				for i < len(text) && isSpace(text[i]) {
					i++
				}
				j++
				continue
			}
			if foldByte(text[i]) != phrase[j] {
				break
			}
			i, j = i+1, j+1
		}
		if j < len(phrase) {
			continue
		}
		if isTextWordByte(phrase[0]) && s > 0 && isTextWordByte(text[s-1]) ||
			isTextWordByte(phrase[len(phrase)-1]) && i < len(text) && isTextWordByte(text[i]) {
			continue
		}
		out = append(out, [2]int{s, i})
	}
	return out
}

var fuzzKeywords = []string{"bluebird", "project bluebird", "blue", "c++", "niño", "a b", "ssn", "x", "pipe bomb", "bomb"}

func fuzzScanner(t testing.TB) *Scanner {
	kw := det("kw", steward.DetectorKeywords, "", fuzzKeywords...)
	lex := det("lex", steward.DetectorLexicon, "", "bomb w/2 school", `"pipe bomb" w/1 x`, "ssn w/3 ssn")
	re := det("re", steward.DetectorRegex, `(?i)case[- ]?\d{2,6}`)
	edm := det("edm", steward.DetectorEDM, `\b\d{3}[- ]?\d{2}[- ]?\d{4}\b`)
	edm.Context = []string{"employee"}
	s, err := Compile(Config{Custom: []*steward.CustomDetector{kw, lex, re, edm}, Key: testKey,
		EDM: map[string][][]byte{edm.ID: {EDMDigest(testKey, ClientHash("123-45-6789"))}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeywordMatcher: the automaton finds what the naive search finds.
func TestKeywordMatcher(t *testing.T) {
	s := fuzzScanner(t)
	for _, text := range []string{"Project  Bluebird blue bluebird c++ niño A\tB a  b x", "bluebirdblue", "pipe bomb x ssn ssn", ""} {
		if err := sameAsNaive(s, text); err != nil {
			t.Error(err)
		}
	}
}

func sameAsNaive(s *Scanner, text string) error {
	hits := s.kw.find(text)
	for id, p := range s.kw.phrases {
		var got [][2]int
		for _, h := range hitsOf(hits, id) {
			got = append(got, [2]int{h.start, h.end})
		}
		slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
		if want := naivePhrases(text, p.text); !slices.Equal(got, want) {
			return fmt.Errorf("%q in %q: automaton %v, naive %v", p.text, text, got, want)
		}
	}
	return nil
}

// FuzzNormalizeEDM: normalizing twice changes nothing, so a value an
// agency stored already normalized hashes as the raw value does.
func FuzzNormalizeEDM(f *testing.F) {
	for _, s := range []string{"123-45-6789", "  Jane   Q.\tPublic ", "İSTANBUL", "\xff\xfe", "- 1 -", "ſ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEDM(s)
		if again := NormalizeEDM(n); again != n {
			t.Fatalf("NormalizeEDM(%q) = %q, then %q", s, n, again)
		}
		if ClientHash(s) != ClientHash(n) {
			t.Fatal("hash of a value and of its normal form differ")
		}
	})
}

// TestKeywordTableBound: keyword lists whose automaton would be too large
// are refused with TooLarge rather than built.
func TestKeywordTableBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var kws []string
	for range 800 {
		var b strings.Builder
		for range 200 {
			b.WriteByte(byte(33 + r.IntN(94)))
		}
		kws = append(kws, b.String())
	}
	d := det("big", steward.DetectorKeywords, "", kws...)
	if err := CheckDetector(d); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(Config{Custom: []*steward.CustomDetector{d}}); !steward.Is(steward.TooLarge, err) {
		t.Fatalf("err = %v, want TooLarge", err)
	}
}

func TestRequiredLiteral(t *testing.T) {
	tests := map[string]string{
		`\bCASE-\d{6}\b`:      "CASE-",
		`(?i)case-\d+`:        "",
		`\d+ (?:units|items)`: " ",
		`a|b`:                 "",
		`x?abc`:               "abc",
		`(?:ab){2}cd`:         "ab",
		`(Project )+Bluebird`: "Project ",
		`id=(\d+)`:            "id=",
		`\d{3}-\d{4}`:         "-",
	}
	for p, want := range tests {
		if got := requiredLiteral(regexp.MustCompile(p)); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestCustomRegexSkip: skipping texts without the required literal loses
// no match.
func TestCustomRegexSkip(t *testing.T) {
	patterns := []string{`\bCASE-\d{6}\b`, `(Project )+Bluebird`, `\d{3}-\d{4}`, `x?abc`}
	var ds []*steward.CustomDetector
	for i, p := range patterns {
		ds = append(ds, det(fmt.Sprintf("r%d", i), steward.DetectorRegex, p))
	}
	s, err := Compile(Config{Custom: ds})
	if err != nil {
		t.Fatal(err)
	}
	texts := append(SyntheticCorpus(3, 64<<10), "CASE-123456 and Project Project Bluebird, 555-0143, xabc abc")
	for _, text := range texts {
		for i, p := range patterns {
			var got [][]int
			for _, f := range s.Scan(text, Options{Detectors: []string{ds[i].Name}}) {
				got = append(got, []int{f.Start, f.End})
			}
			want := regexp.MustCompile(p).FindAllStringIndex(text, -1)
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("%s in %q: %v, want %v", p, text, got, want)
			}
		}
	}
}
