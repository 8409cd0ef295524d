package compliance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Route is the pipeline's post-capture hook for compliance: an item that
// policy flagged or quarantined goes on the review queue. It runs after
// durable capture; if it fails, the decision is still in the archive and
// Reconcile queues it on the next start.
func (s *Service) Route(ctx context.Context, c *pipeline.Captured) {
	if c.Decision == nil || c.DecisionRef == nil {
		return
	}
	o := c.Decision.Outcome
	if !o.Flag && o.Action != steward.ActionQuarantine {
		return
	}
	it := &steward.ReviewItem{RecordID: c.Ref.ID, DecisionID: c.DecisionRef.ID, Channel: string(c.Item.Channel),
		Direction: c.Item.Direction, EmployeeID: employeeOf(c.Item), Source: "policy"}
	if c.Conversation != nil {
		it.ConversationID = c.Conversation.ID
	}
	if c.Item.Type == steward.EventMembership {
		it.Source = "group"
	}
	matches, _ := c.Decision.Details["matches"]
	it.Policies = policyIDs(matches)
	s.queue(ctx, it, o.Action == steward.ActionQuarantine)
}

// queue stores a review item; a second call for the same decision is
// harmless.
func (s *Service) queue(ctx context.Context, it *steward.ReviewItem, quarantine bool) {
	now := s.now().UTC()
	it.ID, it.State, it.Action, it.CreatedAt, it.UpdatedAt = steward.NewID(), steward.ReviewOpen, steward.ActionFlag, now, now
	if quarantine {
		it.Action, it.Quarantine = steward.ActionQuarantine, steward.QuarantineHeld
	}
	if it.Policies == nil {
		it.Policies = []string{}
	}
	if _, _, err := s.Store.AddReviewItem(ctx, it); err != nil {
		s.logger().Error("compliance: review item not queued; Reconcile will retry", "record", it.RecordID, "err", err)
	}
}

// Reconcile queues every archived decision that asked for review but has
// no review item: those whose Route was cut short by a crash. It walks the
// policy-decision records newest first and stops after a run of
// already-queued ones.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	const op steward.Op = "compliance.Reconcile"
	const page, enough = 200, 500
	queued, seen := 0, 0
	before := int64(-1)
	for {
		recs, err := s.Store.RecordsByKind(ctx, steward.RecordPolicy, before, page)
		if err != nil {
			return queued, steward.E(op, err)
		}
		for _, r := range recs {
			before = r.LeafIndex
			var meta steward.RecordMeta
			if err := json.Unmarshal(r.Meta, &meta); err != nil {
				continue
			}
			quarantine := strings.HasPrefix(meta.Action, string(steward.ActionQuarantine))
			if !quarantine && !strings.HasSuffix(meta.Action, "+flag") {
				continue
			}
			if _, err := s.Store.ReviewItemByRecord(ctx, meta.Subject); err == nil {
				if seen++; seen >= enough {
					return queued, nil
				}
				continue
			}
			it := &steward.ReviewItem{RecordID: meta.Subject, DecisionID: r.ID, ConversationID: meta.ConversationID,
				Channel: meta.Channel, Direction: meta.Direction, Source: "policy", Policies: []string{}}
			if _, c, err := s.Reader.OpenRecord(ctx, r); err == nil {
				it.Policies = policyIDs(c.Details["matches"])
			}
			if subj, err := s.Store.RecordByID(ctx, meta.Subject); err == nil {
				var sm steward.RecordMeta
				if json.Unmarshal(subj.Meta, &sm) == nil {
					if sm.Type == string(steward.EventMembership) {
						it.Source = "group"
					}
					it.EmployeeID = s.employeeAt(ctx, steward.Channel(sm.Channel), append([]string{sm.Sender}, sm.Recipients...))
				}
			}
			s.queue(ctx, it, quarantine)
			queued++
		}
		if len(recs) < page {
			return queued, nil
		}
	}
}

// employeeAt returns the employee holding the first of addrs that is a
// work identity, as employeeOf does for an item.
func (s *Service) employeeAt(ctx context.Context, ch steward.Channel, addrs []string) string {
	for _, a := range addrs {
		if id, err := s.Store.IdentityByAddress(ctx, ch, a); err == nil {
			return id.EmployeeID
		}
	}
	return ""
}

func employeeOf(it *steward.Item) string {
	if it.Sender.EmployeeID != "" {
		return it.Sender.EmployeeID
	}
	for _, r := range it.Recipients {
		if r.EmployeeID != "" {
			return r.EmployeeID
		}
	}
	return ""
}

// policyIDs reads the policy ids out of a decision's matches, whether
// they are policy.Match values or their JSON decoding.
func policyIDs(matches any) []string {
	b, err := json.Marshal(matches)
	if err != nil {
		return []string{}
	}
	var ms []struct {
		PolicyID string `json:"policy_id"`
	}
	_ = json.Unmarshal(b, &ms)
	ids := []string{}
	for _, m := range ms {
		if m.PolicyID != "" && !slices.Contains(ids, m.PolicyID) {
			ids = append(ids, m.PolicyID)
		}
	}
	return ids
}

// ReviewView is a review item with the message in its context, as a
// compliance officer sees it.
type ReviewView struct {
	Item     *steward.ReviewItem `json:"item"`
	Decision map[string]any      `json:"decision,omitempty"`
	Message  *ContextMessage     `json:"message"`
	Before   []ContextMessage    `json:"before"`
	After    []ContextMessage    `json:"after"`
}

// ContextMessage is one message or event of the conversation under review.
type ContextMessage struct {
	RecordID    string                 `json:"record_id"`
	Type        string                 `json:"type"`
	Direction   steward.Direction      `json:"direction,omitempty"`
	Sender      steward.Party          `json:"sender"`
	Body        string                 `json:"body,omitempty"`
	Attachments []string               `json:"attachments,omitempty"`
	SentAt      *time.Time             `json:"sent_at,omitempty"`
	Policy      *steward.PolicyOutcome `json:"policy,omitempty"`
	Destroyed   bool                   `json:"destroyed,omitempty"`
}

// contextSize is how many records either side of the message a reviewer
// sees.
const contextSize = 5

// Review returns a review item with its message and the surrounding
// conversation. Reading it is a read of content for the purpose of the
// review: it is audited (who, which records, which item) before anything
// is returned. Permission when the officer is the item's own employee:
// nobody reviews their own messages. NotFound.
func (s *Service) Review(ctx context.Context, actor, officerID, id string) (*ReviewView, error) {
	const op steward.Op = "compliance.Review"
	it, err := s.Store.ReviewItemByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if officerID != "" && officerID == it.EmployeeID {
		return nil, steward.E(op, steward.Permission, "you cannot review your own messages")
	}
	rec, err := s.Store.RecordByID(ctx, it.RecordID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var recs []*steward.Record
	if it.ConversationID != "" {
		before, err := s.Store.ConversationRecordsBefore(ctx, it.ConversationID, rec.LeafIndex, contextSize)
		if err != nil {
			return nil, steward.E(op, err)
		}
		after, err := s.Store.ConversationRecords(ctx, it.ConversationID, rec.LeafIndex, contextSize)
		if err != nil {
			return nil, steward.E(op, err)
		}
		recs = append(append(before, rec), after...)
	} else {
		recs = []*steward.Record{rec}
	}
	ids := make([]string, 0, len(recs)+1)
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	ids = append(ids, it.DecisionID)
	if err := s.audit(ctx, actor, "review.read", it.ID, map[string]any{"records": ids, "purpose": "review:" + it.ID}); err != nil {
		return nil, steward.E(op, err)
	}
	v := &ReviewView{Item: it, Before: []ContextMessage{}, After: []ContextMessage{}}
	if _, _, c, err := s.Reader.Open(ctx, it.DecisionID); err == nil {
		v.Decision = c.Details
	}
	for _, r := range recs {
		cm := s.contextMessage(ctx, r)
		switch {
		case r.ID == rec.ID:
			v.Message = &cm
		case r.LeafIndex < rec.LeafIndex:
			v.Before = append(v.Before, cm)
		default:
			v.After = append(v.After, cm)
		}
	}
	return v, nil
}

func (s *Service) contextMessage(ctx context.Context, r *steward.Record) ContextMessage {
	cm := ContextMessage{RecordID: r.ID}
	meta, c, err := s.Reader.OpenRecord(ctx, r)
	if meta != nil {
		cm.Type, cm.Direction, cm.SentAt = meta.Type, meta.Direction, meta.SentAt
		cm.Sender = steward.Party{Address: meta.Sender}
	}
	if steward.Is(steward.Gone, err) {
		cm.Destroyed = true
		return cm
	}
	if err != nil {
		s.logger().Error("compliance: review context record cannot be opened", "record", r.ID, "err", err)
		return cm
	}
	cm.Sender, cm.Body, cm.Policy = c.Sender, c.Body, c.Policy
	for _, a := range c.Attachments {
		cm.Attachments = append(cm.Attachments, a.Filename)
	}
	return cm
}

// ReviewAction is one step an officer takes on a review item.
type ReviewAction struct {
	Action   string                `json:"action"`             // assign, escalate, resolve, release, reject, reopen
	Assignee string                `json:"assignee,omitempty"` // assign, escalate: an employee id
	Outcome  steward.ReviewOutcome `json:"outcome,omitempty"`  // resolve, release, reject
	Note     string                `json:"note,omitempty"`
}

// Act applies an officer's step to a review item, audited with its note
// (the note is sealed in the audit log, never stored in the clear).
//
//   - assign: to a compliance officer (Assignee), or to oneself;
//   - escalate: marks the item escalated, optionally reassigned;
//   - resolve: closes it with an outcome (true or false positive) and a note;
//     a held quarantine must be released or rejected instead;
//   - release / reject: for a quarantined item, sends (or shows) the held
//     message or refuses it for good, and resolves the item;
//   - reopen: puts a resolved item back on the queue.
//
// Returns Invalid for an unknown action or missing note/outcome,
// Permission for one's own messages or an assignee without the
// compliance-officer role, Conflict when the item is not in a state that
// allows the step (or changed meanwhile), NotFound.
func (s *Service) Act(ctx context.Context, actor, officerID, id string, a ReviewAction) (*steward.ReviewItem, error) {
	const op steward.Op = "compliance.Act"
	it, err := s.Store.ReviewItemByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if officerID != "" && officerID == it.EmployeeID {
		return nil, steward.E(op, steward.Permission, "you cannot review your own messages")
	}
	prev := it.UpdatedAt
	now := s.now().UTC()
	held := it.Quarantine == steward.QuarantineHeld
	resolve := func() error {
		if a.Outcome != steward.OutcomeTruePositive && a.Outcome != steward.OutcomeFalsePositive {
			return steward.E(steward.Invalid, "say whether the item was a true_positive or a false_positive")
		}
		if strings.TrimSpace(a.Note) == "" {
			return steward.E(steward.Invalid, "resolving needs a note")
		}
		it.State, it.Outcome, it.ResolvedBy, it.ResolvedAt = steward.ReviewResolved, a.Outcome, actor, &now
		return nil
	}
	if a.Action == "release" && it.Quarantine == steward.QuarantineReleased && s.Released != nil {
		// Released earlier, but the send may not have been queued (the
		// process stopped in between): queue it now if it is not.
		if err := s.Released(ctx, it.RecordID); err != nil && !steward.Is(steward.Conflict, err) {
			return nil, steward.E(op, err)
		}
		return it, nil
	}
	if it.State == steward.ReviewResolved && a.Action != "reopen" {
		return nil, steward.E(op, steward.Conflict, "the item is resolved; reopen it first")
	}
	switch a.Action {
	case "assign", "escalate":
		who := a.Assignee
		if who == "" && a.Action == "assign" {
			who = officerID
		}
		if who != "" {
			if err := s.mustBeOfficer(ctx, who); err != nil {
				return nil, steward.E(op, err)
			}
			it.Assignee = who
		}
		it.State = steward.ReviewAssigned
		if a.Action == "escalate" {
			if strings.TrimSpace(a.Note) == "" {
				return nil, steward.E(op, steward.Invalid, "escalating needs a note saying why")
			}
			it.State = steward.ReviewEscalated
		}
	case "resolve":
		if held {
			return nil, steward.E(op, steward.Conflict, "the message is still quarantined: release or reject it")
		}
		if err := resolve(); err != nil {
			return nil, steward.E(op, err)
		}
	case "release", "reject":
		if !held {
			return nil, steward.E(op, steward.Conflict, "the item holds no quarantined message")
		}
		if a.Outcome == "" {
			a.Outcome = steward.OutcomeFalsePositive
			if a.Action == "reject" {
				a.Outcome = steward.OutcomeTruePositive
			}
		}
		if err := resolve(); err != nil {
			return nil, steward.E(op, err)
		}
		it.Quarantine = steward.QuarantineReleased
		if a.Action == "reject" {
			it.Quarantine = steward.QuarantineRejected
		}
	case "reopen":
		if it.State != steward.ReviewResolved {
			return nil, steward.E(op, steward.Conflict, "the item is not resolved")
		}
		it.State, it.Outcome, it.ResolvedBy, it.ResolvedAt = steward.ReviewOpen, steward.OutcomeNone, "", nil
	default:
		return nil, steward.Errorf(op, steward.Invalid, "unknown review action %q", a.Action)
	}
	it.UpdatedAt = now
	if err := s.audit(ctx, actor, "review."+a.Action, it.ID, map[string]any{"record_id": it.RecordID,
		"assignee": it.Assignee, "outcome": a.Outcome, "note": a.Note}); err != nil {
		return nil, steward.E(op, err)
	}
	// The item changes first, under its version check, so that two
	// officers cannot release and reject the same message; the send is
	// queued after. If that fails, the item says released and releasing
	// it again queues the send (see above).
	if err := s.Store.UpdateReviewItem(ctx, it, prev); err != nil {
		return nil, steward.E(op, err)
	}
	if a.Action == "release" && s.Released != nil {
		if err := s.Released(ctx, it.RecordID); err != nil && !steward.Is(steward.Conflict, err) {
			return nil, steward.Errorf(op, steward.KindOf(err), "released, but the message is not queued yet (%s): release it again", steward.PublicMessage(err))
		}
	}
	return it, nil
}

func (s *Service) mustBeOfficer(ctx context.Context, employeeID string) error {
	roles, err := steward.EmployeeRoles(ctx, s.Store, employeeID)
	if steward.Is(steward.NotFound, err) {
		return steward.E(steward.Invalid, "no such employee to assign")
	}
	if err != nil {
		return err
	}
	if !slices.Contains(roles, steward.RoleComplianceOfficer) {
		return steward.E(steward.Permission, "review items go to compliance officers only")
	}
	return nil
}

// RuleHealth is one policy's hit rate and reviewer feedback, with the
// silent-rule alarm.
type RuleHealth struct {
	PolicyID       string  `json:"policy_id"`
	Name           string  `json:"name"`
	Enabled        bool    `json:"enabled"`
	Evaluated      int64   `json:"evaluated"`
	Matched        int64   `json:"matched"`
	HitRate        float64 `json:"hit_rate"`
	Items          int     `json:"review_items"`
	Open           int     `json:"open"`
	TruePositives  int     `json:"true_positives"`
	FalsePositives int     `json:"false_positives"`
	// Precision is true positives over reviewed items; -1 before any.
	Precision float64 `json:"precision"`
	// Silent is set when the rule matched in the baseline window but not
	// once in the recent window, although traffic kept flowing: the sign
	// of a rule that quietly stopped working (a renamed detector, a
	// changed attribute).
	Silent bool `json:"silent"`
}

// Windows of the rule statistics: recent is what the silent alarm looks
// at, baseline the weeks before it.
const (
	recentDays   = 7
	baselineDays = 28
)

// RuleStats reports every current policy's health over the last
// recentDays+baselineDays days.
func (s *Service) RuleStats(ctx context.Context) ([]RuleHealth, error) {
	const op steward.Op = "compliance.RuleStats"
	set, _, _ := s.current()
	s.flushCounts(ctx, set)
	now := s.now().UTC()
	since := now.AddDate(0, 0, -(recentDays + baselineDays))
	recentFrom := now.AddDate(0, 0, -recentDays+1).Format(time.DateOnly)
	ps, _, err := s.Store.Policies(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	counts, err := s.Store.PolicyCounts(ctx, since.Format(time.DateOnly))
	if err != nil {
		return nil, steward.E(op, err)
	}
	stats, err := s.Store.RuleStats(ctx, since)
	if err != nil {
		return nil, steward.E(op, err)
	}
	type window struct{ evaluated, matched, recentEval, recentMatch, baseMatch int64 }
	byPolicy := map[string]*window{}
	for _, c := range counts {
		w := byPolicy[c.PolicyID]
		if w == nil {
			w = &window{}
			byPolicy[c.PolicyID] = w
		}
		w.evaluated += c.Evaluated
		w.matched += c.Matched
		if c.Day >= recentFrom {
			w.recentEval += c.Evaluated
			w.recentMatch += c.Matched
		} else {
			w.baseMatch += c.Matched
		}
	}
	silentAfter := s.SilentAfter
	if silentAfter <= 0 {
		silentAfter = 500
	}
	out := make([]RuleHealth, 0, len(ps))
	for _, p := range ps {
		h := RuleHealth{PolicyID: p.ID, Name: p.Name, Enabled: p.Enabled, Precision: -1}
		if w := byPolicy[p.ID]; w != nil {
			h.Evaluated, h.Matched = w.evaluated, w.matched
			if w.evaluated > 0 {
				h.HitRate = float64(w.matched) / float64(w.evaluated)
			}
			h.Silent = p.Enabled && w.baseMatch > 0 && w.recentMatch == 0 && w.recentEval >= silentAfter
		}
		for _, st := range stats {
			if st.PolicyID == p.ID {
				h.Items, h.Open, h.TruePositives, h.FalsePositives = st.Items, st.Open, st.TruePositives, st.FalsePositives
			}
		}
		if n := h.TruePositives + h.FalsePositives; n > 0 {
			h.Precision = float64(h.TruePositives) / float64(n)
		}
		if h.Silent {
			s.logger().Warn("compliance: a rule stopped matching while traffic flows", "policy", p.Name)
		}
		out = append(out, h)
	}
	return out, nil
}

// AddSuppression stops a policy (or "*": every policy) from sending what
// it names to the review queue: a sender address, a conversation, or a
// matched value (given in the clear by the officer, stored only as its
// keyed digest). Suppressions never lift a hold or a block. Audited.
// Invalid for an unknown kind or empty value.
func (s *Service) AddSuppression(ctx context.Context, actor string, x *steward.Suppression, scannerValue string) (*steward.Suppression, error) {
	const op steward.Op = "compliance.AddSuppression"
	if x.Kind == steward.SuppressValue {
		_, scanner, _ := s.current()
		if scannerValue == "" {
			return nil, steward.E(op, steward.Invalid, "give the value to suppress")
		}
		x.Value = scanner.ValueDigest(scannerValue)
	}
	if strings.TrimSpace(x.Reason) == "" {
		return nil, steward.E(op, steward.Invalid, "a suppression needs a reason")
	}
	if x.PolicyID != "*" {
		if _, err := s.Store.PolicyByID(ctx, x.PolicyID); err != nil {
			return nil, steward.E(op, err)
		}
	}
	x.ID, x.CreatedBy, x.CreatedAt = steward.NewID(), actor, s.now().UTC()
	if err := s.audit(ctx, actor, "suppression.add", x.ID, map[string]any{"policy_id": x.PolicyID, "kind": x.Kind,
		"reason": x.Reason}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AddSuppression(ctx, x); err != nil {
		return nil, steward.E(op, err)
	}
	return x, s.Reload(ctx)
}

// DeleteSuppression removes a suppression. Audited. NotFound.
func (s *Service) DeleteSuppression(ctx context.Context, actor, id string) error {
	const op steward.Op = "compliance.DeleteSuppression"
	if err := s.audit(ctx, actor, "suppression.delete", id, nil); err != nil {
		return steward.E(op, err)
	}
	if err := s.Store.DeleteSuppression(ctx, id); err != nil {
		return steward.E(op, err)
	}
	return s.Reload(ctx)
}
