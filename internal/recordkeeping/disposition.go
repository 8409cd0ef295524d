package recordkeeping

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// maxBatch is the most records (attachments and policy decisions
// included) one batch holds, as records.Propose allows.
const maxBatch = 100_000

// ProposeRequest says what a new disposition batch holds.
type ProposeRequest struct {
	Action steward.DispositionAction `json:"action"`
	// RecordIDs names the messages (events, consent records) to dispose
	// of; each must be eligible now for Action. Empty takes every record
	// eligible for Action now, from the eligibility report.
	RecordIDs []string `json:"record_ids,omitempty"`
	// ItemID, with no RecordIDs, takes only records on this item.
	ItemID string `json:"item_id,omitempty"`
	// Limit, with no RecordIDs, is the most messages taken; default and
	// maximum 100,000 records with their attachments.
	Limit int `json:"limit,omitempty"`
}

// Propose proposes a disposition batch of records eligible now, each with
// its attachments and policy decision (which follow it), and the reason it
// was found eligible. The batch needs RequiredApprovals distinct approvers
// before it can be executed. Audited. Returns Invalid (a bad action or
// limit), Conflict (nothing is eligible, or a named record is not, with
// why), TooLarge (over 100,000 records).
func (s *Service) Propose(ctx context.Context, actor string, req ProposeRequest) (*steward.DispositionBatch, error) {
	const op steward.Op = "recordkeeping.Propose"
	if !steward.ValidDispositionAction(req.Action) {
		return nil, steward.Errorf(op, steward.Invalid, "action must be %q or %q", steward.DispositionDestroy, steward.DispositionTransfer)
	}
	if req.Limit < 0 || req.Limit > maxBatch {
		return nil, steward.Errorf(op, steward.Invalid, "limit is 1-%d", maxBatch)
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	ev, err := s.newEvaluator(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var chosen []records.Eligibility
	if len(req.RecordIDs) > 0 {
		var refused []string
		for _, id := range slices.Compact(slices.Sorted(slices.Values(req.RecordIDs))) {
			rec, err := s.Store.RecordByID(ctx, id)
			if err != nil {
				return nil, steward.E(op, err)
			}
			why := ""
			var e records.Eligibility
			switch {
			case !primary(rec.Kind):
				why = "attachments and policy decisions go with their message: name the message"
			case rec.Shredded():
				why = "already destroyed"
			default:
				if e, err = ev.verdict(ctx, rec); err != nil {
					return nil, steward.E(op, err)
				}
				switch {
				case !e.Eligible:
					why = e.Reason
				case e.Action != req.Action:
					why = fmt.Sprintf("due for %s, not %s", e.Action, req.Action)
				}
			}
			if why != "" {
				refused = append(refused, id+" ("+why+")")
				continue
			}
			chosen = append(chosen, e)
		}
		if len(refused) > 0 {
			return nil, steward.Errorf(op, steward.Conflict, "%d of the records are not eligible for %s now: %s", len(refused), req.Action,
				strings.Join(refused[:min(5, len(refused))], "; "))
		}
	} else {
		limit := req.Limit
		if limit == 0 {
			limit = maxBatch
		}
		err := s.eachPrimary(ctx, req.ItemID, func(rec *steward.Record, meta *steward.RecordMeta, asg *steward.RecordAssignment) error {
			if len(chosen) >= limit {
				return nil
			}
			e, err := ev.judge(ctx, rec, meta, asg, rec.ID)
			if err == nil && e.Eligible && e.Action == req.Action {
				chosen = append(chosen, e)
			}
			return err
		})
		if err != nil {
			return nil, steward.E(op, err)
		}
		if len(chosen) == 0 {
			return nil, steward.Errorf(op, steward.Conflict, "no record is eligible for %s now", req.Action)
		}
	}
	var recs []steward.BatchRecord
	for _, e := range chosen {
		rec, err := s.Store.RecordByID(ctx, e.RecordID)
		if err != nil {
			return nil, steward.E(op, err)
		}
		ids, err := s.family(ctx, rec)
		if err != nil {
			return nil, steward.E(op, err)
		}
		br := e.BatchRecord()
		recs = append(recs, br)
		for _, id := range ids[1:] {
			child := br
			child.RecordID, child.Reason = id, "belongs to "+rec.ID+": "+br.Reason
			recs = append(recs, child)
		}
		if len(recs) > maxBatch {
			return nil, steward.Errorf(op, steward.TooLarge, "a batch holds at most %d records with their attachments: set a limit", maxBatch)
		}
	}
	b, err := records.Propose(steward.NewID(), req.Action, recs, s.approvals(), actor, s.now())
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.audit(ctx, actor, "disposition.propose", b.ID, map[string]any{"action": b.Action,
		"records": len(b.Records), "required_approvals": b.RequiredApprovals}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AddBatch(ctx, &b); err != nil {
		return nil, steward.E(op, err)
	}
	return &b, nil
}

// Batch returns a batch with its records. NotFound.
func (s *Service) Batch(ctx context.Context, id string) (*steward.DispositionBatch, error) {
	b, err := s.Store.BatchByID(ctx, id)
	if err != nil {
		return nil, steward.E(steward.Op("recordkeeping.Batch"), err)
	}
	return b, nil
}

// Batches lists batches in a state ("" any), newest first.
func (s *Service) Batches(ctx context.Context, state steward.BatchState) ([]*steward.DispositionBatch, error) {
	const op steward.Op = "recordkeeping.Batches"
	switch state {
	case "", steward.BatchProposed, steward.BatchApproved, steward.BatchExecuted, steward.BatchCancelled:
	default:
		return nil, steward.Errorf(op, steward.Invalid, "unknown batch state %q", state)
	}
	bs, err := s.Store.Batches(ctx, state)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if bs == nil {
		bs = []*steward.DispositionBatch{}
	}
	return bs, nil
}

// Approve adds actor's approval to a proposed batch, audited before it is
// stored; with RequiredApprovals of them the batch is approved. Returns
// Permission (the two-person rule: the requester approving their own),
// Conflict (not proposed, already approved by actor, or changed
// meanwhile), NotFound.
func (s *Service) Approve(ctx context.Context, actor, id string) (*steward.DispositionBatch, error) {
	const op steward.Op = "recordkeeping.Approve"
	b, err := s.Store.BatchByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	next, err := records.Approve(*b, actor, s.now())
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.audit(ctx, actor, "disposition.approve", id, map[string]any{"approvals": len(next.Approvals),
		"required_approvals": next.RequiredApprovals, "state": next.State}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.update(ctx, &next, b.UpdatedAt); err != nil {
		return nil, steward.E(op, err)
	}
	return &next, nil
}

// Cancel ends a proposed or approved batch, for a reason, audited.
// Returns Invalid (no reason), Conflict (executed or cancelled already,
// or changed meanwhile), NotFound.
func (s *Service) Cancel(ctx context.Context, actor, id, reason string) (*steward.DispositionBatch, error) {
	const op steward.Op = "recordkeeping.Cancel"
	b, err := s.Store.BatchByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	next, err := records.Cancel(*b, actor, reason, s.now())
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.audit(ctx, actor, "disposition.cancel", id, map[string]any{"reason": reason}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.update(ctx, &next, b.UpdatedAt); err != nil {
		return nil, steward.E(op, err)
	}
	return &next, nil
}

// update saves a batch's transition; the store stamps UpdatedAt, so two
// transitions in one microsecond still order.
func (s *Service) update(ctx context.Context, b *steward.DispositionBatch, prev time.Time) error {
	b.UpdatedAt = time.Time{}
	return s.Store.UpdateBatch(ctx, b, prev)
}

// Execution is what Execute did.
type Execution struct {
	Batch *steward.DispositionBatch `json:"batch"`
	// Certificate is the signed certificate of disposition.
	Certificate *steward.SignedCertificate `json:"certificate"`
	// Shredded counts the records whose keys were destroyed.
	Shredded int `json:"shredded"`
	// WALPending is set when the store could not truncate its write-ahead
	// log after shredding (see docs/threat-model.md): the shredded keys'
	// old pages then linger there until its next checkpoint.
	WALPending bool `json:"wal_pending,omitempty"`
}

// walCheckpointer is a store that can truncate its write-ahead log, so
// that earlier copies of pages holding shredded keys do not linger in it
// (sqlite.DB.Checkpoint).
type walCheckpointer interface {
	Checkpoint(ctx context.Context) error
}

// Execute carries out an approved batch. Every record is judged again now,
// with the holds in force now: if any is no longer eligible (a hold placed
// after approval, a schedule change) nothing is done and the answer is
// Conflict naming them. A destroy batch then, in this order so that a
// crash at any point can be resumed by executing again:
//  1. audits the execution;
//  2. crypto-shreds every record (ShredKey) and deletes attachments'
//     sealed bytes; the leaves stay, so the log still verifies;
//  3. truncates the store's write-ahead log, if it can;
//  4. stores a tombstone per record (id, leaf, item, authority, date,
//     batch);
//  5. marks the batch executed;
//  6. signs the certificate of disposition with the log key, archives it
//     as a disposition.certificate audit record and stores it.
//
// A transfer batch is handed to the Transfer hook and then marked
// executed and certified; nothing is shredded. Without the hook it is
// Unavailable, as is any execution without a Signer. Returns Conflict
// (not approved, records no longer eligible, a batch missing a record's
// attachment), NotFound.
func (s *Service) Execute(ctx context.Context, actor, id string) (*Execution, error) {
	const op steward.Op = "recordkeeping.Execute"
	if s.Signer == nil {
		return nil, steward.E(op, steward.Unavailable, "no signing key for certificates of disposition")
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	b, err := s.Store.BatchByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if b.Action == steward.DispositionTransfer && s.Transfer == nil && b.State == steward.BatchApproved {
		return nil, steward.E(op, steward.Unavailable, "transfer to NARA is not available yet: no transfer package builder is configured")
	}
	ev, err := s.newEvaluator(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	fresh := make(map[string]records.Eligibility, len(b.Records))
	recs := make(map[string]*steward.Record, len(b.Records))
	for _, br := range b.Records {
		rec, err := s.Store.RecordByID(ctx, br.RecordID)
		if steward.Is(steward.NotFound, err) {
			continue // Execute reports it: no verdict
		} else if err != nil {
			return nil, steward.E(op, err)
		}
		recs[rec.ID] = rec
		e, err := ev.verdict(ctx, rec)
		if err != nil {
			return nil, steward.E(op, err)
		}
		// The certificate cites the item and authority the batch was
		// approved under; a record since moved to other terms is not what
		// the approvers approved.
		if e.Eligible && (e.ItemID != br.ItemID || e.Authority != br.Authority) {
			e.Eligible = false
			e.Reason = fmt.Sprintf("now on %s under %s, not %s under %s as approved", e.ItemID, e.Authority, br.ItemID, br.Authority)
		}
		fresh[rec.ID] = e
	}
	next, err := records.Execute(*b, actor, ev.now, fresh)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.checkFamilies(ctx, b, recs); err != nil {
		return nil, steward.E(op, err)
	}
	leaves := make(map[string]records.LeafRef, len(recs))
	for id, rec := range recs {
		leaves[id] = records.LeafRef{Index: rec.LeafIndex, Hash: archive.LeafHash(rec.Leaf)}
	}
	cert, err := records.Certificate(next, leaves)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.audit(ctx, actor, "disposition.execute", id, map[string]any{"action": b.Action,
		"records": len(b.Records)}); err != nil {
		return nil, steward.E(op, err)
	}
	x := &Execution{}
	if b.Action == steward.DispositionTransfer {
		if err := s.Transfer(ctx, &next); err != nil {
			return nil, steward.E(op, err)
		}
	} else {
		if x.Shredded, err = s.shred(ctx, b, recs); err != nil {
			return nil, steward.E(op, err)
		}
		if s.Disposed != nil {
			ids := make([]string, 0, len(b.Records))
			for _, br := range b.Records {
				ids = append(ids, br.RecordID)
			}
			if err := s.Disposed(ctx, ids); err != nil {
				return nil, steward.E(op, err)
			}
		}
		x.WALPending = !s.resetWAL(ctx)
		if err := s.Store.AddTombstones(ctx, records.Tombstones(cert)); err != nil {
			return nil, steward.E(op, err)
		}
	}
	if err := s.update(ctx, &next, b.UpdatedAt); err != nil {
		return nil, steward.E(op, err)
	}
	x.Batch = &next
	if x.Certificate, err = s.certify(ctx, cert); err != nil {
		return nil, steward.E(op, err)
	}
	return x, nil
}

// checkFamilies refuses a batch that would destroy a message but not its
// attachments or policy decision, which hold its content too.
func (s *Service) checkFamilies(ctx context.Context, b *steward.DispositionBatch, recs map[string]*steward.Record) error {
	for _, rec := range recs {
		if !primary(rec.Kind) {
			continue
		}
		ids, err := s.family(ctx, rec)
		if err != nil {
			return err
		}
		for _, id := range ids[1:] {
			if _, ok := recs[id]; !ok {
				return steward.Errorf("recordkeeping.checkFamilies", steward.Conflict, "the batch lacks %s, which belongs to %s: cancel it and propose again", id, rec.ID)
			}
		}
	}
	return nil
}

// shred destroys the data keys of a batch's records, then the sealed bytes
// of its attachments. Both are idempotent, so a resumed execution
// repeats them harmlessly.
func (s *Service) shred(ctx context.Context, b *steward.DispositionBatch, recs map[string]*steward.Record) (int, error) {
	n := 0
	for _, br := range b.Records {
		if err := s.Store.ShredKey(ctx, br.RecordID); err != nil {
			return n, err
		}
		n++
	}
	if s.Blobs == nil {
		return n, nil
	}
	for _, br := range b.Records {
		rec := recs[br.RecordID]
		if rec == nil || rec.Kind != steward.RecordAttachment {
			continue
		}
		meta, err := decodeMeta(rec)
		if err != nil {
			return n, err
		}
		if meta.Blob != nil {
			if err := s.Blobs.Delete(ctx, meta.Blob.Key); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// resetWAL truncates the store's write-ahead log when it has one; a busy
// store is logged, not fatal: the keys are already gone from the
// database, and the log is reset at the next checkpoint.
func (s *Service) resetWAL(ctx context.Context) bool {
	c, ok := s.Store.(walCheckpointer)
	if !ok {
		return true
	}
	if err := c.Checkpoint(ctx); err != nil {
		s.logger().Warn("records: write-ahead log not truncated after shredding; shredded keys' old pages remain in it until the next checkpoint",
			"err", err)
		return false
	}
	return true
}

// certify signs a certificate with the log key, archives the signed note
// as a disposition.certificate audit record (audit records are never
// scheduled, so certificates are kept for good) and stores it.
func (s *Service) certify(ctx context.Context, c steward.DispositionCertificate) (*steward.SignedCertificate, error) {
	text, err := records.EncodeCertificate(c)
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: string(text)}, s.Signer)
	if err != nil {
		return nil, steward.E(steward.Internal, "cannot sign the certificate", err)
	}
	ref, err := s.audit(ctx, c.ExecutedBy, "disposition.certificate", c.BatchID, map[string]any{"action": c.Action,
		"records": len(c.Records), "note": string(signed)})
	if err != nil {
		return nil, err
	}
	sc := &steward.SignedCertificate{BatchID: c.BatchID, Note: signed, RecordID: ref.ID, CreatedAt: s.now()}
	if err := s.Store.AddCertificate(ctx, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// Certificate returns a batch's signed certificate of disposition.
// NotFound until the batch is executed.
func (s *Service) Certificate(ctx context.Context, batchID string) (*steward.SignedCertificate, error) {
	c, err := s.Store.CertificateByBatch(ctx, batchID)
	if err != nil {
		return nil, steward.E(steward.Op("recordkeeping.Certificate"), err)
	}
	return c, nil
}

// reconcileCertificates issues the certificate of every executed batch
// that has none: a crash after marking the batch executed.
func (s *Service) reconcileCertificates(ctx context.Context) (int, error) {
	if s.Signer == nil {
		return 0, nil
	}
	bs, err := s.Store.Batches(ctx, steward.BatchExecuted)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range bs {
		if _, err := s.Store.CertificateByBatch(ctx, b.ID); err == nil {
			continue
		} else if !steward.Is(steward.NotFound, err) {
			return n, err
		}
		leaves := map[string]records.LeafRef{}
		for _, br := range b.Records {
			rec, err := s.Store.RecordByID(ctx, br.RecordID)
			if err != nil {
				return n, err
			}
			leaves[rec.ID] = records.LeafRef{Index: rec.LeafIndex, Hash: archive.LeafHash(rec.Leaf)}
		}
		c, err := records.Certificate(*b, leaves)
		if err != nil {
			return n, err
		}
		if _, err := s.certify(ctx, c); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
