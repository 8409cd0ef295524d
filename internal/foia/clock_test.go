package foia

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func clockAt(t *testing.T, cal Calendar, req steward.FOIARequest, history []steward.FOIAEvent, now time.Time) Clock {
	t.Helper()
	c, err := Deadlines(req, history, cal, now)
	if err != nil {
		t.Fatal(err)
	}
	// Invariants of every clock.
	if c.Remaining != c.Allowed-c.WorkingDaysUsed {
		t.Errorf("remaining %d != allowed %d - used %d", c.Remaining, c.Allowed, c.WorkingDaysUsed)
	}
	if !cal.IsWorkingDay(c.Due) {
		t.Errorf("due %s is not a working day", c.Due.Format(time.DateOnly))
	}
	if c.Due.Location().String() != cal.Location().String() || c.Due.Hour() != 0 {
		t.Errorf("due %v is not midnight in the agency's zone", c.Due)
	}
	return c
}

func wantDay(t *testing.T, what string, got time.Time, want string) {
	t.Helper()
	if want == "" {
		if !got.IsZero() {
			t.Errorf("%s = %s, want none", what, got.Format(time.DateOnly))
		}
		return
	}
	if !got.Equal(day(want)) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.DateOnly), want)
	}
}

func TestClockPlain(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00"))) // Monday
	cases := []struct {
		now       string
		used, rem int
		overdue   bool
	}{
		{"2025-03-03 12:00", 0, 20, false}, // day 0
		{"2025-03-04 09:00", 1, 19, false},
		{"2025-03-09 09:00", 4, 16, false}, // Sunday: Tuesday to Friday
		{"2025-03-31 23:59", 20, 0, false}, // the due day itself
		{"2025-04-01 00:01", 21, -1, true},
		{"2025-04-07 09:00", 25, -5, true},
	}
	for _, c := range cases {
		clk := clockAt(t, cal, req, nil, at(c.now))
		wantDay(t, "start", clk.Start, "2025-03-03")
		wantDay(t, "due", clk.Due, "2025-03-31")
		if clk.WorkingDaysUsed != c.used || clk.Remaining != c.rem || clk.Overdue != c.overdue {
			t.Errorf("at %s: used %d remaining %d overdue %v; want %d %d %v", c.now, clk.WorkingDaysUsed, clk.Remaining, clk.Overdue, c.used, c.rem, c.overdue)
		}
		if clk.Extended || clk.Tolled || clk.TolledDays != 0 || !clk.AppealBy.IsZero() {
			t.Errorf("at %s: unexpected %+v", c.now, clk)
		}
	}
}

func TestClockReceipt(t *testing.T) {
	cal := newCal(t, Config{})
	cases := []struct {
		name, received, start, due string
	}{
		{"Friday before a Monday holiday", "2025-01-17 10:00", "2025-01-17", "2025-02-18"},
		{"same, after hours", "2025-01-17 17:30", "2025-01-21", "2025-02-19"},
		{"on the holiday", "2025-01-20 10:00", "2025-01-21", "2025-02-19"},
		{"Saturday", "2025-03-08 10:00", "2025-03-10", "2025-04-07"},
		{"over Thanksgiving", "2024-11-25 10:00", "2024-11-25", "2024-12-24"},
		{"over Christmas and New Year observed on Fridays", "2021-12-23 10:00", "2021-12-23", "2022-01-25"},
	}
	for _, c := range cases {
		req := mustIntake(t, validRequest(at(c.received)))
		clk := clockAt(t, cal, req, nil, at(c.received))
		if !clk.Start.Equal(day(c.start)) || !clk.Due.Equal(day(c.due)) {
			t.Errorf("%s: start %s due %s; want %s %s", c.name, clk.Start.Format(time.DateOnly), clk.Due.Format(time.DateOnly), c.start, c.due)
		}
	}
	// A west-coast office keeps its own hours: 16:30 Pacific is 19:30 in
	// New York, in time for Pacific business but late for Eastern.
	west := newCal(t, Config{Zone: "America/Los_Angeles"})
	r := validRequest(time.Date(2025, 3, 4, 0, 30, 0, 0, time.UTC)) // Monday 16:30 PST
	req := mustIntake(t, r)
	if clk := clockAt(t, west, req, nil, r.ReceivedAt); clk.Start.Format(time.DateOnly) != "2025-03-03" {
		t.Errorf("Pacific start %s", clk.Start.Format(time.DateOnly))
	}
	if clk := clockAt(t, cal, req, nil, r.ReceivedAt); clk.Start.Format(time.DateOnly) != "2025-03-04" {
		t.Errorf("Eastern start %s", clk.Start.Format(time.DateOnly))
	}
}

func TestClockMisrouted(t *testing.T) {
	cal := newCal(t, Config{})
	r := validRequest(at("2025-03-24 10:00"))
	r.FirstReceivedAt = at("2025-03-03 10:00") // sat with the wrong component three weeks
	req := mustIntake(t, r)
	clk := clockAt(t, cal, req, nil, at("2025-03-24 12:00"))
	wantDay(t, "start", clk.Start, "2025-03-17") // ten working days after first receipt
	wantDay(t, "due", clk.Due, "2025-04-14")
	if clk.WorkingDaysUsed != 5 {
		t.Errorf("used %d on arrival, want 5", clk.WorkingDaysUsed)
	}
	// Routed quickly: the right component's receipt starts the clock.
	r.FirstReceivedAt = at("2025-02-28 10:00")
	r.ReceivedAt = at("2025-03-03 10:00")
	req = mustIntake(t, r)
	wantDay(t, "start", clockAt(t, cal, req, nil, r.ReceivedAt).Start, "2025-03-03")
}

func TestClockTolling(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	asked := toll(steward.FOIATollInformation, at("2025-03-05 14:00")) // day 2 is used

	// While tolled the clock stands still; Due assumes an answer today.
	tolled, h := run(t, cal, req, asked)
	clk := clockAt(t, cal, tolled, h, at("2025-03-07 12:00"))
	if !clk.Tolled || clk.TollReason != steward.FOIATollInformation || clk.WorkingDaysUsed != 2 || clk.Remaining != 18 || clk.TolledDays != 2 || clk.Overdue {
		t.Errorf("tolled clock %+v", clk)
	}
	wantDay(t, "projected due", clk.Due, "2025-04-02")
	// Long past the original due day, a tolled request is not overdue.
	if clk := clockAt(t, cal, tolled, h, at("2025-06-02 12:00")); clk.Overdue || clk.WorkingDaysUsed != 2 {
		t.Errorf("long toll %+v", clk)
	}

	// The answer arrives Monday 10 March: Thursday, Friday and Monday are
	// excluded and the clock resumes on Tuesday.
	resumed, h := run(t, cal, req, asked, ev(steward.FOIAEventTollEnded, at("2025-03-10 11:00")))
	clk = clockAt(t, cal, resumed, h, at("2025-03-11 12:00"))
	wantDay(t, "due", clk.Due, "2025-04-03")
	if clk.TolledDays != 3 || clk.WorkingDaysUsed != 3 || clk.Tolled || !clk.InformationTollUsed {
		t.Errorf("resumed %+v", clk)
	}
	if clk := clockAt(t, cal, resumed, h, at("2025-04-03 16:00")); clk.Remaining != 0 || clk.Overdue {
		t.Errorf("due day %+v", clk)
	}

	// An answer after hours counts from the next working day.
	_, h = run(t, cal, req, asked, ev(steward.FOIAEventTollEnded, at("2025-03-10 18:00")))
	if clk := clockAt(t, cal, resumed, h, at("2025-03-12 12:00")); clk.TolledDays != 4 {
		t.Errorf("after-hours answer: tolled %d, want 4", clk.TolledDays)
	}

	// An information toll and two fee tolls add up.
	multi, h := run(t, cal, req, asked,
		ev(steward.FOIAEventTollEnded, at("2025-03-10 11:00")), // 3 days
		toll(steward.FOIATollFee, at("2025-03-12 10:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-14 10:00")), // 13, 14: 2 days
		toll(steward.FOIATollFee, at("2025-03-14 15:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-14 16:00")), // same day: none
	)
	clk = clockAt(t, cal, multi, h, at("2025-03-17 12:00"))
	if clk.TolledDays != 5 {
		t.Errorf("tolled %d, want 5", clk.TolledDays)
	}
	wantDay(t, "due", clk.Due, AddWorkingDays(day("2025-03-03"), 25, cal).Format(time.DateOnly))
	wantDay(t, "due", clk.Due, "2025-04-07")

	// An answer late on Friday counts from Monday; a new question on
	// Saturday stops the clock only from Monday, so no day is tolled twice.
	overlap, h := run(t, cal, req, asked,
		ev(steward.FOIAEventTollEnded, at("2025-03-07 18:00")), // Thu, Fri, Mon
		toll(steward.FOIATollFee, at("2025-03-08 10:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-11 10:00")), // Tue
	)
	clk = clockAt(t, cal, overlap, h, at("2025-03-12 12:00"))
	if clk.TolledDays != 4 || clk.WorkingDaysUsed != 3 {
		t.Errorf("overlapping tolls: tolled %d used %d, want 4 and 3", clk.TolledDays, clk.WorkingDaysUsed)
	}
	wantDay(t, "due", clk.Due, "2025-04-04")

	// A toll asked on the day of receipt, after hours, stops nothing that
	// had started: the clock's day 0 is the next working day.
	late := mustIntake(t, validRequest(at("2025-03-07 18:00")))
	_, h = run(t, cal, late, toll(steward.FOIATollInformation, at("2025-03-07 18:30")), ev(steward.FOIAEventTollEnded, at("2025-03-10 09:00")))
	if clk := clockAt(t, cal, late, h, at("2025-03-11 09:00")); clk.TolledDays != 0 || clk.WorkingDaysUsed != 1 {
		t.Errorf("toll before day 0: %+v", clk)
	}
}

func TestClockExtension(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	ext := extend(10, at("2025-03-20 09:00"))
	ext.Circumstance = steward.FOIAFieldFacilities
	r, h := run(t, cal, req, ext)
	clk := clockAt(t, cal, r, h, at("2025-04-01 09:00"))
	wantDay(t, "due", clk.Due, "2025-04-14")
	if !clk.Extended || clk.ExtensionDays != 10 || clk.Allowed != 30 || clk.Overdue || clk.Remaining != 9 ||
		!clk.ExtensionNotice.Equal(ext.At) || clk.Circumstance != steward.FOIAFieldFacilities {
		t.Errorf("extended %+v", clk)
	}
	r, h = run(t, cal, req, extend(3, at("2025-03-20 09:00")))
	wantDay(t, "due +3", clockAt(t, cal, r, h, at("2025-03-20 09:00")).Due, "2025-04-03")
	// Extension and tolling together.
	r, h = run(t, cal, req,
		toll(steward.FOIATollInformation, at("2025-03-05 14:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-10 11:00")),
		extend(10, at("2025-04-02 09:00")), // the day before the tolled due day
	)
	wantDay(t, "due", clockAt(t, cal, r, h, at("2025-04-02 09:00")).Due, AddWorkingDays(day("2025-03-03"), 33, cal).Format(time.DateOnly))
}

func TestClockResponseAndAppeal(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))

	// On time.
	r, h := run(t, cal, req, respond(steward.FOIAFullGrant, at("2025-03-31 16:00")))
	clk := clockAt(t, cal, r, h, at("2025-05-01 09:00"))
	if clk.Late || clk.Overdue || clk.WorkingDaysUsed != 20 || clk.Remaining != 0 {
		t.Errorf("on time %+v", clk)
	}
	wantDay(t, "responded", clk.Responded, "2025-03-31")
	wantDay(t, "appeal by", clk.AppealBy, "2025-06-29") // 90 calendar days, a Sunday: not moved

	// A day late, then appealed on the 88th day (a Friday).
	r, h = run(t, cal, req,
		respond(steward.FOIAPartialGrant, at("2025-04-01 15:00")),
		ev(steward.FOIAEventAppealReceived, at("2025-06-27 16:00")),
	)
	clk = clockAt(t, cal, r, h, at("2025-07-01 09:00"))
	if !clk.Late || clk.Remaining != -1 || clk.Overdue || clk.AppealLate || clk.AppealOverdue || clk.AppealExtended {
		t.Errorf("late response %+v", clk)
	}
	wantDay(t, "appeal by", clk.AppealBy, "2025-06-30")
	wantDay(t, "appeal received", clk.AppealReceived, "2025-06-27")
	wantDay(t, "appeal decision due", clk.AppealDecisionDue, "2025-07-28") // over Independence Day
	if clk := clockAt(t, cal, r, h, at("2025-07-29 09:00")); !clk.AppealOverdue {
		t.Error("appeal undecided past its due day is not overdue")
	}

	// Extended appeal, decided.
	r, h = run(t, cal, req,
		respond(steward.FOIAFullDenial, at("2025-04-01 15:00")),
		ev(steward.FOIAEventAppealReceived, at("2025-06-27 16:00")),
		extend(10, at("2025-07-15 09:00")),
		decide(steward.FOIAAffirmed, at("2025-08-08 11:00")),
	)
	clk = clockAt(t, cal, r, h, at("2025-09-01 09:00"))
	wantDay(t, "extended appeal due", clk.AppealDecisionDue, "2025-08-11")
	wantDay(t, "appeal decided", clk.AppealDecided, "2025-08-08")
	if !clk.AppealExtended || clk.AppealOverdue {
		t.Errorf("extended appeal %+v", clk)
	}
	// An appeal's extension after its time ran out is refused.
	if _, err := Apply(r, h[:2], extend(10, at("2025-07-29 09:00")), cal); !steward.Is(steward.Conflict, err) {
		t.Errorf("late appeal extension: %v", err)
	}

	// Received after the window: the agency may hear it, and the clock says
	// it was late.
	r, h = run(t, cal, req, respond(steward.FOIANoRecords, at("2025-04-01 15:00")), ev(steward.FOIAEventAppealReceived, at("2025-07-01 10:00")))
	if clk := clockAt(t, cal, r, h, at("2025-07-01 12:00")); !clk.AppealLate {
		t.Error("an appeal on day 91 is not late")
	}

	// A withdrawn request has nothing to appeal.
	r, h = run(t, cal, req, respond(steward.FOIAWithdrawn, at("2025-03-10 15:00")))
	if clk := clockAt(t, cal, r, h, at("2025-03-11 12:00")); !clk.AppealBy.IsZero() {
		t.Errorf("withdrawn: appeal by %v", clk.AppealBy)
	}

	// An agency that counts the appeal window in working days.
	work := newCal(t, Config{AppealDays: 90, AppealWorkingDays: true})
	r, h = run(t, work, req, respond(steward.FOIAPartialGrant, at("2025-04-01 15:00")))
	wantDay(t, "working-day appeal by", clockAt(t, work, r, h, at("2025-04-02 12:00")).AppealBy, "2025-08-08")
	short := newCal(t, Config{AppealDays: 45})
	wantDay(t, "45-day appeal by", clockAt(t, short, r, h, at("2025-04-02 12:00")).AppealBy, "2025-05-16")
}

func TestClockExpedite(t *testing.T) {
	cal := newCal(t, Config{})
	r := validRequest(at("2025-03-05 10:00")) // Wednesday
	r.ExpediteRequested = true
	req := mustIntake(t, r)
	clk := clockAt(t, cal, req, nil, at("2025-03-14 09:00"))
	wantDay(t, "expedite due", clk.ExpeditedDecisionDue, "2025-03-15") // a Saturday: calendar days, not moved
	if clk.ExpediteDecided || clk.ExpediteOverdue {
		t.Errorf("pending %+v", clk)
	}
	if clk := clockAt(t, cal, req, nil, at("2025-03-16 09:00")); !clk.ExpediteOverdue {
		t.Error("undecided expedite request not overdue after ten days")
	}
	granted, h := run(t, cal, req, ev(steward.FOIAEventExpediteGranted, at("2025-03-07 10:00")))
	clk = clockAt(t, cal, granted, h, at("2025-03-20 09:00"))
	if !clk.ExpediteDecided || clk.ExpediteOverdue {
		t.Errorf("granted %+v", clk)
	}
	// Expedited processing does not change the statutory period.
	wantDay(t, "due", clk.Due, AddWorkingDays(day("2025-03-05"), 20, cal).Format(time.DateOnly))

	// Asked later: the ten days run from that request.
	plain := mustIntake(t, validRequest(at("2025-03-05 10:00")))
	later, h := run(t, cal, plain, ev(steward.FOIAEventExpediteRequested, at("2025-03-12 18:00")))
	wantDay(t, "later expedite due", clockAt(t, cal, later, h, at("2025-03-13 09:00")).ExpeditedDecisionDue, "2025-03-22")
	if clk := clockAt(t, cal, plain, nil, at("2025-03-13 09:00")); !clk.ExpediteRequested.IsZero() || !clk.ExpeditedDecisionDue.IsZero() {
		t.Errorf("no expedite request: %+v", clk)
	}
}

func TestDeadlinesRejectsBrokenHistory(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	_, err := Deadlines(req, []steward.FOIAEvent{decide(steward.FOIAAffirmed, at("2025-03-04 10:00"))}, cal, at("2025-03-05 10:00"))
	if !steward.Is(steward.Integrity, err) {
		t.Errorf("err = %v, want Integrity", err)
	}
}
