package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/scim"
	"github.com/steward-gov/steward/internal/steward"
)

func TestAuth(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas", "/scim/v2/nowhere"} {
		r := h.callAs("", "GET", path, nil)
		r.scimError(t, http.StatusUnauthorized, "")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("401 without WWW-Authenticate: %v", r.header)
		}
		h.callAs("stw_not-a-token", "GET", path, nil).scimError(t, http.StatusUnauthorized, "")
	}
	// A valid token without the scim scope, even an admin one, is refused.
	for _, scope := range []steward.Scope{steward.ScopeAdmin, steward.ScopeRead, steward.ScopeCapture} {
		h.callAs(h.issue("t-"+string(scope), scope), "GET", "/scim/v2/Users", nil).scimError(t, http.StatusForbidden, "")
	}
	// A revoked scim token stops working at once.
	secret := h.issue("revoked", steward.ScopeScim)
	h.callAs(secret, "GET", "/scim/v2/Users", nil).list(t, 0)
	tok, err := h.db.TokenByHash(context.Background(), steward.HashTokenSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.RevokeToken(context.Background(), tok.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.callAs(secret, "GET", "/scim/v2/Users", nil).scimError(t, http.StatusUnauthorized, "")
	// The scheme is case-insensitive.
	req, _ := http.NewRequest("GET", h.http.URL+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case bearer: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if !steward.ValidScope("scim") {
		t.Fatalf("scim is not a valid scope")
	}
	if _, err := steward.ParseScopes("scim"); err != nil {
		t.Fatalf("ParseScopes(scim): %v", err)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t)
	id := h.call("POST", "/scim/v2/Users", `{"userName": "Ada@Example.gov", "externalId": "ada"}`).must(t, http.StatusCreated).body["id"].(string)

	for _, c := range []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"bad filter", "GET", "/scim/v2/Users" + q(`userName eq`), "", 400, "invalidFilter"},
		{"bad filter on groups", "GET", "/scim/v2/Groups" + q(`displayName eq "x" and`), "", 400, "invalidFilter"},
		{"bad count", "GET", "/scim/v2/Users?count=ten", "", 400, "invalidValue"},
		{"bad startIndex", "GET", "/scim/v2/Users?startIndex=x", "", 400, "invalidValue"},
		{"unknown user", "GET", "/scim/v2/Users/nobody", "", 404, ""},
		{"unknown group", "GET", "/scim/v2/Groups/nobody", "", 404, ""},
		{"not JSON", "POST", "/scim/v2/Users", `{"userName": `, 400, "invalidSyntax"},
		{"not an object", "POST", "/scim/v2/Users", `["userName"]`, 400, "invalidSyntax"},
		{"trailing data", "POST", "/scim/v2/Users", `{"userName": "x"} {}`, 400, "invalidSyntax"},
		{"no userName", "POST", "/scim/v2/Users", `{"displayName": "Nobody"}`, 400, "invalidValue"},
		{"userName not a string", "POST", "/scim/v2/Users", `{"userName": {"a": 1}}`, 400, "invalidValue"},
		{"active not a boolean", "POST", "/scim/v2/Users", `{"userName": "b", "active": "maybe"}`, 400, "invalidValue"},
		{"userName taken, other case", "POST", "/scim/v2/Users", `{"userName": "ada@example.GOV"}`, 409, "uniqueness"},
		{"externalId taken", "POST", "/scim/v2/Users", `{"userName": "other", "externalId": "ada"}`, 409, "uniqueness"},
		{"no displayName", "POST", "/scim/v2/Groups", `{"externalId": "g"}`, 400, "invalidValue"},
		{"nested group", "POST", "/scim/v2/Groups", `{"displayName": "g", "members": [{"value": "x", "type": "Group"}]}`, 400, "invalidValue"},
		{"patch without Operations", "PATCH", "/scim/v2/Users/" + id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, 400, "invalidSyntax"},
		{"patch bad op", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "merge", "path": "title", "value": "x"}`), 400, "invalidSyntax"},
		{"patch remove without path", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "remove"}`), 400, "noTarget"},
		{"patch bad path", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "path": "name..x", "value": "x"}`), 400, "invalidPath"},
		{"patch unknown schema", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "path": "urn:example:other:1.0:x", "value": "x"}`), 400, "invalidPath"},
		{"patch id", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "path": "id", "value": "new"}`), 400, "mutability"},
		{"patch meta", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "path": "meta.created", "value": "x"}`), 400, "mutability"},
		{"patch filter matching nothing", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "path": "emails[type eq \"work\" or primary eq true]", "value": {"value": "x"}}`), 400, "noTarget"},
		{"patch path-less with a string", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "replace", "value": "x"}`), 400, "invalidValue"},
		{"patch clearing userName", "PATCH", "/scim/v2/Users/" + id, patchOp(`{"op": "remove", "path": "userName"}`), 400, "invalidValue"},
		{"patch unknown user", "PATCH", "/scim/v2/Users/nobody", patchOp(`{"op": "replace", "path": "title", "value": "x"}`), 404, ""},
		{"put unknown user", "PUT", "/scim/v2/Users/nobody", `{"userName": "x"}`, 404, ""},
		{"unknown resource type", "GET", "/scim/v2/ResourceTypes/Device", "", 404, ""},
		{"unknown schema", "GET", "/scim/v2/Schemas/urn:example", "", 404, ""},
		{"unknown endpoint", "GET", "/scim/v2/Devices", "", 404, ""},
		{"wrong method", "DELETE", "/scim/v2/Users", "", 405, ""},
		{"bulk unsupported", "POST", "/scim/v2/Bulk", `{}`, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			h.call(c.method, c.path, body).scimError(t, c.status, c.scimType)
		})
	}
	// A failed PATCH changes nothing.
	if e := h.employee(id); e.UserName != "Ada@Example.gov" {
		t.Fatalf("employee after failed PATCHes: %+v", e)
	}

	// Plain JSON is accepted; other media types are not.
	req, _ := http.NewRequest("POST", h.http.URL+"/scim/v2/Users", strings.NewReader(`{"userName": "json@example.gov"}`))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("application/json: %v %v %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("POST", h.http.URL+"/scim/v2/Users", strings.NewReader(`userName=x`))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form body: %v %v", resp.StatusCode, err)
	}
	var eb map[string]any
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if eb["status"] != "415" || eb["scimType"] != nil {
		t.Fatalf("415 body %v", eb)
	}

	// A body over the bound is 413.
	h.srv.MaxBodyBytes = 64
	h.call("POST", "/scim/v2/Users", `{"userName": "`+strings.Repeat("x", 100)+`"}`).scimError(t, http.StatusRequestEntityTooLarge, "")
	h.srv.MaxBodyBytes = 0

	// A filter that would scan more than the bound is tooMany; one that
	// an index narrows is not.
	h.srv.MaxScan = 1
	h.call("GET", "/scim/v2/Users"+q(`title eq "x"`), nil).scimError(t, http.StatusBadRequest, "tooMany")
	h.call("GET", "/scim/v2/Users"+q(`userName eq "ada@example.gov" and title pr`), nil).list(t, 0)
	h.call("GET", "/scim/v2/Users"+q(`userName eq "ada@example.gov"`), nil).list(t, 1)
}

func TestPaging(t *testing.T) {
	h := newHarness(t)
	for i := range 7 {
		h.call("POST", "/scim/v2/Users", fmt.Sprintf(`{"userName": "user%d@example.gov", "title": "t%d"}`, i, i%2)).must(t, http.StatusCreated)
	}
	names := func(rs []map[string]any) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r["userName"].(string))
		}
		return out
	}
	for _, c := range []struct {
		query string
		total int
		start int
		want  []string
	}{
		{"?startIndex=1&count=3", 7, 1, []string{"user0@example.gov", "user1@example.gov", "user2@example.gov"}},
		{"?startIndex=3&count=2", 7, 3, []string{"user2@example.gov", "user3@example.gov"}},
		{"?startIndex=6&count=5", 7, 6, []string{"user5@example.gov", "user6@example.gov"}},
		{"?startIndex=9", 7, 9, nil},
		{"?startIndex=0&count=1", 7, 1, []string{"user0@example.gov"}}, // less than 1 means 1
		{"?startIndex=2&count=-4", 7, 2, nil},                          // negative means 0
		{"?count=0", 7, 1, nil},                                        // the total only
		{q(`title eq "t1"`, "startIndex", "2", "count", "2"), 3, 2, []string{"user3@example.gov", "user5@example.gov"}},
		{q(`userName sw "USER" and not (title eq "t1")`, "count", "10"), 4, 1, []string{"user0@example.gov", "user2@example.gov", "user4@example.gov", "user6@example.gov"}},
		{q(`userName eq "user4@example.gov" or userName eq "user5@example.gov"`), 2, 1, []string{"user4@example.gov", "user5@example.gov"}},
	} {
		r := h.call("GET", "/scim/v2/Users"+c.query, nil)
		got := r.list(t, c.total)
		if int(r.body["startIndex"].(float64)) != c.start || !equalJSON(names(got), c.want) {
			t.Errorf("%s: startIndex %v, users %v; want %d, %v", c.query, r.body["startIndex"], names(got), c.start, c.want)
		}
	}
	// The server bounds the page.
	h.srv.MaxResults = 2
	if r := h.call("GET", "/scim/v2/Users?count=100", nil); len(r.list(t, 7)) != 2 {
		t.Fatalf("page not bounded: %s", r.raw)
	}
	if r := h.call("GET", "/scim/v2/Users", nil); len(r.list(t, 7)) != 2 {
		t.Fatalf("default page not bounded: %s", r.raw)
	}
	h.srv.MaxResults = 0

	// Groups page the same way.
	for i := range 3 {
		h.call("POST", "/scim/v2/Groups", fmt.Sprintf(`{"displayName": "Group %d"}`, i)).must(t, http.StatusCreated)
	}
	r := h.call("GET", "/scim/v2/Groups?startIndex=2&count=1", nil)
	if gs := r.list(t, 3); len(gs) != 1 || gs[0]["displayName"] != "Group 1" {
		t.Fatalf("group page: %s", r.raw)
	}
	// POST .search takes the same parameters in a body.
	r = h.call("POST", "/scim/v2/Users/.search", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
		"filter": "title eq \"t0\"", "startIndex": 2, "count": 2, "attributes": ["userName"]}`)
	got := r.list(t, 4)
	if !equalJSON(names(got), []string{"user2@example.gov", "user4@example.gov"}) || got[0]["title"] != nil {
		t.Fatalf(".search: %s", r.raw)
	}
	r = h.call("POST", "/scim/v2/Groups/.search", `{"filter": "displayName eq \"group 2\""}`)
	if gs := r.list(t, 1); gs[0]["displayName"] != "Group 2" {
		t.Fatalf("groups .search: %s", r.raw)
	}
}

func TestProjection(t *testing.T) {
	h := newHarness(t)
	r := h.call("POST", "/scim/v2/Users", `{
		"userName": "proj@example.gov", "displayName": "Pro Jection", "title": "Clerk",
		"name": {"givenName": "Pro", "familyName": "Jection"},
		"emails": [{"value": "proj@example.gov", "type": "work"}, {"value": "p@home.example", "type": "home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Records", "employeeNumber": "9"}
	}`).must(t, http.StatusCreated)
	id := r.body["id"].(string)

	r = h.call("GET", "/scim/v2/Users/"+id+"?attributes=userName,name.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", nil).must(t, http.StatusOK)
	want := map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User", enterprise},
		"id":       id,
		"userName": "proj@example.gov",
		"name":     map[string]any{"givenName": "Pro"},
		"emails":   []any{map[string]any{"value": "proj@example.gov"}, map[string]any{"value": "p@home.example"}},
		enterprise: map[string]any{"department": "Records"},
	}
	if !equalJSON(r.body, want) {
		t.Fatalf("attributes:\n got %s\nwant %v", r.raw, want)
	}
	r = h.call("GET", "/scim/v2/Users/"+id+"?excludedAttributes=emails,name.familyName,id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", nil).must(t, http.StatusOK)
	if r.body["emails"] != nil || get(r.body, "name", "familyName") != nil || get(r.body, "name", "givenName") != "Pro" ||
		r.body[enterprise] != nil || r.body["id"] != id || r.body["meta"] == nil || r.body["title"] != "Clerk" {
		t.Fatalf("excludedAttributes: %s", r.raw)
	}
	if !equalJSON(r.body["schemas"], []any{"urn:ietf:params:scim:schemas:core:2.0:User"}) {
		t.Fatalf("schemas after excluding the extension: %v", r.body["schemas"])
	}
	rs := h.call("GET", "/scim/v2/Users?excludedAttributes=emails", nil).list(t, 1)
	if rs[0]["emails"] != nil || rs[0]["userName"] == nil {
		t.Fatalf("excludedAttributes on a list: %v", rs[0])
	}

	// Groups: excludedAttributes=members, as Entra ID asks.
	g := h.call("POST", "/scim/v2/Groups", fmt.Sprintf(`{"displayName": "Clerks", "members": [{"value": %q}]}`, id)).must(t, http.StatusCreated)
	gid := g.body["id"].(string)
	for _, path := range []string{"/scim/v2/Groups/" + gid + "?excludedAttributes=members", "/scim/v2/Groups/" + gid + "?attributes=displayName"} {
		r = h.call("GET", path, nil).must(t, http.StatusOK)
		if r.body["members"] != nil || r.body["displayName"] != "Clerks" || r.body["id"] != gid {
			t.Fatalf("%s: %s", path, r.raw)
		}
	}
	rs = h.call("GET", "/scim/v2/Groups?excludedAttributes=members", nil).list(t, 1)
	if rs[0]["members"] != nil {
		t.Fatalf("list with excludedAttributes=members: %v", rs[0])
	}
	// A filter on members still sees them when the answer leaves them out.
	rs = h.call("GET", "/scim/v2/Groups"+q(fmt.Sprintf(`members[value eq %q]`, id), "excludedAttributes", "members"), nil).list(t, 1)
	if rs[0]["members"] != nil {
		t.Fatalf("members returned: %v", rs[0])
	}
	rs = h.call("GET", "/scim/v2/Groups"+q(`members.value eq "someone-else"`), nil).list(t, 0)
	_ = rs
	r = h.call("GET", "/scim/v2/Groups/"+gid, nil).must(t, http.StatusOK)
	if ms, _ := r.body["members"].([]any); len(ms) != 1 || get(ms[0], "value") != id || get(ms[0], "$ref") != h.http.URL+"/scim/v2/Users/"+id {
		t.Fatalf("members: %s", r.raw)
	}
}

// TestValuesAsSent checks that a User comes back exactly as sent: no
// value trimmed, re-cased or reformatted, unknown attributes and
// extensions kept, and the stored resource equal to the one served.
func TestValuesAsSent(t *testing.T) {
	h := newHarness(t)
	sent := `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			"urn:steward:params:scim:schemas:extension:governance:2.0:User",
			"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
		"userName": "  MiXeD.Case+tag@Example.GOV ",
		"externalId": "Ext-ID-ÄÖÜ",
		"displayName": "Zoë <b>O'Brien</b> & co",
		"nickName": "",
		"name": {"givenName": "Zoë", "familyName": "O'Brien", "honorificSuffix": "Jr."},
		"emails": [{"value": "ZOE@Example.GOV", "type": "Work", "primary": true}, {"value": "zoe@home.example"}],
		"phoneNumbers": [{"value": "+1 202 555 0100 ext. 7", "type": "work"}],
		"addresses": [{"streetAddress": "1600 Pennsylvania Ave NW\nSuite 1", "locality": "Washington", "country": "US"}],
		"timezone": "America/New_York",
		"preferredLanguage": "en-US,en;q=0.9",
		"title": "Chief\tof Staff",
		"active": true,
		"x-agency-code": {"code": 42, "ratio": 0.125, "list": [1, "two", null, true]},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
			"employeeNumber": "000123", "costCenter": "CC-9", "division": "East", "department": "Office of the Director",
			"organization": "Agency", "manager": {"value": "m-1", "displayName": "The Boss"}
		},
		"urn:steward:params:scim:schemas:extension:governance:2.0:User": {
			"seniority": "SES Tier 2", "capstoneOfficial": true, "caveats": ["NOFORN", "REL TO USA, FVEY", "PII"]
		},
		"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {"clearanceLevel": "TS/SCI", "badge": 1234567890123456789}
	}`
	r := h.call("POST", "/scim/v2/Users", sent).must(t, http.StatusCreated)
	id := r.body["id"].(string)

	var want map[string]any
	dec := json.NewDecoder(strings.NewReader(sent))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	// The one null inside an unknown attribute's list is kept: only
	// attributes set to null are unassigned.
	got := h.call("GET", "/scim/v2/Users/"+id, nil).must(t, http.StatusOK)
	var gotDoc map[string]any
	dec = json.NewDecoder(bytes.NewReader(got.raw))
	dec.UseNumber()
	if err := dec.Decode(&gotDoc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "meta"} {
		if gotDoc[k] == nil {
			t.Fatalf("GET lacks %s", k)
		}
		delete(gotDoc, k)
	}
	if !equalJSON(gotDoc, want) {
		t.Fatalf("GET differs from what was sent:\n got %s\nwant %s", mustJSON(gotDoc), mustJSON(want))
	}
	// The stored resource is what GET serves, less schemas, id and meta.
	stored := h.employee(id).SCIMResource
	delete(gotDoc, "schemas")
	if !bytes.Equal(stored, []byte(mustJSON(gotDoc))) {
		t.Fatalf("stored resource:\n%s\nserved:\n%s", stored, mustJSON(gotDoc))
	}
	e := h.employee(id)
	if e.UserName != "  MiXeD.Case+tag@Example.GOV " || e.Email != "ZOE@Example.GOV" || e.EmployeeNumber != "000123" ||
		e.ExternalID != "Ext-ID-ÄÖÜ" || e.Seniority != "SES Tier 2" || !e.CapstoneOfficial || e.ManagerID != "m-1" ||
		!equalJSON(e.Caveats, []string{"NOFORN", "REL TO USA, FVEY", "PII"}) || e.Title != "Chief\tof Staff" {
		t.Fatalf("employee fields: %+v", e)
	}
	if !bytes.Contains(got.raw, []byte(`"Zoë <b>O'Brien</b> & co"`)) {
		t.Fatalf("HTML characters escaped in the answer: %s", got.raw)
	}
}

func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAuditFailure(t *testing.T) {
	h := newHarness(t)
	h.auditErr = errAudit
	n := h.nChanges()
	h.call("POST", "/scim/v2/Users", `{"userName": "audited@example.gov"}`).scimError(t, http.StatusInternalServerError, "")
	// The write stood and was reported, so offboarding never waits on the
	// audit log; the identity provider retries and gets 409, then PATCHes.
	wantChanges(t, h.changesSince(n), scim.UserCreated)
	h.auditErr = nil
	rs := h.call("GET", "/scim/v2/Users"+q(`userName eq "audited@example.gov"`), nil).list(t, 1)
	h.auditErr = errAudit
	h.call("PATCH", "/scim/v2/Users/"+rs[0]["id"].(string), patchOp(`{"op": "replace", "path": "active", "value": false}`)).
		scimError(t, http.StatusInternalServerError, "")
	h.call("DELETE", "/scim/v2/Users/"+rs[0]["id"].(string), nil).scimError(t, http.StatusInternalServerError, "")
	h.call("POST", "/scim/v2/Groups", `{"displayName": "g"}`).scimError(t, http.StatusInternalServerError, "")
	wantChanges(t, h.changesSince(n), scim.UserCreated, scim.UserDeactivated, scim.UserDeleted, scim.GroupChanged)
	// Every write asked for an audit entry, with who made it.
	if h.nAudits() != 4 {
		t.Fatalf("%d audit calls, want 4", h.nAudits())
	}
	if a := h.lastAudit(); a.action != "scim.group.create" || !strings.HasPrefix(a.details["actor"].(string), "token:") {
		t.Fatalf("last audit %+v", a)
	}
	// Reads are not audited.
	h.auditErr = nil
	h.call("GET", "/scim/v2/Users", nil).must(t, http.StatusOK)
	if h.nAudits() != 4 {
		t.Fatalf("a read was audited")
	}
}

func TestDiscovery(t *testing.T) {
	h := newHarness(t)
	r := h.call("GET", "/scim/v2/ServiceProviderConfig", nil).must(t, http.StatusOK)
	if get(r.body, "patch", "supported") != true || get(r.body, "bulk", "supported") != false ||
		get(r.body, "filter", "supported") != true || get(r.body, "filter", "maxResults") != 200.0 ||
		get(r.body, "etag", "supported") != false {
		t.Fatalf("ServiceProviderConfig: %s", r.raw)
	}
	if s, _ := r.body["authenticationSchemes"].([]any); len(s) != 1 || get(s[0], "type") != "oauthbearertoken" {
		t.Fatalf("authenticationSchemes: %s", r.raw)
	}
	rts := h.call("GET", "/scim/v2/ResourceTypes", nil).list(t, 2)
	if rts[0]["endpoint"] != "/Users" || rts[1]["endpoint"] != "/Groups" {
		t.Fatalf("ResourceTypes: %v", rts)
	}
	exts, _ := rts[0]["schemaExtensions"].([]any)
	if len(exts) != 2 || get(exts[0], "schema") != enterprise || get(exts[1], "schema") != governance {
		t.Fatalf("User schema extensions: %v", exts)
	}
	h.call("GET", "/scim/v2/ResourceTypes/User", nil).must(t, http.StatusOK)
	schemas := h.call("GET", "/scim/v2/Schemas", nil).list(t, 4)
	var ids []string
	for _, s := range schemas {
		ids = append(ids, s["id"].(string))
	}
	if !equalJSON(ids, []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterprise, governance, "urn:ietf:params:scim:schemas:core:2.0:Group"}) {
		t.Fatalf("schema ids %v", ids)
	}
	r = h.call("GET", "/scim/v2/Schemas/"+governance, nil).must(t, http.StatusOK)
	attrs := map[string]map[string]any{}
	for _, a := range r.body["attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["name"].(string)] = m
	}
	if attrs["seniority"]["type"] != "string" || attrs["capstoneOfficial"]["type"] != "boolean" ||
		attrs["caveats"]["type"] != "string" || attrs["caveats"]["multiValued"] != true {
		t.Fatalf("governance schema: %s", r.raw)
	}
	r = h.call("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).must(t, http.StatusOK)
	for _, a := range r.body["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == "userName" && (m["uniqueness"] != "server" || m["caseExact"] != false || m["required"] != true) {
			t.Fatalf("userName definition %v", m)
		}
	}
	if len(scim.Routes()) != 19 {
		t.Fatalf("Routes() = %d routes", len(scim.Routes()))
	}
}

// TestAdminEmployee checks that an employee an administrator made, with no
// SCIM resource, is served and can be taken over by provisioning.
func TestAdminEmployee(t *testing.T) {
	h := newHarness(t)
	e := &steward.Employee{UserName: "admin-made@example.gov", DisplayName: "Admin Made", Email: "admin-made@example.gov",
		Department: "IT", Seniority: "staff", Active: true}
	if err := h.db.CreateEmployee(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	r := h.call("GET", "/scim/v2/Users/"+e.ID, nil).must(t, http.StatusOK)
	if r.body["userName"] != "admin-made@example.gov" || get(r.body, enterprise, "department") != "IT" ||
		get(r.body, governance, "seniority") != "staff" || r.body["active"] != true {
		t.Fatalf("synthesized resource: %s", r.raw)
	}
	h.call("GET", "/scim/v2/Users"+q(`emails[type eq "work"].value eq "ADMIN-MADE@example.gov"`), nil).list(t, 1)
	h.call("PATCH", "/scim/v2/Users/"+e.ID, patchOp(`{"op": "add", "path": "externalId", "value": "idp-7"}`)).must(t, http.StatusOK)
	got := h.employee(e.ID)
	if got.ExternalID != "idp-7" || got.Department != "IT" || got.SCIMResource == nil {
		t.Fatalf("after PATCH: %+v", got)
	}
}

// TestDeleteAndReprovision checks that a deleted user's userName and
// externalId can be provisioned again, as a new employee.
func TestDeleteAndReprovision(t *testing.T) {
	h := newHarness(t)
	body := `{"userName": "reuse@example.gov", "externalId": "reuse"}`
	old := h.call("POST", "/scim/v2/Users", body).must(t, http.StatusCreated).body["id"].(string)
	g := h.call("POST", "/scim/v2/Groups", fmt.Sprintf(`{"displayName": "G", "members": [{"value": %q}]}`, old)).must(t, http.StatusCreated).body["id"].(string)
	h.call("DELETE", "/scim/v2/Users/"+old, nil).must(t, http.StatusNoContent)
	if m := h.group(g).Members; len(m) != 0 {
		t.Fatalf("deleted user still a member: %v", m)
	}
	fresh := h.call("POST", "/scim/v2/Users", body).must(t, http.StatusCreated).body["id"].(string)
	if fresh == old {
		t.Fatalf("same id")
	}
	rs := h.call("GET", "/scim/v2/Users"+q(`externalId eq "reuse"`), nil).list(t, 1)
	if rs[0]["id"] != fresh {
		t.Fatalf("found %v, want the new user", rs[0]["id"])
	}
}

// TestConcurrentPatches checks that concurrent PATCHes of one user lose
// no update.
func TestConcurrentPatches(t *testing.T) {
	h := newHarness(t)
	id := h.call("POST", "/scim/v2/Users", `{"userName": "busy@example.gov"}`).must(t, http.StatusCreated).body["id"].(string)
	const n = 8
	done := make(chan *response, n)
	for i := range n {
		go func() {
			done <- h.call("PATCH", "/scim/v2/Users/"+id, patchOp(fmt.Sprintf(
				`{"op": "add", "path": "phoneNumbers", "value": [{"value": "+1555010%04d", "type": "work"}]}`, i)))
		}()
	}
	for range n {
		if r := <-done; r.status != http.StatusOK {
			t.Fatalf("PATCH: %d %s", r.status, r.raw)
		}
	}
	r := h.call("GET", "/scim/v2/Users/"+id, nil).must(t, http.StatusOK)
	if ps, _ := r.body["phoneNumbers"].([]any); len(ps) != n {
		t.Fatalf("%d phone numbers after %d concurrent adds", len(ps), n)
	}
}
