package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// TestRecordsLifecycle runs the records-management life of a message end
// to end, as separate processes over HTTP: capture → schedule assignment
// (sealed in the record's metadata) → legal hold, with the custodian's
// notice acknowledged → a disposition approved before the hold is refused
// at execution, and no new one can be proposed → release → disposition
// under the two-person rule → a certificate signed by the log key → the
// content is gone → `steward verify` passes and lists the tombstones.
//
// A schedule item with zero retention and no cutoff period, made through
// the API, and a rule that puts the test's messages on it make the
// records due the moment they are captured, so no clock is moved.
func TestRecordsLifecycle(t *testing.T) {
	t.Parallel()
	const danaAddr, erinAddr = "+12025550171", "+12025550172"
	data := t.TempDir()
	admin := mustToken(t, data, "records-admin", "admin")
	capture := mustToken(t, data, "records-capture", "capture")
	read := mustToken(t, data, "records-reader", "read")
	system := mustToken(t, data, "records-system", "records") // a records system's machine token
	auditor := mustToken(t, data, "records-auditor", "audit")
	provisioning := mustToken(t, data, "records-scim", "scim")
	s := startServer(t, "serve", data, "--default-policies", "false")
	base := s.base

	// The organization: Dana and Erin (staff), three records managers and
	// counsel, each with a work identity on the capture API's channel and
	// an inbox token; roles from SCIM groups.
	employee := func(user, name, addr string) employeeEnv {
		t.Helper()
		var emp steward.Employee
		if code := call(t, "POST", base+"/api/v1/employees", admin, map[string]string{"user_name": user, "display_name": name}, &emp); code != 201 {
			t.Fatalf("create employee %s: %d", user, code)
		}
		out := employeeEnv{id: emp.ID}
		if code := call(t, "PUT", base+"/api/v1/employees/"+emp.ID+"/identities", admin, map[string]any{
			"channel": "api", "address": addr, "mode": steward.IdentityGoverned}, &out.identity); code != 201 {
			t.Fatalf("identity %s: %d", addr, code)
		}
		var tok httpapi.TokenResponse
		if code := call(t, "POST", base+"/api/v1/tokens", admin, map[string]any{"name": user + "-inbox",
			"scopes": []string{"inbox"}, "employee_id": emp.ID}, &tok); code != 201 {
			t.Fatalf("inbox token: %d", code)
		}
		out.inbox = tok.Token
		return out
	}
	dana := employee("dana@agency.example.gov", "Dana Whitfield", danaAddr)
	erin := employee("erin@agency.example.gov", "Erin Okafor", erinAddr)
	rm1 := employee("rm1@agency.example.gov", "Rosa Mendez", "+12025550173")
	rm2 := employee("rm2@agency.example.gov", "Ravi Menon", "+12025550174")
	rm3 := employee("rm3@agency.example.gov", "Ruth Miller", "+12025550175")
	counsel := employee("counsel@agency.example.gov", "Lee Counsel", "+12025550176")
	group := func(name string, members ...employeeEnv) {
		t.Helper()
		var ms []map[string]string
		for _, m := range members {
			ms = append(ms, map[string]string{"value": m.id})
		}
		if code := call(t, "POST", base+"/scim/v2/Groups", provisioning, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": ms}, nil); code != 201 {
			t.Fatalf("SCIM group %s: %d", name, code)
		}
	}
	group("Records Management", rm1, rm2, rm3)
	group("Office of Counsel", counsel)
	if code := call(t, "PUT", base+"/api/v1/role-mappings", admin, map[string]any{"mappings": []map[string]string{
		{"group": "Records Management", "role": "records_manager"}, {"group": "Office of Counsel", "role": "legal"}}}, nil); code != 200 {
		t.Fatalf("role mappings: %d", code)
	}

	// Separation of duties: an admin neither issues records tokens nor
	// touches the file plan.
	if code := call(t, "POST", base+"/api/v1/tokens", admin, map[string]any{"name": "sneaky", "scopes": []string{"records"}}, nil); code != 403 {
		t.Fatalf("admin issues a records token: %d, want 403", code)
	}
	if code := call(t, "GET", base+"/api/v1/schedules", admin, nil, nil); code != 403 {
		t.Fatalf("admin reads the file plan: %d, want 403", code)
	}

	// The defaults were installed on first start.
	var plan httpapi.ScheduleBody
	if code := call(t, "GET", base+"/api/v1/schedules", rm1.inbox, nil, &plan); code != 200 ||
		!slices.ContainsFunc(plan.Items, func(it steward.ScheduleItem) bool { return it.ID == "grs-6.1-010" && it.Permanent }) {
		t.Fatalf("built-in schedules: %d %+v", code, plan)
	}
	var rules httpapi.RulesBody
	if code := call(t, "GET", base+"/api/v1/assignment-rules", system, nil, &rules); code != 200 || len(rules.Rules) != 3 {
		t.Fatalf("default rules: %d %+v", code, rules)
	}

	// A zero-retention item and a rule for this test's channel.
	item := steward.ScheduleItem{Schedule: "E2E", Item: "001", Title: "End-to-end test records", Authority: "DAA-E2E-0001",
		Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionDestroy}
	if code := call(t, "PUT", base+"/api/v1/schedules/e2e-zero", system, item, &item); code != 201 || item.Version != 1 {
		t.Fatalf("create item: %d %+v", code, item)
	}
	var eb httpapi.ErrorBody
	if code := call(t, "POST", base+"/api/v1/assignment-rules", rm1.inbox, map[string]any{"name": "typo",
		"condition": `chanel == "api"`, "item_id": "e2e-zero", "enabled": true}, &eb); code != 400 || !strings.Contains(eb.Error.Message, "chanel") {
		t.Fatalf("a rule that does not compile: %d %+v", code, eb)
	}
	var rule steward.AssignmentRule
	if code := call(t, "POST", base+"/api/v1/assignment-rules", rm1.inbox, map[string]any{"name": "e2e-api",
		"condition": `channel == "api"`, "item_id": "e2e-zero", "priority": 1, "enabled": true}, &rule); code != 201 {
		t.Fatalf("create rule: %d %+v", code, rule)
	}

	// Capture: one message to Dana with an attachment, one to Erin.
	to := func(id, addr, body string) map[string]any {
		m := msg(id, body)
		m["recipients"] = []map[string]string{{"address": addr}}
		return m
	}
	forDana := to("rec-1", danaAddr, "the lease terms")
	forDana["attachments"] = []map[string]string{{"filename": "lease.txt",
		"data": base64.StdEncoding.EncodeToString([]byte("twelve months"))}}
	var a, b httpapi.CaptureResponse
	if code := call(t, "POST", base+"/api/v1/capture", capture, forDana, &a); code != 201 || len(a.Attachments) != 1 {
		t.Fatalf("capture for Dana: %d %+v", code, a)
	}
	if code := call(t, "POST", base+"/api/v1/capture", capture, to("rec-2", erinAddr, "see you Monday"), &b); code != 201 {
		t.Fatalf("capture for Erin: %d", code)
	}
	family := []string{a.RecordID, a.Attachments[0].ID}
	for _, id := range append(family, b.RecordID) {
		var rec httpapi.RecordResponse
		if code := call(t, "GET", base+"/api/v1/records/"+id+"?purpose=records-e2e", read, nil, &rec); code != 200 {
			t.Fatalf("read %s: %d", id, code)
		}
		var meta steward.RecordMeta
		if err := json.Unmarshal(rec.Meta, &meta); err != nil || meta.Schedule == nil ||
			meta.Schedule.ItemID != "e2e-zero" || meta.Schedule.RuleName != "e2e-api" || meta.Schedule.RuleID != rule.ID {
			t.Fatalf("record %s metadata: %s", id, rec.Meta)
		}
	}

	// A batch of everything eligible, approved before any hold. Besides
	// the two messages it holds the consent requests Steward sent the
	// unknown sender from Dana's and Erin's numbers: consent traffic is
	// scheduled with the conversation it belongs to.
	propose := func(token string, req recordkeeping.ProposeRequest) (int, steward.DispositionBatch) {
		t.Helper()
		var batch steward.DispositionBatch
		code := call(t, "POST", base+"/api/v1/disposition/batches", token, req, &batch)
		return code, batch
	}
	ids := func(b steward.DispositionBatch) []string {
		var out []string
		for _, r := range b.Records {
			out = append(out, r.RecordID)
		}
		return out
	}
	code, early := propose(rm1.inbox, recordkeeping.ProposeRequest{Action: steward.DispositionDestroy})
	if code != 201 || !containsAll(ids(early), append(family, b.RecordID)) || early.RequiredApprovals != 2 {
		t.Fatalf("propose: %d %+v", code, early)
	}
	batchURL := func(b steward.DispositionBatch, action string) string {
		return base + "/api/v1/disposition/batches/" + b.ID + action
	}
	for _, rm := range []employeeEnv{rm2, rm3} {
		if code := call(t, "POST", batchURL(early, "/approve"), rm.inbox, nil, &early); code != 200 {
			t.Fatalf("approve: %d", code)
		}
	}
	if early.State != steward.BatchApproved {
		t.Fatalf("batch after two approvals: %+v", early)
	}

	// Counsel places a hold on Dana's records; Dana is notified and
	// acknowledges.
	var hold steward.Hold
	if code := call(t, "POST", base+"/api/v1/holds", counsel.inbox, httpapi.HoldRequest{Name: "Doe v. Agency",
		Reason: "litigation hold letter of 2026-11-20", Custodians: []string{dana.id}}, &hold); code != 201 || hold.Owner != counsel.id {
		t.Fatalf("place hold: %d %+v", code, hold)
	}
	var preview recordkeeping.Preview
	if code := call(t, "GET", base+"/api/v1/holds/"+hold.ID+"/preview", counsel.inbox, nil, &preview); code != 200 ||
		!slices.Contains(preview.Records, a.RecordID) || slices.Contains(preview.Records, b.RecordID) {
		t.Fatalf("hold preview: %d %+v", code, preview)
	}
	var notices struct{ Notices []recordkeeping.Notice }
	if code := call(t, "GET", base+"/api/v1/hold-notices", dana.inbox, nil, &notices); code != 200 ||
		len(notices.Notices) != 1 || notices.Notices[0].HoldID != hold.ID {
		t.Fatalf("Dana's hold notices: %d %+v", code, notices)
	}
	if code := call(t, "POST", base+"/api/v1/hold-notices/"+hold.ID+"/acknowledge", erin.inbox, nil, nil); code != 404 {
		t.Fatalf("Erin acknowledges Dana's notice: %d, want 404", code)
	}
	var ack recordkeeping.Notice
	if code := call(t, "POST", base+"/api/v1/hold-notices/"+hold.ID+"/acknowledge", dana.inbox, nil, &ack); code != 200 ||
		ack.AcknowledgedAt == nil {
		t.Fatalf("acknowledge: %d %+v", code, ack)
	}

	// The attempted disposition is refused: the approved batch at
	// execution, a new proposal of the held record, and the report says
	// why.
	if code := call(t, "POST", batchURL(early, "/execute"), rm1.inbox, nil, &eb); code != 409 ||
		!strings.Contains(eb.Error.Message, "held by "+hold.ID) {
		t.Fatalf("execute a batch with a held record: %d %+v", code, eb)
	}
	if code := call(t, "POST", base+"/api/v1/disposition/batches", rm1.inbox, recordkeeping.ProposeRequest{
		Action: steward.DispositionDestroy, RecordIDs: []string{a.RecordID}}, &eb); code != 409 {
		t.Fatalf("propose the held record: %d %+v", code, eb)
	}
	var rep recordkeeping.Report
	if code := call(t, "GET", base+"/api/v1/reports/eligibility?all=true", rm1.inbox, nil, &rep); code != 200 ||
		rep.Held != preview.Covered || rep.Eligible != rep.Evaluated-rep.Held {
		t.Fatalf("eligibility report under the hold: %d %+v", code, rep)
	}
	for _, v := range rep.Records {
		switch v.RecordID {
		case a.RecordID:
			if v.Eligible || !slices.Equal(v.HeldBy, []string{hold.ID}) || !strings.Contains(v.Reason, "held by") {
				t.Fatalf("held record's verdict: %+v", v)
			}
		case b.RecordID:
			if !v.Eligible || v.Action != steward.DispositionDestroy || v.Authority != "DAA-E2E-0001" {
				t.Fatalf("unheld record's verdict: %+v", v)
			}
		}
	}
	var held httpapi.RecordResponse
	if code := call(t, "GET", base+"/api/v1/records/"+a.RecordID+"?purpose=records-e2e", read, nil, &held); code != 200 || held.Shredded {
		t.Fatalf("the held record after the refused execution: %d %+v", code, held)
	}

	// Release, cancel the stale batch, and dispose under the two-person
	// rule.
	if code := call(t, "POST", base+"/api/v1/holds/"+hold.ID+"/release", counsel.inbox,
		httpapi.ReasonRequest{Reason: "case dismissed"}, &hold); code != 200 || hold.ReleasedAt == nil {
		t.Fatalf("release: %d %+v", code, hold)
	}
	if code := call(t, "POST", batchURL(early, "/cancel"), rm1.inbox, httpapi.ReasonRequest{Reason: "proposed before the hold"}, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	code, batch := propose(rm1.inbox, recordkeeping.ProposeRequest{Action: steward.DispositionDestroy, ItemID: "e2e-zero"})
	if code != 201 || !slices.Equal(slices.Sorted(slices.Values(ids(batch))), slices.Sorted(slices.Values(ids(early)))) {
		t.Fatalf("propose after release: %d %+v", code, batch)
	}
	if code := call(t, "POST", batchURL(batch, "/approve"), rm1.inbox, nil, &eb); code != 403 || !strings.Contains(eb.Error.Message, "two-person") {
		t.Fatalf("the requester approves their own batch: %d %+v", code, eb)
	}
	if code := call(t, "POST", batchURL(batch, "/approve"), rm2.inbox, nil, nil); code != 200 {
		t.Fatalf("first approval: %d", code)
	}
	if code := call(t, "POST", batchURL(batch, "/execute"), rm2.inbox, nil, &eb); code != 409 {
		t.Fatalf("execute with one approval: %d %+v", code, eb)
	}
	if code := call(t, "POST", batchURL(batch, "/approve"), rm3.inbox, nil, nil); code != 200 {
		t.Fatalf("second approval: %d", code)
	}
	var done httpapi.ExecutionBody
	if code := call(t, "POST", batchURL(batch, "/execute"), rm1.inbox, nil, &done); code != 200 || done.Shredded != len(batch.Records) ||
		done.Batch.State != steward.BatchExecuted {
		t.Fatalf("execute: %d %+v", code, done)
	}

	// The certificate, verified with the log's public key by a reader
	// who trusts nothing but that key.
	var cert httpapi.CertificateBody
	if code := call(t, "GET", batchURL(batch, "/certificate"), rm3.inbox, nil, &cert); code != 200 || cert.Note != done.Certificate.Note {
		t.Fatalf("certificate: %d %+v", code, cert)
	}
	vkey, err := os.ReadFile(filepath.Join(data, "keys", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(cert.Note), note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("the certificate does not verify with the log key: %v", err)
	}
	c, err := records.ParseCertificate([]byte(n.Text))
	if err != nil {
		t.Fatal(err)
	}
	var certified []string
	for _, r := range c.Records {
		certified = append(certified, r.RecordID)
		if r.ItemID != "e2e-zero" || r.Authority != "DAA-E2E-0001" {
			t.Errorf("certified record %+v", r)
		}
	}
	want := slices.Sorted(slices.Values(ids(batch)))
	if c.BatchID != batch.ID || c.RequestedBy != rm1.id || c.ExecutedBy != rm1.id || len(c.Approvals) != 2 ||
		c.Approvals[0].By != rm2.id || c.Approvals[1].By != rm3.id || !slices.Equal(slices.Sorted(slices.Values(certified)), want) {
		t.Fatalf("certificate: %+v", c)
	}
	for _, r := range c.Records {
		var proof archive.Proof
		if code := call(t, "GET", base+"/api/v1/records/"+r.RecordID+"/proof", read, nil, &proof); code != 200 || proof.LeafIndex != r.LeafIndex || proof.LeafHash != r.LeafHash {
			t.Fatalf("proof of %s: %d %+v", r.RecordID, code, proof)
		}
	}

	// The content is gone.
	var gone httpapi.RecordResponse
	if code := call(t, "GET", base+"/api/v1/records/"+a.RecordID+"?purpose=records-e2e", read, nil, &gone); code != 200 ||
		!gone.Shredded || gone.Content != nil {
		t.Fatalf("a destroyed record: %d %+v", code, gone)
	}
	if code := call(t, "GET", base+"/api/v1/records/"+a.Attachments[0].ID+"/blob?purpose=records-e2e", read, nil, &eb); code != 410 {
		t.Fatalf("a destroyed attachment's bytes: %d %+v, want 410", code, eb)
	}

	// Everything was audited; the auditor reads the trail.
	for _, action := range []string{"schedule.create", "assignment_rule.create", "hold.create", "hold.notice", "hold.acknowledge",
		"hold.release", "disposition.propose", "disposition.approve", "disposition.cancel", "disposition.execute",
		"disposition.certificate"} {
		var out struct{ Entries []httpapi.AuditEntry }
		if code := call(t, "GET", base+"/api/v1/audit?action="+action, auditor, nil, &out); code != 200 || len(out.Entries) == 0 {
			t.Errorf("%s not audited: %d", action, code)
		}
	}

	// verify, offline, passes and shows the tombstones.
	s.stop(t)
	out, errs, exit := runSteward(t, "verify", "--data", data, "--tombstones")
	if exit != 0 || !strings.Contains(out, "OK: archive verified") {
		t.Fatalf("verify after disposition: exit %d\n%s\n%s", exit, out, errs)
	}
	if !strings.Contains(out, fmt.Sprintf("(%d shredded,", len(want))) ||
		!strings.Contains(out, fmt.Sprintf("%d tombstones of disposed records, 1 certificates of disposition verified", len(want))) {
		t.Fatalf("verify does not report the disposition:\n%s", out)
	}
	for _, id := range want {
		line := lineWith(out, id)
		if !strings.Contains(line, "e2e-zero") || !strings.Contains(line, "DAA-E2E-0001") || !strings.Contains(line, batch.ID) {
			t.Errorf("tombstone of %s: %q\n%s", id, line, out)
		}
	}

	// A tombstone that no longer matches its leaf, and a forged
	// certificate, fail the verification.
	execSQL(t, data, `UPDATE tombstones SET leaf_hash = zeroblob(32) WHERE record_id = ?`, b.RecordID)
	forged := strings.Replace(cert.Note, "approved-by "+rm2.id, "approved-by "+rm1.id, 1)
	execSQL(t, data, `UPDATE disposition_certificates SET note = ? WHERE batch_id = ?`, []byte(forged), batch.ID)
	out, _, exit = runSteward(t, "verify", "--data", data)
	if exit == 0 || !strings.Contains(out, "BAD tombstone of record "+b.RecordID) ||
		!strings.Contains(out, "BAD certificate of batch "+batch.ID+": signature does not verify") {
		t.Fatalf("verify with a bad tombstone and a forged certificate: exit %d\n%s", exit, out)
	}
}

// containsAll reports whether have holds every one of want.
func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// lineWith returns the first line of out that contains s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
