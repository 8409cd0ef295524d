package foia

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Statutory periods, in working days unless named otherwise.
const (
	ResponseDays      = 20 // 5 U.S.C. 552(a)(6)(A)(i)
	AppealDecideDays  = 20 // 5 U.S.C. 552(a)(6)(A)(ii)
	MaxExtensionDays  = 10 // 5 U.S.C. 552(a)(6)(B)(i), unusual circumstances
	RoutingDays       = 10 // 552(a)(6)(A)(ii): the clock starts at the latest this long after a designated component first has the request
	ExpediteDecideDay = 10 // calendar days; 5 U.S.C. 552(a)(6)(E)(ii)(I)
)

// Bounds on intake fields. A request is typed by a person; anything far
// longer is a paste gone wrong or an attack on the log.
const (
	maxName        = 200
	maxEmail       = 320
	maxAddress     = 1000
	maxDescription = 20000
)

// Intake checks a new request as it arrives and returns it ready to store:
// strings trimmed, InitialTrack taken from Track when unset and defaulted
// to simple, and the snapshot fields set to a received request with no
// history. It is a parser of outside input.
//
// It returns Invalid when the ID, description, receipt time or a way to
// reach the requester (a name or organisation, and an email or postal
// address) is missing, an email does not parse, a field holds control
// characters, the track or fee category is unknown, the track is
// expedited (that follows a grant, recorded as an event), or
// FirstReceivedAt is after ReceivedAt; TooLarge when a field is too long.
func Intake(r steward.FOIARequest) (steward.FOIARequest, error) {
	const op steward.Op = "foia.Intake"
	trim := strings.TrimSpace
	r.ID = trim(r.ID)
	r.Requester.Name = trim(r.Requester.Name)
	r.Requester.Organization = trim(r.Requester.Organization)
	r.Requester.Email = trim(r.Requester.Email)
	r.Requester.Address = trim(r.Requester.Address)
	r.Description = trim(r.Description)

	fields := []struct {
		name, v   string
		max       int
		multiline bool
	}{
		{"id", r.ID, maxName, false},
		{"requester name", r.Requester.Name, maxName, false},
		{"requester organization", r.Requester.Organization, maxName, false},
		{"requester email", r.Requester.Email, maxEmail, false},
		{"requester address", r.Requester.Address, maxAddress, true},
		{"description", r.Description, maxDescription, true},
	}
	for _, f := range fields {
		if len(f.v) > f.max {
			return r, steward.Errorf(op, steward.TooLarge, "%s is longer than %d bytes", f.name, f.max)
		}
		if err := checkText(f.v, f.multiline); err != "" {
			return r, steward.Errorf(op, steward.Invalid, "%s %s", f.name, err)
		}
	}
	switch {
	case r.ID == "":
		return r, steward.E(op, steward.Invalid, "id is required")
	case r.Description == "":
		return r, steward.E(op, steward.Invalid, "a description of the records sought is required")
	case r.Requester.Name == "" && r.Requester.Organization == "":
		return r, steward.E(op, steward.Invalid, "the requester's name or organization is required")
	case r.Requester.Email == "" && r.Requester.Address == "":
		return r, steward.E(op, steward.Invalid, "an email or postal address for the response is required")
	case r.ReceivedAt.IsZero():
		return r, steward.E(op, steward.Invalid, "received_at is required")
	case !r.FirstReceivedAt.IsZero() && r.FirstReceivedAt.After(r.ReceivedAt):
		return r, steward.E(op, steward.Invalid, "first_received_at is after received_at")
	}
	if r.Requester.Email != "" {
		a, err := mail.ParseAddress(r.Requester.Email)
		if err != nil || a.Name != "" || a.Address != r.Requester.Email {
			return r, steward.E(op, steward.Invalid, "requester email "+quote(r.Requester.Email)+" is not an address")
		}
	}
	if r.InitialTrack == "" {
		r.InitialTrack = r.Track
	}
	switch r.InitialTrack {
	case "":
		r.InitialTrack = steward.FOIASimple
	case steward.FOIASimple, steward.FOIAComplex:
	case steward.FOIAExpedited:
		return r, steward.E(op, steward.Invalid, "a request enters the expedited track when expedited processing is granted, not at intake")
	default:
		return r, steward.E(op, steward.Invalid, "unknown track "+quote(string(r.InitialTrack)))
	}
	r.Track = r.InitialTrack
	if r.FeeCategory != "" && !validFee(r.FeeCategory) {
		return r, steward.E(op, steward.Invalid, "unknown fee category "+quote(string(r.FeeCategory)))
	}
	r.Status = steward.FOIAReceived
	r.Disposition = ""
	r.AppealOutcome = ""
	r.Version = 0
	return r, nil
}

// checkText returns why s is not acceptable text, or "".
func checkText(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, c := range s {
		if multiline && (c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return "holds a control character"
		}
	}
	return ""
}

func validFee(c steward.FOIAFeeCategory) bool {
	switch c {
	case steward.FOIAFeeCommercial, steward.FOIAFeeEducational, steward.FOIAFeeScientific, steward.FOIAFeeNewsMedia, steward.FOIAFeeOther:
		return true
	}
	return false
}

// ValidDisposition reports whether d is a disposition this version knows.
func ValidDisposition(d steward.FOIADisposition) bool {
	switch d {
	case steward.FOIAFullGrant, steward.FOIAPartialGrant, steward.FOIAFullDenial, steward.FOIANoRecords,
		steward.FOIAReferred, steward.FOIAWithdrawn, steward.FOIAFeeRelated, steward.FOIANotDescribed,
		steward.FOIAImproper, steward.FOIANotAgencyRecord, steward.FOIADuplicate, steward.FOIAOtherDisposition:
		return true
	}
	return false
}

func validOutcome(o steward.FOIAAppealOutcome) bool {
	switch o {
	case steward.FOIAAffirmed, steward.FOIAPartlyReversed, steward.FOIAReversed, steward.FOIAAppealClosedOther:
		return true
	}
	return false
}

func validCircumstance(c steward.FOIACircumstance) bool {
	switch c {
	case steward.FOIAFieldFacilities, steward.FOIAVoluminous, steward.FOIAConsultation:
		return true
	}
	return false
}

// Apply checks ev against the request's history and returns the request
// as it stands after ev: status, track, disposition and appeal outcome
// moved, Version one more than the history's length, and UpdatedAt set to
// ev.RecordedAt when given. req supplies the intake fields; its snapshot
// fields are recomputed from history, which must be every event applied
// so far, in order. Apply changes nothing it is given.
//
// It returns Invalid when ev is malformed (unknown kind, zero At, a
// missing or unknown toll reason, circumstance, track, disposition or
// outcome, extension days outside 1–10, another request's ID); Conflict
// when ev may not happen now: a move the lifecycle does not allow, a
// second information toll, a second extension, a toll or extension
// noticed after the time limit has run out, an expedite decision with no
// expedite request pending, or an event dated before the one before it;
// and Integrity when history itself does not replay.
func Apply(req steward.FOIARequest, history []steward.FOIAEvent, ev steward.FOIAEvent, cal Calendar) (steward.FOIARequest, error) {
	const op steward.Op = "foia.Apply"
	st, err := replay(req, history, cal)
	if err != nil {
		return req, steward.E(op, steward.Integrity, "the request's history does not replay", err)
	}
	if err := st.step(ev); err != nil {
		return req, steward.E(op, err)
	}
	if !ev.RecordedAt.IsZero() {
		st.req.UpdatedAt = ev.RecordedAt
	}
	return st.req, nil
}

// Replay rebuilds the snapshot of a request from its intake fields and its
// whole history. A store's snapshot should always equal it; a difference
// means one of them was changed behind the package's back. It returns the
// error Apply would have returned for the first event that does not fit,
// naming its position.
func Replay(req steward.FOIARequest, events []steward.FOIAEvent, cal Calendar) (steward.FOIARequest, error) {
	st, err := replay(req, events, cal)
	if err != nil {
		return req, steward.E(steward.Op("foia.Replay"), err)
	}
	if n := len(events); n > 0 && !events[n-1].RecordedAt.IsZero() {
		st.req.UpdatedAt = events[n-1].RecordedAt
	}
	return st.req, nil
}

// span is a stretch of stopped clock: the working days in (from, to].
type span struct{ from, to date }

// state is a request's history folded up: the snapshot, and everything
// the clock needs.
type state struct {
	cal  Calendar
	req  steward.FOIARequest
	last time.Time // At of the latest event, or the receipt

	start date // day 0 of the 20-day period

	resume   steward.FOIAStatus // the status a toll returns to
	tollFrom date               // with status tolled: the last day counted before the toll
	tollWhy  steward.FOIATollReason
	tolls    []span // closed tolls
	resumed  date   // day 0 again after the latest closed toll
	infoUsed bool   // the one information toll has been taken

	ext          int
	extNotice    time.Time
	circumstance steward.FOIACircumstance

	expediteAt      time.Time // the latest expedite request
	expeditePending bool
	expediteDecided time.Time

	responded time.Time

	appealAt        time.Time
	appealDay       date
	appealExt       int
	appealExtNotice time.Time
	appealDecided   time.Time
}

func replay(req steward.FOIARequest, events []steward.FOIAEvent, cal Calendar) (*state, error) {
	if req.ReceivedAt.IsZero() {
		return nil, steward.E(steward.Invalid, "received_at is required")
	}
	req.Status = steward.FOIAReceived
	req.Disposition = ""
	req.AppealOutcome = ""
	req.Version = 0
	// Track changes are replayed from the intake track; an expedited track
	// is a grant's doing, never an intake's.
	switch req.InitialTrack {
	case steward.FOIASimple, steward.FOIAComplex:
		req.Track = req.InitialTrack
	default:
		req.Track = steward.FOIASimple
	}
	st := &state{cal: cal, req: req, last: req.ReceivedAt}
	st.start = cal.receipt(req.ReceivedAt)
	if !req.FirstReceivedAt.IsZero() {
		st.start = min(st.start, cal.add(cal.receipt(req.FirstReceivedAt), RoutingDays))
	}
	if req.ExpediteRequested {
		st.expediteAt = req.ReceivedAt
		st.expeditePending = true
	}
	for i, ev := range events {
		if err := st.step(ev); err != nil {
			// step's messages are all safe to show and carry the whole cause.
			return nil, errf(steward.KindOf(err), "event %d (%s): %s", i+1, ev.Kind, steward.PublicMessage(err))
		}
	}
	return st, nil
}

// due is the last day of the response period as far as the history goes:
// with the clock running, the true deadline.
func (st *state) due() date {
	return st.cal.add(st.start, ResponseDays+st.ext+st.tolled(st.start, maxDate))
}

const maxDate = date(1<<31 - 1)

// tolled counts the working days in (a, b] that closed tolls stopped.
func (st *state) tolled(a, b date) int {
	n := 0
	for _, s := range st.tolls {
		lo, hi := max(s.from, a), min(s.to, b)
		if hi > lo {
			n += st.cal.between(lo, hi)
		}
	}
	return n
}

func (st *state) appealDue() date {
	return st.cal.add(st.appealDay, AppealDecideDays+st.appealExt)
}

// step applies one event; see Apply for the rules.
func (st *state) step(ev steward.FOIAEvent) error {
	r := &st.req
	if ev.At.IsZero() {
		return steward.E(steward.Invalid, "the event's time is required")
	}
	if ev.RequestID != "" && ev.RequestID != r.ID {
		return steward.E(steward.Invalid, "the event belongs to another request")
	}
	if ev.At.Before(st.last) {
		return errf(steward.Conflict, "the event is dated %s, before the request's latest event or receipt at %s",
			ev.At.Format(time.RFC3339), st.last.Format(time.RFC3339))
	}
	cal := st.cal
	day := cal.date(ev.At)
	open := r.Status.Open()
	illegal := func() error {
		return errf(steward.Conflict, "cannot record %s on a request in status %s", ev.Kind, r.Status)
	}

	switch ev.Kind {
	case steward.FOIAEventAcknowledged:
		if r.Status != steward.FOIAReceived {
			return illegal()
		}
		r.Status = steward.FOIAAcknowledged

	case steward.FOIAEventSearchStarted:
		switch r.Status {
		case steward.FOIAReceived, steward.FOIAAcknowledged, steward.FOIAReviewing:
			r.Status = steward.FOIASearching
		default:
			return illegal()
		}

	case steward.FOIAEventReviewStarted:
		switch r.Status {
		case steward.FOIAReceived, steward.FOIAAcknowledged, steward.FOIASearching:
			r.Status = steward.FOIAReviewing
		default:
			return illegal()
		}

	case steward.FOIAEventTolled:
		switch ev.Toll {
		case steward.FOIATollInformation, steward.FOIATollFee:
		default:
			return steward.E(steward.Invalid, "a toll needs a reason: information or fee")
		}
		if !open {
			return illegal()
		}
		if r.Status == steward.FOIATolled {
			return steward.E(steward.Conflict, "the clock is already tolled; record the requester's answer first")
		}
		if ev.Toll == steward.FOIATollInformation && st.infoUsed {
			return steward.E(steward.Conflict, "the clock may be tolled only once for information from the requester (5 U.S.C. 552(a)(6)(A)(ii)(I)); fee clarifications may toll it again")
		}
		if due := st.due(); day > due {
			return errf(steward.Conflict, "the time limit ran out on %s; a toll cannot stop a clock that has run out", due)
		}
		st.resume, r.Status = r.Status, steward.FOIATolled
		// The clock stops at the earliest once it has started, and once it
		// has resumed from any earlier toll, whose answer may count as
		// received on a later day than this question (after hours), so
		// that no day is tolled twice.
		st.tollFrom = max(day, st.start, st.resumed)
		st.tollWhy = ev.Toll
		st.infoUsed = st.infoUsed || ev.Toll == steward.FOIATollInformation

	case steward.FOIAEventTollEnded:
		if r.Status != steward.FOIATolled {
			return illegal()
		}
		st.closeToll(cal.receipt(ev.At))
		r.Status = st.resume

	case steward.FOIAEventExtended:
		days := ev.Days
		if days == 0 {
			days = MaxExtensionDays
		}
		if days < 1 || days > MaxExtensionDays {
			return errf(steward.Invalid, "an extension for unusual circumstances is 1 to %d working days", MaxExtensionDays)
		}
		if !validCircumstance(ev.Circumstance) {
			return steward.E(steward.Invalid, "an extension names its unusual circumstance: field_facilities, voluminous or consultation")
		}
		switch {
		case open:
			if st.ext > 0 {
				return steward.E(steward.Conflict, "the response time has already been extended")
			}
			// While tolled the clock is stopped and cannot have run out.
			if due := st.due(); r.Status != steward.FOIATolled && day > due {
				return errf(steward.Conflict, "the time limit ran out on %s; notice of an extension must be given before it", due)
			}
			st.ext, st.extNotice, st.circumstance = days, ev.At, ev.Circumstance
		case r.Status == steward.FOIAAppealReceived:
			if st.appealExt > 0 {
				return steward.E(steward.Conflict, "the appeal's time has already been extended")
			}
			if due := st.appealDue(); day > due {
				return errf(steward.Conflict, "the appeal's time limit ran out on %s; notice of an extension must be given before it", due)
			}
			st.appealExt, st.appealExtNotice = days, ev.At
		default:
			return illegal()
		}

	case steward.FOIAEventExpediteRequested:
		if !open {
			return illegal()
		}
		if st.expeditePending {
			return steward.E(steward.Conflict, "an expedite request is already awaiting its decision")
		}
		if r.Track == steward.FOIAExpedited {
			return steward.E(steward.Conflict, "the request is already expedited")
		}
		st.expediteAt, st.expeditePending = ev.At, true

	case steward.FOIAEventExpediteGranted, steward.FOIAEventExpediteDenied:
		if !open {
			return illegal()
		}
		if !st.expeditePending {
			return steward.E(steward.Conflict, "no expedite request is awaiting a decision")
		}
		st.expeditePending, st.expediteDecided = false, ev.At
		if ev.Kind == steward.FOIAEventExpediteGranted {
			r.Track = steward.FOIAExpedited
		}

	case steward.FOIAEventTrackChanged:
		switch ev.Track {
		case steward.FOIASimple, steward.FOIAComplex:
		case steward.FOIAExpedited:
			return steward.E(steward.Invalid, "a request is expedited by granting expedited processing")
		default:
			return steward.E(steward.Invalid, "unknown track "+quote(string(ev.Track)))
		}
		if !open {
			return illegal()
		}
		if ev.Track == r.Track {
			return steward.E(steward.Conflict, "the request is already on the "+string(ev.Track)+" track")
		}
		r.Track = ev.Track

	case steward.FOIAEventFinalResponse:
		if !ValidDisposition(ev.Disposition) {
			return steward.E(steward.Invalid, "a final response needs a disposition")
		}
		if !open {
			return illegal()
		}
		if r.Status == steward.FOIATolled {
			// Closed while awaiting the requester, typically for want of an
			// answer: the clock stayed stopped until the response.
			st.closeToll(day)
		}
		r.Status, r.Disposition = steward.FOIAFinalResponse, ev.Disposition
		st.responded = ev.At
		st.expeditePending = false // moot once the determination is made

	case steward.FOIAEventAppealReceived:
		if r.Status != steward.FOIAFinalResponse {
			return illegal()
		}
		if r.Disposition == steward.FOIAWithdrawn {
			return steward.E(steward.Conflict, "a withdrawn request has no determination to appeal")
		}
		r.Status = steward.FOIAAppealReceived
		st.appealAt, st.appealDay = ev.At, cal.receipt(ev.At)

	case steward.FOIAEventAppealDecided:
		if !validOutcome(ev.AppealOutcome) {
			return steward.E(steward.Invalid, "an appeal decision needs an outcome")
		}
		if r.Status != steward.FOIAAppealReceived {
			return illegal()
		}
		r.Status, r.AppealOutcome = steward.FOIAAppealDecided, ev.AppealOutcome
		st.appealDecided = ev.At

	default:
		return steward.E(steward.Invalid, "unknown event kind "+quote(string(ev.Kind)))
	}
	st.last = ev.At
	r.Version++
	return nil
}

func (st *state) closeToll(end date) {
	if end > st.tollFrom {
		st.tolls = append(st.tolls, span{st.tollFrom, end})
		st.resumed = end
	}
	st.tollWhy = ""
}

// errf builds an error with no Op, for the rules that Apply and Replay
// wrap under their own.
func errf(kind steward.Kind, format string, args ...any) error {
	return steward.E(kind, fmt.Sprintf(format, args...))
}
