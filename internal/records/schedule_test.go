package records

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func builtinItem(t *testing.T, id string) steward.ScheduleItem {
	t.Helper()
	s := BuiltinSchedules()
	it, ok := s.Item(id)
	if !ok {
		t.Fatalf("built-in schedule has no item %q", id)
	}
	return it
}

func TestBuiltinSchedulesAreValid(t *testing.T) {
	s := BuiltinSchedules()
	if err := CheckSchedule(&s); err != nil {
		t.Fatal(err)
	}
	capstone := builtinItem(t, "grs-6.1-010")
	if !capstone.Permanent || capstone.Action != steward.DispositionTransfer || capstone.Retention != (steward.Period{Years: 15}) {
		t.Errorf("Capstone item = %+v, want permanent, transfer 15 years after cutoff", capstone)
	}
	for _, id := range []string{"grs-6.1-020", "grs-6.1-030"} {
		if it := builtinItem(t, id); !it.ToBeConfirmed {
			t.Errorf("%s is not marked to be confirmed against the NA-1005", id)
		}
	}
	// Transitory records are kept generally less than 180 days: the worst
	// case (captured on the first of a 31-day month) must stay under it.
	tr := builtinItem(t, "grs-5.2-010")
	captured := time.Date(2026, time.January, 1, 0, 0, 1, 0, time.UTC)
	cut, ok := Cutoff(tr.Cutoff, captured, nil)
	if !ok {
		t.Fatal("transitory item has no cutoff")
	}
	if keep := EligibleAt(tr, cut).Sub(captured); keep >= 180*24*time.Hour {
		t.Errorf("transitory records kept %v, want under 180 days", keep)
	}
	// Every authority we are not sure of says so.
	for _, it := range s.Items {
		if !strings.Contains(it.Notes, "(verify)") && !strings.Contains(it.Notes, "placeholder") {
			t.Errorf("%s: notes do not flag the authority for verification", it.ID)
		}
	}
}

func TestCheckItem(t *testing.T) {
	good := builtinItem(t, "grs-6.1-020")
	tests := []struct {
		name   string
		change func(*steward.ScheduleItem)
		kind   steward.Kind
	}{
		{"valid", func(*steward.ScheduleItem) {}, steward.Other},
		{"bad id", func(it *steward.ScheduleItem) { it.ID = "GRS 6.1" }, steward.Invalid},
		{"no title", func(it *steward.ScheduleItem) { it.Title = " " }, steward.Invalid},
		{"no authority", func(it *steward.ScheduleItem) { it.Authority = "" }, steward.Invalid},
		{"authority with newline", func(it *steward.ScheduleItem) { it.Authority = "N1\nx" }, steward.Invalid},
		{"authority with spaces is fine", func(it *steward.ScheduleItem) { it.Authority = "N1-064-08-1, item 3" }, steward.Other},
		{"unknown period", func(it *steward.ScheduleItem) { it.Cutoff.Period = "quarter" }, steward.Invalid},
		{"bad event", func(it *steward.ScheduleItem) { it.Cutoff.Event = "Case Closed" }, steward.Invalid},
		{"unknown action", func(it *steward.ScheduleItem) { it.Action = "shred" }, steward.Invalid},
		{"permanent destroy", func(it *steward.ScheduleItem) { it.Permanent = true }, steward.Invalid},
		{"negative", func(it *steward.ScheduleItem) { it.Retention.Days = -1 }, steward.Invalid},
		{"absurd", func(it *steward.ScheduleItem) { it.Retention.Years = 700 }, steward.Invalid},
		{"long notes", func(it *steward.ScheduleItem) { it.Notes = strings.Repeat("x", 5000) }, steward.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := good
			tt.change(&it)
			err := CheckItem(&it)
			if got := steward.KindOf(err); got != tt.kind || (tt.kind == steward.Other) != (err == nil) {
				t.Fatalf("CheckItem = %v (kind %v), want kind %v", err, got, tt.kind)
			}
		})
	}
}

func TestCheckScheduleDuplicateAndEmpty(t *testing.T) {
	s := BuiltinSchedules()
	s.Items = append(s.Items, s.Items[0])
	if err := CheckSchedule(&s); !steward.Is(steward.Invalid, err) {
		t.Errorf("duplicate id: %v, want Invalid", err)
	}
	if err := CheckSchedule(&steward.Schedule{}); !steward.Is(steward.Invalid, err) {
		t.Errorf("empty schedule: %v, want Invalid", err)
	}
	s = BuiltinSchedules()
	s.Items[2].Retention.Years = -3
	err := CheckSchedule(&s)
	if !steward.Is(steward.Invalid, err) || !strings.Contains(steward.PublicMessage(err), s.Items[2].ID) {
		t.Errorf("bad item: %v, want Invalid naming the item", err)
	}
}

func TestMostConservative(t *testing.T) {
	tmp := func(id string, p steward.CutoffPeriod, r steward.Period) steward.ScheduleItem {
		return steward.ScheduleItem{ID: id, Retention: r, Cutoff: steward.CutoffRule{Period: p}, Action: steward.DispositionDestroy}
	}
	tests := []struct {
		name  string
		items []steward.ScheduleItem
		want  string
	}{
		{"builtin", BuiltinSchedules().Items, "grs-6.1-010"},
		{"longest retention", []steward.ScheduleItem{
			tmp("a", steward.CutoffNone, steward.Period{Years: 3}),
			tmp("b", steward.CutoffNone, steward.Period{Years: 7}),
			tmp("c", steward.CutoffNone, steward.Period{Days: 2000}),
		}, "b"},
		{"cutoff period counts", []steward.ScheduleItem{
			tmp("a", steward.CutoffNone, steward.Period{Years: 3, Days: 100}),
			tmp("b", steward.CutoffFiscalYear, steward.Period{Years: 3}),
		}, "b"},
		{"event outlasts time", []steward.ScheduleItem{
			tmp("a", steward.CutoffNone, steward.Period{Years: 75}),
			{ID: "b", Retention: steward.Period{Days: 1}, Cutoff: steward.CutoffRule{Period: steward.CutoffNone, Event: "case_closed"}},
		}, "b"},
		{"tie goes to smaller id", []steward.ScheduleItem{
			tmp("z", steward.CutoffMonth, steward.Period{Months: 12}),
			tmp("m", steward.CutoffMonth, steward.Period{Years: 1}),
		}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			for range 10 { // the answer must not depend on the order
				items := append([]steward.ScheduleItem(nil), tt.items...)
				r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
				got, ok := MostConservative(&steward.Schedule{Items: items})
				if !ok || got.ID != tt.want {
					t.Fatalf("MostConservative = %q, want %q", got.ID, tt.want)
				}
			}
		})
	}
	if _, ok := MostConservative(&steward.Schedule{}); ok {
		t.Error("empty schedule has a most conservative item")
	}
}

func TestPeriodString(t *testing.T) {
	for p, want := range map[steward.Period]string{
		{}:                    "0 days",
		{Days: 90}:            "90 days",
		{Years: 1}:            "1 year",
		{Years: 1, Months: 6}: "1 year 6 months",
		{Years: 7, Days: 1}:   "7 years 1 day",
	} {
		if got := p.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", p, got, want)
		}
	}
}
