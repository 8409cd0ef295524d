package foia

import "time"

// date is a civil day, counted from 1970-01-01 (day 0) in the proleptic
// Gregorian calendar. The clock works on days, not instants: a deadline is
// a day in the agency's zone, and counting whole days this way cannot be
// upset by a daylight-saving change the way adding 24-hour durations can.
type date int

// civil converts a year, month and day to a date. The arithmetic is Howard
// Hinnant's days_from_civil, exact for every year an int can hold.
func civil(y int, m time.Month, d int) date {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (int(m) + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return date(era*146097 + doe - 719468)
}

// ymd is the inverse of civil.
func (d date) ymd() (y int, m time.Month, day int) {
	z := int(d) + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = time.Month(mp + 3)
	} else {
		m = time.Month(mp - 9)
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, day
}

func (d date) year() int { y, _, _ := d.ymd(); return y }

// weekday of d; 1970-01-01 was a Thursday.
func (d date) weekday() time.Weekday {
	return time.Weekday(floorMod(int(d)+4, 7))
}

func (d date) weekend() bool {
	wd := d.weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// in returns midnight at the start of d in loc.
func (d date) in(loc *time.Location) time.Time {
	y, m, day := d.ymd()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

func (d date) String() string {
	return d.in(time.UTC).Format(time.DateOnly)
}

// dateIn is the civil day of t as seen in loc.
func dateIn(t time.Time, loc *time.Location) date {
	y, m, d := t.In(loc).Date()
	return civil(y, m, d)
}

// weekdaysThrough counts the Mondays to Fridays on or before d, relative to
// an arbitrary origin, so that the difference of two counts is the number
// of weekdays between them.
func weekdaysThrough(d date) int {
	const monday = 4 // 1970-01-05
	k := int(d) - monday
	weeks := floorDiv(k, 7)
	r := k - weeks*7 // 0 is Monday
	return weeks*5 + min(r+1, 5)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
