package recordkeeping_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// TestRecordsAssignAtCapture: every record of an item carries the
// assignment made at capture, from the roles as they were then; a later
// role change moves new records only.
func TestRecordsAssignAtCapture(t *testing.T) {
	e := newEnv(t)

	staff := e.capture(message(danaAddr, rileyAddr, "lunch at noon?", attachment("menu.txt", "soup")))
	boss := e.capture(message(maxAddr, rileyAddr, "the budget is approved"))
	capstone := e.capture(message(rileyAddr, carlaAddr, "congratulations on the appointment"))
	for _, c := range []struct {
		ref  string
		item string
		rule string
	}{
		{staff.Ref.ID, "grs-6.1-030", "other-messages"},
		{staff.Attachments[0].ID, "grs-6.1-030", "other-messages"},
		{boss.Ref.ID, "grs-6.1-020", "senior-officials"},
		{capstone.Ref.ID, "grs-6.1-010", "capstone-officials"},
	} {
		sealed := e.sealedSchedule(c.ref)
		if sealed == nil || sealed.ItemID != c.item || sealed.RuleName != c.rule || sealed.Unscheduled {
			t.Errorf("record %s sealed with %+v, want %s by %s", c.ref, sealed, c.item, c.rule)
		}
		if idx := e.indexed(c.ref); idx == nil || idx.Assignment != *sealed {
			t.Errorf("record %s indexed as %+v, sealed as %+v", c.ref, idx, sealed)
		}
	}

	// Max stops being a supervisor: his new messages are staff messages,
	// his old one stays where it was put.
	if _, err := e.db.RemoveGroupMembers(e.ctx, e.supervisors.ID, []string{e.max.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.svc.Forget()
	later := e.capture(message(maxAddr, rileyAddr, "handing over the budget"))
	if a := e.sealedSchedule(later.Ref.ID); a == nil || a.ItemID != "grs-6.1-030" {
		t.Fatalf("after the role change: %+v, want grs-6.1-030", a)
	}
	if a := e.sealedSchedule(boss.Ref.ID); a.ItemID != "grs-6.1-020" {
		t.Fatalf("the old record moved to %+v", a)
	}
	if h, err := e.svc.Assignment(e.ctx, boss.Ref.ID); err != nil || len(h) != 1 || h[0].ItemID != "grs-6.1-020" {
		t.Fatalf("the old record's history: %+v %v", h, err)
	}

	// DLP findings reach the rules, and a policy decision record follows
	// its message.
	if _, err := e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "ssn-cases", Condition: `"us_ssn" in findings`,
		ItemID: "agency-case-010", Priority: 5, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	ssn := e.capture(message(rileyAddr, danaAddr, "my SSN is 536-22-8761"))
	if ssn.DecisionRef == nil {
		t.Fatal("the SSN message has no archived policy decision")
	}
	for _, id := range []string{ssn.Ref.ID, ssn.DecisionRef.ID} {
		if a := e.sealedSchedule(id); a == nil || a.ItemID != "agency-case-010" {
			t.Errorf("record %s: %+v, want agency-case-010", id, a)
		}
		if e.indexed(id) == nil {
			t.Errorf("record %s not indexed", id)
		}
	}
	// Audit records are never scheduled.
	for _, a := range e.audits("assignment_rule.create") {
		if e.sealedSchedule(a.ID) != nil || e.indexed(a.ID) != nil {
			t.Fatalf("audit record %s was scheduled", a.ID)
		}
	}
}

// TestRecordsReconcile: a record captured but not indexed (a crash
// between capture and routing) is indexed at the next start, once.
func TestRecordsReconcile(t *testing.T) {
	e := newEnv(t)
	routed := e.capture(message(rileyAddr, danaAddr, "first"))
	e.pipe.Router = nil
	lost := e.capture(message(rileyAddr, danaAddr, "second", attachment("a.txt", "x"), attachment("b.txt", "y")))
	ids := []string{lost.Ref.ID, lost.Attachments[0].ID, lost.Attachments[1].ID}
	for _, id := range ids {
		if e.indexed(id) != nil {
			t.Fatalf("record %s indexed without a router", id)
		}
	}
	n, err := e.svc.Reconcile(e.ctx)
	if err != nil || n != 3 {
		t.Fatalf("reconcile: %d, %v; want 3", n, err)
	}
	for _, id := range append(ids, routed.Ref.ID) {
		if a := e.indexed(id); a == nil || a.ItemID != "grs-6.1-030" || a.AssignedBy != "" {
			t.Fatalf("record %s after reconcile: %+v", id, a)
		}
	}
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Fatalf("second reconcile: %d, %v; want 0", n, err)
	}
}

// TestRecordsHoldsCoverLaterCaptures: a hold covers records captured
// after it was placed, its custodians get a notice they acknowledge, and
// release restores eligibility.
func TestRecordsHoldsCoverLaterCaptures(t *testing.T) {
	e := newEnv(t)
	e.zeroRetention()
	before := e.capture(message(rileyAddr, danaAddr, "before the hold"))
	h, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "Smith v. Agency", Reason: "litigation",
		Owner: e.carla.ID, Custodians: []string{e.dana.ID}})
	if err != nil {
		t.Fatal(err)
	}
	after := e.capture(message(rileyAddr, danaAddr, "after the hold"))
	other := e.capture(message(samAddr, maxAddr, "not Dana's"))

	rep, err := e.svc.Report(e.ctx, recordkeeping.ReportQuery{All: true})
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(rep *recordkeeping.Report, id string) records.Eligibility {
		t.Helper()
		i := slices.IndexFunc(rep.Records, func(v records.Eligibility) bool { return v.RecordID == id })
		if i < 0 {
			t.Fatalf("record %s not in the report %+v", id, rep.Records)
		}
		return rep.Records[i]
	}
	for _, c := range []string{before.Ref.ID, after.Ref.ID} {
		if v := verdict(rep, c); v.Eligible || !slices.Equal(v.HeldBy, []string{h.ID}) {
			t.Errorf("held record %s: %+v", c, v)
		}
	}
	if v := verdict(rep, other.Ref.ID); !v.Eligible || v.Action != steward.DispositionDestroy || v.Authority != "DAA-TEST-0001" {
		t.Errorf("unheld record: %+v", v)
	}
	if rep.Held != 2 || rep.Eligible != 1 {
		t.Errorf("report counts: %d held, %d eligible", rep.Held, rep.Eligible)
	}
	p, err := e.svc.PreviewHold(e.ctx, h.ID, 0)
	if err != nil || p.Covered != 2 || !slices.Contains(p.Records, after.Ref.ID) || slices.Contains(p.Records, other.Ref.ID) {
		t.Fatalf("preview: %+v %v", p, err)
	}
	_, err = e.svc.Propose(e.ctx, "rm-1", recordkeeping.ProposeRequest{Action: steward.DispositionDestroy,
		RecordIDs: []string{after.Ref.ID}})
	wantKind(t, "propose a held record", err, steward.Conflict, "held by "+h.ID)

	// The custodian's notice, and its acknowledgement, archived.
	ns, err := e.svc.Notices(e.ctx, e.dana.ID, false)
	if err != nil || len(ns) != 1 || ns[0].HoldID != h.ID || ns[0].AcknowledgedAt != nil {
		t.Fatalf("Dana's notices: %+v %v", ns, err)
	}
	if _, err := e.svc.Acknowledge(e.ctx, e.max.ID, h.ID); !steward.Is(steward.NotFound, err) {
		t.Fatalf("a non-custodian acknowledges: %v", err)
	}
	if _, err := e.svc.Acknowledge(e.ctx, e.dana.ID, h.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Acknowledge(e.ctx, e.dana.ID, h.ID)
	wantKind(t, "acknowledge twice", err, steward.Conflict)
	acks := e.audits("hold.acknowledge")
	detail, err := e.svc.Hold(e.ctx, h.ID)
	if err != nil || len(acks) != 1 || acks[0].Actor != e.dana.ID || len(detail.Notices) != 1 ||
		detail.Notices[0].AckRecordID != acks[0].ID || detail.Notices[0].NoticeRecordID != e.audits("hold.notice")[0].ID {
		t.Fatalf("acknowledgement not archived: %+v %+v %v", acks, detail, err)
	}

	if _, err := e.svc.ReleaseHold(e.ctx, "counsel", h.ID, ""); !steward.Is(steward.Invalid, err) {
		t.Fatalf("release without a reason: %v", err)
	}
	if _, err := e.svc.ReleaseHold(e.ctx, "counsel", h.ID, "settled"); err != nil {
		t.Fatal(err)
	}
	if rep, err = e.svc.Report(e.ctx, recordkeeping.ReportQuery{Action: steward.DispositionDestroy}); err != nil {
		t.Fatal(err)
	}
	if rep.Eligible != 3 || rep.Held != 0 || !verdict(rep, after.Ref.ID).Eligible {
		t.Fatalf("after release: %+v", rep)
	}
	if len(e.audits("hold.create")) != 1 || len(e.audits("hold.release")) != 1 {
		t.Fatal("hold changes not audited")
	}
}

// TestRecordsExecutionRefusesNewlyHeld walks a batch through the
// two-person rule, is stopped by a hold placed after approval, and then
// destroys: the content is gone, blobs deleted, tombstones kept, the
// certificate signed by the log key and archived, and the log still
// verifies.
func TestRecordsExecutionRefusesNewlyHeld(t *testing.T) {
	e := newEnv(t)
	e.zeroRetention()
	doomed := e.capture(message(rileyAddr, danaAddr, "my SSN is 536-22-8761", attachment("form.txt", "the form")))
	kept := e.capture(message(samAddr, maxAddr, "keep me"))
	if doomed.DecisionRef == nil {
		t.Fatal("no archived policy decision")
	}
	family := []string{doomed.Ref.ID, doomed.Attachments[0].ID, doomed.DecisionRef.ID}

	b, err := e.svc.Propose(e.ctx, "rm-1", recordkeeping.ProposeRequest{Action: steward.DispositionDestroy,
		RecordIDs: []string{doomed.Ref.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var inBatch []string
	for _, r := range b.Records {
		inBatch = append(inBatch, r.RecordID)
	}
	if !slices.Equal(slices.Sorted(slices.Values(inBatch)), slices.Sorted(slices.Values(family))) || b.RequiredApprovals != 2 {
		t.Fatalf("batch records %v, want the message with its attachment and decision %v; %d approvals", inBatch, family, b.RequiredApprovals)
	}
	_, err = e.svc.Approve(e.ctx, "rm-1", b.ID)
	wantKind(t, "the requester approves", err, steward.Permission, "two-person")
	if _, err := e.svc.Approve(e.ctx, "rm-2", b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Execute(e.ctx, "rm-2", b.ID)
	wantKind(t, "execute with one approval", err, steward.Conflict, "not approved")
	if b, err = e.svc.Approve(e.ctx, "rm-3", b.ID); err != nil || b.State != steward.BatchApproved {
		t.Fatalf("second approval: %+v %v", b, err)
	}

	h, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "late hold", Reason: "new claim", Owner: e.carla.ID,
		Custodians: []string{e.dana.ID}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Execute(e.ctx, "rm-2", b.ID)
	wantKind(t, "execute a held batch", err, steward.Conflict, "held by "+h.ID)
	for _, id := range family {
		if rec, err := e.db.RecordByID(e.ctx, id); err != nil || rec.Shredded() {
			t.Fatalf("record %s shredded by a refused execution: %v", id, err)
		}
	}
	if _, err := e.svc.ReleaseHold(e.ctx, "counsel", h.ID, "claim withdrawn"); err != nil {
		t.Fatal(err)
	}
	x, err := e.svc.Execute(e.ctx, "rm-2", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Shredded != 3 || x.WALPending || x.Batch.State != steward.BatchExecuted {
		t.Fatalf("execution: %+v", x)
	}
	_, err = e.svc.Execute(e.ctx, "rm-2", b.ID)
	wantKind(t, "execute twice", err, steward.Conflict)

	// The content is gone, for good; the kept record is not.
	if _, _, _, err := e.reader.Open(e.ctx, doomed.Ref.ID); !steward.Is(steward.Gone, err) {
		t.Fatalf("open a destroyed message: %v", err)
	}
	if _, _, _, err := e.reader.Attachment(e.ctx, doomed.Attachments[0].ID); !steward.Is(steward.Gone, err) {
		t.Fatalf("open a destroyed attachment: %v", err)
	}
	attRec, _ := e.db.RecordByID(e.ctx, doomed.Attachments[0].ID)
	attMeta, _, _ := e.reader.OpenRecord(e.ctx, attRec)
	if _, err := e.blobs.Stat(e.ctx, attMeta.Blob.Key); !steward.Is(steward.NotFound, err) {
		t.Fatalf("the destroyed attachment's sealed bytes remain: %v", err)
	}
	if _, _, _, err := e.reader.Open(e.ctx, kept.Ref.ID); err != nil {
		t.Fatalf("the kept record: %v", err)
	}

	// Tombstones, and the certificate.
	for _, id := range family {
		ts, err := e.db.TombstoneByRecord(e.ctx, id)
		rec, _ := e.db.RecordByID(e.ctx, id)
		if err != nil || ts.BatchID != b.ID || ts.ItemID != "test-zero" || ts.Authority != "DAA-TEST-0001" ||
			ts.LeafIndex != rec.LeafIndex || ts.LeafHash != archive.LeafHash(rec.Leaf) {
			t.Fatalf("tombstone of %s: %+v %v", id, ts, err)
		}
	}
	sc, err := e.svc.Certificate(e.ctx, b.ID)
	if err != nil || string(sc.Note) != string(x.Certificate.Note) {
		t.Fatalf("certificate: %+v %v", sc, err)
	}
	n, err := note.Open(sc.Note, note.VerifierList(e.verifier))
	if err != nil {
		t.Fatalf("the certificate does not verify with the log key: %v", err)
	}
	cert, err := records.ParseCertificate([]byte(n.Text))
	if err != nil {
		t.Fatal(err)
	}
	if cert.BatchID != b.ID || cert.RequestedBy != "rm-1" || cert.ExecutedBy != "rm-2" || len(cert.Approvals) != 2 ||
		cert.Approvals[0].By != "rm-2" || cert.Approvals[1].By != "rm-3" || len(cert.Records) != 3 {
		t.Fatalf("certificate: %+v", cert)
	}
	for _, cr := range cert.Records {
		rec, _ := e.db.RecordByID(e.ctx, cr.RecordID)
		if !slices.Contains(family, cr.RecordID) || cr.LeafHash != archive.LeafHash(rec.Leaf) {
			t.Fatalf("certified record %+v", cr)
		}
	}
	archived := e.audits("disposition.certificate")
	if len(archived) != 1 || archived[0].ID != sc.RecordID || archived[0].Details["note"] != string(sc.Note) {
		t.Fatalf("certificate not archived as a record: %+v", archived)
	}
	if len(e.audits("disposition.approve")) != 2 || len(e.audits("disposition.execute")) != 1 {
		t.Fatal("approvals and executions not audited")
	}

	// The log still verifies, reporting the shredded records as such.
	if err := e.log.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Checkpoint(e.ctx, e.log.Size()); err != nil {
		t.Fatal(err)
	}
	rep, err := archive.Verify(e.ctx, archive.VerifyOptions{Store: e.db, Blobs: e.blobs, Verifier: e.verifier,
		Open: func(ctx context.Context, r *steward.Record) error {
			_, err := e.envelope.OpenRecord(ctx, r)
			return err
		}})
	if err != nil || !rep.OK() || rep.Shredded != 3 {
		t.Fatalf("verify after disposition: %+v %v", rep, err)
	}

	// Destroyed records leave the report; the kept one is still there.
	after, err := e.svc.Report(e.ctx, recordkeeping.ReportQuery{All: true})
	if err != nil || after.Evaluated != 1 || after.Records[0].RecordID != kept.Ref.ID {
		t.Fatalf("report after disposition: %+v %v", after, err)
	}
}

// TestRecordsSchedulesAndRules: schedule items and rules are checked
// (CEL at save), versioned and audited, and in force at once; a record is
// reassigned with its attachments.
func TestRecordsSchedulesAndRules(t *testing.T) {
	e := newEnv(t)
	if items, rules, err := e.svc.InstallDefaults(e.ctx, "system"); err != nil || items != 0 || rules != 0 {
		t.Fatalf("defaults installed twice: %d, %d, %v", items, rules, err)
	}
	_, err := e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "typo", Condition: "sender.capstoen",
		ItemID: "grs-6.1-010", Enabled: true})
	wantKind(t, "a rule that does not compile", err, steward.Invalid, "capstoen")
	_, err = e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "nowhere", Condition: "true", ItemID: "no-such-item",
		Enabled: true})
	wantKind(t, "a rule on an unknown item", err, steward.Invalid, "no-such-item")
	_, err = e.svc.SaveItem(e.ctx, "rm", &steward.ScheduleItem{ID: "bad", Title: "Permanent but destroyed", Authority: "X",
		Permanent: true, Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionDestroy})
	wantKind(t, "a permanent item that says destroy", err, steward.Invalid, "permanent")
	if len(e.audits("assignment_rule.create")) != 3 || len(e.audits("schedule.create")) != 5 {
		t.Fatal("refused changes were audited, or defaults were not")
	}

	r, err := e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "riley", Condition: `participants.exists(p, p.employee_id == "")`,
		ItemID: "grs-5.2-010", Priority: 1, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.capture(message(rileyAddr, danaAddr, "see attached", attachment("note.txt", "n")))
	if a := e.sealedSchedule(c.Ref.ID); a.ItemID != "grs-5.2-010" || a.RuleID != r.ID || a.RuleVersion != 1 {
		t.Fatalf("the new rule was not in force at once: %+v", a)
	}
	stale := *r
	r.Enabled = false
	if _, err := e.svc.SaveRule(e.ctx, "rm", r); err != nil {
		t.Fatal(err)
	}
	stale.Condition = "false"
	_, err = e.svc.SaveRule(e.ctx, "rm", &stale)
	wantKind(t, "a stale rule version", err, steward.Conflict)
	if err := e.svc.DeleteRule(e.ctx, "rm", r.ID, r.Version); err != nil {
		t.Fatal(err)
	}

	a, err := e.svc.Reassign(e.ctx, "rm", c.Ref.ID, "grs-6.1-020", "the contractor is an official")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{c.Ref.ID, c.Attachments[0].ID} {
		h, err := e.svc.Assignment(e.ctx, id)
		if err != nil || len(h) != 2 || h[0].ItemID != "grs-5.2-010" || h[1].ItemID != "grs-6.1-020" || h[1].AssignedBy != "rm" {
			t.Fatalf("history of %s: %+v %v", id, h, err)
		}
	}
	if a.ItemID != "grs-6.1-020" || len(e.audits("record.reassign")) != 1 {
		t.Fatalf("reassignment: %+v", a)
	}
	_, err = e.svc.Reassign(e.ctx, "rm", c.Attachments[0].ID, "grs-6.1-010", "why not")
	wantKind(t, "reassign an attachment alone", err, steward.Invalid, "follow their message")

	// A deleted item takes its records out of eligibility, never into it.
	if err := e.svc.DeleteItem(e.ctx, "rm", "grs-5.2-010", 1); err != nil {
		t.Fatal(err)
	}
	sched, err := e.db.Schedule(e.ctx)
	if _, ok := sched.Item("grs-5.2-010"); err != nil || ok {
		t.Fatalf("deleted item still scheduled: %v", err)
	}
}

// TestRecordsTransfer: a transfer batch is approved as a destroy batch is,
// refused while no transfer hook is configured, and handed to it once
// one is; nothing is shredded.
func TestRecordsTransfer(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SaveItem(e.ctx, "rm", &steward.ScheduleItem{ID: "test-permanent", Title: "Permanent, due now",
		Authority: "DAA-TEST-0002", Permanent: true, Cutoff: steward.CutoffRule{Period: steward.CutoffNone},
		Action: steward.DispositionTransfer}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "all-permanent", Condition: "true",
		ItemID: "test-permanent", Priority: 1, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	c := e.capture(message(rileyAddr, carlaAddr, "for the ages"))
	_, err := e.svc.Propose(e.ctx, "rm-1", recordkeeping.ProposeRequest{Action: steward.DispositionDestroy})
	wantKind(t, "destroy a permanent record", err, steward.Conflict, "no record is eligible")
	b, err := e.svc.Propose(e.ctx, "rm-1", recordkeeping.ProposeRequest{Action: steward.DispositionTransfer})
	if err != nil || len(b.Records) != 1 || b.Records[0].RecordID != c.Ref.ID {
		t.Fatalf("propose transfer: %+v %v", b, err)
	}
	for _, by := range []string{"rm-2", "rm-3"} {
		if _, err := e.svc.Approve(e.ctx, by, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.svc.Execute(e.ctx, "rm-2", b.ID)
	wantKind(t, "transfer without a package builder", err, steward.Unavailable, "transfer")
	var handed []string
	e.svc.Transfer = func(ctx context.Context, b *steward.DispositionBatch) error {
		for _, r := range b.Records {
			handed = append(handed, r.RecordID)
		}
		return nil
	}
	x, err := e.svc.Execute(e.ctx, "rm-2", b.ID)
	if err != nil || x.Shredded != 0 || x.Certificate == nil || !slices.Equal(handed, []string{c.Ref.ID}) {
		t.Fatalf("transfer: %+v %v, handed %v", x, err, handed)
	}
	if _, _, _, err := e.reader.Open(e.ctx, c.Ref.ID); err != nil {
		t.Fatalf("a transferred record was destroyed: %v", err)
	}
}

// TestRecordsIndexBatched: while Run runs, Route's index rows wait for a
// batch, yet every read of the index sees them, and stopping Run writes
// what is left.
func TestRecordsIndexBatched(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	stopped := make(chan struct{})
	go func() {
		e.svc.Run(ctx, time.Hour)
		close(stopped)
	}()
	// Until Run has started, Route writes at once.
	var waiting *pipeline.Captured
	for range 1000 {
		c := e.capture(message(rileyAddr, danaAddr, "queued?"))
		if e.indexed(c.Ref.ID) == nil {
			waiting = c
			break
		}
	}
	if waiting == nil {
		t.Fatal("Run never took over the index writes")
	}
	rep, err := e.svc.Report(e.ctx, recordkeeping.ReportQuery{All: true})
	if err != nil || !slices.ContainsFunc(rep.Records, func(v records.Eligibility) bool { return v.RecordID == waiting.Ref.ID }) {
		t.Fatalf("the report missed a queued record: %+v %v", rep, err)
	}
	last := e.capture(message(rileyAddr, danaAddr, "the last one"))
	cancel()
	<-stopped
	if e.indexed(last.Ref.ID) == nil {
		t.Fatal("stopping Run left a record unindexed")
	}
}

// TestRecordsExecutionRefusesReassigned: a record moved to other terms
// after approval is not what the approvers approved, and the certificate
// must not cite an authority no longer in force.
func TestRecordsExecutionRefusesReassigned(t *testing.T) {
	e := newEnv(t)
	e.zeroRetention()
	if _, err := e.svc.SaveItem(e.ctx, "rm", &steward.ScheduleItem{ID: "test-zero-b", Title: "Other test records",
		Authority: "DAA-TEST-0003", Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionDestroy}); err != nil {
		t.Fatal(err)
	}
	c := e.capture(message(rileyAddr, danaAddr, "moved"))
	b, err := e.svc.Propose(e.ctx, "rm-1", recordkeeping.ProposeRequest{Action: steward.DispositionDestroy})
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{"rm-2", "rm-3"} {
		if _, err := e.svc.Approve(e.ctx, by, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Reassign(e.ctx, "rm", c.Ref.ID, "test-zero-b", "filed under the other series"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Execute(e.ctx, "rm-2", b.ID)
	wantKind(t, "execute a reassigned record", err, steward.Conflict, "DAA-TEST-0003", "as approved")
}

// TestRecordsHoldQuery: a hold's query narrows it to the records that
// match (evaluated on their content with search.Match), a bad query is
// refused, and what the query cannot judge stays held.
func TestRecordsHoldQuery(t *testing.T) {
	e := newEnv(t)
	e.zeroRetention()
	budget := e.capture(message(rileyAddr, danaAddr, "The flood relief budget is final."))
	lunch := e.capture(message(rileyAddr, danaAddr, "Lunch at noon?"))
	_, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "bad", Reason: "x", Owner: e.carla.ID,
		Custodians: []string{e.dana.ID}, Query: `"unclosed`})
	wantKind(t, "a hold with a malformed query", err, steward.Invalid)
	h, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "Budget", Reason: "audit", Owner: e.carla.ID,
		Custodians: []string{e.dana.ID}, Query: `budget AND flood`})
	if err != nil {
		t.Fatal(err)
	}
	dlp, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "SSNs", Reason: "breach", Owner: e.carla.ID,
		Custodians: []string{e.max.ID}, Query: `dlp:us_ssn`})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.PreviewHold(e.ctx, h.ID, 0)
	if err != nil || !slices.Contains(p.Records, budget.Ref.ID) || slices.Contains(p.Records, lunch.Ref.ID) {
		t.Fatalf("preview of a query hold: %+v %v", p, err)
	}
	// dlp: cannot be settled from one record: the hold covers.
	maxs := e.capture(message(samAddr, maxAddr, "nothing sensitive"))
	if p, err := e.svc.PreviewHold(e.ctx, dlp.ID, 0); err != nil || !slices.Contains(p.Records, maxs.Ref.ID) {
		t.Fatalf("preview of an unanswerable query: %+v %v", p, err)
	}
}
