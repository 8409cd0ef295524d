package records

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// BuiltinSchedules returns the file plan Steward starts with, as schedule
// version 1. Every item is ordinary data: administrators edit, replace or
// delete them like their own. Authority numbers come from NARA's General
// Records Schedules as we understand them; items or numbers marked
// "(verify)" in Notes, and every item with ToBeConfirmed, must be checked
// against the current GRS and the agency's approved NA-1005 before
// anything is disposed of under them.
func BuiltinSchedules() steward.Schedule {
	return steward.Schedule{
		Version: 1,
		Items: []steward.ScheduleItem{
			{
				ID:        "grs-6.1-010",
				Schedule:  "GRS 6.1",
				Item:      "010",
				Title:     "Electronic messages of Capstone officials",
				Authority: "DAA-GRS-2014-0001-0001",
				Permanent: true,
				Retention: steward.Period{Years: 15},
				Cutoff:    steward.CutoffRule{Period: steward.CutoffCalendarYear},
				Action:    steward.DispositionTransfer,
				Notes: "Permanent. Cut off per the agency's business needs (AC 18.2016; calendar year here, " +
					"set it to the cutoff on the approved NA-1005). Transfer to NARA 15 years after cutoff, or " +
					"after declassification review when applicable, whichever is later. Authority number (verify).",
				Version: 1,
			},
			{
				ID:        "grs-6.1-020",
				Schedule:  "GRS 6.1",
				Item:      "020",
				Title:     "Electronic messages of officials other than Capstone officials",
				Authority: "DAA-GRS-2014-0001-0002",
				Retention: steward.Period{Years: 7},
				Cutoff:    steward.CutoffRule{Period: steward.CutoffCalendarYear},
				Action:    steward.DispositionDestroy,
				Notes: "Temporary. Delete 7 years after cutoff; a longer retention is authorized for " +
					"business use. Period and authority number (verify) against the NA-1005.",
				ToBeConfirmed: true,
				Version:       1,
			},
			{
				ID:        "grs-6.1-030",
				Schedule:  "GRS 6.1",
				Item:      "030",
				Title:     "Electronic messages of support and administrative staff",
				Authority: "DAA-GRS-2014-0001-0003",
				Retention: steward.Period{Years: 3},
				Cutoff:    steward.CutoffRule{Period: steward.CutoffCalendarYear},
				Action:    steward.DispositionDestroy,
				Notes: "Temporary. Delete 3 years after cutoff; a longer retention is authorized for " +
					"business use. Period and authority number (verify) against the NA-1005.",
				ToBeConfirmed: true,
				Version:       1,
			},
			{
				ID:        "grs-5.2-010",
				Schedule:  "GRS 5.2",
				Item:      "010",
				Title:     "Transitory records",
				Authority: "DAA-GRS-2022-0009-0001",
				Retention: steward.Period{Days: 90},
				Cutoff:    steward.CutoffRule{Period: steward.CutoffMonth},
				Action:    steward.DispositionDestroy,
				Notes: "Temporary. GRS: destroy when no longer needed for business use, or per an " +
					"agency-predetermined period; transitory records are kept generally less than 180 days. " +
					"Steward's predetermined period: cut off at month end, destroy 90 days after cutoff " +
					"(at most 121 days after capture). Authority number (verify).",
				Version: 1,
			},
			{
				ID:        "agency-case-010",
				Schedule:  "Agency schedule (example)",
				Item:      "010",
				Title:     "Case correspondence conducted by electronic message",
				Authority: "DAA-AGENCY-EXAMPLE-0001",
				Retention: steward.Period{Years: 6},
				Cutoff:    steward.CutoffRule{Period: steward.CutoffFiscalYear, Event: EventCaseClosed},
				Action:    steward.DispositionDestroy,
				Notes: "Example of an agency-specific item with an event-based cutoff: cut off at the end of " +
					"the fiscal year in which the case closes, destroy 6 years after cutoff. The authority " +
					"is a placeholder: replace it with the agency's approved schedule item.",
				ToBeConfirmed: true,
				Version:       1,
			},
		},
	}
}

// Event names used by the built-in schedule. Any name matching
// [a-z][a-z0-9_]* may be used.
const (
	EventCaseClosed       = "case_closed"
	EventEmployeeDeparted = "employee_departed"
)

var (
	itemIDRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	eventNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// Bounds keep dates far inside time.Time's range and reject typos such
// as 700 years meant as 7.
const (
	maxYears  = 200
	maxMonths = maxYears * 12
	maxDays   = maxYears * 366
)

// CheckItem returns Invalid for a malformed schedule item: a bad ID, no
// authority, an unknown cutoff or action, a negative or absurd retention,
// or a permanent item whose action is destroy.
func CheckItem(it *steward.ScheduleItem) error {
	const op steward.Op = "records.CheckItem"
	p := it.Retention
	switch {
	case !itemIDRE.MatchString(it.ID):
		return steward.E(op, steward.Invalid, "an item id is 1-64 characters of a-z, 0-9, '_', '.', '-'")
	case strings.TrimSpace(it.Title) == "":
		return steward.E(op, steward.Invalid, "a schedule item needs a title")
	case !validAuthority(it.Authority):
		return steward.E(op, steward.Invalid, "a schedule item needs a disposition authority of 1-128 printable characters")
	case !steward.ValidCutoffPeriod(it.Cutoff.Period):
		return steward.Errorf(op, steward.Invalid, "unknown cutoff period %q", it.Cutoff.Period)
	case it.Cutoff.Event != "" && !eventNameRE.MatchString(it.Cutoff.Event):
		return steward.E(op, steward.Invalid, "a cutoff event name is 1-64 characters of a-z, 0-9, '_', starting with a letter")
	case !steward.ValidDispositionAction(it.Action):
		return steward.Errorf(op, steward.Invalid, "disposition action must be %q or %q", steward.DispositionDestroy, steward.DispositionTransfer)
	case it.Permanent && it.Action != steward.DispositionTransfer:
		return steward.E(op, steward.Invalid, "a permanent item can only be transferred, never destroyed")
	case p.Years < 0 || p.Months < 0 || p.Days < 0:
		return steward.E(op, steward.Invalid, "a retention period cannot be negative")
	case p.Years > maxYears || p.Months > maxMonths || p.Days > maxDays:
		return steward.Errorf(op, steward.Invalid, "a retention period is at most %d years", maxYears)
	case len(it.Notes) > 4096:
		return steward.E(op, steward.TooLarge, "schedule item notes are at most 4096 bytes")
	}
	return nil
}

// validAuthority accepts what NARA authorities look like
// ("DAA-GRS-2014-0001-0001", "N1-064-08-1, item 3"): printable text
// without control characters. The certificate encoding escapes the rest.
func validAuthority(s string) bool {
	if s == "" || len(s) > 128 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// CheckSchedule checks every item (CheckItem) and that IDs are unique
// and at least one item exists: a record no rule matches must have
// somewhere to go.
func CheckSchedule(s *steward.Schedule) error {
	const op steward.Op = "records.CheckSchedule"
	if len(s.Items) == 0 {
		return steward.E(op, steward.Invalid, "a schedule needs at least one item")
	}
	seen := make(map[string]bool, len(s.Items))
	for i := range s.Items {
		it := &s.Items[i]
		if err := CheckItem(it); err != nil {
			return steward.Errorf(op, steward.KindOf(err), "item %q: %s", it.ID, steward.PublicMessage(err))
		}
		if seen[it.ID] {
			return steward.Errorf(op, steward.Invalid, "item id %q is used twice", it.ID)
		}
		seen[it.ID] = true
	}
	return nil
}

// MostConservative returns the item that keeps records longest: a
// permanent item if there is one, else an event-cut-off item (its end is
// open until the event happens), else the item whose disposition falls
// latest after capture in the worst case. Ties go to the smaller ID, so
// the answer does not depend on the order of s.Items. It is where records
// no rule matches are put; false when the schedule is empty.
func MostConservative(s *steward.Schedule) (steward.ScheduleItem, bool) {
	if len(s.Items) == 0 {
		return steward.ScheduleItem{}, false
	}
	best := slices.MinFunc(s.Items, func(a, b steward.ScheduleItem) int {
		if c := compareKeep(b, a); c != 0 { // longer keep sorts first
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return best, true
}

// compareKeep orders items by how long they keep a record, shortest
// first.
func compareKeep(a, b steward.ScheduleItem) int {
	if c := cmpBool(a.Permanent, b.Permanent); c != 0 {
		return c
	}
	if c := cmpBool(a.Cutoff.Event != "", b.Cutoff.Event != ""); c != 0 {
		return c
	}
	return cmp.Compare(worstKeep(a), worstKeep(b))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// worstKeep is the longest a record can wait from capture to disposition
// under it: a record captured at the start of the longest cutoff period,
// measured from a fixed leap-year reference so the answer is stable.
func worstKeep(it steward.ScheduleItem) time.Duration {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var cut time.Time
	switch it.Cutoff.Period {
	case steward.CutoffMonth:
		cut = ref.AddDate(0, 0, 31)
	case steward.CutoffCalendarYear, steward.CutoffFiscalYear:
		cut = ref.AddDate(0, 0, 366)
	default:
		cut = ref
	}
	return it.Retention.AddTo(cut).Sub(ref)
}
