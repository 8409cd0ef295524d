package compliance

import (
	"context"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// ApprovalGroupChange is the Approval.Kind of a group change waiting for a
// supervisor.
const ApprovalGroupChange = "group_change"

// CheckGroup is the chat service's group rule: the group policies judge
// every group change before it is made on the channel. block refuses it
// (Permission, with the policy's reason); approval records a request for
// the employee's supervisor and refuses it for now (Permission saying
// so); the change is made once the supervisor approves (see
// DecideApproval). flag and allow let it through; the flag is recorded
// when the change is archived.
func (s *Service) CheckGroup(ctx context.Context, ch chat.GroupChange) error {
	const op steward.Op = "compliance.CheckGroup"
	set, _, _ := s.current()
	if set == nil {
		return steward.E(op, steward.Unavailable, "policies are not loaded")
	}
	if ch.Request.ApprovalID != "" {
		ok, err := s.approved(ctx, ch)
		if err != nil {
			return steward.E(op, err)
		}
		if ok {
			return nil
		}
	}
	in, err := s.groupInput(ctx, ch.Channel, ch.Conversation, ch.Operation, ch.Employee.ID, "", ch.Members, ch.Employee.ID)
	if err != nil {
		return steward.E(op, err)
	}
	d := set.Group(in)
	switch d.Action {
	case steward.ActionBlock:
		return steward.E(op, steward.Permission, orDefault(d.Reason(), "group policy does not allow this change"))
	case steward.ActionApproval:
		a, err := s.requestApproval(ctx, ch, d)
		if err != nil {
			return steward.E(op, err)
		}
		who := "your supervisor"
		if e, err := s.Store.EmployeeByID(ctx, a.Approver); err == nil {
			who = e.DisplayName
		}
		return steward.Errorf(op, steward.Permission, "%s Approval request %s was sent to %s; the change is made once approved.",
			orDefault(d.Reason(), "This change needs your supervisor's approval."), a.ID, who)
	}
	return nil
}

// approved reports whether the change is the one an approval granted.
func (s *Service) approved(ctx context.Context, ch chat.GroupChange) (bool, error) {
	a, err := s.Store.ApprovalByID(ctx, ch.Request.ApprovalID)
	if err != nil {
		return false, err
	}
	if a.Kind != ApprovalGroupChange || a.State != steward.ApprovalApproved || a.RequestedBy != ch.Employee.ID {
		return false, nil
	}
	granted, _ := a.Payload["members"].([]any)
	for _, m := range ch.Members {
		if !slices.Contains(granted, any(m)) {
			return false, nil
		}
	}
	return true, nil
}

// requestApproval records a pending approval for the employee's
// supervisor (their manager, or the configured successor of a departed
// one). Returns Permission when the employee has no one to ask.
func (s *Service) requestApproval(ctx context.Context, ch chat.GroupChange, d *policy.Decision) (*steward.Approval, error) {
	approver, err := steward.ManagerID(ctx, s.Store, ch.Employee.ManagerID)
	if err != nil && !steward.Is(steward.NotFound, err) {
		return nil, err
	}
	if approver == "" {
		return nil, steward.E(steward.Permission, "this change needs a supervisor's approval, and your directory entry names no manager")
	}
	conv := ""
	if ch.Conversation != nil {
		conv = ch.Conversation.ID
	}
	members := make([]any, len(ch.Members))
	for i, m := range ch.Members {
		members[i] = m
	}
	a := &steward.Approval{ID: steward.NewID(), Kind: ApprovalGroupChange, Subject: conv, RequestedBy: ch.Employee.ID,
		Approver: approver, State: steward.ApprovalPending, Reason: d.Reason(), CreatedAt: s.now().UTC(),
		Payload: map[string]any{"operation": ch.Operation, "channel": string(ch.Channel), "members": members,
			"title": ch.Request.Title, "add": toAny(ch.Request.Add), "admins": toAny(ch.Request.Admins),
			"remove": toAny(ch.Request.Remove), "policies": matchIDs(d)}}
	if err := s.audit(ctx, "employee:"+ch.Employee.ID, "approval.request", a.ID,
		map[string]any{"kind": a.Kind, "approver": approver, "conversation_id": conv, "operation": ch.Operation}); err != nil {
		return nil, err
	}
	if err := s.Store.AddApproval(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// decideMembership judges a membership change after the fact: it has
// already happened on the channel, so a refusal becomes a flag for review.
func (s *Service) decideMembership(ctx context.Context, set *policy.Set, it *steward.Item, conv *steward.Conversation) (*pipeline.Decision, error) {
	if len(it.MembersAdded) == 0 || conv == nil {
		return nil, nil
	}
	added := make([]string, 0, len(it.MembersAdded))
	for _, m := range it.MembersAdded {
		added = append(added, m.Address)
	}
	owner := it.Sender.EmployeeID
	in, err := s.groupInput(ctx, it.Channel, conv, chat.GroupAdd, it.Sender.EmployeeID, it.Sender.Address, added, owner)
	if err != nil {
		return nil, err
	}
	// The conversation already counts the new members; policy judges the
	// group as it was before them.
	in.GroupSize -= len(added)
	for _, m := range in.Members {
		if !m.Inside {
			in.OutsideMembers--
		}
	}
	d := set.Group(in)
	said := d.Action
	if id, _ := it.Extra[chat.ExtraApproval].(string); id != "" && said == steward.ActionApproval {
		if a, err := s.Store.ApprovalByID(ctx, id); err == nil && a.State == steward.ApprovalApproved {
			said = steward.ActionAllow
		}
	}
	out := steward.PolicyOutcome{Action: steward.ActionAllow, SetVersion: d.SetVersion,
		Flag: said.Rank() >= steward.ActionFlag.Rank() || len(d.Errors) > 0}
	if said != steward.ActionAllow {
		out.Said = said
	}
	if out.Flag {
		out.Reason = d.Reason()
	}
	details := map[string]any{"matches": d.Matches, "operation": chat.GroupAdd, "after_the_fact": true}
	if len(d.Errors) > 0 {
		details["errors"] = d.Errors
	}
	return &pipeline.Decision{Outcome: out, Details: details}, nil
}

// groupInput builds what group policies see. actorID is the acting
// employee ("" for an outside actor at actorAddr); owner is the employee
// whose contacts' consent counts.
func (s *Service) groupInput(ctx context.Context, ch steward.Channel, conv *steward.Conversation, op, actorID, actorAddr string,
	members []string, owner string) (*policy.GroupInput, error) {
	in := &policy.GroupInput{Operation: op, Channel: string(ch), Time: s.now()}
	var err error
	if in.Actor, err = s.party(ctx, ch, actorAddr, actorID, owner); err != nil {
		return nil, err
	}
	if conv != nil {
		ms, err := s.Store.Members(ctx, conv.ID)
		if err != nil {
			return nil, err
		}
		in.GroupSize = len(ms)
		for _, m := range ms {
			if _, err := s.Store.IdentityByAddress(ctx, ch, m.Address); steward.Is(steward.NotFound, err) {
				in.OutsideMembers++
			} else if err != nil {
				return nil, err
			}
		}
	} else {
		in.GroupSize = 1 // the creator
	}
	for _, a := range members {
		p, err := s.party(ctx, ch, a, "", owner)
		if err != nil {
			return nil, err
		}
		in.Members = append(in.Members, p)
	}
	return in, nil
}

// Approvals lists the approvals waiting for an employee, or every pending
// one when approver is "".
func (s *Service) Approvals(ctx context.Context, approver string, state steward.ApprovalState) ([]*steward.Approval, error) {
	as, err := s.Store.Approvals(ctx, "", state, approver)
	if err != nil {
		return nil, steward.E(steward.Op("compliance.Approvals"), err)
	}
	return as, nil
}

// GroupChanger makes group changes as an employee; chat.Service is one.
type GroupChanger interface {
	CreateGroup(ctx context.Context, employeeID string, req chat.GroupRequest) (*chat.ConversationView, error)
	UpdateGroup(ctx context.Context, employeeID, conversationID string, req chat.GroupRequest) (*chat.ConversationView, error)
}

// DecideApproval records a supervisor's answer to an approval request and,
// when approved, makes the change at once through Groups, as the
// requester (the rules are asked again and see the approval). Only the
// named approver may answer: Permission otherwise; Conflict when already
// answered; NotFound. If the approved change then fails (a member's
// consent ended meanwhile, say), the approval stands and the error says
// why; the requester may make the change themselves, citing it.
func (s *Service) DecideApproval(ctx context.Context, employeeID, id string, approve bool, note string) (*steward.Approval, error) {
	const op steward.Op = "compliance.DecideApproval"
	a, err := s.Store.ApprovalByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if a.Approver != employeeID {
		return nil, steward.E(op, steward.Permission, "only the named approver can answer this request")
	}
	if a.State != steward.ApprovalPending {
		return nil, steward.Errorf(op, steward.Conflict, "this request was already %s", a.State)
	}
	state := steward.ApprovalDenied
	if approve {
		state = steward.ApprovalApproved
	}
	if err := s.audit(ctx, "employee:"+employeeID, "approval."+string(state), a.ID,
		map[string]any{"kind": a.Kind, "requested_by": a.RequestedBy, "note": note}); err != nil {
		return nil, steward.E(op, err)
	}
	now := s.now().UTC()
	if err := s.Store.DecideApproval(ctx, a.ID, state, employeeID, now); err != nil {
		return nil, steward.E(op, err)
	}
	a.State, a.DecidedBy, a.DecidedAt = state, employeeID, &now
	if approve && a.Kind == ApprovalGroupChange && s.Groups != nil {
		operation, conv, req := GroupRequestOf(a)
		var err error
		if operation == chat.GroupCreate {
			_, err = s.Groups.CreateGroup(ctx, a.RequestedBy, req)
		} else {
			_, err = s.Groups.UpdateGroup(ctx, a.RequestedBy, conv, req)
		}
		if err != nil {
			return a, steward.E(op, err)
		}
	}
	return a, nil
}

// GroupRequestOf rebuilds the group request an approval was granted for.
func GroupRequestOf(a *steward.Approval) (op, conversationID string, req chat.GroupRequest) {
	op, _ = a.Payload["operation"].(string)
	req.Title, _ = a.Payload["title"].(string)
	req.Add = fromAny(a.Payload["add"])
	req.Admins = fromAny(a.Payload["admins"])
	req.Remove = fromAny(a.Payload["remove"])
	req.ApprovalID = a.ID
	return op, a.Subject, req
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func fromAny(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func matchIDs(d *policy.Decision) []string {
	var ids []string
	for _, m := range d.Matches {
		ids = append(ids, m.PolicyID)
	}
	return ids
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
