package records

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func transitoryRecord() steward.RecordFacts {
	return steward.RecordFacts{
		RecordID:       "rec-1",
		Kind:           steward.RecordMessage,
		ConversationID: "conv-1",
		Custodians:     []string{"emp-alice"},
		CapturedAt:     time.Date(2026, time.September, 12, 10, 0, 0, 0, time.UTC),
		SentAt:         time.Date(2026, time.September, 12, 9, 59, 0, 0, time.UTC),
	}
}

func TestEvaluate(t *testing.T) {
	sched := BuiltinSchedules()
	sched.Items = append(sched.Items, steward.ScheduleItem{ID: "at-capture", Schedule: "Local", Item: "1", Authority: "L-1",
		Retention: steward.Period{Days: 30}, Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionDestroy})
	transitory := steward.Assignment{ItemID: "grs-5.2-010", RuleName: "transitory", ScheduleVersion: 1}
	capstone := steward.Assignment{ItemID: "grs-6.1-010", RuleName: "capstone", ScheduleVersion: 1}
	due := day(2026, time.December, 30)
	releasedAt := day(2026, time.December, 1)
	hold := func(id string, released *time.Time) steward.Hold {
		return steward.Hold{ID: id, Name: id, Reason: "litigation", Owner: "emp-counsel", Custodians: []string{"emp-alice"}, ReleasedAt: released}
	}
	tests := []struct {
		name     string
		rec      steward.RecordFacts
		asg      steward.Assignment
		holds    []steward.Hold
		events   map[string]time.Time
		now      time.Time
		eligible bool
		action   steward.DispositionAction
		reason   string
		heldBy   []string
	}{
		{
			name: "transitory due", asg: transitory, now: due, eligible: true, action: steward.DispositionDestroy,
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29",
		},
		{
			name: "transitory one instant early", asg: transitory, now: due.Add(-time.Nanosecond), action: steward.DispositionDestroy,
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 is due 2026-12-29",
		},
		{
			name: "held", asg: transitory, now: due.AddDate(1, 0, 0), action: steward.DispositionDestroy,
			holds:  []steward.Hold{hold("hold-b", nil), hold("hold-a", nil)},
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29; held by hold-a, hold-b",
			heldBy: []string{"hold-a", "hold-b"},
		},
		{
			name: "released hold no longer counts", asg: transitory, now: due, eligible: true, action: steward.DispositionDestroy,
			holds:  []steward.Hold{hold("hold-a", &releasedAt)},
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29",
		},
		{
			name: "hold released after now still counts", asg: transitory, now: due,
			holds:  []steward.Hold{hold("hold-a", new(due.Add(time.Hour)))},
			action: steward.DispositionDestroy, heldBy: []string{"hold-a"},
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29; held by hold-a",
		},
		{
			name: "hold of another custodian", asg: transitory, now: due, eligible: true, action: steward.DispositionDestroy,
			holds:  []steward.Hold{{ID: "hold-x", Custodians: []string{"emp-bob"}}},
			reason: "GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29",
		},
		{
			name: "capstone transfers, never destroys", asg: capstone, now: day(2042, time.January, 1), eligible: true,
			action: steward.DispositionTransfer,
			reason: "GRS 6.1 item 010: transfer 15 years after cutoff 2026-12-31 passed on 2041-12-31",
		},
		{
			name: "unscheduled never eligible", now: day(2100, time.January, 1), action: steward.DispositionTransfer,
			asg:    steward.Assignment{ItemID: "grs-6.1-010", Unscheduled: true, ScheduleVersion: 1},
			reason: "unscheduled (no assignment rule matched); kept as GRS 6.1 item 010 until a records officer schedules it",
		},
		{
			name: "unscheduled by a failing rule", now: day(2100, time.January, 1), action: steward.DispositionTransfer,
			asg:    steward.Assignment{ItemID: "grs-6.1-010", Unscheduled: true, Error: "rule \"x\": no such key"},
			reason: "unscheduled (assignment failed: rule \"x\": no such key); kept as GRS 6.1 item 010 until a records officer schedules it",
		},
		{
			name: "item missing", now: day(2100, time.January, 1),
			asg:    steward.Assignment{ItemID: "gone"},
			reason: `assigned item "gone" is not in schedule version 1; reassign the record`,
		},
		{
			name: "event not dated", now: day(2100, time.January, 1), action: steward.DispositionDestroy,
			asg:    steward.Assignment{ItemID: "agency-case-010"},
			reason: "Agency schedule (example) item 010: cut off end of fiscal year after case_closed, and case_closed has no date yet",
		},
		{
			name: "cut off at capture", now: day(2100, time.January, 1), eligible: true, action: steward.DispositionDestroy,
			rec:    steward.RecordFacts{RecordID: "rec-m", CapturedAt: day(2026, time.March, 10)},
			asg:    steward.Assignment{ItemID: "at-capture"},
			reason: "Local item 1: destroy 30 days after capture 2026-03-10 passed on 2026-04-08",
		},
		{
			name: "event dated", now: day(2033, time.October, 1), eligible: true, action: steward.DispositionDestroy,
			asg:    steward.Assignment{ItemID: "agency-case-010"},
			events: map[string]time.Time{"case_closed": day(2027, time.March, 3)},
			reason: "Agency schedule (example) item 010: destroy 6 years after cutoff 2027-09-30 passed on 2033-09-30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			if rec.RecordID == "" {
				rec = transitoryRecord()
			}
			e := Evaluate(rec, tt.asg, sched, tt.holds, tt.events, tt.now)
			if e.Eligible != tt.eligible || e.Action != tt.action || e.Reason != tt.reason || !slices.Equal(e.HeldBy, tt.heldBy) {
				t.Fatalf("Evaluate =\n  %v %s %q held by %v\nwant\n  %v %s %q held by %v",
					e.Eligible, e.Action, e.Reason, e.HeldBy, tt.eligible, tt.action, tt.reason, tt.heldBy)
			}
			if e.RecordID != rec.RecordID {
				t.Errorf("RecordID = %q", e.RecordID)
			}
		})
	}
}

// A schedule that skipped CheckItem may say "destroy" for a permanent
// item; Evaluate still refuses, and never reports destroy for it.
func TestEvaluatePermanentDestroyRefused(t *testing.T) {
	sched := BuiltinSchedules()
	sched.Items[0].Action = steward.DispositionDestroy // grs-6.1-010, permanent
	e := Evaluate(transitoryRecord(), steward.Assignment{ItemID: "grs-6.1-010"}, sched, nil, nil, day(2200, time.January, 1))
	if e.Eligible || e.Action != steward.DispositionTransfer || !strings.Contains(e.Reason, "permanent") {
		t.Fatalf("Evaluate = %+v, want refused with action transfer", e)
	}
}

// A hold created "after" now (a lagging clock) still freezes: Active
// looks only at the release.
func TestHoldActiveIgnoresCreation(t *testing.T) {
	h := steward.Hold{ID: "h", CreatedAt: day(2030, time.January, 1)}
	if !h.Active(day(2029, time.January, 1)) {
		t.Error("a hold created after now is not active")
	}
	rel := day(2031, time.January, 1)
	h.ReleasedAt = &rel
	if !h.Active(rel.Add(-time.Nanosecond)) || h.Active(rel) {
		t.Error("a hold must be active until, and not at, its release instant")
	}
}

func TestBatchRecordFromVerdict(t *testing.T) {
	e := Evaluate(transitoryRecord(), steward.Assignment{ItemID: "grs-5.2-010"}, BuiltinSchedules(), nil, nil, day(2027, time.January, 1))
	br := e.BatchRecord()
	want := steward.BatchRecord{RecordID: "rec-1", ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001", Reason: e.Reason, DueAt: day(2026, time.December, 30)}
	if br != want {
		t.Fatalf("BatchRecord = %+v, want %+v", br, want)
	}
}

func ExampleEvaluate() {
	rec := steward.RecordFacts{
		RecordID:   "rec-1",
		Custodians: []string{"emp-alice"},
		CapturedAt: time.Date(2026, time.September, 12, 10, 0, 0, 0, time.UTC),
	}
	asg := steward.Assignment{ItemID: "grs-5.2-010", RuleName: "transitory", ScheduleVersion: 1}
	hold := steward.Hold{ID: "hold-7", Name: "Smith v. Agency", Custodians: []string{"emp-alice"}}
	now := time.Date(2027, time.January, 4, 0, 0, 0, 0, time.UTC)

	e := Evaluate(rec, asg, BuiltinSchedules(), []steward.Hold{hold}, nil, now)
	fmt.Println(e.Eligible, e.Reason)

	hold, _ = Release(hold, "emp-counsel", "case settled", now.Add(-time.Hour))
	e = Evaluate(rec, asg, BuiltinSchedules(), []steward.Hold{hold}, nil, now)
	fmt.Println(e.Eligible, e.Action, e.Reason)
	// Output:
	// false GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29; held by hold-7
	// true destroy GRS 5.2 item 010: destroy 90 days after cutoff 2026-09-30 passed on 2026-12-29
}
