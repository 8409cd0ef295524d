package compliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/steward"
)

// stats returns RuleStats by policy name.
func (e *env) stats() map[string]compliance.RuleHealth {
	e.t.Helper()
	hs, err := e.svc.RuleStats(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]compliance.RuleHealth{}
	for _, h := range hs {
		out[h.Name] = h
	}
	return out
}

// TestRuleStatsSilentAlarm: a rule that matched in the baseline weeks and
// not once in the recent week, while traffic kept flowing, is silent.
func TestRuleStatsSilentAlarm(t *testing.T) {
	e := newEnv(t)
	e.svc.SilentAfter = 100
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	e.clock.Set(now)
	day := func(ago int) string { return now.AddDate(0, 0, -ago).Format(time.DateOnly) }
	never := `message.length > 100000`
	ids := map[string]string{}
	for _, name := range []string{"silent", "matching", "quiet", "edge", "fresh", "old"} {
		ids[name] = e.policy(name, never, steward.ActionFlag).ID
	}
	disabled := e.savePolicy(&steward.Policy{Name: "disabled", Kind: steward.PolicyMessage, Condition: never,
		Action: steward.ActionFlag})
	ids["disabled"] = disabled.ID
	counts := []steward.PolicyCount{
		{PolicyID: ids["silent"], Day: day(20), Evaluated: 300, Matched: 12},
		{PolicyID: ids["silent"], Day: day(2), Evaluated: 150},
		{PolicyID: ids["matching"], Day: day(20), Evaluated: 300, Matched: 12},
		{PolicyID: ids["matching"], Day: day(2), Evaluated: 150, Matched: 1},
		{PolicyID: ids["quiet"], Day: day(20), Evaluated: 300, Matched: 12},
		{PolicyID: ids["quiet"], Day: day(2), Evaluated: 99},
		// The recent window is today and the six days before it.
		{PolicyID: ids["edge"], Day: day(7), Evaluated: 10, Matched: 3},
		{PolicyID: ids["edge"], Day: day(6), Evaluated: 100},
		{PolicyID: ids["fresh"], Day: day(2), Evaluated: 150},
		// Beyond the 35 days looked at.
		{PolicyID: ids["old"], Day: day(40), Evaluated: 300, Matched: 12},
		{PolicyID: ids["old"], Day: day(2), Evaluated: 150},
		{PolicyID: ids["disabled"], Day: day(20), Evaluated: 300, Matched: 12},
		{PolicyID: ids["disabled"], Day: day(2), Evaluated: 150},
	}
	if err := e.db.AddPolicyCounts(e.ctx, counts); err != nil {
		t.Fatal(err)
	}
	st := e.stats()
	for name, want := range map[string]bool{"silent": true, "matching": false, "quiet": false, "edge": true,
		"fresh": false, "old": false, "disabled": false} {
		if h := st[name]; h.Silent != want || h.PolicyID != ids[name] {
			t.Errorf("%s: %+v, want silent=%v", name, h, want)
		}
	}
	if h := st["silent"]; h.Evaluated != 450 || h.Matched != 12 || h.HitRate != 12.0/450 || h.Precision != -1 {
		t.Errorf("silent: %+v", h)
	}
	if h := st["old"]; h.Evaluated != 150 || h.Matched != 0 {
		t.Errorf("counts older than the window: %+v", h)
	}

	// The default threshold is 500 evaluations.
	e.svc.SilentAfter = 0
	if st := e.stats(); st["silent"].Silent {
		t.Errorf("silent after 150 evaluations with the default threshold: %+v", st["silent"])
	}
}

// TestRuleStatsCountsAndPrecision: live evaluations reach the counters,
// including those made under a set a reload replaced (and on the way out
// of Run); reviewers' outcomes make the precision.
func TestRuleStatsCountsAndPrecision(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	var items []*steward.ReviewItem
	capture := func() {
		items = append(items, e.itemFor(e.capture(send(danaAddr, rileyAddr, ssnBody))))
	}
	capture()
	capture()
	e.policy("late", `message.length > 100000`, steward.ActionFlag) // a reload
	capture()
	capture()

	// Run flushes once more as it stops.
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.svc.Run(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	counts, err := e.db.PolicyCounts(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var evaluated int64
	for _, c := range counts {
		evaluated += c.Evaluated
	}
	// Four captures of four message policies, and two of the late one.
	if evaluated != 4*4+2 {
		t.Errorf("%d evaluations counted, want 18: %+v", evaluated, counts)
	}

	act := func(it *steward.ReviewItem, o steward.ReviewOutcome) {
		if _, err := e.svc.Act(e.ctx, "officer:carla", e.carla.ID, it.ID, compliance.ReviewAction{Action: "resolve",
			Outcome: o, Note: "reviewed"}); err != nil {
			t.Fatal(err)
		}
	}
	act(items[0], steward.OutcomeTruePositive)
	act(items[1], steward.OutcomeTruePositive)
	act(items[2], steward.OutcomeFalsePositive)

	st := e.stats()
	if h := st["ssn-review"]; h.Evaluated != 4 || h.Matched != 4 || h.HitRate != 1 || h.Items != 4 || h.Open != 1 ||
		h.TruePositives != 2 || h.FalsePositives != 1 || h.Precision != 2.0/3 {
		t.Errorf("ssn-review: %+v", h)
	}
	if h := st["late"]; h.Evaluated != 2 || h.Matched != 0 || h.Items != 0 || h.Precision != -1 {
		t.Errorf("late: %+v", h)
	}
	if h := st["cui-hold"]; h.Evaluated != 4 || h.Matched != 0 || h.HitRate != 0 {
		t.Errorf("cui-hold: %+v", h)
	}
}
