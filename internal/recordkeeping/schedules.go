package recordkeeping

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// DefaultRules are the assignment rules a new installation starts with,
// on the built-in GRS 6.1 items (records.BuiltinSchedules). The role that
// counts is the one at capture, and every item of a conversation
// (messages, edits, reactions, receipts, consent requests and replies)
// goes through the same rules, so consent traffic follows the
// conversation it belongs to.
func DefaultRules() []steward.AssignmentRule {
	return []steward.AssignmentRule{
		{Name: "capstone-officials", Priority: 10, Enabled: true, ItemID: "grs-6.1-010",
			Description: "A Capstone official takes part: permanent (GRS 6.1 item 010).",
			Condition:   "capstone"},
		{Name: "senior-officials", Priority: 20, Enabled: true, ItemID: "grs-6.1-020",
			Description: "A participant is an executive or senior official, or a supervisor: GRS 6.1 item 020.",
			Condition: `participants.exists(p, p.seniority.lowerAscii() in ["executive", "senior"] ` +
				`|| "supervisor" in p.roles)`},
		{Name: "other-messages", Priority: 100, Enabled: true, ItemID: "grs-6.1-030",
			Description: "Everything else: support and administrative staff, GRS 6.1 item 030.",
			Condition:   "true"},
	}
}

// InstallDefaults saves the built-in schedule items when the schedule has
// never had one, and the default rules when no rule was ever saved, each
// audited as actor's change, and reloads. It returns how many items and
// rules it added.
func (s *Service) InstallDefaults(ctx context.Context, actor string) (items, rules int, err error) {
	const op steward.Op = "recordkeeping.InstallDefaults"
	sched, err := s.Store.Schedule(ctx)
	if err != nil {
		return 0, 0, steward.E(op, err)
	}
	if sched.Version == 0 {
		for _, it := range records.BuiltinSchedules().Items {
			it.Version = 0
			if _, err := s.SaveItem(ctx, actor, &it); err != nil {
				return items, 0, steward.E(op, err)
			}
			items++
		}
	}
	rs, version, err := s.Store.AssignmentRules(ctx)
	if err != nil {
		return items, 0, steward.E(op, err)
	}
	if version == 0 && len(rs) == 0 {
		for _, r := range DefaultRules() {
			if _, err := s.SaveRule(ctx, actor, &r); err != nil {
				return items, rules, steward.E(op, err)
			}
			rules++
		}
	}
	return items, rules, nil
}

// SaveItem checks a new or changed schedule item (records.CheckItem),
// audits the change with the old and new versions, stores it as a new
// version and reloads. it.Version must be the version being replaced (0
// for a new item). Returns Invalid, Conflict (a stale version, a new item
// whose id exists, or deleting an item an enabled rule still names),
// NotFound (an unknown id with a non-zero version).
func (s *Service) SaveItem(ctx context.Context, actor string, it *steward.ScheduleItem) (*steward.ScheduleItem, error) {
	const op steward.Op = "recordkeeping.SaveItem"
	if !it.Deleted {
		if err := records.CheckItem(it); err != nil {
			return nil, steward.E(op, err)
		}
	}
	// Refuse a stale edit before auditing it; the store checks again in
	// its transaction, so a race still ends in Conflict.
	hist, err := s.Store.ScheduleItemHistory(ctx, it.ID)
	switch {
	case steward.Is(steward.NotFound, err):
		if it.Version != 0 {
			return nil, steward.Errorf(op, steward.NotFound, "schedule item %q does not exist", it.ID)
		}
	case err != nil:
		return nil, steward.E(op, err)
	default:
		if cur := hist[len(hist)-1]; cur.Version != it.Version {
			return nil, steward.Errorf(op, steward.Conflict, "schedule item %q is at version %d, not %d: reload it and apply your change again",
				it.ID, cur.Version, it.Version)
		}
	}
	it.UpdatedBy = actor
	action := "schedule.create"
	switch {
	case it.Deleted:
		action = "schedule.delete"
	case it.Version > 0:
		action = "schedule.update"
	}
	if _, err := s.audit(ctx, actor, action, it.ID, map[string]any{"from_version": it.Version, "to_version": it.Version + 1,
		"item": it}); err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.Store.SaveScheduleItem(ctx, it); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	return it, nil
}

// DeleteItem retires a schedule item: a new version marked deleted, so
// its history stays. Records already on it keep their assignment and are
// not eligible until reassigned. Errors as for SaveItem.
func (s *Service) DeleteItem(ctx context.Context, actor, id string, version int) error {
	const op steward.Op = "recordkeeping.DeleteItem"
	hist, err := s.Store.ScheduleItemHistory(ctx, id)
	if err != nil {
		return steward.E(op, err)
	}
	it := *hist[len(hist)-1]
	it.Version, it.Deleted = version, true
	if _, err := s.SaveItem(ctx, actor, &it); err != nil {
		return steward.E(op, err)
	}
	return nil
}

// Rule returns the current version of an assignment rule. NotFound.
func (s *Service) Rule(ctx context.Context, id string) (*steward.AssignmentRule, error) {
	const op steward.Op = "recordkeeping.Rule"
	rs, _, err := s.Store.AssignmentRules(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, steward.E(op, steward.NotFound, "assignment rule not found")
}

// SaveRule checks a new or changed assignment rule, compiling the whole
// rule set it would make against the schedule (so a condition that does
// not type-check to bool, or an unknown item, is refused here and not
// when a record arrives), audits the change, stores it as a new version
// and puts it in force at once. r.Version must be the version being
// replaced (0 for a new rule). Returns Invalid (with CEL's message),
// Conflict (a stale version or a name in use), NotFound.
func (s *Service) SaveRule(ctx context.Context, actor string, r *steward.AssignmentRule) (*steward.AssignmentRule, error) {
	const op steward.Op = "recordkeeping.SaveRule"
	if r.ID == "" {
		if r.Version != 0 {
			return nil, steward.E(op, steward.Invalid, "a new rule has version 0")
		}
		r.ID = steward.NewID()
	}
	sched, err := s.Store.Schedule(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	cur, _, err := s.Store.AssignmentRules(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	set := derefRules(cur)
	i := slices.IndexFunc(set, func(x steward.AssignmentRule) bool { return x.ID == r.ID })
	switch {
	case i < 0 && r.Version != 0:
		return nil, steward.E(op, steward.NotFound, "assignment rule not found")
	case i >= 0 && set[i].Version != r.Version:
		return nil, steward.Errorf(op, steward.Conflict, "the rule is at version %d, not %d: reload it and apply your change again",
			set[i].Version, r.Version)
	case i >= 0:
		set = slices.Delete(set, i, i+1)
	}
	if !r.Deleted {
		if err := records.CheckRule(r); err != nil {
			return nil, steward.E(op, err)
		}
		set = append(set, *r)
	}
	if _, err := records.Compile(sched, set); err != nil {
		return nil, steward.E(op, err)
	}
	r.UpdatedBy = actor
	action := "assignment_rule.create"
	switch {
	case r.Deleted:
		action = "assignment_rule.delete"
	case r.Version > 0:
		action = "assignment_rule.update"
	}
	if _, err := s.audit(ctx, actor, action, r.ID, map[string]any{"name": r.Name, "from_version": r.Version,
		"to_version": r.Version + 1, "condition": r.Condition, "item_id": r.ItemID, "priority": r.Priority,
		"enabled": r.Enabled}); err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.Store.SaveAssignmentRule(ctx, r); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	return r, nil
}

// DeleteRule retires an assignment rule (a new version marked deleted),
// out of force at once. Errors as for SaveRule.
func (s *Service) DeleteRule(ctx context.Context, actor, id string, version int) error {
	r, err := s.Rule(ctx, id)
	if err != nil {
		return steward.E(steward.Op("recordkeeping.DeleteRule"), err)
	}
	r.Version, r.Deleted, r.Enabled = version, true, false
	_, err = s.SaveRule(ctx, actor, r)
	return err
}

// Assignment returns every assignment a record has had, oldest first.
// NotFound when it has none (audit records, capture gaps, dead letters,
// records captured before schedules were installed).
func (s *Service) Assignment(ctx context.Context, recordID string) ([]steward.RecordAssignment, error) {
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(steward.Op("recordkeeping.Assignment"), err)
	}
	h, err := s.Store.AssignmentHistory(ctx, recordID)
	if err != nil {
		return nil, steward.E(steward.Op("recordkeeping.Assignment"), err)
	}
	return h, nil
}

// Reassign puts a record, with its attachments and policy decision, on
// another schedule item, for a reason; audited. The capture-time
// assignment stays in the history and in the record's sealed metadata. A
// message, event or consent record with no assignment yet (captured
// before schedules were installed) gets its first one this way. Returns
// Invalid (no reason, an item not in the schedule, an attachment or
// policy decision, which follow their message, or a record of a kind that
// is never scheduled), NotFound.
func (s *Service) Reassign(ctx context.Context, actor, recordID, itemID, reason string) (*steward.RecordAssignment, error) {
	const op steward.Op = "recordkeeping.Reassign"
	if strings.TrimSpace(reason) == "" {
		return nil, steward.E(op, steward.Invalid, "a reassignment needs a reason")
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	switch rec.Kind {
	case steward.RecordMessage, steward.RecordEvent, steward.RecordConsent:
	case steward.RecordAttachment, steward.RecordPolicy:
		return nil, steward.E(op, steward.Invalid, "attachments and policy decisions follow their message: reassign the message")
	default:
		return nil, steward.Errorf(op, steward.Invalid, "%s records are never scheduled", rec.Kind)
	}
	sched, err := s.Store.Schedule(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, ok := sched.Item(itemID); !ok {
		return nil, steward.Errorf(op, steward.Invalid, "schedule item %q is not in the schedule", itemID)
	}
	ids, err := s.family(ctx, rec)
	if err != nil {
		return nil, steward.E(op, err)
	}
	now := s.now()
	a := steward.RecordAssignment{Assignment: steward.Assignment{ItemID: itemID, ScheduleVersion: sched.Version},
		AssignedAt: now, AssignedBy: actor, Reason: reason}
	if _, err := s.audit(ctx, actor, "record.reassign", rec.ID, map[string]any{"item_id": itemID, "reason": reason,
		"records": ids}); err != nil {
		return nil, steward.E(op, err)
	}
	for _, id := range ids {
		a.RecordID = id
		err := s.Store.Reassign(ctx, a)
		if steward.Is(steward.NotFound, err) {
			err = s.Store.AddAssignments(ctx, []steward.RecordAssignment{a})
		}
		if err != nil {
			return nil, steward.E(op, err)
		}
	}
	a.RecordID = rec.ID
	return &a, nil
}

// family returns a record's id followed by those of the records that
// follow it: its attachments (from its metadata) and its policy decision
// (by the "#policy" idempotency key the pipeline gives it).
func (s *Service) family(ctx context.Context, rec *steward.Record) ([]string, error) {
	ids := []string{rec.ID}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return nil, steward.E(steward.Integrity, "record metadata is not JSON", err)
	}
	ids = append(ids, meta.Attachments...)
	key := rec.IdempotencyKey + "#policy"
	found, err := s.Store.FindByIdempotencyKeys(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	if ref, ok := found[key]; ok {
		ids = append(ids, ref.ID)
	}
	return ids, nil
}

var eventNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// RecordEvent records the date of a cutoff event ("case_closed" for a
// case, "employee_departed" for an employee), audited. Subject is what
// the event happened to: a record id, a conversation id or an employee
// id; see Report for which records it cuts off. Returns Invalid (a bad
// name, no subject or date), Conflict (the event is already dated: an
// event happens once).
func (s *Service) RecordEvent(ctx context.Context, actor string, e *steward.CutoffEvent) (*steward.CutoffEvent, error) {
	const op steward.Op = "recordkeeping.RecordEvent"
	switch {
	case !eventNameRE.MatchString(e.Name):
		return nil, steward.E(op, steward.Invalid, "an event name is 1-64 characters of a-z, 0-9, '_', starting with a letter")
	case strings.TrimSpace(e.Subject) == "" || len(e.Subject) > 256:
		return nil, steward.E(op, steward.Invalid, "an event needs a subject: a record, conversation or employee id")
	case e.At.IsZero():
		return nil, steward.E(op, steward.Invalid, "an event needs the date it happened")
	}
	e.ID, e.RecordedBy, e.RecordedAt = steward.NewID(), actor, s.now()
	if _, err := s.audit(ctx, actor, "cutoff_event.add", e.ID, map[string]any{"name": e.Name, "subject": e.Subject,
		"at": e.At}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AddCutoffEvent(ctx, e); err != nil {
		return nil, steward.E(op, err)
	}
	return e, nil
}
