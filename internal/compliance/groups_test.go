package compliance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	createReason = "Only supervisors may create groups with outside members."
	addReason    = "Outside members need your supervisor's approval."
)

// groupRules saves a block on creating groups with outside members and an
// approval for adding them later.
func (e *env) groupRules() {
	e.groupPolicy("outside-create", `operation == "create" && members.exists(m, !m.inside)`, steward.ActionBlock, createReason)
	e.groupPolicy("outside-add", `operation == "add" && members.exists(m, !m.inside)`, steward.ActionApproval, addReason)
}

// group returns a group conversation Dana is in, as captured.
func (e *env) group(id string) *steward.Conversation {
	e.t.Helper()
	it := &steward.Item{Type: steward.EventMessage, Channel: testChannel, ChannelMessageID: "steward:" + steward.NewID(),
		Direction: steward.DirInternal, Sender: steward.Party{Address: danaAddr},
		Conversation: steward.ConversationRef{ID: id, Kind: steward.ConversationGroup}, Body: "Welcome, all."}
	return e.capture(it).Conversation
}

func addChange(emp *steward.Employee, conv *steward.Conversation, members ...string) chat.GroupChange {
	return chat.GroupChange{Employee: emp, Channel: testChannel, Conversation: conv, Operation: chat.GroupAdd,
		Members: members, Request: chat.GroupRequest{Add: members}}
}

func TestCheckGroupBlock(t *testing.T) {
	e := newEnv(t)
	e.groupRules()
	create := func(members ...string) error {
		return e.svc.CheckGroup(e.ctx, chat.GroupChange{Employee: e.dana, Channel: testChannel, Operation: chat.GroupCreate,
			Members: members, Request: chat.GroupRequest{Title: "Flood relief", Add: members}})
	}
	wantKind(t, "create with an outside member", create(maxAddr, rileyAddr), steward.Permission, createReason)
	if err := create(maxAddr, carlaAddr); err != nil {
		t.Errorf("create with colleagues: %v", err)
	}
	if as, _ := e.svc.Approvals(e.ctx, "", ""); len(as) != 0 {
		t.Errorf("a block asked for approval: %+v", as)
	}
}

// TestCheckGroupApproval: a change that needs approval is refused for
// now and waits for the manager, who alone may answer, once.
func TestCheckGroupApproval(t *testing.T) {
	e := newEnv(t)
	e.groupRules()
	conv := e.group("grp-flood")

	refusal := e.svc.CheckGroup(e.ctx, addChange(e.dana, conv, rileyAddr))
	wantKind(t, "add an outside member", refusal, steward.Permission, addReason, "Max Ortiz")
	pending, err := e.svc.Approvals(e.ctx, e.max.ID, steward.ApprovalPending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("approvals waiting for Max: %+v, %v", pending, err)
	}
	a := pending[0]
	if a.Kind != compliance.ApprovalGroupChange || a.RequestedBy != e.dana.ID || a.Approver != e.max.ID ||
		a.Subject != conv.ID || a.Reason != addReason {
		t.Fatalf("approval %+v", a)
	}
	if !strings.Contains(steward.PublicMessage(refusal), a.ID) {
		t.Errorf("the refusal %q does not name the request %s", steward.PublicMessage(refusal), a.ID)
	}
	op, convID, req := compliance.GroupRequestOf(a)
	if op != chat.GroupAdd || convID != conv.ID || !slices.Equal(req.Add, []string{rileyAddr}) || req.ApprovalID != a.ID {
		t.Errorf("GroupRequestOf: %s %s %+v", op, convID, req)
	}
	if n := e.audits("approval.request"); n != 1 {
		t.Errorf("%d approval.request audits, want 1", n)
	}

	_, err = e.svc.DecideApproval(e.ctx, e.dana.ID, a.ID, true, "")
	wantKind(t, "the requester answering", err, steward.Permission)
	_, err = e.svc.DecideApproval(e.ctx, e.carla.ID, a.ID, true, "")
	wantKind(t, "a third party answering", err, steward.Permission)
	got, err := e.svc.DecideApproval(e.ctx, e.max.ID, a.ID, true, "Riley coordinates the county response.")
	if err != nil || got.State != steward.ApprovalApproved || got.DecidedBy != e.max.ID || got.DecidedAt == nil {
		t.Fatalf("approve: %+v, %v", got, err)
	}
	_, err = e.svc.DecideApproval(e.ctx, e.max.ID, a.ID, false, "")
	wantKind(t, "answering twice", err, steward.Conflict)
	_, err = e.svc.DecideApproval(e.ctx, e.max.ID, "no-such-approval", true, "")
	wantKind(t, "an unknown approval", err, steward.NotFound)
	if e.audits("approval.approved") != 1 || e.audits("approval.denied") != 0 {
		t.Error("the answer was not audited once")
	}

	// The approved change passes; anything beyond it is asked again.
	approved := addChange(e.dana, conv, rileyAddr)
	approved.Request.ApprovalID = a.ID
	if err := e.svc.CheckGroup(e.ctx, approved); err != nil {
		t.Errorf("the approved change: %v", err)
	}
	more := addChange(e.dana, conv, rileyAddr, samAddr)
	more.Request.ApprovalID = a.ID
	wantKind(t, "more than was approved", e.svc.CheckGroup(e.ctx, more), steward.Permission, addReason)
	other := addChange(e.carla, conv, rileyAddr)
	other.Request.ApprovalID = a.ID
	wantKind(t, "someone else citing the approval", e.svc.CheckGroup(e.ctx, other), steward.Permission, "no manager")
}

func TestCheckGroupDenied(t *testing.T) {
	e := newEnv(t)
	e.groupRules()
	conv := e.group("grp-flood")
	wantKind(t, "add", e.svc.CheckGroup(e.ctx, addChange(e.dana, conv, rileyAddr)), steward.Permission)
	pending, _ := e.svc.Approvals(e.ctx, e.max.ID, steward.ApprovalPending)
	if len(pending) != 1 {
		t.Fatalf("%d approvals", len(pending))
	}
	a, err := e.svc.DecideApproval(e.ctx, e.max.ID, pending[0].ID, false, "Not yet.")
	if err != nil || a.State != steward.ApprovalDenied || e.audits("approval.denied") != 1 {
		t.Fatalf("deny: %+v, %v", a, err)
	}
	denied := addChange(e.dana, conv, rileyAddr)
	denied.Request.ApprovalID = a.ID
	wantKind(t, "citing a denied approval", e.svc.CheckGroup(e.ctx, denied), steward.Permission, addReason)
	unknown := addChange(e.dana, conv, rileyAddr)
	unknown.Request.ApprovalID = "no-such-approval"
	wantKind(t, "citing an unknown approval", e.svc.CheckGroup(e.ctx, unknown), steward.NotFound)
}

// TestCheckGroupNoManager: without anyone to ask, the change is refused
// and no request is recorded.
func TestCheckGroupNoManager(t *testing.T) {
	e := newEnv(t)
	e.groupRules()
	conv := e.group("grp-flood")
	wantKind(t, "add without a manager", e.svc.CheckGroup(e.ctx, addChange(e.carla, conv, rileyAddr)),
		steward.Permission, "names no manager")
	if as, _ := e.svc.Approvals(e.ctx, "", ""); len(as) != 0 {
		t.Errorf("approvals recorded: %+v", as)
	}
}

// TestMembershipAfterTheFact: a group change seen on the channel has
// already happened, so what policy would have refused is flagged for
// review instead; one made under an approval is not.
func TestMembershipAfterTheFact(t *testing.T) {
	e := newEnv(t)
	e.groupRules()
	conv := e.group("grp-flood")

	c := e.capture(membership(danaAddr, "grp-flood", rileyAddr))
	o := e.sealed(c)
	if o.Action != steward.ActionAllow || o.Said != steward.ActionApproval || !o.Flag || o.Reason != addReason {
		t.Fatalf("outcome %+v", o)
	}
	if it := e.itemFor(c); it == nil || it.Source != "group" || it.ConversationID != conv.ID || it.EmployeeID != e.dana.ID {
		t.Fatalf("review item %+v", it)
	}

	wantKind(t, "add", e.svc.CheckGroup(e.ctx, addChange(e.dana, conv, samAddr)), steward.Permission)
	pending, _ := e.svc.Approvals(e.ctx, e.max.ID, steward.ApprovalPending)
	if len(pending) != 1 {
		t.Fatalf("%d approvals", len(pending))
	}
	if _, err := e.svc.DecideApproval(e.ctx, e.max.ID, pending[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	it := membership(danaAddr, "grp-flood", samAddr)
	it.Extra = map[string]any{chat.ExtraApproval: pending[0].ID}
	c = e.capture(it)
	if o := e.sealed(c); o.Action != steward.ActionAllow || o.Said != "" || o.Flag || e.itemFor(c) != nil {
		t.Errorf("an approved change: %+v", o)
	}
	// Colleagues joining are no concern.
	if o := e.sealed(e.capture(membership(danaAddr, "grp-flood", maxAddr))); o.Flag || o.Said != "" {
		t.Errorf("a colleague joining: %+v", o)
	}
}
