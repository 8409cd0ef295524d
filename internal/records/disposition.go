package records

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// The batch functions below are the disposition state machine:
//
//	proposed ──Approve×RequiredApprovals──► approved ──Execute──► executed
//	    └────────────── Cancel ──────────────────┘
//
// Each takes a batch by value and returns the next one, leaving its
// argument untouched, so a caller can save the result with optimistic
// concurrency (DispositionStore.UpdateBatch) and simply retry on Conflict.
// None of them checks roles: the API allows only records managers to
// call them. What they do enforce is the order of states, distinct
// approvers, the two-person rule, and that nothing is executed that is
// not eligible at the moment of execution.

// maxBatch bounds a batch, so a certificate stays a reasonable document.
const maxBatch = 100_000

// Propose returns a new proposed batch. Invalid for an unknown action, no
// records, a record listed twice or with no authority, more than 100,000
// records, RequiredApprovals below 1, or no requester.
//
// recs normally come from Eligibility.BatchRecord of verdicts whose
// Action is action; Execute checks eligibility again in any case.
func Propose(id string, action steward.DispositionAction, recs []steward.BatchRecord, requiredApprovals int, by string, at time.Time) (steward.DispositionBatch, error) {
	const op steward.Op = "records.Propose"
	switch {
	case id == "":
		return steward.DispositionBatch{}, steward.E(op, steward.Invalid, "a batch needs an id")
	case !steward.ValidDispositionAction(action):
		return steward.DispositionBatch{}, steward.Errorf(op, steward.Invalid, "unknown disposition action %q", action)
	case len(recs) == 0:
		return steward.DispositionBatch{}, steward.E(op, steward.Invalid, "a batch needs at least one record")
	case len(recs) > maxBatch:
		return steward.DispositionBatch{}, steward.Errorf(op, steward.TooLarge, "a batch holds at most %d records", maxBatch)
	case requiredApprovals < 1:
		return steward.DispositionBatch{}, steward.E(op, steward.Invalid, "a batch needs at least one approval")
	case by == "":
		return steward.DispositionBatch{}, steward.E(op, steward.Invalid, "a batch needs a requester")
	}
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		if r.RecordID == "" || r.Authority == "" {
			return steward.DispositionBatch{}, steward.E(op, steward.Invalid, "every batch record needs a record id and an authority")
		}
		if seen[r.RecordID] {
			return steward.DispositionBatch{}, steward.Errorf(op, steward.Invalid, "record %s is listed twice", r.RecordID)
		}
		seen[r.RecordID] = true
	}
	return steward.DispositionBatch{
		ID:                id,
		Action:            action,
		Records:           slices.Clone(recs),
		RequiredApprovals: requiredApprovals,
		State:             steward.BatchProposed,
		RequestedBy:       by,
		CreatedAt:         at,
		UpdatedAt:         at,
	}, nil
}

// Approve returns b with by's approval added, and approved once it has
// RequiredApprovals of them. Conflict when b is not proposed or by has
// already approved it; Permission when the two-person rule holds
// (RequiredApprovals of 2 or more) and by requested the batch; Invalid
// without an approver.
func Approve(b steward.DispositionBatch, by string, at time.Time) (steward.DispositionBatch, error) {
	const op steward.Op = "records.Approve"
	switch {
	case by == "":
		return b, steward.E(op, steward.Invalid, "an approval needs an approver")
	case b.State != steward.BatchProposed:
		return b, steward.Errorf(op, steward.Conflict, "batch %s is %s, not proposed", b.ID, b.State)
	case b.RequiredApprovals >= 2 && by == b.RequestedBy:
		return b, steward.E(op, steward.Permission, "under the two-person rule the requester cannot approve their own batch")
	case slices.ContainsFunc(b.Approvals, func(a steward.BatchApproval) bool { return a.By == by }):
		return b, steward.Errorf(op, steward.Conflict, "%s has already approved batch %s", by, b.ID)
	}
	b = cloneBatch(b)
	b.Approvals = append(b.Approvals, steward.BatchApproval{By: by, At: at})
	if len(b.Approvals) >= b.RequiredApprovals {
		b.State = steward.BatchApproved
	}
	b.UpdatedAt = at
	return b, nil
}

// Cancel returns b cancelled. Conflict when b is executed or already
// cancelled; Invalid without who cancels or why. A batch whose records
// have become held is cancelled and proposed afresh.
func Cancel(b steward.DispositionBatch, by, reason string, at time.Time) (steward.DispositionBatch, error) {
	const op steward.Op = "records.Cancel"
	switch {
	case by == "" || strings.TrimSpace(reason) == "":
		return b, steward.E(op, steward.Invalid, "a cancellation needs who cancels and why")
	case b.State == steward.BatchExecuted || b.State == steward.BatchCancelled:
		return b, steward.Errorf(op, steward.Conflict, "batch %s is already %s", b.ID, b.State)
	}
	b = cloneBatch(b)
	b.State, b.CancelledBy, b.CancelReason, b.CancelledAt, b.UpdatedAt = steward.BatchCancelled, by, reason, &at, at
	return b, nil
}

// Execute returns b executed by by at at. fresh must hold a verdict
// computed for every record of b at execution time, from the holds in
// force then (Evaluate with now = at): a hold placed after approval must
// stop the execution. Conflict when b is not approved, or when any
// record's fresh verdict is missing, not eligible, or for another action
// (the message names up to five of them and why). Invalid without an
// executor.
//
// The caller crypto-shreds the records only after Execute returns nil,
// then writes the tombstones (Tombstones) and the certificate.
func Execute(b steward.DispositionBatch, by string, at time.Time, fresh map[string]Eligibility) (steward.DispositionBatch, error) {
	const op steward.Op = "records.Execute"
	switch {
	case by == "":
		return b, steward.E(op, steward.Invalid, "an execution needs an executor")
	case b.State != steward.BatchApproved:
		return b, steward.Errorf(op, steward.Conflict, "batch %s is %s, not approved", b.ID, b.State)
	case len(b.Approvals) < b.RequiredApprovals || b.RequiredApprovals < 1:
		// Unreachable through Approve; guards a batch edited in storage.
		return b, steward.Errorf(op, steward.Conflict, "batch %s has %d of %d approvals", b.ID, len(b.Approvals), b.RequiredApprovals)
	}
	var refused []string
	n := 0
	for _, r := range b.Records {
		e, ok := fresh[r.RecordID]
		var why string
		switch {
		case !ok:
			why = "no verdict at execution"
		case e.RecordID != r.RecordID:
			why = "verdict is for another record"
		case !e.Eligible:
			why = e.Reason
		case e.Action != b.Action:
			why = fmt.Sprintf("now due for %s, not %s", e.Action, b.Action)
		default:
			continue
		}
		n++
		if len(refused) < 5 {
			refused = append(refused, r.RecordID+" ("+why+")")
		}
	}
	if n > 0 {
		return b, steward.Errorf(op, steward.Conflict, "%d of the batch's records are no longer eligible: %s", n, strings.Join(refused, "; "))
	}
	b = cloneBatch(b)
	b.State, b.ExecutedBy, b.ExecutedAt, b.UpdatedAt = steward.BatchExecuted, by, &at, at
	return b, nil
}

// LeafRef locates a record in the Merkle log.
type LeafRef struct {
	Index int64
	Hash  steward.Hash
}

// Certificate returns the certificate of disposition of an executed
// batch; leaves gives each record's leaf. Conflict when b is not
// executed; Invalid when a record's leaf is missing. Records are listed
// by leaf index.
func Certificate(b steward.DispositionBatch, leaves map[string]LeafRef) (steward.DispositionCertificate, error) {
	const op steward.Op = "records.Certificate"
	if b.State != steward.BatchExecuted || b.ExecutedAt == nil {
		return steward.DispositionCertificate{}, steward.Errorf(op, steward.Conflict, "batch %s is %s, not executed", b.ID, b.State)
	}
	c := steward.DispositionCertificate{
		BatchID:     b.ID,
		Action:      b.Action,
		RequestedBy: b.RequestedBy,
		Approvals:   slices.Clone(b.Approvals),
		ExecutedBy:  b.ExecutedBy,
		ExecutedAt:  *b.ExecutedAt,
		Records:     make([]steward.CertifiedRecord, 0, len(b.Records)),
	}
	for _, r := range b.Records {
		l, ok := leaves[r.RecordID]
		if !ok {
			return steward.DispositionCertificate{}, steward.Errorf(op, steward.Invalid, "no leaf for record %s", r.RecordID)
		}
		c.Records = append(c.Records, steward.CertifiedRecord{RecordID: r.RecordID, LeafIndex: l.Index, LeafHash: l.Hash, ItemID: r.ItemID, Authority: r.Authority})
	}
	sortCertified(c.Records)
	return c, nil
}

func sortCertified(rs []steward.CertifiedRecord) {
	slices.SortFunc(rs, func(x, y steward.CertifiedRecord) int {
		return cmp.Or(cmp.Compare(x.LeafIndex, y.LeafIndex), cmp.Compare(x.RecordID, y.RecordID))
	})
}

// Tombstones returns the tombstone of every record of a certificate.
func Tombstones(c steward.DispositionCertificate) []steward.Tombstone {
	ts := make([]steward.Tombstone, len(c.Records))
	for i, r := range c.Records {
		ts[i] = steward.Tombstone{
			RecordID: r.RecordID, LeafIndex: r.LeafIndex, LeafHash: r.LeafHash,
			ItemID: r.ItemID, Authority: r.Authority, Action: c.Action,
			DisposedAt: c.ExecutedAt, BatchID: c.BatchID,
		}
	}
	return ts
}

func cloneBatch(b steward.DispositionBatch) steward.DispositionBatch {
	b.Records = slices.Clone(b.Records)
	b.Approvals = slices.Clone(b.Approvals)
	return b
}
