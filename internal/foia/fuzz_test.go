package foia

import (
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

func FuzzParseExemption(f *testing.F) {
	for _, s := range []string{"(b)(6)", "b7c", "Exemption 7(F)", "5 U.S.C. § 552(b)(3)", "(b)(7)", "(b)(10)", "Ex. 7A", "\u00a0(b)(5)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExemption(s)
		if err != nil {
			if k := steward.KindOf(err); k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("ParseExemption(%q): kind %v", s, k)
			}
			return
		}
		if !ValidExemption(e.Code) {
			t.Fatalf("ParseExemption(%q) = %q, not a valid code", s, e.Code)
		}
		if again, err := ParseExemption(e.Code); err != nil || again != e {
			t.Fatalf("canonical %q does not parse to itself: %+v %v", e.Code, again, err)
		}
	})
}

func FuzzIntake(f *testing.F) {
	f.Add("req-1", "Jane Q. Public", "", "jane@example.org", "", "All records of the parks contract.", "", "news_media")
	f.Add(" r ", "", "Acme Corp", "", "1 Main St\nSpringfield", "records", "complex", "commercial")
	f.Add("r", "x", "", "Jane <jane@example.org>", "", "d", "expedited", "")
	f.Add("r", "\x00", "", "a@b", "", "d", "simple", "other")
	f.Fuzz(func(t *testing.T, id, name, org, email, address, desc, track, fee string) {
		in := steward.FOIARequest{
			ID:          id,
			Requester:   steward.FOIARequester{Name: name, Organization: org, Email: email, Address: address},
			Description: desc,
			Track:       steward.FOIATrack(track),
			FeeCategory: steward.FOIAFeeCategory(fee),
			ReceivedAt:  time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC),
		}
		r, err := Intake(in)
		if err != nil {
			if k := steward.KindOf(err); k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("kind %v: %v", k, err)
			}
			return
		}
		for _, s := range []string{r.ID, r.Requester.Name, r.Requester.Organization, r.Requester.Email, r.Requester.Address, r.Description} {
			if !utf8.ValidString(s) || len(s) > maxDescription {
				t.Fatalf("accepted %q", s)
			}
		}
		if r.ID == "" || r.Description == "" || r.Status != steward.FOIAReceived || (r.Track != steward.FOIASimple && r.Track != steward.FOIAComplex) {
			t.Fatalf("accepted %+v", r)
		}
		if again, err := Intake(r); err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("not idempotent: %+v %v", again, err)
		}
	})
}

// FuzzWorkingDays checks the arithmetic's contract for any start, count
// and calendar.
func FuzzWorkingDays(f *testing.F) {
	f.Add(int64(civil(2025, 1, 17)), 20, uint16(0), false)
	f.Add(int64(civil(2021, 12, 30)), 1, uint16(3), true)
	f.Add(int64(civil(2022, 12, 24)), -15, uint16(17), false)
	f.Add(int64(civil(1999, 2, 28)), 1999, uint16(65535), true)
	lo, hi := int64(civil(1900, 1, 1)), int64(civil(2300, 1, 1))
	f.Fuzz(func(t *testing.T, start int64, n int, closureSeed uint16, inauguration bool) {
		if start < lo || start > hi || n < -3000 || n > 3000 {
			t.Skip()
		}
		// A few closures near the start, chosen by the seed.
		var closures []Closure
		for i := range 4 {
			if closureSeed&(1<<i) != 0 {
				d := date(start) + date(int(closureSeed>>4)%60) + date(i*7)
				closures = append(closures, Closure{Date: d.String(), Name: "closure"})
			}
		}
		cal, err := NewCalendar(Config{Closures: closures, InaugurationDay: inauguration})
		if err != nil {
			t.Fatal(err)
		}
		checkAdd(t, "fuzz", cal, date(start), n)
		// The exported form agrees, through the agency's zone.
		s := date(start).in(cal.Location()).Add(13 * time.Hour)
		got := AddWorkingDays(s, n, cal)
		if want := cal.add(date(start), n).in(cal.Location()); !got.Equal(want) {
			t.Fatalf("AddWorkingDays = %v, want %v", got, want)
		}
		if WorkingDaysBetween(s, got, cal) != n {
			t.Fatal("WorkingDaysBetween does not invert AddWorkingDays")
		}
	})
}

// eventKinds are the kinds FuzzHistory draws from, with a blank and an
// unknown kind among them.
var eventKinds = []steward.FOIAEventKind{
	steward.FOIAEventAcknowledged, steward.FOIAEventSearchStarted, steward.FOIAEventReviewStarted,
	steward.FOIAEventTolled, steward.FOIAEventTollEnded, steward.FOIAEventExtended,
	steward.FOIAEventExpediteRequested, steward.FOIAEventExpediteGranted, steward.FOIAEventExpediteDenied,
	steward.FOIAEventTrackChanged, steward.FOIAEventFinalResponse, steward.FOIAEventAppealReceived,
	steward.FOIAEventAppealDecided, "", "reopened",
}

// FuzzHistory drives a request through arbitrary events. Refused events
// must leave the request alone with an Invalid or Conflict error; accepted
// ones must build a history that replays to the same snapshot and gives a
// clock that keeps its invariants.
func FuzzHistory(f *testing.F) {
	f.Add(int64(0), true, []byte{0, 5, 0, 3, 20, 0, 4, 30, 0, 5, 10, 10, 10, 50, 1, 11, 200, 0, 12, 100, 0})
	f.Add(int64(3600*24*4+3600*8), false, []byte{3, 1, 1, 4, 2, 0, 3, 1, 0, 3, 1, 1, 10, 0, 3})
	f.Add(int64(3600*24*30), true, []byte{7, 1, 0, 9, 2, 1, 6, 3, 0, 8, 4, 0, 10, 255, 4, 11, 255, 0})
	f.Fuzz(func(t *testing.T, offset int64, expedite bool, script []byte) {
		if offset < 0 || offset > 3600*24*365*10 || len(script) > 3*64 {
			t.Skip()
		}
		cal, err := NewCalendar(Config{Closures: []Closure{{Date: "2024-12-24"}, {Date: "2025-01-09"}}})
		if err != nil {
			t.Fatal(err)
		}
		r := validRequest(time.Date(2024, 11, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(offset) * time.Second))
		r.ExpediteRequested = expedite
		req := mustIntake(t, r)
		var history []steward.FOIAEvent
		when := req.ReceivedAt
		for i := 0; i+2 < len(script); i += 3 {
			op, gap, arg := script[i], script[i+1], script[i+2]
			when = when.Add(time.Duration(gap) * 97 * time.Minute)
			ev := steward.FOIAEvent{Kind: eventKinds[int(op)%len(eventKinds)], At: when}
			switch ev.Kind {
			case steward.FOIAEventTolled:
				ev.Toll = []steward.FOIATollReason{steward.FOIATollInformation, steward.FOIATollFee, ""}[arg%3]
			case steward.FOIAEventExtended:
				ev.Days = int(arg%13) - 1
				ev.Circumstance = []steward.FOIACircumstance{steward.FOIAVoluminous, steward.FOIAConsultation, "nope"}[arg%3]
			case steward.FOIAEventTrackChanged:
				ev.Track = []steward.FOIATrack{steward.FOIASimple, steward.FOIAComplex, steward.FOIAExpedited, "x"}[arg%4]
			case steward.FOIAEventFinalResponse:
				ev.Disposition = []steward.FOIADisposition{steward.FOIAFullGrant, steward.FOIAPartialGrant, steward.FOIAWithdrawn, steward.FOIANoRecords, ""}[arg%5]
			case steward.FOIAEventAppealDecided:
				ev.AppealOutcome = []steward.FOIAAppealOutcome{steward.FOIAAffirmed, steward.FOIAReversed, ""}[arg%3]
			}
			if arg&0x80 != 0 {
				ev.At = ev.At.Add(-200 * time.Hour) // sometimes out of order
			}
			next, err := Apply(req, history, ev, cal)
			if err != nil {
				if k := steward.KindOf(err); k != steward.Invalid && k != steward.Conflict {
					t.Fatalf("event %d %s: kind %v: %v", len(history)+1, ev.Kind, k, err)
				}
				if !reflect.DeepEqual(next, req) {
					t.Fatal("a refused event changed the request")
				}
				continue
			}
			if next.Version != len(history)+1 {
				t.Fatalf("version %d after %d events", next.Version, len(history)+1)
			}
			req, history = next, append(history, ev)
		}
		replayed, err := Replay(req, history, cal)
		if err != nil || !reflect.DeepEqual(replayed, req) {
			t.Fatalf("replay %+v %v\nwant %+v", replayed, err, req)
		}
		for _, now := range []time.Time{req.ReceivedAt, when, when.Add(90 * 24 * time.Hour)} {
			c, err := Deadlines(req, history, cal, now)
			if err != nil {
				t.Fatal(err)
			}
			if !cal.IsWorkingDay(c.Due) || c.Remaining != c.Allowed-c.WorkingDaysUsed || c.TolledDays < 0 || c.WorkingDaysUsed < 0 {
				t.Fatalf("clock %+v", c)
			}
			if c.Allowed < ResponseDays || c.Allowed > ResponseDays+MaxExtensionDays {
				t.Fatalf("allowed %d", c.Allowed)
			}
			// On the weekend after the due day a request is overdue with no
			// extra working day used yet, so Remaining may still be 0.
			if c.Overdue && (c.Tolled || !req.Status.Open() || c.Remaining > 0) {
				t.Fatalf("overdue clock %+v in status %s", c, req.Status)
			}
			if c.Late && !c.Responded.After(c.Due) {
				t.Fatalf("late yet responded %v by %v", c.Responded, c.Due)
			}
			if (c.Tolled) != (req.Status == steward.FOIATolled) {
				t.Fatalf("tolled %v in status %s", c.Tolled, req.Status)
			}
			rows, err := DueReport([]Docket{{req, history}}, cal, now, -1)
			if err != nil || len(rows) > 2 {
				t.Fatalf("report %+v %v", rows, err)
			}
		}
	})
}
