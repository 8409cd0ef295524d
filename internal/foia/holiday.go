package foia

import (
	"sync"
	"time"
)

// The legal public holidays of 5 U.S.C. 6103(a), by the names the statute
// gives them.
const (
	NewYearsDay       = "New Year's Day"
	MLKDay            = "Birthday of Martin Luther King, Jr."
	WashingtonsDay    = "Washington's Birthday"
	MemorialDay       = "Memorial Day"
	Juneteenth        = "Juneteenth National Independence Day"
	IndependenceDay   = "Independence Day"
	LaborDay          = "Labor Day"
	ColumbusDay       = "Columbus Day"
	VeteransDay       = "Veterans Day"
	ThanksgivingDay   = "Thanksgiving Day"
	ChristmasDay      = "Christmas Day"
	InaugurationDay   = "Inauguration Day" // 5 U.S.C. 6103(c), Washington DC area only
	firstJuneteenth   = 2021               // enacted 17 June 2021, first observed Friday 18 June 2021
	firstMLKDay       = 1986
	firstInauguration = 1969 // "each fourth year after 1965"
)

// A Holiday is a day the agency is closed: a legal public holiday, which
// may be observed on another day than its legal date, or a closure the
// agency configured (an executive order, a national day of mourning).
type Holiday struct {
	Name     string    `json:"name"`
	Date     time.Time `json:"date"`     // the legal date; for a closure, the day itself
	Observed time.Time `json:"observed"` // the day offices are closed, always a Monday to Friday
	Closure  bool      `json:"closure,omitempty"`
}

// observance is one holiday as the rules place it: its legal date and the
// day it is observed.
type observance struct {
	name     string
	legal    date
	observed date
}

// observedIn returns the legal public holidays observed in year y, sorted
// by observed day. It is the single statement of the rules; everything
// else in the package asks it.
//
// A holiday on a Saturday is observed the Friday before and one on a
// Sunday the Monday after (5 U.S.C. 6103(b); Executive Order 11582), so
// New Year's Day on a Saturday is observed on 31 December of the year
// before and belongs to that year's list. Inauguration Day is the
// exception: it is a holiday only where it falls on a workday; on a Sunday
// the statute moves it to Monday 21 January, and on a Saturday there is no
// holiday in lieu (OPM, CPM 2000-16, citing 51 Comp. Gen. 586).
//
// The rules are those in force since 1986, when Martin Luther King Jr.'s
// birthday was first observed, with Juneteenth from 2021. Years before
// 1986 are computed with the same rules less those two and are not
// historically exact (Veterans Day, for one, fell in October in 1971–77).
func observedIn(y int, inauguration bool) []observance {
	var out []observance
	fixed := func(name string, yy int, m time.Month, d int) {
		legal := civil(yy, m, d)
		obs := legal
		switch legal.weekday() {
		case time.Saturday:
			obs--
		case time.Sunday:
			obs++
		}
		if obs.year() == y {
			out = append(out, observance{name, legal, obs})
		}
	}
	monday := func(name string, m time.Month, nth int) {
		d := nthWeekday(y, m, time.Monday, nth)
		out = append(out, observance{name, d, d})
	}

	fixed(NewYearsDay, y, time.January, 1)
	if y >= firstMLKDay {
		monday(MLKDay, time.January, 3)
	}
	if inauguration && y >= firstInauguration && floorMod(y-firstInauguration, 4) == 0 {
		switch d := civil(y, time.January, 20); d.weekday() {
		case time.Saturday:
		case time.Sunday:
			out = append(out, observance{InaugurationDay, d, d + 1})
		default:
			out = append(out, observance{InaugurationDay, d, d})
		}
	}
	monday(WashingtonsDay, time.February, 3)
	monday(MemorialDay, time.May, -1)
	if y >= firstJuneteenth {
		fixed(Juneteenth, y, time.June, 19)
	}
	fixed(IndependenceDay, y, time.July, 4)
	monday(LaborDay, time.September, 1)
	monday(ColumbusDay, time.October, 2)
	fixed(VeteransDay, y, time.November, 11)
	d := nthWeekday(y, time.November, time.Thursday, 4)
	out = append(out, observance{ThanksgivingDay, d, d})
	fixed(ChristmasDay, y, time.December, 25)
	fixed(NewYearsDay, y+1, time.January, 1) // observed on 31 December when it is a Saturday

	// Insertion order is already by observed day except for an Inauguration
	// Day moved onto MLK Day; merge equal days so that each closed day is
	// counted once.
	merged := out[:0]
	for _, o := range out {
		if n := len(merged); n > 0 && merged[n-1].observed == o.observed {
			merged[n-1].name += "; " + o.name
			continue
		}
		merged = append(merged, o)
	}
	return merged
}

// nthWeekday returns the nth wd of month m in year y; nth -1 is the last.
func nthWeekday(y int, m time.Month, wd time.Weekday, nth int) date {
	if nth < 0 {
		next := civil(y, m+1, 1)
		if m == time.December {
			next = civil(y+1, time.January, 1)
		}
		last := next - 1
		return last - date(floorMod(int(last.weekday())-int(wd), 7))
	}
	first := civil(y, m, 1)
	return first + date(floorMod(int(wd)-int(first.weekday()), 7)) + date(7*(nth-1))
}

// The holiday tables for the years a FOIA office works in are computed once;
// years outside the range are computed on demand.
const tableFrom, tableTo = 1900, 2200

var tables = [2]func() [][]observance{
	sync.OnceValue(func() [][]observance { return buildTable(false) }),
	sync.OnceValue(func() [][]observance { return buildTable(true) }),
}

func buildTable(inauguration bool) [][]observance {
	t := make([][]observance, tableTo-tableFrom)
	for y := tableFrom; y < tableTo; y++ {
		t[y-tableFrom] = observedIn(y, inauguration)
	}
	return t
}

// holidaysIn returns the observed legal public holidays of year y. The
// result is shared and must not be modified.
func holidaysIn(y int, inauguration bool) []observance {
	if y >= tableFrom && y < tableTo {
		i := 0
		if inauguration {
			i = 1
		}
		return tables[i]()[y-tableFrom]
	}
	return observedIn(y, inauguration)
}
