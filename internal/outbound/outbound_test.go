package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// The Worker's Reader is the pipeline's.
var _ Reader = (*pipeline.Reader)(nil)

const (
	alice = "+15550000001" // work identities
	dave  = "+15550000004"
	bob   = "+15550000002" // outside contacts
	carol = "+15550000003"
)

// clock is an injected Now that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeReader serves prepared records, as the archive would after capture.
type fakeReader struct {
	mu   sync.Mutex
	recs map[string]archived
	data map[string][]byte // attachment record id → plaintext
}

type archived struct {
	rec  *steward.Record
	meta *steward.RecordMeta
	c    *steward.Content
	err  error // returned by Open instead
}

func (r *fakeReader) Open(ctx context.Context, id string) (*steward.Record, *steward.RecordMeta, *steward.Content, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.recs[id]
	if !ok {
		return nil, nil, nil, steward.E(steward.Op("fake.Open"), steward.NotFound, "record not found")
	}
	if a.err != nil {
		return nil, nil, nil, a.err
	}
	return a.rec, a.meta, a.c, nil
}

func (r *fakeReader) Attachment(ctx context.Context, id string) (*steward.Record, steward.Attachment, []byte, error) {
	rec, meta, c, err := r.Open(ctx, id)
	if err != nil {
		return nil, steward.Attachment{}, nil, err
	}
	if rec.Kind != steward.RecordAttachment || meta.Blob == nil {
		return nil, steward.Attachment{}, nil, steward.E(steward.Op("fake.Attachment"), steward.NotFound, "record is not an attachment")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return rec, c.Attachments[0], slices.Clone(r.data[id]), nil
}

func (r *fakeReader) put(a archived) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.rec.ID == "" {
		a.rec.ID = steward.NewID()
	}
	r.recs[a.rec.ID] = a
	return a.rec.ID
}

// fakeSender stands in for the channel: it records every request and
// answers with fn, or with success for every recipient.
type fakeSender struct {
	mu   sync.Mutex
	reqs []*steward.SendRequest
	fn   func(req *steward.SendRequest) (*steward.SendResult, error)
}

func (s *fakeSender) Send(ctx context.Context, req *steward.SendRequest) (*steward.SendResult, error) {
	s.mu.Lock()
	c := *req
	s.reqs = append(s.reqs, &c)
	n := len(s.reqs)
	fn := s.fn
	s.mu.Unlock()
	if fn != nil {
		return fn(req)
	}
	return okResult(n, req), nil
}

func okResult(n int, req *steward.SendRequest) *steward.SendResult {
	res := &steward.SendResult{ChannelMessageID: fmt.Sprintf("17000000000%02d", n), SentAt: time.Unix(1700000000, 0).UTC()}
	for _, r := range req.Recipients {
		res.Recipients = append(res.Recipients, steward.RecipientStatus{Address: r, Status: steward.StatusSent})
	}
	return res
}

func (s *fakeSender) requests() []*steward.SendRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

func (s *fakeSender) setFn(fn func(req *steward.SendRequest) (*steward.SendResult, error)) {
	s.mu.Lock()
	s.fn = fn
	s.mu.Unlock()
}

type harness struct {
	t   *testing.T
	ctx context.Context
	db  *sqlite.DB
	rd  *fakeReader
	snd *fakeSender
	clk *clock
	w   *Worker

	mu      sync.Mutex
	items   []*steward.Item
	capErr  error
	notices []steward.Delivery
	seq     int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{
		t: t, ctx: context.Background(), db: db,
		rd:  &fakeReader{recs: map[string]archived{}, data: map[string][]byte{}},
		snd: &fakeSender{},
		clk: &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)},
	}
	h.w = &Worker{
		Store:   db,
		Reader:  h.rd,
		Senders: map[steward.Channel]steward.ChannelSender{"signal": h.snd},
		Capture: func(ctx context.Context, it *steward.Item) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.items = append(h.items, it)
			return h.capErr
		},
		Notify: func(d *steward.Delivery) {
			h.mu.Lock()
			h.notices = append(h.notices, *d)
			h.mu.Unlock()
		},
		Now:         h.clk.Now,
		MaxAttempts: 3,
		BaseBackoff: 2 * time.Second,
		MaxBackoff:  time.Minute,
		Concurrency: 4,
	}
	return h
}

// message archives a direct message from account to recipients and
// returns its record id.
func (h *harness) message(account string, to ...string) string {
	h.mu.Lock()
	h.seq++
	id := fmt.Sprintf("stw-%d", h.seq)
	h.mu.Unlock()
	c := &steward.Content{Body: "hello " + id, Sender: steward.Party{Address: account, EmployeeID: "emp-" + account}}
	for _, r := range to {
		c.Recipients = append(c.Recipients, steward.Party{Address: r})
	}
	return h.rd.put(archived{
		rec:  &steward.Record{Kind: steward.RecordMessage},
		meta: &steward.RecordMeta{Channel: "signal", ChannelID: id, Type: "message", Direction: steward.DirOutbound, Sender: account, Recipients: to},
		c:    c,
	})
}

func (h *harness) enqueue(recordID, account string, op steward.SendOp) *steward.Delivery {
	h.t.Helper()
	d := &steward.Delivery{RecordID: recordID, Channel: "signal", Account: account, Op: op}
	if err := h.w.Enqueue(h.ctx, d); err != nil {
		h.t.Fatalf("Enqueue: %v", err)
	}
	return d
}

// step runs one dispatch round and waits for its attempts.
func (h *harness) step() {
	h.w.init()
	h.w.dispatch(h.ctx)
	h.w.wg.Wait()
}

func (h *harness) get(recordID string) *steward.Delivery {
	h.t.Helper()
	d, err := h.db.DeliveryByRecord(h.ctx, recordID)
	if err != nil {
		h.t.Fatalf("DeliveryByRecord: %v", err)
	}
	return d
}

func (h *harness) captured() []*steward.Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.items)
}

func TestSendMessageWithAttachments(t *testing.T) {
	h := newHarness(t)
	var atts []steward.Attachment
	for i, body := range []string{"%PDF-1.7 contract", "\x89PNG image"} {
		name := fmt.Sprintf("file%d", i)
		id := h.rd.put(archived{
			rec:  &steward.Record{Kind: steward.RecordAttachment},
			meta: &steward.RecordMeta{Channel: "signal", Type: "attachment", Blob: &steward.BlobRef{Key: "k" + name}},
			c:    &steward.Content{Attachments: []steward.Attachment{{Filename: name, ContentType: "application/octet-stream", Size: int64(len(body))}}},
		})
		h.rd.data[id] = []byte(body)
		atts = append(atts, steward.Attachment{Filename: name, Size: int64(len(body)), RecordID: id})
	}
	conv := steward.ConversationRef{Kind: steward.ConversationDirect}
	recID := h.rd.put(archived{
		rec: &steward.Record{Kind: steward.RecordMessage},
		meta: &steward.RecordMeta{Channel: "signal", ChannelID: "stw-msg-1", Type: "message", Direction: steward.DirOutbound,
			Sender: alice, Recipients: []string{bob, carol}, ReplyTo: "1699999999999", Attachments: []string{atts[0].RecordID, atts[1].RecordID}},
		c: &steward.Content{Body: "see attached", Sender: steward.Party{Address: alice, EmployeeID: "emp-1"},
			Recipients: []steward.Party{{Address: bob}, {Address: carol}}, Conversation: conv, Attachments: atts},
	})
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		return &steward.SendResult{ChannelMessageID: "1700000000123", SentAt: time.Unix(1700000000, 123e6).UTC(),
			Recipients: []steward.RecipientStatus{{Address: bob, Status: steward.StatusSent}, {Address: carol, Status: steward.StatusUnregistered, Detail: "UNREGISTERED_FAILURE"}}}, nil
	})
	d := h.enqueue(recID, alice, steward.SendMessage)
	h.step()

	reqs := h.snd.requests()
	if len(reqs) != 1 {
		t.Fatalf("sent %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Op != steward.SendMessage || req.Account != alice || !slices.Equal(req.Recipients, []string{bob, carol}) ||
		req.GroupID != "" || req.Body != "see attached" || req.ReplyTo != "1699999999999" || req.Target != "" {
		t.Errorf("request = %+v", req)
	}
	if len(req.Attachments) != 2 {
		t.Fatalf("request has %d attachments, want 2", len(req.Attachments))
	}
	for i, a := range req.Attachments {
		if !bytes.Equal(a.Data, h.rd.data[atts[i].RecordID]) || a.Filename != atts[i].Filename || a.RecordID != atts[i].RecordID {
			t.Errorf("attachment %d = %+v", i, a)
		}
	}

	got := h.get(recID)
	want := []steward.RecipientStatus{{Address: bob, Status: steward.StatusSent}, {Address: carol, Status: steward.StatusUnregistered, Detail: "UNREGISTERED_FAILURE"}}
	if got.State != steward.DeliverySent || got.Attempts != 1 || got.ChannelMessageID != "1700000000123" ||
		got.LastError != "" || !slices.Equal(got.Results, want) {
		t.Errorf("delivery = %+v", got)
	}

	items := h.captured()
	if len(items) != 1 {
		t.Fatalf("captured %d items, want 1", len(items))
	}
	it := items[0]
	if it.Type != steward.EventDelivery || it.Channel != "signal" || it.Direction != steward.DirOutbound ||
		it.ChannelMessageID != "delivery:"+d.ID+":1" || it.IdempotencyKey != "" || it.Target != "stw-msg-1" ||
		it.Sender.Address != alice || it.Sender.EmployeeID != "emp-1" || it.Conversation != conv ||
		len(it.Recipients) != 2 || it.Recipients[1].Address != carol || it.Body != "" || len(it.Attachments) != 0 {
		t.Errorf("delivery event = %+v", it)
	}
	if it.Extra["delivery_id"] != d.ID || it.Extra["channel_message_id"] != "1700000000123" || it.Extra["state"] != "sent" {
		t.Errorf("delivery event extra = %v", it.Extra)
	}
	if rs, ok := it.Extra["results"].([]steward.RecipientStatus); !ok || !slices.Equal(rs, want) {
		t.Errorf("delivery event results = %#v", it.Extra["results"])
	}
	// The event must pass the pipeline's gate, or it could never be archived.
	c := *it
	if err := pipeline.Normalize(&c, pipeline.Limits{}, h.clk.Now()); err != nil {
		t.Errorf("delivery event does not normalize: %v", err)
	}

	h.mu.Lock()
	var states []steward.DeliveryState
	for _, n := range h.notices {
		states = append(states, n.State)
	}
	h.mu.Unlock()
	if !slices.Equal(states, []steward.DeliveryState{steward.DeliveryQueued, steward.DeliveryQueued, steward.DeliverySent}) {
		t.Errorf("notified states %v, want queued (enqueue), queued (claim), sent", states)
	}

	// Sent is final: nothing more goes out, however long we wait.
	h.clk.Advance(time.Hour)
	h.step()
	if n := len(h.snd.requests()); n != 1 {
		t.Errorf("%d sends after success, want 1", n)
	}
}

func TestRequestForEachOp(t *testing.T) {
	h := newHarness(t)
	event := func(typ string, c *steward.Content) string {
		c.Sender = steward.Party{Address: alice}
		if c.Conversation.ID == "" {
			c.Recipients = []steward.Party{{Address: bob}}
		}
		return h.rd.put(archived{
			rec:  &steward.Record{Kind: steward.RecordEvent},
			meta: &steward.RecordMeta{Channel: "signal", ChannelID: "stw-" + typ, Type: typ, Direction: steward.DirOutbound, Sender: alice, Target: "1700000000001"},
			c:    c,
		})
	}
	group := h.rd.put(archived{
		rec:  &steward.Record{Kind: steward.RecordMessage},
		meta: &steward.RecordMeta{Channel: "signal", ChannelID: "stw-g", Type: "message", Direction: steward.DirOutbound, Sender: alice},
		c: &steward.Content{Body: "to the group", Sender: steward.Party{Address: alice},
			Recipients:   []steward.Party{{Address: bob}, {Address: carol}},
			Conversation: steward.ConversationRef{ID: "Z3JvdXA=", Kind: steward.ConversationGroup}},
	})
	consent := h.rd.put(archived{
		rec:  &steward.Record{Kind: steward.RecordConsent},
		meta: &steward.RecordMeta{Channel: "signal", ChannelID: "stw-consent", Type: "consent", Direction: steward.DirOutbound, Sender: alice},
		c:    &steward.Content{Body: "Reply ACCEPT", Sender: steward.Party{Address: alice}, Recipients: []steward.Party{{Address: bob}}},
	})
	cases := []struct {
		name   string
		record string
		op     steward.SendOp
		want   steward.SendRequest
	}{
		{"edit", event("edit", &steward.Content{Body: "fixed"}), steward.SendEdit,
			steward.SendRequest{Op: steward.SendEdit, Account: alice, Recipients: []string{bob}, Body: "fixed", Target: "1700000000001"}},
		{"delete", event("delete", &steward.Content{}), steward.SendDelete,
			steward.SendRequest{Op: steward.SendDelete, Account: alice, Recipients: []string{bob}, Target: "1700000000001"}},
		{"reaction", event("reaction", &steward.Content{Emoji: "👍", Remove: true}), steward.SendReaction,
			steward.SendRequest{Op: steward.SendReaction, Account: alice, Recipients: []string{bob}, Target: "1700000000001", Emoji: "👍", Remove: true}},
		{"group reaction", event("reaction", &steward.Content{Emoji: "🎉", Conversation: steward.ConversationRef{ID: "Z3JvdXA="}}), steward.SendReaction,
			steward.SendRequest{Op: steward.SendReaction, Account: alice, GroupID: "Z3JvdXA=", Target: "1700000000001", Emoji: "🎉"}},
		{"group message", group, steward.SendMessage,
			steward.SendRequest{Op: steward.SendMessage, Account: alice, GroupID: "Z3JvdXA=", Body: "to the group"}},
		{"consent request", consent, steward.SendMessage,
			steward.SendRequest{Op: steward.SendMessage, Account: alice, Recipients: []string{bob}, Body: "Reply ACCEPT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.snd.requests())
			h.enqueue(tc.record, alice, tc.op)
			h.step()
			reqs := h.snd.requests()
			if len(reqs) != before+1 {
				t.Fatalf("sent %d requests, want 1", len(reqs)-before)
			}
			got := reqs[before]
			if got.Op != tc.want.Op || got.Account != tc.want.Account || !slices.Equal(got.Recipients, tc.want.Recipients) ||
				got.GroupID != tc.want.GroupID || got.Body != tc.want.Body || got.Target != tc.want.Target ||
				got.Emoji != tc.want.Emoji || got.Remove != tc.want.Remove || got.ReplyTo != "" {
				t.Errorf("request = %+v, want %+v", got, tc.want)
			}
			if d := h.get(tc.record); d.State != steward.DeliverySent {
				t.Errorf("state %s, want sent", d.State)
			}
		})
	}
}

func TestPartialFailureStaysSent(t *testing.T) {
	h := newHarness(t)
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		return &steward.SendResult{ChannelMessageID: "1700000000555", Recipients: []steward.RecipientStatus{
			{Address: bob, Status: steward.StatusSent},
			{Address: carol, Status: steward.StatusRateLimited},
		}}, nil
	})
	rec := h.message(alice, bob, carol)
	h.enqueue(rec, alice, steward.SendMessage)
	h.step()
	h.clk.Advance(time.Hour)
	h.step()
	d := h.get(rec)
	if d.State != steward.DeliverySent || d.ChannelMessageID != "1700000000555" || len(d.Results) != 2 ||
		d.Results[1].Status != steward.StatusRateLimited {
		t.Errorf("delivery = %+v", d)
	}
	if n := len(h.snd.requests()); n != 1 {
		t.Errorf("sent %d times; a recipient who has it would see a duplicate", n)
	}
}

func TestNoRecipientReachedIsRetried(t *testing.T) {
	h := newHarness(t)
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		return &steward.SendResult{ChannelMessageID: "1700000000777", Recipients: []steward.RecipientStatus{
			{Address: bob, Status: steward.StatusNetworkFailure},
		}}, nil
	})
	rec := h.message(alice, bob)
	d := h.enqueue(rec, alice, steward.SendMessage)
	h.step()
	got := h.get(rec)
	if got.State != steward.DeliveryQueued || got.Attempts != 1 || got.ChannelMessageID != "" || !got.NextAttemptAt.After(h.clk.Now()) {
		t.Errorf("after a send nobody got: %+v", got)
	}
	h.snd.setFn(nil)
	h.clk.Advance(time.Minute)
	h.step()
	if got := h.get(rec); got.State != steward.DeliverySent || got.Attempts != 2 {
		t.Errorf("after retry: %+v", got)
	}
	items := h.captured()
	if len(items) != 2 || items[0].ChannelMessageID != "delivery:"+d.ID+":1" || items[0].Extra["state"] != "queued" ||
		items[1].ChannelMessageID != "delivery:"+d.ID+":2" || items[1].Extra["state"] != "sent" {
		t.Errorf("delivery events: %d, %+v", len(items), items)
	}
}

func TestChallengeHoldsAccountUntilSubmitted(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	challenged := false
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if req.Account == alice && !challenged {
			challenged = true
			return nil, fmt.Errorf("signal: %w", &steward.RateLimitError{Challenge: "captcha-token", Msg: "proof required"})
		}
		return okResult(0, req), nil
	})
	d1 := h.message(alice, bob)
	d2 := h.message(alice, carol)
	other := h.message(dave, bob)
	h.enqueue(d1, alice, steward.SendMessage)
	h.enqueue(d2, alice, steward.SendMessage)
	h.enqueue(other, dave, steward.SendMessage)

	h.step() // d1 is refused with a challenge; dave's goes out
	h.step() // d2 finds alice held
	got := h.get(d1)
	if got.State != steward.DeliveryRateLimited || got.Challenge != "captcha-token" || got.Attempts != 0 ||
		got.NextAttemptAt.Before(h.clk.Now().AddDate(50, 0, 0)) || got.LastError == "" {
		t.Errorf("challenged delivery = %+v", got)
	}
	if got := h.get(d2); got.State != steward.DeliveryRateLimited || got.Challenge != "captcha-token" || got.Attempts != 0 {
		t.Errorf("delivery behind the challenge = %+v", got)
	}
	if got := h.get(other); got.State != steward.DeliverySent {
		t.Errorf("another account's delivery = %+v, want sent", got)
	}

	// A burst of new deliveries queues behind the challenge, however long.
	d3 := h.message(alice, bob)
	h.enqueue(d3, alice, steward.SendMessage)
	h.clk.Advance(30 * 24 * time.Hour)
	h.step()
	h.step()
	if got := h.get(d3); got.State != steward.DeliveryRateLimited || got.Challenge != "captcha-token" {
		t.Errorf("new delivery of a challenged account = %+v", got)
	}
	if err := h.w.Retry(h.ctx, h.get(d2).ID); !steward.Is(steward.Conflict, err) {
		t.Errorf("Retry during a challenge = %v, want Conflict", err)
	}
	if n := len(aliceBodies(h.snd.requests())); n != 1 {
		t.Fatalf("alice sent %d times, want only the challenged attempt", n)
	}

	if err := h.w.SubmittedChallenge(h.ctx, alice); err != nil {
		t.Fatalf("SubmittedChallenge: %v", err)
	}
	for _, rec := range []string{d1, d2, d3} {
		if got := h.get(rec); got.State != steward.DeliveryQueued || got.Challenge != "" || got.NextAttemptAt.After(h.clk.Now()) {
			t.Errorf("released delivery = %+v", got)
		}
	}
	for range 4 {
		h.step()
	}
	bodies := aliceBodies(h.snd.requests())[1:]
	want := []string{"hello stw-1", "hello stw-2", "hello stw-4"}
	if !slices.Equal(bodies, want) {
		t.Errorf("sent after the challenge %v, want %v in order", bodies, want)
	}
	if err := h.w.SubmittedChallenge(h.ctx, alice); err != nil {
		t.Errorf("answering twice: %v", err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	h := newHarness(t)
	limited := true
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		if limited {
			limited = false // steps run one send at a time for alice
			return nil, &steward.RateLimitError{RetryAfter: 30 * time.Second}
		}
		return okResult(0, req), nil
	})
	d1 := h.message(alice, bob)
	d2 := h.message(alice, carol)
	h.enqueue(d1, alice, steward.SendMessage)
	h.enqueue(d2, alice, steward.SendMessage)
	start := h.clk.Now()
	h.step()
	h.step()
	until := start.Add(30 * time.Second)
	for _, rec := range []string{d1, d2} {
		if got := h.get(rec); got.State != steward.DeliveryRateLimited || !got.NextAttemptAt.Equal(until) || got.Challenge != "" || got.Attempts != 0 {
			t.Errorf("rate-limited delivery = %+v, want due at %v", got, until)
		}
	}
	h.clk.Advance(29 * time.Second)
	h.w.Kick()
	h.step()
	if n := len(h.snd.requests()); n != 1 {
		t.Fatalf("%d sends before Retry-After passed, want 1", n)
	}
	h.clk.Advance(time.Second)
	h.step()
	h.step()
	reqs := h.snd.requests()
	if len(reqs) != 3 || reqs[1].Body != "hello stw-1" || reqs[2].Body != "hello stw-2" {
		t.Errorf("after Retry-After sent %d: %+v", len(reqs), reqs)
	}
	for _, rec := range []string{d1, d2} {
		if got := h.get(rec); got.State != steward.DeliverySent || got.Attempts != 1 {
			t.Errorf("delivery = %+v, want sent after one counted attempt", got)
		}
	}
}

func TestTransientBackoffThenFailed(t *testing.T) {
	h := newHarness(t)
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		return nil, steward.E(steward.Op("signal.Send"), steward.Unavailable, "signal-cli could not reach Signal",
			errors.New("dial tcp 10.1.2.3:7583: connection refused"))
	})
	rec := h.message(alice, bob)
	h.enqueue(rec, alice, steward.SendMessage)
	step := 2 * time.Second
	for attempt := 1; attempt <= 3; attempt++ {
		now := h.clk.Now()
		h.step()
		got := h.get(rec)
		if got.Attempts != attempt || got.LastError != "signal-cli could not reach Signal" {
			t.Fatalf("attempt %d: %+v", attempt, got)
		}
		if attempt == 3 {
			if got.State != steward.DeliveryFailed {
				t.Fatalf("after MaxAttempts: state %s, want failed", got.State)
			}
			break
		}
		wait := got.NextAttemptAt.Sub(now)
		if got.State != steward.DeliveryQueued || wait < step/2 || wait > step {
			t.Fatalf("attempt %d: state %s, backoff %v, want queued within [%v, %v]", attempt, got.State, wait, step/2, step)
		}
		h.step() // not due yet: nothing is sent
		if n := len(h.snd.requests()); n != attempt {
			t.Fatalf("sent %d times before the backoff ended, want %d", n, attempt)
		}
		h.clk.Advance(step)
		step *= 2
	}
	h.clk.Advance(time.Hour)
	h.step()
	if n := len(h.snd.requests()); n != 3 {
		t.Errorf("sent %d times, want 3 (MaxAttempts)", n)
	}
	if n := len(h.captured()); n != 0 {
		t.Errorf("%d delivery events for attempts that never reached the channel", n)
	}

	// An error without a public message shows only a fixed phrase.
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		return nil, errors.New("json: cannot unmarshal secret internals")
	})
	rec2 := h.message(alice, bob)
	h.enqueue(rec2, alice, steward.SendMessage)
	h.step()
	if got := h.get(rec2); got.LastError != "internal error" || got.State != steward.DeliveryQueued {
		t.Errorf("raw error: %+v", got)
	}
}

func TestPermanentFailures(t *testing.T) {
	h := newHarness(t)
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		if req.Body == "bad" {
			return nil, steward.E(steward.Op("signal.Send"), steward.Invalid, "signal-cli rejected the request")
		}
		return okResult(0, req), nil
	})
	invalid := h.message(alice, bob)
	h.rd.recs[invalid].c.Body = "bad"
	gone := h.rd.put(archived{rec: &steward.Record{}, err: steward.E(steward.Op("fake"), steward.Gone, "content destroyed")})
	inbound := h.message(alice, bob)
	h.rd.recs[inbound].meta.Direction = steward.DirInbound
	notAnEdit := h.message(alice, bob)
	cases := []struct {
		name, record, account string
		op                    steward.SendOp
		sends                 int
	}{
		{"channel says invalid", invalid, alice, steward.SendMessage, 1},
		{"record gone", gone, alice, steward.SendMessage, 0},
		{"record not found", "no-such-record", alice, steward.SendMessage, 0},
		{"account is not the sender", h.message(alice, bob), dave, steward.SendMessage, 0},
		{"inbound record", inbound, alice, steward.SendMessage, 0},
		{"op does not match record", notAnEdit, alice, steward.SendEdit, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.snd.requests())
			h.enqueue(tc.record, tc.account, tc.op)
			h.step()
			got := h.get(tc.record)
			if got.State != steward.DeliveryFailed || got.Attempts != 1 || got.LastError == "" || got.LastError == "internal error" {
				t.Errorf("delivery = %+v, want failed at once with a reason", got)
			}
			if n := len(h.snd.requests()) - before; n != tc.sends {
				t.Errorf("%d sends, want %d", n, tc.sends)
			}
		})
	}

	// An administrator's Retry gives a failed delivery one more attempt.
	h.rd.recs[invalid].c.Body = "good now"
	id := h.get(invalid).ID
	if err := h.w.Retry(h.ctx, id); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	h.step()
	if got := h.get(invalid); got.State != steward.DeliverySent || got.Attempts != 2 {
		t.Errorf("after Retry: %+v", got)
	}
	if err := h.w.Retry(h.ctx, id); !steward.Is(steward.NotFound, err) {
		t.Errorf("Retry of a sent delivery = %v, want NotFound", err)
	}
}

func TestNoSenderIsTransient(t *testing.T) {
	h := newHarness(t)
	rec := h.message(alice, bob)
	h.rd.recs[rec].meta.Channel = "whatsapp"
	d := &steward.Delivery{RecordID: rec, Channel: "whatsapp", Account: alice, Op: steward.SendMessage}
	if err := h.w.Enqueue(h.ctx, d); err != nil {
		t.Fatal(err)
	}
	h.step()
	if got := h.get(rec); got.State != steward.DeliveryQueued || got.Attempts != 1 || got.LastError != `no sender for channel "whatsapp"` {
		t.Errorf("delivery = %+v", got)
	}
}

func TestEnqueueErrors(t *testing.T) {
	h := newHarness(t)
	if err := h.w.Enqueue(h.ctx, &steward.Delivery{RecordID: "r", Channel: "signal", Account: alice, Op: "poke"}); !steward.Is(steward.Invalid, err) {
		t.Errorf("bad op: %v, want Invalid", err)
	}
	rec := h.message(alice, bob)
	h.enqueue(rec, alice, steward.SendMessage)
	if err := h.w.Enqueue(h.ctx, &steward.Delivery{RecordID: rec, Channel: "signal", Account: alice, Op: steward.SendMessage}); !steward.Is(steward.Conflict, err) {
		t.Errorf("second delivery of a record: %v, want Conflict", err)
	}
}

func TestClaimedBeforeSend(t *testing.T) {
	h := newHarness(t)
	rec := h.message(alice, bob)
	var during *steward.Delivery
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		during = h.get(rec)
		return okResult(0, req), nil
	})
	h.enqueue(rec, alice, steward.SendMessage)
	h.step()
	// Were the process to die now, the delivery would come back only after
	// a backoff, with this attempt counted.
	if during == nil || during.Attempts != 1 || !during.NextAttemptAt.After(h.clk.Now()) {
		t.Errorf("delivery during the send = %+v, want claimed", during)
	}
}

func TestCaptureFailureStillStored(t *testing.T) {
	h := newHarness(t)
	h.capErr = steward.E(steward.Op("pipeline.Capture"), steward.Unavailable, "archive down")
	rec := h.message(alice, bob)
	h.enqueue(rec, alice, steward.SendMessage)
	h.step()
	if got := h.get(rec); got.State != steward.DeliverySent {
		t.Errorf("delivery = %+v, want sent although its event was not archived", got)
	}
	if n := len(h.captured()); n != 2 {
		t.Errorf("Capture called %d times, want 2 (one retry)", n)
	}
}

func TestHoldsRestoredOnRun(t *testing.T) {
	h := newHarness(t)
	d1 := h.message(alice, bob)
	d := h.enqueue(d1, alice, steward.SendMessage)
	d.State, d.Challenge, d.NextAttemptAt = steward.DeliveryRateLimited, "captcha-token", h.clk.Now().AddDate(100, 0, 0)
	if err := h.db.UpdateDelivery(h.ctx, d); err != nil {
		t.Fatal(err)
	}
	d2 := h.message(alice, carol)
	h.enqueue(d2, alice, steward.SendMessage)

	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	waitFor(t, func() bool { return h.get(d2).State == steward.DeliveryRateLimited })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(h.snd.requests()); n != 0 {
		t.Errorf("%d sends from an account awaiting a challenge", n)
	}
	if got := h.get(d2); got.Challenge != "captcha-token" {
		t.Errorf("delivery = %+v, want parked behind the challenge", got)
	}
}

func TestPerAccountOrderUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	h.w.Now = nil
	h.w.Poll = 10 * time.Millisecond
	accounts := []string{alice, dave, "+15550000005"}
	var mu sync.Mutex
	inflight := map[string]int{}
	total, maxTotal := 0, 0
	order := map[string][]string{}
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		mu.Lock()
		inflight[req.Account]++
		total++
		maxTotal = max(maxTotal, total)
		if inflight[req.Account] > 1 {
			t.Errorf("two sends from %s at once", req.Account)
		}
		order[req.Account] = append(order[req.Account], req.Body)
		mu.Unlock()
		time.Sleep(3 * time.Millisecond)
		mu.Lock()
		inflight[req.Account]--
		total--
		mu.Unlock()
		return okResult(0, req), nil
	})
	want := map[string][]string{}
	var recs []string
	for range 8 {
		for _, a := range accounts {
			rec := h.message(a, bob)
			recs = append(recs, rec)
			want[a] = append(want[a], h.rd.recs[rec].c.Body)
			h.enqueue(rec, a, steward.SendMessage)
		}
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	waitFor(t, func() bool {
		for _, r := range recs {
			if h.get(r).State != steward.DeliverySent {
				return false
			}
		}
		return true
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, a := range accounts {
		if !slices.Equal(order[a], want[a]) {
			t.Errorf("%s sent %v, want %v", a, order[a], want[a])
		}
	}
	if maxTotal < 2 {
		t.Errorf("at most %d sends at once; accounts should send in parallel", maxTotal)
	}
}

func TestRunFinishesInFlightSendOnCancel(t *testing.T) {
	h := newHarness(t)
	h.w.Now = nil
	entered, release := make(chan struct{}), make(chan struct{})
	h.snd.setFn(func(req *steward.SendRequest) (*steward.SendResult, error) {
		close(entered)
		<-release
		return okResult(0, req), nil
	})
	rec := h.message(alice, bob)
	h.enqueue(rec, alice, steward.SendMessage)
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) with a send in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := h.get(rec); got.State != steward.DeliverySent {
		t.Errorf("delivery = %+v, want the in-flight send's outcome stored", got)
	}

	// Without its dependencies Run refuses to start.
	if err := (&Worker{}).Run(h.ctx); !steward.Is(steward.Invalid, err) {
		t.Errorf("Run without Store = %v, want Invalid", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	w := &Worker{BaseBackoff: time.Second, MaxBackoff: 10 * time.Second}
	for n, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 40: 10 * time.Second} {
		for range 50 {
			if d := w.backoff(n); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func aliceBodies(reqs []*steward.SendRequest) []string {
	var bodies []string
	for _, r := range reqs {
		if r.Account == alice {
			bodies = append(bodies, r.Body)
		}
	}
	return bodies
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOldestOfAccountFirst(t *testing.T) {
	h := newHarness(t)
	d1 := h.message(alice, bob)
	d2 := h.message(alice, bob)
	// d1 was written first but comes due later (as after a per-recipient
	// retry); the store lists d2 first, yet d1 must leave first.
	first := &steward.Delivery{RecordID: d1, Channel: "signal", Account: alice, Op: steward.SendMessage, NextAttemptAt: h.clk.Now().Add(time.Second)}
	if err := h.w.Enqueue(h.ctx, first); err != nil {
		t.Fatal(err)
	}
	h.enqueue(d2, alice, steward.SendMessage)
	h.clk.Advance(2 * time.Second)
	h.step()
	h.step()
	if got := aliceBodies(h.snd.requests()); !slices.Equal(got, []string{"hello stw-1", "hello stw-2"}) {
		t.Errorf("sent %v, want the oldest first", got)
	}
}
