package pipeline

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Limits bound what one item may carry. Zero fields take the defaults.
type Limits struct {
	MaxBody           int   // bytes of text; default 64 KiB
	MaxAttachments    int   // per item; default 32
	MaxAttachmentSize int64 // bytes each; default 48 MiB (what a 64 MiB base64 request can carry)
	MaxParties        int   // recipients or members; default 1024
}

func (l Limits) withDefaults() Limits {
	if l.MaxBody == 0 {
		l.MaxBody = 64 << 10
	}
	if l.MaxAttachments == 0 {
		l.MaxAttachments = 32
	}
	if l.MaxAttachmentSize == 0 {
		l.MaxAttachmentSize = 48 << 20
	}
	if l.MaxParties == 0 {
		l.MaxParties = 1024
	}
	return l
}

// Normalize checks an item and fills its defaults: the idempotency key
// (channel plus the channel's message id), received and sent times, and
// the canonical form of addresses. It is the only gate between outside
// input and the archive, so every rule a later stage relies on is checked
// here. Returns Invalid or TooLarge with a message naming the field.
func Normalize(it *steward.Item, lim Limits, now time.Time) error {
	const op steward.Op = "pipeline.Normalize"
	lim = lim.withDefaults()
	bad := func(format string, args ...any) error { return steward.Errorf(op, steward.Invalid, format, args...) }

	if it.Type == "" {
		it.Type = steward.EventMessage
	}
	if !steward.ValidEventType(it.Type) {
		return bad("type %q is not one of message, edit, delete, reaction, membership, receipt, consent, delivery", it.Type)
	}
	it.Channel = steward.Channel(strings.ToLower(strings.TrimSpace(string(it.Channel))))
	if !validToken(string(it.Channel), 32) {
		return bad("channel must be 1-32 characters of a-z, 0-9, '-' or '_'")
	}
	it.ChannelMessageID = strings.TrimSpace(it.ChannelMessageID)
	if it.ChannelMessageID == "" || len(it.ChannelMessageID) > 256 || !printable(it.ChannelMessageID) {
		return bad("channel_message_id is required (1-256 printable characters)")
	}
	if it.IdempotencyKey == "" {
		it.IdempotencyKey = string(it.Channel) + ":" + it.ChannelMessageID
	}
	if len(it.IdempotencyKey) > 512 || !printable(it.IdempotencyKey) || strings.Contains(it.IdempotencyKey, "#") {
		return bad("idempotency_key must be 1-512 printable characters without '#'")
	}
	if it.Direction == "" {
		return bad("direction is required (inbound, outbound or internal)")
	}
	if !steward.ValidDirection(it.Direction) {
		return bad("direction %q is not inbound, outbound or internal", it.Direction)
	}
	if err := normParty(&it.Sender); err != nil {
		return bad("sender: %s", err)
	}
	if len(it.Recipients)+len(it.MembersAdded)+len(it.MembersRemoved) > lim.MaxParties {
		return steward.Errorf(op, steward.TooLarge, "more than %d recipients and members", lim.MaxParties)
	}
	for _, ps := range [][]steward.Party{it.Recipients, it.MembersAdded, it.MembersRemoved} {
		for i := range ps {
			if err := normParty(&ps[i]); err != nil {
				return bad("party %d: %s", i, err)
			}
		}
	}
	if it.Type == steward.EventMessage && len(it.Recipients) == 0 && it.Conversation.ID == "" {
		return bad("a message needs recipients or a conversation id")
	}
	if len(it.Body) > lim.MaxBody {
		return steward.Errorf(op, steward.TooLarge, "body exceeds %d bytes", lim.MaxBody)
	}
	if !utf8.ValidString(it.Body) {
		return bad("body is not valid UTF-8")
	}
	if len(it.Attachments) > lim.MaxAttachments {
		return steward.Errorf(op, steward.TooLarge, "more than %d attachments", lim.MaxAttachments)
	}
	for i, a := range it.Attachments {
		if int64(len(a.Data)) > lim.MaxAttachmentSize {
			return steward.Errorf(op, steward.TooLarge, "attachment %d exceeds %d bytes", i, lim.MaxAttachmentSize)
		}
		if len(a.Filename) > 255 || len(a.ContentType) > 255 {
			return bad("attachment %d: filename and content_type are limited to 255 bytes", i)
		}
	}
	switch it.Type {
	case steward.EventEdit, steward.EventDelete, steward.EventReaction, steward.EventReceipt, steward.EventDelivery:
		if it.Target == "" {
			return bad("%s needs target: the channel_message_id it acts on", it.Type)
		}
	}
	switch it.Type {
	case steward.EventReaction:
		if it.Emoji == "" || len(it.Emoji) > 64 {
			return bad("reaction needs an emoji (at most 64 bytes)")
		}
	case steward.EventMembership:
		if len(it.MembersAdded)+len(it.MembersRemoved) == 0 || it.Conversation.ID == "" {
			return bad("membership needs a conversation id and members_added or members_removed")
		}
	case steward.EventReceipt:
		switch it.Receipt {
		case "delivered", "read", "viewed":
		default:
			return bad("receipt must be delivered, read or viewed")
		}
	}
	if len(it.Target) > 256 || len(it.ReplyTo) > 256 || len(it.Conversation.ID) > 256 || len(it.Conversation.Title) > 1024 {
		return bad("target, reply_to and conversation fields are limited to 256 bytes (title 1024)")
	}
	if it.Conversation.Kind != "" && it.Conversation.Kind != steward.ConversationDirect && it.Conversation.Kind != steward.ConversationGroup {
		return bad("conversation.kind must be direct or group")
	}
	now = now.UTC()
	if it.ReceivedAt.IsZero() {
		it.ReceivedAt = now
	}
	if it.SentAt.IsZero() {
		it.SentAt = it.ReceivedAt
	}
	it.SentAt, it.ReceivedAt = it.SentAt.UTC(), it.ReceivedAt.UTC()
	return nil
}

// normParty trims an address and checks it is a plausible channel address:
// printable, no spaces, at most 256 bytes.
func normParty(p *steward.Party) error {
	p.Address = strings.TrimSpace(p.Address)
	if p.Address == "" {
		return errString("address is required")
	}
	if len(p.Address) > 256 || !printable(p.Address) || strings.ContainsAny(p.Address, " \t") {
		return errString("address must be 1-256 printable characters without spaces")
	}
	if len(p.Name) > 256 || !utf8.ValidString(p.Name) {
		return errString("name is limited to 256 bytes of UTF-8")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
