package records

import (
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func TestHoldCovers(t *testing.T) {
	rec := transitoryRecord() // alice, conv-1, sent 09:59 and captured 10:00 on 2026-09-12
	sent := rec.SentAt
	tests := []struct {
		name  string
		hold  steward.Hold
		match func(string) bool
		want  bool
	}{
		{"empty hold freezes everything", steward.Hold{}, nil, true},
		{"custodian", steward.Hold{Custodians: []string{"emp-bob", "emp-alice"}}, nil, true},
		{"other custodian", steward.Hold{Custodians: []string{"emp-bob"}}, nil, false},
		{"conversation", steward.Hold{Conversations: []string{"conv-1"}}, nil, true},
		{"other conversation", steward.Hold{Conversations: []string{"conv-2"}}, nil, false},
		{"range contains both", steward.Hold{From: new(day(2026, time.September, 1)), Until: new(day(2026, time.October, 1))}, nil, true},
		{"range bounds are inclusive", steward.Hold{From: new(sent), Until: new(sent)}, nil, true},
		{"only captured time in range", steward.Hold{From: new(rec.CapturedAt)}, nil, true},
		{"only sent time in range", steward.Hold{Until: new(sent)}, nil, true},
		{"range before", steward.Hold{Until: new(day(2026, time.September, 1))}, nil, false},
		{"range after", steward.Hold{From: new(day(2026, time.September, 13))}, nil, false},
		{"query matches", steward.Hold{Query: "budget"}, func(q string) bool { return q == "budget" }, true},
		{"query does not match", steward.Hold{Query: "budget"}, func(string) bool { return false }, false},
		{"query without matcher covers", steward.Hold{Query: "budget"}, nil, true},
		{"all dimensions must hold", steward.Hold{Custodians: []string{"emp-alice"}, Conversations: []string{"conv-2"}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec
			r.MatchQuery = tt.match
			if got := tt.hold.Covers(r); got != tt.want {
				t.Fatalf("Covers = %v, want %v", got, tt.want)
			}
		})
	}
	// A record with no sent time is judged by its captured time alone.
	r := rec
	r.SentAt = time.Time{}
	if (&steward.Hold{Until: new(sent)}).Covers(r) {
		t.Error("zero sent time counted as inside the range")
	}
}

func TestCheckHold(t *testing.T) {
	good := steward.Hold{ID: "h1", Name: "Smith v. Agency", Reason: "litigation", Owner: "emp-counsel", Custodians: []string{"emp-alice"}}
	if err := CheckHold(&good); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*steward.Hold){
		"no id":             func(h *steward.Hold) { h.ID = "" },
		"no name":           func(h *steward.Hold) { h.Name = " " },
		"no reason":         func(h *steward.Hold) { h.Reason = "" },
		"no owner":          func(h *steward.Hold) { h.Owner = "" },
		"empty custodian":   func(h *steward.Hold) { h.Custodians = []string{""} },
		"empty convo":       func(h *steward.Hold) { h.Conversations = []string{""} },
		"reversed range":    func(h *steward.Hold) { h.From, h.Until = new(day(2027, 1, 1)), new(day(2026, 1, 1)) },
		"already released":  func(h *steward.Hold) { h.ReleasedAt = new(day(2026, 1, 1)) },
		"released by alone": func(h *steward.Hold) { h.ReleasedBy = "x" },
	} {
		h := good
		change(&h)
		if err := CheckHold(&h); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func TestRelease(t *testing.T) {
	h := steward.Hold{ID: "h1", Custodians: []string{"emp-alice"}}
	at := day(2027, time.February, 2)
	got, err := Release(h, "emp-counsel", "case settled", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReleasedAt == nil || !got.ReleasedAt.Equal(at) || got.ReleasedBy != "emp-counsel" || got.ReleaseReason != "case settled" {
		t.Fatalf("released hold = %+v", got)
	}
	if h.ReleasedAt != nil {
		t.Error("Release changed its argument")
	}
	got.Custodians[0] = "changed"
	if h.Custodians[0] != "emp-alice" {
		t.Error("released hold shares its custodians with the original")
	}
	if _, err := Release(got, "emp-counsel", "again", at); !steward.Is(steward.Conflict, err) {
		t.Errorf("second release: %v, want Conflict", err)
	}
	if _, err := Release(h, "", "why", at); !steward.Is(steward.Invalid, err) {
		t.Errorf("no releaser: %v, want Invalid", err)
	}
	if _, err := Release(h, "emp-counsel", " ", at); !steward.Is(steward.Invalid, err) {
		t.Errorf("no reason: %v, want Invalid", err)
	}
}

func TestCoveredPreview(t *testing.T) {
	a, b := transitoryRecord(), transitoryRecord()
	b.RecordID, b.Custodians = "rec-2", []string{"emp-bob"}
	h := steward.Hold{Custodians: []string{"emp-bob"}, ReleasedAt: new(day(2000, 1, 1))}
	if got := Covered(&h, []steward.RecordFacts{a, b}); !slices.Equal(got, []string{"rec-2"}) {
		t.Errorf("Covered = %v, want [rec-2]", got)
	}
}
