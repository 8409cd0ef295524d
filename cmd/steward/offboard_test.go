package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/steward"
)

// scimCall sends a SCIM request and decodes the answer into out.
func scimCall(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestOffboardingOverSCIM: an identity provider provisions an employee
// over SCIM, the employee gets a work identity and an inbox token, and
// the identity provider then deactivates them, as Entra ID does, with
// active sent as the string "False". When the SCIM answer arrives the
// token no longer works and the identity is suspended; the latency from
// the request to revocation is measured and bounded by one second. It is
// all in the audit trail. Reactivation restores the identity, not the
// token.
func TestOffboardingOverSCIM(t *testing.T) {
	data := t.TempDir()
	scimTok := mustToken(t, data, "entra", "scim")
	admin := mustToken(t, data, "admin", "admin")
	auditor := mustToken(t, data, "auditor", "audit")
	s := startServer(t, "serve", data)

	var user struct{ ID string }
	if code := scimCall(t, "POST", s.base+"/scim/v2/Users", scimTok, map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "departing@agency.example.gov", "active": true,
		"name":   map[string]string{"givenName": "Dee", "familyName": "Parting"},
		"emails": []map[string]any{{"type": "work", "value": "departing@agency.example.gov", "primary": true}},
	}, &user); code != 201 {
		t.Fatalf("SCIM create: %d", code)
	}
	var id steward.Identity
	if code := call(t, "PUT", s.base+"/api/v1/employees/"+user.ID+"/identities", admin, map[string]string{
		"channel": "signal", "address": "+12025550161", "mode": "governed"}, &id); code != 201 {
		t.Fatalf("identity: %d", code)
	}
	var tok httpapi.TokenResponse
	if code := call(t, "POST", s.base+"/api/v1/tokens", admin, map[string]any{"name": "departing-inbox",
		"scopes": []string{"inbox"}, "employee_id": user.ID}, &tok); code != 201 {
		t.Fatalf("inbox token: %d", code)
	}
	if code := call(t, "GET", s.base+"/api/v1/contacts", tok.Token, nil, nil); code != 200 {
		t.Fatalf("inbox token before offboarding: %d", code)
	}

	start := time.Now()
	if code := scimCall(t, "PATCH", s.base+"/scim/v2/Users/"+user.ID, scimTok, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
	}, nil); code != 200 {
		t.Fatalf("SCIM deactivate: %d", code)
	}
	code := call(t, "GET", s.base+"/api/v1/contacts", tok.Token, nil, nil)
	latency := time.Since(start)
	if code != http.StatusUnauthorized {
		t.Fatalf("inbox token after deactivation: %d, want 401", code)
	}
	t.Logf("revocation latency (SCIM request sent to token refused): %v", latency)
	if latency > time.Second {
		t.Fatalf("revocation took %v, want under 1 s", latency)
	}
	var emp httpapi.EmployeeResponse
	call(t, "GET", s.base+"/api/v1/employees/"+user.ID, admin, nil, &emp)
	if len(emp.Identities) != 1 || emp.Identities[0].Status != steward.IdentitySuspended {
		t.Fatalf("identities after offboarding: %+v", emp.Identities)
	}
	var trail struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	call(t, "GET", s.base+"/api/v1/audit?subject="+user.ID+"&action=employee.offboard", auditor, nil, &trail)
	if len(trail.Entries) != 1 || trail.Entries[0].Actor != "scim" {
		t.Fatalf("offboarding audit entries: %+v", trail.Entries)
	}

	if code := scimCall(t, "PATCH", s.base+"/scim/v2/Users/"+user.ID, scimTok, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": true}},
	}, nil); code != 200 {
		t.Fatalf("SCIM reactivate: %d", code)
	}
	call(t, "GET", s.base+"/api/v1/employees/"+user.ID, admin, nil, &emp)
	if emp.Identities[0].Status != steward.IdentityActive {
		t.Fatalf("identity after reactivation: %s, want active", emp.Identities[0].Status)
	}
	if code := call(t, "GET", s.base+"/api/v1/contacts", tok.Token, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the revoked token came back with reactivation: %d", code)
	}
}

// TestOffboardingHandsOverGroups: the departing employee administers a
// Signal group; when the identity provider deactivates them, their manager
// (from SCIM's enterprise manager attribute) is added to the group as an
// admin on the channel, inside the offboarding. Consent stays personal: the
// outside member must consent to the manager before the manager writes.
func TestOffboardingHandsOverGroups(t *testing.T) {
	const dee, mo, outside = "+12025550171", "+12025550172", "+14155550171"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", dee, "--account", mo, "--contact", outside+",accept,50ms")
	e := newChatData(t)
	scimTok := mustToken(t, e.data, "entra", "scim")
	auditor := mustToken(t, e.data, "auditor", "audit")
	e.serve(t, simURL)

	provision := func(user, manager string) string {
		body := map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			"userName": user, "active": true, "displayName": user,
		}
		if manager != "" {
			body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"manager": map[string]string{"value": manager}}
		}
		var u struct{ ID string }
		if code := scimCall(t, "POST", e.base+"/scim/v2/Users", scimTok, body, &u); code != 201 {
			t.Fatalf("SCIM create %s: %d", user, code)
		}
		return u.ID
	}
	moID := provision("mo@agency.example.gov", "")
	deeID := provision("dee@agency.example.gov", moID)
	inbox := func(empID, number string) string {
		if code := call(t, "PUT", e.base+"/api/v1/employees/"+empID+"/identities", e.admin, map[string]string{
			"channel": "signal", "address": number, "mode": "governed"}, nil); code != 201 {
			t.Fatalf("identity: %d", code)
		}
		var tok httpapi.TokenResponse
		if code := call(t, "POST", e.base+"/api/v1/tokens", e.admin, map[string]any{"name": number + "-inbox",
			"scopes": []string{"inbox"}, "employee_id": empID}, &tok); code != 201 {
			t.Fatalf("inbox token: %d", code)
		}
		return tok.Token
	}
	deeInbox, moInbox := inbox(deeID, dee), inbox(moID, mo)
	e.addContact(t, deeInbox, outside, "Outside Partner")
	e.waitConsent(t, deeInbox, outside, steward.ConsentActive)
	var group struct{ ID string }
	if code := call(t, "POST", e.base+"/api/v1/conversations", deeInbox, map[string]any{
		"title": "Flood response", "members": []string{outside}}, &group); code != 201 {
		t.Fatalf("create group: %d", code)
	}

	if code := scimCall(t, "PATCH", e.base+"/scim/v2/Users/"+deeID, scimTok, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
	}, nil); code != 200 {
		t.Fatalf("SCIM deactivate: %d", code)
	}
	var list struct {
		Conversations []struct {
			ID      string `json:"id"`
			Members []struct {
				Address string `json:"address"`
				Admin   bool   `json:"admin"`
				Me      bool   `json:"me"`
			} `json:"members"`
		} `json:"conversations"`
	}
	call(t, "GET", e.base+"/api/v1/conversations", moInbox, nil, &list)
	admin, departedStays := false, false
	for _, c := range list.Conversations {
		if c.ID != group.ID {
			continue
		}
		for _, m := range c.Members {
			admin = admin || (m.Me && m.Admin && m.Address == mo)
			departedStays = departedStays || m.Address == dee
		}
	}
	if !admin {
		t.Fatalf("the manager is not an admin of the departed's group: %+v", list.Conversations)
	}
	if departedStays {
		t.Fatalf("the departed employee is still a member of the group: %+v", list.Conversations)
	}
	// Consent was given to Dee: the outside member must consent to Mo before
	// Mo can write to them, even in the group Mo now runs.
	var eb httpapi.ErrorBody
	if code := call(t, "POST", e.base+"/api/v1/conversations/"+group.ID+"/messages", moInbox,
		map[string]string{"body": "I am taking over from Dee."}, &eb); code != 409 || eb.Error.Code != "consent_required" {
		t.Fatalf("the manager sending before the outside member consented to them: %d %+v", code, eb)
	}
	var trail struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	call(t, "GET", e.base+"/api/v1/audit?action=employee.offboard&subject="+deeID, auditor, nil, &trail)
	if len(trail.Entries) != 1 {
		t.Fatalf("offboarding audit: %+v", trail.Entries)
	}
	if got, _ := trail.Entries[0].Details["groups_handed_over"].([]any); len(got) != 1 {
		t.Fatalf("handover not audited: %+v", trail.Entries[0].Details)
	}
	if got, _ := trail.Entries[0].Details["groups_left"].([]any); len(got) != 1 {
		t.Fatalf("removal not audited: %+v", trail.Entries[0].Details)
	}
}
