package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testEmployeeProvisioning checks what SCIM provisioning needs of
// employees: the enterprise and governance fields, the stored resource
// byte for byte, case-insensitive user names, queries, and deletion that
// keeps the row.
func testEmployeeProvisioning(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Fields", func(t *testing.T) {
		s := open(t)
		// The resource is opaque bytes: odd spacing and key order must
		// survive, since SCIM promises values exactly as sent.
		res := []byte(`{"userName":"Ada.Lovelace@Example.GOV",  "name":{"givenName":"Ada"},"x":"ünïcode"}`)
		e := &steward.Employee{UserName: "Ada.Lovelace@Example.GOV", DisplayName: "Ada", ExternalID: "ada",
			EmployeeNumber: "00123", Organization: "Treasury", ManagerID: steward.NewID(),
			CapstoneOfficial: true, Caveats: []string{"NOFORN", "PII"}, Active: true, SCIMResource: res}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
		got, err := s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID", err)
		same(t, "employee with SCIM fields", normEmployee(got), normEmployee(e))
		if string(got.SCIMResource) != string(res) {
			t.Fatalf("SCIMResource = %s, want %s", got.SCIMResource, res)
		}
		upd := *got
		upd.Caveats, upd.CapstoneOfficial, upd.SCIMResource, upd.ManagerID = nil, false, nil, ""
		must(t, "UpdateEmployee", s.UpdateEmployee(ctx, &upd))
		got, err = s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID", err)
		same(t, "employee with SCIM fields cleared", normEmployee(got), normEmployee(&upd))
	})

	t.Run("UserNameCase", func(t *testing.T) {
		s := open(t)
		a := &steward.Employee{UserName: "Ada@Example.org"}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, a))
		wantKind(t, "same user name in another case",
			s.CreateEmployee(ctx, &steward.Employee{UserName: "ada@example.ORG"}), steward.Conflict)
		b := &steward.Employee{UserName: "bob@example.org"}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, b))
		clash := *b
		clash.UserName = "ADA@EXAMPLE.ORG"
		wantKind(t, "update to a taken user name in another case", s.UpdateEmployee(ctx, &clash), steward.Conflict)
		// An employee may change the case of their own user name.
		own := *a
		own.UserName = "ada@example.org"
		must(t, "UpdateEmployee own name, new case", s.UpdateEmployee(ctx, &own))
		// Exact lookup stays exact.
		_, err := s.EmployeeByUserName(ctx, "Ada@Example.org")
		wantKind(t, "EmployeeByUserName old case", err, steward.NotFound)
	})

	t.Run("Query", func(t *testing.T) {
		s := open(t)
		mgr := newEmployee(t, s, "mgr")
		var ids []string
		for i, u := range []string{"Carol", "alice", "Bob", "dave"} {
			e := &steward.Employee{UserName: u + "@example.org", ExternalID: fmt.Sprint("ext-", i),
				Email: u + "@Mail.example.org", ManagerID: mgr.ID, Active: true}
			must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
			ids = append(ids, e.ID)
		}
		names := func(es []*steward.Employee) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.UserName)
			}
			return out
		}
		all, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{})
		must(t, "QueryEmployees", err)
		same(t, "QueryEmployees order", names(all),
			[]string{"alice@example.org", "Bob@example.org", "Carol@example.org", "dave@example.org", "mgr@example.org"})
		same(t, "QueryEmployees total", n, 5)
		page, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{Offset: 1, Limit: 2})
		must(t, "QueryEmployees page", err)
		same(t, "page", names(page), []string{"Bob@example.org", "Carol@example.org"})
		same(t, "page total", n, 5)
		page, n, err = s.QueryEmployees(ctx, steward.EmployeeQuery{Offset: 9, Limit: 2})
		must(t, "QueryEmployees past the end", err)
		if len(page) != 0 || n != 5 {
			t.Fatalf("page past the end = %d employees, total %d", len(page), n)
		}
		for _, c := range []struct {
			q    steward.EmployeeQuery
			want []string
		}{
			{steward.EmployeeQuery{UserName: "CAROL@example.org"}, []string{"Carol@example.org"}},
			{steward.EmployeeQuery{ExternalID: "ext-1"}, []string{"alice@example.org"}},
			{steward.EmployeeQuery{ExternalID: "EXT-1"}, nil},
			{steward.EmployeeQuery{Email: "bob@mail.EXAMPLE.org"}, []string{"Bob@example.org"}},
			{steward.EmployeeQuery{UserName: "dave@example.org", ExternalID: "ext-3"}, []string{"dave@example.org"}},
			{steward.EmployeeQuery{UserName: "dave@example.org", ExternalID: "ext-1"}, nil},
			{steward.EmployeeQuery{ManagerID: mgr.ID, Limit: 1}, []string{"alice@example.org"}},
		} {
			got, n, err := s.QueryEmployees(ctx, c.q)
			must(t, fmt.Sprintf("QueryEmployees(%+v)", c.q), err)
			same(t, fmt.Sprintf("QueryEmployees(%+v)", c.q), names(got), c.want)
			if c.q.Limit == 0 && n != len(c.want) {
				t.Fatalf("QueryEmployees(%+v) total = %d, want %d", c.q, n, len(c.want))
			}
		}
		_, n, _ = s.QueryEmployees(ctx, steward.EmployeeQuery{ManagerID: mgr.ID, Limit: 1})
		same(t, "total ignores the limit", n, 4)
		_, _, err = s.QueryEmployees(ctx, steward.EmployeeQuery{Offset: -1})
		wantKind(t, "negative offset", err, steward.Invalid)
		_, _, err = s.QueryEmployees(ctx, steward.EmployeeQuery{Limit: -1})
		wantKind(t, "negative limit", err, steward.Invalid)
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		e := &steward.Employee{UserName: "leaver@example.org", ExternalID: "ext-leaver", DisplayName: "Leaver",
			Active: true, SCIMResource: []byte(`{"userName":"leaver@example.org"}`)}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
		id := &steward.Identity{EmployeeID: e.ID, Channel: "signal", Address: "+15550100",
			Mode: steward.IdentityGoverned, Status: steward.IdentityActive}
		must(t, "CreateIdentity", s.CreateIdentity(ctx, id))
		g := &steward.Group{DisplayName: "Desk", Members: []string{e.ID}}
		must(t, "CreateGroup", s.CreateGroup(ctx, g))

		at := e.CreatedAt.Add(time.Hour)
		must(t, "DeleteEmployee", s.DeleteEmployee(ctx, e.ID, at))
		got, err := s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID after delete", err)
		if got.DeletedAt == nil || !ts(*got.DeletedAt).Equal(ts(at)) || got.Active {
			t.Fatalf("deleted employee = %+v, want DeletedAt %v and inactive", got, at)
		}
		if got.UserName != e.UserName || got.ExternalID != e.ExternalID || string(got.SCIMResource) != string(e.SCIMResource) {
			t.Fatalf("deleted employee lost its names or resource: %+v", got)
		}
		_, err = s.EmployeeByUserName(ctx, e.UserName)
		wantKind(t, "EmployeeByUserName after delete", err, steward.NotFound)
		list, err := s.Employees(ctx)
		must(t, "Employees", err)
		if len(list) != 0 {
			t.Fatalf("Employees after delete = %d, want 0", len(list))
		}
		_, n, err := s.QueryEmployees(ctx, steward.EmployeeQuery{ExternalID: e.ExternalID})
		must(t, "QueryEmployees", err)
		same(t, "QueryEmployees finds deleted", n, 0)
		// Records still need the identity; group membership goes.
		_, err = s.IdentityByID(ctx, id.ID)
		must(t, "IdentityByID after delete", err)
		gg, err := s.GroupByID(ctx, g.ID)
		must(t, "GroupByID", err)
		if len(gg.Members) != 0 {
			t.Fatalf("group members after delete = %v", gg.Members)
		}
		wantKind(t, "DeleteEmployee twice", s.DeleteEmployee(ctx, e.ID, at), steward.NotFound)
		wantKind(t, "DeleteEmployee unknown", s.DeleteEmployee(ctx, steward.NewID(), at), steward.NotFound)
		upd := *got
		upd.DisplayName = "Back"
		wantKind(t, "UpdateEmployee deleted", s.UpdateEmployee(ctx, &upd), steward.NotFound)
		_, err = s.AddGroupMembers(ctx, g.ID, []string{e.ID}, at)
		wantKind(t, "AddGroupMembers deleted employee", err, steward.Invalid)

		// The user name and external id are free again, in any case.
		again := &steward.Employee{UserName: "LEAVER@example.org", ExternalID: "ext-leaver"}
		must(t, "CreateEmployee reusing the names", s.CreateEmployee(ctx, again))
		if again.ID == e.ID {
			t.Fatalf("reuse gave the deleted employee's id")
		}
	})
}

func testGroups(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t)
		ada, bob, cy := newEmployee(t, s, "ada"), newEmployee(t, s, "bob"), newEmployee(t, s, "cy")
		g := &steward.Group{ExternalID: "obj-1", DisplayName: "Trading Desk", Members: []string{bob.ID, ada.ID, bob.ID}}
		must(t, "CreateGroup", s.CreateGroup(ctx, g))
		if g.ID == "" || g.CreatedAt.IsZero() || g.UpdatedAt.IsZero() {
			t.Fatalf("CreateGroup left ID %q, CreatedAt %v, UpdatedAt %v", g.ID, g.CreatedAt, g.UpdatedAt)
		}
		got, err := s.GroupByID(ctx, g.ID)
		must(t, "GroupByID", err)
		want := *g
		want.Members = sorted(ada.ID, bob.ID)
		same(t, "GroupByID", normGroup(got), normGroup(&want))

		wantKind(t, "duplicate external id", s.CreateGroup(ctx, &steward.Group{DisplayName: "Other", ExternalID: "obj-1"}), steward.Conflict)
		wantKind(t, "duplicate id", s.CreateGroup(ctx, &steward.Group{ID: g.ID, DisplayName: "Other"}), steward.Conflict)
		wantKind(t, "no display name", s.CreateGroup(ctx, &steward.Group{}), steward.Invalid)
		wantKind(t, "unknown member", s.CreateGroup(ctx, &steward.Group{DisplayName: "X", Members: []string{steward.NewID()}}), steward.Invalid)
		// Display names are not unique, and groups need no external id.
		must(t, "namesake", s.CreateGroup(ctx, &steward.Group{DisplayName: "trading desk"}))
		must(t, "another without external id", s.CreateGroup(ctx, &steward.Group{DisplayName: "Empty"}))

		upd := *got
		upd.DisplayName, upd.ExternalID, upd.Members = "Desk", "obj-9", []string{cy.ID, bob.ID}
		upd.UpdatedAt = g.CreatedAt.Add(time.Minute)
		must(t, "UpdateGroup", s.UpdateGroup(ctx, &upd))
		got, err = s.GroupByID(ctx, g.ID)
		must(t, "GroupByID", err)
		want = upd
		want.Members = sorted(bob.ID, cy.ID)
		same(t, "updated group", normGroup(got), normGroup(&want))
		bad := upd
		bad.Members = []string{"nobody"}
		wantKind(t, "UpdateGroup unknown member", s.UpdateGroup(ctx, &bad), steward.Invalid)
		got, _ = s.GroupByID(ctx, g.ID)
		same(t, "failed update changed nothing", normGroup(got), normGroup(&want))
		wantKind(t, "UpdateGroup unknown", s.UpdateGroup(ctx, &steward.Group{ID: steward.NewID(), DisplayName: "x"}), steward.NotFound)
		wantKind(t, "UpdateGroup no name", s.UpdateGroup(ctx, &steward.Group{ID: g.ID}), steward.Invalid)

		none := upd
		none.Members = nil
		must(t, "UpdateGroup to no members", s.UpdateGroup(ctx, &none))
		got, _ = s.GroupByID(ctx, g.ID)
		if len(got.Members) != 0 {
			t.Fatalf("members after emptying = %v", got.Members)
		}

		must(t, "DeleteGroup", s.DeleteGroup(ctx, g.ID))
		_, err = s.GroupByID(ctx, g.ID)
		wantKind(t, "GroupByID deleted", err, steward.NotFound)
		wantKind(t, "DeleteGroup twice", s.DeleteGroup(ctx, g.ID), steward.NotFound)
		// Its external id is free again.
		must(t, "reuse external id", s.CreateGroup(ctx, &steward.Group{DisplayName: "Again", ExternalID: "obj-9"}))
	})

	t.Run("Members", func(t *testing.T) {
		s := open(t)
		ada, bob, cy := newEmployee(t, s, "ada"), newEmployee(t, s, "bob"), newEmployee(t, s, "cy")
		g := &steward.Group{DisplayName: "Desk"}
		must(t, "CreateGroup", s.CreateGroup(ctx, g))
		other := &steward.Group{DisplayName: "Admins", Members: []string{ada.ID}}
		must(t, "CreateGroup", s.CreateGroup(ctx, other))

		at := g.CreatedAt.Add(time.Minute)
		added, err := s.AddGroupMembers(ctx, g.ID, []string{ada.ID, bob.ID, ada.ID}, at)
		must(t, "AddGroupMembers", err)
		same(t, "added", added, sorted(ada.ID, bob.ID))
		got, _ := s.GroupByID(ctx, g.ID)
		if !ts(got.UpdatedAt).Equal(ts(at)) {
			t.Fatalf("UpdatedAt after adding = %v, want %v", got.UpdatedAt, at)
		}
		// Adding again is idempotent and leaves UpdatedAt alone.
		added, err = s.AddGroupMembers(ctx, g.ID, []string{bob.ID, ada.ID}, at.Add(time.Hour))
		must(t, "AddGroupMembers again", err)
		if len(added) != 0 {
			t.Fatalf("adding members again added %v", added)
		}
		got, _ = s.GroupByID(ctx, g.ID)
		same(t, "members", got.Members, sorted(ada.ID, bob.ID))
		if !ts(got.UpdatedAt).Equal(ts(at)) {
			t.Fatalf("UpdatedAt after a no-op add = %v, want %v", got.UpdatedAt, at)
		}
		_, err = s.AddGroupMembers(ctx, g.ID, []string{cy.ID, "nobody"}, at)
		wantKind(t, "AddGroupMembers unknown employee", err, steward.Invalid)
		got, _ = s.GroupByID(ctx, g.ID)
		same(t, "failed add is atomic", got.Members, sorted(ada.ID, bob.ID))
		_, err = s.AddGroupMembers(ctx, steward.NewID(), []string{cy.ID}, at)
		wantKind(t, "AddGroupMembers unknown group", err, steward.NotFound)

		removed, err := s.RemoveGroupMembers(ctx, g.ID, []string{bob.ID, cy.ID, "nobody"}, at)
		must(t, "RemoveGroupMembers", err)
		same(t, "removed", removed, []string{bob.ID})
		got, _ = s.GroupByID(ctx, g.ID)
		same(t, "members after remove", got.Members, []string{ada.ID})
		removed, err = s.RemoveGroupMembers(ctx, g.ID, []string{bob.ID}, at)
		must(t, "RemoveGroupMembers again", err)
		if len(removed) != 0 {
			t.Fatalf("removing again removed %v", removed)
		}
		_, err = s.RemoveGroupMembers(ctx, steward.NewID(), []string{ada.ID}, at)
		wantKind(t, "RemoveGroupMembers unknown group", err, steward.NotFound)

		of, err := s.GroupsOfEmployee(ctx, ada.ID)
		must(t, "GroupsOfEmployee", err)
		var names []string
		for _, g := range of {
			names = append(names, g.DisplayName)
			if g.Members != nil {
				t.Fatalf("GroupsOfEmployee returned members")
			}
		}
		same(t, "GroupsOfEmployee", names, []string{"Admins", "Desk"})
		of, err = s.GroupsOfEmployee(ctx, cy.ID)
		must(t, "GroupsOfEmployee", err)
		if len(of) != 0 {
			t.Fatalf("GroupsOfEmployee(cy) = %d groups", len(of))
		}
	})

	t.Run("Query", func(t *testing.T) {
		s := open(t)
		ada := newEmployee(t, s, "ada")
		for i, name := range []string{"Legal", "admins", "Records", "legal"} {
			must(t, "CreateGroup", s.CreateGroup(ctx, &steward.Group{DisplayName: name,
				ExternalID: fmt.Sprint("obj-", i), Members: []string{ada.ID}}))
		}
		names := func(gs []*steward.Group) []string {
			var out []string
			for _, g := range gs {
				out = append(out, g.DisplayName)
			}
			return out
		}
		all, n, err := s.Groups(ctx, steward.GroupQuery{})
		must(t, "Groups", err)
		same(t, "Groups order", names(all)[:1], []string{"admins"})
		same(t, "Groups total", n, 4)
		if len(all[0].Members) != 1 {
			t.Fatalf("Groups without WithoutMembers gave members %v", all[0].Members)
		}
		page, n, err := s.Groups(ctx, steward.GroupQuery{Offset: 3, Limit: 5, WithoutMembers: true})
		must(t, "Groups page", err)
		same(t, "page", names(page), []string{"Records"})
		same(t, "page total", n, 4)
		if page[0].Members != nil {
			t.Fatalf("WithoutMembers gave members")
		}
		legal, n, err := s.Groups(ctx, steward.GroupQuery{DisplayName: "LEGAL"})
		must(t, "Groups by display name", err)
		if n != 2 || len(legal) != 2 {
			t.Fatalf("Groups(LEGAL) = %v, total %d; want both namesakes", names(legal), n)
		}
		byExt, _, err := s.Groups(ctx, steward.GroupQuery{ExternalID: "obj-2"})
		must(t, "Groups by external id", err)
		same(t, "Groups by external id", names(byExt), []string{"Records"})
		byID, _, err := s.Groups(ctx, steward.GroupQuery{ID: byExt[0].ID, DisplayName: "records"})
		must(t, "Groups by id and name", err)
		same(t, "Groups by id and name", names(byID), []string{"Records"})
		_, _, err = s.Groups(ctx, steward.GroupQuery{Limit: -1})
		wantKind(t, "negative limit", err, steward.Invalid)
	})
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func normGroup(g *steward.Group) steward.Group {
	c := *g
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	if len(c.Members) == 0 {
		c.Members = nil
	}
	return c
}
