package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testContactConsent checks the consent fields of contacts and
// ContactsByAddress.
func testContactConsent(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada, bob, cy := newEmployee(t, s, "ada"), newEmployee(t, s, "bob"), newEmployee(t, s, "cy")
	t0 := time.Date(2025, 7, 1, 9, 0, 0, 123456000, time.UTC)
	requested, changed := t0, t0.Add(time.Minute)

	c := &steward.Contact{EmployeeID: ada.ID, Channel: "signal", Address: "+15550200",
		DisplayName: "Client", ConsentState: steward.ConsentDeclined, ConsentVersion: "v1",
		RequestedAt: &requested, ConsentChangedAt: &changed, ConsentReason: "declined by reply"}
	must(t, "CreateContact", s.CreateContact(ctx, c))
	got, err := s.ContactByID(ctx, c.ID)
	must(t, "ContactByID", err)
	same(t, "contact with consent fields", normContact(got), normContact(c))

	// UpdateContact replaces every consent field, clearing included.
	upd := *c
	again := t0.Add(24 * time.Hour)
	upd.DisplayName, upd.ConsentState, upd.ConsentVersion = "Client Ltd", steward.ConsentPending, "v2"
	upd.RequestedAt, upd.ConsentChangedAt, upd.ConsentReason = &again, &again, "asked again"
	upd.UpdatedAt = again
	must(t, "UpdateContact", s.UpdateContact(ctx, &upd))
	got, err = s.ContactByID(ctx, c.ID)
	must(t, "ContactByID", err)
	same(t, "updated consent fields", normContact(got), normContact(&upd))
	cleared := upd
	cleared.ConsentState, cleared.ConsentVersion = steward.ConsentActive, ""
	cleared.RequestedAt, cleared.ConsentChangedAt, cleared.ConsentReason = nil, nil, ""
	cleared.UpdatedAt = again.Add(time.Hour)
	must(t, "UpdateContact clearing", s.UpdateContact(ctx, &cleared))
	got, err = s.ContactByAddress(ctx, ada.ID, "signal", "+15550200")
	must(t, "ContactByAddress", err)
	same(t, "cleared consent fields", normContact(got), normContact(&cleared))

	// ContactsByAddress finds every employee's contact at the address, and
	// only at that address on that channel.
	bobs := &steward.Contact{EmployeeID: bob.ID, Channel: "signal", Address: "+15550200",
		ConsentState: steward.ConsentPending, RequestedAt: &requested}
	must(t, "CreateContact", s.CreateContact(ctx, bobs))
	for _, o := range []*steward.Contact{
		{EmployeeID: cy.ID, Channel: "signal", Address: "+15550201"},
		{EmployeeID: cy.ID, Channel: "sms", Address: "+15550200"},
	} {
		must(t, "CreateContact", s.CreateContact(ctx, o))
	}
	list, err := s.ContactsByAddress(ctx, "signal", "+15550200")
	must(t, "ContactsByAddress", err)
	slices.SortFunc(list, func(a, b *steward.Contact) int { return strings.Compare(a.ID, b.ID) })
	wantList := []*steward.Contact{&cleared, bobs}
	slices.SortFunc(wantList, func(a, b *steward.Contact) int { return strings.Compare(a.ID, b.ID) })
	if len(list) != len(wantList) {
		t.Fatalf("ContactsByAddress = %d contacts, want %d", len(list), len(wantList))
	}
	for i := range list {
		same(t, fmt.Sprint("ContactsByAddress ", i), normContact(list[i]), normContact(wantList[i]))
	}
	list, err = s.ContactsByAddress(ctx, "signal", "+15550999")
	must(t, "ContactsByAddress unknown", err)
	if len(list) != 0 {
		t.Fatalf("ContactsByAddress(unknown) = %d contacts", len(list))
	}
}

func testPendingContacts(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada, bob := newEmployee(t, s, "ada"), newEmployee(t, s, "bob")
	t0 := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	n := 0
	contact := func(e *steward.Employee, state steward.ConsentState, requested *time.Time) *steward.Contact {
		n++
		c := &steward.Contact{EmployeeID: e.ID, Channel: "signal", Address: fmt.Sprint("+1555030", n),
			ConsentState: state, RequestedAt: requested}
		must(t, "CreateContact", s.CreateContact(ctx, c))
		return c
	}
	// Created out of request order, and across employees.
	p2 := contact(ada, steward.ConsentPending, at(time.Hour))
	p1 := contact(bob, steward.ConsentPending, at(0))
	p3 := contact(ada, steward.ConsentPending, at(2*time.Hour))
	contact(ada, steward.ConsentPending, nil) // never asked: never expires
	contact(ada, steward.ConsentActive, at(-time.Hour))
	contact(bob, steward.ConsentDeclined, at(-time.Hour))
	contact(bob, steward.ConsentExpired, at(-2*time.Hour))

	ids := func(list []*steward.Contact) []string {
		out := []string{}
		for _, c := range list {
			out = append(out, c.ID)
		}
		return out
	}
	list, err := s.PendingContactsBefore(ctx, t0.Add(2*time.Hour), 10)
	must(t, "PendingContactsBefore", err)
	// Strictly before: p3, requested exactly at the cutoff, is not listed.
	same(t, "PendingContactsBefore(t0+2h)", ids(list), []string{p1.ID, p2.ID})
	same(t, "pending contact", normContact(list[0]), normContact(p1))
	list, err = s.PendingContactsBefore(ctx, t0.Add(2*time.Hour+time.Microsecond), 10)
	must(t, "PendingContactsBefore", err)
	same(t, "PendingContactsBefore(just after t0+2h)", ids(list), []string{p1.ID, p2.ID, p3.ID})
	list, err = s.PendingContactsBefore(ctx, t0.Add(3*time.Hour), 2)
	must(t, "PendingContactsBefore", err)
	same(t, "PendingContactsBefore limit 2", ids(list), []string{p1.ID, p2.ID})
	list, err = s.PendingContactsBefore(ctx, t0, 10)
	must(t, "PendingContactsBefore", err)
	same(t, "PendingContactsBefore(t0)", ids(list), []string{})

	// A contact that leaves pending leaves the sweep.
	p1.ConsentState = steward.ConsentExpired
	p1.ConsentChangedAt, p1.ConsentReason = at(3*time.Hour), "no reply"
	must(t, "UpdateContact", s.UpdateContact(ctx, p1))
	list, err = s.PendingContactsBefore(ctx, t0.Add(3*time.Hour), 10)
	must(t, "PendingContactsBefore", err)
	same(t, "PendingContactsBefore after expiry", ids(list), []string{p2.ID, p3.ID})
}

func testConsentEvents(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada := newEmployee(t, s, "ada")
	c := &steward.Contact{EmployeeID: ada.ID, Channel: "signal", Address: "+15550200", ConsentState: steward.ConsentPending}
	o := &steward.Contact{EmployeeID: ada.ID, Channel: "signal", Address: "+15550201", ConsentState: steward.ConsentPending}
	must(t, "CreateContact", s.CreateContact(ctx, c))
	must(t, "CreateContact", s.CreateContact(ctx, o))

	list, err := s.ConsentEvents(ctx, c.ID)
	must(t, "ConsentEvents", err)
	if len(list) != 0 {
		t.Fatalf("ConsentEvents of a new contact = %+v", list)
	}
	t0 := time.Date(2025, 7, 1, 9, 0, 0, 123456000, time.UTC)
	reply := &steward.ConsentEvent{ContactID: c.ID, RecordID: steward.NewID(), Action: "reply",
		State: steward.ConsentActive, Version: "v1", At: t0.Add(time.Hour)}
	request := &steward.ConsentEvent{ContactID: c.ID, RecordID: steward.NewID(), Action: "request",
		State: steward.ConsentPending, Version: "v1", At: t0}
	others := &steward.ConsentEvent{ContactID: o.ID, RecordID: steward.NewID(), Action: "request",
		State: steward.ConsentPending, At: t0}
	// Indexed out of order: the list is by time.
	for _, ev := range []*steward.ConsentEvent{reply, request, others} {
		must(t, "AddConsentEvent", s.AddConsentEvent(ctx, ev))
	}
	list, err = s.ConsentEvents(ctx, c.ID)
	must(t, "ConsentEvents", err)
	same(t, "ConsentEvents, oldest first", normEvents(list), normEvents([]*steward.ConsentEvent{request, reply}))
	list, err = s.ConsentEvents(ctx, o.ID)
	must(t, "ConsentEvents", err)
	same(t, "other contact's ConsentEvents", normEvents(list), normEvents([]*steward.ConsentEvent{others}))

	dup := *reply
	dup.ContactID = o.ID
	wantKind(t, "AddConsentEvent of an indexed record", s.AddConsentEvent(ctx, &dup), steward.Conflict)
	wantKind(t, "AddConsentEvent for an unknown contact", s.AddConsentEvent(ctx, &steward.ConsentEvent{
		ContactID: steward.NewID(), RecordID: steward.NewID(), Action: "state", State: steward.ConsentRevoked, At: t0}),
		steward.NotFound)
	for _, bad := range []steward.ConsentEvent{
		{RecordID: steward.NewID(), Action: "state", At: t0},
		{ContactID: c.ID, Action: "state", At: t0},
		{ContactID: c.ID, RecordID: steward.NewID(), At: t0},
	} {
		wantKind(t, fmt.Sprintf("AddConsentEvent(%+v)", bad), s.AddConsentEvent(ctx, &bad), steward.Invalid)
	}
	list, err = s.ConsentEvents(ctx, c.ID)
	must(t, "ConsentEvents", err)
	if len(list) != 2 {
		t.Fatalf("ConsentEvents after refused adds = %d events, want 2", len(list))
	}
}

func testConsentTexts(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	_, err := s.CurrentConsentText(ctx)
	wantKind(t, "CurrentConsentText on an empty store", err, steward.NotFound)
	list, err := s.ConsentTexts(ctx)
	must(t, "ConsentTexts", err)
	if len(list) != 0 {
		t.Fatalf("ConsentTexts on an empty store = %d", len(list))
	}

	t0 := time.Date(2025, 7, 1, 9, 0, 0, 123456000, time.UTC)
	v1 := &steward.ConsentText{Version: "2025-07", Text: "This chat is recorded. Reply ACCEPT.",
		CreatedAt: t0, CreatedBy: "admin"}
	must(t, "AddConsentText", s.AddConsentText(ctx, v1))
	if v1.SHA256 != steward.TextDigest(v1.Text) || !v1.Current {
		t.Fatalf("AddConsentText left SHA256 %q, Current %v", v1.SHA256, v1.Current)
	}
	got, err := s.CurrentConsentText(ctx)
	must(t, "CurrentConsentText", err)
	same(t, "CurrentConsentText", normText(got), normText(v1))

	v2 := &steward.ConsentText{Version: "2025-08", Text: "This chat is recorded for compliance. Reply ACCEPT.",
		CreatedAt: t0.Add(time.Hour), CreatedBy: "records-officer"}
	v2.SHA256 = steward.TextDigest(v2.Text)
	must(t, "AddConsentText with its digest", s.AddConsentText(ctx, v2))
	got, err = s.CurrentConsentText(ctx)
	must(t, "CurrentConsentText", err)
	same(t, "CurrentConsentText after a new version", normText(got), normText(v2))
	old := *v1
	old.Current = false
	checkTexts := func(what string, want ...*steward.ConsentText) {
		t.Helper()
		list, err := s.ConsentTexts(ctx)
		must(t, "ConsentTexts", err)
		var g, w []steward.ConsentText
		for _, x := range list {
			g = append(g, normText(x))
		}
		for _, x := range want {
			w = append(w, normText(x))
		}
		same(t, what, g, w)
	}
	checkTexts("ConsentTexts, newest first", v2, &old)
	got, err = s.ConsentTextByVersion(ctx, v1.Version)
	must(t, "ConsentTextByVersion", err)
	same(t, "ConsentTextByVersion of the old version", normText(got), normText(&old))

	// The same version and text again only makes it current: it keeps its
	// creation time and author.
	readd := &steward.ConsentText{Version: v1.Version, Text: v1.Text, CreatedAt: t0.Add(2 * time.Hour), CreatedBy: "someone"}
	must(t, "AddConsentText of an existing version", s.AddConsentText(ctx, readd))
	got, err = s.CurrentConsentText(ctx)
	must(t, "CurrentConsentText", err)
	same(t, "CurrentConsentText after re-adding", normText(got), normText(v1))
	notCurrent := *v2
	notCurrent.Current = false
	checkTexts("ConsentTexts after re-adding", &notCurrent, v1)

	wantKind(t, "AddConsentText of a version with another text", s.AddConsentText(ctx, &steward.ConsentText{
		Version: v2.Version, Text: "Something else.", CreatedAt: t0.Add(3 * time.Hour)}), steward.Conflict)
	for _, bad := range []steward.ConsentText{
		{Text: "No version."},
		{Version: "empty"},
		{Version: "bad-digest", Text: "Hello.", SHA256: steward.TextDigest("Hello!")},
	} {
		wantKind(t, fmt.Sprintf("AddConsentText(%+v)", bad), s.AddConsentText(ctx, &bad), steward.Invalid)
	}
	// Refused additions change nothing.
	checkTexts("ConsentTexts after refused additions", &notCurrent, v1)
	_, err = s.ConsentTextByVersion(ctx, "bad-digest")
	wantKind(t, "ConsentTextByVersion unknown", err, steward.NotFound)
}

func normEvents(evs []*steward.ConsentEvent) []steward.ConsentEvent {
	out := []steward.ConsentEvent{}
	for _, ev := range evs {
		e := *ev
		e.At = ts(e.At)
		out = append(out, e)
	}
	return out
}

func normText(t *steward.ConsentText) steward.ConsentText {
	n := *t
	n.CreatedAt = ts(n.CreatedAt)
	return n
}
