package foiasvc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/steward"
)

func TestCalendarSettings(t *testing.T) {
	cal, err := foiasvc.Calendar("America/Chicago", " 2026-12-24=Executive Order , 2026-12-31 ", "16:30")
	if err != nil {
		t.Fatal(err)
	}
	if cal.Location().String() != "America/Chicago" {
		t.Fatalf("zone %s", cal.Location())
	}
	chicago := cal.Location()
	if name, ok := cal.Holiday(time.Date(2026, 12, 24, 12, 0, 0, 0, chicago)); !ok || name != "Executive Order" {
		t.Fatalf("24 December: %q %v", name, ok)
	}
	if cal.IsWorkingDay(time.Date(2026, 12, 31, 12, 0, 0, 0, chicago)) {
		t.Fatal("31 December, an unnamed closure, is a working day")
	}
	// 16:30 on a Monday is after the cutoff: received Tuesday.
	if got := cal.ReceiptDay(time.Date(2026, 11, 23, 16, 30, 0, 0, chicago)); got.Day() != 24 {
		t.Fatalf("receipt at the cutoff counts on %s, want 24 November", got)
	}
	off, err := foiasvc.Calendar("", "", "off")
	if err != nil {
		t.Fatal(err)
	}
	if got := off.ReceiptDay(time.Date(2026, 11, 23, 23, 0, 0, 0, off.Location())); got.Day() != 23 {
		t.Fatalf("with the cutoff off, 23:00 counts on %s", got)
	}
	def, err := foiasvc.Calendar("", "", "")
	if err != nil || def.Location().String() != "America/New_York" {
		t.Fatalf("default calendar: %v %v", def.Location(), err)
	}
	for _, c := range []struct{ zone, closures, cutoff string }{
		{"Mars/Olympus", "", ""},
		{"", "2026-02-30=bad", ""},
		{"", "christmas", ""},
		{"", "", "5pm"},
		{"", "", "25:00"},
		{"", "", "00:00"},
		{"", "", "9:00"},
	} {
		if _, err := foiasvc.Calendar(c.zone, c.closures, c.cutoff); !steward.Is(steward.Invalid, err) {
			t.Errorf("Calendar(%q, %q, %q): %v, want Invalid", c.zone, c.closures, c.cutoff, err)
		}
	}
	if _, err := foiasvc.Calendar("", strings.Repeat("2026-12-24,", 10000), ""); !steward.Is(steward.TooLarge, err) {
		t.Errorf("a huge closures list: %v, want TooLarge", err)
	}
}

// FuzzCalendar: the settings are outside input; they are refused with
// Invalid or TooLarge, or give a calendar that counts.
func FuzzCalendar(f *testing.F) {
	f.Add("", "", "")
	f.Add("America/Los_Angeles", "2024-12-24=Executive Order 14137,2025-01-09=National Day of Mourning", "17:00")
	f.Add("UTC", "2026-12-31", "off")
	f.Add("Local", "=,,=x", "23:59")
	f.Fuzz(func(t *testing.T, zone, closures, cutoff string) {
		cal, err := foiasvc.Calendar(zone, closures, cutoff)
		if err != nil {
			if !steward.Is(steward.Invalid, err) && !steward.Is(steward.TooLarge, err) {
				t.Fatalf("error of kind %v: %v", steward.KindOf(err), err)
			}
			return
		}
		start := time.Date(2026, 11, 20, 10, 0, 0, 0, cal.Location())
		if cal.ReceiptDay(start).Before(cal.Day(start)) {
			t.Fatal("a receipt counts before the day it arrived")
		}
	})
}
