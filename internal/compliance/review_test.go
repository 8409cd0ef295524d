package compliance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

const cuiBody = "CUI//SP-PRVCY\nNotes from the claims review."

// reviewPolicies saves the policies the review tests use: a flag on
// SSNs, a hold on CUI, a block on credentials, a redaction of e-mail
// addresses sent outside, and a flag on adding outside group members.
func (e *env) reviewPolicies() (flag, hold, group *steward.Policy) {
	flag = e.policy("ssn-review", `finding("us_ssn") > 0`, steward.ActionFlag)
	hold = e.policy("cui-hold", `finding("cui_marking") > 0`, steward.ActionQuarantine)
	e.policy("key-block", `finding("secret") > 0`, steward.ActionBlock)
	e.policy("email-mask", `outside && finding("email") > 0`, steward.ActionRedact)
	group = e.groupPolicy("outside-members", `operation == "add" && members.exists(m, !m.inside)`, steward.ActionFlag,
		"An outside member joined a group.")
	return flag, hold, group
}

// membership is a group change seen on the channel: from adds member to
// the group groupID.
func membership(from, groupID, member string) *steward.Item {
	return &steward.Item{Type: steward.EventMembership, Channel: testChannel, ChannelMessageID: "grp:" + steward.NewID(),
		Direction: steward.DirOutbound, Sender: steward.Party{Address: from},
		Conversation: steward.ConversationRef{ID: groupID, Kind: steward.ConversationGroup},
		MembersAdded: []steward.Party{{Address: member}}}
}

func TestRouteQueuesOnce(t *testing.T) {
	e := newEnv(t)
	flag, _, _ := e.reviewPolicies()
	it := send(danaAddr, rileyAddr, ssnBody)
	c := e.capture(it)
	got := e.items()
	if len(got) != 1 {
		t.Fatalf("%d review items, want 1", len(got))
	}
	ri := got[0]
	if ri.RecordID != c.Ref.ID || ri.DecisionID != c.DecisionRef.ID || ri.ConversationID != c.Conversation.ID ||
		ri.EmployeeID != e.dana.ID || ri.Action != steward.ActionFlag || ri.Quarantine != steward.QuarantineNone ||
		ri.State != steward.ReviewOpen || ri.Source != "policy" || ri.Channel != string(testChannel) ||
		ri.Direction != steward.DirOutbound || !slices.Equal(ri.Policies, []string{flag.ID}) {
		t.Fatalf("review item %+v", ri)
	}
	// A replay of the capture queues nothing more, nor does Reconcile.
	if r := e.capture(it); !r.Replayed {
		t.Fatal("the second capture was not a replay")
	}
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Errorf("Reconcile after Route: %d, %v", n, err)
	}
	if n := len(e.items()); n != 1 {
		t.Errorf("%d review items, want 1", n)
	}
}

// TestReconcile: decisions captured while Route was not wired (a crash
// between capture and routing) are queued by Reconcile, exactly once.
func TestReconcile(t *testing.T) {
	e := newEnv(t)
	flag, hold, group := e.reviewPolicies()
	e.pipe.Router = nil
	flagged := e.capture(send(danaAddr, rileyAddr, ssnBody))
	held := e.capture(send(danaAddr, rileyAddr, cuiBody))
	joined := e.capture(membership(danaAddr, "grp-flood", rileyAddr))
	for _, it := range []*steward.Item{
		send(danaAddr, rileyAddr, "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq3\n-----END RSA PRIVATE KEY-----"),
		send(danaAddr, rileyAddr, "write to riley.chen@example.org"),
		send(danaAddr, rileyAddr, "lunch?"),
	} {
		if c := e.capture(it); c.Decision == nil || c.Decision.Outcome.Flag {
			t.Fatalf("%q: %+v", it.Body, c.Decision)
		}
	}
	if n := len(e.items()); n != 0 {
		t.Fatalf("%d items queued without a router", n)
	}

	n, err := e.svc.Reconcile(e.ctx)
	if err != nil || n != 3 {
		t.Fatalf("Reconcile: %d, %v; want 3", n, err)
	}
	for _, tc := range []struct {
		c          *pipeline.Captured
		quarantine steward.QuarantineState
		action     steward.PolicyAction
		policy     string
		source     string
	}{
		{flagged, steward.QuarantineNone, steward.ActionFlag, flag.ID, "policy"},
		{held, steward.QuarantineHeld, steward.ActionQuarantine, hold.ID, "policy"},
		{joined, steward.QuarantineNone, steward.ActionFlag, group.ID, "group"},
	} {
		ri := e.itemFor(tc.c)
		if ri == nil || ri.DecisionID != tc.c.DecisionRef.ID || ri.Quarantine != tc.quarantine || ri.Action != tc.action ||
			!slices.Equal(ri.Policies, []string{tc.policy}) || ri.Source != tc.source || ri.State != steward.ReviewOpen ||
			ri.ConversationID != tc.c.Conversation.ID || ri.Direction != steward.DirOutbound {
			t.Errorf("reconciled item of %s: %+v", tc.c.Item.Type, ri)
		}
	}
	if n, err := e.svc.Reconcile(e.ctx); err != nil || n != 0 {
		t.Errorf("second Reconcile: %d, %v", n, err)
	}
	if n := len(e.items()); n != 3 {
		t.Errorf("%d items, want 3", n)
	}
}

// TestReconcileKnowsWhoseMessage: an item Reconcile queues names the
// employee whose message it is, as Route's do, so that nobody reviews
// their own message.
func TestReconcileKnowsWhoseMessage(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	e.pipe.Router = nil
	c := e.capture(send(carlaAddr, rileyAddr, ssnBody))
	if _, err := e.svc.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	ri := e.itemFor(c)
	if ri == nil || ri.EmployeeID != e.carla.ID {
		t.Errorf("reconciled item %+v, want employee %s", ri, e.carla.ID)
	}
	_, err := e.svc.Act(e.ctx, "officer:carla", e.carla.ID, ri.ID, compliance.ReviewAction{Action: "assign"})
	wantKind(t, "an officer acting on their own reconciled message", err, steward.Permission)
}

func TestActWorkflow(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	flagged := e.itemFor(e.capture(send(danaAddr, rileyAddr, ssnBody)))
	act := func(id string, a compliance.ReviewAction) (*steward.ReviewItem, error) {
		return e.svc.Act(e.ctx, "officer:carla", e.carla.ID, id, a)
	}
	stored := func(id string) *steward.ReviewItem {
		it, err := e.db.ReviewItemByID(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}

	// Assignment goes to compliance officers only.
	_, err := act(flagged.ID, compliance.ReviewAction{Action: "assign", Assignee: e.max.ID})
	wantKind(t, "assign to a non-officer", err, steward.Permission)
	_, err = act(flagged.ID, compliance.ReviewAction{Action: "assign", Assignee: "nobody"})
	wantKind(t, "assign to no one known", err, steward.Invalid)
	if it := stored(flagged.ID); it.State != steward.ReviewOpen || it.Assignee != "" {
		t.Fatalf("a refused assignment changed the item: %+v", it)
	}
	it, err := act(flagged.ID, compliance.ReviewAction{Action: "assign"})
	if err != nil || it.State != steward.ReviewAssigned || it.Assignee != e.carla.ID {
		t.Fatalf("assign to oneself: %+v, %v", it, err)
	}

	_, err = act(flagged.ID, compliance.ReviewAction{Action: "escalate", Note: " "})
	wantKind(t, "escalate without a note", err, steward.Invalid)
	if it := stored(flagged.ID); it.State != steward.ReviewAssigned {
		t.Fatalf("a refused escalation changed the item: %+v", it)
	}
	if it, err = act(flagged.ID, compliance.ReviewAction{Action: "escalate", Note: "Possible PII spill."}); err != nil ||
		it.State != steward.ReviewEscalated {
		t.Fatalf("escalate: %+v, %v", it, err)
	}

	_, err = act(flagged.ID, compliance.ReviewAction{Action: "resolve", Note: "fine"})
	wantKind(t, "resolve without an outcome", err, steward.Invalid)
	_, err = act(flagged.ID, compliance.ReviewAction{Action: "resolve", Outcome: steward.OutcomeTruePositive})
	wantKind(t, "resolve without a note", err, steward.Invalid)
	_, err = act(flagged.ID, compliance.ReviewAction{Action: "release", Note: "x"})
	wantKind(t, "release a message that is not held", err, steward.Conflict)
	_, err = act(flagged.ID, compliance.ReviewAction{Action: "shred"})
	wantKind(t, "an unknown action", err, steward.Invalid)
	if it, err = act(flagged.ID, compliance.ReviewAction{Action: "resolve", Outcome: steward.OutcomeTruePositive,
		Note: "Referred to the privacy office."}); err != nil || it.State != steward.ReviewResolved ||
		it.Outcome != steward.OutcomeTruePositive || it.ResolvedBy != "officer:carla" || it.ResolvedAt == nil {
		t.Fatalf("resolve: %+v, %v", it, err)
	}
	if got := stored(flagged.ID); got.State != steward.ReviewResolved || got.Outcome != steward.OutcomeTruePositive {
		t.Fatalf("the resolution was not stored: %+v", got)
	}

	_, err = act(flagged.ID, compliance.ReviewAction{Action: "assign"})
	wantKind(t, "assign a resolved item", err, steward.Conflict)
	if it, err = act(flagged.ID, compliance.ReviewAction{Action: "reopen", Note: "New facts."}); err != nil ||
		it.State != steward.ReviewOpen || it.Outcome != steward.OutcomeNone || it.ResolvedBy != "" || it.ResolvedAt != nil {
		t.Fatalf("reopen: %+v, %v", it, err)
	}
	_, err = act(flagged.ID, compliance.ReviewAction{Action: "reopen"})
	wantKind(t, "reopen an open item", err, steward.Conflict)
	_, err = act("no-such-item", compliance.ReviewAction{Action: "assign"})
	wantKind(t, "act on an unknown item", err, steward.NotFound)

	for action, want := range map[string]int{"review.assign": 1, "review.escalate": 1, "review.resolve": 1, "review.reopen": 1} {
		if n := e.audits(action); n != want {
			t.Errorf("%d %s audits, want %d", n, action, want)
		}
	}
}

func TestActQuarantine(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	released := e.capture(send(danaAddr, rileyAddr, cuiBody))
	rejected := e.capture(send(danaAddr, rileyAddr, cuiBody+" Part two."))
	act := func(id string, a compliance.ReviewAction) (*steward.ReviewItem, error) {
		return e.svc.Act(e.ctx, "officer:carla", e.carla.ID, id, a)
	}
	rel, rej := e.itemFor(released), e.itemFor(rejected)

	_, err := act(rel.ID, compliance.ReviewAction{Action: "resolve", Outcome: steward.OutcomeFalsePositive, Note: "x"})
	wantKind(t, "resolve a held message", err, steward.Conflict)
	_, err = act(rel.ID, compliance.ReviewAction{Action: "release"})
	wantKind(t, "release without a note", err, steward.Invalid)
	if len(e.releasedIDs()) != 0 {
		t.Fatal("a refused release reached the channel")
	}

	it, err := act(rel.ID, compliance.ReviewAction{Action: "release", Note: "The recipient is the claimant's attorney."})
	if err != nil || it.State != steward.ReviewResolved || it.Quarantine != steward.QuarantineReleased ||
		it.Outcome != steward.OutcomeFalsePositive {
		t.Fatalf("release: %+v, %v", it, err)
	}
	if got := e.releasedIDs(); !slices.Equal(got, []string{released.Ref.ID}) {
		t.Fatalf("Released was told %v, want %s", got, released.Ref.ID)
	}

	it, err = act(rej.ID, compliance.ReviewAction{Action: "reject", Note: "Not authorized to receive CUI."})
	if err != nil || it.State != steward.ReviewResolved || it.Quarantine != steward.QuarantineRejected ||
		it.Outcome != steward.OutcomeTruePositive {
		t.Fatalf("reject: %+v, %v", it, err)
	}
	if got := e.releasedIDs(); len(got) != 1 {
		t.Errorf("a rejection was released: %v", got)
	}
	if stored, _ := e.db.ReviewItemByID(e.ctx, rej.ID); stored.Quarantine != steward.QuarantineRejected {
		t.Errorf("the rejection was not stored: %+v", stored)
	}
}

// TestActStaleUpdate: a step taken on an item someone else changed
// meanwhile is refused, and the other change stands; the release reaches
// the channel only after the item says released.
func TestActStaleUpdate(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	held := e.itemFor(e.capture(send(danaAddr, rileyAddr, cuiBody)))
	stale := *held
	// Another officer rejects it first.
	if _, err := e.svc.Act(e.ctx, "officer:other", "", held.ID, compliance.ReviewAction{Action: "reject", Note: "no"}); err != nil {
		t.Fatal(err)
	}
	// A release based on the earlier read loses at the store.
	stale.Quarantine, stale.State = steward.QuarantineReleased, steward.ReviewResolved
	stale.UpdatedAt = held.UpdatedAt.Add(time.Millisecond)
	err := e.db.UpdateReviewItem(e.ctx, &stale, held.UpdatedAt)
	wantKind(t, "a release over a concurrent rejection", err, steward.Conflict)
	_, err = e.svc.Act(e.ctx, "officer:carla", e.carla.ID, held.ID, compliance.ReviewAction{Action: "release", Note: "ok"})
	wantKind(t, "releasing a rejected item", err, steward.Conflict)
	if got := e.releasedIDs(); len(got) != 0 {
		t.Errorf("a rejected message was released: %v", got)
	}
	got, _ := e.db.ReviewItemByID(e.ctx, held.ID)
	if got.Quarantine != steward.QuarantineRejected {
		t.Errorf("stored item %+v, want the rejection", got)
	}
}

// TestReleaseRetry: when the send cannot be queued, the item is already
// released and releasing it again queues the send.
func TestReleaseRetry(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	held := e.itemFor(e.capture(send(danaAddr, rileyAddr, cuiBody)))
	e.releaseErr = steward.E(steward.Unavailable, "outbox down")
	_, err := e.svc.Act(e.ctx, "officer:carla", e.carla.ID, held.ID, compliance.ReviewAction{Action: "release", Note: "ok"})
	wantKind(t, "a release whose send failed", err, steward.Unavailable)
	if got, _ := e.db.ReviewItemByID(e.ctx, held.ID); got.Quarantine != steward.QuarantineReleased {
		t.Fatalf("stored item %+v, want released", got)
	}
	if _, err := e.svc.Act(e.ctx, "officer:carla", e.carla.ID, held.ID, compliance.ReviewAction{Action: "release"}); err != nil {
		t.Fatalf("release again: %v", err)
	}
	if got := e.releasedIDs(); len(got) != 1 || got[0] != held.RecordID {
		t.Errorf("Released was told %v", got)
	}
}

// TestNoReviewOfOwnMessages: an officer neither reads nor acts on an
// item about their own message.
func TestNoReviewOfOwnMessages(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	own := e.itemFor(e.capture(send(carlaAddr, rileyAddr, ssnBody)))
	if own == nil || own.EmployeeID != e.carla.ID {
		t.Fatalf("item %+v", own)
	}
	_, err := e.svc.Act(e.ctx, "officer:carla", e.carla.ID, own.ID, compliance.ReviewAction{Action: "assign"})
	wantKind(t, "act on one's own message", err, steward.Permission)
	_, err = e.svc.Review(e.ctx, "officer:carla", e.carla.ID, own.ID)
	wantKind(t, "review one's own message", err, steward.Permission)
	if n := e.audits("review.read") + e.audits("review.assign"); n != 0 {
		t.Errorf("%d audits of refused steps", n)
	}
}

// TestReview: the officer sees the message between its neighbours in the
// conversation, with the decision, and the read is audited.
func TestReview(t *testing.T) {
	e := newEnv(t)
	e.reviewPolicies()
	e.capture(send(danaAddr, rileyAddr, "first"))
	e.capture(receive(rileyAddr, danaAddr, "second"))
	c := e.capture(send(danaAddr, rileyAddr, ssnBody))
	e.capture(receive(rileyAddr, danaAddr, "after"))
	ri := e.itemFor(c)

	v, err := e.svc.Review(e.ctx, "officer:carla", e.carla.ID, ri.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Message == nil || v.Message.Body != ssnBody || v.Message.Policy == nil || !v.Message.Policy.Flag {
		t.Fatalf("message %+v", v.Message)
	}
	var before, after []string
	for _, m := range v.Before {
		before = append(before, m.Body)
	}
	for _, m := range v.After {
		after = append(after, m.Body)
	}
	if !slices.Equal(before, []string{"first", "second"}) || !slices.Equal(after, []string{"after"}) {
		t.Errorf("context: before %q, after %q", before, after)
	}
	if ids := matchedPolicies(v.Decision); len(ids) != 1 {
		t.Errorf("decision %v", v.Decision)
	}
	reads := e.auditRecords("review.read")
	if len(reads) != 1 || reads[0].Subject != ri.ID || reads[0].Details["purpose"] != "review:"+ri.ID {
		t.Fatalf("review.read audits: %+v", reads)
	}
	read, _ := reads[0].Details["records"].([]any)
	if len(read) != 5 || !slices.Contains(read, any(c.Ref.ID)) || !slices.Contains(read, any(ri.DecisionID)) {
		t.Errorf("the audit names records %v", read)
	}
	_, err = e.svc.Review(e.ctx, "officer:carla", e.carla.ID, "no-such-item")
	wantKind(t, "review an unknown item", err, steward.NotFound)
}
