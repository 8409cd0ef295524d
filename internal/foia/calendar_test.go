package foia

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

var newYork = mustLoad("America/New_York")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is midnight of a YYYY-MM-DD day in New York, the form the package
// reports dates in.
func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, newYork)
	if err != nil {
		panic(err)
	}
	return t
}

// at is a New York wall-clock time written "YYYY-MM-DD HH:MM".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, newYork)
	if err != nil {
		panic(err)
	}
	return t
}

func newCal(t testing.TB, c Config) Calendar {
	t.Helper()
	cal, err := NewCalendar(c)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestCivilMatchesTimePackage(t *testing.T) {
	for z := -800000; z <= 800000; z += 37 {
		want := time.Unix(int64(z)*86400, 0).UTC()
		y, m, d := date(z).ymd()
		if y != want.Year() || m != want.Month() || d != want.Day() {
			t.Fatalf("ymd(%d) = %d-%d-%d, want %s", z, y, m, d, want.Format(time.DateOnly))
		}
		if got := civil(y, m, d); got != date(z) {
			t.Fatalf("civil(%d-%d-%d) = %d, want %d", y, m, d, got, z)
		}
		if wd := date(z).weekday(); wd != want.Weekday() {
			t.Fatalf("weekday(%s) = %v, want %v", want.Format(time.DateOnly), wd, want.Weekday())
		}
	}
}

// opm holds the observed federal holidays of 2020–2030 as OPM publishes
// them, written out by hand. A Saturday New Year's Day (2022, 2028) is
// observed on 31 December of the year before and is listed there.
var opm = map[int][]string{
	2020: {"01-01", "01-20", "02-17", "05-25", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"},
	2021: {"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24", "12-31"},
	2022: {"01-17", "02-21", "05-30", "06-20", "07-04", "09-05", "10-10", "11-11", "11-24", "12-26"},
	2023: {"01-02", "01-16", "02-20", "05-29", "06-19", "07-04", "09-04", "10-09", "11-10", "11-23", "12-25"},
	2024: {"01-01", "01-15", "02-19", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11", "11-28", "12-25"},
	2025: {"01-01", "01-20", "02-17", "05-26", "06-19", "07-04", "09-01", "10-13", "11-11", "11-27", "12-25"},
	2026: {"01-01", "01-19", "02-16", "05-25", "06-19", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"},
	2027: {"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24", "12-31"},
	2028: {"01-17", "02-21", "05-29", "06-19", "07-04", "09-04", "10-09", "11-10", "11-23", "12-25"},
	2029: {"01-01", "01-15", "02-19", "05-28", "06-19", "07-04", "09-03", "10-08", "11-12", "11-22", "12-25"},
	2030: {"01-01", "01-21", "02-18", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11", "11-28", "12-25"},
}

func TestHolidaysMatchOPM(t *testing.T) {
	cal := newCal(t, Config{})
	for year, want := range opm {
		got := cal.Holidays(year)
		var gotDays []string
		for _, h := range got {
			gotDays = append(gotDays, h.Observed.Format("01-02"))
			if h.Observed.Location().String() != DefaultZone {
				t.Errorf("%d %s: observed in %v, want the agency's zone", year, h.Name, h.Observed.Location())
			}
		}
		if strings.Join(gotDays, " ") != strings.Join(want, " ") {
			t.Errorf("%d observed holidays:\n got %v\nwant %v", year, gotDays, want)
		}
		for _, s := range want {
			d := day(fmtYear(year) + "-" + s)
			if cal.IsWorkingDay(d) {
				t.Errorf("%s is a holiday but IsWorkingDay says it is worked", d.Format(time.DateOnly))
			}
			if _, ok := cal.Holiday(d); !ok {
				t.Errorf("Holiday(%s) found none", d.Format(time.DateOnly))
			}
		}
	}
}

func fmtYear(y int) string { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") }

func TestHolidayNamesAndLegalDates(t *testing.T) {
	cal := newCal(t, Config{})
	cases := []struct {
		observed, legal, name string
	}{
		{"2021-12-31", "2022-01-01", NewYearsDay}, // Saturday New Year observed the Friday before, in the year before
		{"2023-01-02", "2023-01-01", NewYearsDay}, // Sunday, the Monday after
		{"2021-06-18", "2021-06-19", Juneteenth},  // first Juneteenth, a Saturday
		{"2022-06-20", "2022-06-19", Juneteenth},  // Sunday
		{"2022-12-26", "2022-12-25", ChristmasDay},
		{"2021-12-24", "2021-12-25", ChristmasDay},
		{"2026-07-03", "2026-07-04", IndependenceDay},
		{"2023-11-10", "2023-11-11", VeteransDay},
		{"2029-11-12", "2029-11-11", VeteransDay},
		{"2025-01-20", "2025-01-20", MLKDay},
		{"2025-02-17", "2025-02-17", WashingtonsDay},
		{"2025-05-26", "2025-05-26", MemorialDay},
		{"2025-09-01", "2025-09-01", LaborDay},
		{"2025-10-13", "2025-10-13", ColumbusDay},
		{"2025-11-27", "2025-11-27", ThanksgivingDay},
	}
	for _, c := range cases {
		name, ok := cal.Holiday(day(c.observed))
		if !ok || name != c.name {
			t.Errorf("Holiday(%s) = %q, %v; want %q", c.observed, name, ok, c.name)
		}
		obs := day(c.observed)
		var found bool
		for _, h := range cal.Holidays(obs.Year()) {
			if h.Observed.Equal(obs) {
				found = true
				if !h.Date.Equal(day(c.legal)) || h.Name != c.name || h.Closure {
					t.Errorf("Holidays(%d) entry %+v; want legal date %s, name %q", obs.Year(), h, c.legal, c.name)
				}
			}
		}
		if !found {
			t.Errorf("Holidays(%d) lacks %s", obs.Year(), c.observed)
		}
	}
	// The legal days themselves are weekends and were never worked; the
	// day before Juneteenth was first observed was a working day.
	for _, s := range []string{"2020-06-19", "2022-01-03", "2023-01-03"} {
		if !cal.IsWorkingDay(day(s)) {
			t.Errorf("%s should be a working day", s)
		}
	}
}

func TestHolidayInvariantsEveryYear(t *testing.T) {
	cal := newCal(t, Config{InaugurationDay: true})
	for y := 1986; y <= 2400; y++ {
		hs := cal.Holidays(y)
		fixedNames := map[string]bool{NewYearsDay: true, Juneteenth: true, IndependenceDay: true, VeteransDay: true, ChristmasDay: true}
		want := 10
		if y >= firstJuneteenth {
			want = 11
		}
		if time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Weekday() == time.Saturday {
			want-- // observed the year before
		}
		if time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).Weekday() == time.Saturday {
			want++ // next year's, observed on 31 December
		}
		if y%4 == 1 {
			if wd := time.Date(y, 1, 20, 0, 0, 0, 0, time.UTC).Weekday(); wd >= time.Tuesday && wd <= time.Friday {
				want++ // Inauguration Day on its own day; on a Monday or Sunday it shares MLK Day, on a Saturday it has none
			}
		}
		if len(hs) != want {
			t.Fatalf("%d: %d holidays, want %d: %+v", y, len(hs), want, hs)
		}
		for i, h := range hs {
			if wd := h.Observed.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Fatalf("%d: %s observed on a %v", y, h.Name, wd)
			}
			if h.Observed.Year() != y {
				t.Fatalf("Holidays(%d) holds %s observed %s", y, h.Name, h.Observed.Format(time.DateOnly))
			}
			if i > 0 && !hs[i-1].Observed.Before(h.Observed) {
				t.Fatalf("%d: not sorted or duplicated at %s", y, h.Observed.Format(time.DateOnly))
			}
			if fixedNames[h.Name] {
				if gap := h.Observed.Sub(h.Date).Hours() / 24; gap < -1 || gap > 1 {
					t.Fatalf("%d: %s observed %v days from its date", y, h.Name, gap)
				}
			}
		}
	}
}

func TestInaugurationDay(t *testing.T) {
	dc := newCal(t, Config{InaugurationDay: true})
	elsewhere := newCal(t, Config{})
	cases := []struct {
		day     string
		working bool
		name    string
	}{
		{"2021-01-20", false, InaugurationDay},                 // Wednesday
		{"2017-01-20", false, InaugurationDay},                 // Friday
		{"2025-01-20", false, MLKDay + "; " + InaugurationDay}, // Monday, one holiday for both
		{"2013-01-21", false, MLKDay + "; " + InaugurationDay}, // 20 January a Sunday: the Monday after, again MLK Day
		{"2029-01-19", true, ""},                               // 20 January a Saturday: no holiday in lieu
		{"2022-01-20", true, ""},                               // not an inauguration year
	}
	for _, c := range cases {
		d := day(c.day)
		if got := dc.IsWorkingDay(d); got != c.working {
			t.Errorf("DC IsWorkingDay(%s) = %v, want %v", c.day, got, c.working)
		}
		if name, _ := dc.Holiday(d); name != c.name {
			t.Errorf("DC Holiday(%s) = %q, want %q", c.day, name, c.name)
		}
	}
	if !elsewhere.IsWorkingDay(day("2021-01-20")) {
		t.Error("Inauguration Day 2021 is a working day outside the DC area")
	}
	// One closed day, counted once: 2025's MLK and Inauguration Day.
	if a, b := WorkingDaysBetween(day("2025-01-17"), day("2025-01-21"), dc), WorkingDaysBetween(day("2025-01-17"), day("2025-01-21"), elsewhere); a != 1 || b != 1 {
		t.Errorf("Fri 17 to Tue 21 January 2025 = %d (DC), %d; want 1", a, b)
	}
	if got := WorkingDaysBetween(day("2021-01-19"), day("2021-01-21"), dc); got != 1 {
		t.Errorf("DC 19 to 21 January 2021 = %d working days, want 1", got)
	}
}

func TestClosures(t *testing.T) {
	cal := newCal(t, Config{Closures: []Closure{
		{Date: "2024-12-24", Name: "Executive order closure"},
		{Date: "2025-01-09", Name: "National Day of Mourning for President Carter"},
		{Date: "2024-12-25", Name: "also Christmas"}, // a holiday already: counted once
		{Date: "2024-12-28", Name: "a Saturday"},     // not a weekday: changes nothing
	}})
	plain := newCal(t, Config{})
	if cal.IsWorkingDay(day("2024-12-24")) || !plain.IsWorkingDay(day("2024-12-24")) {
		t.Error("24 December 2024 should be closed only where configured")
	}
	if name, ok := cal.Holiday(day("2025-01-09")); !ok || !strings.Contains(name, "Carter") {
		t.Errorf("Holiday(2025-01-09) = %q, %v", name, ok)
	}
	if name, _ := cal.Holiday(day("2024-12-25")); name != ChristmasDay {
		t.Errorf("Holiday(2024-12-25) = %q, want the federal holiday's name", name)
	}
	// Received Monday 25 November 2024: Thanksgiving skipped, and the
	// closure on 24 December moves the due day past Christmas.
	if got := AddWorkingDays(day("2024-11-25"), 20, plain); !got.Equal(day("2024-12-24")) {
		t.Errorf("plain due %s, want 2024-12-24", got.Format(time.DateOnly))
	}
	if got := AddWorkingDays(day("2024-11-25"), 20, cal); !got.Equal(day("2024-12-26")) {
		t.Errorf("with closure due %s, want 2024-12-26", got.Format(time.DateOnly))
	}
	// Across both closures and New Year's Day.
	if got := AddWorkingDays(day("2024-12-20"), 20, cal); !got.Equal(day("2025-01-24")) {
		t.Errorf("due %s, want 2025-01-24", got.Format(time.DateOnly))
	}
	if got := AddWorkingDays(day("2024-12-20"), 20, plain); !got.Equal(day("2025-01-22")) {
		t.Errorf("due %s, want 2025-01-22", got.Format(time.DateOnly))
	}
	var closures []string
	for _, h := range cal.Holidays(2024) {
		if h.Closure {
			closures = append(closures, h.Observed.Format(time.DateOnly))
		}
	}
	if strings.Join(closures, ",") != "2024-12-24" {
		t.Errorf("closures listed for 2024: %v, want only 2024-12-24", closures)
	}
}

func TestNewCalendarRejects(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		kind steward.Kind
	}{
		{"zone", Config{Zone: "Mars/Olympus_Mons"}, steward.Invalid},
		{"date", Config{Closures: []Closure{{Date: "2025-02-29"}}}, steward.Invalid},
		{"format", Config{Closures: []Closure{{Date: "12/24/2024"}}}, steward.Invalid},
		{"cutoff", Config{Cutoff: -time.Hour}, steward.Invalid},
		{"appeal", Config{AppealDays: -1}, steward.Invalid},
		{"many", Config{Closures: make([]Closure, maxClosures+1)}, steward.TooLarge},
	}
	for _, c := range cases {
		if _, err := NewCalendar(c.c); !steward.Is(c.kind, err) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	cal := newCal(t, Config{Zone: "America/Los_Angeles"})
	if cal.Location().String() != "America/Los_Angeles" {
		t.Errorf("zone %v", cal.Location())
	}
	if newCal(t, Config{}).Location().String() != DefaultZone {
		t.Error("default zone is not New York")
	}
}

func TestReceiptDay(t *testing.T) {
	cal := newCal(t, Config{})
	cases := []struct {
		at   time.Time
		want string
	}{
		{at("2025-03-03 16:59"), "2025-03-03"},                        // Monday, business hours
		{at("2025-03-03 17:00"), "2025-03-04"},                        // at the cutoff: next working day
		{at("2025-03-08 10:00"), "2025-03-10"},                        // Saturday
		{at("2025-01-17 17:30"), "2025-01-21"},                        // Friday evening before MLK Day
		{at("2025-01-20 09:00"), "2025-01-21"},                        // on the holiday itself
		{at("2021-12-30 18:00"), "2022-01-03"},                        // New Year 2022 observed Friday 31 December
		{time.Date(2025, 3, 3, 21, 30, 0, 0, time.UTC), "2025-03-03"}, // 16:30 EST
		{time.Date(2025, 3, 3, 22, 30, 0, 0, time.UTC), "2025-03-04"}, // 17:30 EST
		{time.Date(2025, 6, 2, 21, 30, 0, 0, time.UTC), "2025-06-03"}, // 17:30 EDT
		{time.Date(2025, 3, 4, 3, 0, 0, 0, time.UTC), "2025-03-04"},   // still Monday 22:00 in New York, so Tuesday
		{time.Date(2025, 3, 9, 6, 59, 59, 0, time.UTC), "2025-03-10"}, // the night clocks spring forward
		{at("2025-03-03 16:59").Add(59*time.Second + 999*time.Millisecond), "2025-03-03"},
	}
	for _, c := range cases {
		got := cal.ReceiptDay(c.at)
		if !got.Equal(day(c.want)) {
			t.Errorf("ReceiptDay(%s) = %s, want %s", c.at.In(newYork).Format(time.RFC3339), got.Format(time.DateOnly), c.want)
		}
	}
	late := newCal(t, Config{Cutoff: 18 * time.Hour})
	if got := late.ReceiptDay(at("2025-03-03 17:30")); !got.Equal(day("2025-03-03")) {
		t.Errorf("18:00 cutoff: %s", got.Format(time.DateOnly))
	}
	none := newCal(t, Config{Cutoff: 24 * time.Hour})
	if got := none.ReceiptDay(at("2025-03-03 23:59")); !got.Equal(day("2025-03-03")) {
		t.Errorf("no cutoff: %s", got.Format(time.DateOnly))
	}
	if got := none.ReceiptDay(at("2025-03-08 10:00")); !got.Equal(day("2025-03-10")) {
		t.Errorf("no cutoff still rolls weekends: %s", got.Format(time.DateOnly))
	}
}

func TestAddWorkingDaysEdges(t *testing.T) {
	cal := newCal(t, Config{})
	cases := []struct {
		start string
		n     int
		want  string
		why   string
	}{
		{"2025-03-03", 20, "2025-03-31", "no holidays"},
		{"2025-01-17", 20, "2025-02-18", "Friday before MLK Day; Washington's Birthday inside"},
		{"2025-01-21", 20, "2025-02-19", "the Tuesday after MLK Day"},
		{"2027-06-17", 1, "2027-06-21", "Juneteenth a Saturday, observed Friday 18"},
		{"2022-06-17", 1, "2022-06-21", "Juneteenth a Sunday, observed Monday 20"},
		{"2022-12-23", 1, "2022-12-27", "Christmas a Sunday, observed Monday 26"},
		{"2021-12-30", 1, "2022-01-03", "New Year 2022 observed Friday 31 December 2021"},
		{"2021-12-23", 20, "2022-01-25", "Christmas and New Year both observed on Fridays"},
		{"2025-03-08", 1, "2025-03-10", "from a Saturday"},
		{"2025-03-08", 0, "2025-03-08", "n = 0 is the start's day"},
		{"2025-03-10", -1, "2025-03-07", "back over a weekend"},
		{"2025-03-08", -1, "2025-03-06", "back from a Saturday: one working day (Friday) after the result"},
		{"2025-02-18", -20, "2025-01-17", "back over two Monday holidays"},
		{"2025-03-02", 30, "2025-04-11", "from a Sunday: Monday 3 March is day 1"},
	}
	for _, c := range cases {
		got := AddWorkingDays(day(c.start), c.n, cal)
		if !got.Equal(day(c.want)) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", c.why, c.start, c.n, got.Format(time.DateOnly), c.want)
		}
		if back := WorkingDaysBetween(day(c.start), got, cal); back != c.n {
			t.Errorf("%s: WorkingDaysBetween(%s, %s) = %d, want %d", c.why, c.start, c.want, back, c.n)
		}
	}
	// Every holiday of 2020–2030 is skipped: the day after the working day
	// before it counts only once the holiday is past.
	for year, list := range opm {
		closed := map[string]bool{}
		for _, s := range list {
			closed[fmtYear(year)+"-"+s] = true
		}
		for _, s := range list {
			h := day(fmtYear(year) + "-" + s)
			before := h.AddDate(0, 0, -1)
			next := h.AddDate(0, 0, 1)
			for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday || closed[next.Format(time.DateOnly)] || isOPM(next) {
				next = next.AddDate(0, 0, 1)
			}
			if got := AddWorkingDays(before, 1, cal); !got.Equal(next) {
				t.Errorf("AddWorkingDays(%s, 1) = %s, want %s (skipping %s)", before.Format(time.DateOnly), got.Format(time.DateOnly), next.Format(time.DateOnly), s)
			}
		}
	}
}

func isOPM(d time.Time) bool {
	for _, s := range opm[d.Year()] {
		if d.Format("01-02") == s {
			return true
		}
	}
	return false
}

// naiveBetween counts day by day, the definition the fast counting must
// match.
func naiveBetween(cal Calendar, a, b date) int {
	sign := 1
	if b < a {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a + 1; d <= b; d++ {
		if cal.working(d) {
			n++
		}
	}
	return sign * n
}

func TestWorkingDayProperties(t *testing.T) {
	cals := map[string]Calendar{
		"federal": newCal(t, Config{}),
		"dc":      newCal(t, Config{InaugurationDay: true, Closures: []Closure{{Date: "2024-12-24"}, {Date: "2025-01-09"}, {Date: "2019-12-24"}}}),
	}
	rng := rand.New(rand.NewPCG(7, 11))
	lo, hi := civil(2015, 1, 1), civil(2035, 1, 1)
	for name, cal := range cals {
		for range 20000 {
			start := lo + date(rng.IntN(int(hi-lo)))
			n := rng.IntN(161) - 80
			checkAdd(t, name, cal, start, n)
			end := start + date(rng.IntN(1500)) - 750
			if got, want := cal.between(start, end), naiveBetween(cal, start, end); got != want {
				t.Fatalf("%s: between(%s, %s) = %d, naive %d", name, start, end, got, want)
			}
			// Between then Add comes back to the same working day. (With no
			// working day between them, Add of 0 is the start itself.)
			if k := cal.between(start, end); cal.working(end) && k != 0 {
				if got := cal.add(start, k); got != end {
					t.Fatalf("%s: add(%s, between(.., %s)) = %s", name, start, end, got)
				}
			}
		}
	}
}

// checkAdd asserts the contract of AddWorkingDays for one case.
func checkAdd(t testing.TB, name string, cal Calendar, start date, n int) {
	t.Helper()
	got := cal.add(start, n)
	if n != 0 && !cal.working(got) {
		t.Fatalf("%s: add(%s, %d) = %s, not a working day", name, start, n, got)
	}
	if back := cal.between(start, got); back != n {
		t.Fatalf("%s: between(%s, add(.., %d) = %s) = %d", name, start, n, got, back)
	}
	if back := naiveBetween(cal, start, got); back != n {
		t.Fatalf("%s: naive between(%s, %s) = %d, want %d", name, start, got, back, n)
	}
	// The result is the first day that reaches n: one working day earlier
	// (later, counting back) would not.
	if n > 0 && cal.between(start, got-1) != n-1 {
		t.Fatalf("%s: add(%s, %d) = %s overshoots", name, start, n, got)
	}
}

func TestLongSpans(t *testing.T) {
	cal := newCal(t, Config{})
	start := civil(2025, 3, 3)
	for _, n := range []int{250, 2500, 25000, -25000} {
		checkAdd(t, "federal", cal, start, n)
	}
	// Outside the precomputed years the rules are computed afresh.
	checkAdd(t, "federal", cal, civil(2250, 6, 1), 400)
	checkAdd(t, "federal", cal, civil(1890, 6, 1), 400)
}
