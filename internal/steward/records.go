package steward

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds the records-management vocabulary (issue 6): the file
// plan (schedule items), the rules that put each record on an item, legal
// holds, disposition batches, tombstones and certificates. The decisions
// made from them (cutoffs, assignment, eligibility, batch transitions, the
// certificate's signed bytes) are pure functions in internal/records; the
// stores below only keep what those functions produce. internal/records
// validates every value (records.CheckItem, CheckRule, CheckHold) before a
// store is asked to save it, so stores may trust their input's shape.

// DispositionAction is what happens to a record when its retention ends.
type DispositionAction string

const (
	// DispositionDestroy crypto-shreds a temporary record: its data and
	// blob keys are destroyed and a Tombstone stays.
	DispositionDestroy DispositionAction = "destroy"
	// DispositionTransfer hands a permanent record to NARA (accession).
	DispositionTransfer DispositionAction = "transfer"
)

// ValidDispositionAction reports whether a is destroy or transfer.
func ValidDispositionAction(a DispositionAction) bool {
	return a == DispositionDestroy || a == DispositionTransfer
}

// Period is a span of calendar time, as schedules state retention: "7
// years", "90 days". It is added with time.AddDate, so months and years
// follow the calendar (and normalise: 31 January plus one month is 3
// March, or 2 March in a leap year).
type Period struct {
	Years  int `json:"years,omitempty"`
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// AddTo returns t moved forward by p.
func (p Period) AddTo(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// IsZero reports whether p is no time at all.
func (p Period) IsZero() bool { return p == Period{} }

// String spells p for people: "7 years", "1 year 6 months", "90 days",
// "0 days".
func (p Period) String() string {
	var parts []string
	add := func(n int, unit string) {
		if n == 0 {
			return
		}
		if n == 1 {
			parts = append(parts, "1 "+unit)
			return
		}
		parts = append(parts, fmt.Sprintf("%d %ss", n, unit))
	}
	add(p.Years, "year")
	add(p.Months, "month")
	add(p.Days, "day")
	if len(parts) == 0 {
		return "0 days"
	}
	return strings.Join(parts, " ")
}

// CutoffPeriod is the span that closes a file: every record captured (or
// whose event happened) within one period is cut off together, at the
// period's end, and its retention runs from then.
type CutoffPeriod string

const (
	// CutoffNone closes each record on its own, at the instant of capture
	// (or of its event): retention runs from that instant.
	CutoffNone CutoffPeriod = "none"
	// CutoffMonth closes at the end of the calendar month.
	CutoffMonth CutoffPeriod = "month"
	// CutoffCalendarYear closes at the end of 31 December.
	CutoffCalendarYear CutoffPeriod = "calendar_year"
	// CutoffFiscalYear closes at the end of the US federal fiscal year,
	// 30 September.
	CutoffFiscalYear CutoffPeriod = "fiscal_year"
)

// ValidCutoffPeriod reports whether p is a known period.
func ValidCutoffPeriod(p CutoffPeriod) bool {
	switch p {
	case CutoffNone, CutoffMonth, CutoffCalendarYear, CutoffFiscalYear:
		return true
	}
	return false
}

// CutoffRule says when a record's file is cut off.
//
// Time-based (Event empty): the end of the Period in which the record was
// captured. Event-based (Event set, e.g. "case_closed",
// "employee_departed"): the end of the Period in which the named event
// happened; until someone supplies the event's date the record has no
// cutoff and is never eligible.
type CutoffRule struct {
	Period CutoffPeriod `json:"period"`
	Event  string       `json:"event,omitempty"`
}

// String describes the rule: "end of fiscal year", "end of month after
// case_closed", "at capture".
func (r CutoffRule) String() string {
	var s string
	switch r.Period {
	case CutoffNone:
		s = "at capture"
		if r.Event != "" {
			return "at " + r.Event
		}
	case CutoffMonth:
		s = "end of month"
	case CutoffCalendarYear:
		s = "end of calendar year"
	case CutoffFiscalYear:
		s = "end of fiscal year"
	default:
		s = "cutoff " + string(r.Period)
	}
	if r.Event != "" {
		s += " after " + r.Event
	}
	return s
}

// ScheduleItem is one line of the file plan: a class of records, the
// authority that allows their disposition, and what happens when.
// Schedules are data: administrators edit items, and every change is a
// new version (as policies).
type ScheduleItem struct {
	// ID is the stable key rules and assignments use, e.g. "grs-6.1-010".
	ID string `json:"id"`
	// Schedule and Item name the line as records officers cite it:
	// Schedule "GRS 6.1", Item "010".
	Schedule string `json:"schedule"`
	Item     string `json:"item"`
	Title    string `json:"title"`
	// Authority is the disposition authority, e.g.
	// "DAA-GRS-2014-0001-0001", as written on the certificate of
	// disposition.
	Authority string `json:"authority"`
	// Permanent records are never destroyed: their Action must be
	// transfer, and Retention is how long after cutoff the agency keeps
	// them before transfer to NARA.
	Permanent bool `json:"permanent,omitempty"`
	// Retention runs from the cutoff; at its end Action becomes due.
	Retention Period            `json:"retention"`
	Cutoff    CutoffRule        `json:"cutoff"`
	Action    DispositionAction `json:"action"`
	Notes     string            `json:"notes,omitempty"`
	// ToBeConfirmed marks an item whose terms must still be confirmed
	// against the agency's approved NA-1005 (GRS 6.1) or schedule.
	ToBeConfirmed bool      `json:"to_be_confirmed,omitempty"`
	Version       int       `json:"version"`
	Deleted       bool      `json:"deleted,omitempty"`
	UpdatedBy     string    `json:"updated_by,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Label is how reports name the item: "GRS 6.1 item 010".
func (it *ScheduleItem) Label() string {
	switch {
	case it.Schedule != "" && it.Item != "":
		return it.Schedule + " item " + it.Item
	case it.Schedule != "":
		return it.Schedule
	}
	return it.ID
}

// Schedule is the agency's file plan at one version: every item not
// deleted. Version grows by one with every change to any item, and is
// captured in each Assignment.
type Schedule struct {
	Version int64          `json:"version"`
	Items   []ScheduleItem `json:"items"`
}

// Item returns the item with the given ID.
func (s *Schedule) Item(id string) (ScheduleItem, bool) {
	i := slices.IndexFunc(s.Items, func(it ScheduleItem) bool { return it.ID == id })
	if i < 0 {
		return ScheduleItem{}, false
	}
	return s.Items[i], true
}

// AssignmentRule puts records on a schedule item: when Condition (a CEL
// expression yielding bool; see internal/records for its variables) holds
// for a record, the record goes on ItemID. Rules run in ascending
// Priority, ties by Name; the first that matches decides.
type AssignmentRule struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Condition   string    `json:"condition"`
	ItemID      string    `json:"item_id"`
	Priority    int       `json:"priority"`
	Enabled     bool      `json:"enabled"`
	Version     int       `json:"version"`
	Deleted     bool      `json:"deleted,omitempty"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Assignment is the schedule decision for one record, made once at
// capture from the facts as they were then (the participants' Capstone
// flags and roles at capture time), and kept with the record. A later
// role change or rule edit never moves an old record: only an explicit,
// audited AssignmentStore.Reassign does.
type Assignment struct {
	ItemID          string `json:"item_id"`
	RuleID          string `json:"rule_id,omitempty"`
	RuleName        string `json:"rule_name,omitempty"`
	RuleVersion     int    `json:"rule_version,omitempty"`
	ScheduleVersion int64  `json:"schedule_version"`
	// Unscheduled is set when no rule matched (or a rule failed to
	// evaluate): ItemID is then the schedule's most conservative item,
	// and the record is listed on the unscheduled report. An unscheduled
	// record is never eligible for disposition until it is reassigned.
	Unscheduled bool `json:"unscheduled,omitempty"`
	// Error says why the rules could not decide, when one failed.
	Error string `json:"error,omitempty"`
}

// RecordAssignment is an Assignment as stored against a record.
type RecordAssignment struct {
	RecordID string `json:"record_id"`
	Assignment
	AssignedAt time.Time `json:"assigned_at"`
	// AssignedBy and Reason are empty for the assignment made at capture
	// and set for a reassignment.
	AssignedBy string `json:"assigned_by,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// CutoffEvent is the date of an event that cuts files off: Name
// "case_closed" with Subject the case id, "employee_departed" with Subject
// the employee id. Which events apply to which record is the caller's
// mapping; the eligibility functions take them as name → date.
type CutoffEvent struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	At         time.Time `json:"at"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Hold is a legal hold (freeze): while active, no record it covers may be
// disposed of, whatever its schedule says. A hold covers records already
// captured and records captured later alike.
//
// Its scope is the conjunction of the dimensions that are set: a record is
// covered when it has one of the Custodians (if any are listed), is in
// one of the Conversations (if any), falls in [From, Until] (if bounded)
// and matches Query (if set). A hold with none of them set freezes the
// whole archive: a disposal moratorium, which is allowed.
type Hold struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Owner is the employee id of who answers for the hold (counsel or
	// the records manager).
	Owner         string   `json:"owner"`
	Custodians    []string `json:"custodians,omitempty"`    // employee ids
	Conversations []string `json:"conversations,omitempty"` // conversation ids
	// From and Until bound the record's sent or captured time, both
	// inclusive; nil is unbounded.
	From  *time.Time `json:"from,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Query is a search expression opaque to this package; RecordFacts
	// carries the caller's matcher for it.
	Query         string     `json:"query,omitempty"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
}

// Active reports whether the hold still freezes records at now: it does
// until the instant it is released. Creation time is deliberately not
// consulted, so a clock that lags the hold's creation cannot open a
// window for disposal.
func (h *Hold) Active(now time.Time) bool {
	return h.ReleasedAt == nil || now.Before(*h.ReleasedAt)
}

// Covers reports whether rec falls within the hold's scope, active or
// not (see Active). Where a dimension cannot be decided it errs towards
// covering: a set Query with no matcher covers, and the date range covers
// a record when either its sent or its captured time falls in it.
func (h *Hold) Covers(rec RecordFacts) bool {
	if len(h.Custodians) > 0 && !slices.ContainsFunc(rec.Custodians, func(c string) bool { return slices.Contains(h.Custodians, c) }) {
		return false
	}
	if len(h.Conversations) > 0 && !slices.Contains(h.Conversations, rec.ConversationID) {
		return false
	}
	if h.From != nil || h.Until != nil {
		in := func(t time.Time) bool {
			return !t.IsZero() && (h.From == nil || !t.Before(*h.From)) && (h.Until == nil || !t.After(*h.Until))
		}
		if !in(rec.CapturedAt) && !in(rec.SentAt) {
			return false
		}
	}
	if h.Query != "" && rec.MatchQuery != nil && !rec.MatchQuery(h.Query) {
		return false
	}
	return true
}

// RecordFacts is what holds and eligibility need to know of a record.
// The caller assembles it from the record's metadata; no content is
// involved unless MatchQuery searches it.
type RecordFacts struct {
	RecordID       string     `json:"record_id"`
	Kind           RecordKind `json:"kind"`
	ConversationID string     `json:"conversation_id,omitempty"`
	// Custodians are the employees whose record this is: the employee
	// sender and employee recipients.
	Custodians []string  `json:"custodians,omitempty"`
	CapturedAt time.Time `json:"captured_at"`
	// SentAt is the channel's sent time; zero when unknown.
	SentAt time.Time `json:"sent_at,omitzero"`
	// MatchQuery reports whether the record matches a hold's Query. Nil
	// means the caller cannot tell, and every query is taken to match.
	MatchQuery func(query string) bool `json:"-"`
}

// HoldNotice is the notice a custodian receives when a hold names them,
// and their acknowledgement. Both the notice and the acknowledgement are
// archived as records; the ids point at them.
type HoldNotice struct {
	HoldID         string     `json:"hold_id"`
	Custodian      string     `json:"custodian"`
	SentAt         time.Time  `json:"sent_at"`
	NoticeRecordID string     `json:"notice_record_id,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AckRecordID    string     `json:"ack_record_id,omitempty"`
}

// BatchState is where a disposition batch stands.
type BatchState string

const (
	BatchProposed  BatchState = "proposed"
	BatchApproved  BatchState = "approved"
	BatchExecuted  BatchState = "executed"
	BatchCancelled BatchState = "cancelled"
)

// BatchRecord is one record of a disposition batch, with why it was
// found eligible when the batch was proposed.
type BatchRecord struct {
	RecordID  string    `json:"record_id"`
	ItemID    string    `json:"item_id"`
	Authority string    `json:"authority"`
	Reason    string    `json:"reason"`
	DueAt     time.Time `json:"due_at"`
}

// BatchApproval is one approver's yes.
type BatchApproval struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// DispositionBatch is a set of records to destroy or transfer together,
// proposed by a records manager and approved by RequiredApprovals
// distinct approvers before anyone may execute it. Its transitions are
// the pure functions records.Propose, Approve, Cancel and Execute.
type DispositionBatch struct {
	ID      string            `json:"id"`
	Action  DispositionAction `json:"action"`
	Records []BatchRecord     `json:"records"`
	// RequiredApprovals is the number of distinct approvers needed, at
	// least 1. At 2 or more the two-person rule holds: the requester may
	// not approve their own batch.
	RequiredApprovals int             `json:"required_approvals"`
	State             BatchState      `json:"state"`
	RequestedBy       string          `json:"requested_by"`
	CreatedAt         time.Time       `json:"created_at"`
	Approvals         []BatchApproval `json:"approvals,omitempty"`
	ExecutedBy        string          `json:"executed_by,omitempty"`
	ExecutedAt        *time.Time      `json:"executed_at,omitempty"`
	CancelledBy       string          `json:"cancelled_by,omitempty"`
	CancelledAt       *time.Time      `json:"cancelled_at,omitempty"`
	CancelReason      string          `json:"cancel_reason,omitempty"`
	UpdatedAt         time.Time       `json:"updated_at"`
}

// Tombstone is what remains of a disposed record: enough to show that it
// existed, what happened to it and on whose authority. The record's leaf
// stays in the Merkle log, so the log still verifies; verify reports the
// record as shredded, not as an error.
type Tombstone struct {
	RecordID   string            `json:"record_id"`
	LeafIndex  int64             `json:"leaf_index"`
	LeafHash   Hash              `json:"leaf_hash"`
	ItemID     string            `json:"item_id"`
	Authority  string            `json:"authority"`
	Action     DispositionAction `json:"action"`
	DisposedAt time.Time         `json:"disposed_at"`
	BatchID    string            `json:"batch_id"`
}

// CertifiedRecord is one line of a certificate of disposition.
type CertifiedRecord struct {
	RecordID  string `json:"record_id"`
	LeafIndex int64  `json:"leaf_index"`
	LeafHash  Hash   `json:"leaf_hash"`
	ItemID    string `json:"item_id"`
	Authority string `json:"authority"`
}

// DispositionCertificate states what an executed batch disposed of, under
// which authorities, approved by whom. records.EncodeCertificate gives the
// canonical bytes that the log key signs; the signed certificate is
// itself archived as a record.
type DispositionCertificate struct {
	BatchID     string            `json:"batch_id"`
	Action      DispositionAction `json:"action"`
	RequestedBy string            `json:"requested_by"`
	Approvals   []BatchApproval   `json:"approvals"`
	ExecutedBy  string            `json:"executed_by"`
	ExecutedAt  time.Time         `json:"executed_at"`
	Records     []CertifiedRecord `json:"records"`
}

// SignedCertificate is a certificate as issued: the signed note whose text
// is the canonical encoding, and the id of the record that archives it.
type SignedCertificate struct {
	BatchID   string    `json:"batch_id"`
	Note      []byte    `json:"note"`
	RecordID  string    `json:"record_id"`
	CreatedAt time.Time `json:"created_at"`
}

// ScheduleStore keeps the file plan and the assignment rules, each
// versioned as policies are (see PolicyStore).
type ScheduleStore interface {
	// SaveScheduleItem stores it as the next version of its item, or as a
	// new item when it.ID is unknown; it.ID is required (Invalid).
	// it.Version must be the version being replaced (0 for a new item):
	// otherwise Conflict. It sets Version and UpdatedAt (to now) and
	// returns the new schedule version, which grows by one with every
	// change to any item. Deleting (Deleted set) an item that enabled
	// rules, not deleted, still name is Conflict.
	SaveScheduleItem(ctx context.Context, it *ScheduleItem) (scheduleVersion int64, err error)
	// Schedule returns the current version of every item not deleted,
	// ordered by ID, and the schedule version.
	Schedule(ctx context.Context) (Schedule, error)
	// ScheduleItemHistory returns every version of an item, oldest first.
	// NotFound.
	ScheduleItemHistory(ctx context.Context, id string) ([]*ScheduleItem, error)
	// SaveAssignmentRule stores r with the same versioning and Conflict
	// rules as SaveScheduleItem (a name must differ from that of every
	// other rule not deleted: deleting a rule frees its name, as with
	// policies) and returns the new rule-set version. An empty r.ID is
	// given a new ID. Saving an enabled rule, not deleted, whose ItemID
	// is not a current item of the schedule is Conflict too, so that the
	// stored rules always compile (records.Compile) against the stored
	// schedule.
	SaveAssignmentRule(ctx context.Context, r *AssignmentRule) (ruleSetVersion int64, err error)
	// AssignmentRules returns the current version of every rule not
	// deleted, ordered by priority then name, and the rule-set version.
	AssignmentRules(ctx context.Context) ([]*AssignmentRule, int64, error)
}

// AssignmentStore keeps each record's schedule assignment.
type AssignmentStore interface {
	// AddAssignments stores the capture-time assignment of each record,
	// all or none. A record that already has one, or that as lists twice,
	// is Conflict (the whole call fails): assignments are never silently
	// replaced. An assignment without RecordID or ItemID is Invalid. A
	// zero AssignedAt is stored as the store's now.
	AddAssignments(ctx context.Context, as []RecordAssignment) error
	// AssignmentByRecord returns a record's current assignment. NotFound.
	AssignmentByRecord(ctx context.Context, recordID string) (*RecordAssignment, error)
	// Reassign moves a record to another assignment; a.AssignedBy and
	// a.Reason are required (Invalid). The previous assignment stays in
	// the history; the caller audits the change. NotFound for a record
	// with no assignment.
	Reassign(ctx context.Context, a RecordAssignment) error
	// AssignmentHistory returns every assignment a record has had, oldest
	// first. NotFound.
	AssignmentHistory(ctx context.Context, recordID string) ([]RecordAssignment, error)
	// Assignments lists current assignments in record-id order after the
	// cursor after (""), at most limit (0 means 100; negative is
	// Invalid): only unscheduled ones when unscheduled is set, only those
	// on itemID when it is set, and only unscheduled ones on itemID when
	// both are.
	Assignments(ctx context.Context, itemID string, unscheduled bool, after string, limit int) ([]RecordAssignment, error)
	// AddCutoffEvent stores an event; an empty ID is given a new one and
	// a zero RecordedAt is set to now. Conflict when an event of the same
	// Name and Subject exists: an event happens once; correct it by
	// recording a new one under a new subject or through support.
	// Invalid without Name, Subject or At.
	AddCutoffEvent(ctx context.Context, e *CutoffEvent) error
	// CutoffEvents returns the events of a subject, oldest At first; none
	// for a subject with no events.
	CutoffEvents(ctx context.Context, subject string) ([]*CutoffEvent, error)
}

// HoldStore keeps legal holds and their notices. Callers audit every
// change.
type HoldStore interface {
	// CreateHold stores a new hold (ID set by the caller). Conflict for an
	// ID already used.
	CreateHold(ctx context.Context, h *Hold) error
	// HoldByID returns a hold, released or not. NotFound.
	HoldByID(ctx context.Context, id string) (*Hold, error)
	// Holds lists holds, newest first; released ones only when
	// includeReleased is set. A hold counts as released once its
	// ReleasedAt has passed by the store's clock: one released with a
	// future date is listed either way, since it freezes records until
	// then. Eligibility must be computed from the list with
	// includeReleased unset or with Hold.Active, never from a cache.
	Holds(ctx context.Context, includeReleased bool) ([]*Hold, error)
	// ReleaseHold sets ReleasedBy, ReleasedAt and ReleaseReason. Conflict
	// when already released; NotFound.
	ReleaseHold(ctx context.Context, id, by, reason string, at time.Time) error
	// AddHoldNotices stores notices, all or none; one per hold and
	// custodian, and a repeat is ignored. NotFound, storing none, when a
	// notice names no hold.
	AddHoldNotices(ctx context.Context, ns []HoldNotice) error
	// HoldNotices lists a hold's notices by custodian. NotFound when
	// there is no such hold.
	HoldNotices(ctx context.Context, holdID string) ([]HoldNotice, error)
	// AcknowledgeHoldNotice records a custodian's acknowledgement.
	// Conflict when already acknowledged; NotFound when no notice.
	AcknowledgeHoldNotice(ctx context.Context, holdID, custodian string, at time.Time, ackRecordID string) error
}

// DispositionStore keeps disposition batches, tombstones and
// certificates.
type DispositionStore interface {
	// AddBatch stores a proposed batch. Conflict for an ID already used.
	AddBatch(ctx context.Context, b *DispositionBatch) error
	// BatchByID returns a batch. NotFound.
	BatchByID(ctx context.Context, id string) (*DispositionBatch, error)
	// Batches lists batches in a state (any when empty), newest first,
	// each with its Records.
	Batches(ctx context.Context, state BatchState) ([]*DispositionBatch, error)
	// UpdateBatch saves a batch's workflow fields (State, Approvals,
	// ExecutedBy, ExecutedAt, CancelledBy, CancelledAt, CancelReason,
	// UpdatedAt) after a records transition; Records and the rest never
	// change. prev is the UpdatedAt the caller read, compared to the
	// microsecond: if the batch changed since, Conflict. b.UpdatedAt must
	// be later than prev (Invalid), or zero for the store to stamp it, so
	// that a second writer holding prev cannot overwrite the change
	// unseen. NotFound.
	UpdateBatch(ctx context.Context, b *DispositionBatch, prev time.Time) error
	// AddTombstones stores tombstones, all or none; a repeat for a record
	// is ignored, so a crashed execution can be resumed.
	AddTombstones(ctx context.Context, ts []Tombstone) error
	// TombstoneByRecord returns a record's tombstone. NotFound when the
	// record was never disposed of.
	TombstoneByRecord(ctx context.Context, recordID string) (*Tombstone, error)
	// AddCertificate stores a batch's signed certificate. Conflict when
	// the batch already has one; NotFound when there is no such batch.
	AddCertificate(ctx context.Context, c *SignedCertificate) error
	// CertificateByBatch returns a batch's certificate. NotFound.
	CertificateByBatch(ctx context.Context, batchID string) (*SignedCertificate, error)
}
