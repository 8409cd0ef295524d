package compliance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// TestDryRun: a proposed policy is judged against archived messages,
// alone or with the current set, and the read of the archive is audited.
func TestDryRun(t *testing.T) {
	e := newEnv(t)
	current := e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
	out := e.capture(send(danaAddr, rileyAddr, ssnBody))
	in := e.capture(receive(rileyAddr, danaAddr, "My SSN is 401-55-3297."))
	e.capture(send(danaAddr, rileyAddr, "Lunch?"))
	cui := e.capture(send(danaAddr, samAddr, cuiBody))
	exe := e.capture(receive(samAddr, danaAddr, "", steward.Attachment{Filename: "setup.exe",
		ContentType: "application/octet-stream", Data: []byte("MZ\x90\x00")}))
	// Not messages: left out.
	e.capture(&steward.Item{Type: steward.EventReaction, Channel: testChannel, ChannelMessageID: "steward:" + steward.NewID(),
		Direction: steward.DirOutbound, Sender: steward.Party{Address: danaAddr}, Recipients: []steward.Party{{Address: rileyAddr}},
		Target: out.Item.ChannelMessageID, Emoji: "👍"})
	before := e.stats()["ssn-review"]

	run := func(req compliance.DryRunRequest) *policy.DryRunReport {
		t.Helper()
		rep, err := e.svc.DryRun(e.ctx, "officer:carla", req)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	hits := func(rep *policy.DryRunReport, name string) *policy.PolicyHits {
		for i := range rep.ByPolicy {
			if rep.ByPolicy[i].Name == name {
				return &rep.ByPolicy[i]
			}
		}
		t.Fatalf("no %s in %+v", name, rep.ByPolicy)
		return nil
	}

	rep := run(compliance.DryRunRequest{Only: true, Policies: []*steward.Policy{{Name: "any-cui", Kind: steward.PolicyMessage,
		Condition: `finding("cui_marking") > 0`, Action: steward.ActionQuarantine}}})
	if rep.Messages != 5 || len(rep.ByPolicy) != 1 || rep.ByAction[steward.ActionQuarantine] != 1 || rep.ByAction[steward.ActionAllow] != 4 {
		t.Fatalf("report %+v", rep)
	}
	if h := hits(rep, "any-cui"); h.Matched != 1 || !slices.Equal(h.Examples, []string{cui.Item.IdempotencyKey}) {
		t.Errorf("any-cui: %+v", h)
	}
	if as := e.auditRecords("policy.dry_run"); len(as) != 1 || as[0].Actor != "officer:carla" ||
		as[0].Details["purpose"] != "policy dry run" {
		t.Errorf("policy.dry_run audits: %+v", as)
	}

	// Attachments are judged by their archived name, type and size.
	rep = run(compliance.DryRunRequest{Only: true, Policies: []*steward.Policy{{Name: "programs", Kind: steward.PolicyMessage,
		Condition: `message.attachments.exists(a, a.extension == "exe" && a.size == 4)`, Action: steward.ActionQuarantine}}})
	if h := hits(rep, "programs"); h.Matched != 1 || !slices.Equal(h.Examples, []string{exe.Item.IdempotencyKey}) {
		t.Errorf("programs: %+v", h)
	}

	// With the current set; a proposal with a policy's id replaces it.
	rep = run(compliance.DryRunRequest{})
	if h := hits(rep, "ssn-review"); h.Matched != 2 {
		t.Errorf("the current policy: %+v", h)
	}
	rep = run(compliance.DryRunRequest{Policies: []*steward.Policy{{ID: current.ID, Name: "ssn-review", Kind: steward.PolicyMessage,
		Condition: `finding("us_ssn") > 0 && direction == "inbound"`, Action: steward.ActionFlag}}})
	if h := hits(rep, "ssn-review"); len(rep.ByPolicy) != 1 || h.Matched != 1 || !slices.Equal(h.Examples, []string{in.Item.IdempotencyKey}) {
		t.Errorf("the replaced policy: %+v", rep.ByPolicy)
	}

	// Limits and the window.
	if rep := run(compliance.DryRunRequest{Limit: 2}); rep.Messages != 2 {
		t.Errorf("limit 2: %d messages", rep.Messages)
	}
	e.clock.Set(time.Now().Add(3 * 24 * time.Hour))
	if rep := run(compliance.DryRunRequest{Days: 2}); rep.Messages != 0 {
		t.Errorf("two days back from three days on: %d messages", rep.Messages)
	}
	if rep := run(compliance.DryRunRequest{Days: 4}); rep.Messages != 5 {
		t.Errorf("four days back: %d messages", rep.Messages)
	}
	audited := e.audits("policy.dry_run")

	for _, req := range []compliance.DryRunRequest{
		{Days: 91},
		{Limit: 100001},
		{Policies: []*steward.Policy{{Name: "typo", Kind: steward.PolicyMessage, Condition: `sender.departmnet == ""`,
			Action: steward.ActionFlag}}},
	} {
		_, err := e.svc.DryRun(e.ctx, "officer:carla", req)
		wantKind(t, "a refused dry run", err, steward.Invalid)
	}
	if n := e.audits("policy.dry_run"); n != audited {
		t.Errorf("refused dry runs were audited: %d → %d", audited, n)
	}
	// Dry runs are not live evaluations.
	if after := e.stats()["ssn-review"]; after.Evaluated != before.Evaluated {
		t.Errorf("dry runs counted as evaluations: %d → %d", before.Evaluated, after.Evaluated)
	}
}
