package recordkeeping

import (
	"context"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// CreateHold places a legal hold: h's scope, name, reason and owner as
// given; its id, creator and creation time are set here. The hold is
// audited before it is stored and freezes what it covers at once, records
// captured later included. Each custodian then gets a notice (HoldNotice,
// archived as a hold.notice audit record) in their inbox. Returns Invalid
// (records.CheckHold, or a custodian or owner who is not an employee).
func (s *Service) CreateHold(ctx context.Context, actor string, h *steward.Hold) (*steward.Hold, error) {
	const op steward.Op = "recordkeeping.CreateHold"
	h.ID, h.CreatedBy, h.CreatedAt = steward.NewID(), actor, s.now()
	h.ReleasedBy, h.ReleasedAt, h.ReleaseReason = "", nil, ""
	h.Custodians = slices.Compact(slices.Sorted(slices.Values(h.Custodians)))
	h.Conversations = slices.Compact(slices.Sorted(slices.Values(h.Conversations)))
	if err := records.CheckHold(h); err != nil {
		return nil, steward.E(op, err)
	}
	if err := checkHoldQuery(h.Query); err != nil {
		return nil, steward.E(op, steward.Invalid, "the hold's query is not a valid search: "+steward.PublicMessage(err))
	}
	for _, id := range append([]string{h.Owner}, h.Custodians...) {
		if _, err := s.Store.EmployeeByID(ctx, id); steward.Is(steward.NotFound, err) {
			return nil, steward.Errorf(op, steward.Invalid, "%s is not an employee", id)
		} else if err != nil {
			return nil, steward.E(op, err)
		}
	}
	if _, err := s.audit(ctx, actor, "hold.create", h.ID, map[string]any{"hold": h}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.CreateHold(ctx, h); err != nil {
		return nil, steward.E(op, err)
	}
	// The hold is in force whatever happens to its notices; Reconcile
	// sends those a failure leaves unsent.
	if err := s.notify(ctx, h, h.Custodians); err != nil {
		s.logger().Error("records: hold notices not sent; Reconcile will retry", "hold", h.ID, "err", err)
	}
	return h, nil
}

// notify archives the notice of a hold to custodians and stores it for
// their inboxes.
func (s *Service) notify(ctx context.Context, h *steward.Hold, custodians []string) error {
	if len(custodians) == 0 {
		return nil
	}
	ref, err := s.audit(ctx, h.CreatedBy, "hold.notice", h.ID, map[string]any{"custodians": custodians,
		"name": h.Name, "reason": h.Reason, "owner": h.Owner})
	if err != nil {
		return err
	}
	now := s.now()
	ns := make([]steward.HoldNotice, len(custodians))
	for i, c := range custodians {
		ns[i] = steward.HoldNotice{HoldID: h.ID, Custodian: c, SentAt: now, NoticeRecordID: ref.ID}
	}
	return s.Store.AddHoldNotices(ctx, ns)
}

// reconcileNotices sends the notices of active holds that a failure left
// unsent.
func (s *Service) reconcileNotices(ctx context.Context) (int, error) {
	hs, err := s.Store.Holds(ctx, false)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range hs {
		if len(h.Custodians) == 0 {
			continue
		}
		ns, err := s.Store.HoldNotices(ctx, h.ID)
		if err != nil {
			return n, err
		}
		var missing []string
		for _, c := range h.Custodians {
			if !slices.ContainsFunc(ns, func(x steward.HoldNotice) bool { return x.Custodian == c }) {
				missing = append(missing, c)
			}
		}
		if err := s.notify(ctx, h, missing); err != nil {
			return n, err
		}
		n += len(missing)
	}
	return n, nil
}

// HoldDetail is a hold with its notices.
type HoldDetail struct {
	*steward.Hold
	Notices []steward.HoldNotice `json:"notices"`
}

// Hold returns a hold, released or not, with its custodians' notices.
// NotFound.
func (s *Service) Hold(ctx context.Context, id string) (*HoldDetail, error) {
	const op steward.Op = "recordkeeping.Hold"
	h, err := s.Store.HoldByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	ns, err := s.Store.HoldNotices(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if ns == nil {
		ns = []steward.HoldNotice{}
	}
	return &HoldDetail{Hold: h, Notices: ns}, nil
}

// ReleaseHold releases a hold for a reason, audited before it is stored.
// From then on the records it covered return to their normal
// eligibility. Returns Invalid (no reason), Conflict (already released),
// NotFound.
func (s *Service) ReleaseHold(ctx context.Context, actor, id, reason string) (*steward.Hold, error) {
	const op steward.Op = "recordkeeping.ReleaseHold"
	h, err := s.Store.HoldByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	rel, err := records.Release(*h, actor, reason, s.now())
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.audit(ctx, actor, "hold.release", id, map[string]any{"name": h.Name, "reason": reason}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.ReleaseHold(ctx, id, rel.ReleasedBy, rel.ReleaseReason, *rel.ReleasedAt); err != nil {
		return nil, steward.E(op, err)
	}
	return &rel, nil
}

// Preview is which records a hold covers.
type Preview struct {
	HoldID string `json:"hold_id,omitempty"`
	// Covered counts the covered records; Records lists their ids (in
	// record-id order) up to the limit asked.
	Covered   int      `json:"covered"`
	Records   []string `json:"records"`
	Truncated bool     `json:"truncated,omitempty"`
}

// PreviewHold reports which scheduled records a hold covers now (its
// scope only: whether it is active does not matter), listing at most
// limit (default 1000, at most 100,000). Attachments and policy
// decisions are covered with their message and not listed. Returns
// NotFound, Invalid for a bad limit.
func (s *Service) PreviewHold(ctx context.Context, id string, limit int) (*Preview, error) {
	const op steward.Op = "recordkeeping.PreviewHold"
	h, err := s.Store.HoldByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	p, err := s.preview(ctx, h, limit)
	if err != nil {
		return nil, steward.E(op, err)
	}
	p.HoldID = h.ID
	return p, nil
}

// PreviewDraft is PreviewHold for a hold not yet placed, so its scope can
// be shaped before it freezes anything. Returns Invalid for a malformed
// scope or a bad limit.
func (s *Service) PreviewDraft(ctx context.Context, h *steward.Hold, limit int) (*Preview, error) {
	const op steward.Op = "recordkeeping.PreviewDraft"
	if h.From != nil && h.Until != nil && h.From.After(*h.Until) {
		return nil, steward.E(op, steward.Invalid, "a hold's date range starts after it ends")
	}
	p, err := s.preview(ctx, h, limit)
	if err != nil {
		return nil, steward.E(op, err)
	}
	return p, nil
}

func (s *Service) preview(ctx context.Context, h *steward.Hold, limit int) (*Preview, error) {
	limit, err := reportLimit(limit)
	if err != nil {
		return nil, err
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, err
	}
	ev, err := s.newEvaluator(ctx)
	if err != nil {
		return nil, err
	}
	p := &Preview{Records: []string{}}
	err = s.eachPrimary(ctx, "", func(rec *steward.Record, meta *steward.RecordMeta, _ *steward.RecordAssignment) error {
		f, err := ev.facts(ctx, rec, meta)
		if err != nil {
			return err
		}
		if !h.Covers(f) {
			return nil
		}
		p.Covered++
		if len(p.Records) < limit {
			p.Records = append(p.Records, rec.ID)
		} else {
			p.Truncated = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Notice is a hold notice as its custodian sees it: the hold's name,
// reason and owner, not its other custodians or its search query.
type Notice struct {
	HoldID         string     `json:"hold_id"`
	Name           string     `json:"name"`
	Reason         string     `json:"reason"`
	Owner          string     `json:"owner"`
	SentAt         time.Time  `json:"sent_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	// ReleasedAt is set once the hold no longer applies.
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

// Notices returns the hold notices sent to an employee, newest hold
// first; released holds' notices only when includeReleased is set.
func (s *Service) Notices(ctx context.Context, employeeID string, includeReleased bool) ([]Notice, error) {
	const op steward.Op = "recordkeeping.Notices"
	hs, err := s.Store.Holds(ctx, includeReleased)
	if err != nil {
		return nil, steward.E(op, err)
	}
	out := []Notice{}
	for _, h := range hs {
		if !slices.Contains(h.Custodians, employeeID) {
			continue
		}
		ns, err := s.Store.HoldNotices(ctx, h.ID)
		if err != nil {
			return nil, steward.E(op, err)
		}
		for _, n := range ns {
			if n.Custodian == employeeID {
				out = append(out, Notice{HoldID: h.ID, Name: h.Name, Reason: h.Reason, Owner: h.Owner, SentAt: n.SentAt,
					AcknowledgedAt: n.AcknowledgedAt, ReleasedAt: h.ReleasedAt})
			}
		}
	}
	return out, nil
}

// Acknowledge records that an employee has read a hold's notice. The
// acknowledgement is archived as a hold.acknowledge audit record, whose
// id the notice keeps. Returns NotFound (no notice to this employee for
// that hold), Conflict (already acknowledged).
func (s *Service) Acknowledge(ctx context.Context, employeeID, holdID string) (*Notice, error) {
	const op steward.Op = "recordkeeping.Acknowledge"
	h, err := s.Store.HoldByID(ctx, holdID)
	if steward.Is(steward.NotFound, err) || (err == nil && !slices.Contains(h.Custodians, employeeID)) {
		return nil, steward.E(op, steward.NotFound, "no hold notice of yours has that id")
	} else if err != nil {
		return nil, steward.E(op, err)
	}
	ns, err := s.Store.HoldNotices(ctx, holdID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	i := slices.IndexFunc(ns, func(n steward.HoldNotice) bool { return n.Custodian == employeeID })
	switch {
	case i < 0:
		return nil, steward.E(op, steward.NotFound, "no hold notice of yours has that id")
	case ns[i].AcknowledgedAt != nil:
		return nil, steward.Errorf(op, steward.Conflict, "you acknowledged this notice on %s", ns[i].AcknowledgedAt.Format(time.DateOnly))
	}
	ref, err := s.audit(ctx, employeeID, "hold.acknowledge", holdID, map[string]any{"notice_record_id": ns[i].NoticeRecordID})
	if err != nil {
		return nil, steward.E(op, err)
	}
	at := s.now()
	if err := s.Store.AcknowledgeHoldNotice(ctx, holdID, employeeID, at, ref.ID); err != nil {
		return nil, steward.E(op, err)
	}
	return &Notice{HoldID: h.ID, Name: h.Name, Reason: h.Reason, Owner: h.Owner, SentAt: ns[i].SentAt,
		AcknowledgedAt: &at, ReleasedAt: h.ReleasedAt}, nil
}
