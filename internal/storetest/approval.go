package storetest

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testApprovals checks steward.ApprovalStore.
func testApprovals(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 8, 1, 9, 0, 0, 123456789, time.UTC)
	as, err := s.Approvals(ctx, "", "", "")
	must(t, "Approvals (empty)", err)
	if len(as) != 0 {
		t.Fatalf("new store has approvals %+v", as)
	}

	n := 0
	add := func(kind, approver string) *steward.Approval {
		t.Helper()
		n++
		a := &steward.Approval{ID: steward.NewID(), Kind: kind, Subject: steward.NewID(), RequestedBy: "emp-1",
			Approver: approver, State: steward.ApprovalPending, CreatedAt: t0.Add(time.Duration(n) * time.Minute)}
		must(t, "AddApproval", s.AddApproval(ctx, a))
		return a
	}
	// Payloads are JSON: numbers read back as float64, lists as []any.
	groupAdd := &steward.Approval{ID: steward.NewID(), Kind: "group_add", Subject: "conv-1", RequestedBy: "emp-1",
		Approver: "sup-1", Reason: "adding the county's counsel",
		Payload: map[string]any{"conversation_id": "conv-1", "members": []any{"+15550200", "+15550201"},
			"admin": false, "count": float64(2)},
		State: steward.ApprovalPending, CreatedAt: t0}
	must(t, "AddApproval", s.AddApproval(ctx, groupAdd))
	got, err := s.ApprovalByID(ctx, groupAdd.ID)
	must(t, "ApprovalByID", err)
	same(t, "ApprovalByID", normApproval(got), normApproval(groupAdd))
	_, err = s.ApprovalByID(ctx, steward.NewID())
	wantKind(t, "ApprovalByID unknown", err, steward.NotFound)

	// An empty state is pending; CreatedAt is set when missing.
	before := time.Now().Add(-time.Second)
	bare := &steward.Approval{ID: steward.NewID(), Kind: "disposition", RequestedBy: "rm-1"}
	must(t, "AddApproval", s.AddApproval(ctx, bare))
	if bare.State != steward.ApprovalPending || bare.CreatedAt.Before(before) {
		t.Fatalf("AddApproval left State %q, CreatedAt %v; want pending, now", bare.State, bare.CreatedAt)
	}
	got, err = s.ApprovalByID(ctx, bare.ID)
	must(t, "ApprovalByID", err)
	same(t, "bare approval", normApproval(got), normApproval(bare))

	for name, a := range map[string]*steward.Approval{
		"no id":        {Kind: "group_add", RequestedBy: "emp-1"},
		"no kind":      {ID: steward.NewID(), RequestedBy: "emp-1"},
		"no requester": {ID: steward.NewID(), Kind: "group_add"},
		"approved":     {ID: steward.NewID(), Kind: "group_add", RequestedBy: "emp-1", State: steward.ApprovalApproved},
	} {
		wantKind(t, "AddApproval, "+name, s.AddApproval(ctx, a), steward.Invalid)
	}
	dup := *groupAdd
	wantKind(t, "AddApproval with a taken id", s.AddApproval(ctx, &dup), steward.Conflict)

	a1 := add("group_add", "sup-1")
	a2 := add("group_add", "sup-2")
	d1 := add("disposition", "")
	a3 := add("group_add", "sup-1")

	// Decide: once only.
	at := t0.Add(time.Hour)
	must(t, "DecideApproval", s.DecideApproval(ctx, a1.ID, steward.ApprovalApproved, "sup-1", at))
	a1.State, a1.DecidedBy, a1.DecidedAt = steward.ApprovalApproved, "sup-1", &at
	got, err = s.ApprovalByID(ctx, a1.ID)
	must(t, "ApprovalByID", err)
	same(t, "approved", normApproval(got), normApproval(a1))
	wantKind(t, "DecideApproval of a decided approval", s.DecideApproval(ctx, a1.ID, steward.ApprovalDenied, "sup-2", at),
		steward.Conflict)
	wantKind(t, "DecideApproval again, same way", s.DecideApproval(ctx, a1.ID, steward.ApprovalApproved, "sup-1", at),
		steward.Conflict)
	got, err = s.ApprovalByID(ctx, a1.ID)
	must(t, "ApprovalByID", err)
	same(t, "approval after a refused decision", normApproval(got), normApproval(a1))
	must(t, "DecideApproval (deny)", s.DecideApproval(ctx, d1.ID, steward.ApprovalDenied, "rm-2", at))
	d1.State, d1.DecidedBy, d1.DecidedAt = steward.ApprovalDenied, "rm-2", &at
	wantKind(t, "DecideApproval unknown", s.DecideApproval(ctx, steward.NewID(), steward.ApprovalApproved, "x", at),
		steward.NotFound)
	wantKind(t, "DecideApproval to pending", s.DecideApproval(ctx, a2.ID, steward.ApprovalPending, "sup-2", at),
		steward.Invalid)
	wantKind(t, "DecideApproval to an unknown state", s.DecideApproval(ctx, a2.ID, "maybe", "sup-2", at),
		steward.Invalid)

	// Lists: newest first, by kind, state and approver.
	list := func(kind string, state steward.ApprovalState, approver string) []steward.Approval {
		t.Helper()
		as, err := s.Approvals(ctx, kind, state, approver)
		must(t, "Approvals", err)
		out := []steward.Approval{}
		for _, a := range as {
			out = append(out, normApproval(a))
		}
		return out
	}
	norm := func(as ...*steward.Approval) []steward.Approval {
		out := []steward.Approval{}
		for _, a := range as {
			out = append(out, normApproval(a))
		}
		return out
	}
	same(t, "Approvals()", list("", "", ""), norm(bare, a3, d1, a2, a1, groupAdd))
	same(t, "Approvals(group_add)", list("group_add", "", ""), norm(a3, a2, a1, groupAdd))
	same(t, "Approvals(pending)", list("", steward.ApprovalPending, ""), norm(bare, a3, a2, groupAdd))
	same(t, "Approvals(group_add, pending, sup-1)", list("group_add", steward.ApprovalPending, "sup-1"), norm(a3, groupAdd))
	same(t, "Approvals(sup-1)", list("", "", "sup-1"), norm(a3, a1, groupAdd))
	same(t, "Approvals(denied)", list("", steward.ApprovalDenied, ""), norm(d1))
	same(t, "Approvals(disposition, approved)", list("disposition", steward.ApprovalApproved, ""), norm())

	must(t, "Close", s.Close())
	_, err = s.Approvals(ctx, "", "", "")
	wantKind(t, "Approvals after Close", err, steward.Unavailable)
	wantKind(t, "DecideApproval after Close", s.DecideApproval(ctx, a2.ID, steward.ApprovalApproved, "sup-2", at),
		steward.Unavailable)
}

func normApproval(a *steward.Approval) steward.Approval {
	n := *a
	n.CreatedAt, n.DecidedAt = ts(n.CreatedAt), tsp(n.DecidedAt)
	if len(n.Payload) == 0 {
		n.Payload = nil
	}
	return n
}
