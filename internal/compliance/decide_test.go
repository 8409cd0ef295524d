package compliance_test

import (
	"archive/zip"
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	ssnBody = "Her SSN is 536-22-8761 for the form."
	ssn     = "536-22-8761"
)

// TestDecideSealsOutcome: every judged message carries the outcome and
// the policy-set version in its own sealed record; anything but a plain
// allow also gets an archived decision with the matches and findings.
func TestDecideSealsOutcome(t *testing.T) {
	e := newEnv(t)
	p := e.policy("ssn-outside", `outside && finding("us_ssn") > 0`, steward.ActionBlock)
	_, version, err := e.db.Policies(e.ctx)
	if err != nil || version == 0 {
		t.Fatalf("set version %d, %v", version, err)
	}

	blocked := e.capture(send(danaAddr, rileyAddr, ssnBody))
	o := e.sealed(blocked)
	if o == nil || o.Action != steward.ActionBlock || o.SetVersion != version || o.Flag || o.Said != "" ||
		o.Reason != p.Reason || o.Decision == "" {
		t.Fatalf("blocked outcome: %+v", o)
	}
	if blocked.Hold != pipeline.Blocked {
		t.Errorf("hold %q, want blocked", blocked.Hold)
	}
	d := e.decisionDetails(o)
	if d["mode"] != "governed" || d["direction"] != string(steward.DirOutbound) {
		t.Errorf("decision details: %v", d)
	}
	if ids := matchedPolicies(d); !slices.Equal(ids, []string{p.ID}) {
		t.Errorf("matches %v, want %s", ids, p.ID)
	}
	spans, _ := d["body_findings"].([]any)
	if len(spans) != 1 {
		t.Fatalf("body findings: %v", d["body_findings"])
	}
	sp := spans[0].(map[string]any)
	if start, end := int(sp["start"].(float64)), int(sp["end"].(float64)); ssnBody[start:end] != ssn || sp["detector"] != "us_ssn" {
		t.Errorf("body finding %v", sp)
	}

	// A plain allow is sealed too, but archives no decision of its own.
	allowed := e.capture(send(danaAddr, rileyAddr, "Lunch at noon?"))
	if o := e.sealed(allowed); o == nil || o.Action != steward.ActionAllow || o.SetVersion != version || o.Decision != "" {
		t.Fatalf("allowed outcome: %+v", o)
	}
	if allowed.DecisionRef != nil || allowed.Hold != pipeline.Deliver {
		t.Errorf("allowed capture: decision %v hold %q", allowed.DecisionRef, allowed.Hold)
	}

	// Every change makes a new set version, and the next message says so.
	e.policy("unused", `message.length > 100000`, steward.ActionFlag)
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Again?"))); o.SetVersion != version+1 {
		t.Errorf("set version after a change: %d, want %d", o.SetVersion, version+1)
	}
}

// TestDecideJudgesMessagesAndEditsOnly: reactions, receipts and consent
// traffic get no decision at all; edits are judged like messages.
func TestDecideJudgesMessagesAndEditsOnly(t *testing.T) {
	e := newEnv(t)
	e.policy("everything", `true`, steward.ActionFlag)
	msg := e.capture(send(danaAddr, rileyAddr, "Plan attached."))
	if e.sealed(msg) == nil || e.itemFor(msg) == nil {
		t.Fatal("the message was not judged")
	}

	reaction := &steward.Item{Type: steward.EventReaction, Channel: testChannel, ChannelMessageID: "steward:" + steward.NewID(),
		Direction: steward.DirOutbound, Sender: steward.Party{Address: danaAddr}, Recipients: []steward.Party{{Address: rileyAddr}},
		Target: msg.Item.ChannelMessageID, Emoji: "👍"}
	receipt := &steward.Item{Type: steward.EventReceipt, Channel: testChannel, ChannelMessageID: steward.NewID(),
		Direction: steward.DirInbound, Sender: steward.Party{Address: rileyAddr}, Recipients: []steward.Party{{Address: danaAddr}},
		Target: msg.Item.ChannelMessageID, Receipt: "read"}
	// Consent replies carry text, but are not messages either.
	reply := &steward.Item{Type: steward.EventConsent, Channel: testChannel, ChannelMessageID: steward.NewID(),
		Direction: steward.DirInbound, Sender: steward.Party{Address: rileyAddr}, Recipients: []steward.Party{{Address: danaAddr}},
		Body: "ACCEPT"}
	for _, it := range []*steward.Item{reaction, receipt, reply} {
		c := e.capture(it)
		if c.Decision != nil || e.sealed(c) != nil || e.itemFor(c) != nil {
			t.Errorf("%s was judged: %+v %+v", it.Type, c.Decision, e.sealed(c))
		}
	}

	edit := &steward.Item{Type: steward.EventEdit, Channel: testChannel, ChannelMessageID: "steward:" + steward.NewID(),
		Direction: steward.DirOutbound, Sender: steward.Party{Address: danaAddr}, Recipients: []steward.Party{{Address: rileyAddr}},
		Target: msg.Item.ChannelMessageID, Body: "Plan attached, v2."}
	c := e.capture(edit)
	if o := e.sealed(c); o == nil || !o.Flag || e.itemFor(c) == nil {
		t.Errorf("the edit was not judged: %+v", o)
	}
}

// TestDecideLinkedIsAfterTheFact: a message the employee's own phone sent
// cannot be stopped; the block policy wanted is recorded beside a flag.
func TestDecideLinkedIsAfterTheFact(t *testing.T) {
	e := newEnv(t)
	e.policy("ssn-block", `finding("us_ssn") > 0`, steward.ActionBlock)

	governed := e.capture(send(danaAddr, rileyAddr, ssnBody))
	if o := e.sealed(governed); o.Action != steward.ActionBlock || governed.Hold != pipeline.Blocked {
		t.Fatalf("governed send: %+v hold %q", o, governed.Hold)
	}

	c := e.capture(linked(danaAddr, rileyAddr, ssnBody))
	o := e.sealed(c)
	if o.Action != steward.ActionAllow || o.Said != steward.ActionBlock || !o.Flag || c.Hold != pipeline.Deliver {
		t.Fatalf("linked send: %+v hold %q", o, c.Hold)
	}
	if d := e.decisionDetails(o); d["mode"] != "linked" {
		t.Errorf("mode %v, want linked", d["mode"])
	}
	it := e.itemFor(c)
	if it == nil || it.Action != steward.ActionFlag || it.Quarantine != steward.QuarantineNone || it.EmployeeID != e.dana.ID {
		t.Fatalf("review item of a linked send: %+v", it)
	}
}

// TestDecideInboundBlockQuarantines: an outside sender cannot be stopped;
// the employee's copy is held for an officer instead.
func TestDecideInboundBlockQuarantines(t *testing.T) {
	e := newEnv(t)
	p := e.policy("ssn-block", `finding("us_ssn") > 0`, steward.ActionBlock)
	c := e.capture(receive(rileyAddr, danaAddr, ssnBody))
	o := e.sealed(c)
	if o.Action != steward.ActionQuarantine || o.Said != steward.ActionBlock || !o.Flag || o.Reason != p.Reason {
		t.Fatalf("inbound outcome: %+v", o)
	}
	if c.Hold != pipeline.Quarantined {
		t.Errorf("hold %q, want quarantined", c.Hold)
	}
	it := e.itemFor(c)
	if it == nil || it.Quarantine != steward.QuarantineHeld || it.Action != steward.ActionQuarantine ||
		it.Direction != steward.DirInbound || it.EmployeeID != e.dana.ID || !slices.Equal(it.Policies, []string{p.ID}) {
		t.Fatalf("review item: %+v", it)
	}
}

// TestDecideRedact: redaction masks the body's spans of the named
// detectors; when one of them also matched in an attachment, which cannot
// be masked, the message is held instead, saying redact.
func TestDecideRedact(t *testing.T) {
	e := newEnv(t)
	e.policy("ssn-redact", `finding("us_ssn") > 0`, steward.ActionRedact, "us_ssn")

	c := e.capture(send(danaAddr, rileyAddr, ssnBody))
	o := e.sealed(c)
	if o.Action != steward.ActionRedact || o.Flag || len(o.Redact) != 1 || c.Hold != pipeline.Deliver {
		t.Fatalf("body-only redaction: %+v hold %q", o, c.Hold)
	}
	if sp := o.Redact[0]; ssnBody[sp.Start:sp.End] != ssn || sp.Detector != "us_ssn" {
		t.Errorf("redacted span %+v", sp)
	}
	if e.itemFor(c) != nil {
		t.Error("a plain redaction was queued for review")
	}

	// An attachment with another detector's finding does not stop masking.
	other := steward.Attachment{Filename: "contacts.txt", ContentType: "text/plain", Data: []byte("write to riley.chen@example.org")}
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, ssnBody, other))); o.Action != steward.ActionRedact {
		t.Errorf("an unrelated finding in an attachment: %+v", o)
	}

	// The same detector inside an attachment: hold it.
	att := steward.Attachment{Filename: "claims.txt", ContentType: "text/plain", Data: []byte("claimant SSN 401-55-3297")}
	c = e.capture(send(danaAddr, rileyAddr, ssnBody, att))
	o = e.sealed(c)
	if o.Action != steward.ActionQuarantine || o.Said != steward.ActionRedact || !o.Flag || len(o.Redact) != 0 ||
		!strings.Contains(o.Reason, "attachment") {
		t.Fatalf("redaction with the finding in an attachment: %+v", o)
	}
	if c.Hold != pipeline.Quarantined {
		t.Errorf("hold %q, want quarantined", c.Hold)
	}
	if it := e.itemFor(c); it == nil || it.Quarantine != steward.QuarantineHeld {
		t.Errorf("review item: %+v", it)
	}
	d := e.decisionDetails(o)
	if per, _ := d["attachment_findings"].([]any); len(per) != 1 || per[0].(map[string]any)["us_ssn"] != float64(1) {
		t.Errorf("attachment findings: %v", d["attachment_findings"])
	}
}

// TestDecideMinConfidence: a finding below compliance.MinConfidence does
// not count for policy.
func TestDecideMinConfidence(t *testing.T) {
	const weak, strong = "ticket 284619375 tomorrow", "ssn 284619375 tomorrow"
	// The premise: the weak text holds a valid SSN-shaped finding whose
	// confidence, without context, is below the bar, and context lifts it.
	sc, err := dlp.Compile(dlp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conf := func(text string) float64 {
		for _, f := range sc.Scan(text, dlp.Options{Detectors: []string{"us_ssn"}}) {
			if f.Valid {
				return f.Confidence
			}
		}
		return 0
	}
	if c := conf(weak); c <= 0 || c >= compliance.MinConfidence {
		t.Fatalf("premise: %q has us_ssn confidence %.2f", weak, c)
	}
	if c := conf(strong); c < compliance.MinConfidence {
		t.Fatalf("premise: %q has us_ssn confidence %.2f", strong, c)
	}

	e := newEnv(t)
	e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
	if c := e.capture(send(danaAddr, rileyAddr, weak)); e.sealed(c).Flag || e.itemFor(c) != nil {
		t.Errorf("a low-confidence finding counted: %+v", e.sealed(c))
	}
	if c := e.capture(send(danaAddr, rileyAddr, strong)); !e.sealed(c).Flag || e.itemFor(c) == nil {
		t.Errorf("a confident finding did not count: %+v", e.sealed(c))
	}
}

// TestDecideUnscannable: an attachment that cannot be scanned is a
// finding of its own and marks the attachment unscannable for policy.
func TestDecideUnscannable(t *testing.T) {
	e := newEnv(t)
	byFinding := e.policy("unscannable-finding", `finding("unscannable") > 0`, steward.ActionFlag)
	byAttr := e.policy("unscannable-attr", `message.attachments.exists(a, !a.scannable)`, steward.ActionFlag)

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "plan.txt", Method: zip.Store, Flags: 1}) // password-protected
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("the plan"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 4096)
	r := rand.New(rand.NewChaCha8([32]byte{1}))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}

	for _, tc := range []struct {
		name   string
		att    steward.Attachment
		reason string
	}{
		{"encrypted zip", steward.Attachment{Filename: "plan.zip", ContentType: "application/zip", Data: zbuf.Bytes()}, "encrypted"},
		{"random bytes", steward.Attachment{Filename: "blob.bin", ContentType: "application/octet-stream", Data: noise}, "unsupported"},
	} {
		c := e.capture(send(danaAddr, rileyAddr, "see attached", tc.att))
		o := e.sealed(c)
		if !o.Flag {
			t.Errorf("%s: not flagged: %+v", tc.name, o)
			continue
		}
		d := e.decisionDetails(o)
		if ids := matchedPolicies(d); !slices.Contains(ids, byFinding.ID) || !slices.Contains(ids, byAttr.ID) {
			t.Errorf("%s: matches %v", tc.name, ids)
		}
		probs, _ := d["unscannable"].([]any)
		if len(probs) != 1 || probs[0].(map[string]any)["Reason"] != tc.reason {
			t.Errorf("%s: unscannable %v, want reason %s", tc.name, d["unscannable"], tc.reason)
		}
		per, _ := d["attachment_findings"].([]any)
		if len(per) != 1 || per[0].(map[string]any)[compliance.Unscannable] != float64(1) {
			t.Errorf("%s: attachment findings %v", tc.name, d["attachment_findings"])
		}
	}

	plain := steward.Attachment{Filename: "notes.txt", ContentType: "text/plain", Data: []byte("nothing to see")}
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "see attached", plain))); o.Flag {
		t.Errorf("a readable attachment was unscannable: %+v", o)
	}
}

// TestDecideBeforeReload: with no policies loaded the service refuses to
// judge, so the capture fails and the source retries.
func TestDecideBeforeReload(t *testing.T) {
	e := newEnv(t)
	s := &compliance.Service{Store: e.db, Pipeline: e.pipe, Reader: e.reader}
	it := send(danaAddr, rileyAddr, "hello")
	if err := pipeline.Normalize(it, pipeline.Limits{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := s.Decide(e.ctx, it, nil)
	wantKind(t, "Decide before Reload", err, steward.Unavailable)
	err = s.CheckGroup(e.ctx, chat.GroupChange{Employee: e.dana, Channel: testChannel, Operation: chat.GroupCreate})
	wantKind(t, "CheckGroup before Reload", err, steward.Unavailable)
}

// TestForget: policy sees directory changes once the cache is dropped,
// or once its entries are older than their time to live.
func TestForget(t *testing.T) {
	e := newEnv(t)
	e.policy("finance-outside", `sender.department == "Finance" && outside`, steward.ActionBlock)
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Budget?"))); o.Action != steward.ActionAllow {
		t.Fatalf("before the change: %+v", o)
	}
	setDepartment := func(dept string) {
		emp, err := e.db.EmployeeByID(e.ctx, e.dana.ID)
		if err != nil {
			t.Fatal(err)
		}
		emp.Department, emp.UpdatedAt = dept, time.Time{}
		if err := e.db.UpdateEmployee(e.ctx, emp); err != nil {
			t.Fatal(err)
		}
	}
	setDepartment("Finance")
	e.svc.Forget()
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Budget?"))); o.Action != steward.ActionBlock {
		t.Fatalf("after Forget: %+v", o)
	}

	// Without Forget, the cached view lasts at most its time to live.
	setDepartment("Legal")
	e.clock.Set(e.clock.Now().Add(time.Minute))
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Budget?"))); o.Action != steward.ActionAllow {
		t.Fatalf("after the cache expired: %+v", o)
	}
}

// matchedPolicies returns the policy ids of an archived decision's matches.
func matchedPolicies(details map[string]any) []string {
	ms, _ := details["matches"].([]any)
	var ids []string
	for _, m := range ms {
		if id, ok := m.(map[string]any)["policy_id"].(string); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestDecideLinkedInbound: a message arriving at a linked identity has
// already reached the employee's phone, so, as docs/policy.md says of
// linked mode "in every direction", it can only be flagged.
func TestDecideLinkedInbound(t *testing.T) {
	e := newEnv(t)
	e.policy("ssn-block", `finding("us_ssn") > 0`, steward.ActionBlock)
	lee := &steward.Employee{UserName: "lee@agency.example.gov", DisplayName: "Lee Park", Active: true}
	if err := e.db.CreateEmployee(e.ctx, lee); err != nil {
		t.Fatal(err)
	}
	const leeAddr = "+12025550143"
	e.identity(lee.ID, leeAddr, steward.IdentityLinked)
	c := e.capture(receive(rileyAddr, leeAddr, ssnBody))
	if o := e.sealed(c); o.Action != steward.ActionAllow || o.Said != steward.ActionBlock || !o.Flag || c.Hold != pipeline.Deliver {
		t.Errorf("inbound to a linked identity: %+v hold %q", o, c.Hold)
	}
}
