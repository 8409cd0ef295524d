package foia

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Defaults of an agency's calendar.
const (
	DefaultZone       = "America/New_York"
	DefaultCutoff     = 17 * time.Hour // 5 p.m., as e.g. EPA's 40 CFR 2.104(a)(2)
	DefaultAppealDays = 90             // 5 U.S.C. 552(a)(6)(A)(i)(III)(aa): "not less than 90 days"
)

// Config is an agency's choice of the clock's local rules. The zero Config
// is the default: Eastern time, a 17:00 cutoff, federal holidays only, and
// 90 calendar days to appeal. It has no JSON form of its own: the settings
// that fill it are the configuration loader's to name.
type Config struct {
	// Zone is the IANA time zone the agency's FOIA office keeps, in which
	// days begin and end. Empty means America/New_York.
	Zone string
	// Cutoff is the time of day at or after which something received
	// counts as received on the next working day. Zero means 17:00; 24h or
	// more turns the rule off, so that only weekends and holidays roll a
	// receipt forward. Agencies set this in their FOIA regulations.
	Cutoff time.Duration
	// Closures are extra days the agency is closed: executive-order
	// closures such as 24 December 2024, or a national day of mourning
	// such as 9 January 2025. They are not working days.
	Closures []Closure
	// InaugurationDay makes 20 January of each inauguration year a holiday,
	// as it is for offices in the Washington DC area (5 U.S.C. 6103(c)).
	InaugurationDay bool
	// AppealDays is how long a requester has to appeal an adverse
	// determination, counted from its date. Zero means 90.
	AppealDays int
	// AppealWorkingDays counts AppealDays in working days rather than
	// calendar days, as some agencies do (e.g. Interior, 43 CFR 2.58).
	AppealWorkingDays bool
}

// Closure is one day an agency is closed beyond the legal public holidays.
type Closure struct {
	Date string `json:"date"` // YYYY-MM-DD
	Name string `json:"name"` // e.g. "Executive Order 14137"
}

// maxClosures bounds the configured closures; an agency closes a handful
// of days a year, and a list far longer is a mistake in the configuration.
const maxClosures = 10000

// A Calendar says which days an agency works and does the arithmetic of
// working days. It is immutable and safe for concurrent use; copies share
// their state.
//
// The zero Calendar counts legal public holidays in UTC with a 17:00
// cutoff. Use NewCalendar for an agency's.
type Calendar struct {
	loc        *time.Location
	cutoff     time.Duration
	inaugural  bool
	appealDays int
	appealWork bool
	closures   []date          // weekday closures that are not also holidays, sorted
	names      map[date]string // every configured closure, by day
}

// NewCalendar builds the calendar c describes. It returns Invalid if the
// zone is unknown, a closure date does not parse, or a number is negative,
// and TooLarge if there are more than 10,000 closures.
func NewCalendar(c Config) (Calendar, error) {
	const op steward.Op = "foia.NewCalendar"
	zone := c.Zone
	if zone == "" {
		zone = DefaultZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Calendar{}, steward.E(op, steward.Invalid, "unknown time zone "+quote(zone), err)
	}
	if c.Cutoff < 0 {
		return Calendar{}, steward.Errorf(op, steward.Invalid, "cutoff %v is negative", c.Cutoff)
	}
	if c.AppealDays < 0 {
		return Calendar{}, steward.Errorf(op, steward.Invalid, "appeal days %d is negative", c.AppealDays)
	}
	if len(c.Closures) > maxClosures {
		return Calendar{}, steward.Errorf(op, steward.TooLarge, "%d closures; at most %d", len(c.Closures), maxClosures)
	}
	cal := Calendar{
		loc:        loc,
		cutoff:     c.Cutoff,
		inaugural:  c.InaugurationDay,
		appealDays: c.AppealDays,
		appealWork: c.AppealWorkingDays,
		names:      make(map[date]string, len(c.Closures)),
	}
	for _, cl := range c.Closures {
		d, err := parseDate(cl.Date)
		if err != nil {
			return Calendar{}, steward.E(op, err)
		}
		name := strings.TrimSpace(cl.Name)
		if name == "" {
			name = "Closure"
		}
		cal.names[d] = name
	}
	for d := range cal.names {
		if !d.weekend() && cal.federal(d) == nil {
			cal.closures = append(cal.closures, d)
		}
	}
	slices.Sort(cal.closures)
	return cal, nil
}

// parseDate parses a civil date written YYYY-MM-DD. It returns Invalid for
// anything else, including dates that do not exist such as 2025-02-29.
func parseDate(s string) (date, error) {
	const op steward.Op = "foia.parseDate"
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, steward.E(op, steward.Invalid, "date "+quote(s)+" is not YYYY-MM-DD")
	}
	return civil(t.Date()), nil
}

// Location returns the agency's time zone.
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

func (c Calendar) cutoffOrDefault() time.Duration {
	if c.cutoff == 0 {
		return DefaultCutoff
	}
	return c.cutoff
}

// date returns t's civil day in the agency's zone.
func (c Calendar) date(t time.Time) date { return dateIn(t, c.Location()) }

// Day returns midnight at the start of t's day in the agency's zone, the
// form in which the package reports every date.
func (c Calendar) Day(t time.Time) time.Time { return c.date(t).in(c.Location()) }

// federal returns the legal public holiday observed on d, or nil.
func (c Calendar) federal(d date) *observance {
	if d.weekend() {
		return nil // observed days are always Monday to Friday
	}
	hs := holidaysIn(d.year(), c.inaugural)
	for i := range hs {
		if hs[i].observed == d {
			return &hs[i]
		}
	}
	return nil
}

func (c Calendar) working(d date) bool {
	if d.weekend() || c.federal(d) != nil {
		return false
	}
	_, closed := slices.BinarySearch(c.closures, d)
	return !closed
}

// IsWorkingDay reports whether t's day, in the agency's zone, is a working
// day: Monday to Friday, not an observed legal public holiday, not a
// configured closure.
func (c Calendar) IsWorkingDay(t time.Time) bool { return c.working(c.date(t)) }

// Holiday returns the name of the holiday or closure that makes t's day a
// non-working weekday, and false on working days and weekends.
func (c Calendar) Holiday(t time.Time) (string, bool) {
	d := c.date(t)
	if d.weekend() {
		return "", false
	}
	if h := c.federal(d); h != nil {
		return h.name, true
	}
	if _, closed := slices.BinarySearch(c.closures, d); closed {
		return c.names[d], true
	}
	return "", false
}

// Holidays lists the non-working weekdays observed in year: the legal
// public holidays, including a New Year's Day of the next year observed
// on 31 December, and the agency's closures. Sorted by observed day.
func (c Calendar) Holidays(year int) []Holiday {
	loc := c.Location()
	var out []Holiday
	for _, h := range holidaysIn(year, c.inaugural) {
		out = append(out, Holiday{Name: h.name, Date: h.legal.in(loc), Observed: h.observed.in(loc)})
	}
	lo, _ := slices.BinarySearch(c.closures, civil(year, time.January, 1))
	hi, _ := slices.BinarySearch(c.closures, civil(year+1, time.January, 1))
	for _, d := range c.closures[lo:hi] {
		t := d.in(loc)
		out = append(out, Holiday{Name: c.names[d], Date: t, Observed: t, Closure: true})
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Observed.Compare(b.Observed) })
	return out
}

// ReceiptDay returns the working day on which something that reached the
// agency at t counts as received: t's own day if that is a working day and
// t is before the cutoff, otherwise the next working day. It is day 0 of
// any period that runs from the receipt.
func (c Calendar) ReceiptDay(t time.Time) time.Time { return c.receipt(t).in(c.Location()) }

func (c Calendar) receipt(t time.Time) date {
	local := t.In(c.Location())
	d := c.date(t)
	h, m, s := local.Clock()
	tod := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(local.Nanosecond())
	if c.working(d) && tod < c.cutoffOrDefault() {
		return d
	}
	return c.add(d, 1)
}

// AddWorkingDays returns the day that is n working days after start's day
// in cal's zone, as midnight in that zone. Start's day is day 0 and is not
// counted, whatever kind of day it is; the result for n > 0 is always a
// working day. For n < 0 it counts back: the result is the working day D
// with exactly -n working days after D up to and including start's day.
// n = 0 returns start's day.
//
// For any start and n, WorkingDaysBetween(start, AddWorkingDays(start, n,
// cal), cal) == n.
func AddWorkingDays(start time.Time, n int, cal Calendar) time.Time {
	return cal.add(cal.date(start), n).in(cal.Location())
}

// WorkingDaysBetween returns the number of working days after from's day
// up to and including to's day, in cal's zone: how many working days of a
// period starting at from have been used by to. It is negative when to's
// day is before from's, and 0 when they are the same day.
func WorkingDaysBetween(from, to time.Time, cal Calendar) int {
	return cal.between(cal.date(from), cal.date(to))
}

// between counts the working days in (a, b], or minus those in (b, a].
// Weekdays are counted by formula and holidays and closures subtracted, so
// the cost grows with the number of years spanned, not the days.
func (c Calendar) between(a, b date) int {
	if b < a {
		return -c.between(b, a)
	}
	n := weekdaysThrough(b) - weekdaysThrough(a)
	for y := (a + 1).year(); y <= b.year(); y++ {
		for _, h := range holidaysIn(y, c.inaugural) {
			if h.observed > a && h.observed <= b {
				n--
			}
		}
	}
	lo, _ := slices.BinarySearch(c.closures, a+1)
	hi, _ := slices.BinarySearch(c.closures, b+1)
	return n - (hi - lo)
}

// add moves n working days from d; see AddWorkingDays. While many days
// remain it jumps whole weeks: a week holds at most five working days, so
// a jump of fewer than n/5 weeks never overshoots, and the rest is walked.
func (c Calendar) add(d date, n int) date {
	if n < 0 {
		k := -n
		for k >= 10 {
			step := date(k / 5 * 7)
			k -= c.between(d-step, d)
			d -= step
		}
		// d itself is not yet counted: walk back over k working days, then
		// on to the working day before them, so that between(result, start)
		// is -n.
		for ; k > 0; d-- {
			if c.working(d) {
				k--
			}
		}
		for !c.working(d) {
			d--
		}
		return d
	}
	for n >= 10 {
		// One week short, so that n stays positive and the walk below
		// ends on the working day that reaches it, not on a weekend after.
		step := date((n/5 - 1) * 7)
		n -= c.between(d, d+step)
		d += step
	}
	for n > 0 {
		d++
		if c.working(d) {
			n--
		}
	}
	return d
}

// quote shows a value from outside in a message, cut short.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
