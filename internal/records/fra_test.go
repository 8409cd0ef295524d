package records

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const dayDur = 24 * time.Hour

func TestLag(t *testing.T) {
	sent := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	if got := Lag(sent, sent.Add(90*time.Second)); got != 90*time.Second {
		t.Errorf("Lag = %v", got)
	}
	if got := Lag(sent, sent.Add(-time.Minute)); got != -time.Minute {
		t.Errorf("Lag with a fast sender clock = %v, want -1m", got)
	}
}

func TestSummarizeLag(t *testing.T) {
	base := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	var in []LagSample
	// signal/linked: lags of 1..100 days, so percentiles are exact.
	for i := 1; i <= 100; i++ {
		in = append(in, LagSample{RecordID: fmt.Sprintf("s%03d", i), Channel: "signal", Mode: steward.IdentityLinked,
			SentAt: base, CapturedAt: base.Add(time.Duration(i) * dayDur)})
	}
	// signal/governed: exactly 20 days is compliant, one second more is not;
	// one message with no sent time and one with a clock ahead of ours.
	in = append(in,
		LagSample{RecordID: "g1", Channel: "signal", Mode: steward.IdentityGoverned, SentAt: base, CapturedAt: base.Add(20 * dayDur)},
		LagSample{RecordID: "g2", Channel: "signal", Mode: steward.IdentityGoverned, SentAt: base, CapturedAt: base.Add(20*dayDur + time.Second)},
		LagSample{RecordID: "g3", Channel: "signal", Mode: steward.IdentityGoverned, CapturedAt: base},
		LagSample{RecordID: "g4", Channel: "signal", Mode: steward.IdentityGoverned, SentAt: base.Add(time.Minute), CapturedAt: base},
		LagSample{RecordID: "a1", Channel: "api", Mode: steward.IdentityGoverned, SentAt: base, CapturedAt: base.Add(time.Second)},
	)
	got := SummarizeLag(in, 0)
	if len(got) != 3 {
		t.Fatalf("%d groups, want 3: %+v", len(got), got)
	}
	if g := got[0]; g.Channel != "api" || g.Count != 1 || g.P50 != time.Second || g.Max != time.Second || g.Over != nil {
		t.Errorf("api group = %+v", g)
	}
	gov := got[1]
	wantGov := LagSummary{Channel: "signal", Mode: steward.IdentityGoverned, Count: 3, Unknown: 1, Skewed: 1,
		P50: 20 * dayDur, P90: 20*dayDur + time.Second, P99: 20*dayDur + time.Second, Max: 20*dayDur + time.Second,
		Over: []LagOver{{RecordID: "g2", Lag: 20*dayDur + time.Second}}}
	if !reflect.DeepEqual(gov, wantGov) {
		t.Errorf("governed group =\n%+v\nwant\n%+v", gov, wantGov)
	}
	linked := got[2]
	if linked.Mode != steward.IdentityLinked || linked.Count != 100 || linked.P50 != 50*dayDur || linked.P90 != 90*dayDur ||
		linked.P99 != 99*dayDur || linked.Max != 100*dayDur {
		t.Errorf("linked group = %+v", linked)
	}
	if len(linked.Over) != 80 || linked.Over[0].RecordID != "s100" || linked.Over[79].RecordID != "s021" {
		t.Errorf("linked over-threshold: %d entries, first %+v", len(linked.Over), linked.Over[0])
	}
	// A custom threshold.
	if got := SummarizeLag(in[:100], 95*dayDur); len(got[0].Over) != 5 {
		t.Errorf("threshold 95 days: %d over, want 5", len(got[0].Over))
	}
	if got := SummarizeLag(nil, 0); len(got) != 0 {
		t.Errorf("no samples: %+v", got)
	}
}

func TestNearestRank(t *testing.T) {
	one := []time.Duration{7}
	for _, p := range []int{1, 50, 99, 100} {
		if nearestRank(one, p) != 7 {
			t.Errorf("p%d of one value", p)
		}
	}
	two := []time.Duration{1, 2}
	if nearestRank(two, 50) != 1 || nearestRank(two, 51) != 2 || nearestRank(two, 99) != 2 {
		t.Error("nearest rank of two values")
	}
}
