package storetest

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testRoleMappings checks RoleMappingStore and what steward.EmployeeRoles
// derives from it and the groups.
func testRoleMappings(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ms, err := s.RoleMappings(ctx)
	must(t, "RoleMappings (empty)", err)
	if len(ms) != 0 {
		t.Fatalf("new store has mappings %+v", ms)
	}
	wantKind(t, "unknown role", s.SetRoleMappings(ctx, []steward.RoleMapping{{Group: "G", Role: "root"}}), steward.Invalid)
	wantKind(t, "empty group", s.SetRoleMappings(ctx, []steward.RoleMapping{{Group: " ", Role: steward.RoleAdmin}}), steward.Invalid)

	set := []steward.RoleMapping{
		{Group: "Steward-Auditors", Role: steward.RoleAuditor},
		{Group: "Steward-Admins", Role: steward.RoleAdmin},
		{Group: "steward-admins", Role: steward.RoleAdmin}, // same group, other case: counts once
		{Group: "Steward-Admins", Role: steward.RoleSupervisor},
	}
	must(t, "SetRoleMappings", s.SetRoleMappings(ctx, set))
	ms, err = s.RoleMappings(ctx)
	must(t, "RoleMappings", err)
	same(t, "mappings", ms, []steward.RoleMapping{
		{Group: "Steward-Admins", Role: steward.RoleAdmin},
		{Group: "Steward-Admins", Role: steward.RoleSupervisor},
		{Group: "Steward-Auditors", Role: steward.RoleAuditor},
	})

	ada, bob := newEmployee(t, s, "ada"), newEmployee(t, s, "bob")
	must(t, "CreateGroup", s.CreateGroup(ctx, &steward.Group{DisplayName: "STEWARD-ADMINS", Members: []string{ada.ID}}))
	must(t, "CreateGroup", s.CreateGroup(ctx, &steward.Group{DisplayName: "Unmapped", Members: []string{ada.ID, bob.ID}}))
	roles := func(id string) []steward.Role {
		t.Helper()
		rs, err := steward.EmployeeRoles(ctx, s, id)
		must(t, "EmployeeRoles", err)
		return rs
	}
	same(t, "ada's roles", roles(ada.ID), []steward.Role{steward.RoleEmployee, steward.RoleSupervisor, steward.RoleAdmin})
	same(t, "bob's roles", roles(bob.ID), []steward.Role{steward.RoleEmployee})

	// Replacing drops what is not restated.
	must(t, "SetRoleMappings", s.SetRoleMappings(ctx, []steward.RoleMapping{{Group: "Unmapped", Role: steward.RoleLegal}}))
	same(t, "ada's roles after replace", roles(ada.ID), []steward.Role{steward.RoleEmployee, steward.RoleLegal})

	// Inactive and deleted employees have no role at all.
	ada.Active = false
	must(t, "UpdateEmployee", s.UpdateEmployee(ctx, ada))
	if rs := roles(ada.ID); len(rs) != 0 {
		t.Fatalf("inactive employee has roles %v", rs)
	}
	must(t, "DeleteEmployee", s.DeleteEmployee(ctx, bob.ID, time.Now()))
	if rs := roles(bob.ID); len(rs) != 0 {
		t.Fatalf("deleted employee has roles %v", rs)
	}
	_, err = steward.EmployeeRoles(ctx, s, steward.NewID())
	wantKind(t, "unknown employee", err, steward.NotFound)

	must(t, "SetRoleMappings (none)", s.SetRoleMappings(ctx, nil))
	ms, err = s.RoleMappings(ctx)
	must(t, "RoleMappings", err)
	if len(ms) != 0 {
		t.Fatalf("mappings after clearing: %+v", ms)
	}
}
