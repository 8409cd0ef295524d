package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/steward"
)

// The policy end-to-end tests run `steward serve` with the default policy
// set against `steward sim signal`, and check through the API and the
// simulator's record of what each contact received that every action
// does what docs/policy.md says.

// received is what the simulated contact got from Steward.
func received(t *testing.T, simURL, contact string) []signalsim.Received {
	t.Helper()
	resp, err := http.Get(simURL + "/sim/received?contact=" + strings.ReplaceAll(contact, "+", "%2B"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []signalsim.Received
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func receivedText(rs []signalsim.Received, substr string) *signalsim.Received {
	for i := range rs {
		if strings.Contains(rs[i].Text, substr) {
			return &rs[i]
		}
	}
	return nil
}

// policyEnv is a served data directory with the default policies, an
// employee with a consented contact, and a compliance token.
type policyEnv struct {
	*chatEnv
	simURL     string
	emp        employeeEnv
	conv       chat.ConversationView
	contact    string
	compliance string // compliance scope (a surveillance system's token)
	auditor    string
}

func startPolicy(t *testing.T, account, contact string, contactArgs string) *policyEnv {
	t.Helper()
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--contact", contact+",accept,30ms"+contactArgs)
	e := newChatData(t)
	e.policies = true
	p := &policyEnv{chatEnv: e, simURL: simURL, contact: contact,
		compliance: mustToken(t, e.data, "surveillance", "compliance"),
		auditor:    mustToken(t, e.data, "auditor", "audit")}
	e.serve(t, simURL)
	p.emp = e.employee(t, "dana@agency.example.gov", "Dana Whitfield", account, steward.IdentityGoverned)
	c := e.addContact(t, p.emp.inbox, contact, "Riley Chen")
	e.waitConsent(t, p.emp.inbox, contact, steward.ConsentActive)
	p.conv = e.conversationWith(t, p.emp.inbox, c.ID)
	return p
}

func (p *policyEnv) send(t *testing.T, body string) chat.SendResponse {
	t.Helper()
	var r chat.SendResponse
	if code := call(t, "POST", p.base+"/api/v1/conversations/"+p.conv.ID+"/messages", p.emp.inbox,
		map[string]string{"body": body}, &r); code != 202 || r.RecordID == "" {
		t.Fatalf("send %q: %d %+v", body, code, r)
	}
	return r
}

// auditActions returns the audited actions with that name.
func (p *policyEnv) auditActions(t *testing.T, action string) []httpapi.AuditEntry {
	t.Helper()
	var out struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	if code := call(t, "GET", p.base+"/api/v1/audit?action="+action, p.auditor, nil, &out); code != 200 {
		t.Fatalf("audit %s: %d", action, code)
	}
	return out.Entries
}

func (p *policyEnv) reviewItems(t *testing.T, query string) []steward.ReviewItem {
	t.Helper()
	var out struct{ Items []steward.ReviewItem }
	if code := call(t, "GET", p.base+"/api/v1/review"+query, p.compliance, nil, &out); code != 200 {
		t.Fatalf("review queue: %d", code)
	}
	return out.Items
}

func reviewFor(items []steward.ReviewItem, recordID string) *steward.ReviewItem {
	for i := range items {
		if items[i].RecordID == recordID {
			return &items[i]
		}
	}
	return nil
}

// TestPolicyActions drives each message action of the default policy set
// through the Signal simulator: blocked, redacted, warned and confirmed,
// flagged, quarantined and released, quarantined and rejected, and an
// inbound message held from the employee.
func TestPolicyActions(t *testing.T) {
	t.Parallel()
	const account, contact = "+12025550131", "+14155550131"
	const inboundSecret = "SECRET//NOFORN the ops plan for Tuesday"
	p := startPolicy(t, account, contact, ","+inboundSecret)

	// The default threats lexicon, extended through the detectors API.
	var ds struct{ Detectors []steward.CustomDetector }
	if code := call(t, "GET", p.base+"/api/v1/dlp/detectors", p.admin, nil, &ds); code != 200 {
		t.Fatalf("list detectors: %d", code)
	}
	var lex *steward.CustomDetector
	for i := range ds.Detectors {
		if ds.Detectors[i].Name == policy.LexiconThreats {
			lex = &ds.Detectors[i]
		}
	}
	if lex == nil || lex.Kind != steward.DetectorLexicon {
		t.Fatalf("no default threats lexicon in %+v", ds.Detectors)
	}
	lex.Keywords = append(lex.Keywords, `"make you" w/3 pay`)
	if code := call(t, "PUT", p.base+"/api/v1/dlp/detectors/"+lex.ID, p.admin, lex, lex); code != 200 || lex.Version != 2 {
		t.Fatalf("extend the lexicon: %d %+v", code, lex)
	}

	// Blocked: a credential never leaves; the sender sees why.
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq3\n-----END RSA PRIVATE KEY-----"
	blocked := p.send(t, "the deploy key:\n"+key)
	if blocked.Status != chat.StatusPolicyBlocked || !strings.Contains(blocked.Reason, "credential") || blocked.DeliveryID != "" {
		t.Fatalf("credential send: %+v", blocked)
	}

	// Redacted: the contact gets the copy, the archive the original.
	redacted := p.send(t, "Her SSN is 536-22-8761 for the form.")
	if redacted.Status != steward.StatusQueued || redacted.Redactions != 1 {
		t.Fatalf("SSN send: %+v", redacted)
	}

	// Warned: held until the sender confirms with a justification.
	warned := p.send(t, "Please wire the deposit, routing number 021000021.")
	if warned.Status != chat.StatusNeedsConfirmation || warned.Reason == "" {
		t.Fatalf("routing number send: %+v", warned)
	}
	var eb httpapi.ErrorBody
	confirmURL := p.base + "/api/v1/conversations/" + p.conv.ID + "/messages/" + warned.RecordID + "/confirm"
	if code := call(t, "POST", confirmURL, p.emp.inbox, map[string]string{"justification": " "}, &eb); code != 400 {
		t.Fatalf("confirm without a justification: %d %+v", code, eb)
	}
	var confirmed chat.SendResponse
	if code := call(t, "POST", confirmURL, p.emp.inbox, map[string]string{
		"justification": "Vendor's verified account, per contract 22-114."}, &confirmed); code != 202 || confirmed.DeliveryID == "" {
		t.Fatalf("confirm: %d %+v", code, confirmed)
	}
	if code := call(t, "POST", confirmURL, p.emp.inbox, map[string]string{"justification": "again"}, &eb); code != 409 {
		t.Fatalf("confirm twice: %d", code)
	}

	// Flagged: delivered, and queued for review.
	flagged := p.send(t, "If the bid fails I will make you all pay.")
	if flagged.Status != steward.StatusQueued {
		t.Fatalf("lexicon send: %+v", flagged)
	}

	// Quarantined: CUI to an outside party waits for an officer.
	released := p.send(t, "CUI//SP-PRVCY\nNotes from the claims review.")
	rejected := p.send(t, "CUI//SP-PRVCY\nThe full claimant list.")
	for _, r := range []chat.SendResponse{released, rejected} {
		if r.Status != chat.StatusQuarantined || r.DeliveryID != "" {
			t.Fatalf("CUI send: %+v", r)
		}
	}

	// What the contact has received so far: the redacted copy, the
	// confirmed message and the flagged one; nothing blocked or held.
	p.waitFor(t, "the contact to receive the delivered messages", 10*time.Second, func() bool {
		rs := received(t, p.simURL, contact)
		return receivedText(rs, "Her SSN is") != nil && receivedText(rs, "routing number") != nil &&
			receivedText(rs, "make you all pay") != nil
	})
	rs := received(t, p.simURL, contact)
	if r := receivedText(rs, "Her SSN is"); r.Text != "Her SSN is "+steward.RedactionMark+" for the form." {
		t.Errorf("the contact's copy: %q", r.Text)
	}
	for _, never := range []string{"PRIVATE KEY", "536-22-8761", "CUI//"} {
		if r := receivedText(rs, never); r != nil {
			t.Errorf("the contact received %q", r.Text)
		}
	}

	// The sender's view: originals, with the outcomes.
	ms := p.messages(t, p.emp.inbox, p.conv.ID)
	views := map[string]*chat.MessageView{}
	for i := range ms {
		views[ms[i].RecordID] = &ms[i]
	}
	if v := views[blocked.RecordID]; v == nil || v.Status != chat.StatusPolicyBlocked || !strings.Contains(v.Body, "PRIVATE KEY") {
		t.Errorf("blocked message in the sender's view: %+v", v)
	}
	if v := views[redacted.RecordID]; v == nil || v.Body != "Her SSN is 536-22-8761 for the form." || v.Redactions != 1 {
		t.Errorf("redacted message in the sender's view: %+v", v)
	}
	if v := views[released.RecordID]; v == nil || v.Status != chat.StatusQuarantined {
		t.Errorf("quarantined message in the sender's view: %+v", v)
	}

	// The archive keeps the original of the redacted message, and its
	// decision with the policy version.
	var rec httpapi.RecordResponse
	if code := call(t, "GET", p.base+"/api/v1/records/"+redacted.RecordID+"?purpose=test", p.read, nil, &rec); code != 200 {
		t.Fatalf("read the redacted record: %d", code)
	}
	if rec.Content == nil || !strings.Contains(rec.Content.Body, "536-22-8761") || rec.Content.Policy == nil ||
		rec.Content.Policy.Action != steward.ActionRedact || rec.Content.Policy.SetVersion == 0 || len(rec.Content.Policy.Redact) != 1 {
		t.Fatalf("archived original: %+v", rec.Content)
	}

	// The inbound classified message: captured, held from the employee,
	// quarantined for an officer.
	var inbound *steward.ReviewItem
	p.waitFor(t, "the inbound classified message to be queued", 10*time.Second, func() bool {
		for _, it := range p.reviewItems(t, "?quarantine=held") {
			if it.Direction == steward.DirInbound {
				inbound = &it
				return true
			}
		}
		return false
	})
	if find(p.messages(t, p.emp.inbox, p.conv.ID), inboundSecret) != nil {
		t.Error("the employee sees an inbound message that policy held")
	}

	// The review queue: flagged and quarantined items.
	items := p.reviewItems(t, "")
	fl, rel, rej := reviewFor(items, flagged.RecordID), reviewFor(items, released.RecordID), reviewFor(items, rejected.RecordID)
	if fl == nil || fl.Action != steward.ActionFlag || fl.Quarantine != "" || len(fl.Policies) == 0 {
		t.Fatalf("flagged item: %+v", fl)
	}
	if rel == nil || rel.Quarantine != steward.QuarantineHeld || rej == nil || rej.Quarantine != steward.QuarantineHeld {
		t.Fatalf("quarantined items: %+v %+v", rel, rej)
	}
	if reviewFor(items, redacted.RecordID) != nil || reviewFor(items, blocked.RecordID) != nil {
		t.Errorf("redact and block alone queued review items: %+v", items)
	}

	// An officer reads the item in context (audited) and releases it.
	var rv compliance.ReviewView
	if code := call(t, "GET", p.base+"/api/v1/review/"+rel.ID, p.compliance, nil, &rv); code != 200 {
		t.Fatalf("review item: %d", code)
	}
	if rv.Message == nil || !strings.Contains(rv.Message.Body, "claims review") || len(rv.Before) == 0 || rv.Decision == nil {
		t.Fatalf("review view: %+v", rv)
	}
	if len(p.auditActions(t, "review.read")) == 0 {
		t.Error("reading a review item was not audited")
	}
	act := func(id string, a compliance.ReviewAction) (int, steward.ReviewItem) {
		var it steward.ReviewItem
		code := call(t, "POST", p.base+"/api/v1/review/"+id+"/actions", p.compliance, a, &it)
		return code, it
	}
	if code, _ := act(rel.ID, compliance.ReviewAction{Action: "resolve", Outcome: steward.OutcomeFalsePositive, Note: "x"}); code != 409 {
		t.Errorf("resolving a held quarantine: %d, want 409", code)
	}
	if code, it := act(rel.ID, compliance.ReviewAction{Action: "release", Note: "Recipient is the claimant's attorney."}); code != 200 ||
		it.Quarantine != steward.QuarantineReleased || it.State != steward.ReviewResolved {
		t.Fatalf("release: %d %+v", code, it)
	}
	if code, it := act(rej.ID, compliance.ReviewAction{Action: "reject", Note: "Not authorized to receive CUI."}); code != 200 ||
		it.Quarantine != steward.QuarantineRejected {
		t.Fatalf("reject: %d %+v", code, it)
	}
	if code, it := act(fl.ID, compliance.ReviewAction{Action: "resolve", Outcome: steward.OutcomeTruePositive, Note: "Referred to HR."}); code != 200 ||
		it.Outcome != steward.OutcomeTruePositive {
		t.Fatalf("resolve: %d %+v", code, it)
	}
	if code, _ := act(inbound.ID, compliance.ReviewAction{Action: "reject", Note: "Spill: reported to security."}); code != 200 {
		t.Fatalf("reject inbound: %d", code)
	}
	p.waitFor(t, "the released message to reach the contact", 10*time.Second, func() bool {
		return receivedText(received(t, p.simURL, contact), "claims review") != nil
	})
	ms = p.messages(t, p.emp.inbox, p.conv.ID)
	for _, m := range ms {
		switch m.RecordID {
		case rejected.RecordID:
			if m.Status != chat.StatusRejected {
				t.Errorf("rejected message in the sender's view: %+v", m)
			}
		case released.RecordID:
			if m.Status == chat.StatusQuarantined || m.Status == chat.StatusRejected {
				t.Errorf("released message in the sender's view: %+v", m)
			}
		}
	}
	if receivedText(received(t, p.simURL, contact), "claimant list") != nil {
		t.Error("the rejected message reached the contact")
	}
	for _, a := range []string{"message.confirm", "review.release", "review.reject", "review.resolve", "detector.save", "policy.create"} {
		if len(p.auditActions(t, a)) == 0 {
			t.Errorf("%s was not audited", a)
		}
	}

	// Feedback: the lexicon rule has a true positive.
	var stats struct{ Rules []compliance.RuleHealth }
	if code := call(t, "GET", p.base+"/api/v1/review/stats", p.compliance, nil, &stats); code != 200 {
		t.Fatalf("stats: %d", code)
	}
	for _, r := range stats.Rules {
		if r.Name == "lexicon-threats" && (r.TruePositives != 1 || r.Items != 1) {
			t.Errorf("lexicon-threats feedback: %+v", r)
		}
	}

	// A dry run of a proposed rule over what was archived.
	var rep policy.DryRunReport
	if code := call(t, "POST", p.base+"/api/v1/policies/dry-run", p.compliance, compliance.DryRunRequest{Only: true,
		Policies: []*steward.Policy{{Name: "any-ssn", Kind: steward.PolicyMessage, Condition: `finding("us_ssn") > 0`,
			Action: steward.ActionFlag}}}, &rep); code != 200 {
		t.Fatalf("dry run: %d", code)
	}
	if len(rep.ByPolicy) != 1 || rep.ByPolicy[0].Matched != 1 || rep.Messages < 6 {
		t.Fatalf("dry run report: %+v", rep)
	}

	p.s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", p.data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
}

// TestPolicyAdministration: policies are checked when saved, versioned,
// audited, and take effect at once; admins may configure them but not
// read the review queue.
func TestPolicyAdministration(t *testing.T) {
	t.Parallel()
	const account, contact = "+12025550132", "+14155550132"
	p := startPolicy(t, account, contact, "")

	var eb httpapi.ErrorBody
	bad := map[string]any{"name": "typo", "kind": "message", "condition": `sender.departmnet == "x"`, "action": "flag", "enabled": true}
	if code := call(t, "POST", p.base+"/api/v1/policies", p.admin, bad, &eb); code != 400 || !strings.Contains(eb.Error.Message, "departmnet") {
		t.Fatalf("bad condition: %d %+v", code, eb)
	}
	var pol steward.Policy
	if code := call(t, "POST", p.base+"/api/v1/policies", p.admin, map[string]any{"name": "no-tenders", "kind": "message",
		"condition": `message.length > 0 && direction == "outbound"`, "action": "block", "reason": "Tenders are closed.",
		"enabled": true}, &pol); code != 201 || pol.Version != 1 {
		t.Fatalf("create policy: %d %+v", code, pol)
	}
	if r := p.send(t, "About the tender"); r.Status != chat.StatusPolicyBlocked || r.Reason != "Tenders are closed." {
		t.Fatalf("the new policy did not take effect: %+v", r)
	}
	pol.Enabled = false
	stale := pol
	if code := call(t, "PUT", p.base+"/api/v1/policies/"+pol.ID, p.admin, pol, &pol); code != 200 || pol.Version != 2 {
		t.Fatalf("disable policy: %d %+v", code, pol)
	}
	if code := call(t, "PUT", p.base+"/api/v1/policies/"+pol.ID, p.admin, stale, &eb); code != 409 {
		t.Fatalf("stale update: %d, want 409", code)
	}
	if r := p.send(t, "About the tender, again"); r.Status != steward.StatusQueued {
		t.Fatalf("a disabled policy still applies: %+v", r)
	}
	var hist struct{ Versions []steward.Policy }
	if code := call(t, "GET", p.base+"/api/v1/policies/"+pol.ID+"?history=true", p.admin, nil, &hist); code != 200 || len(hist.Versions) != 2 {
		t.Fatalf("history: %d %+v", code, hist)
	}
	if len(p.auditActions(t, "policy.update")) != 1 {
		t.Error("the policy change was not audited")
	}
	// Separation of duties: the admin configures, but reads no content.
	for _, u := range []string{"/api/v1/review", "/api/v1/suppressions"} {
		if code := call(t, "GET", p.base+u, p.admin, nil, nil); code != 403 {
			t.Errorf("admin GET %s: %d, want 403", u, code)
		}
	}
	if code := call(t, "POST", p.base+"/api/v1/policies/dry-run", p.admin, compliance.DryRunRequest{}, nil); code != 403 {
		t.Errorf("admin dry run: %d, want 403", code)
	}
	if code := call(t, "POST", p.base+"/api/v1/tokens", p.admin, map[string]any{"name": "x", "scopes": []string{"compliance"}}, nil); code != 403 {
		t.Errorf("admin issuing a compliance token: %d, want 403", code)
	}

	// Exact data match: hashes in, matches out, values never stored.
	var edm steward.CustomDetector
	if code := call(t, "POST", p.base+"/api/v1/dlp/detectors", p.admin, map[string]any{"name": "case_numbers", "kind": "edm",
		"pattern": `\bCASE-\d{6}\b`, "confidence": 0.9, "enabled": true}, &edm); code != 201 {
		t.Fatalf("edm detector: %d", code)
	}
	hashes, _, code := runSteward(t, "dlp", "edm-hash", writeTemp(t, "CASE-204511\nCASE-300001\n"))
	if code != 0 {
		t.Fatalf("edm-hash: %s", hashes)
	}
	var n map[string]int
	if code := call(t, "PUT", p.base+"/api/v1/dlp/detectors/"+edm.ID+"/edm", p.admin,
		httpapi.EDMBody{Hashes: strings.Fields(hashes)}, &n); code != 200 || n["values"] != 2 {
		t.Fatalf("edm upload: %d %v", code, n)
	}
	if code := call(t, "POST", p.base+"/api/v1/policies", p.admin, map[string]any{"name": "case-numbers-outside", "kind": "message",
		"condition": `outside && finding("case_numbers") > 0`, "action": "block", "reason": "Case numbers stay inside.",
		"enabled": true}, nil); code != 201 {
		t.Fatalf("edm policy: %d", code)
	}
	if r := p.send(t, "Status of CASE-204511?"); r.Status != chat.StatusPolicyBlocked {
		t.Errorf("a listed case number was not blocked: %+v", r)
	}
	if r := p.send(t, "Status of CASE-999999?"); r.Status != steward.StatusQueued {
		t.Errorf("an unlisted case number was blocked: %+v", r)
	}
}

// TestPolicyGroupRules: group rules run before the channel is asked to
// change a group; an outside member waits for the supervisor's approval,
// and the change is made once approved.
func TestPolicyGroupRules(t *testing.T) {
	t.Parallel()
	const account, contact, colleagueNum, bossNum = "+12025550133", "+14155550133", "+12025550134", "+12025550135"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--account", colleagueNum, "--account", bossNum,
		"--contact", contact+",accept,30ms")
	e := newChatData(t)
	e.policies = true
	e.serve(t, simURL)
	boss := e.employee(t, "max@agency.example.gov", "Max Ortiz", bossNum, steward.IdentityGoverned)
	var dana steward.Employee
	if code := call(t, "POST", e.base+"/api/v1/employees", e.admin, map[string]string{"user_name": "dana@agency.example.gov",
		"display_name": "Dana Whitfield", "manager_id": boss.id}, &dana); code != 201 {
		t.Fatalf("create employee: %d", code)
	}
	if code := call(t, "PUT", e.base+"/api/v1/employees/"+dana.ID+"/identities", e.admin, map[string]any{
		"channel": "signal", "address": account, "mode": "governed"}, nil); code != 201 {
		t.Fatalf("identity: %d", code)
	}
	danaInbox := mustInbox(t, e, dana.ID)
	e.employee(t, "lee@agency.example.gov", "Lee Park", colleagueNum, steward.IdentityGoverned)
	e.addContact(t, danaInbox, contact, "Riley Chen")
	e.waitConsent(t, danaInbox, contact, steward.ConsentActive)

	// A plain employee may not create a group with an outside member.
	before := e.logSize(t)
	var eb httpapi.ErrorBody
	if code := call(t, "POST", e.base+"/api/v1/conversations", danaInbox, map[string]any{"title": "Flood relief",
		"members": []string{contact}}, &eb); code != 403 || !strings.Contains(eb.Error.Message, "supervisors") {
		t.Fatalf("create group with an outside member: %d %+v", code, eb)
	}
	if after := e.logSize(t); after != before {
		t.Errorf("a refused group change was archived as made: %d → %d", before, after)
	}
	// With colleagues only, it may.
	var g chat.ConversationView
	if code := call(t, "POST", e.base+"/api/v1/conversations", danaInbox, map[string]any{"title": "Flood relief",
		"members": []string{colleagueNum}}, &g); code != 201 {
		t.Fatalf("create group: %d", code)
	}
	// Adding the outside contact needs Max's approval.
	if code := call(t, "PATCH", e.base+"/api/v1/conversations/"+g.ID+"/members", danaInbox, map[string]any{
		"add": []string{contact}}, &eb); code != 403 || !strings.Contains(eb.Error.Message, "Max Ortiz") {
		t.Fatalf("add an outside member: %d %+v", code, eb)
	}
	// Only an outside member can never be made admin.
	if code := call(t, "PATCH", e.base+"/api/v1/conversations/"+g.ID+"/members", danaInbox, map[string]any{
		"admins": []string{contact}}, &eb); code != 403 {
		t.Fatalf("make an outside member admin: %d %+v", code, eb)
	}
	var pending struct{ Approvals []steward.Approval }
	if code := call(t, "GET", e.base+"/api/v1/approvals", boss.inbox, nil, &pending); code != 200 || len(pending.Approvals) != 1 {
		t.Fatalf("approvals for the supervisor: %d %+v", code, pending)
	}
	a := pending.Approvals[0]
	if code := call(t, "POST", e.base+"/api/v1/approvals/"+a.ID, danaInbox, httpapi.ApprovalDecision{Approve: true}, nil); code != 403 {
		t.Fatalf("the requester approving their own request: %d, want 403", code)
	}
	var decided steward.Approval
	if code := call(t, "POST", e.base+"/api/v1/approvals/"+a.ID, boss.inbox, httpapi.ApprovalDecision{Approve: true,
		Note: "Riley coordinates the county response."}, &decided); code != 200 || decided.State != steward.ApprovalApproved {
		t.Fatalf("approve: %d %+v", code, decided)
	}
	var msgs httpapi.MessagesResponse
	if code := call(t, "GET", e.base+"/api/v1/conversations/"+g.ID+"/messages", danaInbox, nil, &msgs); code != 200 {
		t.Fatalf("group: %d", code)
	}
	member := false
	for _, m := range msgs.Conversation.Members {
		member = member || m.Address == contact
	}
	if !member {
		t.Fatalf("the approved member was not added: %+v", msgs.Conversation.Members)
	}
}

func mustInbox(t *testing.T, e *chatEnv, employeeID string) string {
	t.Helper()
	var tok httpapi.TokenResponse
	if code := call(t, "POST", e.base+"/api/v1/tokens", e.admin, map[string]any{"name": "inbox-" + employeeID,
		"scopes": []string{"inbox"}, "employee_id": employeeID}, &tok); code != 201 {
		t.Fatalf("inbox token: %d", code)
	}
	return tok.Token
}

// writeTemp writes text to a file in the test's temporary directory and
// returns its path.
func writeTemp(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
