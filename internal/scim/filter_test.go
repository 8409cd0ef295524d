package scim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// alice is a rendered User resource as filters see it.
func alice(t testing.TB) map[string]any {
	t.Helper()
	const doc = `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "2819c223-7f76-453a-919d-413861904646",
		"externalId": "Alice",
		"userName": "Alice.Smith@contoso.com",
		"displayName": "Alice Smith",
		"name": {"givenName": "Alice", "familyName": "Smith"},
		"active": true,
		"emails": [
			{"value": "Alice.Smith@contoso.com", "type": "work", "primary": true},
			{"value": "alice@home.example", "type": "home"}
		],
		"title": "",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
			"employeeNumber": "00042", "department": "Trading", "manager": {"value": "mgr-1"}
		},
		"urn:steward:params:scim:schemas:extension:governance:2.0:User": {
			"seniority": "senior", "capstoneOfficial": true, "caveats": ["NOFORN", "PII"]
		},
		"meta": {"resourceType": "User", "lastModified": "2025-03-01T10:00:00Z"},
		"x-score": 7
	}`
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFilterMatch(t *testing.T) {
	res := alice(t)
	for _, c := range []struct {
		filter string
		want   bool
	}{
		// userName is not case-exact (RFC 7643 §4.1.1).
		{`userName eq "alice.smith@contoso.com"`, true},
		{`USERNAME Eq "ALICE.SMITH@CONTOSO.COM"`, true},
		{`userName eq "bob@contoso.com"`, false},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Alice.Smith@contoso.com"`, true},
		// externalId and id are case-exact.
		{`externalId eq "Alice"`, true},
		{`externalId eq "alice"`, false},
		{`externalId eq Alice`, true}, // Entra ID's unquoted value
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, false},
		{`displayName eq "alice smith"`, true},
		{`emails[type eq "work"].value eq "alice.smith@contoso.com"`, true},
		{`emails[type eq "home"].value eq "alice.smith@contoso.com"`, false},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[type eq "other"]`, false},
		{`emails.value eq "alice@home.example"`, true},
		{`emails eq "alice@home.example"`, true}, // complex without sub-attribute compares value
		{`emails co "home"`, true},
		{`name.givenName sw "Al"`, true},
		{`name.familyName ew "ITH"`, true},
		{`name.middleName pr`, false},
		{`name pr`, true},
		{`title pr`, false}, // an empty string is not present
		{`active eq true`, true},
		{`active eq false`, false},
		{`active ne false`, true},
		{`userName ne "alice.smith@contoso.com"`, false},
		{`nickName eq null`, true},
		{`userName eq null`, false},
		{`userName eq "alice.smith@contoso.com" and externalId eq "Alice"`, true},
		{`userName eq "bob" or externalId eq "Alice"`, true},
		{`userName eq "bob" or externalId eq "x" and active eq true`, false},
		{`(userName eq "bob" or externalId eq "Alice") and active eq true`, true},
		{`not (userName eq "bob")`, true},
		{`not (userName eq "alice.smith@contoso.com")`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "trading"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department eq "trading"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "mgr-1"`, true},
		{`manager.value eq "mgr-1"`, true}, // the URN left out
		{`department eq "Trading"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "00042"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "00041"`, true},
		{`urn:steward:params:scim:schemas:extension:governance:2.0:User:caveats eq "NOFORN"`, true},
		{`urn:steward:params:scim:schemas:extension:governance:2.0:User:caveats eq "noforn"`, false}, // case-exact
		{`urn:steward:params:scim:schemas:extension:governance:2.0:User:capstoneOfficial eq true`, true},
		{`meta.lastModified gt "2025-01-01T00:00:00Z"`, true},
		{`meta.lastModified lt "2025-01-01T00:00:00Z"`, false},
		{`x-score gt 5`, true},
		{`x-score le 6.5`, false},
		{`unknownAttr eq "x"`, false},
		{`unknownAttr pr`, false},
	} {
		f, err := ParseFilter(c.filter)
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", c.filter, err)
			continue
		}
		if got := f.match(res, scope{rt: userType}); got != c.want {
			t.Errorf("%s: match = %v, want %v (parsed as %s)", c.filter, got, c.want, f)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, f := range []string{
		``,
		`userName`,
		`userName eq`,
		`userName xx "a"`,
		`userName eq "a" and`,
		`(userName eq "a"`,
		`userName eq "a")`,
		`userName eq "unterminated`,
		`userName eq "bad \q escape"`,
		`emails[type eq "work"`,
		`emails[type eq "work"]]`,
		`emails[type[value eq "x"] eq "y"]`, // value filters do not nest
		`1userName eq "a"`,
		`user.name.given eq "a"`,
		`active gt true`,
		`userName co null`,
		`userName sw 5`,
		`not userName eq "a"`,
		`urn: eq "a"`,
		`urn:ietf:params:scim:schemas:core:2.0:User eq "a"`,
		strings.Repeat("(", maxFilterDepth+1) + `userName eq "a"` + strings.Repeat(")", maxFilterDepth+1),
		strings.Repeat("a", maxFilterLen+1),
	} {
		_, err := ParseFilter(f)
		if err == nil {
			t.Errorf("ParseFilter(%q) succeeded", f)
			continue
		}
		if st, body := errorResponse(err, 0); st != 400 || body.ScimType != typeInvalidFilter {
			t.Errorf("ParseFilter(%q): status %d scimType %q, want 400 invalidFilter", f, st, body.ScimType)
		}
	}
}

func TestParseFilterCanonical(t *testing.T) {
	for in, want := range map[string]string{
		`userName eq "bjensen"`:                            `userName eq "bjensen"`,
		`userName Eq "bjensen" AND active eq TRUE`:         `userName eq "bjensen" and active eq true`,
		`a eq 1 or b eq 2 and c eq 3`:                      `a eq 1 or b eq 2 and c eq 3`,
		`(a eq 1 or b eq 2) and c eq 3`:                    `(a eq 1 or b eq 2) and c eq 3`,
		`a pr and (b pr and c pr)`:                         `a pr and (b pr and c pr)`,
		`((a pr and b pr)) and c pr`:                       `a pr and b pr and c pr`,
		`a pr or (b pr or c pr) and d pr`:                  `a pr or (b pr or c pr) and d pr`,
		`externalId eq jyoung`:                             `externalId eq "jyoung"`,
		`emails[type eq "work" and value co "@"].value pr`: `emails[type eq "work" and value co "@"].value pr`,
		`members[value eq "x"]`:                            `members[value eq "x"] pr`,
		`title eq "a \"quoted\" \u00e9 <b>"`:               `title eq "a \"quoted\" é <b>"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value eq "m"`: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		// The misspelling in an Entra ID tutorial names the same schema.
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0User:department eq "x"`: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`,
		`not (a pr)`: `not (a pr)`,
	} {
		f, err := ParseFilter(in)
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", in, err)
			continue
		}
		if got := f.String(); got != want {
			t.Errorf("ParseFilter(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]Path{
		"active":          {Attr: "active"},
		"name.familyName": {Attr: "name", Sub: "familyName"},
		"members":         {Attr: "members"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": {URN: URNEnterprise, Attr: "employeeNumber"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager":        {URN: URNEnterprise, Attr: "manager"},
		"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department":     {URN: URNEnterprise, Attr: "department"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":                {URN: URNEnterprise},
		"urn:ietf:params:scim:schemas:core:2.0:User:userName":                       {Attr: "userName"},
		"urn:example:custom:2.0:User:costCode":                                      {URN: "urn:example:custom:2.0:User", Attr: "costCode"},
	} {
		got, err := ParsePath(in)
		if err != nil {
			t.Errorf("ParsePath(%s): %v", in, err)
			continue
		}
		if got.String() != want.String() || got.URN != want.URN || got.Attr != want.Attr || got.Sub != want.Sub {
			t.Errorf("ParsePath(%s) = %+v, want %+v", in, got, want)
		}
	}
	p, err := ParsePath(`emails[type eq "work"].value`)
	if err != nil || p.Attr != "emails" || p.Sub != "value" || p.Filter == nil || p.Filter.String() != `type eq "work"` {
		t.Fatalf(`ParsePath(emails[type eq "work"].value) = %+v, %v`, p, err)
	}
	for _, bad := range []string{"", "a.b.c", "emails[", "emails[type eq 1]x", `members[value eq "x"] eq "y"`, "9a"} {
		_, err := ParsePath(bad)
		if st, body := errorResponse(err, 0); err == nil || st != 400 || body.ScimType != typeInvalidPath {
			t.Errorf("ParsePath(%q) = %v, want 400 invalidPath", bad, err)
		}
	}
}

func TestHints(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`userName eq "a"`:                                                              {"userName": "a"},
		`userName eq "a" and externalId eq "b"`:                                        {"userName": "a", "externalId": "b"},
		`userName eq "a" or externalId eq "b"`:                                         {},
		`emails[type eq "work"].value eq "x@y"`:                                        {"workEmail": "x@y"},
		`emails[type eq "home"].value eq "x@y"`:                                        {},
		`displayName eq "Desk" and not (id eq "z")`:                                    {"displayName": "Desk"},
		`id eq "z" and (userName eq "q" or userName eq "r")`:                           {"id": "z"},
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`: {},
	} {
		f, err := ParseFilter(in)
		if err != nil {
			t.Fatal(err)
		}
		got := hints(f)
		if len(got) != len(want) {
			t.Errorf("hints(%s) = %v, want %v", in, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("hints(%s) = %v, want %v", in, got, want)
			}
		}
	}
}

// FuzzParseFilter checks that the parser never panics, that what it
// accepts prints in a canonical form it reads back to the same form, and
// that evaluating it never panics. Seeds are in testdata/fuzz.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`,
		`emails[type eq "work"].value eq "a@b"`,
		`not (a pr) or (b gt 1 and c le -2.5e3)`,
	} {
		f.Add(s)
	}
	res := alice(f)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil {
			if !steward.Is(steward.Invalid, err) {
				t.Fatalf("ParseFilter(%q) error of kind %v: %v", s, steward.KindOf(err), err)
			}
			return
		}
		canon := e.String()
		if len(canon) > maxFilterLen {
			// The canonical form spaces every operator, so a filter near the
			// length bound may print longer than the bound allows.
			return
		}
		e2, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %s, which does not parse: %v", s, canon, err)
		}
		if again := e2.String(); again != canon {
			t.Fatalf("ParseFilter(%q) = %s, which reads back as %s", s, canon, again)
		}
		e.match(res, scope{rt: userType})
		e.match(res, scope{rt: groupType})
		hints(e)
	})
}
