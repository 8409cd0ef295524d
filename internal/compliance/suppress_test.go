package compliance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// suppress adds a suppression through the service, as an officer.
func (e *env) suppress(policyID string, kind steward.SuppressionKind, value string, expires *time.Time) *steward.Suppression {
	e.t.Helper()
	x := &steward.Suppression{PolicyID: policyID, Kind: kind, Reason: "known and reviewed", ExpiresAt: expires}
	clear := ""
	if kind == steward.SuppressValue {
		clear = value
	} else {
		x.Value = value
	}
	x, err := e.svc.AddSuppression(e.ctx, "officer:carla", x, clear)
	if err != nil {
		e.t.Fatalf("suppress %s %s: %v", kind, value, err)
	}
	return x
}

// queued captures it and reports whether it reached the review queue.
func (e *env) queued(it *steward.Item) bool {
	e.t.Helper()
	c := e.capture(it)
	o := e.sealed(c)
	if q := e.itemFor(c) != nil; q != o.Flag {
		e.t.Fatalf("%q: flag %v but queued %v", it.Body, o.Flag, q)
	}
	return o.Flag
}

// bugFlagSuppression explains the skipped "flag" setups; see the report.
const bugFlagSuppression = "BUG: decide.go applies suppressions before it turns a flag into allow+flag, " +
	"which sets Flag again, so no suppression ever keeps a plain flag off the queue"

// forEachSetup runs a suppression test with the policy under review,
// ssn-review (flag SSNs), deciding alone, and beside a warn policy on
// outbound SSNs, where the decision is warn with the flag. Suppressions
// must keep the item off the queue either way.
func forEachSetup(t *testing.T, test func(t *testing.T, e *env, p *steward.Policy)) {
	t.Run("flag", func(t *testing.T) {
		e := newEnv(t)
		test(t, e, e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag))
	})
	t.Run("flag beside warn", func(t *testing.T) {
		e := newEnv(t)
		p := e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
		e.policy("ssn-confirm", `finding("us_ssn") > 0 && direction == "outbound"`, steward.ActionWarn)
		test(t, e, p)
	})
}

func TestSuppressSender(t *testing.T) {
	forEachSetup(t, func(t *testing.T, e *env, p *steward.Policy) {
		other := e.policy("other-review", `message.length > 100000`, steward.ActionFlag)
		// A suppression of another policy does not cover this one.
		e.suppress(other.ID, steward.SuppressSender, danaAddr, nil)
		if !e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Fatal("another policy's suppression applied")
		}
		x := e.suppress(p.ID, steward.SuppressSender, danaAddr, nil)
		if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("a suppressed sender's message was queued")
		}
		if !e.queued(receive(rileyAddr, danaAddr, ssnBody)) {
			t.Error("another sender's message was not queued")
		}
		if err := e.svc.DeleteSuppression(e.ctx, "officer:carla", x.ID); err != nil {
			t.Fatal(err)
		}
		if !e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("a deleted suppression still applies")
		}
		// "*" suppresses for every policy.
		e.suppress("*", steward.SuppressSender, danaAddr, nil)
		if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("a suppression of every policy did not apply")
		}
		if n := e.audits("suppression.add"); n != 3 {
			t.Errorf("%d suppression.add audits, want 3", n)
		}
		if n := e.audits("suppression.delete"); n != 1 {
			t.Errorf("%d suppression.delete audits, want 1", n)
		}
	})
}

func TestSuppressConversation(t *testing.T) {
	forEachSetup(t, func(t *testing.T, e *env, p *steward.Policy) {
		conv := e.capture(send(danaAddr, rileyAddr, "hello")).Conversation
		e.suppress(p.ID, steward.SuppressConversation, conv.ID, nil)
		if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("a message of a suppressed conversation was queued")
		}
		if !e.queued(send(danaAddr, samAddr, ssnBody)) {
			t.Error("a message of another conversation was not queued")
		}
	})
}

func TestSuppressValue(t *testing.T) {
	forEachSetup(t, func(t *testing.T, e *env, p *steward.Policy) {
		x := e.suppress(p.ID, steward.SuppressValue, ssn, nil)
		if strings.Contains(x.Value, "8761") || len(x.Value) != 64 {
			t.Errorf("the suppression stores %q, not a keyed digest", x.Value)
		}
		stored, err := e.db.Suppressions(e.ctx, time.Now())
		if err != nil || len(stored) != 1 || stored[0].Value != x.Value {
			t.Fatalf("stored suppressions: %+v, %v", stored, err)
		}

		if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("a message with only the suppressed value was queued")
		}
		// However it is written.
		if e.queued(send(danaAddr, samAddr, "ssn 536228761 as discussed")) {
			t.Error("the suppressed value written without dashes was queued")
		}
		if !e.queued(send(danaAddr, rileyAddr, "SSNs 536-22-8761 and 401-55-3297")) {
			t.Error("a second, unsuppressed value was not queued")
		}
		if !e.queued(send(danaAddr, rileyAddr, "SSN 401-55-3297")) {
			t.Error("another value was not queued")
		}
	})
}

func TestAddSuppressionRefuses(t *testing.T) {
	e := newEnv(t)
	p := e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
	_, err := e.svc.AddSuppression(e.ctx, "officer:carla", &steward.Suppression{PolicyID: p.ID, Kind: steward.SuppressValue,
		Reason: "x"}, "")
	wantKind(t, "value suppression without a value", err, steward.Invalid)
	_, err = e.svc.AddSuppression(e.ctx, "officer:carla", &steward.Suppression{PolicyID: p.ID, Kind: steward.SuppressSender,
		Value: danaAddr, Reason: "  "}, "")
	wantKind(t, "suppression without a reason", err, steward.Invalid)
	_, err = e.svc.AddSuppression(e.ctx, "officer:carla", &steward.Suppression{PolicyID: "no-such-policy", Kind: steward.SuppressSender,
		Value: danaAddr, Reason: "x"}, "")
	wantKind(t, "suppression of an unknown policy", err, steward.NotFound)
	if n := e.audits("suppression.add"); n != 0 {
		t.Errorf("%d suppression.add audits of refused suppressions", n)
	}
	wantKind(t, "deleting an unknown suppression", e.svc.DeleteSuppression(e.ctx, "officer:carla", "nope"), steward.NotFound)
}

// TestSuppressNeverLiftsHolds: a hold or a block stands, and stays on
// the queue, whatever is suppressed.
func TestSuppressNeverLiftsHolds(t *testing.T) {
	e := newEnv(t)
	e.policy("ssn-hold", `finding("us_ssn") > 0 && outside`, steward.ActionQuarantine)
	e.policy("key-block", `finding("secret") > 0`, steward.ActionBlock)
	e.policy("key-review", `finding("secret") > 0`, steward.ActionFlag)
	conv := e.capture(send(danaAddr, rileyAddr, "hello")).Conversation
	e.suppress("*", steward.SuppressSender, danaAddr, nil)
	e.suppress("*", steward.SuppressConversation, conv.ID, nil)
	e.suppress("*", steward.SuppressValue, ssn, nil)

	c := e.capture(send(danaAddr, rileyAddr, ssnBody))
	if o := e.sealed(c); o.Action != steward.ActionQuarantine || !o.Flag || c.Hold != pipeline.Quarantined {
		t.Errorf("suppressed quarantine: %+v hold %q", o, c.Hold)
	}
	if it := e.itemFor(c); it == nil || it.Quarantine != steward.QuarantineHeld {
		t.Errorf("suppressed quarantine's review item: %+v", it)
	}

	c = e.capture(send(danaAddr, rileyAddr, "password = hunter2hunter2"))
	if o := e.sealed(c); o.Action != steward.ActionBlock || !o.Flag || c.Hold != pipeline.Blocked {
		t.Errorf("suppressed block: %+v hold %q", o, c.Hold)
	}
	if e.itemFor(c) == nil {
		t.Error("a blocked and flagged message left the queue")
	}
}

func TestSuppressExpired(t *testing.T) {
	forEachSetup(t, func(t *testing.T, e *env, p *steward.Policy) {
		past := e.clock.Now().Add(-time.Hour)
		e.suppress(p.ID, steward.SuppressSender, danaAddr, &past)
		if !e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("an expired suppression applied")
		}
		future := e.clock.Now().Add(time.Hour)
		e.suppress(p.ID, steward.SuppressSender, danaAddr, &future)
		if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
			t.Error("an unexpired suppression did not apply")
		}
	})
}

// TestSuppressExpiresWhileRunning: a suppression stops applying when it
// expires, not when the process next reloads its policies.
func TestSuppressExpiresWhileRunning(t *testing.T) {
	e := newEnv(t)
	p := e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
	e.policy("ssn-confirm", `finding("us_ssn") > 0`, steward.ActionWarn)
	until := e.clock.Now().Add(time.Hour)
	e.suppress(p.ID, steward.SuppressSender, danaAddr, &until)
	if e.queued(send(danaAddr, rileyAddr, ssnBody)) {
		t.Fatal("an unexpired suppression did not apply")
	}
	e.clock.Set(until.Add(time.Hour))
	if !e.queued(send(danaAddr, rileyAddr, ssnBody)) {
		t.Error("a suppression that expired an hour ago still applies")
	}
}
