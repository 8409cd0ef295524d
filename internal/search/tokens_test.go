package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // tokens joined by spaces
	}{
		{"", ""},
		{"--- !!! ...", ""},
		{"Hello, World!", "hello world"},
		{"budget budget", "budget budget"},
		{"flood-relief fund", "flood relief fund"},
		{"don't", "don t"},
		{"Jane.Doe@City.gov", "jane doe city gov"},
		{"+1 (202) 555-0143", "1 202 555 0143"},
		{"$2,000,000.50", "2 000 000 50"},
		{"FY24_budget", "fy24 budget"},
		{"Café CAFÉ cafe\u0301", "cafe cafe cafe"},
		{"Zoë zoe\u0308 ZOË", "zoe zoe zoe"},
		{"naïve résumé", "naive resume"},
		{"Straße STRASSE \u1e9e", "strasse strasse ss"},
		{"Œuvre Ærø Łódź", "oeuvre aero lodz"},
		{"İstanbul ISTANBUL ıstanbul", "istanbul istanbul istanbul"},
		{"ΣΊΣΥΦΟΣ Σίσυφος", "σισυφοσ σισυφοσ"},
		{"Йошкар-Ола", "иошкар ола"},
		{"\u212a", "k"}, // the Kelvin sign
		{"東京タワー 東京", "東京タワー 東京"},
		{"हिन्दी", "हिन्दी"}, // its vowel signs and virama are marks within the word
		{"soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"},
		{"\u0301alone", "alone"},
		{"٣٤ 12", "٣٤ 12"},
		{"tab\tnew\nline", "tab new line"},
	} {
		if got := strings.Join(Tokens(c.in), " "); got != c.want {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzTokens checks that tokens are never empty, are valid UTF-8 without
// separators, and are fixed points: a query term printed from a token
// tokenizes back to it, which Parse's round trip relies on.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Hello, World!", "Straße ΣΊΣΥΦΟΣ İstanbul", "cafe\u0301 हिन्दी 東京", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for _, tok := range toks {
			if tok == "" || !utf8.ValidString(tok) || strings.ContainsAny(tok, " \t\n.,-@") {
				t.Fatalf("Tokens(%q) holds %q", s, tok)
			}
		}
		if again := Tokens(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("Tokens(%q) = %q, which tokenizes again to %q", s, toks, again)
		}
	})
}

func BenchmarkTokens(b *testing.B) {
	text := strings.Repeat("Please confirm the revised budget for the flood-relief grant by tomorrow morning, café Zoë. ", 4)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Tokens(text)
	}
}
