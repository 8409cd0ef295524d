package search

import (
	"unicode"
	"unicode/utf8"
)

// Tokens splits text into normalized tokens, the words that documents are
// indexed by and queries look for. The same function serves both, which is
// what makes a query find its document.
//
// A token is a maximal run of letters and digits (unicode.IsLetter,
// unicode.IsDigit); everything else separates tokens. Within a token:
//
//   - letters are case-folded (lower case of the upper case, so that Σ, σ
//     and ς all become σ, and K the Kelvin sign becomes k);
//   - diacritics are removed, whether written precomposed or as combining
//     marks U+0300-U+036F: "Café", "cafe" and "cafe\u0301" give "cafe";
//     ß, æ, œ, ø, ł, đ, ð, þ become ss, ae, oe, o, l, d, d, th;
//   - other combining marks (as in Indic scripts) stay part of the token,
//     and format characters such as the soft hyphen or zero-width joiner
//     are dropped without splitting it.
//
// So an email address or a phone number becomes several tokens
// ("jane.doe@city.gov" gives jane, doe, city, gov; "+1 (202) 555-0143"
// gives 1, 202, 555, 0143), and a query term that yields several tokens
// is searched as a phrase, which finds the address or the number however
// it was punctuated. Scripts written without spaces (Chinese, Japanese,
// Thai) yield one token per run of letters: such text is found by its
// whole runs, or by prefix.
func Tokens(text string) []string {
	return appendTokens(nil, text)
}

// appendTokens appends the tokens of text to dst.
func appendTokens(dst []string, text string) []string {
	var buf [64]byte
	tok := buf[:0]
	in := false // a token is in progress
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				tok, in = append(tok, c), true
			case 'A' <= c && c <= 'Z':
				tok, in = append(tok, c+'a'-'A'), true
			default:
				if in {
					dst, tok, in = append(dst, string(tok)), tok[:0], false
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case 0x300 <= r && r <= 0x36f, unicode.Is(unicode.Cf, r):
			// Diacritics and format characters vanish without a trace.
		case unicode.IsLetter(r):
			tok, in = fold(tok, r), true
		case unicode.IsDigit(r):
			tok, in = utf8.AppendRune(tok, r), true
		case in && unicode.IsMark(r):
			tok = utf8.AppendRune(tok, r)
		default:
			if in {
				dst, tok, in = append(dst, string(tok)), tok[:0], false
			}
		}
	}
	if in {
		dst = append(dst, string(tok))
	}
	return dst
}

// fold appends the case-folded, diacritic-free form of the letter r.
func fold(dst []byte, r rune) []byte {
	r = unicode.ToLower(unicode.ToUpper(r))
	if s, ok := foldTable[r]; ok {
		return append(dst, s...)
	}
	return utf8.AppendRune(dst, r)
}

// runePrefix returns the first n runes of s, or s if it is shorter.
func runePrefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// runeLen is utf8.RuneCountInString, named for what it is used for here.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
