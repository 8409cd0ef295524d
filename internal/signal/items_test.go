package signal

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const (
	acct     = "+4930123456"
	other    = "+4915712345678"
	otherID  = "0b7e7b2a-3c1d-4f6e-9a8b-1c2d3e4f5a6b"
	groupID  = "WjNkN2ZhZGY0ZTc4NGQ5YjhjYWJlOWRiZjk1NTQ2ZTE="
	inTS     = "1767225600123"
	outTS    = "1767225700456"
	inPrefix = acct + ":" + otherID + ":"
)

func loadFixture(t *testing.T, name string) *Notification {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := DecodeNotification(b)
	if err != nil {
		t.Fatalf("DecodeNotification(%s): %v", name, err)
	}
	return n
}

// want lists the fields of an item a test checks; Extra holds only the
// keys to compare.
type want struct {
	typ        steward.EventType
	id         string
	dir        steward.Direction
	sender     string
	recipients []string
	conv       steward.ConversationRef
	body       string
	replyTo    string
	target     string
	emoji      string
	remove     bool
	receipt    string
	sentMS     int64
	recvMS     int64 // 0: not checked
	extra      map[string]any
	atts       []steward.Attachment
}

var (
	directIn  = steward.ConversationRef{Kind: steward.ConversationDirect}
	groupConv = steward.ConversationRef{ID: groupID, Kind: steward.ConversationGroup, Title: "Bauamt Team"}
)

func TestItems(t *testing.T) {
	tests := []struct {
		fixture string
		want    []want
	}{
		{"data_direct", []want{{
			typ: steward.EventMessage, id: inPrefix + inTS, dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: directIn,
			body: "Guten Tag @Amt, anbei der Antrag.", replyTo: acct + ":" + acct + ":1767225000000",
			sentMS: 1767225600123, recvMS: 1767225600373,
			extra: map[string]any{"expires_in_seconds": int64(604800), "source_device": 1},
			atts:  []steward.Attachment{{Filename: "antrag.pdf", ContentType: "application/pdf", Size: 48213}},
		}}},
		{"data_group", []want{{
			typ: steward.EventMessage, id: inPrefix + inTS, dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: groupConv, body: "Sitzung um 10 Uhr",
			sentMS: 1767225600123, extra: map[string]any{"group_revision": int64(7)},
		}}},
		{"reaction", []want{{
			typ: steward.EventReaction, id: inPrefix + inTS + ":reaction", dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: directIn,
			target: acct + ":" + acct + ":1767225000000", emoji: "👍", sentMS: 1767225600123,
			extra: map[string]any{"target_timestamp": int64(1767225000000)},
		}}},
		{"reaction_remove_group", []want{{
			typ: steward.EventReaction, id: inPrefix + "1767225600124:reaction", dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: groupConv,
			target: acct + ":11111111-2222-4333-8444-555555555555:1767224000000", emoji: "❤️", remove: true,
			sentMS: 1767225600124,
		}}},
		{"remote_delete", []want{{
			typ: steward.EventDelete, id: inPrefix + inTS + ":delete", dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: directIn,
			target: inPrefix + "1767225500000", sentMS: 1767225600123,
		}}},
		{"edit", []want{{
			typ: steward.EventEdit, id: inPrefix + inTS + ":edit", dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: directIn, body: "Korrigiert: Sitzung um 11 Uhr",
			target: inPrefix + "1767225500000", sentMS: 1767225600123,
		}}},
		{"receipt_read", []want{
			{typ: steward.EventReceipt, id: inPrefix + inTS + ":receipt:read:1767225000000", dir: steward.DirInbound,
				sender: other, recipients: []string{acct}, target: acct + ":" + acct + ":1767225000000",
				receipt: "read", sentMS: 1767225600123},
			{typ: steward.EventReceipt, id: inPrefix + inTS + ":receipt:read:1767225100000", dir: steward.DirInbound,
				sender: other, recipients: []string{acct}, target: acct + ":" + acct + ":1767225100000",
				receipt: "read", sentMS: 1767225600123},
		}},
		{"receipt_delivery", []want{
			{typ: steward.EventReceipt, id: inPrefix + inTS + ":receipt:delivered:1767225000000", dir: steward.DirInbound,
				sender: other, recipients: []string{acct}, target: acct + ":" + acct + ":1767225000000",
				receipt: "delivered", sentMS: 1767225600123},
		}},
		{"typing", nil},
		{"sync_read", nil},
		{"exception", nil},
		{"sync_sent_direct", []want{{
			typ: steward.EventMessage, id: acct + ":" + acct + ":" + outTS, dir: steward.DirOutbound,
			sender: acct, recipients: []string{other}, conv: directIn, body: "Ihr Antrag ist eingegangen.",
			sentMS: 1767225700456, recvMS: 1767225700706,
			extra: map[string]any{"expires_in_seconds": int64(86400), "destination_uuid": otherID, "source_device": 2},
			atts:  []steward.Attachment{{ContentType: "image/jpeg", Size: 102400}},
		}}},
		{"sync_sent_group", []want{{
			typ: steward.EventMessage, id: acct + ":" + acct + ":" + outTS, dir: steward.DirOutbound,
			sender: acct, conv: groupConv, body: "Protokoll folgt.", sentMS: 1767225700456,
		}}},
		{"sync_edit", []want{{
			typ: steward.EventEdit, id: acct + ":" + acct + ":" + outTS + ":edit", dir: steward.DirOutbound,
			sender: acct, recipients: []string{other}, conv: directIn,
			body: "Ihr Antrag ist vollständig eingegangen.", target: acct + ":" + acct + ":1767225600000",
			sentMS: 1767225700456,
		}}},
		{"sync_reaction", []want{{
			typ: steward.EventReaction, id: acct + ":" + acct + ":" + outTS + ":reaction", dir: steward.DirOutbound,
			sender: acct, recipients: []string{other}, conv: directIn, emoji: "🙏",
			target: inPrefix + inTS, sentMS: 1767225700456,
		}}},
		{"sync_delete", []want{{
			typ: steward.EventDelete, id: acct + ":" + acct + ":" + outTS + ":delete", dir: steward.DirOutbound,
			sender: acct, conv: groupConv, target: acct + ":" + acct + ":1767225650000", sentMS: 1767225700456,
		}}},
		{"group_update", []want{{
			typ: steward.EventMessage, id: inPrefix + inTS, dir: steward.DirInbound,
			sender: other, recipients: []string{acct},
			conv:   steward.ConversationRef{ID: groupID, Kind: steward.ConversationGroup, Title: "Bauamt Team (neu)"},
			sentMS: 1767225600123,
			extra: map[string]any{"group_revision": int64(8),
				"group_update": &GroupInfo{GroupID: groupID, GroupName: "Bauamt Team (neu)", Revision: 8, Type: "UPDATE"}},
		}}},
		{"sticker_manual_mode", []want{{
			typ: steward.EventMessage, id: inPrefix + inTS, dir: steward.DirInbound,
			sender: other, recipients: []string{acct}, conv: directIn, sentMS: 1767225600123,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			n := loadFixture(t, tt.fixture)
			items, err := n.Items(acct)
			if err != nil {
				t.Fatalf("Items: %v", err)
			}
			if len(items) != len(tt.want) {
				t.Fatalf("got %d items, want %d: %+v", len(items), len(tt.want), items)
			}
			for i, w := range tt.want {
				checkItem(t, items[i], w)
			}
		})
	}
}

func checkItem(t *testing.T, it steward.Item, w want) {
	t.Helper()
	var rcpt []string
	for _, p := range it.Recipients {
		rcpt = append(rcpt, p.Address)
	}
	got := want{typ: it.Type, id: it.ChannelMessageID, dir: it.Direction, sender: it.Sender.Address,
		recipients: rcpt, conv: it.Conversation, body: it.Body, replyTo: it.ReplyTo, target: it.Target,
		emoji: it.Emoji, remove: it.Remove, receipt: it.Receipt, sentMS: it.SentAt.UnixMilli(),
		recvMS: w.recvMS, extra: w.extra, atts: it.Attachments}
	if w.recvMS != 0 && it.ReceivedAt.UnixMilli() != w.recvMS {
		t.Errorf("ReceivedAt = %d, want %d", it.ReceivedAt.UnixMilli(), w.recvMS)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("item mismatch\n got  %+v\n want %+v", got, w)
	}
	for k, v := range w.extra {
		if !reflect.DeepEqual(it.Extra[k], v) {
			t.Errorf("Extra[%q] = %#v, want %#v", k, it.Extra[k], v)
		}
	}
	if it.Channel != ChannelSignal {
		t.Errorf("Channel = %q", it.Channel)
	}
	if it.SentAt.Location() != time.UTC {
		t.Errorf("SentAt not UTC")
	}
	if len(it.Attachments) != len(AttachmentRefs(&it)) {
		t.Errorf("AttachmentRefs not aligned with Attachments")
	}
}

func TestItemsAttachmentRefs(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		want    AttachmentRef
	}{
		{"data_direct", AttachmentRef{ID: "kQ3bH1vZ0cK9xY7mN2pL.pdf", ContentType: "application/pdf", Filename: "antrag.pdf", Size: 48213, Account: acct, Recipient: other}},
		{"sync_sent_direct", AttachmentRef{ID: "Zx81mQ0aP4.jpg", ContentType: "image/jpeg", Size: 102400, Account: acct, Recipient: acct}},
	} {
		items, err := loadFixture(t, tt.fixture).Items(acct)
		if err != nil {
			t.Fatal(err)
		}
		refs := AttachmentRefs(&items[0])
		if len(refs) != 1 || refs[0] != tt.want {
			t.Errorf("%s: refs = %+v, want [%+v]", tt.fixture, refs, tt.want)
		}
		if items[0].Attachments[0].Data != nil {
			t.Errorf("%s: attachment data must be fetched separately", tt.fixture)
		}
	}
}

func TestItemsStableAcrossRedelivery(t *testing.T) {
	a, _ := loadFixture(t, "receipt_read").Items("")
	b, _ := loadFixture(t, "receipt_read").Items(acct)
	if len(a) != 2 || a[0].ChannelMessageID != b[0].ChannelMessageID || a[0].ChannelMessageID == a[1].ChannelMessageID {
		t.Fatalf("ids not stable and distinct: %q %q", a[0].ChannelMessageID, a[1].ChannelMessageID)
	}
}

func TestItemsNoSource(t *testing.T) {
	n, err := DecodeNotification([]byte(`{"account":"+1","envelope":{"timestamp":5,"dataMessage":{"message":"x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Items(""); !steward.Is(steward.Invalid, err) {
		t.Fatalf("err = %v, want Invalid", err)
	}
}

func TestMembershipItem(t *testing.T) {
	g := Group{ID: groupID, Name: "Bauamt Team"}
	before := []GroupMember{{Number: acct}, {Number: other, UUID: otherID}}
	after := []GroupMember{{Number: acct}, {UUID: "new-uuid"}}
	it, ok := MembershipItem(acct, g, 9, other, before, after, time.UnixMilli(1767225600123))
	if !ok {
		t.Fatal("no change detected")
	}
	if it.Type != steward.EventMembership || it.ChannelMessageID != acct+":group:"+groupID+":9:membership" ||
		len(it.MembersAdded) != 1 || it.MembersAdded[0].Address != "new-uuid" ||
		len(it.MembersRemoved) != 1 || it.MembersRemoved[0].Address != other || it.Direction != steward.DirInbound {
		t.Errorf("got %+v", it)
	}
	if _, ok := MembershipItem(acct, g, 9, other, before, before, time.Now()); ok {
		t.Error("unchanged membership produced an item")
	}
}

func TestItemsCarryRawEnvelopeAndRefsSurviveJSON(t *testing.T) {
	n := loadFixture(t, "data_direct")
	items, err := n.Items(acct)
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := items[0].Extra[ExtraEnvelope].(json.RawMessage)
	if !ok || !bytes.Equal(raw, n.RawEnvelope) || !bytes.Contains(raw, []byte("unknownFutureField")) {
		t.Errorf("Extra[%q] = %v", ExtraEnvelope, items[0].Extra[ExtraEnvelope])
	}
	b, err := json.Marshal(items[0])
	if err != nil {
		t.Fatal(err)
	}
	var back steward.Item
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := AttachmentRefs(&back), AttachmentRefs(&items[0]); !reflect.DeepEqual(got, want) || len(got) != 1 {
		t.Errorf("after JSON: %+v, want %+v", got, want)
	}
}
