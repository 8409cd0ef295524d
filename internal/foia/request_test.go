package foia

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func validRequest(received time.Time) steward.FOIARequest {
	return steward.FOIARequest{
		ID: "req-1",
		Requester: steward.FOIARequester{
			Name:         "  Jane Q. Public ",
			Organization: "The Daily Record",
			Email:        "jane@example.org",
			Address:      "1 Main St\nSpringfield",
		},
		Description: "All messages between the director and the parks contractor, March 2025.",
		FeeCategory: steward.FOIAFeeNewsMedia,
		ReceivedAt:  received,
	}
}

func mustIntake(t testing.TB, r steward.FOIARequest) steward.FOIARequest {
	t.Helper()
	r, err := Intake(r)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run applies events in order, failing the test on the first error, and
// returns the request and its history.
func run(t testing.TB, cal Calendar, req steward.FOIARequest, events ...steward.FOIAEvent) (steward.FOIARequest, []steward.FOIAEvent) {
	t.Helper()
	var history []steward.FOIAEvent
	for _, ev := range events {
		next, err := Apply(req, history, ev, cal)
		if err != nil {
			t.Fatalf("applying %s at %s: %v", ev.Kind, ev.At.Format(time.RFC3339), err)
		}
		req = next
		history = append(history, ev)
	}
	return req, history
}

func ev(kind steward.FOIAEventKind, when time.Time) steward.FOIAEvent {
	return steward.FOIAEvent{Kind: kind, At: when}
}

func toll(why steward.FOIATollReason, when time.Time) steward.FOIAEvent {
	return steward.FOIAEvent{Kind: steward.FOIAEventTolled, At: when, Toll: why}
}

func extend(days int, when time.Time) steward.FOIAEvent {
	return steward.FOIAEvent{Kind: steward.FOIAEventExtended, At: when, Days: days, Circumstance: steward.FOIAVoluminous}
}

func respond(d steward.FOIADisposition, when time.Time) steward.FOIAEvent {
	return steward.FOIAEvent{Kind: steward.FOIAEventFinalResponse, At: when, Disposition: d}
}

func decide(o steward.FOIAAppealOutcome, when time.Time) steward.FOIAEvent {
	return steward.FOIAEvent{Kind: steward.FOIAEventAppealDecided, At: when, AppealOutcome: o}
}

func TestIntake(t *testing.T) {
	r := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	if r.Requester.Name != "Jane Q. Public" || r.Track != steward.FOIASimple || r.Status != steward.FOIAReceived || r.Version != 0 {
		t.Errorf("intake = %+v", r)
	}
	again := mustIntake(t, r)
	if !reflect.DeepEqual(again, r) {
		t.Errorf("Intake is not idempotent:\n%+v\n%+v", r, again)
	}

	cases := []struct {
		name string
		mod  func(*steward.FOIARequest)
		kind steward.Kind
	}{
		{"no id", func(r *steward.FOIARequest) { r.ID = " " }, steward.Invalid},
		{"no description", func(r *steward.FOIARequest) { r.Description = "" }, steward.Invalid},
		{"nobody", func(r *steward.FOIARequest) { r.Requester.Name, r.Requester.Organization = "", "" }, steward.Invalid},
		{"no way to reply", func(r *steward.FOIARequest) { r.Requester.Email, r.Requester.Address = "", "" }, steward.Invalid},
		{"no receipt", func(r *steward.FOIARequest) { r.ReceivedAt = time.Time{} }, steward.Invalid},
		{"first receipt after receipt", func(r *steward.FOIARequest) { r.FirstReceivedAt = r.ReceivedAt.Add(time.Hour) }, steward.Invalid},
		{"bad email", func(r *steward.FOIARequest) { r.Requester.Email = "jane at example" }, steward.Invalid},
		{"display-name email", func(r *steward.FOIARequest) { r.Requester.Email = "Jane <jane@example.org>" }, steward.Invalid},
		{"control in name", func(r *steward.FOIARequest) { r.Requester.Name = "Jane\x1b[31m" }, steward.Invalid},
		{"newline in name", func(r *steward.FOIARequest) { r.Requester.Name = "Jane\nPublic" }, steward.Invalid},
		{"bad utf-8", func(r *steward.FOIARequest) { r.Description = "records \xff" }, steward.Invalid},
		{"expedited at intake", func(r *steward.FOIARequest) { r.Track = steward.FOIAExpedited }, steward.Invalid},
		{"unknown track", func(r *steward.FOIARequest) { r.Track = "fast" }, steward.Invalid},
		{"unknown fee category", func(r *steward.FOIARequest) { r.FeeCategory = "journalist" }, steward.Invalid},
		{"long name", func(r *steward.FOIARequest) { r.Requester.Name = strings.Repeat("a", maxName+1) }, steward.TooLarge},
		{"long description", func(r *steward.FOIARequest) { r.Description = strings.Repeat("a", maxDescription+1) }, steward.TooLarge},
	}
	for _, c := range cases {
		r := validRequest(at("2025-03-03 10:00"))
		c.mod(&r)
		if _, err := Intake(r); !steward.Is(c.kind, err) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
		}
	}
	// An organisation alone, reached by post, is enough.
	r = validRequest(at("2025-03-03 10:00"))
	r.Requester.Name, r.Requester.Email = "", ""
	r.Track = steward.FOIAComplex
	if got := mustIntake(t, r); got.Track != steward.FOIAComplex {
		t.Errorf("track %s", got.Track)
	}
}

func TestLifecycle(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	steps := []struct {
		ev     steward.FOIAEvent
		status steward.FOIAStatus
	}{
		{ev(steward.FOIAEventAcknowledged, at("2025-03-03 11:00")), steward.FOIAAcknowledged},
		{ev(steward.FOIAEventSearchStarted, at("2025-03-04 09:00")), steward.FOIASearching},
		{toll(steward.FOIATollInformation, at("2025-03-05 14:00")), steward.FOIATolled},
		{ev(steward.FOIAEventTollEnded, at("2025-03-10 11:00")), steward.FOIASearching},
		{ev(steward.FOIAEventReviewStarted, at("2025-03-12 09:00")), steward.FOIAReviewing},
		{ev(steward.FOIAEventSearchStarted, at("2025-03-13 09:00")), steward.FOIASearching}, // back to search: review found a gap
		{ev(steward.FOIAEventReviewStarted, at("2025-03-14 09:00")), steward.FOIAReviewing},
		{toll(steward.FOIATollFee, at("2025-03-17 09:00")), steward.FOIATolled},
		{ev(steward.FOIAEventTollEnded, at("2025-03-18 09:00")), steward.FOIAReviewing},
		{toll(steward.FOIATollFee, at("2025-03-18 10:00")), steward.FOIATolled}, // fees may toll again
		{ev(steward.FOIAEventTollEnded, at("2025-03-19 09:00")), steward.FOIAReviewing},
		{extend(0, at("2025-03-20 09:00")), steward.FOIAReviewing},
		{respond(steward.FOIAPartialGrant, at("2025-04-01 15:00")), steward.FOIAFinalResponse},
		{ev(steward.FOIAEventAppealReceived, at("2025-05-01 10:00")), steward.FOIAAppealReceived},
		{extend(5, at("2025-05-20 10:00")), steward.FOIAAppealReceived},
		{decide(steward.FOIAPartlyReversed, at("2025-06-02 10:00")), steward.FOIAAppealDecided},
	}
	var history []steward.FOIAEvent
	for i, s := range steps {
		s.ev.RecordedAt = s.ev.At.Add(time.Minute)
		before := req
		next, err := Apply(req, history, s.ev, cal)
		if err != nil {
			t.Fatalf("step %d %s: %v", i+1, s.ev.Kind, err)
		}
		if !reflect.DeepEqual(req, before) {
			t.Fatalf("step %d: Apply changed its argument", i+1)
		}
		if next.Status != s.status || next.Version != i+1 || !next.UpdatedAt.Equal(s.ev.RecordedAt) {
			t.Fatalf("step %d %s: status %s version %d updated %v; want %s %d", i+1, s.ev.Kind, next.Status, next.Version, next.UpdatedAt, s.status, i+1)
		}
		req = next
		history = append(history, s.ev)
	}
	if req.Disposition != steward.FOIAPartialGrant || req.AppealOutcome != steward.FOIAPartlyReversed {
		t.Errorf("final %+v", req)
	}
	replayed, err := Replay(req, history, cal)
	if err != nil || !reflect.DeepEqual(replayed, req) {
		t.Errorf("Replay = %+v, %v;\nwant %+v", replayed, err, req)
	}
	// Nothing follows an appeal decision.
	for _, k := range []steward.FOIAEventKind{steward.FOIAEventAcknowledged, steward.FOIAEventSearchStarted, steward.FOIAEventAppealReceived, steward.FOIAEventTollEnded} {
		if _, err := Apply(req, history, ev(k, at("2025-06-03 10:00")), cal); !steward.Is(steward.Conflict, err) {
			t.Errorf("%s after the appeal decision: %v, want Conflict", k, err)
		}
	}
}

func TestTransitionsRefused(t *testing.T) {
	cal := newCal(t, Config{})
	base := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	t0 := at("2025-03-04 10:00")
	t1 := at("2025-03-05 10:00")
	cases := []struct {
		name    string
		history []steward.FOIAEvent
		ev      steward.FOIAEvent
		kind    steward.Kind
	}{
		{"acknowledge twice", []steward.FOIAEvent{ev(steward.FOIAEventAcknowledged, t0)}, ev(steward.FOIAEventAcknowledged, t1), steward.Conflict},
		{"acknowledge once searching", []steward.FOIAEvent{ev(steward.FOIAEventSearchStarted, t0)}, ev(steward.FOIAEventAcknowledged, t1), steward.Conflict},
		{"second information toll", []steward.FOIAEvent{toll(steward.FOIATollInformation, t0), ev(steward.FOIAEventTollEnded, t0)}, toll(steward.FOIATollInformation, t1), steward.Conflict},
		{"toll while tolled", []steward.FOIAEvent{toll(steward.FOIATollFee, t0)}, toll(steward.FOIATollFee, t1), steward.Conflict},
		{"end a toll never begun", nil, ev(steward.FOIAEventTollEnded, t0), steward.Conflict},
		{"toll without reason", nil, toll("", t0), steward.Invalid},
		{"toll for a bad reason", nil, toll("vacation", t0), steward.Invalid},
		{"toll after the deadline", nil, toll(steward.FOIATollFee, at("2025-04-01 09:00")), steward.Conflict},
		{"extend after the deadline", nil, extend(10, at("2025-04-01 09:00")), steward.Conflict},
		{"extend twice", []steward.FOIAEvent{extend(5, t0)}, extend(5, t1), steward.Conflict},
		{"extend 11 days", nil, extend(11, t0), steward.Invalid},
		{"extend -1 days", nil, extend(-1, t0), steward.Invalid},
		{"extend without circumstance", nil, steward.FOIAEvent{Kind: steward.FOIAEventExtended, At: t0}, steward.Invalid},
		{"decide expedite never asked", nil, ev(steward.FOIAEventExpediteGranted, t0), steward.Conflict},
		{"ask expedite twice", []steward.FOIAEvent{ev(steward.FOIAEventExpediteRequested, t0)}, ev(steward.FOIAEventExpediteRequested, t1), steward.Conflict},
		{"ask expedite once expedited", []steward.FOIAEvent{ev(steward.FOIAEventExpediteRequested, t0), ev(steward.FOIAEventExpediteGranted, t0)}, ev(steward.FOIAEventExpediteRequested, t1), steward.Conflict},
		{"track to expedited", nil, steward.FOIAEvent{Kind: steward.FOIAEventTrackChanged, At: t0, Track: steward.FOIAExpedited}, steward.Invalid},
		{"track unchanged", nil, steward.FOIAEvent{Kind: steward.FOIAEventTrackChanged, At: t0, Track: steward.FOIASimple}, steward.Conflict},
		{"respond without disposition", nil, respond("", t0), steward.Invalid},
		{"respond twice", []steward.FOIAEvent{respond(steward.FOIAFullGrant, t0)}, respond(steward.FOIAFullGrant, t1), steward.Conflict},
		{"appeal before a response", nil, ev(steward.FOIAEventAppealReceived, t0), steward.Conflict},
		{"appeal a withdrawal", []steward.FOIAEvent{respond(steward.FOIAWithdrawn, t0)}, ev(steward.FOIAEventAppealReceived, t1), steward.Conflict},
		{"decide an appeal never made", []steward.FOIAEvent{respond(steward.FOIAFullDenial, t0)}, decide(steward.FOIAAffirmed, t1), steward.Conflict},
		{"decide without outcome", []steward.FOIAEvent{respond(steward.FOIAFullDenial, t0), ev(steward.FOIAEventAppealReceived, t0)}, decide("", t1), steward.Invalid},
		{"toll after the response", []steward.FOIAEvent{respond(steward.FOIAFullDenial, t0)}, toll(steward.FOIATollFee, t1), steward.Conflict},
		{"out of order", []steward.FOIAEvent{ev(steward.FOIAEventAcknowledged, t1)}, ev(steward.FOIAEventSearchStarted, t0), steward.Conflict},
		{"before receipt", nil, ev(steward.FOIAEventAcknowledged, at("2025-03-02 10:00")), steward.Conflict},
		{"no time", nil, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged}, steward.Invalid},
		{"unknown kind", nil, ev("escalated", t0), steward.Invalid},
		{"another request's event", nil, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged, At: t0, RequestID: "req-2"}, steward.Invalid},
		{"broken history", []steward.FOIAEvent{ev(steward.FOIAEventTollEnded, t0)}, ev(steward.FOIAEventAcknowledged, t1), steward.Integrity},
	}
	for _, c := range cases {
		got, err := Apply(base, c.history, c.ev, cal)
		if !steward.Is(c.kind, err) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.kind)
			continue
		}
		if !reflect.DeepEqual(got, base) {
			t.Errorf("%s: a refused event still returned a changed request", c.name)
		}
		if msg := steward.PublicMessage(err); msg == "" || msg == c.kind.String() {
			t.Errorf("%s: no reason shown to the caller: %q", c.name, msg)
		}
	}
}

func TestTollOnTheDueDayIsAllowed(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	// Due 31 March: a toll that day is still in time, and so is an
	// extension notice.
	run(t, cal, req, toll(steward.FOIATollFee, at("2025-03-31 16:00")))
	run(t, cal, req, extend(10, at("2025-03-31 16:00")))
	// While tolled, the clock cannot run out, so an extension is in time
	// whenever it is noticed.
	run(t, cal, req, toll(steward.FOIATollInformation, at("2025-03-31 16:00")), extend(10, at("2025-05-30 16:00")))
}

func TestExpedite(t *testing.T) {
	cal := newCal(t, Config{})
	r := validRequest(at("2025-03-03 10:00"))
	r.ExpediteRequested = true
	req := mustIntake(t, r)
	got, _ := run(t, cal, req, ev(steward.FOIAEventExpediteGranted, at("2025-03-07 10:00")))
	if got.Track != steward.FOIAExpedited {
		t.Errorf("granted: track %s", got.Track)
	}
	got, _ = run(t, cal, req,
		ev(steward.FOIAEventExpediteDenied, at("2025-03-07 10:00")),
		ev(steward.FOIAEventExpediteRequested, at("2025-03-10 10:00")), // asked again with more support
		ev(steward.FOIAEventExpediteGranted, at("2025-03-11 10:00")),
		steward.FOIAEvent{Kind: steward.FOIAEventTrackChanged, At: at("2025-03-20 10:00"), Track: steward.FOIAComplex}, // rescinded
	)
	if got.Track != steward.FOIAComplex {
		t.Errorf("track %s", got.Track)
	}
}

func TestResponseWhileTolledClosesTheToll(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	got, history := run(t, cal, req,
		toll(steward.FOIATollInformation, at("2025-03-05 14:00")),
		respond(steward.FOIAOtherDisposition, at("2025-05-05 10:00")), // the requester never answered
	)
	if got.Status != steward.FOIAFinalResponse {
		t.Fatalf("status %s", got.Status)
	}
	c, err := Deadlines(got, history, cal, at("2025-06-01 10:00"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Late || c.Tolled || c.WorkingDaysUsed != 2 || !c.Responded.Equal(day("2025-05-05")) {
		t.Errorf("clock %+v", c)
	}
}

func TestReplayNamesTheBadEvent(t *testing.T) {
	cal := newCal(t, Config{})
	req := mustIntake(t, validRequest(at("2025-03-03 10:00")))
	_, err := Replay(req, []steward.FOIAEvent{
		ev(steward.FOIAEventAcknowledged, at("2025-03-03 11:00")),
		toll(steward.FOIATollInformation, at("2025-03-04 11:00")),
		ev(steward.FOIAEventTollEnded, at("2025-03-05 11:00")),
		toll(steward.FOIATollInformation, at("2025-03-06 11:00")),
	}, cal)
	if !steward.Is(steward.Conflict, err) || !strings.Contains(steward.PublicMessage(err), "event 4 (tolled)") {
		t.Errorf("err = %v", err)
	}
}

func TestTrackChangesReplayFromTheIntakeTrack(t *testing.T) {
	cal := newCal(t, Config{})
	r := validRequest(at("2025-03-03 10:00"))
	r.Track = steward.FOIAComplex
	req := mustIntake(t, r)
	if req.InitialTrack != steward.FOIAComplex {
		t.Fatalf("initial track %s", req.InitialTrack)
	}
	got, history := run(t, cal, req, steward.FOIAEvent{Kind: steward.FOIAEventTrackChanged, At: at("2025-03-04 10:00"), Track: steward.FOIASimple})
	if got.Track != steward.FOIASimple || got.InitialTrack != steward.FOIAComplex {
		t.Fatalf("track %s initial %s", got.Track, got.InitialTrack)
	}
	// The stored snapshot, current track and all, replays to itself and
	// accepts the next event.
	if replayed, err := Replay(got, history, cal); err != nil || !reflect.DeepEqual(replayed, got) {
		t.Fatalf("replay %+v %v", replayed, err)
	}
	if _, err := Apply(got, history, steward.FOIAEvent{Kind: steward.FOIAEventTrackChanged, At: at("2025-03-05 10:00"), Track: steward.FOIAComplex}, cal); err != nil {
		t.Fatal(err)
	}
}
