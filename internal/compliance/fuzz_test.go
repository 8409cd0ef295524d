package compliance_test

import (
	"encoding/json"
	"testing"

	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// FuzzPolicyJSON feeds API bodies through what a policy save does before
// anything is stored: decode, then check. Neither may panic, and every
// refusal of a decoded policy is the caller's fault (Invalid or
// TooLarge), never internal.
func FuzzPolicyJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"no-tenders","kind":"message","condition":"message.length > 0 && direction == \"outbound\"","action":"block","reason":"Tenders are closed.","enabled":true}`,
		`{"name":"ssn-mask","kind":"message","condition":"outside && finding(\"us_ssn\") > 0","action":"redact","redact":["us_ssn"],"enabled":true}`,
		`{"name":"outside-add","kind":"group","condition":"operation == \"add\" && members.exists(m, !m.inside)","action":"approval"}`,
		`{"name":"sample","kind":"message","condition":"sample(1.5)","action":"flag"}`,
		`{"name":"typo","kind":"message","condition":"sender.departmnet == \"x\"","action":"flag"}`,
		`{"name":"x","kind":"message","condition":"","action":"flag"}`,
		`{"name":"x","kind":"group","condition":"true","action":"redact"}`,
		`{"name":`,
		`[]`,
		`{"version":-1,"enabled":"yes"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p steward.Policy
		if json.Unmarshal(b, &p) != nil {
			return // the API answers 400 before any check
		}
		if err := policy.Check(&p); err != nil && !steward.Is(steward.Invalid, err) && !steward.Is(steward.TooLarge, err) {
			t.Fatalf("check %+v: %v (kind %v)", p, err, steward.KindOf(err))
		}
	})
}
