package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/steward-gov/steward/internal/scim"
)

// These tests replay Microsoft Entra ID's provisioning as documented
// (../../../shared/reference/protocols.md §6): Test Connection, a first
// cycle that creates users and a group, then the incremental cycles that
// PATCH them, and a second identical cycle, which must change nothing.

func q(filter string, extra ...string) string {
	v := url.Values{"filter": {filter}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "?" + v.Encode()
}

// entraUser is the POST /Users body Entra ID sends, with the quirks of
// its documented examples: nulls for unmapped attributes, department and
// manager at the top level, "roles": [].
func entraUser(upn, mailNickname, given, family, employeeID, dept, active string) string {
	return fmt.Sprintf(`{
		"schemas": [
			"urn:ietf:params:scim:schemas:core:2.0:User",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		],
		"externalId": %q,
		"userName": %q,
		"active": %s,
		"addresses": null,
		"displayName": "%s %s",
		"emails": [{"primary": true, "type": "work", "value": %q}],
		"meta": {"resourceType": "User"},
		"name": {"formatted": "%s %s", "familyName": %q, "givenName": %q},
		"roles": [],
		"title": "Analyst",
		"department": null,
		"manager": null,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
			"employeeNumber": %q,
			"department": %q,
			"organization": "Contoso"
		}
	}`, mailNickname, upn, active, given, family, upn, given, family, family, given, employeeID, dept)
}

const entraGroup = `{
	"schemas": [
		"urn:ietf:params:scim:schemas:core:2.0:Group",
		"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	],
	"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
	"displayName": "Trading Desk",
	"meta": {"resourceType": "Group"}
}`

func patchOp(ops ...string) string {
	s := `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [`
	for i, o := range ops {
		if i > 0 {
			s += ","
		}
		s += o
	}
	return s + "]}"
}

// provisionUser does what Entra ID does for a user in scope: look them up
// by the matching attribute, then POST if there is none, or PATCH with
// the given operations if there is. It returns the user's id.
func provisionUser(t *testing.T, h *harness, upn, create string, patch ...string) string {
	t.Helper()
	found := h.call("GET", "/scim/v2/Users"+q(fmt.Sprintf("userName eq %q", upn)), nil)
	switch rs := found.list(t, int(found.body["totalResults"].(float64))); len(rs) {
	case 0:
		r := h.call("POST", "/scim/v2/Users", create).must(t, http.StatusCreated)
		id := r.body["id"].(string)
		if r.header.Get("Location") != get(r.body, "meta", "location") || id == "" {
			t.Fatalf("POST /Users: Location %q, body %s", r.header.Get("Location"), r.raw)
		}
		return id
	case 1:
		id := rs[0]["id"].(string)
		if len(patch) > 0 {
			h.call("PATCH", "/scim/v2/Users/"+id, patchOp(patch...)).must(t, http.StatusOK)
		}
		return id
	default:
		t.Fatalf("%d users match %s", len(rs), upn)
		return ""
	}
}

func TestEntraDefaultMode(t *testing.T) {
	h := newHarness(t)

	// Test Connection: a user that cannot exist, filtered on the matching
	// attribute, must answer 200 and an empty ListResponse.
	h.call("GET", "/scim/v2/Users"+q(`userName eq "5d48a0a8-e3a5-4ed6-9b13-4d0a5a2e0b8c"`), nil).list(t, 0)
	h.call("GET", "/scim/v2/Users"+q(`externalId eq 5d48a0a8-e3a5-4ed6-9b13-4d0a5a2e0b8c`), nil).list(t, 0)

	cycle := func(n int) (alice, bob, group string) {
		t.Helper()
		start := h.nChanges()
		bob = provisionUser(t, h, "Bob.Jones@contoso.com",
			entraUser("Bob.Jones@contoso.com", "bjones", "Bob", "Jones", "00007", "Trading", `"True"`))
		alice = provisionUser(t, h, "Alice.Smith@contoso.com",
			entraUser("Alice.Smith@contoso.com", "asmith", "Alice", "Smith", "00042", "Trading", `"True"`))

		// Reference attributes come in a follow-up PATCH: manager as a bare
		// path with a list of one reference.
		h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(
			fmt.Sprintf(`{"op": "Add", "path": "manager", "value": [{"$ref": null, "value": %q}]}`, bob),
		)).must(t, http.StatusOK)

		// Incremental changes, capitalized ops, paths in both URN forms.
		r := h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(
			`{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Risk"}`,
			`{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber", "value": "00043"}`,
			`{"op": "Replace", "path": "name.familyName", "value": "Smith-Jones"}`,
			`{"op": "Replace", "path": "displayName", "value": "Alice Smith-Jones"}`,
			`{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "alice.smith-jones@contoso.com"}`,
			`{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 (555) 010-0142"}`,
		)).must(t, http.StatusOK)
		if get(r.body, enterprise, "department") != "Risk" || get(r.body, enterprise, "employeeNumber") != "00043" ||
			get(r.body, "name", "familyName") != "Smith-Jones" || get(r.body, "name", "givenName") != "Alice" {
			t.Fatalf("cycle %d: PATCH result %s", n, r.raw)
		}
		if !equalJSON(r.body["emails"], []any{map[string]any{"primary": true, "type": "work", "value": "alice.smith-jones@contoso.com"}}) {
			t.Fatalf("cycle %d: emails %v", n, r.body["emails"])
		}
		if !equalJSON(r.body["phoneNumbers"], []any{map[string]any{"type": "mobile", "value": "+1 (555) 010-0142"}}) {
			t.Fatalf("cycle %d: phoneNumbers %v", n, r.body["phoneNumbers"])
		}

		// Groups are matched by displayName, read without members.
		found := h.call("GET", "/scim/v2/Groups"+q(`displayName eq "Trading Desk"`, "excludedAttributes", "members"), nil)
		switch rs := found.list(t, int(found.body["totalResults"].(float64))); len(rs) {
		case 0:
			g := h.call("POST", "/scim/v2/Groups", entraGroup).must(t, http.StatusCreated)
			group = g.body["id"].(string)
			if g.body["members"] != nil {
				t.Fatalf("group created with members: %s", g.raw)
			}
		case 1:
			group = rs[0]["id"].(string)
			if rs[0]["members"] != nil {
				t.Fatalf("excludedAttributes=members returned members: %s", found.raw)
			}
		}
		// Several memberships in one PATCH, with "$ref": null. In the second
		// cycle bob has left the group in Entra ID, and alice is added again.
		add := fmt.Sprintf(`{"op": "Add", "path": "members", "value": [{"$ref": null, "value": %q}, {"$ref": null, "value": %q}]}`, alice, bob)
		if n == 2 {
			add = fmt.Sprintf(`{"op": "Add", "path": "members", "value": [{"$ref": null, "value": %q}]}`, alice)
		}
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(add)).must(t, http.StatusNoContent)
		// Default mode removes a member with a value list.
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
			`{"op": "Remove", "path": "members", "value": [{"value": %q}]}`, bob),
		)).must(t, http.StatusNoContent)
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(
			`{"op": "Replace", "path": "displayName", "value": "Trading Desk"}`,
		)).must(t, http.StatusNoContent)

		if n == 2 && h.nChanges() != start {
			t.Fatalf("the second, identical cycle reported changes: %+v", h.changesSince(start))
		}
		return alice, bob, group
	}

	alice, bob, group := cycle(1)
	alice2, bob2, group2 := cycle(2)
	if alice2 != alice || bob2 != bob || group2 != group {
		t.Fatalf("second cycle made new resources")
	}

	e := h.employee(alice)
	if e.UserName != "Alice.Smith@contoso.com" || e.ExternalID != "asmith" || e.DisplayName != "Alice Smith-Jones" ||
		e.Email != "alice.smith-jones@contoso.com" || e.Department != "Risk" || e.EmployeeNumber != "00043" ||
		e.Organization != "Contoso" || e.ManagerID != bob || e.Title != "Analyst" || !e.Active {
		t.Fatalf("alice in the store: %+v", e)
	}
	if g := h.group(group); !equalJSON(g.Members, []string{alice}) || g.DisplayName != "Trading Desk" ||
		g.ExternalID != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Fatalf("group in the store: %+v", g)
	}
	r := h.call("GET", "/scim/v2/Groups/"+group, nil).must(t, http.StatusOK)
	if ms, _ := r.body["members"].([]any); len(ms) != 1 || get(ms[0], "value") != alice {
		t.Fatalf("group members: %s", r.raw)
	}
	// The user is found again by userName in another case (caseExact
	// false), and by the work email.
	h.call("GET", "/scim/v2/Users"+q(`userName eq "alice.smith@CONTOSO.com"`), nil).list(t, 1)
	h.call("GET", "/scim/v2/Users"+q(`emails[type eq "work"].value eq "Alice.Smith-Jones@contoso.com"`), nil).list(t, 1)

	// Leaving scope: active arrives as the string "False".
	start := h.nChanges()
	r = h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "Replace", "path": "active", "value": "False"}`)).must(t, http.StatusOK)
	if r.body["active"] != false {
		t.Fatalf("active after \"False\": %v", r.body["active"])
	}
	if e := h.employee(alice); e.Active {
		t.Fatalf("alice still active")
	}
	ch := h.changesSince(start)
	wantChanges(t, ch, scim.UserDeactivated)
	if ch[0].EmployeeID != alice || ch[0].Employee.Active || !ch[0].Previous.Active || ch[0].Employee.ManagerID != bob {
		t.Fatalf("deactivation change: %+v", ch[0])
	}
	if a := h.lastAudit(); a.action != "scim.user.patch" || a.subject != "employee:"+alice || a.details["change"] != "user.deactivated" {
		t.Fatalf("audit of the deactivation: %+v", a)
	}
	// The same PATCH again (a retry) changes nothing and reports nothing.
	h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "Replace", "path": "active", "value": "False"}`)).must(t, http.StatusOK)
	wantChanges(t, h.changesSince(start), scim.UserDeactivated)
	// Back in scope.
	h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "Replace", "path": "active", "value": "True"}`)).must(t, http.StatusOK)
	wantChanges(t, h.changesSince(start), scim.UserDeactivated, scim.UserReactivated)

	// The manager removed.
	r = h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(
		`{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}`,
	)).must(t, http.StatusOK)
	if get(r.body, enterprise, "manager") != nil || h.employee(alice).ManagerID != "" {
		t.Fatalf("manager after removal: %s", r.raw)
	}

	// Hard delete, 30 days after a soft delete.
	start = h.nChanges()
	h.call("DELETE", "/scim/v2/Users/"+bob, nil).must(t, http.StatusNoContent)
	wantChanges(t, h.changesSince(start), scim.UserDeleted)
	h.call("GET", "/scim/v2/Users/"+bob, nil).scimError(t, http.StatusNotFound, "")
	h.call("DELETE", "/scim/v2/Users/"+bob, nil).scimError(t, http.StatusNotFound, "")
	h.call("PATCH", "/scim/v2/Users/"+bob, patchOp(`{"op": "Replace", "path": "active", "value": "False"}`)).scimError(t, http.StatusNotFound, "")
	h.call("GET", "/scim/v2/Users"+q(`userName eq "Bob.Jones@contoso.com"`), nil).list(t, 0)
	if e := h.employee(bob); e.DeletedAt == nil || e.Active || e.UserName != "Bob.Jones@contoso.com" {
		t.Fatalf("deleted bob in the store: %+v", e)
	}
}

func TestEntraFlagMode(t *testing.T) {
	// With aadOptscim062020: booleans are booleans, ops are lower-case,
	// PATCHes may have no path, and members are removed by filter.
	h := newHarness(t)
	h.call("GET", "/scim/v2/Users"+q(`userName eq "0b9f1a44-3f0e-4a53-a8c1-9c9e6b4b1e21"`), nil).list(t, 0)

	cycle := func(n int) (alice, bob, group string) {
		t.Helper()
		start := h.nChanges()
		bob = provisionUser(t, h, "bob@contoso.com",
			entraUser("bob@contoso.com", "bob", "Bob", "Jones", "7", "Trading", "true"))
		alice = provisionUser(t, h, "alice@contoso.com",
			entraUser("alice@contoso.com", "alice", "Alice", "Smith", "42", "Trading", "true"))
		r := h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(
			fmt.Sprintf(`{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": %q}`, bob),
		)).must(t, http.StatusOK)
		if !equalJSON(get(r.body, enterprise, "manager"), map[string]any{"value": bob}) {
			t.Fatalf("manager as a bare id: %s", r.raw)
		}
		// A path-less replace with dotted keys and the full enterprise URN.
		r = h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "replace", "value": {
			"displayName": "Alicia Smith",
			"name.givenName": "Alicia",
			"name.formatted": "Alicia Smith",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Legal",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.organization": "Contoso Legal",
			"emails[type eq \"work\"].value": "alicia@contoso.com",
			"title": "Counsel"
		}}`)).must(t, http.StatusOK)
		if get(r.body, "name", "givenName") != "Alicia" || get(r.body, "name", "familyName") != "Smith" ||
			get(r.body, enterprise, "department") != "Legal" || get(r.body, enterprise, "organization") != "Contoso Legal" ||
			get(r.body, enterprise, "employeeNumber") != "42" || !equalJSON(get(r.body, enterprise, "manager"), map[string]any{"value": bob}) {
			t.Fatalf("cycle %d: path-less replace gave %s", n, r.raw)
		}
		if r.body["name.givenName"] != nil || r.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"] != nil {
			t.Fatalf("dotted keys stored as attributes: %s", r.raw)
		}

		found := h.call("GET", "/scim/v2/Groups"+q(`displayName eq "Trading Desk"`, "excludedAttributes", "members"), nil)
		if rs := found.list(t, int(found.body["totalResults"].(float64))); len(rs) == 0 {
			group = h.call("POST", "/scim/v2/Groups", entraGroup).must(t, http.StatusCreated).body["id"].(string)
		} else {
			group = rs[0]["id"].(string)
		}
		add := fmt.Sprintf(`{"op": "add", "path": "members", "value": [{"value": %q}, {"value": %q}]}`, alice, bob)
		if n == 2 {
			add = fmt.Sprintf(`{"op": "add", "path": "members", "value": [{"value": %q}]}`, alice)
		}
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(add)).must(t, http.StatusNoContent)
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
			`{"op": "remove", "path": "members[value eq \"%s\"]"}`, bob),
		)).must(t, http.StatusNoContent)
		// A path-less group replace.
		h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(
			`{"op": "replace", "value": {"displayName": "Trading Desk", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"}}`,
		)).must(t, http.StatusNoContent)
		if n == 2 && h.nChanges() != start {
			t.Fatalf("the second, identical cycle reported changes: %+v", h.changesSince(start))
		}
		return alice, bob, group
	}
	alice, bob, group := cycle(1)
	if a2, b2, g2 := cycle(2); a2 != alice || b2 != bob || g2 != group {
		t.Fatalf("second cycle made new resources")
	}
	if g := h.group(group); !equalJSON(g.Members, []string{alice}) {
		t.Fatalf("members %v, want only alice", g.Members)
	}
	e := h.employee(alice)
	if e.DisplayName != "Alicia Smith" || e.Department != "Legal" || e.Organization != "Contoso Legal" ||
		e.Title != "Counsel" || e.Email != "alicia@contoso.com" || e.ManagerID != bob {
		t.Fatalf("alice in the store: %+v", e)
	}

	// active as a boolean, in a path-less replace too.
	start := h.nChanges()
	h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "replace", "path": "active", "value": false}`)).must(t, http.StatusOK)
	h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(`{"op": "replace", "value": {"active": true}}`)).must(t, http.StatusOK)
	h.call("PATCH", "/scim/v2/Users/"+bob, patchOp(`{"op": "replace", "value": {"active": false}}`)).must(t, http.StatusOK)
	wantChanges(t, h.changesSince(start), scim.UserDeactivated, scim.UserReactivated, scim.UserDeactivated)

	// The manager removed by a remove with the dot form of the URN.
	h.call("PATCH", "/scim/v2/Users/"+alice, patchOp(
		`{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager"}`,
	)).must(t, http.StatusOK)
	if h.employee(alice).ManagerID != "" {
		t.Fatalf("manager not removed")
	}

	// Removing a member that is not there is not an error (a retried cycle).
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(fmt.Sprintf(
		`{"op": "remove", "path": "members[value eq \"%s\"]"}`, bob),
	)).must(t, http.StatusNoContent)
	// An unknown member is.
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(
		`{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}`,
	)).scimError(t, http.StatusBadRequest, "invalidValue")
	h.call("PATCH", "/scim/v2/Groups/"+group, patchOp(
		`{"op": "add", "path": "members", "value": [{"value": "x"}]}`,
		`{"op": "replace", "path": "displayName", "value": "Renamed"}`,
	)).scimError(t, http.StatusBadRequest, "invalidValue")
	if g := h.group(group); g.DisplayName != "Trading Desk" {
		t.Fatalf("a failed PATCH applied in part: %+v", g)
	}
}

// TestEntraEnterpriseSpellings checks the lenient readings of the
// enterprise extension: the misspelled URN of an Entra ID tutorial, and a
// manager sent as a list of one reference at creation.
func TestEntraEnterpriseSpellings(t *testing.T) {
	h := newHarness(t)
	mgr := h.call("POST", "/scim/v2/Users", `{"userName": "mgr@contoso.com"}`).must(t, http.StatusCreated).body["id"].(string)
	r := h.call("POST", "/scim/v2/Users", fmt.Sprintf(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
		"userName": "typo@contoso.com",
		"active": "True",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0User": {
			"Department": "Ops",
			"manager": [{"$ref": "../Users/%s", "value": %q}]
		}
	}`, mgr, mgr)).must(t, http.StatusCreated)
	want := map[string]any{"department": "Ops", "manager": map[string]any{"$ref": "../Users/" + mgr, "value": mgr}}
	if !equalJSON(r.body[enterprise], want) {
		t.Fatalf("enterprise extension %v, want %v", r.body[enterprise], want)
	}
	if !equalJSON(r.body["schemas"], []any{"urn:ietf:params:scim:schemas:core:2.0:User", enterprise}) {
		t.Fatalf("schemas %v", r.body["schemas"])
	}
	e := h.employee(r.body["id"].(string))
	if e.Department != "Ops" || e.ManagerID != mgr || !e.Active {
		t.Fatalf("employee %+v", e)
	}
	// A new manager replaces the old one whole: no stale $ref.
	r = h.call("PATCH", "/scim/v2/Users/"+e.ID, patchOp(
		`{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "other"}}`,
	)).must(t, http.StatusOK)
	if !equalJSON(get(r.body, enterprise, "manager"), map[string]any{"value": "other"}) {
		t.Fatalf("manager after replace: %v", get(r.body, enterprise, "manager"))
	}
}
