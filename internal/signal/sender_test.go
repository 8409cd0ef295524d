package signal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/steward"
)

// The Sender is tested against the simulated daemon over real HTTP; the
// simulator's wire shapes follow signal-cli (see signalsim and
// sender_wire_test.go for the raw shapes).

const (
	sWork     = "+15550000001"
	sWork2    = "+15550000002"
	sAlice    = "+15551110001"
	sBob      = "+15551110002"
	sStranger = "+15559999999" // not registered on Signal
)

type senderHarness struct {
	sim    *signalsim.Server
	client *signal.Client
	sender *signal.Sender
}

func newSenderHarness(t *testing.T, opts signalsim.Options) *senderHarness {
	t.Helper()
	opts.KeepAlive = 20 * time.Millisecond
	sim := signalsim.New(opts)
	sim.AddAccount(sWork)
	sim.AddAccount(sWork2)
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		ts.Close()
	})
	c := &signal.Client{BaseURL: ts.URL}
	return &senderHarness{sim: sim, client: c, sender: &signal.Sender{Client: c}}
}

// follow streams account's notifications into a channel.
func (h *senderHarness) follow(t *testing.T, account string) <-chan *signal.Notification {
	t.Helper()
	ch := make(chan *signal.Notification, 256)
	ev := &signal.Events{Client: h.client, Account: account, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, IdleTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ev.Stream(ctx, func(e signal.Event) error {
			n, err := signal.DecodeNotification(e.Data)
			if err != nil {
				t.Errorf("DecodeNotification: %v", err)
				return nil
			}
			ch <- n
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ch
}

func await(t *testing.T, ch <-chan *signal.Notification, what string, pred func(*signal.Notification) bool) *signal.Notification {
	t.Helper()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case n := <-ch:
			if pred(n) {
				return n
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
			return nil
		}
	}
}

func mustSend(t *testing.T, s *signal.Sender, req *steward.SendRequest) *steward.SendResult {
	t.Helper()
	r, err := s.Send(context.Background(), req)
	if err != nil {
		t.Fatalf("Send(%s): %v", req.Op, err)
	}
	return r
}

func mustItems(t *testing.T, n *signal.Notification) []steward.Item {
	t.Helper()
	its, err := n.Items("")
	if err != nil {
		t.Fatal(err)
	}
	return its
}

func wantStatuses(t *testing.T, r *steward.SendResult, want ...steward.RecipientStatus) {
	t.Helper()
	if len(r.Recipients) != len(want) {
		t.Fatalf("recipients %+v, want %+v", r.Recipients, want)
	}
	for i, w := range want {
		if r.Recipients[i] != w {
			t.Errorf("recipient %d: %+v, want %+v", i, r.Recipients[i], w)
		}
	}
}

func TestParseMessageID(t *testing.T) {
	uuid := "5b5e6b7c-1d2e-4f30-8a41-52637485a6b7"
	good := map[string]signal.MessageID{
		sWork + ":" + sWork + ":1700000000000":        {sWork, sWork, 1700000000000},
		sWork + ":" + uuid + ":42":                    {sWork, uuid, 42},
		sWork + ":PNI:" + uuid + ":42":                {sWork, "PNI:" + uuid, 42},
		sWork + ":" + sAlice + ":9223372036854775807": {sWork, sAlice, 9223372036854775807},
	}
	for s, want := range good {
		got, err := signal.ParseMessageID(s)
		if err != nil || got != want {
			t.Errorf("ParseMessageID(%q) = %+v, %v; want %+v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("String() = %q, want %q", got.String(), s)
		}
	}
	for _, s := range []string{
		"", "1700000000000", sWork + ":1700", sWork + "::1700", ":" + sWork + ":1700",
		sWork + ":" + sWork + ":0", sWork + ":" + sWork + ":-5", sWork + ":" + sWork + ":+5", sWork + ":" + sWork + ":12x",
		sWork + ":" + sWork + ":99999999999999999999",
		sWork + ":" + sWork + ":1700:edit", sWork + ":" + uuid + ":1700:reaction",
		sWork + ":" + uuid + ":1700:receipt:read:1699",
		sWork + ":group:Z3JvdXA=:3:membership",
		"alice:" + sWork + ":1700", sWork + ":alice:1700",
	} {
		if _, err := signal.ParseMessageID(s); !steward.Is(steward.Invalid, err) {
			t.Errorf("ParseMessageID(%q): %v, want Invalid", s, err)
		}
	}
}

func TestSenderMessage(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: sAlice, Consent: signalsim.ConsentIgnore})
	in2 := h.follow(t, sWork2)
	in := h.follow(t, sWork)

	// A message with an attachment to the other held account, so the
	// envelope it receives can be inspected.
	pdf := []byte("%PDF-1.7 quarterly numbers")
	r := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sWork2},
		Body: "Numbers attached", Attachments: []steward.Attachment{{Filename: "Q3 report, final+v2.pdf", ContentType: "application/pdf; charset=binary", Data: pdf}}})
	n := await(t, in2, "message", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "Numbers attached"
	})
	ts := n.Envelope.DataMessage.Timestamp
	if r.ChannelMessageID != sWork+":"+sWork+":"+strconv.FormatInt(ts, 10) || !r.SentAt.Equal(time.UnixMilli(ts)) {
		t.Errorf("result %+v for message sent at %d", r, ts)
	}
	wantStatuses(t, r, steward.RecipientStatus{Address: sWork2, Status: steward.StatusSent, Detail: "SUCCESS"})
	atts := n.Envelope.DataMessage.Attachments
	if len(atts) != 1 || atts[0].Filename != "Q3 report, final+v2.pdf" || atts[0].ContentType != "application/pdf" || atts[0].Size != int64(len(pdf)) {
		t.Fatalf("attachments %+v", atts)
	}
	if data, err := h.client.GetAttachment(context.Background(), sWork2, atts[0].ID, sWork, ""); err != nil || string(data) != string(pdf) {
		t.Errorf("attachment bytes %q, %v", data, err)
	}

	// work2 answers; its capture id of work2's message is what work
	// replies to and reacts on.
	w2, err := h.client.Send(context.Background(), sWork2, signal.SendParams{Recipients: []string{sWork}, Message: "Thanks"})
	if err != nil {
		t.Fatal(err)
	}
	n = await(t, in, "work2's message", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "Thanks"
	})
	their := mustItems(t, n)[0].ChannelMessageID
	r = mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sWork2}, Body: "You're welcome", ReplyTo: their})
	n = await(t, in2, "reply", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "You're welcome"
	})
	if q := n.Envelope.DataMessage.Quote; q == nil || q.ID != w2.Timestamp || q.AuthorNumber != sWork2 {
		t.Errorf("quote %+v, want work2's message at %d", q, w2.Timestamp)
	}
	// A reply to the account's own message quotes the account.
	r2 := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sWork2}, Body: "PS", ReplyTo: r.ChannelMessageID})
	n = await(t, in2, "self-quote", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "PS"
	})
	own, _ := signal.ParseMessageID(r.ChannelMessageID)
	if q := n.Envelope.DataMessage.Quote; q == nil || q.ID != own.Timestamp || q.AuthorNumber != sWork {
		t.Errorf("self quote %+v, want work's message at %d", q, own.Timestamp)
	}
	if r2.ChannelMessageID <= r.ChannelMessageID {
		t.Errorf("ids not increasing: %s then %s", r.ChannelMessageID, r2.ChannelMessageID)
	}

	// To a scripted contact: the receipts that come back name the id the
	// Sender returned.
	r = mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sAlice}, Body: "Hello Alice"})
	wantStatuses(t, r, steward.RecipientStatus{Address: sAlice, Status: steward.StatusSent, Detail: "SUCCESS"})
	n = await(t, in, "alice's receipt", func(n *signal.Notification) bool {
		return n.Envelope.SourceNumber == sAlice && n.Envelope.ReceiptMessage != nil
	})
	if its := mustItems(t, n); len(its) != 1 || its[0].Target != r.ChannelMessageID {
		t.Errorf("receipt items %+v, want target %s", its, r.ChannelMessageID)
	}
}

func TestSenderEditDeleteReaction(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{})
	in2 := h.follow(t, sWork2)
	in := h.follow(t, sWork)
	to := []string{sWork2}
	orig := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: to, Body: "Meet at 3"})
	origTS, _ := signal.ParseMessageID(orig.ChannelMessageID)

	ed := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendEdit, Account: sWork, Recipients: to, Body: "Meet at 4", Target: orig.ChannelMessageID})
	n := await(t, in2, "edit", func(n *signal.Notification) bool { return n.Envelope.EditMessage != nil })
	if em := n.Envelope.EditMessage; em.TargetSentTimestamp != origTS.Timestamp || em.DataMessage.Message != "Meet at 4" {
		t.Errorf("edit %+v", em)
	}
	if ed.ChannelMessageID == orig.ChannelMessageID || len(ed.Recipients) != 1 || ed.Recipients[0].Status != steward.StatusSent {
		t.Errorf("edit result %+v", ed)
	}
	// The receiver's capture targets the original message.
	if its := mustItems(t, n); len(its) != 1 || its[0].Type != steward.EventEdit || its[0].Target != sWork2+":"+n.Envelope.SourceUUID+":"+strconv.FormatInt(origTS.Timestamp, 10) {
		t.Errorf("edit items %+v", its)
	}

	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendReaction, Account: sWork, Recipients: to, Emoji: "👍", Target: orig.ChannelMessageID})
	n = await(t, in2, "reaction", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Reaction != nil
	})
	if rx := n.Envelope.DataMessage.Reaction; rx.Emoji != "👍" || rx.TargetAuthorNumber != sWork || rx.TargetSentTimestamp != origTS.Timestamp || rx.IsRemove {
		t.Errorf("reaction %+v", rx)
	}
	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendReaction, Account: sWork, Recipients: to, Emoji: "👍", Target: orig.ChannelMessageID, Remove: true})
	n = await(t, in2, "reaction removal", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Reaction != nil && n.Envelope.DataMessage.Reaction.IsRemove
	})

	// A reaction on a message of someone else, whose capture id names
	// their ACI UUID.
	if _, err := h.client.Send(context.Background(), sWork2, signal.SendParams{Recipients: []string{sWork}, Message: "Works for me"}); err != nil {
		t.Fatal(err)
	}
	n = await(t, in, "work2's message", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "Works for me"
	})
	theirs := mustItems(t, n)[0].ChannelMessageID
	if id, err := signal.ParseMessageID(theirs); err != nil || id.Author != n.Envelope.SourceUUID {
		t.Fatalf("capture id %q (%v), want the sender's UUID", theirs, err)
	}
	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendReaction, Account: sWork, Recipients: to, Emoji: "❤", Target: theirs})
	n = await(t, in2, "reaction on work2's message", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Reaction != nil && n.Envelope.DataMessage.Reaction.Emoji == "❤"
	})
	if rx := n.Envelope.DataMessage.Reaction; rx.TargetAuthorNumber != sWork2 {
		t.Errorf("reaction %+v, want work2 as target author", rx)
	}

	del := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendDelete, Account: sWork, Recipients: to, Target: orig.ChannelMessageID})
	n = await(t, in2, "delete", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.RemoteDelete != nil
	})
	if n.Envelope.DataMessage.RemoteDelete.Timestamp != origTS.Timestamp {
		t.Errorf("remote delete %+v", n.Envelope.DataMessage.RemoteDelete)
	}
	wantStatuses(t, del, steward.RecipientStatus{Address: sWork2, Status: steward.StatusSent, Detail: "SUCCESS"})
}

func TestSenderRefusesInvalid(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{})
	own := sWork + ":" + sWork + ":1700000000000"
	theirs := sWork + ":5b5e6b7c-1d2e-4f30-8a41-52637485a6b7:1700000000001"
	other := sWork2 + ":" + sWork2 + ":1700000000000"
	to := []string{sWork2}
	for name, req := range map[string]*steward.SendRequest{
		"nil":                    nil,
		"no account":             {Op: steward.SendMessage, Recipients: to, Body: "x"},
		"no conversation":        {Op: steward.SendMessage, Account: sWork, Body: "x"},
		"recipients and group":   {Op: steward.SendMessage, Account: sWork, Recipients: to, GroupID: "Z3JvdXA=", Body: "x"},
		"empty recipient":        {Op: steward.SendMessage, Account: sWork, Recipients: []string{""}, Body: "x"},
		"unknown op":             {Op: "poll", Account: sWork, Recipients: to, Body: "x"},
		"nothing to send":        {Op: steward.SendMessage, Account: sWork, Recipients: to},
		"attachment no data":     {Op: steward.SendMessage, Account: sWork, Recipients: to, Attachments: []steward.Attachment{{Filename: "a.txt"}}},
		"reply to other account": {Op: steward.SendMessage, Account: sWork, Recipients: to, Body: "x", ReplyTo: other},
		"reply malformed":        {Op: steward.SendMessage, Account: sWork, Recipients: to, Body: "x", ReplyTo: "1700000000000"},
		"reply to derived id":    {Op: steward.SendMessage, Account: sWork, Recipients: to, Body: "x", ReplyTo: own + ":edit"},
		"edit without target":    {Op: steward.SendEdit, Account: sWork, Recipients: to, Body: "x"},
		"edit of theirs":         {Op: steward.SendEdit, Account: sWork, Recipients: to, Body: "x", Target: theirs},
		"edit of other account":  {Op: steward.SendEdit, Account: sWork, Recipients: to, Body: "x", Target: other},
		"edit with attachment":   {Op: steward.SendEdit, Account: sWork, Recipients: to, Body: "x", Target: own, Attachments: []steward.Attachment{{Filename: "a", Data: []byte("a")}}},
		"edit to empty":          {Op: steward.SendEdit, Account: sWork, Recipients: to, Target: own},
		"delete of theirs":       {Op: steward.SendDelete, Account: sWork, Recipients: to, Target: theirs},
		"delete without target":  {Op: steward.SendDelete, Account: sWork, Recipients: to},
		"reaction without emoji": {Op: steward.SendReaction, Account: sWork, Recipients: to, Target: theirs},
		"reaction bad target":    {Op: steward.SendReaction, Account: sWork, Recipients: to, Emoji: "👍", Target: theirs + ":reaction"},
		// Refused by signal-cli itself.
		"unknown group":       {Op: steward.SendMessage, Account: sWork, GroupID: "bm9wZQ==", Body: "x"},
		"unknown account":     {Op: steward.SendMessage, Account: sStranger, Recipients: to, Body: "x"},
		"malformed recipient": {Op: steward.SendMessage, Account: sWork, Recipients: []string{"alice"}, Body: "x"},
	} {
		if _, err := h.sender.Send(context.Background(), req); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func TestSenderStatuses(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: sAlice, Consent: signalsim.ConsentIgnore})
	r := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sAlice, sStranger}, Body: "hi"})
	wantStatuses(t, r,
		steward.RecipientStatus{Address: sAlice, Status: steward.StatusSent, Detail: "SUCCESS"},
		steward.RecipientStatus{Address: sStranger, Status: steward.StatusUnregistered, Detail: "UNREGISTERED_FAILURE"})
	// signal-cli fails a send that reached nobody (-1 with the results
	// attached); to the Sender that is still a per-recipient outcome.
	r, err := h.sender.Send(context.Background(), &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: []string{sStranger}, Body: "hi"})
	if err != nil {
		t.Fatalf("send to an unregistered number only: %v", err)
	}
	wantStatuses(t, r, steward.RecipientStatus{Address: sStranger, Status: steward.StatusUnregistered, Detail: "UNREGISTERED_FAILURE"})
	if id, err := signal.ParseMessageID(r.ChannelMessageID); err != nil || id.Author != sWork {
		t.Errorf("channel id %q: %v", r.ChannelMessageID, err)
	}

	for typ, want := range map[string]string{
		"SUCCESS": steward.StatusSent, "UNREGISTERED_FAILURE": steward.StatusUnregistered,
		"RATE_LIMIT_FAILURE": steward.StatusRateLimited, "NETWORK_FAILURE": steward.StatusNetworkFailure,
		"IDENTITY_FAILURE": steward.StatusIdentityChanged, "INVALID_PRE_KEY_FAILURE": steward.StatusFailed, "": steward.StatusFailed,
	} {
		if got := signal.RecipientStatus(typ); got != want {
			t.Errorf("RecipientStatus(%q) = %q, want %q", typ, got, want)
		}
	}
}

func TestSenderRateLimitChallenge(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{RateLimitAfter: 1, RateLimitRetryAfter: 90 * time.Minute})
	h.sim.AddContact(signalsim.Contact{Number: sAlice, Consent: signalsim.ConsentIgnore})
	h.sim.AddContact(signalsim.Contact{Number: sBob, Consent: signalsim.ConsentIgnore})
	ctx := context.Background()
	msg := func(to ...string) *steward.SendRequest {
		return &steward.SendRequest{Op: steward.SendMessage, Account: sWork, Recipients: to, Body: "hello"}
	}
	mustSend(t, h.sender, msg(sAlice)) // the one new recipient allowed

	// Partly sent: a result, with bob rate limited.
	r := mustSend(t, h.sender, msg(sAlice, sBob))
	wantStatuses(t, r,
		steward.RecipientStatus{Address: sAlice, Status: steward.StatusSent, Detail: "SUCCESS"},
		steward.RecipientStatus{Address: sBob, Status: steward.StatusRateLimited, Detail: "RATE_LIMIT_FAILURE"})

	// Nothing sent: a RateLimitError with the challenge.
	_, err := h.sender.Send(ctx, msg(sBob))
	rl, ok := steward.AsRateLimit(err)
	if !ok {
		t.Fatalf("send to a new recipient: %v, want a RateLimitError", err)
	}
	challenge := h.sim.Challenge(sWork)
	if challenge == "" || rl.Challenge != challenge || rl.RetryAfter != 90*time.Minute {
		t.Errorf("rate limit %+v, want challenge %q and 90m", rl, challenge)
	}
	if !steward.Is(steward.Unavailable, err) {
		t.Errorf("kind %v, want Unavailable", steward.KindOf(err))
	}
	var re *signal.RPCError
	if !errors.As(err, &re) || re.Code != -5 {
		t.Errorf("RPC error %+v, want code -5", re)
	}
	// Reactions and deletes go to known recipients and pass.
	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendReaction, Account: sWork, Recipients: []string{sAlice}, Emoji: "👍", Target: r.ChannelMessageID})

	if err := h.client.SubmitRateLimitChallenge(ctx, sWork, "wrong", "signalcaptcha://solved"); !steward.Is(steward.Invalid, err) {
		t.Errorf("wrong challenge: %v, want Invalid", err)
	}
	if err := h.client.SubmitRateLimitChallenge(ctx, sWork, challenge, ""); !steward.Is(steward.Invalid, err) {
		t.Errorf("empty captcha: %v, want Invalid", err)
	}
	if err := h.client.SubmitRateLimitChallenge(ctx, sWork, challenge, "signalcaptcha://signal-hcaptcha.5fad97ac.challenge.solved"); err != nil {
		t.Fatalf("SubmitRateLimitChallenge: %v", err)
	}
	r = mustSend(t, h.sender, msg(sBob))
	wantStatuses(t, r, steward.RecipientStatus{Address: sBob, Status: steward.StatusSent, Detail: "SUCCESS"})
	if err := h.client.SubmitRateLimitChallenge(ctx, sWork, challenge, "again"); !steward.Is(steward.Invalid, err) {
		t.Errorf("a used challenge: %v, want Invalid", err)
	}
}

func TestSenderGroups(t *testing.T) {
	h := newSenderHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: sAlice})
	h.sim.AddContact(signalsim.Contact{Number: sBob})
	ctx := context.Background()
	in := h.follow(t, sWork)
	in2 := h.follow(t, sWork2)

	gid, err := h.sender.CreateGroup(ctx, sWork, "Deal room", []string{sAlice, sWork2, sWork})
	if err != nil || gid == "" {
		t.Fatalf("CreateGroup: %q, %v", gid, err)
	}
	await(t, in2, "group update", func(n *signal.Notification) bool {
		dm := n.Envelope.DataMessage
		return dm != nil && dm.GroupInfo != nil && dm.GroupInfo.GroupID == gid && dm.GroupInfo.Type == "UPDATE"
	})
	members := func() map[string]bool {
		t.Helper()
		gs, err := h.client.ListGroups(ctx, sWork, gid)
		if err != nil || len(gs) != 1 {
			t.Fatalf("ListGroups: %+v %v", gs, err)
		}
		if gs[0].Name != "Deal room" {
			t.Errorf("name %q", gs[0].Name)
		}
		m := map[string]bool{}
		for _, x := range gs[0].Members {
			m[x.Number] = x.IsAdmin
		}
		return m
	}
	if m := members(); len(m) != 3 || !m[sWork] || m[sAlice] || m[sWork2] {
		t.Errorf("members after create %v", m)
	}

	if err := h.sender.UpdateGroup(ctx, sWork, gid, []string{sBob}, []string{sAlice}, []string{sWork2}); err != nil {
		t.Fatal(err)
	}
	if m := members(); len(m) != 3 || !m[sWork2] || m[sBob] {
		t.Errorf("members after update %v", m)
	} else if _, ok := m[sAlice]; ok {
		t.Errorf("alice still a member: %v", m)
	}
	if err := h.sender.UpdateGroup(ctx, sWork, gid, nil, nil, nil); err != nil {
		t.Errorf("no-op update: %v", err)
	}

	// A group message: one status per other member; the scripted contact
	// in the group acknowledges it.
	r := mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendMessage, Account: sWork, GroupID: gid, Body: "Welcome, Bob"})
	wantStatuses(t, r,
		steward.RecipientStatus{Address: sWork2, Status: steward.StatusSent, Detail: "SUCCESS"},
		steward.RecipientStatus{Address: sBob, Status: steward.StatusSent, Detail: "SUCCESS"})
	n := await(t, in2, "group message", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == "Welcome, Bob"
	})
	if its := mustItems(t, n); len(its) != 1 || its[0].Conversation.ID != gid {
		t.Errorf("group items %+v", its)
	}
	n = await(t, in, "bob's receipt", func(n *signal.Notification) bool {
		return n.Envelope.SourceNumber == sBob && n.Envelope.ReceiptMessage != nil
	})
	if its := mustItems(t, n); len(its) == 0 || its[0].Target != r.ChannelMessageID {
		t.Errorf("receipt items %+v, want target %s", its, r.ChannelMessageID)
	}
	// Reactions and deletes in the group.
	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendReaction, Account: sWork, GroupID: gid, Emoji: "🎉", Target: r.ChannelMessageID})
	mustSend(t, h.sender, &steward.SendRequest{Op: steward.SendDelete, Account: sWork, GroupID: gid, Target: r.ChannelMessageID})
	await(t, in2, "group delete", func(n *signal.Notification) bool {
		dm := n.Envelope.DataMessage
		return dm != nil && dm.RemoteDelete != nil && dm.GroupInfo != nil && dm.GroupInfo.GroupID == gid
	})

	for name, err := range map[string]error{
		"create with unregistered": func() error { _, err := h.sender.CreateGroup(ctx, sWork, "x", []string{sStranger}); return err }(),
		"create with empty member": func() error { _, err := h.sender.CreateGroup(ctx, sWork, "x", []string{""}); return err }(),
		"update without group":     h.sender.UpdateGroup(ctx, sWork, "", []string{sBob}, nil, nil),
		"update unknown group":     h.sender.UpdateGroup(ctx, sWork, "bm9wZQ==", []string{sBob}, nil, nil),
		"add unregistered":         h.sender.UpdateGroup(ctx, sWork, gid, []string{sStranger}, nil, nil),
		"admin of non-member":      h.sender.UpdateGroup(ctx, sWork, gid, nil, nil, []string{sAlice}),
	} {
		if !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}
