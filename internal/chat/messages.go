package chat

import (
	"context"
	"fmt"
	"sort"

	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// maxView bounds how many records one conversation view decrypts.
const maxView = 500

// Messages returns a conversation as the employee sees it: the newest
// messages (at most limit, default and cap 500 records) with edits,
// deletions, reactions, receipts and delivery status applied, and consent
// and membership notices. Held items appear once consent is given and
// never after a decline or expiry. The read is audited before anything is
// returned. Returns NotFound for a conversation the employee is not in.
func (s *Service) Messages(ctx context.Context, employeeID, conversationID string, limit int) (*ConversationView, []MessageView, error) {
	const op steward.Op = "chat.Messages"
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	conv, members, err := s.conversation(ctx, m, conversationID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	if limit <= 0 || limit > maxView {
		limit = maxView
	}
	recs, err := s.Store.LastConversationRecords(ctx, conv.ID, limit)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(employeeID), Action: "conversation.read",
		Subject: conv.ID, Details: map[string]any{"records": len(recs)}}); err != nil {
		return nil, nil, steward.E(op, err)
	}
	contacts, err := s.contactsSeen(ctx, m)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	b := &builder{s: s, m: m, conv: conv, contacts: contacts, byChannel: map[string]*MessageView{}}
	msgs := b.build(ctx, recs)
	v := s.view(ctx, m, conv, members, contacts)
	return &v, msgs, nil
}

// entry is one opened record.
type entry struct {
	rec  *steward.Record
	meta *steward.RecordMeta
	c    *steward.Content
}

type builder struct {
	s         *Service
	m         *me
	conv      *steward.Conversation
	contacts  map[string]*steward.Contact
	byChannel map[string]*MessageView // channel ids (and aliases) → message
	out       []*MessageView
	held      map[string][]*MessageView // sender address → messages awaiting consent
}

func (b *builder) party(p steward.Party) PartyView {
	v := PartyView{Address: p.Address, Name: p.Name, EmployeeID: p.EmployeeID, ContactID: p.ContactID}
	if id, ok := b.m.addrs[p.Address]; ok && id.Channel == b.conv.Channel {
		v.Me, v.Name, v.EmployeeID = true, b.m.emp.DisplayName, b.m.emp.ID
	} else if id, ok := b.m.inherited[p.Address]; ok && id.Channel == b.conv.Channel {
		v.EmployeeID = id.EmployeeID
		if d := b.m.departed[id.EmployeeID]; d != nil {
			v.Name = d.DisplayName + " (departed)"
		}
	} else if c := b.contacts[string(b.conv.Channel)+"\x00"+p.Address]; c != nil {
		v.ContactID, v.ConsentState = c.ID, c.ConsentState
		if c.DisplayName != "" {
			v.Name = c.DisplayName
		}
	}
	return v
}

func name(p PartyView) string {
	if p.Me {
		return "You"
	}
	if p.Name != "" {
		return p.Name
	}
	return p.Address
}

// build opens the records, makes the messages and notices in a first
// pass, then applies the events in log order, so an event finds its
// target even when it was captured before the target's delivery alias.
func (b *builder) build(ctx context.Context, recs []*steward.Record) []MessageView {
	var events []entry
	for _, r := range recs {
		meta, c, err := b.s.Reader.OpenRecord(ctx, r)
		if steward.Is(steward.Gone, err) {
			b.out = append(b.out, &MessageView{RecordID: r.ID, Kind: "notice", SentAt: r.CapturedAt,
				Notice: "A record here was destroyed under the records schedule."})
			continue
		}
		if err != nil {
			b.s.logger().Error("chat: record cannot be opened", "record", r.ID, "err", err)
			continue
		}
		e := entry{rec: r, meta: meta, c: c}
		if c.Conversation.Title != "" && b.conv.Kind == steward.ConversationGroup {
			b.s.titles.Store(b.conv.ID, c.Conversation.Title)
		}
		switch steward.EventType(meta.Type) {
		case steward.EventMessage:
			b.message(ctx, e)
		case steward.EventConsent:
			b.consent(ctx, e)
		case steward.EventMembership:
			b.membership(e)
		default:
			events = append(events, e)
		}
	}
	for _, e := range events {
		b.event(e)
	}
	out := make([]MessageView, 0, len(b.out))
	for _, v := range b.out {
		if v.Status == "held" || v.Status == "blocked" {
			continue
		}
		out = append(out, *v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SentAt.Before(out[j].SentAt) })
	return out
}

func (b *builder) add(e entry, v *MessageView) {
	v.RecordID, v.ChannelMessageID, v.Direction = e.rec.ID, e.meta.ChannelID, e.meta.Direction
	if e.meta.SentAt != nil {
		v.SentAt = *e.meta.SentAt
	} else {
		v.SentAt = e.rec.CapturedAt
	}
	b.byChannel[e.meta.ChannelID] = v
	b.out = append(b.out, v)
}

// delivery applies the outbox's view of one of the employee's sends and
// registers the channel's id for it as an alias.
func (b *builder) delivery(ctx context.Context, v *MessageView) {
	d, err := b.s.Store.DeliveryByRecord(ctx, v.RecordID)
	if err != nil {
		if !steward.Is(steward.NotFound, err) {
			b.s.logger().Error("chat: delivery lookup", "record", v.RecordID, "err", err)
		}
		return
	}
	if d.ChannelMessageID != "" {
		b.byChannel[d.ChannelMessageID] = v
	}
	v.Recipients = d.Results
	switch d.State {
	case steward.DeliveryQueued:
		v.Status = steward.StatusQueued
		if d.LastError != "" {
			v.StatusDetail = "Retrying: " + d.LastError
		}
	case steward.DeliveryRateLimited:
		v.Status, v.StatusDetail = steward.StatusRateLimited, "Rate limited by the channel; will retry"
	case steward.DeliveryFailed, steward.DeliveryCancelled:
		v.Status, v.StatusDetail = steward.StatusFailed, d.LastError
	case steward.DeliverySent:
		v.Status = steward.StatusSent
		for _, r := range d.Results {
			if r.Status != steward.StatusSent {
				v.Status, v.StatusDetail = r.Status, r.Detail
				break
			}
		}
	}
}

func (b *builder) message(ctx context.Context, e entry) {
	if e.c.Body == "" && len(e.c.Attachments) == 0 && e.c.Extra[steward.ExtraAttachmentsMissing] == nil {
		// A bare group update or timer change: archived, but what it
		// changed is shown by its membership event, not as an empty bubble.
		return
	}
	v := &MessageView{Kind: "message", Sender: b.party(e.c.Sender), Body: e.c.Body}
	v.Mine = v.Sender.Me
	for _, a := range e.c.Attachments {
		v.Attachments = append(v.Attachments, AttachmentView{RecordID: a.RecordID, Filename: a.Filename,
			ContentType: a.ContentType, Size: a.Size})
	}
	if miss, ok := e.c.Extra[steward.ExtraAttachmentsMissing].([]any); ok {
		v.MissingFiles = len(miss)
	}
	if t := b.byChannel[e.meta.ReplyTo]; t != nil && e.meta.ReplyTo != "" {
		v.ReplyTo = t.RecordID
	}
	b.add(e, v)
	if v.Mine {
		b.delivery(ctx, v)
	}
	if pol := e.c.Policy; pol != nil && len(pol.Redact) > 0 {
		v.Redactions = len(pol.Redact)
		if !v.Mine {
			v.Body = e.c.DeliveredBody() // others see the copy that went out
		}
	}
	switch pipeline.Hold(e.meta.Action) {
	case pipeline.Quarantined, pipeline.Confirm, pipeline.Blocked:
		if e.c.Policy != nil {
			b.policyHold(ctx, e, v)
			return
		}
	}
	switch pipeline.Hold(e.meta.Action) {
	case pipeline.HoldItem:
		if b.conv.Kind == steward.ConversationGroup && v.Sender.ConsentState == steward.ConsentActive {
			// Held in a group until its sender consented one to one; that
			// consent is recorded in the direct conversation, not here, so
			// the sender's present state decides.
			break
		}
		v.Status = "held"
		if b.held == nil {
			b.held = map[string][]*MessageView{}
		}
		b.held[e.c.Sender.Address] = append(b.held[e.c.Sender.Address], v)
	case pipeline.Blocked:
		v.Status = "blocked"
	case consent.FlagNoConsent:
		v.Flagged = "Sent from the phone to someone who had not consented to be recorded."
	}
}

// policyHold shows a message policy kept back. Its sender sees it with
// the reason; everyone else sees it only once it went out: released by a
// compliance officer, or confirmed by the sender.
func (b *builder) policyHold(ctx context.Context, e entry, v *MessageView) {
	hide := func() { v.Status = "held" } // dropped from the view by build
	reason := e.c.Policy.Reason
	switch pipeline.Hold(e.meta.Action) {
	case pipeline.Blocked:
		if !v.Mine {
			hide()
			return
		}
		v.Status, v.StatusDetail = StatusPolicyBlocked, reason
	case pipeline.Confirm:
		if _, err := b.s.Store.DeliveryByRecord(ctx, v.RecordID); err == nil {
			return // confirmed and queued: delivery already applied for the sender
		}
		if !v.Mine {
			hide()
			return
		}
		v.Status, v.StatusDetail = StatusNeedsConfirmation, reason
	case pipeline.Quarantined:
		st := steward.QuarantineHeld
		if ri, err := b.s.Store.ReviewItemByRecord(ctx, v.RecordID); err == nil {
			st = ri.Quarantine
		} else if !steward.Is(steward.NotFound, err) {
			b.s.logger().Error("chat: quarantine lookup", "record", v.RecordID, "err", err)
		}
		switch {
		case st == steward.QuarantineReleased:
			return
		case !v.Mine:
			hide()
		case st == steward.QuarantineRejected:
			v.Status, v.StatusDetail = StatusRejected, "A compliance officer did not release this message."
		default:
			v.Status, v.StatusDetail = StatusQuarantined, reason
		}
	}
}

func (b *builder) consent(ctx context.Context, e entry) {
	action, _ := e.c.Extra[consent.ExtraAction].(string)
	to, _ := e.c.Extra[consent.ExtraTo].(string)
	version, _ := e.c.Extra[consent.ExtraVersion].(string)
	if action == "request" {
		v := &MessageView{Kind: "consent", Sender: b.party(e.c.Sender), Body: e.c.Body}
		v.Mine = v.Sender.Me
		b.add(e, v)
		if v.Mine {
			b.delivery(ctx, v)
		}
		return
	}
	var who steward.Party
	if e.meta.Direction == steward.DirInbound {
		who = e.c.Sender
	} else if len(e.c.Recipients) > 0 {
		who = e.c.Recipients[0]
	}
	p := b.party(who)
	n := name(p)
	var text string
	switch steward.ConsentState(to) {
	case steward.ConsentActive:
		text = fmt.Sprintf("%s accepted the recording notice (%s).", n, version)
		for _, h := range b.held[who.Address] {
			h.Status = "" // released: consent arrived after it was held
		}
		delete(b.held, who.Address)
	case steward.ConsentDeclined:
		text = fmt.Sprintf("%s declined to be recorded. Nothing more will be exchanged.", n)
		b.dropHeld(who.Address)
	case steward.ConsentExpired:
		text = fmt.Sprintf("%s did not answer the recording notice in time.", n)
		b.dropHeld(who.Address)
	case steward.ConsentRevoked:
		text = fmt.Sprintf("%s withdrew consent (STOP). Nothing more will be exchanged.", n)
		b.dropHeld(who.Address)
	default:
		text = fmt.Sprintf("Consent for %s is now %s.", n, to)
	}
	b.add(e, &MessageView{Kind: "notice", Sender: p, Notice: text})
}

func (b *builder) dropHeld(addr string) {
	for _, h := range b.held[addr] {
		h.Status = "blocked"
	}
	delete(b.held, addr)
}

func (b *builder) membership(e entry) {
	actor := b.party(e.c.Sender)
	var text string
	for _, p := range e.c.MembersAdded {
		text += fmt.Sprintf("%s added %s. ", name(actor), name(b.party(p)))
	}
	for _, p := range e.c.MembersRemoved {
		text += fmt.Sprintf("%s removed %s. ", name(actor), name(b.party(p)))
	}
	if e.c.Conversation.Title != "" && text == "" {
		text = fmt.Sprintf("%s named the group %q.", name(actor), e.c.Conversation.Title)
	}
	b.add(e, &MessageView{Kind: "notice", Sender: actor, Notice: text})
}

// event applies an edit, deletion, reaction, receipt or delivery outcome
// to the message it targets. Targets outside the view window are ignored.
func (b *builder) event(e entry) {
	t := b.byChannel[e.meta.Target]
	if t == nil {
		return
	}
	switch steward.EventType(e.meta.Type) {
	case steward.EventEdit:
		if !t.Deleted {
			t.Revisions = append(t.Revisions, t.Body)
			t.Body, t.Edited = e.c.Body, true
		}
	case steward.EventDelete:
		t.Deleted, t.Body, t.Revisions, t.Attachments = true, "", nil, nil
	case steward.EventReaction:
		by := b.party(e.c.Sender)
		b.react(t, by, e.c.Emoji, e.c.Remove)
	case steward.EventReceipt:
		if t.Mine {
			rank := map[string]int{steward.StatusQueued: 0, steward.StatusSent: 1, steward.StatusDelivered: 2, steward.StatusRead: 3}
			next := steward.StatusDelivered
			if e.c.Receipt == "read" || e.c.Receipt == "viewed" {
				next = steward.StatusRead
			}
			if cur, ok := rank[t.Status]; ok && rank[next] > cur {
				t.Status, t.StatusDetail = next, ""
			}
		}
	case steward.EventDelivery:
		if id, ok := e.c.Extra["channel_message_id"].(string); ok && id != "" {
			b.byChannel[id] = t
		}
	}
}

// react applies one reaction or its removal: reactions are keyed by
// reactor and emoji, and a reactor has at most one emoji on a message.
func (b *builder) react(t *MessageView, by PartyView, emoji string, remove bool) {
	who := name(by)
	// Drop the reactor's previous reaction: Signal replaces it.
	for i := range t.Reactions {
		r := &t.Reactions[i]
		if k := indexOf(r.By, who); k >= 0 {
			r.By = append(r.By[:k], r.By[k+1:]...)
			r.Count--
			if by.Me {
				r.Mine = false
			}
		}
	}
	if !remove {
		found := false
		for i := range t.Reactions {
			if t.Reactions[i].Emoji == emoji {
				t.Reactions[i].By = append(t.Reactions[i].By, who)
				t.Reactions[i].Count++
				t.Reactions[i].Mine = t.Reactions[i].Mine || by.Me
				found = true
			}
		}
		if !found {
			t.Reactions = append(t.Reactions, ReactionView{Emoji: emoji, Count: 1, By: []string{who}, Mine: by.Me})
		}
	}
	kept := t.Reactions[:0]
	for _, r := range t.Reactions {
		if r.Count > 0 {
			kept = append(kept, r)
		}
	}
	t.Reactions = kept
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// Attachment returns an attachment's description and bytes, if the
// employee takes part in the conversation it was sent in. The read is
// audited first. Returns NotFound otherwise (never Permission, so ids
// cannot be probed), Gone if destroyed by disposition.
func (s *Service) Attachment(ctx context.Context, employeeID, recordID string) (*AttachmentView, []byte, error) {
	const op steward.Op = "chat.Attachment"
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	rec, err := s.Store.RecordByID(ctx, recordID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	meta, _, err := s.Reader.OpenRecord(ctx, rec)
	if err != nil && !steward.Is(steward.Gone, err) {
		return nil, nil, steward.E(op, err)
	}
	if rec.Kind != steward.RecordAttachment || meta.Parent == "" {
		return nil, nil, steward.E(op, steward.NotFound, "attachment not found")
	}
	parent, err := s.Store.RecordByID(ctx, meta.Parent)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	if _, _, err := s.conversation(ctx, m, parent.ConversationID); err != nil {
		return nil, nil, steward.E(op, steward.NotFound, "attachment not found")
	}
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actorOf(employeeID), Action: "attachment.read",
		Subject: rec.ID}); err != nil {
		return nil, nil, steward.E(op, err)
	}
	_, a, data, err := s.Reader.Attachment(ctx, rec.ID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	return &AttachmentView{RecordID: rec.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size}, data, nil
}
