package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/steward"
)

// demoRun seeds a small organization and drives realistic traffic through
// the capture API over real HTTP, exactly as a custom connector would.
type demoRun struct {
	app    *app
	base   string
	out    io.Writer
	logger *slog.Logger
	token  string // capture-only token the traffic uses
	// signalURL is the signal-cli daemon the connector captures from: the
	// configured one, or an in-process simulator the demo starts.
	signalURL string
	signal    *signal.Client
	sim       *signalsim.Server // nil when a real daemon is configured
	svc       *services
}

type seedPerson struct {
	user, name, dept, title, seniority, number string
}

var seedEmployees = []seedPerson{
	{"dana.whitfield@agency.example.gov", "Dana Whitfield", "Records Management", "Agency Records Officer", "GS-14", "+12025550101"},
	{"marcus.ortega@agency.example.gov", "Marcus Ortega", "Public Affairs", "Press Secretary", "GS-15", "+12025550102"},
	{"priya.natarajan@agency.example.gov", "Priya Natarajan", "Office of the Secretary", "Chief of Staff", "SES", "+12025550103"},
	{"sam.okafor@agency.example.gov", "Sam Okafor", "Procurement", "Contracting Officer", "GS-13", "+12025550104"},
}

type seedContact struct {
	employee int
	name     string
	number   string
	lines    []string // alternating: contact, employee, contact, …
}

var seedContacts = []seedContact{
	{1, "Jordan Lee (Daily Ledger)", "+14155550123", []string{
		"Hi Marcus, do you have a comment on the grant announcement?",
		"We'll have a statement by 3pm. I'll send it over.",
		"Thanks. Is the Secretary available for a short interview this week?",
		"Possibly Thursday. Let me check the calendar and get back to you.",
		"Great, Thursday works for us.",
	}},
	{3, "Alex Kim (Northwind Supplies)", "+13125550177", []string{
		"Good morning. Following up on the RFQ for the field laptops.",
		"Thanks Alex. Questions must go through the portal so every bidder sees the answer.",
		"Understood. Can you confirm the deadline is still the 14th?",
		"Yes, the 14th at 5pm Eastern. No extensions are planned.",
	}},
	{2, "Riley Chen (City of Springfield)", "+12175550190", []string{
		"Priya, the mayor would like to co-host the flood-relief briefing.",
		"That would be welcome. Can your team share the draft agenda?",
		"Sending it now.",
		"Received. Looks good, one edit on the speaker order.",
	}},
}

// Newcomers the demo scripts in the simulator: one to add from the inbox
// (accepts), one who declines, and one who writes first from a number no
// one has added (their message is held until they accept).
var (
	demoNewContact      = seedPerson{name: "Taylor Brooks (Springfield Gazette)", number: "+12025550199"}
	demoDecliner        = seedPerson{name: "Morgan Diaz", number: "+12025550188"}
	demoUnknown         = seedPerson{name: "Casey Nguyen (Tribune)", number: "+13015550142"}
	demoInboxEmployee   = 1 // Marcus Ortega, Press Secretary
	demoUnknownFirstMsg = "Hi Marcus, Casey Nguyen from the Tribune. Could we talk about the grant program?"
)

// prepare starts the simulated signal-cli daemon unless one is
// configured, so the services can be wired to it.
func (d *demoRun) prepare(ctx context.Context) error {
	interval, err := d.app.cfg.Duration("demo-interval")
	if err != nil {
		return err
	}
	if d.signalURL == "" {
		if d.signalURL, err = d.startSimulator(ctx, interval); err != nil {
			return err
		}
	}
	d.signal = &signal.Client{BaseURL: d.signalURL}
	return nil
}

// start seeds, creates tokens, prints how to use the demo and starts traffic.
func (d *demoRun) start(ctx context.Context, svc *services) error {
	d.svc = svc
	if err := d.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	now := time.Now()
	// Token names are unique; two demo starts can share a second.
	stamp := now.Format("20060102-150405") + "-" + strconv.FormatUint(rand.Uint64()%1e6, 10)
	admin, _, err := d.app.pipeline.IssueToken(ctx, d.app.db, "demo", steward.TokenSpec{Name: "demo-admin-" + stamp,
		Scopes: []steward.Scope{steward.ScopeAdmin, steward.ScopeRead, steward.ScopeCapture}, TTL: 7 * 24 * time.Hour}, now)
	if err != nil {
		return err
	}
	if d.token, _, err = d.app.pipeline.IssueToken(ctx, d.app.db, "demo", steward.TokenSpec{Name: "demo-traffic-" + stamp,
		Scopes: []steward.Scope{steward.ScopeCapture}, TTL: 7 * 24 * time.Hour}, now); err != nil {
		return err
	}
	emp, err := d.app.db.EmployeeByUserName(ctx, seedEmployees[demoInboxEmployee].user)
	if err != nil {
		return err
	}
	inbox, _, err := d.app.pipeline.IssueToken(ctx, d.app.db, "demo", steward.TokenSpec{Name: "demo-inbox-" + stamp,
		Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: emp.ID, TTL: 7 * 24 * time.Hour}, now)
	if err != nil {
		return err
	}
	interval, err := d.app.cfg.Duration("demo-interval")
	if err != nil {
		return err
	}
	// Capture one exchange right away so the printed examples point at a real record.
	first, err := d.post(ctx, d.message(0, 0, time.Now()))
	if err != nil {
		return fmt.Errorf("first demo capture: %w", err)
	}
	fmt.Fprintf(d.out, `
Steward demo is running. Press Ctrl-C to stop.

  Inbox        %[1]s/inbox/login#token=%[10]s
               (signed in as %[11]s; the token stays in the URL fragment, never sent to the server)
  URL          %[1]s
  Admin token  %[2]s
  Data         %[3]s
  Metrics      %[5]s
  signal-cli   %[9]s (the connector captures everything it receives)

In the inbox, add %[12]s at %[13]s: they get the recording notice, accept it,
and then you can chat (attachments too). %[14]s at %[15]s will decline. In a
few seconds %[16]s, a number nobody added, writes to %[11]s: their message is
held until they accept the notice sent to them automatically.

Simulated Signal traffic between %[6]d employees and %[7]d outside contacts is
captured every %[8]s.

Try:
  export TOKEN=%[2]s
  curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/v1/capture-health
  curl -s -H "Authorization: Bearer $TOKEN" "%[1]s/api/v1/records/%[4]s?purpose=demo"
  curl -s -H "Authorization: Bearer $TOKEN" %[1]s/api/v1/records/%[4]s/proof
  steward verify --data %[3]s

`, d.base, admin, d.app.dataDir, first.RecordID, metricsURL(d.app.cfg.String("metrics-addr")), len(seedEmployees), len(seedContacts), interval,
		d.signalURL, inbox, emp.DisplayName, demoNewContact.name, demoNewContact.number, demoDecliner.name, demoDecliner.number, demoUnknown.name)
	if d.sim != nil {
		go d.unknownWrites(ctx, emp, 3*interval)
	}
	go d.traffic(ctx, interval)
	return nil
}

// metricsURL describes the metrics listener for the demo's banner.
func metricsURL(addr string) string {
	if addr == "" || addr == "off" {
		return "off"
	}
	return "http://" + addr + "/metrics (loopback only)"
}

// unknownWrites has a number no one added write to the inbox employee.
func (d *demoRun) unknownWrites(ctx context.Context, emp *steward.Employee, after time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(after):
	}
	if _, err := d.app.db.ContactByAddress(ctx, emp.ID, "signal", demoUnknown.number); err == nil {
		return // an earlier run already met them
	}
	if err := d.sim.ContactWrites(demoUnknown.number, seedEmployees[demoInboxEmployee].number, demoUnknownFirstMsg); err != nil {
		d.logger.Warn("demo: unknown contact", "err", err)
	}
}

// seed creates the demo organization once; later runs find it in place.
func (d *demoRun) seed(ctx context.Context) error {
	db := d.app.db
	ids := make([]string, len(seedEmployees))
	for i, p := range seedEmployees {
		e, err := db.EmployeeByUserName(ctx, p.user)
		if steward.Is(steward.NotFound, err) {
			e = &steward.Employee{UserName: p.user, DisplayName: p.name, Email: p.user, Department: p.dept,
				Title: p.title, Seniority: p.seniority, Active: true}
			if err = db.CreateEmployee(ctx, e); err == nil {
				err = db.CreateIdentity(ctx, &steward.Identity{EmployeeID: e.ID, Channel: "signal", Address: p.number,
					Mode: steward.IdentityGoverned, Status: steward.IdentityActive})
			}
		}
		if err != nil {
			return err
		}
		ids[i] = e.ID
	}
	text, err := db.CurrentConsentText(ctx)
	if err != nil {
		return err
	}
	// The scripted contacts consented before the demo began; a real
	// installation gets there through the consent request.
	for _, c := range seedContacts {
		_, err := db.ContactByAddress(ctx, ids[c.employee], "signal", c.number)
		if steward.Is(steward.NotFound, err) {
			at := time.Now().UTC()
			err = db.CreateContact(ctx, &steward.Contact{EmployeeID: ids[c.employee], Channel: "signal", Address: c.number,
				DisplayName: c.name, ConsentState: steward.ConsentActive, ConsentVersion: text.Version,
				RequestedAt: &at, ConsentChangedAt: &at, ConsentReason: "Accepted before the demo began"})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// traffic posts one simulated event per interval until ctx ends: mostly
// messages in both directions, with reactions, edits, deletions, read
// receipts and the occasional attachment mixed in.
func (d *demoRun) traffic(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	step := 1
	var last []string // channel ids of recent messages, for events to act on
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c := step % len(seedContacts)
		line := (step / len(seedContacts)) % len(seedContacts[c].lines)
		now := time.Now()
		req := d.message(c, line, now)
		if step%6 == 0 {
			d.sendSignal(ctx, c, line)
			step++
			continue
		}
		if step%5 == 0 && len(last) > 0 {
			req = d.event(c, last[len(last)-1], step, now)
		} else {
			if step%7 == 0 {
				req.Attachments = []httpapi.AttachmentJSON{{Filename: "agenda-" + strconv.Itoa(step) + ".txt",
					ContentType: "text/plain", Data: base64.StdEncoding.EncodeToString([]byte("Draft agenda, item " + strconv.Itoa(step)))}}
			}
			last = append(last[max(0, len(last)-20):], req.ChannelMessageID)
		}
		if _, err := d.post(ctx, req); err != nil && ctx.Err() == nil {
			d.logger.Warn("demo traffic", "err", err)
		}
		step++
	}
}

// startSimulator runs a fake signal-cli daemon in this process holding the
// seeded employees' numbers, whose scripted contacts answer what they are
// sent. Returns its URL.
func (d *demoRun) startSimulator(ctx context.Context, interval time.Duration) (string, error) {
	sim := signalsim.New(signalsim.Options{Logger: d.logger})
	for _, e := range seedEmployees {
		sim.AddAccount(e.number)
	}
	for _, c := range seedContacts {
		var replies []string
		for i := 0; i < len(c.lines); i += 2 {
			replies = append(replies, c.lines[i])
		}
		sim.AddContact(signalsim.Contact{Number: c.number, Name: c.name, Consent: signalsim.ConsentAccept,
			Replies: replies, ReplyDelay: interval / 2})
	}
	sim.AddContact(signalsim.Contact{Number: demoNewContact.number, Name: demoNewContact.name, Consent: signalsim.ConsentAccept,
		ReplyDelay: interval, Replies: []string{
			"Thanks for adding me. Is the 3pm briefing still on?",
			"Great. I'll send our questions in advance.",
			"Here is the list, see attached.",
		}})
	sim.AddContact(signalsim.Contact{Number: demoDecliner.number, Name: demoDecliner.name, Consent: signalsim.ConsentDecline,
		ReplyDelay: interval})
	sim.AddContact(signalsim.Contact{Number: demoUnknown.number, Name: demoUnknown.name, Consent: signalsim.ConsentAccept,
		ReplyDelay: interval, Replies: []string{"Thanks. Tuesday at 10 works for me."}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		sim.Close()
		srv.Close()
	}()
	d.sim = sim
	return "http://" + ln.Addr().String(), nil
}

// sendSignal sends line `line` of contact c's script from the employee
// through Steward's own send path: captured, then queued to signal-cli.
// The contact's reply and receipts come back through the connector.
func (d *demoRun) sendSignal(ctx context.Context, c, line int) {
	sc := seedContacts[c]
	emp, err := d.app.db.EmployeeByUserName(ctx, seedEmployees[sc.employee].user)
	if err != nil {
		return
	}
	contact, err := d.app.db.ContactByAddress(ctx, emp.ID, "signal", sc.number)
	if err != nil {
		return
	}
	if line = line | 1; line >= len(sc.lines) { // odd lines are the employee's
		line = 1
	}
	conv, err := d.svc.chat.ConversationWith(ctx, emp.ID, contact.ID)
	if err == nil {
		_, err = d.svc.chat.Send(ctx, emp.ID, conv.ID, chat.SendRequest{Body: sc.lines[line]})
	}
	if err != nil && ctx.Err() == nil {
		d.logger.Warn("demo signal send", "err", err)
	}
}

// message builds line `line` of contact c's script; even lines come from
// the contact, odd ones from the employee.
func (d *demoRun) message(c, line int, now time.Time) *httpapi.CaptureRequest {
	sc := seedContacts[c]
	emp := seedEmployees[sc.employee]
	contact := httpapi.PartyJSON{Address: sc.number, Name: sc.name}
	employee := httpapi.PartyJSON{Address: emp.number, Name: emp.name}
	req := &httpapi.CaptureRequest{Channel: "signal", ChannelMessageID: strconv.FormatInt(now.UnixNano(), 10),
		Body: sc.lines[line], SentAt: &now}
	if line%2 == 0 {
		req.Direction, req.Sender, req.Recipients = "inbound", contact, []httpapi.PartyJSON{employee}
	} else {
		req.Direction, req.Sender, req.Recipients = "outbound", employee, []httpapi.PartyJSON{contact}
	}
	return req
}

// event builds a reaction, edit, receipt or deletion acting on target.
func (d *demoRun) event(c int, target string, step int, now time.Time) *httpapi.CaptureRequest {
	req := d.message(c, 0, now)
	req.Target = target
	switch rand.IntN(4) {
	case 0:
		req.Type, req.Emoji, req.Body = "reaction", "👍", ""
	case 1:
		req.Type, req.Body = "edit", req.Body+" (edited)"
	case 2:
		req.Type, req.Receipt, req.Body = "receipt", "read", ""
	default:
		req.Type, req.Body = "delete", ""
	}
	return req
}

// post sends a capture request over HTTP and returns the stored record.
func (d *demoRun) post(ctx context.Context, req *httpapi.CaptureRequest) (*httpapi.CaptureResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/v1/capture", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Authorization", "Bearer "+d.token)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("capture answered %s: %s", resp.Status, b)
	}
	var out httpapi.CaptureResponse
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}
