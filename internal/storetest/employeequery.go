package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testDeletedReports: a deleted employee is still found among their
// manager's reports when the query asks for deleted ones, so their
// conversations stay with the manager.
func testDeletedReports(t *testing.T, open func(t *testing.T) steward.Store) {
	ctx := context.Background()
	s := open(t)
	mgr := &steward.Employee{UserName: "mgr@example.gov", DisplayName: "Manager", Active: true}
	must(t, "create manager", s.CreateEmployee(ctx, mgr))
	rep := &steward.Employee{UserName: "rep@example.gov", DisplayName: "Report", Active: true, ManagerID: mgr.ID}
	must(t, "create report", s.CreateEmployee(ctx, rep))
	must(t, "delete report", s.DeleteEmployee(ctx, rep.ID, time.Now()))
	live, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{ManagerID: mgr.ID})
	must(t, "query", err)
	same(t, "reports without deleted", len(live), 0)
	same(t, "count without deleted", n, 0)
	all, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{ManagerID: mgr.ID, IncludeDeleted: true})
	must(t, "query with deleted", err)
	if n != 1 || len(all) != 1 || all[0].ID != rep.ID || all[0].DeletedAt == nil {
		t.Fatalf("reports with deleted = %d %+v", n, all)
	}
	everyone, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{IncludeDeleted: true})
	must(t, "query everyone", err)
	same(t, "everyone with deleted", n, 2)
	same(t, "everyone rows", len(everyone), 2)
}

// testManagerRefs: a manager reference resolves by Steward id (Entra ID)
// and by the manager's externalId (Okta), and to "" for no one.
func testManagerRefs(t *testing.T, open func(t *testing.T) steward.Store) {
	ctx := context.Background()
	s := open(t)
	mgr := &steward.Employee{UserName: "boss@example.gov", DisplayName: "Boss", Active: true, ExternalID: "00uOKTA42"}
	must(t, "create manager", s.CreateEmployee(ctx, mgr))
	for ref, want := range map[string]string{mgr.ID: mgr.ID, "00uOKTA42": mgr.ID, "nobody": "", "": ""} {
		got, err := steward.ManagerID(ctx, s, ref)
		must(t, "ManagerID", err)
		same(t, "manager of "+ref, got, want)
	}
}

// testSuccessors: a configured successor wins over the manager, can be
// cleared, and is refused for unknown employees or oneself.
func testSuccessors(t *testing.T, open func(t *testing.T) steward.Store) {
	ctx := context.Background()
	s := open(t)
	mk := func(user string, managerID string) *steward.Employee {
		e := &steward.Employee{UserName: user, DisplayName: user, Active: true, ManagerID: managerID}
		must(t, "create "+user, s.CreateEmployee(ctx, e))
		return e
	}
	mgr := mk("mgr@example.gov", "")
	succ := mk("succ@example.gov", "")
	rep := mk("rep@example.gov", mgr.ID)
	got, err := steward.SuccessorID(ctx, s, rep)
	must(t, "SuccessorID", err)
	same(t, "successor without one configured", got, mgr.ID)
	must(t, "SetSuccessor", s.SetSuccessor(ctx, rep.ID, succ.ID))
	got, err = steward.SuccessorID(ctx, s, rep)
	must(t, "SuccessorID", err)
	same(t, "configured successor", got, succ.ID)
	ids, err := s.SucceededBy(ctx, succ.ID)
	must(t, "SucceededBy", err)
	same(t, "succeeded by", ids, []string{rep.ID})
	must(t, "clear", s.SetSuccessor(ctx, rep.ID, ""))
	got, err = s.SuccessorOf(ctx, rep.ID)
	must(t, "SuccessorOf", err)
	same(t, "cleared", got, "")
	wantKind(t, "self", s.SetSuccessor(ctx, rep.ID, rep.ID), steward.Invalid)
	wantKind(t, "unknown successor", s.SetSuccessor(ctx, rep.ID, "nobody"), steward.NotFound)
	wantKind(t, "unknown employee", s.SetSuccessor(ctx, "nobody", succ.ID), steward.NotFound)
}
