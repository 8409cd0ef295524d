package records

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

var t0 = day(2027, time.January, 4)

func proposed(t *testing.T, required int) steward.DispositionBatch {
	t.Helper()
	b, err := Propose("batch-1", steward.DispositionDestroy, []steward.BatchRecord{
		{RecordID: "rec-1", ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001", Reason: "due"},
		{RecordID: "rec-2", ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001", Reason: "due"},
	}, required, "emp-rm1", t0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPropose(t *testing.T) {
	b := proposed(t, 2)
	if b.State != steward.BatchProposed || b.RequestedBy != "emp-rm1" || len(b.Records) != 2 || !b.UpdatedAt.Equal(t0) {
		t.Fatalf("Propose = %+v", b)
	}
	rec := []steward.BatchRecord{{RecordID: "r", Authority: "A"}}
	tests := []struct {
		name     string
		id       string
		action   steward.DispositionAction
		recs     []steward.BatchRecord
		required int
		by       string
		kind     steward.Kind
	}{
		{"no id", "", steward.DispositionDestroy, rec, 1, "u", steward.Invalid},
		{"bad action", "b", "burn", rec, 1, "u", steward.Invalid},
		{"no records", "b", steward.DispositionDestroy, nil, 1, "u", steward.Invalid},
		{"no approvals", "b", steward.DispositionDestroy, rec, 0, "u", steward.Invalid},
		{"no requester", "b", steward.DispositionDestroy, rec, 1, "", steward.Invalid},
		{"twice", "b", steward.DispositionDestroy, append(rec, rec...), 1, "u", steward.Invalid},
		{"no authority", "b", steward.DispositionDestroy, []steward.BatchRecord{{RecordID: "r"}}, 1, "u", steward.Invalid},
		{"too many", "b", steward.DispositionDestroy, make([]steward.BatchRecord, maxBatch+1), 1, "u", steward.TooLarge},
	}
	for _, tt := range tests {
		if _, err := Propose(tt.id, tt.action, tt.recs, tt.required, tt.by, t0); steward.KindOf(err) != tt.kind {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
	}
}

func TestApproveTwoPersonRule(t *testing.T) {
	b := proposed(t, 2)
	if _, err := Approve(b, "emp-rm1", t0); !steward.Is(steward.Permission, err) {
		t.Fatalf("requester approving: %v, want Permission", err)
	}
	b1, err := Approve(b, "emp-rm2", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if b1.State != steward.BatchProposed || len(b1.Approvals) != 1 {
		t.Fatalf("after one of two approvals: %+v", b1)
	}
	if len(b.Approvals) != 0 {
		t.Fatal("Approve changed its argument")
	}
	if _, err := Approve(b1, "emp-rm2", t0); !steward.Is(steward.Conflict, err) {
		t.Fatalf("same approver twice: %v, want Conflict", err)
	}
	b2, err := Approve(b1, "emp-rm3", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if b2.State != steward.BatchApproved || !b2.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after two approvals: %+v", b2)
	}
	if _, err := Approve(b2, "emp-rm4", t0); !steward.Is(steward.Conflict, err) {
		t.Fatalf("approving an approved batch: %v, want Conflict", err)
	}
	if _, err := Approve(b, "", t0); !steward.Is(steward.Invalid, err) {
		t.Fatalf("no approver: %v, want Invalid", err)
	}
}

func TestApproveSinglePerson(t *testing.T) {
	b, err := Approve(proposed(t, 1), "emp-rm1", t0)
	if err != nil || b.State != steward.BatchApproved {
		t.Fatalf("self-approval with one required: %+v, %v", b, err)
	}
}

func eligibleVerdicts(b steward.DispositionBatch) map[string]Eligibility {
	m := make(map[string]Eligibility)
	for _, r := range b.Records {
		m[r.RecordID] = Eligibility{RecordID: r.RecordID, Eligible: true, Action: b.Action, ItemID: r.ItemID, Authority: r.Authority}
	}
	return m
}

func approved(t *testing.T) steward.DispositionBatch {
	t.Helper()
	b, err := Approve(proposed(t, 1), "emp-rm2", t0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExecute(t *testing.T) {
	at := t0.Add(24 * time.Hour)
	if _, err := Execute(proposed(t, 1), "emp-rm1", at, nil); !steward.Is(steward.Conflict, err) {
		t.Fatalf("executing a proposed batch: %v, want Conflict", err)
	}
	b := approved(t)
	if _, err := Execute(b, "", at, eligibleVerdicts(b)); !steward.Is(steward.Invalid, err) {
		t.Fatalf("no executor: %v, want Invalid", err)
	}

	// A hold placed after approval stops the execution.
	held := eligibleVerdicts(b)
	held["rec-2"] = Eligibility{RecordID: "rec-2", Action: steward.DispositionDestroy, Reason: "…; held by hold-9", HeldBy: []string{"hold-9"}}
	_, err := Execute(b, "emp-rm1", at, held)
	if !steward.Is(steward.Conflict, err) || !strings.Contains(err.Error(), "rec-2 (…; held by hold-9)") {
		t.Fatalf("held record: %v, want Conflict naming it", err)
	}
	missing := eligibleVerdicts(b)
	delete(missing, "rec-1")
	if _, err := Execute(b, "emp-rm1", at, missing); !steward.Is(steward.Conflict, err) {
		t.Fatalf("missing verdict: %v, want Conflict", err)
	}
	other := eligibleVerdicts(b)
	other["rec-1"] = Eligibility{RecordID: "rec-1", Eligible: true, Action: steward.DispositionTransfer}
	if _, err := Execute(b, "emp-rm1", at, other); !steward.Is(steward.Conflict, err) {
		t.Fatalf("other action: %v, want Conflict", err)
	}
	swapped := eligibleVerdicts(b)
	swapped["rec-1"] = swapped["rec-2"]
	if _, err := Execute(b, "emp-rm1", at, swapped); !steward.Is(steward.Conflict, err) {
		t.Fatalf("verdict of another record: %v, want Conflict", err)
	}
	// A batch edited in storage to skip approvals is refused.
	forged := b
	forged.Approvals = nil
	if _, err := Execute(forged, "emp-rm1", at, eligibleVerdicts(b)); !steward.Is(steward.Conflict, err) {
		t.Fatalf("approved without approvals: %v, want Conflict", err)
	}

	done, err := Execute(b, "emp-rm1", at, eligibleVerdicts(b))
	if err != nil {
		t.Fatal(err)
	}
	if done.State != steward.BatchExecuted || done.ExecutedBy != "emp-rm1" || !done.ExecutedAt.Equal(at) {
		t.Fatalf("executed batch = %+v", done)
	}
	if b.State != steward.BatchApproved || b.ExecutedAt != nil {
		t.Fatal("Execute changed its argument")
	}
	if _, err := Execute(done, "emp-rm1", at, eligibleVerdicts(b)); !steward.Is(steward.Conflict, err) {
		t.Fatalf("executing twice: %v, want Conflict", err)
	}
	if _, err := Cancel(done, "emp-rm1", "oops", at); !steward.Is(steward.Conflict, err) {
		t.Fatalf("cancelling an executed batch: %v, want Conflict", err)
	}
}

func TestCancel(t *testing.T) {
	for _, b := range []steward.DispositionBatch{proposed(t, 2), approved(t)} {
		c, err := Cancel(b, "emp-rm1", "records now under hold", t0)
		if err != nil || c.State != steward.BatchCancelled || c.CancelReason == "" || c.CancelledAt == nil {
			t.Fatalf("Cancel(%s) = %+v, %v", b.State, c, err)
		}
		if _, err := Cancel(c, "emp-rm1", "again", t0); !steward.Is(steward.Conflict, err) {
			t.Fatalf("cancel twice: %v, want Conflict", err)
		}
		if _, err := Approve(c, "emp-rm9", t0); !steward.Is(steward.Conflict, err) {
			t.Fatalf("approve cancelled: %v, want Conflict", err)
		}
	}
	if _, err := Cancel(proposed(t, 1), "emp-rm1", "", t0); !steward.Is(steward.Invalid, err) {
		t.Fatalf("cancel without reason: %v, want Invalid", err)
	}
}

func TestCertificateAndTombstones(t *testing.T) {
	b := approved(t)
	leaves := map[string]LeafRef{"rec-1": {Index: 42, Hash: steward.Hash{1}}, "rec-2": {Index: 7, Hash: steward.Hash{2}}}
	if _, err := Certificate(b, leaves); !steward.Is(steward.Conflict, err) {
		t.Fatalf("certificate of an unexecuted batch: %v, want Conflict", err)
	}
	at := t0.Add(time.Hour)
	done, err := Execute(b, "emp-rm1", at, eligibleVerdicts(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Certificate(done, map[string]LeafRef{"rec-1": {}}); !steward.Is(steward.Invalid, err) {
		t.Fatalf("missing leaf: %v, want Invalid", err)
	}
	c, err := Certificate(done, leaves)
	if err != nil {
		t.Fatal(err)
	}
	want := steward.DispositionCertificate{
		BatchID: "batch-1", Action: steward.DispositionDestroy, RequestedBy: "emp-rm1",
		Approvals:  []steward.BatchApproval{{By: "emp-rm2", At: t0}},
		ExecutedBy: "emp-rm1", ExecutedAt: at,
		Records: []steward.CertifiedRecord{ // by leaf index
			{RecordID: "rec-2", LeafIndex: 7, LeafHash: steward.Hash{2}, ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001"},
			{RecordID: "rec-1", LeafIndex: 42, LeafHash: steward.Hash{1}, ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001"},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Certificate =\n%+v\nwant\n%+v", c, want)
	}
	ts := Tombstones(c)
	if len(ts) != 2 || ts[0] != (steward.Tombstone{RecordID: "rec-2", LeafIndex: 7, LeafHash: steward.Hash{2}, ItemID: "grs-5.2-010",
		Authority: "DAA-GRS-2022-0009-0001", Action: steward.DispositionDestroy, DisposedAt: at, BatchID: "batch-1"}) {
		t.Fatalf("Tombstones = %+v", ts)
	}
}
