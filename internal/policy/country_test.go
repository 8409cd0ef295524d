package policy

import (
	"strings"
	"testing"
)

func TestCountryCode(t *testing.T) {
	for addr, want := range map[string]string{
		"+12025550100":      "1",
		"+18095551234":      "1", // Dominican Republic: NANP
		"+74951234567":      "7",
		"+77012345678":      "7", // Kazakhstan
		"+442079460000":     "44",
		"+353861234567":     "353",
		"+35312345678":      "353",
		"+3906698":          "39",
		"+379123":           "379",
		"+5355512345":       "53",
		"+989121234567":     "98",
		"+850212345678":     "850",
		"+963112345678":     "963",
		"+8816123456789":    "881",
		"+80012345678":      "800",
		"+6834002":          "683",
		"+2111234567":       "211",
		"+38344123456":      "383",
		"+2101234567":       "", // spare code
		"+2891234567":       "", // spare code
		"+0123456":          "", // no code starts with 0
		"12025550100":       "", // no plus
		"+1 202 555 0100":   "", // not E.164
		"+1202555010012345": "", // 16 digits
		"+1":                "", // code without a number
		"+44":               "",
		"+":                 "",
		"":                  "",
		"alice@example.org": "",
		"+１２０２５５５０１００":      "", // full-width digits
	} {
		if got := CountryCode(addr); got != want {
			t.Errorf("CountryCode(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestCallingCodesPrefixFree checks the property the longest-prefix
// lookup relies on: no assigned code is a prefix of another.
func TestCallingCodesPrefixFree(t *testing.T) {
	for a := range callingCodes {
		if len(a) < 1 || len(a) > 3 || strings.Trim(a, "0123456789") != "" || a[0] == '0' {
			t.Errorf("malformed code %q", a)
		}
		for b := range callingCodes {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("code %q is a prefix of %q", a, b)
			}
		}
	}
	// Every zone is present; a sample of codes per zone guards against a
	// truncated table.
	for _, c := range []string{"1", "20", "299", "30", "389", "49", "599", "692", "7", "886", "998"} {
		if _, ok := callingCodes[c]; !ok {
			t.Errorf("code %q missing", c)
		}
	}
	if len(callingCodes) < 210 {
		t.Errorf("only %d codes", len(callingCodes))
	}
}
