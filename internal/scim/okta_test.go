package scim_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/scim"
)

// oktaUser is the body Okta sends to create a user and, whole, to replace
// one with PUT: core schema, a groups list (read-only, ignored) and,
// with password sync on, a password, which Steward must never keep.
func oktaUser(title, seniority string, capstone bool, active bool) string {
	return fmt.Sprintf(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", %q],
		"userName": "carol.lee@okta-agency.example",
		"name": {"givenName": "Carol", "familyName": "Lee"},
		"emails": [{"primary": true, "value": "carol.lee@okta-agency.example", "type": "work"}],
		"displayName": "Carol Lee",
		"locale": "en-US",
		"externalId": "00u1ab2cd3EF4gh5i6j7",
		"groups": [],
		"password": "Tr0ub4dor&3",
		"title": %q,
		"active": %t,
		%q: {"seniority": %q, "capstoneOfficial": %t, "caveats": ["NOFORN", "PII"]}
	}`, governance, title, active, governance, seniority, capstone)
}

func TestOktaCycle(t *testing.T) {
	h := newHarness(t)
	// Okta checks for the user with paging parameters.
	h.call("GET", "/scim/v2/Users"+q(`userName eq "carol.lee@okta-agency.example"`, "startIndex", "1", "count", "100"), nil).list(t, 0)

	r := h.call("POST", "/scim/v2/Users", oktaUser("Deputy Director", "executive", true, true)).must(t, http.StatusCreated)
	carol := r.body["id"].(string)
	if r.body["password"] != nil || r.body["groups"] != nil {
		t.Fatalf("password or groups returned: %s", r.raw)
	}
	if !equalJSON(r.body[governance], map[string]any{"seniority": "executive", "capstoneOfficial": true, "caveats": []string{"NOFORN", "PII"}}) {
		t.Fatalf("governance extension %v", r.body[governance])
	}
	if e := h.employee(carol); string(e.SCIMResource) == "" || strings.Contains(string(e.SCIMResource), "Tr0ub4dor") {
		t.Fatalf("stored resource holds the password: %s", e.SCIMResource)
	}
	e := h.employee(carol)
	if e.Seniority != "executive" || !e.CapstoneOfficial || !equalJSON(e.Caveats, []string{"NOFORN", "PII"}) || e.Title != "Deputy Director" {
		t.Fatalf("carol in the store: %+v", e)
	}
	dan := h.call("POST", "/scim/v2/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName": "dan@okta-agency.example", "name": {"givenName": "Dan", "familyName": "Ng"}, "active": true}`).
		must(t, http.StatusCreated).body["id"].(string)
	h.call("GET", "/scim/v2/Users/"+carol, nil).must(t, http.StatusOK)

	// A profile update is a PUT of the whole user: what is left out goes.
	start := h.nChanges()
	put := `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "` + carol + `",
		"userName": "carol.lee@okta-agency.example",
		"name": {"givenName": "Carol", "familyName": "Lee-Park"},
		"emails": [{"primary": true, "value": "carol.lee@okta-agency.example", "type": "work"}],
		"displayName": "Carol Lee-Park",
		"externalId": "00u1ab2cd3EF4gh5i6j7",
		"title": "Director",
		"active": true
	}`
	r = h.call("PUT", "/scim/v2/Users/"+carol, put).must(t, http.StatusOK)
	if r.body["locale"] != nil || r.body[governance] != nil || get(r.body, "name", "familyName") != "Lee-Park" {
		t.Fatalf("PUT did not replace the whole user: %s", r.raw)
	}
	e = h.employee(carol)
	if e.Title != "Director" || e.Seniority != "" || e.CapstoneOfficial || e.Caveats != nil || e.DisplayName != "Carol Lee-Park" || !e.Active {
		t.Fatalf("carol after PUT: %+v", e)
	}
	ch := h.changesSince(start)
	wantChanges(t, ch, scim.UserUpdated)
	for _, f := range []string{"title", "seniority", "capstone_official", "caveats", "display_name"} {
		if !slices.Contains(ch[0].Fields, f) {
			t.Fatalf("change fields %v lack %s", ch[0].Fields, f)
		}
	}
	// The same PUT again changes nothing.
	h.call("PUT", "/scim/v2/Users/"+carol, put).must(t, http.StatusOK)
	wantChanges(t, h.changesSince(start), scim.UserUpdated)
	if a := h.lastAudit(); a.action != "scim.user.replace" || a.details["change"] != "none" {
		t.Fatalf("audit of an unchanged PUT: %+v", a)
	}
	// A PUT may not take another user's name.
	clash := `{"userName": "DAN@okta-agency.example", "active": true}`
	h.call("PUT", "/scim/v2/Users/"+carol, clash).scimError(t, http.StatusConflict, "uniqueness")

	// Deactivation is a path-less PATCH of active.
	r = h.call("PATCH", "/scim/v2/Users/"+carol, patchOp(`{"op": "replace", "value": {"active": false}}`)).must(t, http.StatusOK)
	if r.body["active"] != false || h.employee(carol).Active {
		t.Fatalf("carol still active: %s", r.raw)
	}
	wantChanges(t, h.changesSince(start), scim.UserUpdated, scim.UserDeactivated)

	// Groups: created with members, renamed by a path-less replace that
	// repeats the id, and members replaced whole.
	r = h.call("POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName": "Records Managers", "members": [{"value": %q, "display": "carol.lee@okta-agency.example"}]}`, carol)).
		must(t, http.StatusCreated)
	group := r.body["id"].(string)
	if ms, _ := r.body["members"].([]any); len(ms) != 1 {
		t.Fatalf("group created without its member: %s", r.raw)
	}
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
		`{"op": "replace", "value": {"id": %q, "displayName": "Records Management"}}`, group),
	)).must(t, http.StatusNoContent)
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(
		`{"op": "replace", "value": {"id": "another-id", "displayName": "X"}}`,
	)).scimError(t, http.StatusBadRequest, "mutability")

	start = h.nChanges()
	replace := fmt.Sprintf(`{"op": "replace", "path": "members", "value": [{"value": %q, "display": "dan@okta-agency.example"}]}`, dan)
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(replace)).must(t, http.StatusNoContent)
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(replace)).must(t, http.StatusNoContent)
	ch = h.changesSince(start)
	wantChanges(t, ch, scim.GroupChanged)
	if !equalJSON(ch[0].Added, []string{dan}) || !equalJSON(ch[0].Removed, []string{carol}) {
		t.Fatalf("members replace change: %+v", ch[0])
	}
	g := h.group(group)
	if g.DisplayName != "Records Management" || !equalJSON(g.Members, []string{dan}) {
		t.Fatalf("group after replace: %+v", g)
	}
	// Okta's add and remove of one member.
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
		`{"op": "add", "path": "members", "value": [{"value": %q, "display": "carol"}]}`, carol))).must(t, http.StatusNoContent)
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
		`{"op": "remove", "path": "members[value eq \"%s\"]"}`, dan))).must(t, http.StatusNoContent)
	if g := h.group(group); !equalJSON(g.Members, []string{carol}) {
		t.Fatalf("members %v, want carol", g.Members)
	}
	// A group PUT replaces name and members.
	r = h.call("PUT", "/scim/v2/Groups/"+group, fmt.Sprintf(`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName": "Records", "members": [{"value": %q}, {"value": %q}]}`, carol, dan)).must(t, http.StatusOK)
	if ms, _ := r.body["members"].([]any); len(ms) != 2 || r.body["displayName"] != "Records" {
		t.Fatalf("group PUT: %s", r.raw)
	}
	h.call("GET", "/scim/v2/Groups"+q(`displayName eq "records"`), nil).list(t, 1)

	start = h.nChanges()
	h.call("DELETE", "/scim/v2/Groups/"+group, nil).must(t, http.StatusNoContent)
	ch = h.changesSince(start)
	wantChanges(t, ch, scim.GroupDeleted)
	if len(ch[0].Removed) != 2 {
		t.Fatalf("group deletion removed %v", ch[0].Removed)
	}
	h.call("GET", "/scim/v2/Groups/"+group, nil).scimError(t, http.StatusNotFound, "")
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(`{"op": "add", "path": "members", "value": [{"value": "x"}]}`)).
		scimError(t, http.StatusNotFound, "")
}
