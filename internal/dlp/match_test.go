package dlp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// finderTexts are texts built to reach the corners of the finders: runs
// that touch, anchors inside earlier matches, the end of the text.
var finderTexts = []string{
	"", "1", "@", "+1", "(S", "CUI", "eyJ", "password", "-----BEGIN ",
	"no digits here at all",
	strings.Repeat("x", 500) + "123-45-6789" + strings.Repeat("y", 500),
	"call +1 202 555 0143, card 4111-1111-1111-1111, IBAN GB82 WEST 1234 5698 7654 32, mail a.b@c.example.org",
	"a@b.com@c.org a@b.c@d.com x@y.co-m.org u@v.com-x .a@b.cc --a@b.cc a@@b.cc",
	"4111 1111 1111 1111 2222 3333 123 45 6789 123-45 6789 1 202 555 0143 (202)555-0143 1-202-555-0143",
	"123456789 1234567890 C03005988 AC03005988 C030059881 _123456789 123456789_",
	"AB12 CD34EF GB82 WEST12 GB82WEST AB12  CD34 DE89370400440532013000",
	"CUI/CONTROLLED UNCLASSIFIED INFORMATION/CUI CONTROLLED UNCLASSIFIED INFORMATION CUI//SP-PRVCY/SP-TAX CUIx CUI///SP",
	"TOP SECRET//SCI SECRET//REL TO USA, FVEY CONFIDENTIAL//NOFORN UNCLASSIFIED//FOUO SECRETARY TOP SECRETS",
	"(TS//SI) (S//NF) (U//FOUO) (C) (TS) (S)x (SS) (U//) ((S)) (S//A-B/C)",
	"AKIAIOSFODNN7EXAMPLE ASIAY34FZKBOKMUTVV7A xAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLEx",
	"AIza" + strings.Repeat("aB3_", 8) + "xYzAIza" + strings.Repeat("aB3_", 9),
	"-----BEGIN RSA PRIVATE KEY----------BEGIN PRIVATE KEY-----BEGIN X ------BEGIN PRIVATE KEY-----",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig eyJabc.eyJ.x xeyJabcdef.. eyJabcde.fgh",
	"password=hunter2 _password: 'x y' mypassword=1 PASSWD := abc pwd\t\t\t= z passphrase\"=\"q\" PaSſWord=ſecret",
	"password=password=abc password    =x pwd:=:=y password='' password=\"unterminated",
	"db_pwd=1;x_passwd:2 __password=3 Password :  \"quoted value\"",
}

// TestFindersMatchRegexp: every pattern's finder returns exactly what its
// regexp returns over the whole text.
func TestFindersMatchRegexp(t *testing.T) {
	texts := append(slices.Clone(finderTexts), benchText())
	for _, unit := range pathologicalUnits {
		texts = append(texts, strings.Repeat(unit, 200))
	}
	texts = append(texts, SyntheticCorpus(7, 1<<20)...)
	for _, c := range readLabelled(t) {
		texts = append(texts, c.Text)
	}
	for i, text := range texts {
		if err := sameAsRegexp(text); err != nil {
			t.Fatalf("text %d %.80q: %v", i, text, err)
		}
	}
}

func sameAsRegexp(text string) error {
	h := prefilter(text)
	for _, d := range builtins {
		for k, p := range d.patterns {
			got, want := p.find(text, h, p.re), p.re.FindAllStringSubmatchIndex(text, -1)
			if len(got) != len(want) {
				return fmt.Errorf("%s pattern %d: finder %v, regexp %v", d.name, k, got, want)
			}
			for j := range got {
				if !slices.Equal(got[j], want[j]) {
					return fmt.Errorf("%s pattern %d match %d: finder %v, regexp %v", d.name, k, j, got[j], want[j])
				}
			}
		}
	}
	return nil
}

func FuzzFinders(f *testing.F) {
	for _, s := range finderTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if err := sameAsRegexp(text); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPasswordKeyFolds: the password finder looks back for the keys with
// the same case folding as the regexp's (?i).
func TestPasswordKeyFolds(t *testing.T) {
	for _, k := range passwordKeys {
		for _, r := range k {
			for f := r; ; {
				// unicode.SimpleFold orbit: s, S, ſ; every other key letter
				// folds within ASCII.
				switch f {
				case r, r - 'a' + 'A':
				case 'ſ':
					if r != 's' {
						t.Errorf("%c folds to ſ", r)
					}
				default:
					t.Errorf("%c folds to %c, which keyEndingAt does not know", r, f)
				}
				if f = unicode.SimpleFold(f); f == r {
					break
				}
			}
		}
	}
}
