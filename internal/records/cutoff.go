package records

import (
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Cutoff returns the instant a record's file is cut off under rule, and
// false when it has none yet (an event-based rule whose event has no
// date in events) or the rule's period is unknown.
//
// The instant is the end of the period, that is the first instant after
// it: a fiscal-year cutoff of a record captured in FY 2026 is 1 October
// 2026 00:00, which reports show as "2026-09-30", the period's last day.
// Periods are reckoned in capturedAt's location, so pass
// capturedAt.In(agencyZone) to close files on the agency's midnight
// rather than UTC's.
//
// An event-based rule counts from the event, or from capture when the
// event is dated earlier (a file cannot close before its record existed).
// events maps event names to dates; which events belong to a record (the
// custodian's departure, the case's closing) is the caller's mapping.
func Cutoff(rule steward.CutoffRule, capturedAt time.Time, events map[string]time.Time) (time.Time, bool) {
	base := capturedAt
	if rule.Event != "" {
		at, ok := events[rule.Event]
		if !ok || at.IsZero() {
			return time.Time{}, false
		}
		if at.After(base) {
			base = at.In(capturedAt.Location())
		}
	}
	y, m, _ := base.Date()
	loc := base.Location()
	switch rule.Period {
	case steward.CutoffNone:
		return base, true
	case steward.CutoffMonth:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, loc), true
	case steward.CutoffCalendarYear:
		return time.Date(y+1, time.January, 1, 0, 0, 0, 0, loc), true
	case steward.CutoffFiscalYear:
		// The US federal fiscal year runs 1 October to 30 September and
		// is named after the year it ends in.
		if m >= time.October {
			y++
		}
		return time.Date(y, time.October, 1, 0, 0, 0, 0, loc), true
	}
	return time.Time{}, false
}

// EligibleAt returns the first instant at which item's disposition action
// is due for a record cut off at cutoff: the cutoff plus the retention.
// It says nothing of holds; see Evaluate.
func EligibleAt(item steward.ScheduleItem, cutoff time.Time) time.Time {
	return item.Retention.AddTo(cutoff)
}

// lastDay names the day that ends at t when t is a period boundary
// (midnight), and t's own day otherwise: the date people expect to read
// for "cut off on" and "passed on".
func lastDay(t time.Time) string {
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		t = t.AddDate(0, 0, -1)
	}
	return t.Format(time.DateOnly)
}
