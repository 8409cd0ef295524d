package foia

import (
	"cmp"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Docket is a request with its history, the unit the due report reads.
type Docket struct {
	Request steward.FOIARequest
	Events  []steward.FOIAEvent
}

// DeadlineKind names which of a request's time limits a report row is about.
type DeadlineKind string

const (
	DeadlineResponse         DeadlineKind = "response"          // the determination, 20 working days plus extension and tolling
	DeadlineExpediteDecision DeadlineKind = "expedite_decision" // the decision on expedited processing, 10 calendar days
	DeadlineAppealDecision   DeadlineKind = "appeal_decision"   // the appeal decision, 20 working days plus extension
)

// DueRow is one pending deadline.
type DueRow struct {
	RequestID string             `json:"request_id"`
	Deadline  DeadlineKind       `json:"deadline"`
	Due       time.Time          `json:"due"`
	Remaining int                `json:"remaining"` // working days after today up to Due; 0 due today (or by the last working day before a weekend Due), negative overdue
	Overdue   bool               `json:"overdue"`
	Status    steward.FOIAStatus `json:"status"`
	Track     steward.FOIATrack  `json:"track"`
}

// DueReport lists the pending deadlines of dockets at now, soonest first
// (ties by deadline kind, then request ID). A request contributes a
// response row while it awaits its determination with the clock running
// (a tolled request has no deadline until the requester answers), an
// expedite row while an expedite request awaits its decision, and an
// appeal row while an appeal awaits its decision.
//
// With within >= 0 only rows due within that many working days are kept,
// overdue ones included: within 0 is "due today or overdue". A negative
// within keeps every row. It returns Integrity, naming the request, if a
// docket's history does not replay.
func DueReport(dockets []Docket, cal Calendar, now time.Time, within int) ([]DueRow, error) {
	const op steward.Op = "foia.DueReport"
	today := cal.date(now)
	loc := cal.Location()
	var rows []DueRow
	for _, dk := range dockets {
		st, err := replay(dk.Request, dk.Events, cal)
		if err != nil {
			return nil, steward.E(op, steward.Integrity, "the history of request "+quote(dk.Request.ID)+" does not replay", err)
		}
		add := func(kind DeadlineKind, due date) {
			rem := cal.between(today, due)
			if within >= 0 && rem > within {
				return
			}
			rows = append(rows, DueRow{
				RequestID: dk.Request.ID, Deadline: kind, Due: due.in(loc), Remaining: rem,
				Overdue: today > due, Status: st.req.Status, Track: st.req.Track,
			})
		}
		status := st.req.Status
		if status.Open() && status != steward.FOIATolled {
			add(DeadlineResponse, st.due())
		}
		if st.expeditePending {
			add(DeadlineExpediteDecision, cal.date(st.expediteAt)+ExpediteDecideDay)
		}
		if status == steward.FOIAAppealReceived {
			add(DeadlineAppealDecision, st.appealDue())
		}
	}
	order := map[DeadlineKind]int{DeadlineResponse: 0, DeadlineExpediteDecision: 1, DeadlineAppealDecision: 2}
	slices.SortFunc(rows, func(a, b DueRow) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(order[a.Deadline], order[b.Deadline]), cmp.Compare(a.RequestID, b.RequestID))
	})
	return rows, nil
}
