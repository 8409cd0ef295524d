package chat

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// target is where a send goes: from which identity, to whom.
type target struct {
	conv       *steward.Conversation
	account    string
	recipients []steward.Party
	ref        steward.ConversationRef
	direction  steward.Direction
}

// resolve works out the sending identity and recipients of a conversation
// and checks consent: every outside member must have accepted the current
// notice. Returns ConsentRequired naming who has not.
func (s *Service) resolve(ctx context.Context, m *me, conversationID string) (*target, error) {
	conv, members, err := s.conversation(ctx, m, conversationID)
	if err != nil {
		return nil, err
	}
	own := false
	for _, mb := range members {
		if id, ok := m.addrs[mb.Address]; ok && id.Channel == conv.Channel {
			own = true
		}
	}
	if !own { // an inherited conversation: readable, never sent in
		return nil, steward.E(steward.Permission, "this conversation belonged to a departed colleague: you can read it, not send in it")
	}
	t := &target{conv: conv, direction: steward.DirInternal, ref: steward.ConversationRef{Kind: conv.Kind}}
	if conv.Kind == steward.ConversationGroup {
		t.ref.ID = strings.TrimPrefix(conv.Key, "group:")
	}
	contacts, err := s.contactsByAddress(ctx, m.emp.ID)
	if err != nil {
		return nil, err
	}
	for _, mb := range members {
		if id, ok := m.addrs[mb.Address]; ok && id.Channel == conv.Channel && t.account == "" {
			if id.Status != steward.IdentityActive {
				return nil, steward.E(steward.Permission, "your work identity is not active (is your phone linked?)")
			}
			t.account = mb.Address
			continue
		}
		p := steward.Party{Address: mb.Address}
		if _, err := s.Store.IdentityByAddress(ctx, conv.Channel, mb.Address); err == nil {
			t.recipients = append(t.recipients, p) // a colleague
			continue
		}
		t.direction = steward.DirOutbound
		c := contacts[string(conv.Channel)+"\x00"+mb.Address]
		if c == nil || c.ConsentState != steward.ConsentActive {
			n := mb.Address
			st := steward.ConsentState("")
			if c != nil {
				n, st = c.DisplayName, c.ConsentState
			}
			return nil, steward.E(steward.ConsentRequired, blockedReason(n, st))
		}
		p.Name, p.ContactID = c.DisplayName, c.ID
		t.recipients = append(t.recipients, p)
	}
	if t.account == "" {
		return nil, steward.E(steward.Permission, "you have no identity in this conversation")
	}
	if len(t.recipients) == 0 {
		return nil, steward.E(steward.Invalid, "the conversation has no one else in it")
	}
	return t, nil
}

// sender loads the acting employee and where a send in the conversation
// goes, checking membership and consent (see resolve).
func (s *Service) sender(ctx context.Context, employeeID, conversationID string) (*me, *target, error) {
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.resolve(ctx, m, conversationID)
	if err != nil {
		return nil, nil, err
	}
	return m, t, nil
}

// Send captures the employee's message and queues it for the channel. It
// returns once the message is durably archived; delivery follows (see
// MessageView.Status). Returns ConsentRequired (409 consent_required)
// when an outside member has not accepted the notice, in which case
// nothing is stored or sent; NotFound for a conversation the employee is
// not in; Invalid for an empty message; TooLarge past the limits.
func (s *Service) Send(ctx context.Context, employeeID, conversationID string, req SendRequest) (*SendResponse, error) {
	const op steward.Op = "chat.Send"
	if strings.TrimSpace(req.Body) == "" && len(req.Attachments) == 0 {
		return nil, steward.E(op, steward.Invalid, "write a message or attach a file")
	}
	m, t, err := s.sender(ctx, employeeID, conversationID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	it := s.item(m, t, steward.EventMessage)
	it.Body, it.Attachments = req.Body, req.Attachments
	if req.ReplyTo != "" {
		if it.ReplyTo, err = s.channelID(ctx, t, req.ReplyTo); err != nil {
			return nil, steward.E(op, err)
		}
	}
	return s.capture(ctx, op, t, it, steward.SendMessage)
}

func (s *Service) item(m *me, t *target, typ steward.EventType) *steward.Item {
	return &steward.Item{
		Type: typ, Channel: t.conv.Channel, Direction: t.direction,
		ChannelMessageID: "steward:" + steward.NewID(),
		Sender:           steward.Party{Address: t.account, Name: m.emp.DisplayName, EmployeeID: m.emp.ID},
		Recipients:       t.recipients, Conversation: t.ref, SentAt: s.now(),
	}
}

// capture archives it and, unless policy holds it back, queues its
// delivery.
func (s *Service) capture(ctx context.Context, op steward.Op, t *target, it *steward.Item, sop steward.SendOp) (*SendResponse, error) {
	c, err := s.Pipeline.Capture(ctx, it)
	if err != nil {
		return nil, steward.E(op, err)
	}
	resp := &SendResponse{RecordID: c.Ref.ID, LeafIndex: c.Ref.LeafIndex}
	if c.Decision != nil {
		resp.Reason = c.Decision.Outcome.Reason
		resp.Redactions = len(c.Decision.Outcome.Redact)
	}
	switch c.Hold {
	case pipeline.Blocked:
		resp.Status = StatusPolicyBlocked
		return resp, nil
	case pipeline.Quarantined:
		resp.Status = StatusQuarantined
		return resp, nil
	case pipeline.Confirm:
		resp.Status = StatusNeedsConfirmation
		return resp, nil
	}
	resp.Reason = ""
	d := &steward.Delivery{RecordID: c.Ref.ID, Channel: t.conv.Channel, Account: t.account, Op: sop, ConversationID: t.conv.ID}
	if err := s.Enqueue(ctx, d); err != nil {
		return nil, steward.E(op, err)
	}
	resp.DeliveryID, resp.Status = d.ID, steward.StatusQueued
	return resp, nil
}

// Confirm sends a message that policy held for the sender's confirmation
// (the warn action), once they give a justification; the justification is
// archived with the confirmation. Returns NotFound for a record not in
// the conversation, Permission for someone else's message, Conflict when
// the message was not waiting for confirmation (or was already sent),
// Invalid without a justification; otherwise errors as for Send.
func (s *Service) Confirm(ctx context.Context, employeeID, conversationID, recordID, justification string) (*SendResponse, error) {
	const op steward.Op = "chat.Confirm"
	justification = strings.TrimSpace(justification)
	if justification == "" || len(justification) > 2000 {
		return nil, steward.E(op, steward.Invalid, "give a justification (at most 2000 bytes)")
	}
	_, t, err := s.sender(ctx, employeeID, conversationID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	rec, meta, err := s.ownRecord(ctx, t, recordID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if pipeline.Hold(meta.Action) != pipeline.Confirm {
		return nil, steward.E(op, steward.Conflict, "this message is not waiting for your confirmation")
	}
	if _, err := s.Store.DeliveryByRecord(ctx, rec.ID); err == nil {
		return nil, steward.E(op, steward.Conflict, "this message was already confirmed")
	}
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(employeeID), Action: "message.confirm",
		Subject: rec.ID, Details: map[string]any{"justification": justification, "conversation_id": t.conv.ID}}); err != nil {
		return nil, steward.E(op, err)
	}
	d, err := s.enqueueRecord(ctx, t.conv, rec, meta)
	if err != nil {
		return nil, steward.E(op, err)
	}
	return &SendResponse{RecordID: rec.ID, LeafIndex: rec.LeafIndex, DeliveryID: d.ID, Status: steward.StatusQueued}, nil
}

// ownRecord returns a record of the conversation sent by the target's
// identity. NotFound, Permission.
func (s *Service) ownRecord(ctx context.Context, t *target, recordID string) (*steward.Record, *steward.RecordMeta, error) {
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return nil, nil, err
	}
	if rec.ConversationID != t.conv.ID {
		return nil, nil, steward.E(steward.NotFound, "message not found in this conversation")
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return nil, nil, steward.E(steward.Integrity, err)
	}
	if meta.Sender != t.account {
		return nil, nil, steward.E(steward.Permission, "that is not your message")
	}
	return rec, &meta, nil
}

// enqueueRecord queues an archived send of the conversation for its
// channel, as its sender.
func (s *Service) enqueueRecord(ctx context.Context, conv *steward.Conversation, rec *steward.Record, meta *steward.RecordMeta) (*steward.Delivery, error) {
	sop := steward.SendMessage
	if meta.Type == string(steward.EventEdit) {
		sop = steward.SendEdit
	}
	d := &steward.Delivery{RecordID: rec.ID, Channel: conv.Channel, Account: meta.Sender, Op: sop, ConversationID: conv.ID}
	if err := s.Enqueue(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// Released tells the chat side that a compliance officer released a
// quarantined record: a send made through Steward is queued for its
// channel (an inbound one was never held at the source, so only its
// recipients' inboxes change), and the conversation's members hear of it.
// The compliance service calls it after archiving the release. Returns
// NotFound; Conflict if the send was already queued.
func (s *Service) Released(ctx context.Context, recordID string) error {
	const op steward.Op = "chat.Released"
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return steward.E(op, err)
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return steward.E(op, steward.Integrity, err)
	}
	conv, err := s.Store.ConversationByID(ctx, rec.ConversationID)
	if err != nil {
		return steward.E(op, err)
	}
	if meta.Direction != steward.DirInbound && strings.HasPrefix(meta.ChannelID, "steward:") {
		if _, err := s.Store.DeliveryByRecord(ctx, rec.ID); err == nil {
			return steward.E(op, steward.Conflict, "already queued")
		}
		if _, err := s.enqueueRecord(ctx, conv, rec, &meta); err != nil {
			return steward.E(op, err)
		}
	}
	s.publishMembers(ctx, conv, Event{Type: "message", ConversationID: conv.ID, RecordID: rec.ID})
	return nil
}

// channelID returns the channel's id for a record of the conversation: the
// id it was captured under, or for the employee's own sends the id the
// channel gave it. Returns NotFound for a record of another conversation,
// Conflict for an own message not sent yet.
func (s *Service) channelID(ctx context.Context, t *target, recordID string) (string, error) {
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return "", err
	}
	if rec.ConversationID != t.conv.ID {
		return "", steward.E(steward.NotFound, "message not found in this conversation")
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return "", steward.E(steward.Integrity, err)
	}
	if !strings.HasPrefix(meta.ChannelID, "steward:") {
		return meta.ChannelID, nil
	}
	d, err := s.Store.DeliveryByRecord(ctx, rec.ID)
	if err != nil || d.ChannelMessageID == "" {
		return "", steward.E(steward.Conflict, "that message has not been sent yet")
	}
	return d.ChannelMessageID, nil
}

// React puts the employee's emoji on a message, or removes it. Errors as
// for Send.
func (s *Service) React(ctx context.Context, employeeID, conversationID, recordID, emoji string, remove bool) (*SendResponse, error) {
	const op steward.Op = "chat.React"
	if emoji == "" || len(emoji) > 64 {
		return nil, steward.E(op, steward.Invalid, "choose an emoji")
	}
	m, t, err := s.sender(ctx, employeeID, conversationID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	it := s.item(m, t, steward.EventReaction)
	if it.Target, err = s.channelID(ctx, t, recordID); err != nil {
		return nil, steward.E(op, err)
	}
	it.Emoji, it.Remove = emoji, remove
	return s.capture(ctx, op, t, it, steward.SendReaction)
}

// Delete deletes one of the employee's own messages for everyone. The
// archive keeps the original. Returns Permission for someone else's
// message; otherwise errors as for Send.
func (s *Service) Delete(ctx context.Context, employeeID, conversationID, recordID string) (*SendResponse, error) {
	const op steward.Op = "chat.Delete"
	m, t, err := s.sender(ctx, employeeID, conversationID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil {
		return nil, steward.E(op, steward.Integrity, err)
	}
	if meta.Sender != t.account || meta.Type != string(steward.EventMessage) {
		return nil, steward.E(op, steward.Permission, "you can delete only your own messages")
	}
	it := s.item(m, t, steward.EventDelete)
	if it.Target, err = s.channelID(ctx, t, recordID); err != nil {
		return nil, steward.E(op, err)
	}
	return s.capture(ctx, op, t, it, steward.SendDelete)
}

// CreateGroup creates a group on the employee's channel with the given
// members, who must all be colleagues or consented contacts. The change
// is made on the channel first (the group id comes from it) and then
// archived as a membership event. Returns ConsentRequired, Permission
// (the group rule refused), Unavailable (no group support configured).
func (s *Service) CreateGroup(ctx context.Context, employeeID string, req GroupRequest) (*ConversationView, error) {
	const op steward.Op = "chat.CreateGroup"
	title := strings.TrimSpace(req.Title)
	if title == "" || len(title) > 128 {
		return nil, steward.E(op, steward.Invalid, "a group needs a name (at most 128 bytes)")
	}
	if len(req.Add) == 0 {
		return nil, steward.E(op, steward.Invalid, "add at least one member")
	}
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var id *steward.Identity
	for _, x := range m.ids {
		if x.Status == steward.IdentityActive {
			id = x
			break
		}
	}
	if id == nil {
		return nil, steward.E(op, steward.Permission, "you have no active work identity")
	}
	gm := s.Groups[id.Channel]
	if gm == nil {
		return nil, steward.Errorf(op, steward.Unavailable, "groups are not available on %s here", id.Channel)
	}
	add, err := s.checkMembers(ctx, m, id.Channel, req.Add)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if s.Rule != nil {
		if err := s.Rule.CheckGroup(ctx, GroupChange{Employee: m.emp, Channel: id.Channel,
			Operation: GroupCreate, Members: req.Add, Request: req}); err != nil {
			return nil, steward.E(op, err)
		}
	}
	gid, err := gm.CreateGroup(ctx, id.Address, title, req.Add)
	if err != nil {
		return nil, steward.E(op, err)
	}
	it := &steward.Item{Type: steward.EventMembership, Channel: id.Channel, Direction: steward.DirOutbound,
		ChannelMessageID: "steward:" + steward.NewID(),
		Sender:           steward.Party{Address: id.Address, Name: m.emp.DisplayName, EmployeeID: m.emp.ID},
		Conversation:     steward.ConversationRef{ID: gid, Kind: steward.ConversationGroup, Title: title},
		MembersAdded:     add, SentAt: s.now(), Extra: approvalExtra(req)}
	c, err := s.Pipeline.Capture(ctx, it)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AddMembers(ctx, c.Conversation.ID, []steward.Member{{Address: id.Address, Admin: true, AddedAt: s.now()}}); err != nil {
		return nil, steward.E(op, err)
	}
	s.titles.Store(c.Conversation.ID, title)
	return s.conversationView(ctx, m, c.Conversation.ID)
}

// ExtraApproval is the Item.Extra key naming the approval a group change
// was made under, so policy judging the archived change knows it was
// approved.
const ExtraApproval = "approval_id"

func approvalExtra(req GroupRequest) map[string]any {
	if req.ApprovalID == "" {
		return nil
	}
	return map[string]any{ExtraApproval: req.ApprovalID}
}

// checkMembers turns addresses into parties, refusing anyone who is
// neither a colleague nor a contact with active consent.
func (s *Service) checkMembers(ctx context.Context, m *me, ch steward.Channel, addrs []string) ([]steward.Party, error) {
	contacts, err := s.contactsByAddress(ctx, m.emp.ID)
	if err != nil {
		return nil, err
	}
	var out []steward.Party
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if id, err := s.Store.IdentityByAddress(ctx, ch, a); err == nil {
			out = append(out, steward.Party{Address: a, EmployeeID: id.EmployeeID})
			continue
		}
		c := contacts[string(ch)+"\x00"+a]
		if c == nil || c.ConsentState != steward.ConsentActive {
			n, st := a, steward.ConsentState("")
			if c != nil {
				n, st = c.DisplayName, c.ConsentState
			}
			return nil, steward.E(steward.ConsentRequired, blockedReason(n, st))
		}
		out = append(out, steward.Party{Address: a, Name: c.DisplayName, ContactID: c.ID})
	}
	return out, nil
}

// UpdateGroup adds or removes members and makes admins. Rules and errors
// as for CreateGroup; only a group admin may change a group.
func (s *Service) UpdateGroup(ctx context.Context, employeeID, conversationID string, req GroupRequest) (*ConversationView, error) {
	const op steward.Op = "chat.UpdateGroup"
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	conv, members, err := s.conversation(ctx, m, conversationID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if conv.Kind != steward.ConversationGroup {
		return nil, steward.E(op, steward.Invalid, "only groups have members to change")
	}
	account := ""
	for _, mb := range members {
		if _, ok := m.addrs[mb.Address]; ok {
			account = mb.Address
			if !mb.Admin {
				return nil, steward.E(op, steward.Permission, "only a group admin can change its members")
			}
		}
	}
	gm := s.Groups[conv.Channel]
	if gm == nil {
		return nil, steward.Errorf(op, steward.Unavailable, "groups are not available on %s here", conv.Channel)
	}
	add, err := s.checkMembers(ctx, m, conv.Channel, req.Add)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if s.Rule != nil {
		for _, c := range []GroupChange{
			{Operation: GroupAdd, Members: req.Add},
			{Operation: GroupMakeAdmin, Members: req.Admins},
		} {
			if len(c.Members) == 0 {
				continue
			}
			c.Employee, c.Channel, c.Conversation, c.Request = m.emp, conv.Channel, conv, req
			if err := s.Rule.CheckGroup(ctx, c); err != nil {
				return nil, steward.E(op, err)
			}
		}
	}
	gid := strings.TrimPrefix(conv.Key, "group:")
	if err := gm.UpdateGroup(ctx, account, gid, req.Add, req.Remove, req.Admins); err != nil {
		return nil, steward.E(op, err)
	}
	it := &steward.Item{Type: steward.EventMembership, Channel: conv.Channel, Direction: steward.DirOutbound,
		ChannelMessageID: "steward:" + steward.NewID(),
		Sender:           steward.Party{Address: account, Name: m.emp.DisplayName, EmployeeID: m.emp.ID},
		Conversation:     steward.ConversationRef{ID: gid, Kind: steward.ConversationGroup},
		MembersAdded:     add, SentAt: s.now(), Extra: approvalExtra(req)}
	for _, a := range req.Remove {
		it.MembersRemoved = append(it.MembersRemoved, steward.Party{Address: a})
	}
	if len(it.MembersAdded)+len(it.MembersRemoved) > 0 {
		if _, err := s.Pipeline.Capture(ctx, it); err != nil {
			return nil, steward.E(op, err)
		}
	}
	if len(req.Admins) > 0 {
		var ms []steward.Member
		for _, a := range req.Admins {
			ms = append(ms, steward.Member{Address: a, Admin: true, AddedAt: s.now()})
		}
		if err := s.Store.AddMembers(ctx, conv.ID, ms); err != nil {
			return nil, steward.E(op, err)
		}
		if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(employeeID), Action: "group.admins",
			Subject: conv.ID, Details: map[string]any{"admins": req.Admins}}); err != nil {
			return nil, steward.E(op, err)
		}
	}
	return s.conversationView(ctx, m, conv.ID)
}

func (s *Service) conversationView(ctx context.Context, m *me, id string) (*ConversationView, error) {
	conv, members, err := s.conversation(ctx, m, id)
	if err != nil {
		return nil, err
	}
	contacts, err := s.contactsByAddress(ctx, m.emp.ID)
	if err != nil {
		return nil, err
	}
	v := s.view(ctx, m, conv, members, contacts)
	return &v, nil
}

// linkTimeout bounds how long a started link waits for the phone.
const linkTimeout = 10 * time.Minute

// StartLink begins linking Steward as a device of the employee's own
// account for a linked identity, and returns the URI to show as a QR
// code. The link finishes in the background; LinkStatus follows it.
// Returns NotFound for another employee's identity, Invalid for a
// governed identity, Unavailable if the channel cannot link.
func (s *Service) StartLink(ctx context.Context, employeeID, identityID string) (*LinkSession, error) {
	const op steward.Op = "chat.StartLink"
	id, err := s.Store.IdentityByID(ctx, identityID)
	if err != nil || id.EmployeeID != employeeID {
		return nil, steward.E(op, steward.NotFound, "identity not found")
	}
	if id.Mode != steward.IdentityLinked {
		return nil, steward.E(op, steward.Invalid, "only a linked identity (your own phone) is linked; this one is held by the organization")
	}
	if cur, ok := s.links.Load(id.ID); ok && cur.(*LinkSession).State == "waiting" {
		return cur.(*LinkSession), nil
	}
	lk := s.Linkers[id.Channel]
	if lk == nil {
		return nil, steward.Errorf(op, steward.Unavailable, "linking is not available on %s here", id.Channel)
	}
	uri, err := lk.StartLink(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	ls := &LinkSession{IdentityID: id.ID, URI: uri, State: "waiting", StartedAt: s.now()}
	s.links.Store(id.ID, ls)
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(employeeID), Action: "identity.link.start", Subject: id.ID}); err != nil {
		return nil, steward.E(op, err)
	}
	go s.finishLink(context.WithoutCancel(ctx), lk, id, ls)
	return ls, nil
}

func (s *Service) finishLink(ctx context.Context, lk Linker, id *steward.Identity, ls *LinkSession) {
	ctx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	number, err := lk.FinishLink(ctx, ls.URI, "Steward records")
	next := *ls
	switch {
	case err != nil:
		next.State, next.Error = "failed", steward.PublicMessage(err)
	case number != id.Address:
		next.State, next.Error = "failed", "the phone that scanned the code is not this identity's number"
	default:
		id.Status, id.UpdatedAt = steward.IdentityActive, s.now()
		if err := s.Store.UpdateIdentity(ctx, id); err != nil {
			next.State, next.Error = "failed", steward.PublicMessage(err)
			break
		}
		next.State = "linked"
	}
	s.links.Store(id.ID, &next)
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(id.EmployeeID), Action: "identity.link." + next.State,
		Subject: id.ID, Details: map[string]any{"error": next.Error}}); err != nil {
		s.logger().Error("chat: link audit", "err", err)
	}
	s.Hub.Publish(id.EmployeeID, Event{Type: "identity"})
}

// LinkStatus reports a link started with StartLink. Returns NotFound if
// none was started for this employee's identity.
func (s *Service) LinkStatus(ctx context.Context, employeeID, identityID string) (*LinkSession, error) {
	const op steward.Op = "chat.LinkStatus"
	id, err := s.Store.IdentityByID(ctx, identityID)
	if err != nil || id.EmployeeID != employeeID {
		return nil, steward.E(op, steward.NotFound, "identity not found")
	}
	v, ok := s.links.Load(id.ID)
	if !ok {
		if id.Status == steward.IdentityActive {
			return &LinkSession{IdentityID: id.ID, State: "linked"}, nil
		}
		return nil, steward.E(op, steward.NotFound, "no link in progress")
	}
	ls := *v.(*LinkSession)
	return &ls, nil
}
