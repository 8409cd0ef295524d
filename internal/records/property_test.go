package records

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

var (
	seedFlag  = flag.Uint64("records.seed", 0, "seed of the records property test (0 picks one and logs it)")
	itersFlag = flag.Int("records.iters", 20000, "iterations of the records property test")
)

// TestEligibilityProperties checks, over random schedules, assignments,
// holds (active and released), cutoff events and clocks:
//
//  1. a record covered by any active hold is never eligible, and HeldBy
//     names exactly those holds;
//  2. a permanent record is never destroyed: its action is transfer;
//  3. eligible means due: the item exists, the record is scheduled, and
//     now is at or after DueAt;
//  4. absent active holds, eligibility is monotone in time: once
//     eligible, eligible for the same action at every later instant;
//  5. holds only subtract: with no active hold covering the record the
//     verdict is the unheld one, and releasing every hold restores it.
//
// A failure logs the seed; rerun with -records.seed=N to reproduce it.
func TestEligibilityProperties(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -records.seed=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	iters := *itersFlag
	if testing.Short() {
		iters = min(iters, 2000)
	}

	var seen struct{ eligible, held, permanentEligible, awaitingEvent, notYetDue int }
	for i := range iters {
		w := randomWorld(r)
		e := Evaluate(w.rec, w.asg, w.sched, w.holds, w.events, w.now)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("iteration %d (seed %d): %s\nworld: %s\nverdict: %+v", i, seed, fmt.Sprintf(format, args...), w, e)
		}

		// 1. Held ⇒ never eligible.
		var active []string
		for _, h := range w.holds {
			if h.Active(w.now) && h.Covers(w.rec) {
				active = append(active, h.ID)
			}
		}
		slices.Sort(active)
		if len(active) > 0 {
			seen.held++
			if e.Eligible {
				fail("eligible under holds %v", active)
			}
		}
		if !slices.Equal(e.HeldBy, slices.Compact(active)) {
			fail("HeldBy = %v, want %v", e.HeldBy, active)
		}

		// 2. Permanent ⇒ never destroy.
		item, found := w.sched.Item(w.asg.ItemID)
		if found && item.Permanent {
			if e.Action == steward.DispositionDestroy {
				fail("permanent record with action destroy")
			}
			if e.Eligible {
				seen.permanentEligible++
			}
		}

		// 3. Eligible ⇒ scheduled and due.
		if e.Eligible {
			seen.eligible++
			if !found || w.asg.Unscheduled || w.now.Before(e.DueAt) || e.DueAt.IsZero() {
				fail("eligible but not due or not scheduled")
			}
		} else if found && item.Cutoff.Event != "" && e.Cutoff.IsZero() {
			seen.awaitingEvent++
		} else if !e.DueAt.IsZero() && w.now.Before(e.DueAt) {
			seen.notYetDue++
		}

		// 4. Monotone in time absent holds, both with no holds and with
		// every hold released before the earlier instant.
		unheld := Evaluate(w.rec, w.asg, w.sched, nil, w.events, w.now)
		later := w.now.Add(time.Duration(r.Int64N(int64(30 * 365 * 24 * time.Hour))))
		after := Evaluate(w.rec, w.asg, w.sched, nil, w.events, later)
		if unheld.Eligible && (!after.Eligible || after.Action != unheld.Action) {
			fail("eligible at %v but not at later %v: %+v", w.now, later, after)
		}
		past := releasedBy(w.holds, w.now)
		if e1, e2 := Evaluate(w.rec, w.asg, w.sched, past, w.events, w.now), Evaluate(w.rec, w.asg, w.sched, past, w.events, later); e1.Eligible && !e2.Eligible {
			fail("with released holds: eligible at %v but not at %v", w.now, later)
		}

		// 5. Holds only subtract; releasing every hold restores the
		// unheld verdict.
		if len(active) == 0 && !reflect.DeepEqual(e, unheld) {
			fail("no active hold, yet the verdict differs from the unheld one: %+v", unheld)
		}
		released, at := releaseAll(t, w.holds, w.now, r)
		if got, want := Evaluate(w.rec, w.asg, w.sched, released, w.events, at), Evaluate(w.rec, w.asg, w.sched, nil, w.events, at); !reflect.DeepEqual(got, want) {
			fail("after releasing every hold: %+v, want the unheld %+v", got, want)
		}
	}
	t.Logf("%d worlds: %d eligible (%d permanent), %d held, %d awaiting an event, %d not yet due",
		iters, seen.eligible, seen.permanentEligible, seen.held, seen.awaitingEvent, seen.notYetDue)
	// The generator must reach every case, or the properties prove little.
	if seen.eligible == 0 || seen.held == 0 || seen.permanentEligible == 0 || seen.awaitingEvent == 0 || seen.notYetDue == 0 {
		t.Fatalf("the generator missed a case: %+v", seen)
	}
}

// releasedBy returns copies of holds all released at random instants
// no later than by.
func releasedBy(holds []steward.Hold, by time.Time) []steward.Hold {
	out := make([]steward.Hold, len(holds))
	for i, h := range holds {
		at := by.Add(-time.Duration(i) * time.Hour)
		h.ReleasedAt = &at
		out[i] = h
	}
	return out
}

// releaseAll releases every hold still unreleased through Release, at or
// before now, and returns the instant from which none is active: now, or
// a later release already scheduled in the world.
func releaseAll(t *testing.T, holds []steward.Hold, now time.Time, r *rand.Rand) ([]steward.Hold, time.Time) {
	t.Helper()
	out := make([]steward.Hold, len(holds))
	at := now
	for i, h := range holds {
		if h.ReleasedAt != nil {
			if _, err := Release(h, "emp-counsel", "again", now); !steward.Is(steward.Conflict, err) {
				t.Fatalf("releasing a released hold: %v, want Conflict", err)
			}
			out[i] = h
			at = maxTime(at, *h.ReleasedAt)
			continue
		}
		rel, err := Release(h, "emp-counsel", "matter closed", now.Add(-time.Duration(r.Int64N(int64(1000*time.Hour)))))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = rel
	}
	return out, at
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

type world struct {
	sched  steward.Schedule
	asg    steward.Assignment
	rec    steward.RecordFacts
	holds  []steward.Hold
	events map[string]time.Time
	now    time.Time
	query  map[string]bool
}

func (w world) String() string {
	return fmt.Sprintf("items %+v\nassignment %+v\nrecord %+v (queries %v)\nholds %+v\nevents %v\nnow %v",
		w.sched.Items, w.asg, w.rec, w.query, w.holds, w.events, w.now)
}

var (
	epoch      = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)
	custodians = []string{"e1", "e2", "e3", "e4"}
	convs      = []string{"c1", "c2", "c3"}
	queries    = []string{"q1", "q2", "q3"}
	eventNames = []string{EventCaseClosed, EventEmployeeDeparted}
	periods    = []steward.CutoffPeriod{steward.CutoffNone, steward.CutoffMonth, steward.CutoffCalendarYear, steward.CutoffFiscalYear}
)

func randTime(r *rand.Rand, span time.Duration) time.Time {
	return epoch.Add(time.Duration(r.Int64N(int64(span))))
}

func subset(r *rand.Rand, from []string, p float64) []string {
	var out []string
	for _, s := range from {
		if r.Float64() < p {
			out = append(out, s)
		}
	}
	return out
}

func randomWorld(r *rand.Rand) world {
	const span = 30 * 365 * 24 * time.Hour
	var w world
	w.sched.Version = r.Int64N(10) + 1
	for i := range 1 + r.IntN(5) {
		it := steward.ScheduleItem{
			ID: fmt.Sprintf("i%d", i), Schedule: "S", Item: fmt.Sprint(i), Title: "t", Authority: fmt.Sprintf("A-%d", i),
			Permanent: r.IntN(3) == 0,
			Retention: steward.Period{Years: r.IntN(12), Months: r.IntN(3) * r.IntN(12), Days: r.IntN(2) * r.IntN(400)},
			Cutoff:    steward.CutoffRule{Period: periods[r.IntN(len(periods))]},
		}
		if r.IntN(3) == 0 {
			it.Cutoff.Event = eventNames[r.IntN(len(eventNames))]
		}
		if r.IntN(50) == 0 {
			it.Cutoff.Period = "bogus"
		}
		switch {
		case it.Permanent && r.IntN(10) > 0:
			it.Action = steward.DispositionTransfer
		case it.Permanent: // a schedule that bypassed CheckItem
			it.Action = steward.DispositionDestroy
		case r.IntN(4) == 0:
			it.Action = steward.DispositionTransfer
		default:
			it.Action = steward.DispositionDestroy
		}
		w.sched.Items = append(w.sched.Items, it)
	}
	w.asg = steward.Assignment{ItemID: w.sched.Items[r.IntN(len(w.sched.Items))].ID, ScheduleVersion: w.sched.Version}
	if r.IntN(20) == 0 {
		w.asg.ItemID = "missing"
	}
	w.asg.Unscheduled = r.IntN(10) == 0

	w.rec = steward.RecordFacts{
		RecordID:       fmt.Sprintf("rec-%d", r.IntN(1000)),
		Kind:           steward.RecordMessage,
		ConversationID: convs[r.IntN(len(convs))],
		Custodians:     subset(r, custodians, 0.4),
		CapturedAt:     randTime(r, span/2),
	}
	if r.IntN(4) > 0 {
		w.rec.SentAt = w.rec.CapturedAt.Add(-time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
	}
	if r.IntN(5) > 0 {
		w.query = make(map[string]bool)
		for _, q := range subset(r, queries, 0.5) {
			w.query[q] = true
		}
		w.rec.MatchQuery = func(q string) bool { return w.query[q] }
	}

	w.now = randTime(r, span)
	for i := range r.IntN(5) {
		h := steward.Hold{ID: fmt.Sprintf("hold-%d", i), Name: "h", Reason: "r", Owner: "o", CreatedAt: randTime(r, span)}
		if r.IntN(2) == 0 {
			h.Custodians = subset(r, custodians, 0.3)
		}
		if r.IntN(4) == 0 {
			h.Conversations = subset(r, convs, 0.5)
		}
		if r.IntN(3) == 0 {
			from := randTime(r, span/2)
			h.From = &from
		}
		if r.IntN(3) == 0 {
			until := randTime(r, span)
			h.Until = &until
		}
		if r.IntN(3) == 0 {
			h.Query = queries[r.IntN(len(queries))]
		}
		if r.IntN(2) == 0 {
			rel := randTime(r, span)
			h.ReleasedAt = &rel
		}
		w.holds = append(w.holds, h)
	}
	w.events = make(map[string]time.Time)
	for _, name := range eventNames {
		if r.IntN(2) == 0 {
			w.events[name] = randTime(r, span/2)
		}
	}
	return w
}
