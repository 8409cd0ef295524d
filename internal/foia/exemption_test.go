package foia

import (
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

func TestExemptionTable(t *testing.T) {
	table := Exemptions()
	var codes []string
	seen := map[string]bool{}
	for _, e := range table {
		codes = append(codes, e.Code)
		if seen[e.Code] || e.Label == "" || len(e.Description) < 40 || e.Number < 1 || e.Number > 9 {
			t.Errorf("bad entry %+v", e)
		}
		seen[e.Code] = true
		if !ValidExemption(e.Code) {
			t.Errorf("ValidExemption(%q) = false", e.Code)
		}
		if (e.Number == 7) != (e.Part != "") {
			t.Errorf("%s: part %q", e.Code, e.Part)
		}
	}
	want := "(b)(1) (b)(2) (b)(3) (b)(4) (b)(5) (b)(6) (b)(7)(A) (b)(7)(B) (b)(7)(C) (b)(7)(D) (b)(7)(E) (b)(7)(F) (b)(8) (b)(9)"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("codes:\n got %s\nwant %s", got, want)
	}
	table[0].Code = "changed"
	if Exemptions()[0].Code != "(b)(1)" {
		t.Error("Exemptions returned the package's own table")
	}
	for _, s := range []string{"(b)(7)", "(b)(10)", "b6", "(b)(7)(c)", "(B)(6)", " (b)(6)", ""} {
		if ValidExemption(s) {
			t.Errorf("ValidExemption(%q) = true; only canonical codes are valid", s)
		}
	}
}

func TestParseExemption(t *testing.T) {
	ok := map[string]string{
		"(b)(6)":               "(b)(6)",
		"(B)(6)":               "(b)(6)",
		"(b) (6)":              "(b)(6)",
		"b6":                   "(b)(6)",
		"B6":                   "(b)(6)",
		"b(6)":                 "(b)(6)",
		"(b)6":                 "(b)(6)",
		"(b)(7)(C)":            "(b)(7)(C)",
		"(b)(7)(c)":            "(b)(7)(C)",
		"b7c":                  "(b)(7)(C)",
		"b7(C)":                "(b)(7)(C)",
		"(b)(7)E":              "(b)(7)(E)",
		"Exemption 5":          "(b)(5)",
		"exemption 7(F)":       "(b)(7)(F)",
		"Ex. 7A":               "(b)(7)(A)",
		"5 U.S.C. § 552(b)(3)": "(b)(3)",
		"5 USC 552(b)(9)":      "(b)(9)",
		"552(b)(1)":            "(b)(1)",
		"\t(b)(4) ":            "(b)(4)",
	}
	for in, want := range ok {
		e, err := ParseExemption(in)
		if err != nil || e.Code != want {
			t.Errorf("ParseExemption(%q) = %q, %v; want %q", in, e.Code, err, want)
		}
	}
	bad := []string{
		"", "b", "(b)", "(b)(0)", "(b)(10)", "b10", "(b)(7)", "b7", "exemption 7",
		"(b)(6)(A)", "(b)(7)(G)", "(b)(7)(C)(i)", "b6 and b7c", "(a)(6)", "6", "(b)(6", "(b)((6))",
		"privacy", "(b)(6);DROP", strings.Repeat("(b)", 30),
	}
	for _, in := range bad {
		if e, err := ParseExemption(in); err == nil {
			t.Errorf("ParseExemption(%q) = %q, want an error", in, e.Code)
		} else if !steward.Is(steward.Invalid, err) && !steward.Is(steward.TooLarge, err) {
			t.Errorf("ParseExemption(%q): kind %v", in, steward.KindOf(err))
		}
	}
	if _, err := ParseExemption("b7"); !strings.Contains(steward.PublicMessage(err), "(b)(7)(A)") {
		t.Errorf("bare (b)(7) should say which parts exist: %v", err)
	}
	if _, err := ParseExemption(strings.Repeat(" ", 65) + "b6"); !steward.Is(steward.TooLarge, err) {
		t.Errorf("long input: %v", err)
	}
}
