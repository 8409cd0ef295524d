package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/steward"
)

// TestRouteRoles walks every route × every role: one employee per role,
// in an identity-provider group mapped to that role through the API, each
// with an inbox token. Every allow (not 401 or 403) and every deny (403)
// must be as the authorization table says.
func TestRouteRoles(t *testing.T) {
	a, srv := newTestAPI(t)
	ctx := context.Background()
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	auditor := issue(t, a, "auditor", 0, steward.ScopeAudit)

	newEmployee := func(role steward.Role, group *steward.Group) (*steward.Employee, string) {
		t.Helper()
		e := &steward.Employee{UserName: string(role) + "@agency.example.gov", DisplayName: string(role), Active: true}
		if err := a.db.CreateEmployee(ctx, e); err != nil {
			t.Fatal(err)
		}
		if _, err := a.db.AddGroupMembers(ctx, group.ID, []string{e.ID}, time.Now()); err != nil {
			t.Fatal(err)
		}
		secret, _, err := steward.IssueToken(ctx, a.db, steward.TokenSpec{Name: "inbox-" + string(role),
			Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: e.ID}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return e, secret
	}
	var mappings []map[string]string
	groups := map[steward.Role]*steward.Group{}
	tokens := map[steward.Role]string{}
	for _, role := range steward.Roles() {
		g := &steward.Group{DisplayName: "Steward-" + string(role)}
		if err := a.db.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		groups[role] = g
		_, tokens[role] = newEmployee(role, g)
		mappings = append(mappings, map[string]string{"group": g.DisplayName, "role": string(role)})
	}
	// An admin whose account is disabled keeps its group but loses the role.
	former, formerTok := newEmployee("former-admin", groups[steward.RoleAdmin])
	former.Active = false
	if err := a.db.UpdateEmployee(ctx, former); err != nil {
		t.Fatal(err)
	}

	if code := call(t, "PUT", srv.URL+"/api/v1/role-mappings", admin, map[string]any{"mappings": mappings}, nil); code != 200 {
		t.Fatalf("put role mappings: %d", code)
	}
	var got httpapi.RoleMappingsBody
	if code := call(t, "GET", srv.URL+"/api/v1/role-mappings", tokens[steward.RoleAdmin], nil, &got); code != 200 ||
		len(got.Mappings) != len(steward.Roles()) {
		t.Fatalf("get role mappings as the admin role: %d %+v", code, got)
	}
	var audit struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	if code := call(t, "GET", srv.URL+"/api/v1/audit?action=role_mappings.set", auditor, nil, &audit); code != 200 ||
		len(audit.Entries) != 1 {
		t.Fatalf("role_mappings.set not audited: %d %+v", code, audit.Entries)
	}
	for _, bad := range []map[string]any{
		{"mappings": []map[string]string{{"group": "X", "role": "root"}}},
		{"mappings": []map[string]string{{"group": "", "role": "admin"}}},
		{},
	} {
		if code := call(t, "PUT", srv.URL+"/api/v1/role-mappings", admin, bad, nil); code != 400 {
			t.Errorf("put %v: %d, want 400", bad, code)
		}
	}

	// Separation of duties, stated outright as well as through the table.
	for _, pattern := range []string{"GET /api/v1/records/{id}", "GET /api/v1/records/{id}/blob",
		"GET /api/v1/contacts/{id}/consent", "GET /api/v1/audit"} {
		for _, ra := range httpapi.RouteTable() {
			if ra.Pattern == pattern && slices.Contains(ra.Roles, steward.RoleAdmin) {
				t.Errorf("the admin role may call %s", pattern)
			}
		}
	}

	for _, ra := range httpapi.RouteTable() {
		if ra.Scope == "" {
			continue
		}
		method, path, _ := strings.Cut(ra.Pattern, " ")
		url := srv.URL + strings.NewReplacer("{id}", "00000000-0000-0000-0000-000000000000").Replace(path)
		t.Run(ra.Pattern, func(t *testing.T) {
			for _, role := range steward.Roles() {
				// Every active employee is also an employee, and an inbox
				// token carries the inbox scope.
				allowed := ra.Scope == steward.ScopeInbox || slices.Contains(ra.Roles, role) ||
					slices.Contains(ra.Roles, steward.RoleEmployee)
				code := statusOnly(t, method, url, tokens[role])
				switch {
				case allowed && (code == 401 || code == 403):
					t.Errorf("role %s refused: %d", role, code)
				case !allowed && code != http.StatusForbidden:
					t.Errorf("role %s: %d, want 403", role, code)
				}
			}
			if ra.Scope != steward.ScopeInbox {
				if code := statusOnly(t, method, url, formerTok); code != http.StatusForbidden {
					t.Errorf("inactive admin: %d, want 403", code)
				}
			}
		})
	}

	// Roles are looked up on every request: unmapping takes effect at once.
	if code := call(t, "PUT", srv.URL+"/api/v1/role-mappings", admin, map[string]any{"mappings": []any{}}, nil); code != 200 {
		t.Fatalf("clear role mappings: %d", code)
	}
	if code := statusOnly(t, "GET", srv.URL+"/api/v1/role-mappings", tokens[steward.RoleAdmin]); code != http.StatusForbidden {
		t.Fatalf("admin role after unmapping: %d, want 403", code)
	}
}
