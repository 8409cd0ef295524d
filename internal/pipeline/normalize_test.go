package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

func validItem() *steward.Item {
	return &steward.Item{Channel: "Signal", ChannelMessageID: " 1700000000000 ", Direction: steward.DirInbound,
		Sender: steward.Party{Address: " +14155550123 "}, Recipients: []steward.Party{{Address: "+12025550101"}}, Body: "hi"}
}

func TestNormalizeDefaults(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("EST", -5*3600))
	it := validItem()
	if err := pipeline.Normalize(it, pipeline.Limits{}, now); err != nil {
		t.Fatal(err)
	}
	if it.Channel != "signal" || it.ChannelMessageID != "1700000000000" || it.Sender.Address != "+14155550123" {
		t.Fatalf("not trimmed and lowered: %+v", it)
	}
	if got, want := it.IdempotencyKey, "signal:1700000000000"; got != want {
		t.Fatalf("IdempotencyKey=%q, want %q", got, want)
	}
	if it.Type != steward.EventMessage {
		t.Fatalf("Type=%q, want message", it.Type)
	}
	if !it.ReceivedAt.Equal(now) || !it.SentAt.Equal(now) || it.ReceivedAt.Location() != time.UTC {
		t.Fatalf("times not defaulted to now in UTC: %v %v", it.SentAt, it.ReceivedAt)
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*steward.Item)
		kind steward.Kind
		msg  string
	}{
		{"no channel", func(it *steward.Item) { it.Channel = "" }, steward.Invalid, "channel"},
		{"bad channel", func(it *steward.Item) { it.Channel = "sig nal" }, steward.Invalid, "channel"},
		{"no message id", func(it *steward.Item) { it.ChannelMessageID = "" }, steward.Invalid, "channel_message_id"},
		{"control char id", func(it *steward.Item) { it.ChannelMessageID = "a\x00b" }, steward.Invalid, "channel_message_id"},
		{"hash in key", func(it *steward.Item) { it.IdempotencyKey = "a#att0" }, steward.Invalid, "idempotency_key"},
		{"bad type", func(it *steward.Item) { it.Type = "typing" }, steward.Invalid, "type"},
		{"no direction", func(it *steward.Item) { it.Direction = "" }, steward.Invalid, "direction"},
		{"bad direction", func(it *steward.Item) { it.Direction = "sideways" }, steward.Invalid, "direction"},
		{"no sender", func(it *steward.Item) { it.Sender.Address = " " }, steward.Invalid, "sender"},
		{"no recipients", func(it *steward.Item) { it.Recipients = nil }, steward.Invalid, "recipients"},
		{"body too large", func(it *steward.Item) { it.Body = strings.Repeat("x", 64<<10+1) }, steward.TooLarge, "body"},
		{"bad utf8", func(it *steward.Item) { it.Body = "\xff" }, steward.Invalid, "UTF-8"},
		{"edit without target", func(it *steward.Item) { it.Type = steward.EventEdit }, steward.Invalid, "target"},
		{"reaction without emoji", func(it *steward.Item) { it.Type, it.Target = steward.EventReaction, "1" }, steward.Invalid, "emoji"},
		{"receipt kind", func(it *steward.Item) { it.Type, it.Target, it.Receipt = steward.EventReceipt, "1", "seen" }, steward.Invalid, "receipt"},
		{"membership without group", func(it *steward.Item) {
			it.Type, it.MembersAdded = steward.EventMembership, []steward.Party{{Address: "+1"}}
		}, steward.Invalid, "membership"},
		{"too many attachments", func(it *steward.Item) { it.Attachments = make([]steward.Attachment, 33) }, steward.TooLarge, "attachments"},
		{"bad conversation kind", func(it *steward.Item) { it.Conversation.Kind = "channel" }, steward.Invalid, "conversation.kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := validItem()
			c.edit(it)
			err := pipeline.Normalize(it, pipeline.Limits{}, time.Now())
			if got := steward.KindOf(err); got != c.kind {
				t.Fatalf("kind=%v (err %v), want %v", got, err, c.kind)
			}
			if !strings.Contains(steward.PublicMessage(err), c.msg) {
				t.Fatalf("message %q does not name %q", steward.PublicMessage(err), c.msg)
			}
		})
	}
}
