package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/foia"
	"github.com/steward-gov/steward/internal/steward"
)

// foiaCal is the calendar the FOIA tests apply events with: legal public
// holidays in UTC. The store never sees it.
var foiaCal foia.Calendar

// newFOIARequest returns a request received at received, through
// foia.Intake, with every optional field set.
func newFOIARequest(t *testing.T, id string, received time.Time) *steward.FOIARequest {
	t.Helper()
	r, err := foia.Intake(steward.FOIARequest{
		ID: id,
		Requester: steward.FOIARequester{Name: "Jane Q. Public", Organization: "The Daily Record",
			Email: "jane@example.org", Address: "1 Main St\nSpringfield"},
		Description:       "All messages between the director and the parks contractor, March 2025.",
		FeeCategory:       steward.FOIAFeeNewsMedia,
		ReceivedAt:        received,
		FirstReceivedAt:   received.Add(-50 * time.Hour),
		ExpediteRequested: true,
		InitialTrack:      steward.FOIAComplex,
		CaseID:            "case-7",
		CreatedBy:         "foia-1",
		CreatedAt:         received.Add(time.Minute),
	})
	must(t, "foia.Intake", err)
	return &r
}

// testFOIARequests checks steward.FOIARequestStore's requests: round
// trip, and corrections that leave the history alone.
func testFOIARequests(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 3, 3, 14, 0, 0, 123456789, time.UTC)
	rs, err := s.FOIARequests(ctx, steward.FOIARequestFilter{})
	must(t, "FOIARequests (empty)", err)
	if len(rs) != 0 {
		t.Fatalf("new store has FOIA requests %+v", rs)
	}
	_, err = s.FOIARequest(ctx, "foia-none")
	wantKind(t, "FOIARequest unknown", err, steward.NotFound)
	_, err = s.FOIAEvents(ctx, "foia-none")
	wantKind(t, "FOIAEvents unknown", err, steward.NotFound)

	full := newFOIARequest(t, "foia-1", t0)
	must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, full))
	if !full.UpdatedAt.Equal(full.CreatedAt) {
		t.Fatalf("CreateFOIARequest set UpdatedAt %v, want CreatedAt %v", full.UpdatedAt, full.CreatedAt)
	}
	wantFOIARequest(t, s, full)
	// Nothing optional, and no times but the receipt's.
	bare, err := foia.Intake(steward.FOIARequest{ID: "foia-2", Requester: steward.FOIARequester{Name: "A. Person",
		Address: "PO Box 1"}, Description: "Records.", ReceivedAt: t0})
	must(t, "foia.Intake", err)
	before := time.Now().Add(-time.Second)
	must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, &bare))
	if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now().Add(time.Second)) || !bare.UpdatedAt.Equal(bare.CreatedAt) {
		t.Fatalf("CreateFOIARequest with no times set CreatedAt %v, UpdatedAt %v; want now, the same", bare.CreatedAt, bare.UpdatedAt)
	}
	wantFOIARequest(t, s, &bare)
	evs, err := s.FOIAEvents(ctx, bare.ID)
	must(t, "FOIAEvents of a new request", err)
	if len(evs) != 0 {
		t.Fatalf("a new request has events %+v", evs)
	}

	dup := *newFOIARequest(t, "foia-1", t0.Add(time.Hour))
	wantKind(t, "CreateFOIARequest with a taken id", s.CreateFOIARequest(ctx, &dup), steward.Conflict)
	wantFOIARequest(t, s, full)
	versioned := *newFOIARequest(t, "foia-3", t0)
	versioned.Version = 1
	wantKind(t, "CreateFOIARequest at version 1", s.CreateFOIARequest(ctx, &versioned), steward.Invalid)
	_, err = s.FOIARequest(ctx, "foia-3")
	wantKind(t, "FOIARequest after a refused create", err, steward.NotFound)

	// A correction changes the requester, description, fee category and
	// case, and nothing else, whatever else the caller's copy says.
	ack, err := foia.Apply(*full, nil, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged, At: t0.Add(24 * time.Hour),
		RecordedAt: t0.Add(25 * time.Hour)}, foiaCal)
	must(t, "foia.Apply", err)
	must(t, "AppendFOIAEvent", s.AppendFOIAEvent(ctx, &ack, &steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged,
		At: t0.Add(24 * time.Hour), RecordedAt: t0.Add(25 * time.Hour)}))
	fix := ack
	fix.Requester = steward.FOIARequester{Name: "Jane Public", Email: "jpublic@example.net"}
	fix.Description, fix.FeeCategory, fix.CaseID = "Messages of March 2025 only.", steward.FOIAFeeOther, ""
	fix.ReceivedAt, fix.FirstReceivedAt, fix.ExpediteRequested = t0.Add(time.Hour), time.Time{}, false
	fix.InitialTrack, fix.Track, fix.Status, fix.Version = steward.FOIASimple, steward.FOIASimple, steward.FOIASearching, 9
	fix.Disposition, fix.CreatedAt, fix.CreatedBy, fix.UpdatedAt = steward.FOIAFullGrant, t0, "someone", t0.Add(99*time.Hour)
	must(t, "UpdateFOIARequester", s.UpdateFOIARequester(ctx, &fix))
	want := ack
	want.Requester, want.Description, want.FeeCategory, want.CaseID = fix.Requester, fix.Description, fix.FeeCategory, ""
	wantFOIARequest(t, s, &want)
	evs, err = s.FOIAEvents(ctx, full.ID)
	must(t, "FOIAEvents", err)
	if len(evs) != 1 {
		t.Fatalf("a correction changed the history to %+v", evs)
	}
	ghost := fix
	ghost.ID = "foia-none"
	wantKind(t, "UpdateFOIARequester unknown", s.UpdateFOIARequester(ctx, &ghost), steward.NotFound)

	must(t, "Close", s.Close())
	_, err = s.FOIARequest(ctx, full.ID)
	wantKind(t, "FOIARequest after Close", err, steward.Unavailable)
	late := *newFOIARequest(t, "foia-late", t0)
	wantKind(t, "CreateFOIARequest after Close", s.CreateFOIARequest(ctx, &late), steward.Unavailable)
	wantKind(t, "UpdateFOIARequester after Close", s.UpdateFOIARequester(ctx, &fix), steward.Unavailable)
}

func wantFOIARequest(t *testing.T, s steward.Store, want *steward.FOIARequest) {
	t.Helper()
	got, err := s.FOIARequest(ctx, want.ID)
	must(t, "FOIARequest "+want.ID, err)
	same(t, "FOIARequest "+want.ID, normFOIARequest(got), normFOIARequest(want))
}

func normFOIARequest(r *steward.FOIARequest) steward.FOIARequest {
	n := *r
	n.ReceivedAt, n.FirstReceivedAt = ts(n.ReceivedAt), ts(n.FirstReceivedAt)
	n.CreatedAt, n.UpdatedAt = ts(n.CreatedAt), ts(n.UpdatedAt)
	return n
}

// testFOIAEvents checks AppendFOIAEvent and FOIAEvents through a whole
// lifecycle applied by package foia, and the refusal of a stale append.
func testFOIAEvents(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 3, 3, 14, 0, 0, 123456789, time.UTC)
	r := newFOIARequest(t, "foia-1", t0)
	r.ExpediteRequested = false
	must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, r))

	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	var history []steward.FOIAEvent
	// apply applies ev to the stored request and appends it, and checks
	// that the store then holds what foia.Apply said.
	apply := func(ev steward.FOIAEvent) (read, next steward.FOIARequest) {
		t.Helper()
		got, err := s.FOIARequest(ctx, r.ID)
		must(t, "FOIARequest", err)
		next, err = foia.Apply(*got, history, ev, foiaCal)
		must(t, "foia.Apply "+string(ev.Kind), err)
		must(t, "AppendFOIAEvent "+string(ev.Kind), s.AppendFOIAEvent(ctx, &next, &ev))
		if ev.ID == "" || ev.RequestID != r.ID {
			t.Fatalf("AppendFOIAEvent left ID %q, RequestID %q", ev.ID, ev.RequestID)
		}
		history = append(history, ev)
		wantFOIARequest(t, s, &next)
		wantFOIAEvents(t, s, r.ID, history...)
		return *got, next
	}
	apply(steward.FOIAEvent{ID: "ev-ack", Kind: steward.FOIAEventAcknowledged, At: day(1), Actor: "foia-1", RecordedAt: day(1)})
	stale, _ := apply(steward.FOIAEvent{Kind: steward.FOIAEventSearchStarted, At: day(2), RecordedAt: day(2)})

	// An event applied to a stale read is refused and stores nothing.
	r1, err := foia.Apply(stale, history[:1], steward.FOIAEvent{Kind: steward.FOIAEventReviewStarted, At: day(2),
		RecordedAt: day(2)}, foiaCal)
	must(t, "foia.Apply", err)
	wantKind(t, "AppendFOIAEvent on a stale read", s.AppendFOIAEvent(ctx, &r1, &steward.FOIAEvent{
		Kind: steward.FOIAEventReviewStarted, At: day(2)}), steward.Conflict)
	ahead := r1
	ahead.Version = 5
	wantKind(t, "AppendFOIAEvent ahead of the history", s.AppendFOIAEvent(ctx, &ahead, &steward.FOIAEvent{
		Kind: steward.FOIAEventReviewStarted, At: day(2)}), steward.Conflict)
	cur, err := s.FOIARequest(ctx, r.ID)
	must(t, "FOIARequest", err)
	if cur.Version != 2 || cur.Status != steward.FOIASearching {
		t.Fatalf("refused appends left the request at version %d, %s", cur.Version, cur.Status)
	}
	wantFOIAEvents(t, s, r.ID, history...)

	// Every kind of event's fields round-trip; the clock's inputs too.
	apply(steward.FOIAEvent{Kind: steward.FOIAEventTolled, At: day(3), Toll: steward.FOIATollInformation, RecordedAt: day(3)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventTollEnded, At: day(7), RecordedAt: day(7)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventExtended, At: day(8), Days: 5, Circumstance: steward.FOIAVoluminous, RecordedAt: day(8)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventExpediteRequested, At: day(8), RecordedAt: day(8)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventExpediteGranted, At: day(9), RecordedAt: day(9)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventReviewStarted, At: day(9), RecordedAt: day(9)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventFinalResponse, At: day(15), Disposition: steward.FOIAPartialGrant, RecordedAt: day(15)})
	apply(steward.FOIAEvent{Kind: steward.FOIAEventAppealReceived, At: day(20), RecordedAt: day(20)})

	// A zero RecordedAt is stamped, and a zero UpdatedAt follows it.
	before := time.Now().Add(-time.Second)
	got, err := s.FOIARequest(ctx, r.ID)
	must(t, "FOIARequest", err)
	ev := steward.FOIAEvent{Kind: steward.FOIAEventAppealDecided, At: day(30), AppealOutcome: steward.FOIAAffirmed}
	next, err := foia.Apply(*got, history, ev, foiaCal)
	must(t, "foia.Apply", err)
	next.UpdatedAt = time.Time{}
	// The intake fields are not the snapshot's: an altered copy is not saved.
	altered := next
	altered.Description, altered.ReceivedAt, altered.Requester.Name = "other", t0.Add(time.Hour), "other"
	must(t, "AppendFOIAEvent", s.AppendFOIAEvent(ctx, &altered, &ev))
	if ev.RecordedAt.Before(before) || !altered.UpdatedAt.Equal(ev.RecordedAt) {
		t.Fatalf("AppendFOIAEvent with no times: RecordedAt %v, UpdatedAt %v; want now, the same", ev.RecordedAt, altered.UpdatedAt)
	}
	history = append(history, ev)
	next.UpdatedAt = ev.RecordedAt
	wantFOIARequest(t, s, &next)
	wantFOIAEvents(t, s, r.ID, history...)

	// The stored snapshot is what the stored history replays to.
	stored, err := s.FOIARequest(ctx, r.ID)
	must(t, "FOIARequest", err)
	evs, err := s.FOIAEvents(ctx, r.ID)
	must(t, "FOIAEvents", err)
	replayed, err := foia.Replay(*stored, evs, foiaCal)
	must(t, "foia.Replay of the stored history", err)
	same(t, "replayed snapshot", normFOIARequest(&replayed), normFOIARequest(stored))
	if stored.Status != steward.FOIAAppealDecided || stored.Track != steward.FOIAExpedited || stored.Version != 11 {
		t.Fatalf("stored request: %s, %s track, version %d", stored.Status, stored.Track, stored.Version)
	}

	// Refusals that store nothing.
	other := newFOIARequest(t, "foia-2", t0)
	must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, other))
	o1, err := foia.Apply(*other, nil, steward.FOIAEvent{Kind: steward.FOIAEventAcknowledged, At: day(1)}, foiaCal)
	must(t, "foia.Apply", err)
	wantKind(t, "AppendFOIAEvent with a taken event id", s.AppendFOIAEvent(ctx, &o1, &steward.FOIAEvent{ID: "ev-ack",
		Kind: steward.FOIAEventAcknowledged, At: day(1)}), steward.Conflict)
	wantKind(t, "AppendFOIAEvent of another request's event", s.AppendFOIAEvent(ctx, &o1, &steward.FOIAEvent{
		RequestID: r.ID, Kind: steward.FOIAEventAcknowledged, At: day(1)}), steward.Invalid)
	wantFOIARequest(t, s, other)
	wantFOIAEvents(t, s, other.ID)
	ghost := o1
	ghost.ID = "foia-none"
	wantKind(t, "AppendFOIAEvent to no request", s.AppendFOIAEvent(ctx, &ghost, &steward.FOIAEvent{
		Kind: steward.FOIAEventAcknowledged, At: day(1)}), steward.NotFound)

	must(t, "Close", s.Close())
	_, err = s.FOIAEvents(ctx, r.ID)
	wantKind(t, "FOIAEvents after Close", err, steward.Unavailable)
	wantKind(t, "AppendFOIAEvent after Close", s.AppendFOIAEvent(ctx, &o1, &steward.FOIAEvent{
		Kind: steward.FOIAEventAcknowledged, At: day(1)}), steward.Unavailable)
}

func wantFOIAEvents(t *testing.T, s steward.Store, requestID string, want ...steward.FOIAEvent) {
	t.Helper()
	evs, err := s.FOIAEvents(ctx, requestID)
	must(t, "FOIAEvents "+requestID, err)
	norm := func(es []steward.FOIAEvent) []steward.FOIAEvent {
		out := []steward.FOIAEvent{}
		for _, e := range es {
			e.At, e.RecordedAt = ts(e.At), ts(e.RecordedAt)
			out = append(out, e)
		}
		return out
	}
	same(t, "FOIAEvents "+requestID, norm(evs), norm(want))
}

// testFOIAPaging checks FOIARequests' filters and cursor.
func testFOIAPaging(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 3, 3, 14, 0, 0, 0, time.UTC)
	// Each request moves i%7 steps along this path, so that every status
	// is held by some.
	path := []steward.FOIAEvent{
		{Kind: steward.FOIAEventAcknowledged, At: t0.AddDate(0, 0, 1)},
		{Kind: steward.FOIAEventSearchStarted, At: t0.AddDate(0, 0, 2)},
		{Kind: steward.FOIAEventTolled, At: t0.AddDate(0, 0, 3), Toll: steward.FOIATollFee},
		{Kind: steward.FOIAEventFinalResponse, At: t0.AddDate(0, 0, 4), Disposition: steward.FOIANoRecords},
		{Kind: steward.FOIAEventAppealReceived, At: t0.AddDate(0, 0, 5)},
		{Kind: steward.FOIAEventAppealDecided, At: t0.AddDate(0, 0, 6), AppealOutcome: steward.FOIAReversed},
	}
	var all []*steward.FOIARequest
	for i := range 30 {
		r := newFOIARequest(t, fmt.Sprintf("foia-%03d", (i*11)%30), t0)
		r.ExpediteRequested, r.CaseID = false, ""
		if i%3 == 0 {
			r.CaseID = "case-1"
		}
		must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, r))
		var history []steward.FOIAEvent
		for _, ev := range path[:i%7] {
			next, err := foia.Apply(*r, history, ev, foiaCal)
			must(t, "foia.Apply", err)
			must(t, "AppendFOIAEvent", s.AppendFOIAEvent(ctx, &next, &ev))
			history = append(history, ev)
			r = &next
		}
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *steward.FOIARequest) int { return strings.Compare(a.ID, b.ID) })

	isOpen := func(r *steward.FOIARequest) bool {
		return r.Status.Open() || r.Status == steward.FOIAAppealReceived
	}
	wantPages := func(what string, f steward.FOIARequestFilter, match func(*steward.FOIARequest) bool) {
		t.Helper()
		want := []steward.FOIARequest{}
		for _, r := range all {
			if match(r) {
				want = append(want, normFOIARequest(r))
			}
		}
		whole, err := s.FOIARequests(ctx, f)
		must(t, what, err)
		got := []steward.FOIARequest{}
		for _, r := range whole {
			got = append(got, normFOIARequest(r))
		}
		same(t, what, got, want)
		for _, size := range []int{1, 2, 3} {
			paged := []steward.FOIARequest{}
			page := f
			page.Limit = size
			for n := 0; ; n++ {
				if n > len(want)+1 {
					t.Fatalf("%s: paging by %d does not end", what, size)
				}
				rs, err := s.FOIARequests(ctx, page)
				must(t, what, err)
				if len(rs) > size {
					t.Fatalf("%s: a page of %d with limit %d", what, len(rs), size)
				}
				if len(rs) == 0 {
					break
				}
				for _, r := range rs {
					paged = append(paged, normFOIARequest(r))
				}
				page.After = rs[len(rs)-1].ID
			}
			same(t, fmt.Sprintf("%s, in pages of %d", what, size), paged, want)
		}
	}
	wantPages("FOIARequests", steward.FOIARequestFilter{}, func(*steward.FOIARequest) bool { return true })
	wantPages("FOIARequests(searching, tolled)", steward.FOIARequestFilter{Status: []steward.FOIAStatus{
		steward.FOIASearching, steward.FOIATolled}}, func(r *steward.FOIARequest) bool {
		return r.Status == steward.FOIASearching || r.Status == steward.FOIATolled
	})
	wantPages("FOIARequests(open)", steward.FOIARequestFilter{OpenOnly: true}, isOpen)
	wantPages("FOIARequests(open, final_response)", steward.FOIARequestFilter{OpenOnly: true,
		Status: []steward.FOIAStatus{steward.FOIAFinalResponse}}, func(*steward.FOIARequest) bool { return false })
	wantPages("FOIARequests(case)", steward.FOIARequestFilter{CaseID: "case-1"},
		func(r *steward.FOIARequest) bool { return r.CaseID == "case-1" })
	wantPages("FOIARequests(case, open, appeal_received)", steward.FOIARequestFilter{CaseID: "case-1", OpenOnly: true,
		Status: []steward.FOIAStatus{steward.FOIAAppealReceived, steward.FOIAReceived}},
		func(r *steward.FOIARequest) bool {
			return r.CaseID == "case-1" && (r.Status == steward.FOIAAppealReceived || r.Status == steward.FOIAReceived)
		})
	wantPages("FOIARequests(unknown case)", steward.FOIARequestFilter{CaseID: "case-9"},
		func(*steward.FOIARequest) bool { return false })

	_, err := s.FOIARequests(ctx, steward.FOIARequestFilter{Limit: -1})
	wantKind(t, "FOIARequests with a negative limit", err, steward.Invalid)
	// Limit 0 pages by the store's default, which may be any size but
	// nothing: pages of it still hold every request once, in order.
	for i := range 71 {
		r := newFOIARequest(t, fmt.Sprintf("foia-x%03d", i), t0)
		must(t, "CreateFOIARequest", s.CreateFOIARequest(ctx, r))
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *steward.FOIARequest) int { return strings.Compare(a.ID, b.ID) })
	var ids, paged []string
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	for f := (steward.FOIARequestFilter{}); ; {
		rs, err := s.FOIARequests(ctx, f)
		must(t, "FOIARequests with the default page", err)
		if len(rs) == 0 || len(paged) > len(ids) {
			break
		}
		for _, r := range rs {
			paged = append(paged, r.ID)
		}
		f.After = rs[len(rs)-1].ID
	}
	same(t, "FOIARequests in default pages", paged, ids)

	must(t, "Close", s.Close())
	_, err = s.FOIARequests(ctx, steward.FOIARequestFilter{})
	wantKind(t, "FOIARequests after Close", err, steward.Unavailable)
}
