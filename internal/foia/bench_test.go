package foia

import (
	"fmt"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func BenchmarkAddWorkingDays20(b *testing.B) {
	cal := newCal(b, Config{Closures: []Closure{{Date: "2024-12-24"}}})
	start := at("2024-11-25 10:00")
	for b.Loop() {
		AddWorkingDays(start, 20, cal)
	}
}

func BenchmarkWorkingDaysBetweenYear(b *testing.B) {
	cal := newCal(b, Config{})
	from, to := at("2024-11-25 10:00"), at("2025-11-25 10:00")
	for b.Loop() {
		WorkingDaysBetween(from, to, cal)
	}
}

// benchHistory is a request with a typical life: acknowledged, tolled for
// information and fees, extended, answered and appealed.
func benchHistory(b *testing.B, cal Calendar, id string) Docket {
	return docket(b, cal, id, at("2025-03-03 10:00"), true,
		ev(steward.FOIAEventAcknowledged, at("2025-03-03 11:00")),
		ev(steward.FOIAEventExpediteDenied, at("2025-03-05 11:00")),
		ev(steward.FOIAEventSearchStarted, at("2025-03-05 12:00")),
		toll(steward.FOIATollInformation, at("2025-03-06 14:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-12 11:00")),
		toll(steward.FOIATollFee, at("2025-03-14 14:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-18 11:00")),
		ev(steward.FOIAEventReviewStarted, at("2025-03-20 09:00")),
		extend(10, at("2025-03-25 09:00")),
		respond(steward.FOIAPartialGrant, at("2025-04-15 15:00")),
		ev(steward.FOIAEventAppealReceived, at("2025-05-01 10:00")),
	)
}

func BenchmarkDeadlines(b *testing.B) {
	cal := newCal(b, Config{})
	d := benchHistory(b, cal, "r")
	now := at("2025-05-10 10:00")
	for b.Loop() {
		if _, err := Deadlines(d.Request, d.Events, cal, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDueReport1000(b *testing.B) {
	cal := newCal(b, Config{})
	var dockets []Docket
	for i := range 1000 {
		if i%2 == 0 {
			dockets = append(dockets, benchHistory(b, cal, fmt.Sprint("r", i)))
		} else {
			dockets = append(dockets, docket(b, cal, fmt.Sprint("r", i), at("2025-03-03 10:00").Add(time.Duration(i)*time.Hour), false))
		}
	}
	now := at("2025-05-10 10:00")
	for b.Loop() {
		if _, err := DueReport(dockets, cal, now, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseExemption(b *testing.B) {
	for b.Loop() {
		if _, err := ParseExemption("5 U.S.C. § 552(b)(7)(C)"); err != nil {
			b.Fatal(err)
		}
	}
}
