package records

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Eligibility is the verdict on one record at one instant.
type Eligibility struct {
	RecordID string `json:"record_id"`
	// Eligible is true only when the record's disposition is due, no
	// active hold covers it, and it is properly scheduled.
	Eligible bool `json:"eligible"`
	// Action is what disposition will do (or would do, once due). It is
	// never destroy for a permanent item.
	Action    steward.DispositionAction `json:"action,omitempty"`
	ItemID    string                    `json:"item_id,omitempty"`
	Authority string                    `json:"authority,omitempty"`
	// Reason explains the verdict for people, e.g. "GRS 5.2 item 010: 90
	// days after cutoff 2026-09-30 passed on 2026-12-29".
	Reason string `json:"reason"`
	// HeldBy lists the ids of every active hold that covers the record,
	// in order; a record with any is never eligible.
	HeldBy []string `json:"held_by,omitempty"`
	// Cutoff and DueAt are zero when unknown (an event not yet dated).
	// DueAt is the first instant at which Action is due.
	Cutoff time.Time `json:"cutoff,omitzero"`
	DueAt  time.Time `json:"due_at,omitzero"`
}

// BatchRecord turns an eligible verdict into a line of a disposition
// batch.
func (e Eligibility) BatchRecord() steward.BatchRecord {
	return steward.BatchRecord{RecordID: e.RecordID, ItemID: e.ItemID, Authority: e.Authority, Reason: e.Reason, DueAt: e.DueAt}
}

// Evaluate decides whether rec may be disposed of at now, given its
// assignment, the schedule, the holds (active and released: only those
// active at now count) and the dates of cutoff events (see Cutoff).
//
// The rules, in the order they refuse:
//   - an assigned item missing from the schedule, or a permanent item
//     whose action is destroy, is never eligible (the schedule is wrong);
//   - an unscheduled record is never eligible: unscheduled records are
//     kept as if permanent until a records officer schedules them;
//   - a record with no cutoff yet (event not dated) is not eligible;
//   - a record whose retention has not run out at now is not eligible;
//   - a record covered by any active hold is never eligible.
//
// HeldBy is filled whatever the other reasons, so reports show holds on
// records not yet due. Evaluate is pure: same arguments, same verdict.
func Evaluate(rec steward.RecordFacts, asg steward.Assignment, sched steward.Schedule, holds []steward.Hold, events map[string]time.Time, now time.Time) Eligibility {
	e := Eligibility{RecordID: rec.RecordID, ItemID: asg.ItemID}
	for i := range holds {
		if holds[i].Active(now) && holds[i].Covers(rec) {
			e.HeldBy = append(e.HeldBy, holds[i].ID)
		}
	}
	slices.Sort(e.HeldBy)
	e.HeldBy = slices.Compact(e.HeldBy)

	item, ok := sched.Item(asg.ItemID)
	if !ok {
		e.Reason = fmt.Sprintf("assigned item %q is not in schedule version %d; reassign the record", asg.ItemID, sched.Version)
		return e.withHolds()
	}
	e.Authority = item.Authority
	e.Action = item.Action
	label := item.Label()
	if item.Permanent && item.Action != steward.DispositionTransfer {
		// CheckItem refuses such items; this guards schedules that
		// bypassed it. The action is reported as transfer so that no
		// caller can read "destroy" off a permanent record's verdict.
		e.Action = steward.DispositionTransfer
		e.Reason = label + ": item is permanent but says " + string(item.Action) + "; correct the schedule"
		return e.withHolds()
	}

	cutoff, ok := Cutoff(item.Cutoff, rec.CapturedAt, events)
	if !ok {
		if item.Cutoff.Event != "" {
			e.Reason = fmt.Sprintf("%s: cut off %s, and %s has no date yet", label, item.Cutoff, item.Cutoff.Event)
		} else {
			e.Reason = fmt.Sprintf("%s: unknown cutoff period %q", label, item.Cutoff.Period)
		}
		return e.withHolds()
	}
	e.Cutoff = cutoff
	e.DueAt = EligibleAt(item, cutoff)
	span := fmt.Sprintf("%s: %s %s after cutoff %s", label, item.Action, item.Retention, lastDay(cutoff))
	if item.Cutoff.Period == steward.CutoffNone {
		// No period: the cutoff is an instant inside its day, not a boundary.
		span = fmt.Sprintf("%s: %s %s after %s %s", label, item.Action, item.Retention, cutoffEventName(item.Cutoff), cutoff.Format(time.DateOnly))
	}

	switch {
	case asg.Unscheduled:
		e.Reason = "unscheduled (no assignment rule matched"
		if asg.Error != "" {
			e.Reason = "unscheduled (assignment failed: " + asg.Error
		}
		e.Reason += "); kept as " + label + " until a records officer schedules it"
	case now.Before(e.DueAt):
		e.Reason = span + " is due " + lastDay(e.DueAt)
	default:
		e.Eligible = len(e.HeldBy) == 0
		e.Reason = span + " passed on " + lastDay(e.DueAt)
	}
	return e.withHolds()
}

func cutoffEventName(r steward.CutoffRule) string {
	if r.Event != "" {
		return r.Event
	}
	return "capture"
}

// withHolds appends the holds to the reason and makes sure a held record
// is not eligible.
func (e Eligibility) withHolds() Eligibility {
	if len(e.HeldBy) == 0 {
		return e
	}
	e.Eligible = false
	e.Reason += "; held by " + strings.Join(e.HeldBy, ", ")
	return e
}
