package chat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	taylor = "+12025550199"
	morgan = "+12025550188"
	casey  = "+13015550142"
	quiet  = "+12025550177"
)

func find(ms []chat.MessageView, pred func(chat.MessageView) bool) (chat.MessageView, bool) {
	for _, m := range ms {
		if pred(m) {
			return m, true
		}
	}
	return chat.MessageView{}, false
}

func byBody(body string) func(chat.MessageView) bool {
	return func(m chat.MessageView) bool { return m.Body == body }
}

func hasNotice(part string) func(chat.MessageView) bool {
	return func(m chat.MessageView) bool { return m.Kind == "notice" && strings.Contains(m.Notice, part) }
}

// The heart of the product: add a contact, they accept the notice, then
// both sides chat, with attachments, and every step is in the archive.
func TestConsentThenChat(t *testing.T) {
	// Taylor takes 200 ms to react, so the refused send below certainly
	// happens before the reply.
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", Consent: signalsim.ConsentAccept,
		ReplyDelay: 200 * time.Millisecond, Replies: []string{"Thanks, here it is back."}})
	c, err := w.chat.AddContact(w.ctx, "employee:"+w.employee.ID, w.employee.ID,
		chat.AddContactRequest{Channel: "signal", Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ConsentState != steward.ConsentPending || c.ConsentVersion != "v1" || c.RequestedAt == nil {
		t.Fatalf("new contact = %+v, want pending on v1 with a request time", c)
	}
	conv, err := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if conv.CanSend || !strings.Contains(conv.Blocked, "Waiting for Taylor Brooks") {
		t.Fatalf("before consent the conversation = %+v, want it blocked", conv)
	}
	// Nothing may flow before consent: refused, and nothing archived. The
	// outbox archives the request's delivery event after sending it, so
	// wait for that before measuring.
	w.eventually("the request is sent", func() bool {
		_, ok := find(w.messages(conv.ID), func(m chat.MessageView) bool { return m.Kind == "consent" && m.Status == steward.StatusSent })
		return ok
	})
	size := w.log.Size()
	_, err = w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "too early"})
	if !steward.Is(steward.ConsentRequired, err) {
		t.Fatalf("send before consent: err = %v, want consent_required", err)
	}
	if w.log.Size() != size {
		t.Fatalf("a refused send changed the log from %d to %d records", size, w.log.Size())
	}

	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	resp, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Agenda attached.",
		Attachments: []steward.Attachment{{Filename: "agenda.txt", ContentType: "text/plain", Data: []byte("1. Budget\n2. Floods\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	var reply chat.MessageView
	w.eventually("Taylor replies with the file", func() bool {
		var ok bool
		reply, ok = find(w.messages(conv.ID), byBody("Thanks, here it is back."))
		return ok && len(reply.Attachments) == 1
	})
	ms := w.messages(conv.ID)
	req, ok := find(ms, func(m chat.MessageView) bool { return m.Kind == "consent" })
	if !ok || !req.Mine || !strings.Contains(req.Body, "This chat is recorded") {
		t.Fatalf("the consent request is not shown as sent: %+v", ms)
	}
	if _, ok := find(ms, hasNotice("Taylor Brooks accepted the recording notice (v1)")); !ok {
		t.Fatalf("no acceptance notice in %+v", ms)
	}
	mine, ok := find(ms, byBody("Agenda attached."))
	if !ok || !mine.Mine || mine.RecordID != resp.RecordID || len(mine.Attachments) != 1 {
		t.Fatalf("own message = %+v", mine)
	}
	w.eventually("the message is delivered and read", func() bool {
		m, _ := find(w.messages(conv.ID), byBody("Agenda attached."))
		return m.Status == steward.StatusRead
	})
	a, data, err := w.chat.Attachment(w.ctx, w.employee.ID, reply.Attachments[0].RecordID)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "1. Budget\n2. Floods\n" || a.Filename != "agenda.txt" {
		t.Fatalf("attachment round trip = %q %q", a.Filename, data)
	}

	// The consent evidence: request, then the state change, both archived.
	evs, err := w.db.ConsentEvents(w.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Action != "request" || evs[1].State != steward.ConsentActive {
		t.Fatalf("consent events = %+v", evs)
	}
	for _, ev := range evs {
		if _, err := w.db.RecordByID(w.ctx, ev.RecordID); err != nil {
			t.Fatalf("consent event %s names no record: %v", ev.Action, err)
		}
	}
}

// A decline means the contact is not added: nothing can be sent, and
// the employee sees why.
func TestDecline(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: morgan, Name: "Morgan Diaz", Consent: signalsim.ConsentDecline, ReplyDelay: 20 * time.Millisecond})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: morgan, DisplayName: "Morgan Diaz"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Morgan declines", func() bool { return w.contactState(c.ID) == steward.ConsentDeclined })
	conv, err := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if conv.CanSend || !strings.Contains(conv.Blocked, "declined") {
		t.Fatalf("conversation after decline = %+v", conv)
	}
	if _, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "please?"}); !steward.Is(steward.ConsentRequired, err) {
		t.Fatalf("send after decline: %v", err)
	}
	if _, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: morgan}); !steward.Is(steward.Conflict, err) {
		t.Fatalf("re-adding a decliner: %v, want conflict", err)
	}
	if _, ok := find(w.messages(conv.ID), hasNotice("declined to be recorded")); !ok {
		t.Fatal("no decline notice")
	}
}

// A message from a number nobody added is captured and held; the sender
// is asked for consent automatically, and the message reaches the
// employee only once they accept.
func TestUnknownNumberIsHeldUntilConsent(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: casey, Name: "Casey Nguyen", Consent: signalsim.ConsentAccept, ReplyDelay: 300 * time.Millisecond})
	if err := w.sim.ContactWrites(casey, w.account, "Hello, may we talk?"); err != nil {
		t.Fatal(err)
	}
	var c *steward.Contact
	w.eventually("Casey becomes a pending contact", func() bool {
		var err error
		c, err = w.db.ContactByAddress(w.ctx, w.employee.ID, "signal", casey)
		return err == nil
	})
	conv, err := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st := w.contactState(c.ID); st == steward.ConsentPending {
		if _, ok := find(w.messages(conv.ID), byBody("Hello, may we talk?")); ok {
			t.Fatal("a held message was shown before consent")
		}
	}
	w.eventually("Casey accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	if _, ok := find(w.messages(conv.ID), byBody("Hello, may we talk?")); !ok {
		t.Fatal("the held message was not released after consent")
	}
}

// A request nobody answers expires; the held state ends and the reason
// is shown.
func TestExpiry(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: quiet, Name: "Quiet Person", Consent: signalsim.ConsentIgnore, ReplyDelay: 10 * time.Millisecond})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.consent.Sweep(w.ctx); err != nil || n != 0 {
		t.Fatalf("early sweep expired %d (%v)", n, err)
	}
	w.now = w.now.Add(7*24*time.Hour + time.Minute)
	if n, err := w.consent.Sweep(w.ctx); err != nil || n != 1 {
		t.Fatalf("sweep after 7 days expired %d (%v), want 1", n, err)
	}
	got, _ := w.db.ContactByID(w.ctx, c.ID)
	if got.ConsentState != steward.ConsentExpired || got.ConsentReason != "No reply within 7 days" {
		t.Fatalf("after expiry: %+v", got)
	}
}

func TestMatchReplyKeywords(t *testing.T) {
	cases := map[string]steward.ConsentReply{
		"ACCEPT": steward.ReplyAccept, " yes! ": steward.ReplyAccept, "Sí": steward.ReplyAccept, "oui.": steward.ReplyAccept,
		"decline": steward.ReplyDecline, "No": steward.ReplyDecline, "STOP": steward.ReplyStop, "arrêt": steward.ReplyStop,
		"no thanks, call me": steward.ReplyOther, "yes please call": steward.ReplyOther, "": steward.ReplyOther,
	}
	for in, want := range cases {
		if got := steward.MatchReply(in, steward.DefaultKeywords); got != want {
			t.Errorf("MatchReply(%q) = %v, want %v", in, got, want)
		}
	}
}

// STOP at any time revokes consent: the contact can no longer be written
// to, and the employee sees why.
func TestStopRevokes(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond,
		Replies: []string{"First answer.", "Second answer."}, StopAfter: 1})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	conv, err := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Question one?"}); err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor sends STOP", func() bool { return w.contactState(c.ID) == steward.ConsentRevoked })
	if _, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Question two?"}); !steward.Is(steward.ConsentRequired, err) {
		t.Fatalf("send after STOP: %v, want consent_required", err)
	}
	ms := w.messages(conv.ID)
	if _, ok := find(ms, hasNotice("withdrew consent")); !ok {
		t.Fatalf("no revocation notice in %+v", ms)
	}
	if _, ok := find(ms, byBody("First answer.")); !ok {
		t.Fatal("messages from before the STOP disappeared")
	}
}

// When the notice changes, an active contact is asked again on their next
// message, which is held until they accept the new version.
func TestReconsentOnTextChange(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond,
		Replies: []string{"Noted.", "Still here."}})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts v1", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	if _, err := w.consent.SetText(w.ctx, "test", "v2", "This chat is recorded and kept 7 years. Reply ACCEPT or DECLINE."); err != nil {
		t.Fatal(err)
	}
	conv, err := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Did you see the update?"}); err != nil {
		t.Fatal(err)
	}
	// Taylor's answer ("Noted.") is held and triggers a request for v2.
	w.eventually("Taylor is asked again for v2", func() bool {
		evs, err := w.db.ConsentEvents(w.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		return last.Action == "request" && last.Version == "v2"
	})
	if st := w.contactState(c.ID); st != steward.ConsentPending {
		t.Fatalf("state while re-consent is asked: %s, want pending", st)
	}
	if _, ok := find(w.messages(conv.ID), byBody("Noted.")); ok {
		t.Fatal("the message that triggered re-consent was shown before the new acceptance")
	}
}

// A group with a consented contact: created on the channel, archived as a
// membership event, shown as a notice; a non-consented address is refused.
func TestGroupNeedsConsent(t *testing.T) {
	w := newWorld(t,
		signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond},
		signalsim.Contact{Number: quiet, Name: "Quiet Person", Consent: signalsim.ConsentIgnore, ReplyDelay: 20 * time.Millisecond})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: quiet}); err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	if _, err := w.chat.CreateGroup(w.ctx, w.employee.ID, chat.GroupRequest{Title: "Briefing", Add: []string{taylor, quiet}}); !steward.Is(steward.ConsentRequired, err) {
		t.Fatalf("group with a pending contact: %v, want consent_required", err)
	}
	g, err := w.chat.CreateGroup(w.ctx, w.employee.ID, chat.GroupRequest{Title: "Briefing", Add: []string{taylor}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != steward.ConversationGroup || g.Title != "Briefing" || len(g.Members) != 2 || !g.CanSend {
		t.Fatalf("group = %+v", g)
	}
	if _, ok := find(w.messages(g.ID), hasNotice("You added Taylor Brooks")); !ok {
		t.Fatal("no membership notice")
	}
	if _, err := w.chat.Send(w.ctx, w.employee.ID, g.ID, chat.SendRequest{Body: "Welcome to the group."}); err != nil {
		t.Fatal(err)
	}
	w.eventually("the group message is sent", func() bool {
		m, ok := find(w.messages(g.ID), byBody("Welcome to the group."))
		return ok && (m.Status == steward.StatusSent || m.Status == steward.StatusDelivered || m.Status == steward.StatusRead)
	})
}

// Reactions and deletions sent from the inbox go to the channel and show
// in the view; the archive keeps the deleted text.
func TestReactAndDelete(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond,
		Replies: []string{"Sure."}})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	conv, _ := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	sent, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Sent in error"})
	if err != nil {
		t.Fatal(err)
	}
	var reply chat.MessageView
	w.eventually("Taylor replies", func() bool {
		var ok bool
		reply, ok = find(w.messages(conv.ID), byBody("Sure."))
		return ok
	})
	if _, err := w.chat.React(w.ctx, w.employee.ID, conv.ID, reply.RecordID, "👍", false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.Delete(w.ctx, w.employee.ID, conv.ID, reply.RecordID); !steward.Is(steward.Permission, err) {
		t.Fatalf("deleting their message: %v, want permission", err)
	}
	if _, err := w.chat.Delete(w.ctx, w.employee.ID, conv.ID, sent.RecordID); err != nil {
		t.Fatal(err)
	}
	w.eventually("reaction and deletion shown", func() bool {
		ms := w.messages(conv.ID)
		r, _ := find(ms, func(m chat.MessageView) bool { return m.RecordID == reply.RecordID })
		d, _ := find(ms, func(m chat.MessageView) bool { return m.RecordID == sent.RecordID })
		return len(r.Reactions) == 1 && r.Reactions[0].Mine && d.Deleted && d.Body == ""
	})
	// The archive still holds the original text of the deleted message.
	_, _, content, err := w.chat.Reader.Open(w.ctx, sent.RecordID)
	if err != nil || content.Body != "Sent in error" {
		t.Fatalf("archived original = %+v, %v", content, err)
	}
}

// A message that waits in the outbox is not sent if the contact's consent
// ends meanwhile: the outbox asks Guard just before sending.
func TestGuardStopsSendAfterConsentEnds(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond})
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	conv, _ := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	sent, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "Queued"})
	if err != nil {
		t.Fatal(err)
	}
	rec, meta, content, err := w.chat.Reader.Open(w.ctx, sent.RecordID)
	if err != nil {
		t.Fatal(err)
	}
	d := &steward.Delivery{Channel: "signal", Account: meta.Sender, RecordID: rec.ID}
	if err := w.chat.Guard(w.ctx, d, rec, content); err != nil {
		t.Fatalf("guard with consent: %v", err)
	}
	got, _ := w.db.ContactByID(w.ctx, c.ID)
	got.ConsentState = steward.ConsentRevoked
	if err := w.db.UpdateContact(w.ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := w.chat.Guard(w.ctx, d, rec, content); !steward.Is(steward.ConsentRequired, err) {
		t.Fatalf("guard after revocation: %v, want consent_required", err)
	}
}

// When an employee leaves, their conversations, and what still arrives at
// their number, pass to their manager, who can read but not send from the
// departed's number.
func TestDepartedConversationsPassToManager(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond,
		Replies: []string{"Before you go: thanks."}})
	mgr := &steward.Employee{UserName: "priya@agency.example.gov", DisplayName: "Priya Natarajan", Active: true}
	if err := w.db.CreateEmployee(w.ctx, mgr); err != nil {
		t.Fatal(err)
	}
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	conv, _ := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if _, err := w.chat.Send(w.ctx, w.employee.ID, conv.ID, chat.SendRequest{Body: "I am leaving the agency."}); err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor replies", func() bool {
		_, ok := find(w.messages(conv.ID), byBody("Before you go: thanks."))
		return ok
	})
	if cs, _ := w.chat.Conversations(w.ctx, mgr.ID); len(cs) != 0 {
		t.Fatalf("the manager sees %d conversations before the departure", len(cs))
	}

	// The identity provider deactivates the employee; offboarding suspends the number.
	emp, _ := w.db.EmployeeByID(w.ctx, w.employee.ID)
	emp.Active, emp.ManagerID = false, mgr.ID
	if err := w.db.UpdateEmployee(w.ctx, emp); err != nil {
		t.Fatal(err)
	}
	ids, _ := w.db.IdentitiesByEmployee(w.ctx, emp.ID)
	ids[0].Status = steward.IdentitySuspended
	if err := w.db.UpdateIdentity(w.ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	// Taylor writes again, to the departed's number: captured, and the manager sees it.
	if err := w.sim.ContactWrites(taylor, w.account, "Who takes over?"); err != nil {
		t.Fatal(err)
	}
	cs, err := w.chat.Conversations(w.ctx, mgr.ID)
	if err != nil || len(cs) != 1 || cs[0].ID != conv.ID {
		t.Fatalf("manager's conversations = %+v, %v", cs, err)
	}
	var ms []chat.MessageView
	w.eventually("the manager reads the new message", func() bool {
		_, got, err := w.chat.Messages(w.ctx, mgr.ID, conv.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		ms = got
		_, ok := find(ms, byBody("Who takes over?"))
		return ok
	})
	old, ok := find(ms, byBody("I am leaving the agency."))
	if !ok || old.Mine || old.Sender.Name != "Marcus Ortega (departed)" {
		t.Fatalf("the departed's message as the manager sees it: %+v", old)
	}
	if _, err := w.chat.Send(w.ctx, mgr.ID, conv.ID, chat.SendRequest{Body: "I do."}); !steward.Is(steward.Permission, err) {
		t.Fatalf("the manager sending from the departed's number: %v, want permission", err)
	}
	if _, _, err := w.chat.Messages(w.ctx, w.employee.ID, conv.ID, 0); !steward.Is(steward.Permission, err) {
		t.Fatalf("the departed reading: %v, want permission", err)
	}
}

// A configured successor takes over instead of the manager.
func TestConfiguredSuccessorTakesOver(t *testing.T) {
	w := newWorld(t, signalsim.Contact{Number: taylor, Name: "Taylor Brooks", ReplyDelay: 20 * time.Millisecond})
	mk := func(user, name string) *steward.Employee {
		e := &steward.Employee{UserName: user, DisplayName: name, Active: true}
		if err := w.db.CreateEmployee(w.ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	mgr, succ := mk("priya@agency.example.gov", "Priya Natarajan"), mk("sam@agency.example.gov", "Sam Okafor")
	c, err := w.chat.AddContact(w.ctx, "test", w.employee.ID, chat.AddContactRequest{Address: taylor, DisplayName: "Taylor Brooks"})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("Taylor accepts", func() bool { return w.contactState(c.ID) == steward.ConsentActive })
	conv, _ := w.chat.ConversationWith(w.ctx, w.employee.ID, c.ID)
	if err := w.db.SetSuccessor(w.ctx, w.employee.ID, succ.ID); err != nil {
		t.Fatal(err)
	}
	emp, _ := w.db.EmployeeByID(w.ctx, w.employee.ID)
	emp.Active, emp.ManagerID = false, mgr.ID
	if err := w.db.UpdateEmployee(w.ctx, emp); err != nil {
		t.Fatal(err)
	}
	if cs, err := w.chat.Conversations(w.ctx, succ.ID); err != nil || len(cs) != 1 || cs[0].ID != conv.ID {
		t.Fatalf("successor's conversations = %+v, %v", cs, err)
	}
	if cs, err := w.chat.Conversations(w.ctx, mgr.ID); err != nil || len(cs) != 0 {
		t.Fatalf("the manager still inherits although a successor is configured: %+v, %v", cs, err)
	}
}
