package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/httpapi"
	sigcli "github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/steward"
)

// The chat end-to-end tests run `steward serve --signal-cli-url` and
// `steward sim signal` as two processes talking over HTTP, and drive them
// only through the JSON API and the simulator's flags. Each test has its
// own pair of processes, so they run in parallel.

// chatEnv is one Steward process wired to one simulator process.
type chatEnv struct {
	data  string
	s     *server
	base  string
	admin string // admin scope
	read  string // read scope (records officer)
	// policies keeps the default policy set on; the chat tests turn it off
	// (they are about chat), the policy tests on.
	policies bool
}

// newChatData makes a data directory with an admin token, before any
// server runs on it.
func newChatData(t *testing.T) *chatEnv {
	t.Helper()
	data := t.TempDir()
	return &chatEnv{data: data, admin: mustToken(t, data, "chat-admin", "admin"),
		read: mustToken(t, data, "records-officer", "read")}
}

// serve starts `steward serve` on the data directory, with the simulator
// at simURL as its signal-cli daemon when simURL is set.
func (e *chatEnv) serve(t *testing.T, simURL string) {
	t.Helper()
	var extra []string
	if !e.policies {
		extra = append(extra, "--default-policies", "false")
	}
	if simURL != "" {
		extra = append(extra, "--signal-cli-url", simURL)
	}
	e.s = startServer(t, "serve", e.data, extra...)
	e.base = e.s.base
	if e.read == "" {
		var tok httpapi.TokenResponse
		if code := call(t, "POST", e.base+"/api/v1/tokens", e.admin, map[string]any{"name": "records-officer",
			"scopes": []string{"read"}}, &tok); code != 201 {
			t.Fatalf("read token: %d", code)
		}
		e.read = tok.Token
	}
}

// startChat is a fresh data directory served against the simulator.
func startChat(t *testing.T, simURL string) *chatEnv {
	t.Helper()
	e := newChatData(t)
	e.serve(t, simURL)
	return e
}

// employeeEnv is an employee with one Signal work identity and an inbox
// token acting for them.
type employeeEnv struct {
	id       string
	identity steward.Identity
	inbox    string
}

// employee creates an employee through the admin API, gives them a work
// identity on Signal and an inbox token.
func (e *chatEnv) employee(t *testing.T, user, name, number string, mode steward.IdentityMode) employeeEnv {
	t.Helper()
	var emp steward.Employee
	if code := call(t, "POST", e.base+"/api/v1/employees", e.admin, map[string]string{
		"user_name": user, "display_name": name}, &emp); code != 201 {
		t.Fatalf("create employee %s: %d", user, code)
	}
	out := employeeEnv{id: emp.ID}
	if code := call(t, "PUT", e.base+"/api/v1/employees/"+emp.ID+"/identities", e.admin, map[string]any{
		"channel": "signal", "address": number, "mode": mode}, &out.identity); code != 201 {
		t.Fatalf("identity %s: %d", number, code)
	}
	var tok httpapi.TokenResponse
	if code := call(t, "POST", e.base+"/api/v1/tokens", e.admin, map[string]any{
		"name": user + "-inbox", "scopes": []string{"inbox"}, "employee_id": emp.ID}, &tok); code != 201 {
		t.Fatalf("inbox token: %d", code)
	}
	out.inbox = tok.Token
	return out
}

// waitFor polls cond every 25 ms until it holds, failing after timeout
// with the server's log.
func (e *chatEnv) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\nserver log:\n%s", timeout, what, e.s.logs())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (e *chatEnv) contacts(t *testing.T, inbox string) []steward.Contact {
	t.Helper()
	var out struct{ Contacts []steward.Contact }
	if code := call(t, "GET", e.base+"/api/v1/contacts", inbox, nil, &out); code != 200 {
		t.Fatalf("list contacts: %d", code)
	}
	return out.Contacts
}

func (e *chatEnv) contact(t *testing.T, inbox, address string) *steward.Contact {
	t.Helper()
	for _, c := range e.contacts(t, inbox) {
		if c.Address == address {
			return &c
		}
	}
	return nil
}

// addContact adds an outside contact as the employee: 201, pending.
func (e *chatEnv) addContact(t *testing.T, inbox, address, name string) steward.Contact {
	t.Helper()
	var c steward.Contact
	if code := call(t, "POST", e.base+"/api/v1/contacts", inbox, map[string]string{
		"address": address, "display_name": name}, &c); code != 201 || c.ConsentState != steward.ConsentPending {
		t.Fatalf("add contact %s: %d %+v", address, code, c)
	}
	return c
}

// waitConsent waits until the contact at address is in state.
func (e *chatEnv) waitConsent(t *testing.T, inbox, address string, state steward.ConsentState) {
	t.Helper()
	e.waitFor(t, address+" "+string(state), 10*time.Second, func() bool {
		c := e.contact(t, inbox, address)
		return c != nil && c.ConsentState == state
	})
}

func (e *chatEnv) conversationWith(t *testing.T, inbox, contactID string) chat.ConversationView {
	t.Helper()
	var v chat.ConversationView
	if code := call(t, "POST", e.base+"/api/v1/conversations", inbox, map[string]string{"contact_id": contactID}, &v); code != 201 {
		t.Fatalf("open conversation: %d", code)
	}
	return v
}

func (e *chatEnv) messages(t *testing.T, inbox, convID string) []chat.MessageView {
	t.Helper()
	var out httpapi.MessagesResponse
	if code := call(t, "GET", e.base+"/api/v1/conversations/"+convID+"/messages", inbox, nil, &out); code != 200 {
		t.Fatalf("messages: %d", code)
	}
	return out.Messages
}

// find returns the first message with that body.
func find(ms []chat.MessageView, body string) *chat.MessageView {
	for i := range ms {
		if ms[i].Body == body {
			return &ms[i]
		}
	}
	return nil
}

func count(ms []chat.MessageView, body string) int {
	n := 0
	for _, m := range ms {
		if m.Body == body {
			n++
		}
	}
	return n
}

func (e *chatEnv) logSize(t *testing.T) int64 {
	t.Helper()
	var cp httpapi.CheckpointResponse
	if code := call(t, "GET", e.base+"/api/v1/checkpoint", e.read, nil, &cp); code != 200 {
		t.Fatalf("checkpoint: %d", code)
	}
	return cp.Size
}

func (e *chatEnv) health(t *testing.T) HealthReport {
	t.Helper()
	var h HealthReport
	if code := call(t, "GET", e.base+"/api/v1/capture-health", e.admin, nil, &h); code != 200 {
		t.Fatalf("capture health: %d", code)
	}
	return h
}

func accountHealth(h HealthReport, address string) *AccountHealth {
	for i := range h.Accounts {
		if h.Accounts[i].Address == address {
			return &h.Accounts[i]
		}
	}
	return nil
}

func hasAlert(h HealthReport, code, account string) bool {
	for _, a := range h.Alerts {
		if a.Code == code && a.Account == account {
			return true
		}
	}
	return false
}

// do makes a request with a raw body and returns the status, headers and
// body.
func do(t *testing.T, method, url, token, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// sseEvent is one server-sent event of GET /api/v1/stream.
type sseEvent struct {
	Type string
	Data chat.Event
}

// openStream follows GET /api/v1/stream until ctx ends, parsing `event:`
// and `data:` lines. It returns once the stream answered, so the
// subscription is in place.
func openStream(t *testing.T, ctx context.Context, url, token string) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 256)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					select {
					case ch <- ev:
					default:
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event:"):
				ev.Type = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				_ = json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &ev.Data)
			}
		}
	}()
	return ch
}

// TestChatConsentAndMessages is the whole consent-to-chat story through
// the API: nothing can be sent (or stored) before the contact accepts;
// then a JSON message with an attachment and a multipart one are sent,
// the contact's receipts and replies come back through the connector and
// the live stream, the attachment downloads, and a records officer reads
// the consent evidence with the text's hash.
func TestChatConsentAndMessages(t *testing.T) {
	t.Parallel()
	const account, contact = "+12025550111", "+14155550111"
	const reply1, reply2 = "Thanks, got the agenda.", "Noted, see you Tuesday."
	// The contact takes 600 ms to react, so the refused send below
	// happens while consent is certainly still pending.
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account,
		"--contact", contact+",accept,600ms,"+reply1+"|"+reply2)
	e := startChat(t, simURL)
	emp := e.employee(t, "dana@agency.example.gov", "Dana Whitfield", account, steward.IdentityGoverned)

	c := e.addContact(t, emp.inbox, contact, "Riley Chen")
	conv := e.conversationWith(t, emp.inbox, c.ID)
	if conv.CanSend || conv.Blocked == "" {
		t.Fatalf("conversation open for sending before consent: %+v", conv)
	}
	// Once the request has left, nothing happens until the contact answers.
	e.waitFor(t, "the consent request to be sent", 5*time.Second, func() bool {
		for _, m := range e.messages(t, emp.inbox, conv.ID) {
			if m.Kind == "consent" && m.Mine && m.Status == steward.StatusSent {
				return true
			}
		}
		return false
	})
	before := e.logSize(t)
	var eb httpapi.ErrorBody
	if code := call(t, "POST", e.base+"/api/v1/conversations/"+conv.ID+"/messages", emp.inbox,
		map[string]string{"body": "Can we talk about the tender?"}, &eb); code != 409 || eb.Error.Code != "consent_required" {
		t.Fatalf("send before consent: %d %+v, want 409 consent_required", code, eb)
	}
	if after := e.logSize(t); after != before {
		t.Fatalf("a refused send changed the archive: size %d → %d", before, after)
	}

	e.waitConsent(t, emp.inbox, contact, steward.ConsentActive)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	events := openStream(t, ctx, e.base+"/api/v1/stream", emp.inbox)

	// A JSON message with a base64 attachment.
	agenda := []byte("1. Budget\n2. Flood relief\n")
	var sent1 chat.SendResponse
	if code := call(t, "POST", e.base+"/api/v1/conversations/"+conv.ID+"/messages", emp.inbox, httpapi.SendJSON{
		Body: "Here is the agenda.", Attachments: []httpapi.AttachmentJSON{{Filename: "agenda.txt", ContentType: "text/plain",
			Data: base64.StdEncoding.EncodeToString(agenda)}}}, &sent1); code != 202 || sent1.RecordID == "" {
		t.Fatalf("send JSON: %d %+v", code, sent1)
	}
	// A multipart message with a file.
	plan := bytes.Repeat([]byte{0x25, 0x50, 0x44, 0x46, 0x00, 0xff}, 300)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	if err := mw.WriteField("body", "And the site plan."); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="files"; filename="site-plan.pdf"`)
	h.Set("Content-Type", "application/pdf")
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(plan)
	mw.Close()
	code, _, body := do(t, "POST", e.base+"/api/v1/conversations/"+conv.ID+"/messages", emp.inbox, mw.FormDataContentType(), form.Bytes())
	var sent2 chat.SendResponse
	if err := json.Unmarshal(body, &sent2); code != 202 || err != nil || sent2.RecordID == "" {
		t.Fatalf("send multipart: %d %s", code, body)
	}

	// The live stream announces an incoming message: not one of ours.
	var incoming string
	for incoming == "" {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended without an incoming message\nserver log:\n%s", e.s.logs())
			}
			if ev.Type == "message" && ev.Data.ConversationID == conv.ID && ev.Data.RecordID != sent1.RecordID && ev.Data.RecordID != sent2.RecordID {
				incoming = ev.Data.RecordID
			}
		case <-ctx.Done():
			t.Fatalf("no message event on the stream\nserver log:\n%s", e.s.logs())
		}
	}

	// The conversation: request, acceptance, both sends read, both replies
	// with the files sent back.
	var ms []chat.MessageView
	e.waitFor(t, "replies and read receipts", 10*time.Second, func() bool {
		ms = e.messages(t, emp.inbox, conv.ID)
		m1, m2 := find(ms, "Here is the agenda."), find(ms, "And the site plan.")
		r1, r2 := find(ms, reply1), find(ms, reply2)
		return m1 != nil && m2 != nil && r1 != nil && r2 != nil &&
			m1.Status == steward.StatusRead && m2.Status == steward.StatusRead &&
			len(r1.Attachments) == 1 && len(r2.Attachments) == 1
	})
	var request, accepted, acceptReply bool
	for _, m := range ms {
		switch {
		case m.Kind == "consent" && m.Mine && m.Body != "" && (m.Status == steward.StatusDelivered || m.Status == steward.StatusRead):
			request = true
		case m.Kind == "notice" && strings.Contains(m.Notice, "accepted the recording notice"):
			accepted = true
		case m.Kind == "message" && !m.Mine && m.Body == "ACCEPT" && m.Sender.Address == contact:
			acceptReply = true
		}
	}
	if !request || !accepted || !acceptReply {
		t.Errorf("consent request %v, acceptance notice %v, ACCEPT reply %v in %+v", request, accepted, acceptReply, ms)
	}
	r1 := find(ms, reply1)
	if r1.Mine || r1.Sender.Address != contact || r1.Sender.ContactID != c.ID {
		t.Errorf("reply not from the contact: %+v", r1)
	}
	// The first incoming event may be any of the contact's messages (the
	// ACCEPT reply too, when it lands after the stream opened).
	fromContact := false
	for _, m := range ms {
		if m.RecordID == incoming && !m.Mine && m.Sender.Address == contact {
			fromContact = true
		}
	}
	if !fromContact {
		t.Errorf("the stream's message event %s is not a message of the contact", incoming)
	}
	m1 := find(ms, "Here is the agenda.")
	if len(m1.Attachments) != 1 || m1.Attachments[0].Filename != "agenda.txt" {
		t.Fatalf("own attachment: %+v", m1.Attachments)
	}

	// Attachments download as attachments: ours, and the contact's copy of
	// the plan, which the connector fetched from the daemon.
	for _, a := range []struct {
		id   string
		want []byte
	}{{m1.Attachments[0].RecordID, agenda}, {find(ms, reply2).Attachments[0].RecordID, plan}} {
		code, hdr, got := do(t, "GET", e.base+"/api/v1/attachments/"+a.id, emp.inbox, "", nil)
		if code != 200 || !bytes.Equal(got, a.want) || !strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment") {
			t.Errorf("attachment %s: %d %q %d bytes", a.id, code, hdr.Get("Content-Disposition"), len(got))
		}
	}

	// The records officer's evidence: the request and the acceptance,
	// decrypted, each naming the hash of the text in force.
	var texts struct{ Texts []steward.ConsentText }
	if code := call(t, "GET", e.base+"/api/v1/consent/texts", e.admin, nil, &texts); code != 200 || len(texts.Texts) != 1 {
		t.Fatalf("consent texts: %d %+v", code, texts)
	}
	text := texts.Texts[0]
	if code := call(t, "GET", e.base+"/api/v1/contacts/"+c.ID+"/consent", emp.inbox, nil, nil); code != 403 {
		t.Errorf("consent evidence with an inbox token: %d, want 403", code)
	}
	var hist httpapi.ConsentHistory
	if code := call(t, "GET", e.base+"/api/v1/contacts/"+c.ID+"/consent?purpose=test", e.read, nil, &hist); code != 200 {
		t.Fatalf("consent history: %d", code)
	}
	if hist.Contact == nil || hist.Contact.ConsentState != steward.ConsentActive || len(hist.Events) != 2 {
		t.Fatalf("consent history: %+v", hist)
	}
	req, acc := hist.Events[0], hist.Events[1]
	if req.ConsentEvent == nil || req.Action != "request" || req.State != steward.ConsentPending ||
		acc.ConsentEvent == nil || acc.Action != "state" || acc.State != steward.ConsentActive {
		t.Fatalf("consent events: %+v %+v", req.ConsentEvent, acc.ConsentEvent)
	}
	if req.Content == nil || req.Content.Body != text.Text || acc.Content == nil {
		t.Fatalf("consent request content: %+v", req.Content)
	}
	for _, ev := range hist.Events {
		if got := ev.Content.Extra["consent_text_sha256"]; got != text.SHA256 {
			t.Errorf("%s event names text hash %v, want %s", ev.Action, got, text.SHA256)
		}
	}
	if acc.Content.Sender.Address != contact || acc.LeafIndex <= req.LeafIndex {
		t.Errorf("acceptance: sender %q leaf %d after request leaf %d", acc.Content.Sender.Address, acc.LeafIndex, req.LeafIndex)
	}

	e.s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", e.data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
}

// TestChatDecline: a contact who declines can be neither written to nor
// asked again.
func TestChatDecline(t *testing.T) {
	t.Parallel()
	const account, contact = "+12025550112", "+14155550112"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--contact", contact+",decline,50ms")
	e := startChat(t, simURL)
	emp := e.employee(t, "lee@agency.example.gov", "Lee Park", account, steward.IdentityGoverned)
	c := e.addContact(t, emp.inbox, contact, "Morgan Fry")
	conv := e.conversationWith(t, emp.inbox, c.ID)
	e.waitConsent(t, emp.inbox, contact, steward.ConsentDeclined)

	var eb httpapi.ErrorBody
	if code := call(t, "POST", e.base+"/api/v1/conversations/"+conv.ID+"/messages", emp.inbox,
		map[string]string{"body": "Are you sure?"}, &eb); code != 409 || eb.Error.Code != "consent_required" {
		t.Fatalf("send after decline: %d %+v, want 409 consent_required", code, eb)
	}
	eb = httpapi.ErrorBody{}
	if code := call(t, "POST", e.base+"/api/v1/contacts", emp.inbox, map[string]string{"address": contact}, &eb); code != 409 || eb.Error.Code != "conflict" {
		t.Fatalf("adding a declined contact again: %d %+v, want 409 conflict", code, eb)
	}
	if c := e.contact(t, emp.inbox, contact); c.ConsentState != steward.ConsentDeclined ||
		c.ConsentChangedAt == nil || !c.UpdatedAt.Equal(*c.ConsentChangedAt) || !c.UpdatedAt.After(c.CreatedAt) {
		t.Fatalf("contact after the refused re-add: %+v, want declined and updated when it declined", c)
	}
}

// TestChatUnknownNumberWritesFirst: an outside number writing first
// becomes a pending contact and is sent the notice; its message is
// archived but shown only once they accept.
func TestChatUnknownNumberWritesFirst(t *testing.T) {
	t.Parallel()
	const account, stranger = "+12025550113", "+14155550113"
	const hello = "Hello, this is about permit 42."
	// The work identity must exist before the message arrives: set it up
	// on a server without Signal first.
	e := newChatData(t)
	e.serve(t, "")
	emp := e.employee(t, "kim@agency.example.gov", "Kim Osei", account, steward.IdentityGoverned)
	e.s.stop(t)

	// The stranger's message waits in the daemon until Steward connects.
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--contact", stranger+",accept,800ms",
		"--contact-writes", stranger+">"+account+":"+hello)
	e.serve(t, simURL)
	e.waitFor(t, "the stranger as a contact", 10*time.Second, func() bool { return e.contact(t, emp.inbox, stranger) != nil })
	if c := e.contact(t, emp.inbox, stranger); c.ConsentState != steward.ConsentPending {
		t.Fatalf("stranger's contact: %+v, want pending", c)
	}
	// Capture health names the account's last captured event: the
	// stranger's message is in the archive.
	e.waitFor(t, "the stranger's message to be captured", 5*time.Second, func() bool {
		a := accountHealth(e.health(t), account)
		return a != nil && a.LastEvent != nil
	})
	var convs struct{ Conversations []chat.ConversationView }
	if code := call(t, "GET", e.base+"/api/v1/conversations", emp.inbox, nil, &convs); code != 200 || len(convs.Conversations) != 1 {
		t.Fatalf("conversations: %d %+v", code, convs)
	}
	conv := convs.Conversations[0]
	ms := e.messages(t, emp.inbox, conv.ID)
	if find(ms, hello) != nil {
		t.Fatalf("a message awaiting consent is shown: %+v", ms)
	}
	if c := e.contact(t, emp.inbox, stranger); c.ConsentState != steward.ConsentPending {
		t.Fatalf("the contact answered too early for this test: %+v", c)
	}
	if len(ms) == 0 || ms[0].Kind != "consent" || !ms[0].Mine {
		t.Errorf("the automatic consent request is not shown: %+v", ms)
	}

	e.waitConsent(t, emp.inbox, stranger, steward.ConsentActive)
	e.waitFor(t, "the held message to be released", 5*time.Second, func() bool {
		m := find(e.messages(t, emp.inbox, conv.ID), hello)
		return m != nil && !m.Mine && m.Sender.Address == stranger && m.Status == ""
	})
}

// TestChatRateLimitChallenge: Signal demands a CAPTCHA before the
// account's second new contact; the admin sees the waiting delivery and
// an alert, answers the challenge, and the request goes out.
func TestChatRateLimitChallenge(t *testing.T) {
	t.Parallel()
	const account, first, second = "+12025550114", "+14155550114", "+14155550115"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--rate-limit-challenge-after", "1",
		"--contact", first+",accept,50ms", "--contact", second+",accept,50ms")
	e := startChat(t, simURL)
	emp := e.employee(t, "ari@agency.example.gov", "Ari Novak", account, steward.IdentityGoverned)
	e.addContact(t, emp.inbox, first, "First Contact")
	e.waitConsent(t, emp.inbox, first, steward.ConsentActive)
	c2 := e.addContact(t, emp.inbox, second, "Second Contact")

	var waiting *steward.Delivery
	e.waitFor(t, "a delivery waiting on a challenge", 5*time.Second, func() bool {
		var out struct{ Deliveries []*steward.Delivery }
		if code := call(t, "GET", e.base+"/api/v1/deliveries?state=rate_limited", e.admin, nil, &out); code != 200 {
			t.Fatalf("deliveries: %d", code)
		}
		for _, d := range out.Deliveries {
			if d.Account == account && d.Challenge != "" {
				waiting = d
			}
		}
		return waiting != nil
	})
	var hist httpapi.ConsentHistory
	if code := call(t, "GET", e.base+"/api/v1/contacts/"+c2.ID+"/consent?purpose=test", e.read, nil, &hist); code != 200 ||
		len(hist.Events) != 1 || hist.Events[0].RecordID != waiting.RecordID {
		t.Fatalf("the waiting delivery is not the second contact's request: %d %+v %+v", code, hist.Events, waiting)
	}
	if h := e.health(t); !hasAlert(h, "rate_limited", account) {
		t.Fatalf("no rate_limited alert: %+v", h.Alerts)
	}
	if c := e.contact(t, emp.inbox, second); c.ConsentState != steward.ConsentPending {
		t.Fatalf("second contact before the challenge: %+v", c)
	}

	var eb httpapi.ErrorBody
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/challenge", e.admin,
		map[string]string{}, &eb); code != 400 {
		t.Errorf("challenge without a captcha: %d %+v, want 400", code, eb)
	}
	eb = httpapi.ErrorBody{}
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/challenge", e.admin,
		map[string]string{"challenge": "not-the-token", "captcha": "signalcaptcha://solved"}, &eb); code != 400 {
		t.Errorf("answer to another challenge: %d %+v, want 400", code, eb)
	}
	var ok map[string]string
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/challenge", e.admin,
		map[string]string{"captcha": "signalcaptcha://signal-hcaptcha.5fad97ac.solved"}, &ok); code != 200 || ok["status"] != "accepted" {
		t.Fatalf("answer challenge: %d %+v\nserver log:\n%s", code, ok, e.s.logs())
	}
	e.waitConsent(t, emp.inbox, second, steward.ConsentActive)
	var out struct{ Deliveries []*steward.Delivery }
	if code := call(t, "GET", e.base+"/api/v1/deliveries?state=rate_limited", e.admin, nil, &out); code != 200 || len(out.Deliveries) != 0 {
		t.Errorf("deliveries still rate limited: %d %+v", code, out.Deliveries)
	}
	if h := e.health(t); hasAlert(h, "rate_limited", account) {
		t.Errorf("rate_limited alert after the challenge was answered: %+v", h.Alerts)
	}
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/challenge", e.admin,
		map[string]string{"captcha": "again"}, nil); code != 404 {
		t.Errorf("answer with no challenge waiting: %d, want 404", code)
	}
}

// TestChatCaptureHealth: an account the daemon holds is reported on the
// gateway; an identity the daemon does not hold raises account_missing.
func TestChatCaptureHealth(t *testing.T) {
	t.Parallel()
	const held, missing = "+12025550116", "+12025550117"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", held)
	e := startChat(t, simURL)
	e.employee(t, "jo@agency.example.gov", "Jo Lindqvist", held, steward.IdentityGoverned)
	var h HealthReport
	e.waitFor(t, "the held account on the gateway", 5*time.Second, func() bool {
		h = e.health(t)
		a := accountHealth(h, held)
		return a != nil && a.OnGateway && len(h.Sources) == 1 && h.Sources[0].Connected
	})
	if h.Status != "ok" || len(h.Alerts) != 0 {
		t.Fatalf("health with every account held: %+v", h)
	}
	e.employee(t, "max@agency.example.gov", "Max Ferreira", missing, steward.IdentityGoverned)
	h = e.health(t)
	if a := accountHealth(h, missing); a == nil || a.OnGateway || h.Status != "degraded" || !hasAlert(h, "account_missing", missing) {
		t.Fatalf("health with an account the daemon lacks: %+v", h)
	}
	if hasAlert(h, "account_missing", held) {
		t.Fatalf("the held account is reported missing: %+v", h.Alerts)
	}
}

// TestChatDeadLetter: an envelope the connector cannot understand is kept
// as a dead letter, its reason sealed in the archive.
func TestChatDeadLetter(t *testing.T) {
	t.Parallel()
	const account = "+12025550118"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account,
		"--inject", account+`:{"sourceNumber":"+14155550118","timestamp":"yesterday"}`)
	e := startChat(t, simURL)
	var letters struct {
		DeadLetters []httpapi.DeadLetter `json:"dead_letters"`
	}
	e.waitFor(t, "a dead letter", 5*time.Second, func() bool {
		if code := call(t, "GET", e.base+"/api/v1/dead-letters", e.admin, nil, &letters); code != 200 {
			t.Fatalf("dead letters: %d", code)
		}
		return len(letters.DeadLetters) > 0
	})
	if len(letters.DeadLetters) != 1 || letters.DeadLetters[0].Channel != "signal" {
		t.Fatalf("dead letters: %+v", letters.DeadLetters)
	}
	var rec httpapi.RecordResponse
	if code := call(t, "GET", e.base+"/api/v1/records/"+letters.DeadLetters[0].RecordID+"?purpose=triage", e.read, nil, &rec); code != 200 {
		t.Fatalf("read dead letter: %d", code)
	}
	if rec.Kind != steward.RecordDeadLetter || rec.Content == nil {
		t.Fatalf("dead letter record: %+v", rec)
	}
	reason, _ := rec.Content.Details["reason"].(string)
	raw, _ := rec.Content.Details["raw"].(string)
	if !strings.Contains(reason, "envelope") || !strings.Contains(raw, "yesterday") {
		t.Fatalf("dead letter content: reason %q raw %q", reason, raw)
	}
	if strings.Contains(string(rec.Meta), "yesterday") {
		t.Fatalf("the raw input is in the plaintext metadata: %s", rec.Meta)
	}
}

// TestChatLinkedIdentity: an employee links Steward to their own phone;
// the identity becomes active and its account is on the gateway at once.
// A phone with another number cannot complete the link.
func TestChatLinkedIdentity(t *testing.T) {
	t.Parallel()
	const phone, other = "+12025550119", "+12025550120"
	_, simURL := startSim(t, "127.0.0.1:0", "--expect-link", phone)
	e := startChat(t, simURL)
	emp := e.employee(t, "sam@agency.example.gov", "Sam Adeyemi", phone, steward.IdentityLinked)
	if emp.identity.Status != steward.IdentityPendingLink {
		t.Fatalf("linked identity: %+v, want pending_link", emp.identity)
	}
	var ls chat.LinkSession
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/link", emp.inbox, nil, &ls); code != 202 ||
		!strings.HasPrefix(ls.URI, "sgnl://linkdevice") {
		t.Fatalf("start link: %d %+v", code, ls)
	}
	e.waitFor(t, "the link", 5*time.Second, func() bool {
		if code := call(t, "GET", e.base+"/api/v1/identities/"+emp.identity.ID+"/link", emp.inbox, nil, &ls); code != 200 {
			t.Fatalf("link status: %d", code)
		}
		return ls.State != "waiting"
	})
	if ls.State != "linked" {
		t.Fatalf("link: %+v", ls)
	}
	var got httpapi.EmployeeResponse
	if code := call(t, "GET", e.base+"/api/v1/employees/"+emp.id, e.admin, nil, &got); code != 200 || len(got.Identities) != 1 {
		t.Fatalf("employee after linking: %d %+v", code, got)
	}
	if id := got.Identities[0]; id.Status != steward.IdentityActive || !id.UpdatedAt.After(id.CreatedAt) {
		t.Fatalf("identity after linking: %+v, want active and updated", *id)
	}
	if h := e.health(t); hasAlert(h, "account_missing", phone) || accountHealth(h, phone) == nil || !accountHealth(h, phone).OnGateway {
		t.Fatalf("health right after linking: %+v", h)
	}

	emp2 := e.employee(t, "ola@agency.example.gov", "Ola Berg", other, steward.IdentityLinked)
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp2.identity.ID+"/link", emp2.inbox, nil, &ls); code != 202 {
		t.Fatalf("start second link: %d", code)
	}
	e.waitFor(t, "the second link to end", 5*time.Second, func() bool {
		call(t, "GET", e.base+"/api/v1/identities/"+emp2.identity.ID+"/link", emp2.inbox, nil, &ls)
		return ls.State != "waiting"
	})
	if ls.State != "failed" || ls.Error == "" {
		t.Fatalf("a link by a phone with another number: %+v", ls)
	}
	if code := call(t, "POST", e.base+"/api/v1/identities/"+emp.identity.ID+"/link", emp2.inbox, nil, nil); code != 404 {
		t.Errorf("linking someone else's identity: %d, want 404", code)
	}
}

// TestChatStreamOutage: signal-cli cannot replay its event stream, so
// what a contact sends while Steward's stream is down waits in the daemon;
// it is captured, once each and in order, when the stream is back, and
// the outage is archived as a capture gap.
func TestChatStreamOutage(t *testing.T) {
	t.Parallel()
	const account, contact = "+12025550121", "+14155550121"
	const away1, away2 = "Sent while you were offline.", "And one more."
	// The simulator's clock starts when Steward connects: the stream is cut
	// at 2 s for 1.5 s, and the contact writes at 2.5 s and 2.6 s.
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--contact", contact+",accept,50ms",
		"--outage", "2s@1500ms",
		"--contact-writes", "2500ms@"+contact+">"+account+":"+away1,
		"--contact-writes", "2600ms@"+contact+">"+account+":"+away2)
	e := startChat(t, simURL)
	emp := e.employee(t, "ines@agency.example.gov", "Ines Duarte", account, steward.IdentityGoverned)
	c := e.addContact(t, emp.inbox, contact, "Pat Quinn")
	conv := e.conversationWith(t, emp.inbox, c.ID)
	e.waitConsent(t, emp.inbox, contact, steward.ConsentActive)

	var ms []chat.MessageView
	e.waitFor(t, "the messages sent during the outage", 15*time.Second, func() bool {
		ms = e.messages(t, emp.inbox, conv.ID)
		return find(ms, away1) != nil && find(ms, away2) != nil
	})
	// Settle: anything delivered twice would arrive with the first copy.
	time.Sleep(200 * time.Millisecond)
	ms = e.messages(t, emp.inbox, conv.ID)
	if count(ms, away1) != 1 || count(ms, away2) != 1 {
		t.Fatalf("captured %d and %d times, want once each: %+v", count(ms, away1), count(ms, away2), ms)
	}
	m1, m2 := find(ms, away1), find(ms, away2)
	if !m1.SentAt.Before(m2.SentAt) {
		t.Errorf("out of order: %v, %v", m1.SentAt, m2.SentAt)
	}
	h := e.health(t)
	if len(h.Sources) != 1 || !h.Sources[0].Connected || h.Sources[0].Reconnects < 1 {
		t.Fatalf("source after the outage: %+v", h.Sources)
	}
	inGap := false
	for _, g := range h.Gaps {
		if g.Channel == "signal" && g.From != nil && g.To != nil && !m1.SentAt.Before(*g.From) && !m2.SentAt.After(*g.To) {
			inGap = true
		}
	}
	if !inGap {
		t.Fatalf("no capture gap spans the messages (%v, %v): %+v", m1.SentAt, m2.SentAt, h.Gaps)
	}
	e.s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", e.data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
}

// TestChatGroupChangedOutsideSteward: a group change made on the channel
// directly (from a phone) reaches Steward only as an update envelope that
// names the group and its revision. Steward asks the daemon for the
// members and archives the difference as a membership event, which the
// other employee in the group sees.
func TestChatGroupChangedOutsideSteward(t *testing.T) {
	t.Parallel()
	const alice, bob, outsider = "+12025550131", "+12025550132", "+14155550131"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", alice, "--account", bob, "--contact", outsider+",accept,50ms")
	e := startChat(t, simURL)
	e.employee(t, "alice@agency.example.gov", "Alice Stone", alice, steward.IdentityGoverned)
	b := e.employee(t, "bob@agency.example.gov", "Bob Reyes", bob, steward.IdentityGoverned)

	// Alice's phone creates a group with Bob and an outsider, bypassing Steward.
	client := &sigcli.Client{BaseURL: simURL}
	if _, err := client.UpdateGroup(context.Background(), alice, sigcli.UpdateGroupParams{Name: "Field team",
		Members: []string{bob, outsider}}); err != nil {
		t.Fatal(err)
	}
	var notice string
	e.waitFor(t, "Bob sees the membership change", 10*time.Second, func() bool {
		var list struct {
			Conversations []chat.ConversationView `json:"conversations"`
		}
		if code := call(t, "GET", e.base+"/api/v1/conversations", b.inbox, nil, &list); code != 200 {
			return false
		}
		for _, c := range list.Conversations {
			if c.Kind != steward.ConversationGroup {
				continue
			}
			for _, m := range e.messages(t, b.inbox, c.ID) {
				if m.Kind == "notice" && strings.Contains(m.Notice, "added") {
					notice = m.Notice
					return strings.Contains(m.Notice, outsider) || strings.Contains(m.Notice, "Bob")
				}
			}
		}
		return false
	})
	if !strings.Contains(notice, outsider) {
		t.Fatalf("membership notice %q does not name the outsider %s", notice, outsider)
	}
}
