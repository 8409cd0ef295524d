package recordkeeping

import (
	"context"
	"encoding/json"
	"github.com/steward-gov/steward/internal/search"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// Limits of the reports.
const (
	defaultReportLimit = 1000
	maxReportLimit     = 100_000
	assignmentPage     = 500
)

// evaluator judges records at one instant, against the schedule and the
// holds read from the store when it was made. It caches directory and
// event lookups for the length of one report or execution only.
type evaluator struct {
	s      *Service
	sched  steward.Schedule
	holds  []steward.Hold
	now    time.Time
	events bool // some item of the schedule is cut off by an event

	members map[string][]string               // conversation id → employee ids of its members
	dated   map[string][]*steward.CutoffEvent // subject → its events
	queries map[string]*search.Query          // hold queries, parsed
}

func (s *Service) newEvaluator(ctx context.Context) (*evaluator, error) {
	sched, err := s.Store.Schedule(ctx)
	if err != nil {
		return nil, err
	}
	// Holds are read fresh, never from a cache: a hold placed a moment ago
	// must stop a disposition now. Evaluate checks Active at now as well.
	hs, err := s.Store.Holds(ctx, false)
	if err != nil {
		return nil, err
	}
	ev := &evaluator{s: s, sched: sched, now: s.now(), members: map[string][]string{},
		dated: map[string][]*steward.CutoffEvent{}}
	for _, h := range hs {
		ev.holds = append(ev.holds, *h)
	}
	ev.events = slices.ContainsFunc(sched.Items, func(it steward.ScheduleItem) bool { return it.Cutoff.Event != "" })
	return ev, nil
}

// primary reports whether records of kind k are judged on their own.
// Attachments and policy decisions follow the record they belong to;
// audit records, capture gaps and dead letters are never scheduled.
func primary(k steward.RecordKind) bool {
	return k == steward.RecordMessage || k == steward.RecordEvent || k == steward.RecordConsent
}

// owner returns the record whose disposition decides rec's: rec itself,
// or the message an attachment or policy decision belongs to.
func (ev *evaluator) owner(ctx context.Context, rec *steward.Record, meta *steward.RecordMeta) (*steward.Record, *steward.RecordMeta, error) {
	var parent string
	switch rec.Kind {
	case steward.RecordAttachment:
		parent = meta.Parent
	case steward.RecordPolicy:
		parent = meta.Subject
	default:
		return rec, meta, nil
	}
	p, err := ev.s.Store.RecordByID(ctx, parent)
	if err != nil {
		return nil, nil, err
	}
	pm, err := decodeMeta(p)
	if err != nil {
		return nil, nil, err
	}
	return p, pm, nil
}

func decodeMeta(rec *steward.Record) (*steward.RecordMeta, error) {
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return nil, steward.Errorf("recordkeeping.decodeMeta", steward.Integrity, "record %s: metadata is not JSON", rec.ID)
	}
	return &meta, nil
}

// facts is what holds see of a record. Its custodians are the employees
// among its sender, its recipients and, in a group, the conversation's
// current members: more than the capture-time participants rather than
// fewer, because a hold that cannot tell must cover. A hold's query is
// evaluated on the record's content (see holdquery.go).
func (ev *evaluator) facts(ctx context.Context, rec *steward.Record, meta *steward.RecordMeta) (steward.RecordFacts, error) {
	f := steward.RecordFacts{RecordID: rec.ID, Kind: rec.Kind, ConversationID: rec.ConversationID, CapturedAt: rec.CapturedAt}
	if meta.SentAt != nil {
		f.SentAt = *meta.SentAt
	}
	ch := steward.Channel(meta.Channel)
	add := func(id string) {
		if id != "" && !slices.Contains(f.Custodians, id) {
			f.Custodians = append(f.Custodians, id)
		}
	}
	for _, a := range append([]string{meta.Sender}, meta.Recipients...) {
		if a == "" {
			continue
		}
		id, err := ev.s.employeeAt(ctx, ch, a)
		if err != nil {
			return f, err
		}
		add(id)
	}
	if rec.ConversationID != "" {
		ids, ok := ev.members[rec.ConversationID]
		if !ok {
			conv, err := ev.s.Store.ConversationByID(ctx, rec.ConversationID)
			switch {
			case err == nil && conv.Kind == steward.ConversationGroup:
				ms, err := ev.s.Store.Members(ctx, conv.ID)
				if err != nil {
					return f, err
				}
				for _, m := range ms {
					id, err := ev.s.employeeAt(ctx, conv.Channel, m.Address)
					if err != nil {
						return f, err
					}
					if id != "" {
						ids = append(ids, id)
					}
				}
			case err != nil && !steward.Is(steward.NotFound, err):
				return f, err
			}
			ev.members[rec.ConversationID] = ids
		}
		for _, id := range ids {
			add(id)
		}
	}
	f.MatchQuery = ev.queryMatcher(ctx, rec, meta, f.Custodians)
	return f, nil
}

// eventDates returns the dated cutoff events that apply to a record: an
// event applies when its subject is the record, its conversation or one
// of its custodians. When several subjects have the same event, the
// latest date counts: the file closes last rather than first.
func (ev *evaluator) eventDates(ctx context.Context, f steward.RecordFacts) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	subjects := append([]string{f.RecordID, f.ConversationID}, f.Custodians...)
	for _, sub := range subjects {
		if sub == "" {
			continue
		}
		es, ok := ev.dated[sub]
		if !ok {
			var err error
			if es, err = ev.s.Store.CutoffEvents(ctx, sub); err != nil {
				return nil, err
			}
			ev.dated[sub] = es
		}
		for _, e := range es {
			if e.At.After(out[e.Name]) {
				out[e.Name] = e.At
			}
		}
	}
	return out, nil
}

// verdict judges any record: one that follows another (an attachment, a
// policy decision) gets its owner's verdict under its own id. A record
// with no assignment is never eligible.
func (ev *evaluator) verdict(ctx context.Context, rec *steward.Record) (records.Eligibility, error) {
	meta, err := decodeMeta(rec)
	if err != nil {
		return records.Eligibility{}, err
	}
	own, ownMeta, err := ev.owner(ctx, rec, meta)
	if steward.Is(steward.NotFound, err) {
		return records.Eligibility{RecordID: rec.ID, Reason: "the record it belongs to is missing; never eligible"}, nil
	} else if err != nil {
		return records.Eligibility{}, err
	}
	if !primary(own.Kind) {
		return records.Eligibility{RecordID: rec.ID, Reason: string(own.Kind) + " records are never scheduled"}, nil
	}
	asg, err := ev.s.Store.AssignmentByRecord(ctx, own.ID)
	if steward.Is(steward.NotFound, err) {
		return records.Eligibility{RecordID: rec.ID, Reason: "no schedule assignment; never eligible until a records manager assigns one"}, nil
	} else if err != nil {
		return records.Eligibility{}, err
	}
	return ev.judge(ctx, own, ownMeta, asg, rec.ID)
}

// judge evaluates a primary record under its assignment, reporting the
// verdict as that of id.
func (ev *evaluator) judge(ctx context.Context, rec *steward.Record, meta *steward.RecordMeta, asg *steward.RecordAssignment, id string) (records.Eligibility, error) {
	f, err := ev.facts(ctx, rec, meta)
	if err != nil {
		return records.Eligibility{}, err
	}
	var events map[string]time.Time
	if it, ok := ev.sched.Item(asg.ItemID); ok && ev.events && it.Cutoff.Event != "" {
		if events, err = ev.eventDates(ctx, f); err != nil {
			return records.Eligibility{}, err
		}
	}
	e := records.Evaluate(f, asg.Assignment, ev.sched, ev.holds, events, ev.now)
	e.RecordID = id
	return e, nil
}

// ReportQuery selects what the eligibility report lists.
type ReportQuery struct {
	// Action lists only records whose disposition is this action; "" any.
	Action steward.DispositionAction
	// ItemID considers only records on this schedule item; "" every item.
	ItemID string
	// All lists every verdict, not only eligible ones.
	All bool
	// Limit is the most verdicts listed: default 1000, at most 100,000.
	// The counts cover every record whatever the limit.
	Limit int
}

// Report is the eligibility report: what may be destroyed or transferred
// now, and why.
type Report struct {
	AsOf            time.Time `json:"as_of"`
	ScheduleVersion int64     `json:"schedule_version"`
	// Evaluated is how many records were judged; Eligible how many of
	// them may be disposed of now (for Action, if given); Held how many
	// an active hold covers.
	Evaluated int `json:"evaluated"`
	Eligible  int `json:"eligible"`
	Held      int `json:"held"`
	// Records are the verdicts listed, in record-id order. Attachments and
	// policy decisions are not listed: they follow their message, and a
	// batch proposed from the report takes them along.
	Records   []records.Eligibility `json:"records"`
	Truncated bool                  `json:"truncated,omitempty"`
}

// Report judges every scheduled message, event and consent record that
// still has its content at this instant (records.Evaluate over the
// assignments, the holds in force and the cutoff events) and reports
// which may be disposed of and why. Records already destroyed are
// skipped. Returns Invalid for a bad limit or action.
func (s *Service) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	const op steward.Op = "recordkeeping.Report"
	limit, err := reportLimit(q.Limit)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if q.Action != "" && !steward.ValidDispositionAction(q.Action) {
		return nil, steward.Errorf(op, steward.Invalid, "action must be %q or %q", steward.DispositionDestroy, steward.DispositionTransfer)
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	ev, err := s.newEvaluator(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	rep := &Report{AsOf: ev.now, ScheduleVersion: ev.sched.Version, Records: []records.Eligibility{}}
	err = s.eachPrimary(ctx, q.ItemID, func(rec *steward.Record, meta *steward.RecordMeta, asg *steward.RecordAssignment) error {
		e, err := ev.judge(ctx, rec, meta, asg, rec.ID)
		if err != nil {
			return err
		}
		rep.Evaluated++
		if len(e.HeldBy) > 0 {
			rep.Held++
		}
		match := e.Eligible && (q.Action == "" || e.Action == q.Action)
		if match {
			rep.Eligible++
		}
		if match || q.All {
			if len(rep.Records) < limit {
				rep.Records = append(rep.Records, e)
			} else {
				rep.Truncated = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, steward.E(op, err)
	}
	return rep, nil
}

// eachPrimary calls fn for every assigned message, event and consent
// record on itemID (every item when ""), in record-id order, that still
// has its content.
func (s *Service) eachPrimary(ctx context.Context, itemID string, fn func(*steward.Record, *steward.RecordMeta, *steward.RecordAssignment) error) error {
	after := ""
	for {
		as, err := s.Store.Assignments(ctx, itemID, false, after, assignmentPage)
		if err != nil {
			return err
		}
		for i := range as {
			after = as[i].RecordID
			rec, err := s.Store.RecordByID(ctx, as[i].RecordID)
			if steward.Is(steward.NotFound, err) {
				continue
			} else if err != nil {
				return err
			}
			if !primary(rec.Kind) || rec.Shredded() {
				continue
			}
			meta, err := decodeMeta(rec)
			if err != nil {
				return err
			}
			if err := fn(rec, meta, &as[i]); err != nil {
				return err
			}
		}
		if len(as) < assignmentPage {
			return nil
		}
	}
}

func reportLimit(n int) (int, error) {
	switch {
	case n == 0:
		return defaultReportLimit, nil
	case n < 0 || n > maxReportLimit:
		return 0, steward.Errorf("recordkeeping.reportLimit", steward.Invalid, "limit is 1-%d", maxReportLimit)
	}
	return n, nil
}

// Unscheduled lists the records no rule could place (they sit on the
// schedule's most conservative item, never eligible until reassigned), in
// record-id order after the cursor after, at most limit (default 100,
// at most 1000).
func (s *Service) Unscheduled(ctx context.Context, after string, limit int) ([]steward.RecordAssignment, error) {
	const op steward.Op = "recordkeeping.Unscheduled"
	if limit == 0 {
		limit = 100
	}
	if limit < 0 || limit > 1000 {
		return nil, steward.E(op, steward.Invalid, "limit is 1-1000")
	}
	if err := s.flushIndex(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	as, err := s.Store.Assignments(ctx, "", true, after, limit)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if as == nil {
		as = []steward.RecordAssignment{}
	}
	return as, nil
}
