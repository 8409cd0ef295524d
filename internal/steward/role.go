package steward

import (
	"context"
	"slices"
	"strings"
)

// Role is what a person may do in Steward. Roles come from the identity
// provider: an administrator maps IdP groups (by display name) to roles,
// and every active employee has the employee role besides.
type Role string

const (
	RoleEmployee          Role = "employee"           // their own inbox
	RoleSupervisor        Role = "supervisor"         // for now as employee
	RoleComplianceOfficer Role = "compliance_officer" // DLP and review queue
	RoleRecordsManager    Role = "records_manager"    // schedules, holds, disposition
	RoleFOIAOfficer       Role = "foia_officer"       // public-records requests
	RoleLegal             Role = "legal"              // eDiscovery cases
	RoleAdmin             Role = "admin"              // configuration and identities, never content
	RoleAuditor           Role = "auditor"            // read-only audit trail and verification
)

// Roles lists every role, in a fixed order.
func Roles() []Role {
	return []Role{RoleEmployee, RoleSupervisor, RoleComplianceOfficer, RoleRecordsManager,
		RoleFOIAOfficer, RoleLegal, RoleAdmin, RoleAuditor}
}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(Roles(), r) }

// RoleMapping grants Role to every member of the identity-provider groups
// whose display name is Group (compared case-insensitively, as
// GroupQuery.DisplayName).
type RoleMapping struct {
	Group string `json:"group"` // IdP group display name
	Role  Role   `json:"role"`
}

// RoleMappingStore keeps the group-to-role mappings.
type RoleMappingStore interface {
	// SetRoleMappings replaces every mapping with ms; duplicates count
	// once. Returns Invalid for an unknown role or an empty group name.
	SetRoleMappings(ctx context.Context, ms []RoleMapping) error
	// RoleMappings lists the mappings ordered by group then role.
	RoleMappings(ctx context.Context) ([]RoleMapping, error)
}

// CheckRoleMappings returns Invalid for an unknown role or an empty (after
// trimming) group name. Stores call it from SetRoleMappings.
func CheckRoleMappings(ms []RoleMapping) error {
	const op Op = "steward.CheckRoleMappings"
	for _, m := range ms {
		if strings.TrimSpace(m.Group) == "" {
			return E(op, Invalid, "a role mapping needs a group")
		}
		if !ValidRole(m.Role) {
			return Errorf(op, Invalid, "unknown role %q", m.Role)
		}
	}
	return nil
}

// EmployeeRoles returns the roles of an employee: RoleEmployee for any
// active employee, plus the roles mapped from the display names of the
// groups they are in, in the order of Roles. An inactive or deleted
// employee has none. Returns NotFound for an unknown employee.
func EmployeeRoles(ctx context.Context, s Store, employeeID string) ([]Role, error) {
	const op Op = "steward.EmployeeRoles"
	e, err := s.EmployeeByID(ctx, employeeID)
	if err != nil {
		return nil, E(op, err)
	}
	if !e.Active || e.DeletedAt != nil {
		return nil, nil
	}
	has := map[Role]bool{RoleEmployee: true}
	groups, err := s.GroupsOfEmployee(ctx, employeeID)
	if err != nil {
		return nil, E(op, err)
	}
	if len(groups) > 0 {
		ms, err := s.RoleMappings(ctx)
		if err != nil {
			return nil, E(op, err)
		}
		for _, g := range groups {
			for _, m := range ms {
				if strings.EqualFold(m.Group, g.DisplayName) {
					has[m.Role] = true
				}
			}
		}
	}
	var out []Role
	for _, r := range Roles() {
		if has[r] {
			out = append(out, r)
		}
	}
	return out, nil
}
