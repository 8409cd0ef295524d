package signalsim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	work     = "+15550000001"
	work2    = "+15550000002"
	alice    = "+15551110001"
	bob      = "+15551110002"
	carol    = "+15551110003"
	stranger = "+15559999999"
)

type harness struct {
	sim    *signalsim.Server
	ts     *httptest.Server
	client *signal.Client
}

func newHarness(t *testing.T, opts signalsim.Options) *harness {
	t.Helper()
	if opts.KeepAlive == 0 {
		opts.KeepAlive = 20 * time.Millisecond
	}
	sim := signalsim.New(opts)
	sim.AddAccount(work)
	sim.AddAccount(work2)
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		ts.Close()
	})
	return &harness{sim: sim, ts: ts, client: &signal.Client{BaseURL: ts.URL}}
}

// stream follows the event stream with the real connector and hands
// decoded notifications to the returned channel.
func (h *harness) stream(t *testing.T, account string) (<-chan *signal.Notification, *signal.Events) {
	t.Helper()
	ch := make(chan *signal.Notification, 256)
	ev := &signal.Events{Client: h.client, Account: account, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, IdleTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ev.Stream(ctx, func(e signal.Event) error {
			if e.Type != "receive" {
				t.Errorf("event type %q, want receive", e.Type)
			}
			if e.ID != "" {
				t.Errorf("event id %q: signal-cli sends none", e.ID)
			}
			n, err := signal.DecodeNotification(e.Data)
			if err != nil {
				t.Errorf("DecodeNotification(%s): %v", e.Data, err)
				return nil
			}
			ch <- n
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ch, ev
}

// next waits for a notification matching pred, skipping others.
func next(t *testing.T, ch <-chan *signal.Notification, what string, pred func(*signal.Notification) bool) *signal.Notification {
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

func textIs(s string) func(*signal.Notification) bool {
	return func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Message == s
	}
}

func items(t *testing.T, n *signal.Notification) []steward.Item {
	t.Helper()
	its, err := n.Items("")
	if err != nil {
		t.Fatalf("Items: %v", err)
	}
	return its
}

func send(t *testing.T, c *signal.Client, from string, p signal.SendParams) signal.SendResult {
	t.Helper()
	r, err := c.Send(context.Background(), from, p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return r
}

func TestCheck(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	if err := h.client.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url, ct, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, ct, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRPCStatusCodes(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	u := h.ts.URL + "/api/v1/rpc"
	if code, _ := post(t, u, "text/plain", `{"jsonrpc":"2.0","method":"listAccounts","id":1}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d, want 415", code)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET rpc: %d, want 405", resp.StatusCode)
	}
	if code, body := post(t, u, "application/json; charset=utf-8", `{"jsonrpc":"2.0","method":"listAccounts"}`); code != http.StatusCreated || body != "" {
		t.Errorf("notification: %d %q, want 201 and empty", code, body)
	}
	if code, _ := post(t, u, "application/json", `[{"jsonrpc":"2.0","method":"listAccounts"},{"jsonrpc":"2.0","method":"listAccounts"}]`); code != http.StatusCreated {
		t.Errorf("notification batch: %d, want 201", code)
	}
	code, body := post(t, u, "application/json", `[{"jsonrpc":"2.0","method":"listAccounts","id":1},{"jsonrpc":"2.0","method":"listAccounts"},{"jsonrpc":"2.0","method":"nope","id":"x"}]`)
	if code != http.StatusOK {
		t.Fatalf("batch: %d", code)
	}
	var resps []struct {
		ID     json.RawMessage
		Result []struct{ Number string }
		Error  *struct{ Code int }
	}
	if err := json.Unmarshal([]byte(body), &resps); err != nil || len(resps) != 2 {
		t.Fatalf("batch body %s: %v", body, err)
	}
	if string(resps[0].ID) != "1" || len(resps[0].Result) != 2 || resps[0].Result[0].Number != work {
		t.Errorf("listAccounts response: %s", body)
	}
	if string(resps[1].ID) != `"x"` || resps[1].Error == nil || resps[1].Error.Code != -32601 {
		t.Errorf("unknown method response: %s", body)
	}

	rpcCode := func(err error) int {
		var re *signal.RPCError
		if !errors.As(err, &re) {
			t.Fatalf("error %v is not an RPCError", err)
		}
		return re.Code
	}
	if err := h.client.Call(context.Background(), "frobnicate", nil, nil); rpcCode(err) != -32601 {
		t.Errorf("unknown method: %v", err)
	}
	bad := map[string]any{"account": work, "recipient": []string{alice}, "message": 5}
	if err := h.client.Call(context.Background(), "send", bad, nil); rpcCode(err) != -32602 {
		t.Errorf("bad params: %v", err)
	}
	noAcc := map[string]any{"recipient": alice, "message": "hi"}
	if err := h.client.Call(context.Background(), "send", noAcc, nil); rpcCode(err) != -32602 {
		t.Errorf("missing account: %v", err)
	}
	unknownAcc := map[string]any{"account": stranger, "recipient": alice, "message": "hi"}
	if err := h.client.Call(context.Background(), "send", unknownAcc, nil); rpcCode(err) != -32602 {
		t.Errorf("unknown account: %v", err)
	}
}

func TestAcceptingContactAndReceipts(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice, Name: "Alice", Consent: "accept", ReplyDelay: 2 * time.Millisecond})
	ch, _ := h.stream(t, work)
	r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "May we archive this chat? Reply ACCEPT or DECLINE."})
	if !r.AllDelivered() || len(r.Results) != 1 || r.Results[0].RecipientAddress.Number != alice || r.Results[0].RecipientAddress.UUID == "" || r.Timestamp == 0 {
		t.Fatalf("send result %+v", r)
	}
	var kinds []string
	for range 2 {
		n := next(t, ch, "receipt", func(n *signal.Notification) bool { return n.Envelope.ReceiptMessage != nil })
		its := items(t, n)
		if len(its) != 1 || its[0].Type != steward.EventReceipt || its[0].Extra["target_timestamp"] != r.Timestamp {
			t.Fatalf("receipt items %+v", its)
		}
		kinds = append(kinds, its[0].Receipt)
	}
	if strings.Join(kinds, ",") != "delivered,read" {
		t.Errorf("receipts %v", kinds)
	}
	n := next(t, ch, "ACCEPT", textIs("ACCEPT"))
	if n.Account != work || n.Envelope.SourceNumber != alice || n.Envelope.SourceName != "Alice" {
		t.Errorf("notification %+v", n)
	}
	its := items(t, n)
	if len(its) != 1 || its[0].Type != steward.EventMessage || its[0].Body != "ACCEPT" || its[0].Direction != steward.DirInbound || its[0].Sender.Address != alice {
		t.Errorf("items %+v", its)
	}
}

func TestDecliningAndIgnoringContacts(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: bob, Consent: "decline", Replies: []string{"never sent"}})
	h.sim.AddContact(signalsim.Contact{Number: carol, Consent: "ignore"})
	ch, _ := h.stream(t, "")
	send(t, h.client, work, signal.SendParams{Recipients: []string{bob}, Message: "consent?"})
	n := next(t, ch, "DECLINE", textIs("DECLINE"))
	if its := items(t, n); len(its) != 1 || its[0].Body != "DECLINE" {
		t.Errorf("items %+v", its)
	}
	send(t, h.client, work, signal.SendParams{Recipients: []string{carol}, Message: "consent?"})
	next(t, ch, "carol's delivery receipt", func(n *signal.Notification) bool {
		return n.Envelope.SourceNumber == carol && n.Envelope.ReceiptMessage != nil && n.Envelope.ReceiptMessage.IsDelivery
	})
	// After a decline, only receipts: no scripted line.
	send(t, h.client, work, signal.SendParams{Recipients: []string{bob}, Message: "second"})
	next(t, ch, "bob's read receipt", func(n *signal.Notification) bool {
		return n.Envelope.SourceNumber == bob && n.Envelope.ReceiptMessage != nil && n.Envelope.ReceiptMessage.IsRead && n.Envelope.ReceiptMessage.Timestamps[0] > 0
	})
	select {
	case n := <-ch:
		if n.Envelope.DataMessage != nil {
			t.Errorf("unexpected message %+v", n.Envelope.DataMessage)
		}
	case <-time.After(30 * time.Millisecond):
	}
}

func TestScriptedReplies(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice, Replies: []string{"one", "two", "three", "four", "five"}, ReplyDelay: time.Millisecond})
	ch, _ := h.stream(t, work)
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "consent?"})
	next(t, ch, "ACCEPT", textIs("ACCEPT"))
	var sent []int64
	var replyTS []int64
	for i, want := range []string{"one", "two", "three", "four", "five"} {
		r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "q" + want})
		sent = append(sent, r.Timestamp)
		n := next(t, ch, want, textIs(want))
		replyTS = append(replyTS, n.Envelope.DataMessage.Timestamp)
		k := i + 1
		its := items(t, n)
		if k%2 == 0 {
			if q := n.Envelope.DataMessage.Quote; q == nil || q.ID != r.Timestamp || q.AuthorNumber != work || its[0].ReplyTo == "" {
				t.Errorf("reply %d: quote %+v, items %+v", k, q, its)
			}
		}
		if k == 3 {
			n := next(t, ch, "reaction", func(n *signal.Notification) bool {
				return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Reaction != nil
			})
			its := items(t, n)
			if len(its) != 1 || its[0].Type != steward.EventReaction || its[0].Emoji != "👍" || n.Envelope.DataMessage.Reaction.TargetSentTimestamp != r.Timestamp {
				t.Errorf("reaction items %+v", its)
			}
		}
		if k == 4 {
			n := next(t, ch, "edit", func(n *signal.Notification) bool { return n.Envelope.EditMessage != nil })
			its := items(t, n)
			if n.Envelope.EditMessage.TargetSentTimestamp != replyTS[2] || len(its) != 1 || its[0].Type != steward.EventEdit || its[0].Body != "three (edited)" {
				t.Errorf("edit items %+v", its)
			}
		}
		if k == 5 {
			n := next(t, ch, "delete", func(n *signal.Notification) bool {
				return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.RemoteDelete != nil
			})
			its := items(t, n)
			if n.Envelope.DataMessage.RemoteDelete.Timestamp != replyTS[3] || len(its) != 1 || its[0].Type != steward.EventDelete {
				t.Errorf("delete items %+v", its)
			}
		}
	}
	for i := 1; i < len(sent); i++ {
		if sent[i] <= sent[i-1] {
			t.Errorf("timestamps not increasing: %v", sent)
		}
	}
}

func TestGroups(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice})
	ctx := context.Background()
	ch2, _ := h.stream(t, work2)
	r, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{Name: "Deal room", Members: []string{alice, work2}, Admins: []string{work2}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(r.GroupID)
	if err != nil || len(raw) != 32 {
		t.Fatalf("group id %q", r.GroupID)
	}
	n := next(t, ch2, "group update", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.GroupInfo != nil
	})
	if gi := n.Envelope.DataMessage.GroupInfo; gi.GroupID != r.GroupID || gi.Type != "UPDATE" || gi.GroupName != "Deal room" || gi.Revision != 1 {
		t.Errorf("group info %+v", gi)
	}
	gs, err := h.client.ListGroups(ctx, work)
	if err != nil || len(gs) != 1 {
		t.Fatalf("ListGroups: %v %+v", err, gs)
	}
	g := gs[0]
	if g.ID != r.GroupID || g.Name != "Deal room" || !g.IsMember || len(g.Members) != 3 {
		t.Fatalf("group %+v", g)
	}
	admins := map[string]bool{}
	for _, m := range g.Members {
		if m.UUID == "" {
			t.Errorf("member %+v has no uuid", m)
		}
		admins[m.Number] = m.IsAdmin
	}
	if !admins[work] || !admins[work2] || admins[alice] {
		t.Errorf("admins %v", admins)
	}
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{GroupID: r.GroupID, RemoveMembers: []string{alice}}); err != nil {
		t.Fatal(err)
	}
	gs, _ = h.client.ListGroups(ctx, work, r.GroupID)
	if len(gs) != 1 || len(gs[0].Members) != 2 {
		t.Fatalf("after removal %+v", gs)
	}
	// A group message reaches the other held account.
	sr := send(t, h.client, work, signal.SendParams{GroupID: r.GroupID, Message: "hello room"})
	if len(sr.Results) != 1 || !sr.AllDelivered() {
		t.Errorf("group send %+v", sr)
	}
	n = next(t, ch2, "group message", textIs("hello room"))
	its := items(t, n)
	if len(its) != 1 || its[0].Conversation.ID != r.GroupID {
		t.Errorf("group items %+v", its)
	}
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{GroupID: r.GroupID, RemoveMembers: []string{work2}}); err != nil {
		t.Fatal(err)
	}
	if gs, err := h.client.ListGroups(ctx, work2); err != nil || len(gs) != 1 || gs[0].IsMember {
		t.Errorf("removed member's view: %+v %v", gs, err)
	}
	if _, err := h.client.Send(ctx, work2, signal.SendParams{GroupID: r.GroupID, Message: "let me in"}); steward.KindOf(err) != steward.Invalid {
		t.Errorf("send by a removed member: %v", err)
	}
	if gs, err := h.client.ListGroups(ctx, work2, "bm9wZQ=="); err != nil || len(gs) != 0 {
		t.Errorf("unknown group listed: %+v %v", gs, err)
	}
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{GroupID: "bm9wZQ=="}); steward.KindOf(err) != steward.Invalid {
		t.Errorf("unknown group: %v", err)
	}
}

func TestAttachmentRoundTrip(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice, Replies: []string{"here it is back"}})
	ch, _ := h.stream(t, work)
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "consent?"})
	next(t, ch, "ACCEPT", textIs("ACCEPT"))
	data := []byte("%PDF-1.7 fake contract\x00\x01")
	uri := "data:application/pdf;filename=contract.pdf;base64," + base64.StdEncoding.EncodeToString(data)
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "the contract", Attachments: []string{uri}})
	n := next(t, ch, "reply with attachment", textIs("here it is back"))
	its := items(t, n)
	refs := signal.AttachmentRefs(&its[0])
	if len(refs) != 1 || refs[0].Filename != "contract.pdf" || refs[0].ContentType != "application/pdf" || refs[0].Size != int64(len(data)) {
		t.Fatalf("refs %+v", refs)
	}
	got, err := h.client.GetAttachment(context.Background(), work, refs[0].ID, refs[0].Recipient, refs[0].GroupID)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetAttachment = %q, %v", got, err)
	}
	if _, err := h.client.GetAttachment(context.Background(), work, "missing.bin", "", ""); steward.KindOf(err) != steward.Invalid {
		t.Errorf("unknown attachment: %v", err)
	}
	// Injected envelopes can carry stored attachments too.
	a := h.sim.StoreAttachment([]byte("img"), "image/png", "")
	msg := "photo"
	if err := h.sim.Inject(work, signalsim.Envelope{SourceNumber: carol, SourceDevice: 1, Timestamp: 42,
		DataMessage: &signalsim.DataMessage{Timestamp: 42, Message: &msg, Attachments: []signalsim.Attachment{a}}}); err != nil {
		t.Fatal(err)
	}
	n = next(t, ch, "injected", textIs("photo"))
	id := n.Envelope.DataMessage.Attachments[0].ID
	if got, err := h.client.GetAttachment(context.Background(), work, id, carol, ""); err != nil || string(got) != "img" {
		t.Errorf("injected attachment %q %v", got, err)
	}
}

func TestLink(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	ctx := context.Background()
	uri, err := h.client.StartLink(ctx)
	if err != nil || !strings.HasPrefix(uri, "sgnl://linkdevice?uuid=") || !strings.Contains(uri, "&pub_key=") {
		t.Fatalf("StartLink = %q, %v", uri, err)
	}
	h.sim.ExpectLink("+15550000077")
	num, err := h.client.FinishLink(ctx, uri, "steward")
	if err != nil || num != "+15550000077" {
		t.Fatalf("FinishLink = %q, %v", num, err)
	}
	if _, err := h.client.FinishLink(ctx, uri, "steward"); err == nil {
		t.Error("a used link URI finished twice")
	}
	var accts []struct{ Number string }
	if err := h.client.Call(ctx, "listAccounts", nil, &accts); err != nil || len(accts) != 3 || accts[2].Number != num {
		t.Errorf("listAccounts %+v %v", accts, err)
	}
	// The new account can be followed.
	ch, _ := h.stream(t, num)
	msg := "after link"
	h.sim.Inject(num, signalsim.Envelope{SourceNumber: alice, Timestamp: 7, DataMessage: &signalsim.DataMessage{Timestamp: 7, Message: &msg}})
	next(t, ch, "message to linked account", textIs(msg))
}

func TestQueuedUntilConnected(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice})
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "consent?"})
	deadline := time.Now().Add(2 * time.Second)
	for h.sim.Queued(work) < 3 { // delivery receipt, read receipt, ACCEPT
		if time.Now().After(deadline) {
			t.Fatalf("queued %d", h.sim.Queued(work))
		}
		time.Sleep(time.Millisecond)
	}
	if h.sim.Queued(work2) != 0 {
		t.Error("work2 got envelopes")
	}
	ch, _ := h.stream(t, work)
	next(t, ch, "delivery receipt", func(n *signal.Notification) bool {
		return n.Envelope.ReceiptMessage != nil && n.Envelope.ReceiptMessage.IsDelivery
	})
	next(t, ch, "read receipt", func(n *signal.Notification) bool {
		return n.Envelope.ReceiptMessage != nil && n.Envelope.ReceiptMessage.IsRead
	})
	next(t, ch, "queued ACCEPT", textIs("ACCEPT"))
	if h.sim.Queued(work) != 0 {
		t.Error("queue not drained")
	}
}

func TestDropReconnects(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	ch, ev := h.stream(t, "")
	inject := func(text string) {
		if err := h.sim.Inject(work, signalsim.Envelope{SourceNumber: alice, Timestamp: 1, DataMessage: &signalsim.DataMessage{Timestamp: 1, Message: &text}}); err != nil {
			t.Fatal(err)
		}
	}
	inject("before")
	next(t, ch, "before", textIs("before"))
	h.sim.Drop()
	inject("during") // queued or delivered once the stream is back
	next(t, ch, "during", textIs("during"))
	inject("after")
	next(t, ch, "after", textIs("after"))
	if st := ev.State(); st.Reconnects < 1 {
		t.Errorf("state %+v: no reconnect", st)
	}
	if err := h.sim.Inject(stranger, signalsim.Envelope{}); err == nil {
		t.Error("Inject to an unknown account succeeded")
	}
}

// TestOutage: an outage cuts the streams and refuses new ones with 503
// for its duration; what the contact wrote meanwhile is queued and
// delivered, once, when the stream is back.
func TestOutage(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice})
	ch, ev := h.stream(t, work)
	if err := h.sim.ContactWrites(alice, work, "before"); err != nil {
		t.Fatal(err)
	}
	next(t, ch, "before", textIs("before"))
	h.sim.Outage(300 * time.Millisecond)
	resp, err := http.Get(h.ts.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("event stream during an outage: %d, want 503", resp.StatusCode)
	}
	if err := h.sim.ContactWrites(alice, work, "during"); err != nil {
		t.Fatal(err)
	}
	if n := h.sim.Queued(work); n != 1 {
		t.Errorf("queued during the outage: %d, want 1", n)
	}
	next(t, ch, "during", textIs("during"))
	select {
	case n := <-ch:
		t.Errorf("unexpected envelope after the outage: %+v", n.Envelope)
	case <-time.After(50 * time.Millisecond):
	}
	if st := ev.State(); st.Reconnects < 1 {
		t.Errorf("state %+v: no reconnect", st)
	}
}

func TestEventsEndpoint(t *testing.T) {
	h := newHarness(t, signalsim.Options{KeepAlive: 5 * time.Millisecond})
	resp, err := http.Get(h.ts.URL + "/api/v1/events?account=%2B15559999999")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown account: %d, want 400", resp.StatusCode)
	}
	ev := &signal.Events{Client: h.client, Account: stranger}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ev.Stream(ctx, func(signal.Event) error { return nil }); steward.KindOf(err) != steward.Invalid {
		t.Errorf("connector on unknown account: %v", err)
	}

	resp, err = http.Get(h.ts.URL + "/api/v1/events?account=%2B15550000001")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	msg := "raw"
	h.sim.Inject(work, signalsim.Envelope{SourceNumber: alice, Timestamp: 9, DataMessage: &signalsim.DataMessage{Timestamp: 9, Message: &msg}})
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(2 * time.Second)
	for !(bytes.Contains(buf, []byte("\n:\n")) || bytes.HasPrefix(buf, []byte(":\n"))) || !bytes.Contains(buf, []byte("event:receive\ndata:{")) {
		if time.Now().After(deadline) {
			t.Fatalf("stream so far: %q", buf)
		}
		b := make([]byte, 1024)
		n, err := resp.Body.Read(b)
		buf = append(buf, b[:n]...)
		if err != nil {
			t.Fatalf("read: %v (so far %q)", err, buf)
		}
	}
	if !bytes.Contains(buf, []byte(`"account":"+15550000001"`)) {
		t.Errorf("data line lacks the account: %q", buf)
	}
}

func TestRecipientResults(t *testing.T) {
	h := newHarness(t, signalsim.Options{RateLimitNewContacts: 1})
	h.sim.AddContact(signalsim.Contact{Number: alice, Consent: "ignore"})
	h.sim.AddContact(signalsim.Contact{Number: bob, Consent: "ignore"})
	r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice, bob, stranger}, Message: "hi"})
	if len(r.Results) != 3 {
		t.Fatalf("results %+v", r)
	}
	want := []signal.DeliveryStatus{signal.StatusDelivered, signal.StatusRateLimited, signal.StatusUnregistered}
	for i, w := range want {
		if r.Results[i].Status != w {
			t.Errorf("result %d: %+v, want %s", i, r.Results[i], w)
		}
	}
	// alice is known now: no limit.
	if r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "again"}); !r.AllDelivered() {
		t.Errorf("known contact: %+v", r)
	}
}

func TestAccountToAccount(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	ch, _ := h.stream(t, work2)
	ctx := context.Background()
	r := send(t, h.client, work, signal.SendParams{Recipients: []string{work2}, Message: "internal"})
	next(t, ch, "internal", textIs("internal"))
	if _, err := h.client.SendReaction(ctx, work, signal.ReactionParams{Recipients: []string{work2}, Emoji: "❤", TargetAuthor: work, TargetTimestamp: r.Timestamp}); err != nil {
		t.Fatal(err)
	}
	n := next(t, ch, "reaction", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.Reaction != nil
	})
	if rx := n.Envelope.DataMessage.Reaction; rx.Emoji != "❤" || rx.TargetSentTimestamp != r.Timestamp || rx.TargetAuthorNumber != work {
		t.Errorf("reaction %+v", rx)
	}
	send(t, h.client, work, signal.SendParams{Recipients: []string{work2}, Message: "internal, fixed", EditTimestamp: r.Timestamp})
	n = next(t, ch, "edit", func(n *signal.Notification) bool { return n.Envelope.EditMessage != nil })
	if its := items(t, n); len(its) != 1 || its[0].Type != steward.EventEdit || its[0].Body != "internal, fixed" {
		t.Errorf("edit items %+v", its)
	}
	if _, err := h.client.RemoteDelete(ctx, work, signal.RemoteDeleteParams{Recipients: []string{work2}, TargetTimestamp: r.Timestamp}); err != nil {
		t.Fatal(err)
	}
	n = next(t, ch, "delete", func(n *signal.Notification) bool {
		return n.Envelope.DataMessage != nil && n.Envelope.DataMessage.RemoteDelete != nil
	})
	if its := items(t, n); len(its) != 1 || its[0].Type != steward.EventDelete {
		t.Errorf("delete items %+v", its)
	}
}

func TestCloseStopsContacts(t *testing.T) {
	sim := signalsim.New(signalsim.Options{})
	sim.AddAccount(work)
	sim.AddContact(signalsim.Contact{Number: alice, ReplyDelay: 20 * time.Millisecond})
	ts := httptest.NewServer(sim.Handler())
	defer ts.Close()
	c := &signal.Client{BaseURL: ts.URL}
	send(t, c, work, signal.SendParams{Recipients: []string{alice}, Message: "hi"})
	sim.Close()
	time.Sleep(40 * time.Millisecond)
	if q := sim.Queued(work); q != 0 {
		t.Errorf("contact acted after Close: %d queued", q)
	}
}

func TestDeterministicTimestamps(t *testing.T) {
	fixed := time.UnixMilli(1_700_000_000_000)
	h := newHarness(t, signalsim.Options{Now: func() time.Time { return fixed }})
	r1 := send(t, h.client, work, signal.SendParams{Recipients: []string{work2}, Message: "a"})
	r2 := send(t, h.client, work, signal.SendParams{Recipients: []string{work2}, Message: "b"})
	if r1.Timestamp != fixed.UnixMilli() || r2.Timestamp <= r1.Timestamp {
		t.Errorf("timestamps %d %d", r1.Timestamp, r2.Timestamp)
	}
}

func TestPhoneSend(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice})
	ch, _ := h.stream(t, work)
	ts, err := h.sim.PhoneSend(work, alice, "sent from my phone")
	if err != nil {
		t.Fatal(err)
	}
	n := next(t, ch, "sync message", func(n *signal.Notification) bool { return n.Envelope.SyncMessage != nil })
	its := items(t, n)
	if len(its) != 1 || its[0].Direction != steward.DirOutbound || its[0].Body != "sent from my phone" || its[0].Sender.Address != work {
		t.Errorf("sync items %+v", its)
	}
	if sm := n.Envelope.SyncMessage.SentMessage; sm.DestinationNumber != alice || sm.Timestamp != ts {
		t.Errorf("sentMessage %+v", sm)
	}
	next(t, ch, "ACCEPT after phone send", textIs("ACCEPT"))
}

// rpc posts one JSON-RPC call and returns the decoded response object.
func rpc(t *testing.T, h *harness, method string, params map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": 7})
	code, body := post(t, h.ts.URL+"/api/v1/rpc", "application/json", string(b))
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d", method, code)
	}
	var resp map[string]any
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("%s: %s: %v", method, body, err)
	}
	return resp
}

func TestProofRequiredRateLimit(t *testing.T) {
	h := newHarness(t, signalsim.Options{RateLimitAfter: 2})
	for _, n := range []string{alice, bob, carol} {
		h.sim.AddContact(signalsim.Contact{Number: n, Consent: signalsim.ConsentIgnore})
	}
	ch, _ := h.stream(t, work2)
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "1"})
	send(t, h.client, work, signal.SendParams{Recipients: []string{work2}, Message: "2"}) // held accounts count too
	if c := h.sim.Challenge(work); c != "" {
		t.Errorf("challenge %q before the limit was hit", c)
	}
	// Known recipients pass; a new one is refused with signal-cli's -5.
	resp := rpc(t, h, "send", map[string]any{"account": work, "recipient": []string{bob}, "message": "3"})
	challenge := h.sim.Challenge(work)
	if challenge == "" {
		t.Fatal("no challenge")
	}
	want := map[string]any{"jsonrpc": "2.0", "id": 7.0, "error": map[string]any{
		"code": -5.0, "message": "Failed to send message due to rate limiting",
		"data": map[string]any{"response": map[string]any{
			"timestamp": resp["error"].(map[string]any)["data"].(map[string]any)["response"].(map[string]any)["timestamp"],
			"results": []any{map[string]any{
				"recipientAddress":  map[string]any{"uuid": h.uuidOf(t, bob), "number": bob, "username": nil},
				"type":              "RATE_LIMIT_FAILURE",
				"token":             challenge,
				"retryAfterSeconds": 3600.0,
			}},
		}},
	}}
	if !reflect.DeepEqual(resp, want) {
		got, _ := json.Marshal(resp)
		exp, _ := json.Marshal(want)
		t.Errorf("rate-limit response\n got %s\nwant %s", got, exp)
	}
	// Mixed: a result, the new recipient failing with the same token.
	r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice, carol}, Message: "4"})
	if len(r.Results) != 2 || r.Results[0].Type != "SUCCESS" || r.Results[1].Type != "RATE_LIMIT_FAILURE" ||
		r.Results[1].Token != challenge || r.Results[1].RetryAfterSeconds == nil || *r.Results[1].RetryAfterSeconds != 3600 {
		t.Errorf("mixed results %+v", r.Results)
	}
	// A group send to a new member is limited too.
	g, err := h.client.UpdateGroup(context.Background(), work, signal.UpdateGroupParams{Name: "g", Members: []string{bob}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Send(context.Background(), work, signal.SendParams{GroupID: g.GroupID, Message: "5"}); !isRateLimit(err, challenge) {
		t.Errorf("group send: %v", err)
	}

	for _, bad := range []map[string]any{
		{"account": work, "challenge": "nope", "captcha": "signalcaptcha://ok"},
		{"account": work, "challenge": challenge, "captcha": "signalcaptcha://"},
		{"account": work, "challenge": challenge},
	} {
		resp := rpc(t, h, "submitRateLimitChallenge", bad)
		e, _ := resp["error"].(map[string]any)
		if e == nil || e["code"] != -6.0 || e["message"] != "Captcha rejected, it may be outdated, already used or solved from a different IP address." {
			t.Errorf("%v: %v", bad, resp)
		}
	}
	resp = rpc(t, h, "submitRateLimitChallenge", map[string]any{"account": work, "challenge": challenge, "captcha": "signalcaptcha://solved"})
	if res, ok := resp["result"].(map[string]any); !ok || len(res) != 0 || resp["error"] != nil {
		t.Errorf("submit: %v, want an empty result", resp)
	}
	if h.sim.Challenge(work) != "" {
		t.Error("challenge still pending")
	}
	// Two more new recipients, then a new challenge.
	send(t, h.client, work, signal.SendParams{Recipients: []string{bob}, Message: "6"})
	send(t, h.client, work, signal.SendParams{Recipients: []string{carol}, Message: "7"})
	if _, err := h.client.Send(context.Background(), work, signal.SendParams{Recipients: []string{stranger, "+15551110004"}, Message: "8"}); err == nil || isRateLimit(err, "") {
		t.Errorf("unregistered only: %v, want a plain failure", err)
	}
	h.sim.AddContact(signalsim.Contact{Number: "+15551110004", Consent: signalsim.ConsentIgnore})
	_, err = h.client.Send(context.Background(), work, signal.SendParams{Recipients: []string{"+15551110004"}, Message: "9"})
	if c := h.sim.Challenge(work); c == "" || c == challenge || !isRateLimit(err, c) {
		t.Errorf("second challenge %q (first %q): %v", c, challenge, err)
	}
	// Other accounts are not limited by work's challenge; turning the
	// limit off lifts it.
	send(t, h.client, work2, signal.SendParams{Recipients: []string{alice}, Message: "10"})
	h.sim.SetRateLimitAfter(0)
	if r := send(t, h.client, work, signal.SendParams{Recipients: []string{"+15551110004"}, Message: "11"}); !r.AllDelivered() {
		t.Errorf("after SetRateLimitAfter(0): %+v", r)
	}
	h.sim.SetRateLimitAfter(1)
	send(t, h.client, work2, signal.SendParams{Recipients: []string{bob}, Message: "12"})
	if _, err := h.client.Send(context.Background(), work2, signal.SendParams{Recipients: []string{carol}, Message: "13"}); !isRateLimit(err, h.sim.Challenge(work2)) {
		t.Errorf("after SetRateLimitAfter(1): %v", err)
	}
	next(t, ch, "work2's messages still arrive", textIs("2"))
}

func isRateLimit(err error, challenge string) bool {
	rl, ok := steward.AsRateLimit(err)
	return ok && (challenge == "" || rl.Challenge == challenge)
}

func (h *harness) uuidOf(t *testing.T, number string) string {
	t.Helper()
	var cs []struct{ Number, UUID string }
	if err := h.client.Call(context.Background(), "listContacts", map[string]any{"account": work}, &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Number == number {
			return c.UUID
		}
	}
	t.Fatalf("no contact %s", number)
	return ""
}

func TestSendReachingNobody(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	resp := rpc(t, h, "send", map[string]any{"account": work, "recipient": stranger, "message": "hi"})
	e, _ := resp["error"].(map[string]any)
	if e == nil || e["code"] != -1.0 || e["message"] != "Failed to send message" {
		t.Fatalf("send to an unregistered number: %v", resp)
	}
	results := e["data"].(map[string]any)["response"].(map[string]any)["results"].([]any)
	addr := results[0].(map[string]any)["recipientAddress"].(map[string]any)
	if len(results) != 1 || results[0].(map[string]any)["type"] != "UNREGISTERED_FAILURE" || addr["number"] != stranger || addr["uuid"] != nil {
		t.Errorf("results %v", results)
	}
	for _, ok := range []map[string]any{
		rpc(t, h, "remoteDelete", map[string]any{"account": work, "recipient": stranger, "targetTimestamp": 5}),
		rpc(t, h, "sendReaction", map[string]any{"account": work, "recipient": stranger, "emoji": "👍", "targetAuthor": work, "targetTimestamp": 5}),
	} {
		if e, _ := ok["error"].(map[string]any); e == nil || e["code"] != -1.0 {
			t.Errorf("action to nobody: %v", ok)
		}
	}
	// Other errors carry "data": null, as signal-cli writes them.
	resp = rpc(t, h, "send", map[string]any{"account": work, "recipient": alice, "message": "q", "quoteTimestamp": 5})
	if e, _ := resp["error"].(map[string]any); e == nil || e["code"] != -1.0 || e["message"] != "Quote author parameter is missing" {
		t.Errorf("quote without author: %v", resp)
	} else if d, has := e["data"]; !has || d != nil {
		t.Errorf("error data %v, want null", e)
	}
}

func TestUpdateGroupMembersAndAdmins(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice})
	h.sim.AddContact(signalsim.Contact{Number: bob})
	ctx := context.Background()
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{Name: "x", Members: []string{alice, stranger}}); steward.KindOf(err) != steward.Invalid ||
		!strings.Contains(err.Error(), "The user "+stranger+" is not registered.") {
		t.Errorf("create with an unregistered member: %v", err)
	}
	r, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{Name: "Deal room", Members: []string{alice, work}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 1 || r.Results[0].GroupID != "" || r.Results[0].RecipientAddress.Number != alice {
		t.Errorf("create results %+v (updateGroup's results carry no groupId)", r.Results)
	}
	admin := func() map[string]bool {
		gs, err := h.client.ListGroups(ctx, work, r.GroupID)
		if err != nil || len(gs) != 1 {
			t.Fatalf("ListGroups: %v", err)
		}
		m := map[string]bool{}
		for _, x := range gs[0].Members {
			m[x.Number] = x.IsAdmin
		}
		return m
	}
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{GroupID: r.GroupID, Members: []string{bob}, Admins: []string{bob, alice}}); err != nil {
		t.Fatal(err)
	}
	if m := admin(); len(m) != 3 || !m[work] || !m[alice] || !m[bob] {
		t.Errorf("after promote %v", m)
	}
	if _, err := h.client.UpdateGroup(ctx, work, signal.UpdateGroupParams{GroupID: r.GroupID, RemoveAdmins: []string{alice}, RemoveMembers: []string{bob}}); err != nil {
		t.Fatal(err)
	}
	if m := admin(); len(m) != 2 || m[alice] || !m[work] {
		t.Errorf("after demote and removal %v", m)
	}
}

func TestConsentWordsAndStop(t *testing.T) {
	h := newHarness(t, signalsim.Options{})
	h.sim.AddContact(signalsim.Contact{Number: alice, AcceptWord: "YES", Replies: []string{"one", "two", "three"}, StopAfter: 2})
	h.sim.AddContact(signalsim.Contact{Number: bob, Consent: signalsim.ConsentDecline, DeclineWord: "NO"})
	ch, _ := h.stream(t, work)
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "consent?"})
	next(t, ch, "YES", textIs("YES"))
	send(t, h.client, work, signal.SendParams{Recipients: []string{bob}, Message: "consent?"})
	next(t, ch, "NO", textIs("NO"))
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "q1"})
	next(t, ch, "one", textIs("one"))
	send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "q2"})
	next(t, ch, "two", textIs("two"))
	n := next(t, ch, "STOP", textIs("STOP"))
	if n.Envelope.SourceNumber != alice {
		t.Errorf("STOP from %s", n.Envelope.SourceNumber)
	}
	// After STOP, only receipts.
	r := send(t, h.client, work, signal.SendParams{Recipients: []string{alice}, Message: "q3"})
	next(t, ch, "read receipt for q3", func(n *signal.Notification) bool {
		rm := n.Envelope.ReceiptMessage
		return rm != nil && rm.IsRead && len(rm.Timestamps) == 1 && rm.Timestamps[0] == r.Timestamp
	})
	select {
	case n := <-ch:
		if n.Envelope.DataMessage != nil {
			t.Errorf("message after STOP: %+v", n.Envelope.DataMessage)
		}
	case <-time.After(30 * time.Millisecond):
	}
}
