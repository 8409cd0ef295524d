package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func testEmployees(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("CreateAndRead", func(t *testing.T) {
		s := open(t)
		e := &steward.Employee{
			ExternalID: "okta-1", UserName: "ada@example.org", DisplayName: "Ada Lovelace",
			Email: "ada@example.org", Department: "Trading", Title: "Analyst", Seniority: "senior",
			Active: true,
		}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
		if e.ID == "" || e.CreatedAt.IsZero() || e.UpdatedAt.IsZero() {
			t.Fatalf("CreateEmployee left ID %q, CreatedAt %v, UpdatedAt %v", e.ID, e.CreatedAt, e.UpdatedAt)
		}
		got, err := s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID", err)
		same(t, "EmployeeByID", normEmployee(got), normEmployee(e))
		got, err = s.EmployeeByUserName(ctx, e.UserName)
		must(t, "EmployeeByUserName", err)
		same(t, "EmployeeByUserName", normEmployee(got), normEmployee(e))

		_, err = s.EmployeeByID(ctx, steward.NewID())
		wantKind(t, "EmployeeByID unknown", err, steward.NotFound)
		_, err = s.EmployeeByUserName(ctx, "nobody@example.org")
		wantKind(t, "EmployeeByUserName unknown", err, steward.NotFound)
	})

	t.Run("GivenIDAndTimes", func(t *testing.T) {
		s := open(t)
		created := time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC)
		e := &steward.Employee{ID: steward.NewID(), UserName: "u", CreatedAt: created, UpdatedAt: created.Add(time.Hour)}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
		got, err := s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID", err)
		same(t, "employee with given id and times", normEmployee(got), normEmployee(e))
	})

	t.Run("Constraints", func(t *testing.T) {
		s := open(t)
		must(t, "CreateEmployee", s.CreateEmployee(ctx, &steward.Employee{UserName: "a", ExternalID: "x1"}))
		wantKind(t, "duplicate user name",
			s.CreateEmployee(ctx, &steward.Employee{UserName: "a"}), steward.Conflict)
		wantKind(t, "duplicate external id",
			s.CreateEmployee(ctx, &steward.Employee{UserName: "b", ExternalID: "x1"}), steward.Conflict)
		wantKind(t, "empty user name",
			s.CreateEmployee(ctx, &steward.Employee{DisplayName: "No Name"}), steward.Invalid)
		// Many employees may lack an external id.
		must(t, "no external id", s.CreateEmployee(ctx, &steward.Employee{UserName: "c"}))
		must(t, "no external id again", s.CreateEmployee(ctx, &steward.Employee{UserName: "d"}))
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		e := &steward.Employee{UserName: "old@example.org", DisplayName: "Old", Active: true}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
		other := &steward.Employee{UserName: "other@example.org", ExternalID: "ext-other"}
		must(t, "CreateEmployee", s.CreateEmployee(ctx, other))

		upd := *e
		upd.UserName, upd.DisplayName, upd.ExternalID = "new@example.org", "New", "ext-new"
		upd.Department, upd.Title, upd.Seniority, upd.Email = "Risk", "Head", "exec", "new@example.org"
		upd.Active = false
		upd.UpdatedAt = e.CreatedAt.Add(time.Minute)
		must(t, "UpdateEmployee", s.UpdateEmployee(ctx, &upd))
		got, err := s.EmployeeByID(ctx, e.ID)
		must(t, "EmployeeByID", err)
		same(t, "updated employee", normEmployee(got), normEmployee(&upd))
		_, err = s.EmployeeByUserName(ctx, "old@example.org")
		wantKind(t, "old user name", err, steward.NotFound)

		clash := upd
		clash.UserName = other.UserName
		wantKind(t, "update to a taken user name", s.UpdateEmployee(ctx, &clash), steward.Conflict)
		clash = upd
		clash.ExternalID = other.ExternalID
		wantKind(t, "update to a taken external id", s.UpdateEmployee(ctx, &clash), steward.Conflict)
		wantKind(t, "update unknown",
			s.UpdateEmployee(ctx, &steward.Employee{ID: steward.NewID(), UserName: "ghost"}), steward.NotFound)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		list, err := s.Employees(ctx)
		must(t, "Employees", err)
		if len(list) != 0 {
			t.Fatalf("Employees on an empty store = %d", len(list))
		}
		for _, u := range []string{"carol", "alice", "bob"} {
			must(t, "CreateEmployee", s.CreateEmployee(ctx, &steward.Employee{UserName: u}))
		}
		list, err = s.Employees(ctx)
		must(t, "Employees", err)
		var names []string
		for _, e := range list {
			names = append(names, e.UserName)
		}
		same(t, "Employees order", names, []string{"alice", "bob", "carol"})
	})
}

func testIdentities(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada, bob := newEmployee(t, s, "ada"), newEmployee(t, s, "bob")

	id := &steward.Identity{EmployeeID: ada.ID, Channel: "signal", Address: "+15550100",
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}
	must(t, "CreateIdentity", s.CreateIdentity(ctx, id))
	if id.ID == "" || id.CreatedAt.IsZero() || id.UpdatedAt.IsZero() {
		t.Fatalf("CreateIdentity left ID %q, CreatedAt %v, UpdatedAt %v", id.ID, id.CreatedAt, id.UpdatedAt)
	}
	got, err := s.IdentityByID(ctx, id.ID)
	must(t, "IdentityByID", err)
	same(t, "IdentityByID", normIdentity(got), normIdentity(id))
	got, err = s.IdentityByAddress(ctx, "signal", "+15550100")
	must(t, "IdentityByAddress", err)
	same(t, "IdentityByAddress", normIdentity(got), normIdentity(id))

	wantKind(t, "same address for another employee", s.CreateIdentity(ctx, &steward.Identity{
		EmployeeID: bob.ID, Channel: "signal", Address: "+15550100"}), steward.Conflict)
	wantKind(t, "unknown employee", s.CreateIdentity(ctx, &steward.Identity{
		EmployeeID: steward.NewID(), Channel: "signal", Address: "+15550199"}), steward.NotFound)
	for _, bad := range []steward.Identity{
		{Channel: "signal", Address: "+15550198"},
		{EmployeeID: ada.ID, Address: "+15550198"},
		{EmployeeID: ada.ID, Channel: "signal"},
	} {
		wantKind(t, fmt.Sprintf("CreateIdentity(%+v)", bad), s.CreateIdentity(ctx, &bad), steward.Invalid)
	}
	// The same address on another channel is another identity.
	sms := &steward.Identity{EmployeeID: ada.ID, Channel: "sms", Address: "+15550100",
		Mode: steward.IdentityLinked, Status: steward.IdentityPendingLink}
	must(t, "CreateIdentity on another channel", s.CreateIdentity(ctx, sms))

	list, err := s.IdentitiesByEmployee(ctx, ada.ID)
	must(t, "IdentitiesByEmployee", err)
	if len(list) != 2 {
		t.Fatalf("IdentitiesByEmployee = %d identities, want 2", len(list))
	}
	list, err = s.IdentitiesByEmployee(ctx, bob.ID)
	must(t, "IdentitiesByEmployee", err)
	if len(list) != 0 {
		t.Fatalf("IdentitiesByEmployee(bob) = %d identities, want 0", len(list))
	}

	upd := *sms
	upd.Mode, upd.Status = steward.IdentityGoverned, steward.IdentitySuspended
	upd.UpdatedAt = sms.CreatedAt.Add(time.Minute)
	must(t, "UpdateIdentity", s.UpdateIdentity(ctx, &upd))
	got, err = s.IdentityByID(ctx, sms.ID)
	must(t, "IdentityByID", err)
	same(t, "updated identity", normIdentity(got), normIdentity(&upd))
	wantKind(t, "UpdateIdentity unknown", s.UpdateIdentity(ctx, &steward.Identity{ID: steward.NewID()}), steward.NotFound)

	_, err = s.IdentityByID(ctx, steward.NewID())
	wantKind(t, "IdentityByID unknown", err, steward.NotFound)
	_, err = s.IdentityByAddress(ctx, "signal", "+15550999")
	wantKind(t, "IdentityByAddress unknown", err, steward.NotFound)
}

func testContacts(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada, bob := newEmployee(t, s, "ada"), newEmployee(t, s, "bob")

	c := &steward.Contact{EmployeeID: ada.ID, Channel: "signal", Address: "+15550200",
		DisplayName: "Client", ConsentState: steward.ConsentPending, ConsentVersion: "v1"}
	must(t, "CreateContact", s.CreateContact(ctx, c))
	if c.ID == "" || c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
		t.Fatalf("CreateContact left ID %q, CreatedAt %v, UpdatedAt %v", c.ID, c.CreatedAt, c.UpdatedAt)
	}
	got, err := s.ContactByID(ctx, c.ID)
	must(t, "ContactByID", err)
	same(t, "ContactByID", normContact(got), normContact(c))
	got, err = s.ContactByAddress(ctx, ada.ID, "signal", "+15550200")
	must(t, "ContactByAddress", err)
	same(t, "ContactByAddress", normContact(got), normContact(c))

	wantKind(t, "duplicate contact", s.CreateContact(ctx, &steward.Contact{
		EmployeeID: ada.ID, Channel: "signal", Address: "+15550200"}), steward.Conflict)
	wantKind(t, "unknown employee", s.CreateContact(ctx, &steward.Contact{
		EmployeeID: steward.NewID(), Channel: "signal", Address: "+15550200"}), steward.NotFound)
	for _, bad := range []steward.Contact{
		{Channel: "signal", Address: "+15550201"},
		{EmployeeID: ada.ID, Address: "+15550201"},
		{EmployeeID: ada.ID, Channel: "signal"},
	} {
		wantKind(t, fmt.Sprintf("CreateContact(%+v)", bad), s.CreateContact(ctx, &bad), steward.Invalid)
	}
	// Two employees may each know the same outside party.
	bobs := &steward.Contact{EmployeeID: bob.ID, Channel: "signal", Address: "+15550200",
		ConsentState: steward.ConsentActive}
	must(t, "CreateContact for another employee", s.CreateContact(ctx, bobs))
	_, err = s.ContactByAddress(ctx, bob.ID, "sms", "+15550200")
	wantKind(t, "ContactByAddress on another channel", err, steward.NotFound)

	list, err := s.ContactsByEmployee(ctx, ada.ID)
	must(t, "ContactsByEmployee", err)
	if len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("ContactsByEmployee(ada) = %+v, want only %s", list, c.ID)
	}

	upd := *c
	upd.DisplayName, upd.ConsentState, upd.ConsentVersion = "Client Ltd", steward.ConsentActive, "v2"
	upd.UpdatedAt = c.CreatedAt.Add(time.Minute)
	must(t, "UpdateContact", s.UpdateContact(ctx, &upd))
	got, err = s.ContactByID(ctx, c.ID)
	must(t, "ContactByID", err)
	same(t, "updated contact", normContact(got), normContact(&upd))
	wantKind(t, "UpdateContact unknown", s.UpdateContact(ctx, &steward.Contact{ID: steward.NewID()}), steward.NotFound)
	_, err = s.ContactByID(ctx, steward.NewID())
	wantKind(t, "ContactByID unknown", err, steward.NotFound)
}

func testConversations(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Ensure", func(t *testing.T) {
		s := open(t)
		in := &steward.Conversation{Channel: "signal", Kind: steward.ConversationGroup, Key: "group:abc", Title: "Desk"}
		c, err := s.EnsureConversation(ctx, in)
		must(t, "EnsureConversation", err)
		if c.ID == "" || c.CreatedAt.IsZero() {
			t.Fatalf("EnsureConversation = %+v, want an ID and a creation time", c)
		}
		want := *in
		want.ID, want.CreatedAt = c.ID, c.CreatedAt
		same(t, "created conversation", normConversation(c), normConversation(&want))

		again, err := s.EnsureConversation(ctx, &steward.Conversation{
			Channel: "signal", Kind: steward.ConversationGroup, Key: "group:abc", Title: "Renamed"})
		must(t, "EnsureConversation again", err)
		same(t, "existing conversation", normConversation(again), normConversation(c))
		got, err := s.ConversationByID(ctx, c.ID)
		must(t, "ConversationByID", err)
		same(t, "ConversationByID", normConversation(got), normConversation(c))

		other, err := s.EnsureConversation(ctx, &steward.Conversation{Channel: "sms", Key: "group:abc"})
		must(t, "EnsureConversation on another channel", err)
		if other.ID == c.ID {
			t.Fatalf("same key on another channel gave the same conversation")
		}
		_, err = s.ConversationByID(ctx, steward.NewID())
		wantKind(t, "ConversationByID unknown", err, steward.NotFound)
		_, err = s.EnsureConversation(ctx, &steward.Conversation{Channel: "signal"})
		wantKind(t, "EnsureConversation without key", err, steward.Invalid)
		_, err = s.EnsureConversation(ctx, &steward.Conversation{Key: "k"})
		wantKind(t, "EnsureConversation without channel", err, steward.Invalid)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		const n = 20
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, err := s.EnsureConversation(ctx, &steward.Conversation{
					Channel: "signal", Kind: steward.ConversationDirect, Key: "direct:+1,+2",
					Title: fmt.Sprint("caller ", i)})
				if err == nil {
					ids[i] = c.ID
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range n {
			must(t, fmt.Sprint("EnsureConversation ", i), errs[i])
			if ids[i] != ids[0] {
				t.Fatalf("caller %d got conversation %s, caller 0 got %s", i, ids[i], ids[0])
			}
		}
	})
}

func newEmployee(t *testing.T, s steward.Store, name string) *steward.Employee {
	t.Helper()
	e := &steward.Employee{UserName: name + "@example.org", DisplayName: name, Active: true}
	must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
	return e
}

func normEmployee(e *steward.Employee) steward.Employee {
	c := *e
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = ts(c.CreatedAt), ts(c.UpdatedAt), tsp(c.DeletedAt)
	if len(c.Caveats) == 0 {
		c.Caveats = nil
	}
	return c
}

func normIdentity(id *steward.Identity) steward.Identity {
	c := *id
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	return c
}

func normContact(ct *steward.Contact) steward.Contact {
	c := *ct
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	c.RequestedAt, c.ConsentChangedAt = tsp(c.RequestedAt), tsp(c.ConsentChangedAt)
	return c
}

func normConversation(cv *steward.Conversation) steward.Conversation {
	c := *cv
	c.CreatedAt = ts(c.CreatedAt)
	return c
}
