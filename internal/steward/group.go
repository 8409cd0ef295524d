package steward

import (
	"context"
	"time"
)

// Group is a set of employees as the identity provider defines it, for
// example a department or a role group. Steward maps groups to roles; the
// group itself grants nothing.
type Group struct {
	ID          string `json:"id"`
	ExternalID  string `json:"external_id,omitempty"` // the identity provider's id, e.g. Entra's objectId
	DisplayName string `json:"display_name"`          // not unique: directories allow namesakes
	// Members are employee ids, each at most once, in ascending order.
	Members   []string  `json:"members"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// GroupQuery selects groups. Empty fields match every group; set fields
// must all match.
type GroupQuery struct {
	ID          string // compared exactly
	DisplayName string // compared case-insensitively (Unicode simple folding)
	ExternalID  string // compared exactly
	Offset      int    // rows to skip
	Limit       int    // at most this many rows; 0 means no limit
	// WithoutMembers leaves Members nil, for callers that do not show them:
	// a group can have tens of thousands.
	WithoutMembers bool
}

// GroupStore keeps groups and their members. Callers are SCIM
// provisioning and role mapping; authorization is the caller's job.
//
// A member is always an employee not deleted: the methods that add
// members refuse other ids with Invalid, and deleting an employee removes
// them from every group.
type GroupStore interface {
	// CreateGroup stores g with its members, assigning ID and timestamps
	// when empty; duplicate member ids count once. Returns Invalid if
	// DisplayName is empty or a member is not an employee, Conflict if the
	// ID or ExternalID is taken.
	CreateGroup(ctx context.Context, g *Group) error
	// UpdateGroup replaces the display name, external id and member set of
	// g.ID (nil Members: no members), setting UpdatedAt to now when zero.
	// Members that stay keep their membership. Returns NotFound, or as
	// CreateGroup.
	UpdateGroup(ctx context.Context, g *Group) error
	// GroupByID returns the group with its members, or NotFound.
	GroupByID(ctx context.Context, id string) (*Group, error)
	// Groups returns the groups that match q, ordered by case-folded
	// display name then id, with paging applied, and the number that
	// match before paging. Returns Invalid for a negative offset or limit.
	Groups(ctx context.Context, q GroupQuery) ([]*Group, int, error)
	// DeleteGroup removes the group and its memberships. Returns NotFound.
	DeleteGroup(ctx context.Context, id string) error
	// AddGroupMembers adds employees to a group; ones already members are
	// left as they are, so adding is idempotent. It touches UpdatedAt only
	// when membership changed, and reports which ids were new. Returns
	// NotFound for an unknown group, Invalid if an id is not an employee.
	AddGroupMembers(ctx context.Context, groupID string, employeeIDs []string, at time.Time) (added []string, err error)
	// RemoveGroupMembers removes employees from a group; ids that are not
	// members are ignored. It reports which ids were members. Returns
	// NotFound for an unknown group.
	RemoveGroupMembers(ctx context.Context, groupID string, employeeIDs []string, at time.Time) (removed []string, err error)
	// GroupsOfEmployee lists, without their members, the groups of which
	// the employee is a member, ordered as Groups.
	GroupsOfEmployee(ctx context.Context, employeeID string) ([]*Group, error)
}
