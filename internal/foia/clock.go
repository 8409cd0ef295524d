package foia

import (
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Clock is where a request stands against its time limits at one moment.
// Every date is a day in the agency's zone, given as midnight at its start;
// a zero date means the deadline does not (yet) apply.
type Clock struct {
	// Start is day 0: the day the request counts as received. Day 1 is the
	// next working day.
	Start time.Time `json:"start"`
	// Due is the last day on which a determination is timely: Start plus
	// 20 working days, plus any extension, plus the working days tolled.
	// While the clock is tolled, Due assumes the requester answers today.
	Due time.Time `json:"due"`
	// Allowed is 20, or 20 plus the extension.
	Allowed int `json:"allowed"`
	// WorkingDaysUsed counts the working days after Start up to today, the
	// toll's start, or the final response, less the days tolled.
	WorkingDaysUsed int `json:"working_days_used"`
	// Remaining is Allowed less WorkingDaysUsed: 0 on the due day, negative
	// once a working day past it or when the response was late. On the
	// days off right after the due day it is still 0 while Overdue is
	// already true; read lateness from Overdue.
	Remaining int `json:"remaining"`
	// TolledDays counts the working days the clock was stopped, an open toll
	// included up to today.
	TolledDays int                    `json:"tolled_days"`
	Tolled     bool                   `json:"tolled"` // stopped now, awaiting the requester
	TollReason steward.FOIATollReason `json:"toll_reason,omitempty"`
	// InformationTollUsed says the one toll for information has been taken.
	InformationTollUsed bool `json:"information_toll_used,omitempty"`

	Extended        bool                     `json:"extended"`
	ExtensionDays   int                      `json:"extension_days,omitempty"`
	ExtensionNotice time.Time                `json:"extension_notice,omitzero"` // when the written notice went out
	Circumstance    steward.FOIACircumstance `json:"circumstance,omitempty"`

	// Overdue says the determination is late now: no final response, the
	// clock running, and today after Due.
	Overdue bool `json:"overdue"`
	// Responded is the day of the final response; Late says it was after
	// Due.
	Responded time.Time `json:"responded,omitzero"`
	Late      bool      `json:"late,omitempty"`

	// ExpediteRequested is the day the latest request for expedited
	// processing was received, and ExpeditedDecisionDue ten calendar days
	// later. The period is calendar days and is not moved off a weekend.
	ExpediteRequested    time.Time `json:"expedite_requested,omitzero"`
	ExpeditedDecisionDue time.Time `json:"expedited_decision_due,omitzero"`
	ExpediteDecided      bool      `json:"expedite_decided,omitempty"`
	// ExpediteOverdue says the expedite decision is pending past its day.
	ExpediteOverdue bool `json:"expedite_overdue,omitempty"`

	// AppealBy is the last day to appeal the final response: its date plus
	// the agency's appeal period (90 calendar days unless configured). Not
	// set for a withdrawn request.
	AppealBy time.Time `json:"appeal_by,omitzero"`
	// AppealReceived is the day the appeal counts as received, day 0 of
	// the 20 working days to decide it.
	AppealReceived time.Time `json:"appeal_received,omitzero"`
	// AppealLate says the appeal arrived after AppealBy (judged on the
	// calendar day it arrived, without the after-hours rule). The agency
	// may still hear it; a late appeal is often closed as untimely.
	AppealLate        bool      `json:"appeal_late,omitempty"`
	AppealDecisionDue time.Time `json:"appeal_decision_due,omitzero"`
	AppealExtended    bool      `json:"appeal_extended,omitempty"`
	AppealDecided     time.Time `json:"appeal_decided,omitzero"`
	AppealOverdue     bool      `json:"appeal_overdue,omitempty"`
}

// Deadlines computes the clock of a request at now from its intake fields
// and its history, which must be every event applied, in order. It takes
// now because what is used, remaining and overdue depends on the day it is
// asked; the package reads no clock of its own. It returns Integrity, with
// the reason, if events do not replay.
func Deadlines(req steward.FOIARequest, events []steward.FOIAEvent, cal Calendar, now time.Time) (Clock, error) {
	const op steward.Op = "foia.Deadlines"
	st, err := replay(req, events, cal)
	if err != nil {
		return Clock{}, steward.E(op, steward.Integrity, "the request's history does not replay", err)
	}
	return st.clock(now), nil
}

func (st *state) clock(now time.Time) Clock {
	cal, loc := st.cal, st.cal.Location()
	today := cal.date(now)
	c := Clock{
		Start:               st.start.in(loc),
		Allowed:             ResponseDays + st.ext,
		Extended:            st.ext > 0,
		ExtensionDays:       st.ext,
		ExtensionNotice:     st.extNotice,
		Circumstance:        st.circumstance,
		InformationTollUsed: st.infoUsed,
	}

	// The period runs to today, or stopped at the toll's start or the
	// final response.
	end := today
	tolled := st.tolled(st.start, maxDate)
	switch {
	case st.req.Status == steward.FOIATolled:
		end = st.tollFrom
		c.Tolled, c.TollReason = true, st.tollWhy
		if today > st.tollFrom {
			tolled += cal.between(st.tollFrom, today)
		}
	case !st.responded.IsZero():
		end = cal.date(st.responded)
	}
	due := cal.add(st.start, c.Allowed+tolled)
	c.Due, c.TolledDays = due.in(loc), tolled
	if end > st.start {
		c.WorkingDaysUsed = cal.between(st.start, end) - st.tolled(st.start, end)
	}
	c.Remaining = c.Allowed - c.WorkingDaysUsed

	if st.responded.IsZero() {
		c.Overdue = !c.Tolled && today > due
	} else {
		c.Responded = end.in(loc)
		c.Late = end > due
	}

	if !st.expediteAt.IsZero() {
		d := cal.date(st.expediteAt)
		c.ExpediteRequested = d.in(loc)
		edue := d + ExpediteDecideDay
		c.ExpeditedDecisionDue = edue.in(loc)
		c.ExpediteDecided = !st.expeditePending
		c.ExpediteOverdue = st.expeditePending && today > edue
	}

	if !st.responded.IsZero() && st.req.Disposition != steward.FOIAWithdrawn {
		c.AppealBy = st.appealBy().in(loc)
	}
	if !st.appealAt.IsZero() {
		c.AppealReceived = st.appealDay.in(loc)
		c.AppealLate = cal.date(st.appealAt) > st.appealBy()
		adue := st.appealDue()
		c.AppealDecisionDue = adue.in(loc)
		c.AppealExtended = st.appealExt > 0
		if st.appealDecided.IsZero() {
			c.AppealOverdue = today > adue
		} else {
			c.AppealDecided = cal.Day(st.appealDecided)
		}
	}
	return c
}

// appealBy is the last day to appeal the final response.
func (st *state) appealBy() date {
	cal := st.cal
	days := cal.appealDays
	if days == 0 {
		days = DefaultAppealDays
	}
	from := cal.date(st.responded)
	if cal.appealWork {
		return cal.add(from, days)
	}
	return from + date(days)
}
