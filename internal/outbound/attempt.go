package outbound

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// origin is what the delivery event says about the message that was sent.
type origin struct {
	channelID    string // the Steward id of the sent message (its record's channel_id)
	sender       steward.Party
	recipients   []steward.Party
	conversation steward.ConversationRef
}

// attempt makes one attempt at d, started by dispatch with the account
// marked busy and a slot taken; it gives both back when done.
func (w *Worker) attempt(runCtx context.Context, d *steward.Delivery, k account) {
	defer func() {
		w.mu.Lock()
		delete(w.busy, k)
		w.inflight--
		w.mu.Unlock()
		w.wg.Done()
		w.Kick() // the account may have more due, and a slot is free
	}()
	if runCtx.Err() != nil {
		return
	}
	// Once begun, an attempt runs to its end even if Run is cancelled: a
	// send cut off half way would leave its outcome unknown and unrecorded.
	ctx := context.WithoutCancel(runCtx)
	cur, ok := w.fresh(ctx, d)
	if !ok {
		return
	}

	// Claim before sending: if the process dies during the send, the
	// delivery comes due again only after a backoff, with the attempt
	// counted (see the package doc on at-least-once delivery).
	prev := cur.Attempts
	n := prev + 1
	cur.Attempts, cur.State, cur.Challenge = n, steward.DeliveryQueued, ""
	cur.NextAttemptAt = w.now().Add(w.backoff(n))
	if err := w.save(ctx, cur); err != nil {
		w.logger().Error("outbound: cannot claim delivery; not sending it now", "delivery", cur.ID, "err", err)
		return
	}

	sctx, cancel := context.WithTimeout(ctx, w.attemptTimeout())
	req, orig, err := w.request(sctx, cur)
	var res *steward.SendResult
	if err == nil {
		res, err = w.send(sctx, cur, req)
	}
	cancel()

	rctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if err == nil {
		w.sent(rctx, cur, n, orig, res)
	} else {
		w.failed(rctx, cur, prev, err)
	}
}

// request builds the channel request from the archived record. Returns
// NotFound or Gone for a record (or attachment) that cannot be read any
// more, Invalid for a record this delivery cannot send, and the Reader's
// other errors.
func (w *Worker) request(ctx context.Context, d *steward.Delivery) (*steward.SendRequest, *origin, error) {
	const op steward.Op = "outbound.request"
	rec, meta, c, err := w.Reader.Open(ctx, d.RecordID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	// The archive is the authority on what is sent and from where: a
	// delivery that disagrees with its record is a bug, never sent.
	switch {
	case meta.Channel != string(d.Channel):
		return nil, nil, steward.E(op, steward.Invalid, "the archived record is on another channel")
	case meta.Direction == steward.DirInbound:
		return nil, nil, steward.E(op, steward.Invalid, "an inbound record is never sent")
	case meta.Sender != d.Account:
		return nil, nil, steward.E(op, steward.Invalid, "the delivery's account is not the archived sender")
	}
	fits := rec.Kind == steward.RecordEvent && meta.Type == string(d.Op)
	if d.Op == steward.SendMessage {
		// Consent requests are messages too, archived as consent records.
		fits = rec.Kind == steward.RecordMessage && meta.Type == string(steward.EventMessage) ||
			rec.Kind == steward.RecordConsent && meta.Type == string(steward.EventConsent)
	}
	if !fits {
		return nil, nil, steward.Errorf(op, steward.Invalid, "the archived record is not a %s", d.Op)
	}
	if w.Guard != nil {
		if err := w.Guard(ctx, d, rec, c); err != nil {
			return nil, nil, steward.E(op, err)
		}
	}

	req := &steward.SendRequest{Op: d.Op, Account: meta.Sender, Target: meta.Target}
	if c.Conversation.ID != "" && c.Conversation.Kind != steward.ConversationDirect {
		req.GroupID = c.Conversation.ID
	} else {
		for _, r := range c.Recipients {
			req.Recipients = append(req.Recipients, r.Address)
		}
	}
	if req.GroupID == "" && len(req.Recipients) == 0 {
		return nil, nil, steward.E(op, steward.Invalid, "the archived record names no recipients")
	}
	switch d.Op {
	case steward.SendMessage:
		req.Body, req.ReplyTo = c.DeliveredBody(), meta.ReplyTo
		for i, a := range c.Attachments {
			if a.RecordID == "" {
				return nil, nil, steward.Errorf(op, steward.Integrity, "attachment %d has no archive record", i)
			}
			_, att, data, err := w.Reader.Attachment(ctx, a.RecordID)
			if err != nil {
				return nil, nil, steward.E(op, err)
			}
			att.Data, att.RecordID = data, a.RecordID
			req.Attachments = append(req.Attachments, att)
		}
	case steward.SendEdit:
		req.Body = c.DeliveredBody()
	case steward.SendReaction:
		req.Emoji, req.Remove = c.Emoji, c.Remove
		if req.Emoji == "" {
			return nil, nil, steward.E(op, steward.Invalid, "the archived reaction has no emoji")
		}
	}
	if d.Op != steward.SendMessage && req.Target == "" {
		return nil, nil, steward.E(op, steward.Invalid, "the archived event names no target")
	}

	o := &origin{channelID: meta.ChannelID, sender: c.Sender, conversation: c.Conversation,
		recipients: slices.Clone(c.Recipients)}
	if o.sender.Address != meta.Sender {
		o.sender = steward.Party{Address: meta.Sender}
	}
	return req, o, nil
}

// send hands req to the channel's sender. Returns Unavailable when there
// is no sender or it did not answer in time, and the sender's errors.
func (w *Worker) send(ctx context.Context, d *steward.Delivery, req *steward.SendRequest) (*steward.SendResult, error) {
	const op steward.Op = "outbound.send"
	s := w.Senders[d.Channel]
	if s == nil {
		return nil, steward.Errorf(op, steward.Unavailable, "no sender for channel %q", d.Channel)
	}
	res, err := s.Send(ctx, req)
	if err != nil {
		if _, ok := steward.AsRateLimit(err); !ok && errors.Is(err, context.DeadlineExceeded) {
			return nil, steward.E(op, steward.Unavailable, "the channel did not answer in time", err)
		}
		return nil, err
	}
	if res == nil {
		// A contract breach, but the message may well have gone: treat it
		// as sent rather than risk a duplicate.
		w.logger().Error("outbound: channel sender returned no result", "channel", d.Channel, "delivery", d.ID)
		res = &steward.SendResult{}
	}
	return res, nil
}

// sent records an attempt the channel answered with a result.
func (w *Worker) sent(ctx context.Context, d *steward.Delivery, n int, o *origin, res *steward.SendResult) {
	d.Results = slices.Clone(res.Recipients)
	now := w.now()
	switch reached, retryable := outcome(res.Recipients); {
	case reached || !retryable:
		// Sent, even if some recipients failed: see the package doc.
		d.State, d.ChannelMessageID, d.LastError = steward.DeliverySent, res.ChannelMessageID, ""
	case n >= w.maxAttempts():
		d.State, d.LastError = steward.DeliveryFailed, "no recipient could be reached"
	default:
		// Nobody has it, so a resend duplicates nothing.
		d.State, d.LastError = steward.DeliveryQueued, "no recipient could be reached; retrying"
		if slices.ContainsFunc(res.Recipients, func(r steward.RecipientStatus) bool { return r.Status == steward.StatusRateLimited }) {
			d.State = steward.DeliveryRateLimited
		}
		d.NextAttemptAt = now.Add(w.backoff(n))
	}
	w.archive(ctx, d, n, o, res)
	w.store(ctx, d)
}

// outcome says whether any recipient got the message, and whether any
// failure is worth retrying.
func outcome(rs []steward.RecipientStatus) (reached, retryable bool) {
	if len(rs) == 0 {
		return true, false // the channel reports none, e.g. a group of one
	}
	for _, r := range rs {
		switch r.Status {
		case steward.StatusSent, steward.StatusDelivered, steward.StatusRead:
			reached = true
		case steward.StatusRateLimited, steward.StatusNetworkFailure:
			retryable = true
		}
	}
	return reached, retryable
}

// failed records an attempt that ended in an error, prev being the
// attempt count before it was claimed.
func (w *Worker) failed(ctx context.Context, d *steward.Delivery, prev int, err error) {
	if rl, ok := steward.AsRateLimit(err); ok {
		w.rateLimited(ctx, d, prev, rl)
		return
	}
	d.LastError = steward.PublicMessage(err)
	switch {
	case steward.Is(steward.ConsentRequired, err) || steward.Is(steward.Permission, err):
		// Consent ended or the sender was offboarded while it waited (Guard).
		d.State = steward.DeliveryCancelled
	case permanent(err):
		d.State = steward.DeliveryFailed
	case d.Attempts >= w.maxAttempts():
		d.State = steward.DeliveryFailed
	default:
		d.State = steward.DeliveryQueued
		d.NextAttemptAt = w.now().Add(w.backoff(d.Attempts))
	}
	w.logger().Warn("outbound: send attempt failed", "delivery", d.ID, "channel", d.Channel,
		"attempt", d.Attempts, "state", d.State, "kind", steward.KindOf(err).String(), "err", err)
	w.store(ctx, d)
}

// permanent reports whether retrying err can never help.
func permanent(err error) bool {
	switch steward.KindOf(err) {
	case steward.Invalid, steward.NotFound, steward.Gone, steward.Integrity:
		return true
	}
	return false
}

// rateLimited records a refusal by the channel and holds the account. It
// is not counted as an attempt: nothing was sent, and a long limit must
// not use up the message's tries.
func (w *Worker) rateLimited(ctx context.Context, d *steward.Delivery, prev int, rl *steward.RateLimitError) {
	now := w.now()
	d.Attempts, d.State = prev, steward.DeliveryRateLimited
	h := hold{challenge: rl.Challenge}
	if rl.Challenge != "" {
		d.Challenge = rl.Challenge
		d.NextAttemptAt = now.Add(awaitOperator)
		d.LastError = "the channel asks the account to answer a challenge before it sends again"
	} else {
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = min(rateLimitWait, orDuration(w.MaxBackoff, DefaultMaxBackoff))
		}
		d.NextAttemptAt = now.Add(wait)
		h.until = d.NextAttemptAt
		d.LastError = "rate limited by the channel; will retry"
	}
	// The token is the operator's to answer; it stays out of the log.
	w.logger().Warn("outbound: account rate limited", "channel", d.Channel, "account", d.Account,
		"delivery", d.ID, "challenge", rl.Challenge != "", "retry_after", rl.RetryAfter)
	w.holdMu.Lock()
	defer w.holdMu.Unlock()
	k := accountOf(d)
	w.mu.Lock()
	old := w.holds[k]
	if old.challenge != "" && h.challenge == "" {
		h.challenge = old.challenge
	}
	if old.until.After(h.until) {
		h.until = old.until
	}
	w.holds[k] = h
	w.mu.Unlock()
	w.store(ctx, d)
}

// archive captures the outcome of an attempt that reached the channel as
// a delivery event, trying twice. The outbox keeps the outcome either way.
func (w *Worker) archive(ctx context.Context, d *steward.Delivery, n int, o *origin, res *steward.SendResult) {
	item := func() *steward.Item {
		return &steward.Item{
			Type:             steward.EventDelivery,
			Channel:          d.Channel,
			Direction:        steward.DirOutbound,
			ChannelMessageID: "delivery:" + d.ID + ":" + strconv.Itoa(n),
			Sender:           o.sender,
			Recipients:       slices.Clone(o.recipients),
			Target:           o.channelID,
			Conversation:     o.conversation,
			SentAt:           res.SentAt,
			Extra: map[string]any{
				"delivery_id":        d.ID,
				"channel_message_id": res.ChannelMessageID,
				"results":            append([]steward.RecipientStatus{}, res.Recipients...),
				"state":              string(d.State),
			},
		}
	}
	err := w.Capture(ctx, item())
	if err == nil {
		return
	}
	w.logger().Warn("outbound: delivery event not archived; retrying", "delivery", d.ID, "err", err)
	if sleep(ctx, 200*time.Millisecond) {
		// A fresh item: capture normalizes (mutates) what it is given.
		if err = w.Capture(ctx, item()); err == nil {
			return
		}
	}
	w.logger().Error("outbound: delivery event not archived; the outbox keeps the outcome",
		"delivery", d.ID, "attempt", n, "err", err)
}

// store saves an attempt's outcome, trying three times: an outcome lost
// here means the message is sent again after its backoff.
func (w *Worker) store(ctx context.Context, d *steward.Delivery) {
	var err error
	for i := range 3 {
		if i > 0 && !sleep(ctx, time.Duration(i)*100*time.Millisecond) {
			break
		}
		if err = w.save(ctx, d); err == nil {
			return
		}
	}
	w.logger().Error("outbound: delivery outcome not stored; it will be attempted again",
		"delivery", d.ID, "state", d.State, "err", err)
}

// backoff is the wait before attempt n+1: BaseBackoff doubled per attempt
// up to MaxBackoff, with equal jitter (at least half the step), so
// deliveries failing together do not retry together.
func (w *Worker) backoff(n int) time.Duration {
	base := orDuration(w.BaseBackoff, DefaultBaseBackoff)
	limit := orDuration(w.MaxBackoff, DefaultMaxBackoff)
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
