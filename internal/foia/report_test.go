package foia

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func docket(t testing.TB, cal Calendar, id string, received time.Time, expedite bool, events ...steward.FOIAEvent) Docket {
	t.Helper()
	r := validRequest(received)
	r.ID = id
	r.ExpediteRequested = expedite
	req, history := run(t, cal, mustIntake(t, r), events...)
	return Docket{Request: req, Events: history}
}

func TestDueReport(t *testing.T) {
	cal := newCal(t, Config{})
	now := at("2025-03-28 12:00") // Friday
	dockets := []Docket{
		docket(t, cal, "a-due-monday", at("2025-03-03 10:00"), false),                                                // due 31 March
		docket(t, cal, "b-overdue", at("2025-02-24 10:00"), false),                                                   // due 24 March
		docket(t, cal, "c-later", at("2025-03-17 10:00"), false),                                                     // due 14 April
		docket(t, cal, "d-tolled", at("2025-02-24 10:00"), false, toll(steward.FOIATollFee, at("2025-03-03 10:00"))), // no deadline while tolled
		docket(t, cal, "e-closed", at("2025-02-24 10:00"), false, respond(steward.FOIAFullGrant, at("2025-03-20 10:00"))),
		docket(t, cal, "f-expedite", at("2025-03-20 10:00"), true), // response due 17 April; expedite decision 30 March (Sunday)
		docket(t, cal, "g-appeal", at("2025-01-06 10:00"), false,
			respond(steward.FOIAFullDenial, at("2025-02-03 10:00")),
			ev(steward.FOIAEventAppealReceived, at("2025-03-03 10:00"))), // appeal due 31 March
		docket(t, cal, "h-appeal-decided", at("2025-01-06 10:00"), false,
			respond(steward.FOIAFullDenial, at("2025-02-03 10:00")),
			ev(steward.FOIAEventAppealReceived, at("2025-02-04 10:00")),
			decide(steward.FOIAAffirmed, at("2025-02-20 10:00"))),
	}
	rows, err := DueReport(dockets, cal, now, -1)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id        string
		kind      DeadlineKind
		due       string
		remaining int
		overdue   bool
	}{
		{"b-overdue", DeadlineResponse, "2025-03-24", -4, true},
		{"f-expedite", DeadlineExpediteDecision, "2025-03-30", 0, false}, // no working day before it: decide today
		{"a-due-monday", DeadlineResponse, "2025-03-31", 1, false},
		{"g-appeal", DeadlineAppealDecision, "2025-03-31", 1, false},
		{"c-later", DeadlineResponse, "2025-04-14", 11, false},
		{"f-expedite", DeadlineResponse, "2025-04-17", 14, false},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.RequestID != w.id || r.Deadline != w.kind || !r.Due.Equal(day(w.due)) || r.Remaining != w.remaining || r.Overdue != w.overdue {
			t.Errorf("row %d = %s %s %s %d %v; want %s %s %s %d %v", i, r.RequestID, r.Deadline, r.Due.Format(time.DateOnly), r.Remaining, r.Overdue,
				w.id, w.kind, w.due, w.remaining, w.overdue)
		}
	}
	if rows[5].Track != steward.FOIASimple || rows[3].Status != steward.FOIAAppealReceived {
		t.Errorf("row details %+v %+v", rows[5], rows[3])
	}

	// The response rows agree with each request's clock.
	for _, r := range rows {
		if r.Deadline != DeadlineResponse {
			continue
		}
		for _, d := range dockets {
			if d.Request.ID == r.RequestID {
				clk, err := Deadlines(d.Request, d.Events, cal, now)
				if err != nil || !clk.Due.Equal(r.Due) || clk.Remaining != r.Remaining || clk.Overdue != r.Overdue {
					t.Errorf("%s: row %+v, clock %+v (%v)", r.RequestID, r, clk, err)
				}
			}
		}
	}

	for within, n := range map[int]int{0: 2, 1: 4, 11: 5, 100: 6} {
		rows, err := DueReport(dockets, cal, now, within)
		if err != nil || len(rows) != n {
			t.Errorf("within %d: %d rows (%v), want %d", within, len(rows), err, n)
		}
	}
	if rows, err := DueReport(nil, cal, now, -1); err != nil || len(rows) != 0 {
		t.Errorf("empty report: %v %v", rows, err)
	}
}

func TestDueReportNamesABrokenRequest(t *testing.T) {
	cal := newCal(t, Config{})
	good := docket(t, cal, "good", at("2025-03-03 10:00"), false)
	bad := docket(t, cal, "bad-one", at("2025-03-03 10:00"), false)
	bad.Events = []steward.FOIAEvent{ev(steward.FOIAEventTollEnded, at("2025-03-04 10:00"))}
	_, err := DueReport([]Docket{good, bad}, cal, at("2025-03-05 10:00"), -1)
	if !steward.Is(steward.Integrity, err) || !strings.Contains(steward.PublicMessage(err), "bad-one") {
		t.Errorf("err = %v", err)
	}
}
