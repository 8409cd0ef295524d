package signal

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// ChannelSignal is the steward channel name of every item this package
// builds.
const ChannelSignal steward.Channel = "signal"

// ExtraAttachments is the Item.Extra key under which Items lists, as
// []AttachmentRef in the same order as Item.Attachments, what the connector
// needs to fetch each attachment's bytes with Client.GetAttachment.
const ExtraAttachments = "signal_attachments"

// ExtraEnvelope is the Item.Extra key holding the notification's raw
// envelope (json.RawMessage), so that every field signal-cli sent, known
// to this package or not, is sealed with the record.
const ExtraEnvelope = "signal_envelope"

// AttachmentRef locates one attachment's bytes on the daemon. Items leaves
// steward.Attachment.Data empty; the connector fills it from
// Client.GetAttachment(ctx, Account, ID, GroupID or Recipient) before
// capture. In a direct chat Recipient is whoever sent the attachment (the
// account itself for messages sent from the phone), in a group GroupID is
// the group's id; signal-cli's man page describes them only as locating
// the attachment's sender, and the id alone names the stored file.
type AttachmentRef struct {
	ID          string `json:"id"`
	ContentType string `json:"content_type,omitempty"`
	Filename    string `json:"filename,omitempty"`
	Size        int64  `json:"size,omitempty"`
	Account     string `json:"account"`
	Recipient   string `json:"recipient,omitempty"`
	GroupID     string `json:"group_id,omitempty"`
}

// AttachmentRefs returns the attachment references Items stored in
// it.Extra, index-aligned with it.Attachments, or nil. It also accepts an
// Extra that went through a JSON round trip.
func AttachmentRefs(it *steward.Item) []AttachmentRef {
	v, ok := it.Extra[ExtraAttachments]
	if !ok {
		return nil
	}
	if refs, ok := v.([]AttachmentRef); ok {
		return refs
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var refs []AttachmentRef
	if json.Unmarshal(b, &refs) != nil {
		return nil
	}
	return refs
}

// Items maps the notification's envelope to normalized items for the
// pipeline, seen from the account self (the work identity's number; when
// empty, the notification's account is used).
//
// Mapping:
//   - dataMessage: an inbound EventMessage, or an EventReaction or
//     EventDelete when it carries a reaction or a remote delete;
//   - editMessage: an EventEdit whose Target is the original message;
//   - syncMessage.sentMessage (sent from the employee's phone): the same,
//     but outbound with Sender = self;
//   - receiptMessage: one EventReceipt per acknowledged timestamp;
//   - typingMessage, call, story, and the other sync messages (read
//     markers, contact and block lists): no items. They stay in RawEnvelope.
//
// ChannelMessageID is "<account>:<author>:<sent-ms>" where author is the
// account itself for its own messages and otherwise the sender's ACI UUID,
// falling back to the phone number. Derived items append a suffix
// (":reaction", ":delete", ":edit", ":receipt:<kind>:<target-ms>") so that
// a redelivered envelope yields the same keys. Target and ReplyTo use the
// same scheme, so they equal the ChannelMessageID of the message they act
// on; the bare Signal timestamp is kept in Extra["target_timestamp"].
//
// Group updates: signal-cli reports only {groupId, groupName, revision,
// type:"UPDATE"}, never which members changed, so no EventMembership can be
// derived from the envelope. An update becomes an EventMessage (empty body
// unless text came with it) with Extra["group_update"]; member changes must
// come from comparing ListGroups snapshots (see MembershipItem).
//
// Every item carries the raw envelope in Extra[ExtraEnvelope], so nothing
// signal-cli sent is lost. Disappearing-message timers and view-once flags
// go to Extra and never suppress capture. Returns Invalid when an inbound envelope names no
// source. A notification with Exception set and no content yields no items;
// the connector should report it as a capture gap.
func (n *Notification) Items(self string) ([]steward.Item, error) {
	const op steward.Op = "signal.Items"
	if n == nil {
		return nil, steward.E(op, steward.Invalid, "nil notification")
	}
	if self == "" {
		self = n.Account
	}
	m := mapper{n: n, self: self, env: &n.Envelope}
	env := m.env
	var items []steward.Item

	if sm := env.SyncMessage; sm != nil && sm.SentMessage != nil {
		items = append(items, m.sent(sm.SentMessage)...)
	}
	if env.DataMessage != nil || env.EditMessage != nil || env.ReceiptMessage != nil {
		from, ok := m.source()
		if !ok {
			return nil, steward.E(op, steward.Invalid, "envelope has no source")
		}
		author := m.author(env.SourceNumber, env.SourceUUID, env.Source)
		if dm := env.DataMessage; dm != nil {
			base := m.inboundBase(from, dm.GroupInfo)
			items = append(items, m.data(base, dm, author, orTS(dm.Timestamp, env.Timestamp))...)
		}
		if em := env.EditMessage; em != nil {
			base := m.inboundBase(from, em.DataMessage.GroupInfo)
			items = append(items, m.edit(base, em, author)...)
		}
		if rm := env.ReceiptMessage; rm != nil {
			items = append(items, m.receipts(from, rm, author)...)
		}
	}
	return items, nil
}

type mapper struct {
	n    *Notification
	self string
	env  *Envelope
}

// author picks the id component for a message's author. The account's own
// messages always use the account number, because a receipt names only the
// timestamps of "our" messages and the UUID of self is not in the envelope.
func (m *mapper) author(number, uuid, legacy string) string {
	switch {
	case number != "" && (number == m.self || number == m.n.Account):
		return m.n.Account
	case legacy != "" && (legacy == m.self || legacy == m.n.Account):
		return m.n.Account
	case uuid != "":
		return uuid
	case number != "":
		return number
	}
	return legacy
}

func (m *mapper) msgID(author string, ts int64) string {
	return m.n.Account + ":" + author + ":" + strconv.FormatInt(ts, 10)
}

func (m *mapper) source() (steward.Party, bool) {
	e := m.env
	addr := firstNonEmpty(e.SourceNumber, e.Source, e.SourceUUID)
	return steward.Party{Address: addr, Name: e.SourceName}, addr != ""
}

func (m *mapper) common(ts int64) steward.Item {
	it := steward.Item{
		Channel: ChannelSignal,
		SentAt:  msTime(ts),
		Extra:   map[string]any{"signal_timestamp": ts, "account": m.n.Account},
	}
	if len(m.n.RawEnvelope) > 0 {
		it.Extra[ExtraEnvelope] = m.n.RawEnvelope
	}
	if m.env.ServerReceivedTimestamp > 0 {
		it.ReceivedAt = msTime(m.env.ServerReceivedTimestamp)
	}
	if m.env.SourceUUID != "" {
		it.Extra["source_uuid"] = m.env.SourceUUID
	}
	if m.env.SourceDevice != 0 {
		it.Extra["source_device"] = m.env.SourceDevice
	}
	return it
}

// inboundBase holds the fields every inbound item of one envelope shares.
func (m *mapper) inboundBase(from steward.Party, g *GroupInfo) steward.Item {
	it := steward.Item{Direction: steward.DirInbound, Sender: from,
		Recipients: []steward.Party{{Address: m.self}}}
	if g != nil && g.GroupID != "" {
		it.Conversation = steward.ConversationRef{ID: g.GroupID, Kind: steward.ConversationGroup, Title: g.GroupName}
	} else {
		it.Conversation.Kind = steward.ConversationDirect
	}
	return it
}

// sent maps a message the employee sent from the phone.
func (m *mapper) sent(s *SentMessage) []steward.Item {
	base := steward.Item{Direction: steward.DirOutbound, Sender: steward.Party{Address: m.self}}
	g := s.GroupInfo
	if s.EditMessage != nil && g == nil {
		g = s.EditMessage.DataMessage.GroupInfo
	}
	if g != nil && g.GroupID != "" {
		base.Conversation = steward.ConversationRef{ID: g.GroupID, Kind: steward.ConversationGroup, Title: g.GroupName}
	} else if to := firstNonEmpty(s.DestinationNumber, s.Destination, s.DestinationUUID); to != "" {
		base.Recipients = []steward.Party{{Address: to}}
		base.Conversation.Kind = steward.ConversationDirect
	}
	author := m.n.Account
	if s.EditMessage != nil {
		return m.edit(base, s.EditMessage, author)
	}
	items := m.data(base, &s.DataMessage, author, orTS(s.Timestamp, m.env.Timestamp))
	for i := range items {
		if s.DestinationUUID != "" {
			items[i].Extra["destination_uuid"] = s.DestinationUUID
		}
	}
	return items
}

// data maps one data message (inbound, or flattened in a sentMessage).
func (m *mapper) data(base steward.Item, dm *DataMessage, author string, ts int64) []steward.Item {
	it := m.common(ts)
	it.Direction, it.Sender, it.Recipients, it.Conversation = base.Direction, base.Sender, base.Recipients, base.Conversation
	id := m.msgID(author, ts)
	switch {
	case dm.Reaction != nil:
		r := dm.Reaction
		it.Type = steward.EventReaction
		it.ChannelMessageID = id + ":reaction"
		it.Target = m.msgID(m.author(r.TargetAuthorNumber, r.TargetAuthorUUID, r.TargetAuthor), r.TargetSentTimestamp)
		it.Extra["target_timestamp"] = r.TargetSentTimestamp
		it.Emoji, it.Remove = r.Emoji, r.IsRemove
		m.groupExtra(&it, dm.GroupInfo)
		return []steward.Item{it}
	case dm.RemoteDelete != nil:
		it.Type = steward.EventDelete
		it.ChannelMessageID = id + ":delete"
		// Signal lets a sender delete only their own messages.
		it.Target = m.msgID(author, dm.RemoteDelete.Timestamp)
		it.Extra["target_timestamp"] = dm.RemoteDelete.Timestamp
		m.groupExtra(&it, dm.GroupInfo)
		return []steward.Item{it}
	}
	if !hasContent(dm) {
		return nil
	}
	it.Type = steward.EventMessage
	it.ChannelMessageID = id
	m.content(&it, dm)
	return []steward.Item{it}
}

// edit maps an edit; the edit's own timestamp identifies this revision and
// Target names the original message, which Signal keeps as the anchor of
// every later edit.
func (m *mapper) edit(base steward.Item, em *EditMessage, author string) []steward.Item {
	ts := orTS(em.DataMessage.Timestamp, m.env.Timestamp)
	it := m.common(ts)
	it.Direction, it.Sender, it.Recipients, it.Conversation = base.Direction, base.Sender, base.Recipients, base.Conversation
	it.Type = steward.EventEdit
	it.ChannelMessageID = m.msgID(author, ts) + ":edit"
	it.Target = m.msgID(author, em.TargetSentTimestamp)
	it.Extra["target_timestamp"] = em.TargetSentTimestamp
	m.content(&it, &em.DataMessage)
	return []steward.Item{it}
}

// receipts maps one receipt message to an item per acknowledged message.
// Receipts are only ever sent for the account's own messages.
func (m *mapper) receipts(from steward.Party, rm *ReceiptMessage, author string) []steward.Item {
	kind := ""
	switch {
	case rm.IsViewed:
		kind = "viewed"
	case rm.IsRead:
		kind = "read"
	case rm.IsDelivery:
		kind = "delivered"
	default:
		return nil
	}
	at := orTS(rm.When, m.env.Timestamp)
	items := make([]steward.Item, 0, len(rm.Timestamps))
	seen := make(map[int64]bool, len(rm.Timestamps))
	for _, ts := range rm.Timestamps {
		if seen[ts] {
			continue
		}
		seen[ts] = true
		it := m.common(at)
		it.Type = steward.EventReceipt
		it.Direction = steward.DirInbound
		it.Sender = from
		it.Recipients = []steward.Party{{Address: m.self}}
		it.ChannelMessageID = m.msgID(author, m.env.Timestamp) + ":receipt:" + kind + ":" + strconv.FormatInt(ts, 10)
		it.Target = m.msgID(m.n.Account, ts)
		it.Extra["target_timestamp"] = ts
		it.Receipt = kind
		items = append(items, it)
	}
	return items
}

// content copies a data message's payload into a message or edit item.
func (m *mapper) content(it *steward.Item, dm *DataMessage) {
	it.Body = dm.Message
	if q := dm.Quote; q != nil {
		it.ReplyTo = m.msgID(m.author(q.AuthorNumber, q.AuthorUUID, q.Author), q.ID)
		it.Extra["quote"] = q
	}
	if len(dm.Attachments) > 0 {
		refs := make([]AttachmentRef, len(dm.Attachments))
		it.Attachments = make([]steward.Attachment, len(dm.Attachments))
		for i, a := range dm.Attachments {
			it.Attachments[i] = steward.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size}
			refs[i] = AttachmentRef{ID: a.ID, ContentType: a.ContentType, Filename: a.Filename, Size: a.Size, Account: m.n.Account}
			if it.Conversation.Kind == steward.ConversationGroup {
				refs[i].GroupID = it.Conversation.ID
			} else {
				refs[i].Recipient = it.Sender.Address
			}
		}
		it.Extra[ExtraAttachments] = refs
		it.Extra["attachments"] = dm.Attachments // captions, dimensions
	}
	if len(dm.Mentions) > 0 {
		it.Extra["mentions"] = dm.Mentions
	}
	if dm.ExpiresInSeconds != 0 {
		it.Extra["expires_in_seconds"] = dm.ExpiresInSeconds
	}
	if dm.IsExpirationUpdate {
		it.Extra["is_expiration_update"] = true
	}
	if dm.ViewOnce {
		it.Extra["view_once"] = true
	}
	for k, raw := range map[string]json.RawMessage{
		"sticker": dm.Sticker, "previews": dm.Previews, "contacts": dm.Contacts,
		"text_styles": dm.TextStyles, "story_context": dm.StoryContext,
		"poll_create": dm.PollCreate, "poll_vote": dm.PollVote, "poll_terminate": dm.PollTerminate,
		"pin_message": dm.PinMessage, "admin_delete": dm.AdminDelete,
	} {
		if len(raw) > 0 && string(raw) != "null" {
			it.Extra[k] = raw
		}
	}
	m.groupExtra(it, dm.GroupInfo)
}

func (m *mapper) groupExtra(it *steward.Item, g *GroupInfo) {
	if g == nil {
		return
	}
	if g.Revision != 0 {
		it.Extra["group_revision"] = g.Revision
	}
	if g.Type == "UPDATE" {
		it.Extra["group_update"] = g
	}
}

// hasContent reports whether a data message carries anything to archive.
// Bare envelopes (e.g. profile-key updates carry only a timestamp) do not;
// a timer change or a group update does.
func hasContent(dm *DataMessage) bool {
	if dm.Message != "" || len(dm.Attachments) > 0 || dm.Quote != nil || dm.IsExpirationUpdate {
		return true
	}
	if dm.GroupInfo != nil && dm.GroupInfo.Type == "UPDATE" {
		return true
	}
	for _, raw := range []json.RawMessage{dm.Sticker, dm.Previews, dm.Contacts, dm.StoryContext,
		dm.PollCreate, dm.PollVote, dm.PollTerminate, dm.PinMessage, dm.AdminDelete} {
		if len(raw) > 0 && string(raw) != "null" {
			return true
		}
	}
	return false
}

func orTS(ts, fallback int64) int64 {
	if ts != 0 {
		return ts
	}
	return fallback
}

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// MembershipItem builds the EventMembership for a group change that the
// envelope could not describe (see Items): before and after are the
// group's members from ListGroups around an update at revision, made by
// actor (the update envelope's source, or the account itself). Members
// are compared by UUID when both sides have one, else by number.
// ChannelMessageID is "<account>:group:<groupId>:<revision>:membership",
// stable for the revision. ok is false when membership did not change.
func MembershipItem(account string, g Group, revision int64, actor string, before, after []GroupMember, at time.Time) (it steward.Item, ok bool) {
	key := func(m GroupMember) string { return firstNonEmpty(m.UUID, m.Number) }
	party := func(m GroupMember) steward.Party { return steward.Party{Address: firstNonEmpty(m.Number, m.UUID)} }
	was := make(map[string]bool, len(before))
	for _, m := range before {
		was[key(m)] = true
	}
	is := make(map[string]bool, len(after))
	for _, m := range after {
		is[key(m)] = true
		if !was[key(m)] && key(m) != "" {
			it.MembersAdded = append(it.MembersAdded, party(m))
		}
	}
	for _, m := range before {
		if !is[key(m)] && key(m) != "" {
			it.MembersRemoved = append(it.MembersRemoved, party(m))
		}
	}
	if len(it.MembersAdded)+len(it.MembersRemoved) == 0 {
		return steward.Item{}, false
	}
	it.Type = steward.EventMembership
	it.Channel = ChannelSignal
	it.ChannelMessageID = account + ":group:" + g.ID + ":" + strconv.FormatInt(revision, 10) + ":membership"
	it.Conversation = steward.ConversationRef{ID: g.ID, Kind: steward.ConversationGroup, Title: g.Name}
	it.Sender = steward.Party{Address: firstNonEmpty(actor, account)}
	it.Direction = steward.DirInbound
	if it.Sender.Address == account {
		it.Direction = steward.DirOutbound
	}
	it.SentAt = at.UTC()
	it.Extra = map[string]any{"account": account, "group_revision": revision}
	return it, true
}
