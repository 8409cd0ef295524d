package foiasvc_test

import (
	"context"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/foia"
	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/steward"
)

var ctx = context.Background()

var eastern = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a wall-clock time in the agency's zone.
func at(day string, hour int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, eastern)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour) * time.Hour)
}

func ymd(t time.Time) string { return t.Format(time.DateOnly) }

// env is the service on a real SQLite store and audit log, with a clock
// the test moves.
type env struct {
	t   *testing.T
	s   *archivetest.Stack
	svc *foiasvc.Service
	now time.Time
}

func newEnv(t *testing.T, closures string) *env {
	t.Helper()
	cal, err := foiasvc.Calendar("", closures, "")
	if err != nil {
		t.Fatal(err)
	}
	s := archivetest.New(t)
	e := &env{t: t, s: s}
	e.svc = &foiasvc.Service{Store: s.DB, Pipeline: s.Pipeline, Calendar: cal, Now: func() time.Time { return e.now }}
	return e
}

// intake takes in a request received on Friday 20 November 2026 at 10:00,
// the week before Thanksgiving.
func (e *env) intake(id string) *foiasvc.Request {
	e.t.Helper()
	e.now = at("2026-11-20", 11)
	req, err := e.svc.Create(ctx, "officer-1", steward.FOIARequest{ID: id,
		Requester:   steward.FOIARequester{Name: "Pat Reporter", Email: "pat@news.example.com"},
		Description: "Emails about the culvert contract, January to June 2026", ReceivedAt: at("2026-11-20", 10)})
	if err != nil {
		e.t.Fatal(err)
	}
	return req
}

func (e *env) record(id string, ev steward.FOIAEvent) *foiasvc.Request {
	e.t.Helper()
	req, err := e.svc.Record(ctx, "officer-1", id, ev, 0)
	if err != nil {
		e.t.Fatalf("%s: %v", ev.Kind, err)
	}
	return req
}

func (e *env) audits(action, subject string) int {
	e.t.Helper()
	recs, err := e.s.DB.AuditRecords(ctx, steward.AuditFilter{Action: action, Subject: subject, Before: -1, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(recs)
}

// TestDeadlineSkipsThanksgiving: twenty working days after Friday 20
// November 2026 skip Thanksgiving (Thursday 26 November) and end on Monday
// 21 December, not Friday 18 December; the days used count the same way.
func TestDeadlineSkipsThanksgiving(t *testing.T) {
	e := newEnv(t, "")
	req := e.intake("2026-FOIA-0001")
	if req.Request.Status != steward.FOIAReceived || req.Request.Track != steward.FOIASimple {
		t.Fatalf("intake: %+v", req.Request)
	}
	if got := ymd(req.Clock.Start); got != "2026-11-20" {
		t.Fatalf("day 0 %s, want 2026-11-20", got)
	}
	if got := ymd(req.Clock.Due); got != "2026-12-21" {
		t.Fatalf("due %s, want 2026-12-21 (Thanksgiving skipped)", got)
	}
	for _, c := range []struct {
		now        string
		used, left int
	}{
		{"2026-11-25", 3, 17}, // Mon, Tue, Wed
		{"2026-11-26", 3, 17}, // Thanksgiving counts nothing
		{"2026-11-27", 4, 16},
		{"2026-12-21", 20, 0},
	} {
		e.now = at(c.now, 12)
		got, err := e.svc.Request(ctx, "2026-FOIA-0001")
		if err != nil {
			t.Fatal(err)
		}
		if got.Clock.WorkingDaysUsed != c.used || got.Clock.Remaining != c.left || got.Clock.Overdue {
			t.Errorf("on %s: used %d, remaining %d, overdue %v; want %d, %d, false", c.now,
				got.Clock.WorkingDaysUsed, got.Clock.Remaining, got.Clock.Overdue, c.used, c.left)
		}
	}
	e.now = at("2026-12-22", 9)
	if got, err := e.svc.Request(ctx, "2026-FOIA-0001"); err != nil || !got.Clock.Overdue {
		t.Fatalf("the day after the due day: %+v, %v; want overdue", got.Clock, err)
	}
}

// TestClosureSetting: an agency closure from the foia-closures setting is
// not a working day either.
func TestClosureSetting(t *testing.T) {
	e := newEnv(t, "2026-12-14=Executive Order (example)")
	if got := ymd(e.intake("2026-FOIA-0002").Clock.Due); got != "2026-12-22" {
		t.Fatalf("due %s, want 2026-12-22 (Thanksgiving and the closure skipped)", got)
	}
}

// TestTollResumeExtend: a toll for information stops the clock from the
// day after it is asked up to the day the answer arrives; a ten-day
// extension then adds ten working days, which skip Christmas, New Year's
// Day and Martin Luther King Jr. Day. Every event is audited.
func TestTollResumeExtend(t *testing.T) {
	e := newEnv(t, "")
	const id = "2026-FOIA-0003"
	e.intake(id)
	e.now = at("2026-11-23", 9)
	e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged})
	e.now = at("2026-11-24", 15)
	req := e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventTolled, Toll: steward.FOIATollInformation})
	if req.Request.Status != steward.FOIATolled || !req.Clock.Tolled || req.Clock.WorkingDaysUsed != 2 {
		t.Fatalf("after the toll: %s %+v", req.Request.Status, req.Clock)
	}
	// While tolled the days used stand still, and the due report has no
	// response deadline for it.
	e.now = at("2026-12-04", 12)
	if req, err := e.svc.Request(ctx, id); err != nil || req.Clock.WorkingDaysUsed != 2 || req.Clock.TolledDays != 7 {
		t.Fatalf("tolled on 4 December: %+v, %v; want 2 used, 7 tolled", req.Clock, err)
	}
	if rows, err := e.svc.Due(ctx, -1); err != nil || len(rows) != 0 {
		t.Fatalf("due report while tolled: %+v, %v", rows, err)
	}

	// The answer arrives Monday 7 December: 8 working days tolled (25, 27,
	// 30 November, 1-4 and 7 December).
	e.now = at("2026-12-07", 10)
	req = e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventTollEnded, At: at("2026-12-07", 9)})
	if req.Request.Status != steward.FOIAAcknowledged || req.Clock.TolledDays != 8 || ymd(req.Clock.Due) != "2027-01-04" {
		t.Fatalf("after the answer: %s, %d tolled, due %s; want acknowledged, 8, 2027-01-04",
			req.Request.Status, req.Clock.TolledDays, ymd(req.Clock.Due))
	}
	// A second toll for information is refused.
	if _, err := e.svc.Record(ctx, "officer-1", id, steward.FOIAEvent{Kind: steward.FOIAEventTolled, Toll: steward.FOIATollInformation}, 0); !steward.Is(steward.Conflict, err) {
		t.Fatalf("second information toll: %v, want Conflict", err)
	}

	e.now = at("2026-12-08", 10)
	req = e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventExtended, Days: 10, Circumstance: steward.FOIAVoluminous})
	if !req.Clock.Extended || req.Clock.Allowed != 30 || ymd(req.Clock.Due) != "2027-01-19" {
		t.Fatalf("after the extension: %+v; want 30 allowed, due 2027-01-19", req.Clock)
	}
	rows, err := e.svc.Due(ctx, -1)
	if err != nil || len(rows) != 1 || rows[0].RequestID != id || rows[0].Deadline != foia.DeadlineResponse || ymd(rows[0].Due) != "2027-01-19" {
		t.Fatalf("due report: %+v, %v", rows, err)
	}
	if rows, err := e.svc.Due(ctx, 5); err != nil || len(rows) != 0 {
		t.Fatalf("due within 5 working days of 8 December: %+v, %v; want none", rows, err)
	}

	e.now = at("2027-01-15", 16)
	req = e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventFinalResponse, Disposition: steward.FOIAPartialGrant})
	if req.Request.Status != steward.FOIAFinalResponse || req.Clock.Late || ymd(req.Clock.AppealBy) != "2027-04-15" {
		t.Fatalf("after the final response: %s %+v", req.Request.Status, req.Clock)
	}
	if len(req.Events) != 5 || req.Request.Version != 5 {
		t.Fatalf("history of %d events at version %d, want 5 and 5", len(req.Events), req.Request.Version)
	}
	if n := e.audits("foia.request.event", id); n != 5 {
		t.Fatalf("%d foia.request.event audit records, want 5 (the refused toll is not one)", n)
	}
	if n := e.audits("foia.request.create", id); n != 1 {
		t.Fatalf("%d foia.request.create audit records, want 1", n)
	}
}

// TestIllegalTransition: an event the lifecycle does not allow is a
// Conflict and stores and audits nothing.
func TestIllegalTransition(t *testing.T) {
	e := newEnv(t, "")
	const id = "2026-FOIA-0004"
	e.intake(id)
	e.now = at("2026-11-23", 9)
	e.record(id, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged})
	for _, ev := range []steward.FOIAEvent{
		{Kind: steward.FOIAEventAcknowledged},
		{Kind: steward.FOIAEventAppealReceived},
		{Kind: steward.FOIAEventExpediteGranted},
	} {
		if _, err := e.svc.Record(ctx, "officer-1", id, ev, 0); !steward.Is(steward.Conflict, err) {
			t.Errorf("%s on an acknowledged request: %v, want Conflict", ev.Kind, err)
		}
	}
	if _, err := e.svc.Record(ctx, "officer-1", id, steward.FOIAEvent{Kind: steward.FOIAEventSearchStarted}, 7); !steward.Is(steward.Conflict, err) {
		t.Errorf("stale version: %v, want Conflict", err)
	}
	if _, err := e.svc.Record(ctx, "officer-1", id, steward.FOIAEvent{Kind: steward.FOIAEventFinalResponse}, 0); !steward.Is(steward.Invalid, err) {
		t.Errorf("final response without a disposition: %v, want Invalid", err)
	}
	if _, err := e.svc.Record(ctx, "officer-1", "no-such", steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged}, 0); !steward.Is(steward.NotFound, err) {
		t.Errorf("unknown request: %v, want NotFound", err)
	}
	req, err := e.svc.Request(ctx, id)
	if err != nil || req.Request.Version != 1 || len(req.Events) != 1 {
		t.Fatalf("after refusals: %+v, %v; want version 1 with one event", req, err)
	}
	if n := e.audits("foia.request.event", id); n != 1 {
		t.Fatalf("%d event audit records, want 1", n)
	}

	// A withdrawal closes the request with the disposition withdrawn, and
	// a withdrawn request cannot be appealed.
	req = e.record(id, steward.FOIAEvent{Kind: foiasvc.EventWithdrawn})
	if req.Request.Status != steward.FOIAFinalResponse || req.Request.Disposition != steward.FOIAWithdrawn || !req.Clock.AppealBy.IsZero() {
		t.Fatalf("withdrawn: %+v %+v", req.Request, req.Clock)
	}
	if _, err := e.svc.Record(ctx, "officer-1", id, steward.FOIAEvent{Kind: steward.FOIAEventAppealReceived}, 0); !steward.Is(steward.Conflict, err) {
		t.Fatalf("appeal of a withdrawn request: %v, want Conflict", err)
	}
}

// TestCreateRefuses: intake faults are Invalid, a taken ID is Conflict,
// and neither is audited.
func TestCreateRefuses(t *testing.T) {
	e := newEnv(t, "")
	e.intake("2026-FOIA-0005")
	if _, err := e.svc.Create(ctx, "officer-1", steward.FOIARequest{ID: "2026-FOIA-0005",
		Requester: steward.FOIARequester{Name: "A", Email: "a@example.com"}, Description: "x", ReceivedAt: at("2026-11-20", 9)}); !steward.Is(steward.Conflict, err) {
		t.Fatalf("taken id: %v, want Conflict", err)
	}
	if _, err := e.svc.Create(ctx, "officer-1", steward.FOIARequest{Description: "x", ReceivedAt: at("2026-11-20", 9)}); !steward.Is(steward.Invalid, err) {
		t.Fatalf("no requester: %v, want Invalid", err)
	}
	if _, err := e.svc.Create(ctx, "officer-1", steward.FOIARequest{ID: "2026/FOIA/7",
		Requester: steward.FOIARequester{Name: "A", Email: "a@example.com"}, Description: "x", ReceivedAt: at("2026-11-20", 9)}); !steward.Is(steward.Invalid, err) {
		t.Fatalf("id with a slash: %v, want Invalid", err)
	}
	if n := e.audits("foia.request.create", ""); n != 2 {
		// The duplicate was audited before the store refused it; the
		// invalid request never reached the audit log.
		t.Fatalf("%d create audit records, want 2", n)
	}
	req, err := e.svc.Create(ctx, "officer-1", steward.FOIARequest{Requester: steward.FOIARequester{Organization: "Gazette", Address: "1 Main St"},
		Description: "y", ReceivedAt: at("2026-11-20", 18)})
	if err != nil || req.Request.ID == "" || ymd(req.Clock.Start) != "2026-11-23" {
		t.Fatalf("after-hours request without an id: %+v, %v; want a new id and day 0 on Monday", req, err)
	}
}
