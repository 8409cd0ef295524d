package records

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func TestCutoff(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	rule := func(p steward.CutoffPeriod, ev string) steward.CutoffRule {
		return steward.CutoffRule{Period: p, Event: ev}
	}
	events := map[string]time.Time{
		"case_closed":       at(2027, time.November, 3, 9, 0),
		"employee_departed": at(2020, time.January, 1, 0, 0), // before every capture below
	}
	tests := []struct {
		name     string
		rule     steward.CutoffRule
		captured time.Time
		want     time.Time
		ok       bool
	}{
		{"fy last instant", rule(steward.CutoffFiscalYear, ""), at(2026, time.September, 30, 23, 59), day(2026, time.October, 1), true},
		{"fy first day", rule(steward.CutoffFiscalYear, ""), at(2026, time.October, 1, 0, 0), day(2027, time.October, 1), true},
		{"fy december", rule(steward.CutoffFiscalYear, ""), at(2026, time.December, 31, 12, 0), day(2027, time.October, 1), true},
		{"fy january", rule(steward.CutoffFiscalYear, ""), at(2027, time.January, 2, 12, 0), day(2027, time.October, 1), true},
		{"calendar year", rule(steward.CutoffCalendarYear, ""), at(2026, time.March, 4, 5, 6), day(2027, time.January, 1), true},
		{"calendar year end", rule(steward.CutoffCalendarYear, ""), at(2026, time.December, 31, 23, 59), day(2027, time.January, 1), true},
		{"month", rule(steward.CutoffMonth, ""), at(2026, time.February, 14, 8, 0), day(2026, time.March, 1), true},
		{"december month", rule(steward.CutoffMonth, ""), at(2026, time.December, 14, 8, 0), day(2027, time.January, 1), true},
		{"none is capture", rule(steward.CutoffNone, ""), at(2026, time.May, 5, 5, 5), at(2026, time.May, 5, 5, 5), true},
		{"event later than capture", rule(steward.CutoffFiscalYear, "case_closed"), at(2026, time.May, 5, 0, 0), day(2028, time.October, 1), true},
		{"event at instant", rule(steward.CutoffNone, "case_closed"), at(2026, time.May, 5, 0, 0), at(2027, time.November, 3, 9, 0), true},
		{"event before capture counts from capture", rule(steward.CutoffCalendarYear, "employee_departed"), at(2026, time.May, 5, 0, 0), day(2027, time.January, 1), true},
		{"event not dated", rule(steward.CutoffFiscalYear, "contract_ended"), at(2026, time.May, 5, 0, 0), time.Time{}, false},
		{"unknown period", rule("quarter", ""), at(2026, time.May, 5, 0, 0), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Cutoff(tt.rule, tt.captured, events)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Fatalf("Cutoff = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// A file closes on the agency's midnight when the capture time is given
// in the agency's zone.
func TestCutoffLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	captured := time.Date(2026, time.October, 1, 2, 0, 0, 0, time.UTC) // 30 Sep 22:00 in Washington
	rule := steward.CutoffRule{Period: steward.CutoffFiscalYear}
	inUTC, _ := Cutoff(rule, captured, nil)
	inNY, _ := Cutoff(rule, captured.In(ny), nil)
	if !inUTC.Equal(day(2027, time.October, 1)) {
		t.Errorf("UTC cutoff = %v, want FY 2027's end", inUTC)
	}
	if want := time.Date(2026, time.October, 1, 0, 0, 0, 0, ny); !inNY.Equal(want) {
		t.Errorf("New York cutoff = %v, want %v (FY 2026's end)", inNY, want)
	}
}

func TestEligibleAt(t *testing.T) {
	tr := builtinItem(t, "grs-5.2-010")
	cut, _ := Cutoff(tr.Cutoff, time.Date(2026, time.September, 12, 10, 0, 0, 0, time.UTC), nil)
	due := EligibleAt(tr, cut)
	if !due.Equal(day(2026, time.December, 30)) {
		t.Fatalf("due = %v, want the end of 2026-12-29", due)
	}
	if lastDay(cut) != "2026-09-30" || lastDay(due) != "2026-12-29" {
		t.Errorf("shown as cutoff %s, due %s", lastDay(cut), lastDay(due))
	}
	capstone := builtinItem(t, "grs-6.1-010")
	if got := EligibleAt(capstone, day(2027, time.January, 1)); !got.Equal(day(2042, time.January, 1)) {
		t.Errorf("Capstone transfer due %v, want 15 years after cutoff", got)
	}
}
