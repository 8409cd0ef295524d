package policy

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// FuzzCheck feeds conditions, as an administrator could write them, to
// Check and, when accepted, evaluates them on a message or a group
// operation. Neither may panic; an accepted condition either decides or
// records an error that flags the decision. Seeds: testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	for _, p := range Defaults() {
		f.Add(p.Condition, p.Kind == steward.PolicyGroup)
	}
	f.Fuzz(func(t *testing.T, cond string, group bool) {
		kind, action := steward.PolicyMessage, steward.ActionQuarantine
		if group {
			kind, action = steward.PolicyGroup, steward.ActionBlock
		}
		p := &steward.Policy{ID: "fz", Name: "fuzz", Kind: kind, Condition: cond, Action: action, Enabled: true}
		err := Check(p)
		if err != nil {
			k := steward.KindOf(err)
			if k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("Check(%q) = %v, kind %v", cond, err, k)
			}
			if msg := steward.PublicMessage(err); msg == "" || !utf8.ValidString(msg) && utf8.ValidString(cond) {
				t.Fatalf("Check(%q): unreadable message %q", cond, msg)
			}
			return
		}
		s, err := NewSet(1, []*steward.Policy{p})
		if err != nil {
			t.Fatalf("Check accepted %q but NewSet failed: %v", cond, err)
		}
		var d *Decision
		if group {
			d = s.Group(&GroupInput{Operation: "add", Actor: employee("e-1"), Members: []Party{contact("+5355512345")}, Time: testTime})
		} else {
			in := outbound()
			in.Findings = map[string]int{"us_ssn": 2}
			in.Attachments = []Attachment{{Filename: "a.pdf", Size: 10, Scannable: true}}
			d = s.Message(in)
		}
		switch {
		case len(d.Errors) > 0:
			if !d.Flag || len(d.Matches) != 0 || d.Action != steward.ActionAllow || !strings.HasPrefix(d.Errors[0], "fuzz: ") {
				t.Fatalf("%q: an error must flag and apply nothing: %+v", cond, d)
			}
		case len(d.Matches) == 1:
			if d.Action != action {
				t.Fatalf("%q: %+v", cond, d)
			}
		case d.Action != steward.ActionAllow || d.Flag:
			t.Fatalf("%q: nothing matched but %+v", cond, d)
		}
	})
}

// FuzzCountryCode checks that CountryCode answers only for well-formed
// E.164 addresses, with an assigned code that prefixes the digits.
// Seeds: testdata/fuzz/FuzzCountryCode.
func FuzzCountryCode(f *testing.F) {
	f.Add("+12025550100")
	f.Fuzz(func(t *testing.T, addr string) {
		code := CountryCode(addr)
		if code == "" {
			return
		}
		if _, ok := callingCodes[code]; !ok {
			t.Fatalf("CountryCode(%q) = %q, not an assigned code", addr, code)
		}
		digits := strings.TrimPrefix(addr, "+")
		if !strings.HasPrefix(addr, "+") || !strings.HasPrefix(digits, code) || len(digits) <= len(code) || len(digits) > 15 ||
			strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("CountryCode(%q) = %q for a malformed address", addr, code)
		}
	})
}
