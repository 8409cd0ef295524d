// Package outbound is the durable outbox sender. Every outbound message is
// captured first (sealed and appended to the archive log) and only then
// enqueued here as a steward.Delivery naming the archived record; the
// Worker opens that record, sends it on its channel and keeps the outcome
// in the outbox. The outbox holds no content: what is sent is always read
// back from the archive, so what left is exactly what was archived.
//
// # One attempt
//
// An attempt re-reads its delivery (it may have been cancelled since it was
// listed), then claims it: Attempts is incremented and NextAttemptAt moved
// to where a retry would go, in the store, before anything is sent. It then
// opens the record, loads attachment bytes, calls the channel's
// ChannelSender, archives the outcome as a steward.EventDelivery item
// through Capture, and finally stores the outcome in the outbox.
//
// # At least once
//
// Delivery is at-least-once, not exactly-once. If the process dies after
// Send returned but before UpdateDelivery stored the outcome (or a Send
// timed out after the channel had in fact accepted the message), the
// delivery is still queued and is sent again after its backoff. Channels
// offer no idempotency key that would let the second send be recognised
// (signal-cli assigns the message's timestamp, its only id, at send time),
// so a duplicate cannot be ruled out; the window is one send wide. Because
// the claim is stored before the send, the resend carries a new attempt
// number, so each send that reported back gets its own delivery event in
// the archive, and a delivery that crashes the process every time still
// fails after MaxAttempts instead of looping for ever.
//
// # Source of truth
//
// The outbox is the source of truth for delivery status. The archived
// delivery event is a best-effort copy for the record: Capture is tried
// twice, and if both fail the outcome is logged and still stored in the
// outbox, because a send that happened must never be reported as pending
// (that would resend it).
//
// # Outcomes
//
//   - Success: State sent, ChannelMessageID and per-recipient Results kept
//     as the channel reported them. If some recipients are rate_limited or
//     network_failure while others got the message, the delivery stays
//     sent: a resend would reach every recipient again, and the channel
//     would show a duplicate to those who have it. Their statuses are
//     recorded for an operator to see. Only when no recipient got it and
//     some failure is retryable is the whole send retried.
//   - *steward.RateLimitError: State rate_limited, not counted as an
//     attempt (nothing was sent). With RetryAfter the delivery waits that
//     long; with a Challenge it waits for an operator (SubmittedChallenge).
//     A rate limit is the account's, not the message's, so the account's
//     other deliveries wait with it rather than hammer the channel: each
//     one found due is parked in the same state.
//   - Invalid (from the channel or from the record: wrong op, inbound
//     record, account mismatch), NotFound or Gone record, Integrity:
//     failed at once; retrying cannot help.
//   - Anything else: queued again with exponential backoff and jitter;
//     failed once Attempts reaches MaxAttempts. LastError always holds
//     steward.PublicMessage of the error, never its internals.
//
// # Order and isolation
//
// At most Concurrency sends run at once and never two from the same
// account, the oldest delivery first, so messages of one conversation
// leave in the order they were written. A failing send affects only its
// own delivery: a delivery backing off after a transient error does not
// hold the account's newer ones, which may therefore arrive before it.
// Only a rate limit, which the channel imposes on the whole account, holds
// the account.
package outbound

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Reader opens archived records and attachment bytes; *pipeline.Reader
// implements it. Open returns NotFound or Gone for a record that cannot be
// sent any more.
type Reader interface {
	Open(ctx context.Context, id string) (*steward.Record, *steward.RecordMeta, *steward.Content, error)
	Attachment(ctx context.Context, id string) (*steward.Record, steward.Attachment, []byte, error)
}

// Defaults for the Worker's zero fields.
const (
	DefaultPoll           = time.Second
	DefaultMaxAttempts    = 8
	DefaultBaseBackoff    = 2 * time.Second
	DefaultMaxBackoff     = 10 * time.Minute
	DefaultConcurrency    = 4
	DefaultAttemptTimeout = 2 * time.Minute
)

const (
	// awaitOperator is how far NextAttemptAt is set for a delivery waiting
	// on a challenge: far enough never to come due by itself, near enough
	// to fit every store's time encoding (nanoseconds end in 2262).
	awaitOperator = 100 * 365 * 24 * time.Hour
	// rateLimitWait is the wait after a rate limit that names none.
	rateLimitWait = time.Minute
	// scanLimit bounds the listings that look a delivery up by account or
	// id, which the store has no index for; only deliveries in waiting
	// states are listed, so it is far above any real backlog.
	scanLimit = 10000
	// recordTimeout bounds storing an outcome and archiving its event.
	recordTimeout = 30 * time.Second
)

// Worker sends the deliveries of the outbox. Set its fields, then call Run
// once; Enqueue, Kick, Retry and SubmittedChallenge may be called from any
// goroutine, before or during Run.
type Worker struct {
	Store  steward.DeliveryStore
	Reader Reader
	// Senders sends per channel. A delivery for a channel without a sender
	// is retried like a transient failure (it may be configured later).
	Senders map[steward.Channel]steward.ChannelSender
	// Capture archives the outcome of each send attempt that reached the
	// channel, as an Item of Type steward.EventDelivery. Required.
	Capture func(ctx context.Context, it *steward.Item) error
	// Notify, if set, is told of every delivery state change (the inbox
	// pushes it live). It gets a copy, on the worker's goroutines, and must
	// not block.
	Notify func(d *steward.Delivery)
	// Guard, if set, is asked just before each send whether the archived
	// item may still go out. A ConsentRequired answer (consent was declined
	// or withdrawn while it waited) or a Permission answer (the sender was
	// offboarded) cancels the delivery for good; other errors fail the
	// attempt like any other.
	Guard  func(ctx context.Context, d *steward.Delivery, rec *steward.Record, c *steward.Content) error
	Logger *slog.Logger
	Now    func() time.Time

	Poll                    time.Duration // how often to look for due deliveries (default 1s)
	MaxAttempts             int           // before giving up on transient failures (default 8)
	BaseBackoff, MaxBackoff time.Duration // exponential with jitter (defaults 2s, 10m)
	Concurrency             int           // parallel sends (default 4); never two from one account
	AttemptTimeout          time.Duration // bounds opening a record and sending it (default 2m)

	once     sync.Once
	kick     chan struct{}
	wg       sync.WaitGroup // in-flight attempts
	mu       sync.Mutex     // guards busy, inflight, holds
	busy     map[account]bool
	inflight int
	holds    map[account]hold
	holdMu   sync.Mutex // serialises hold changes with the store writes that follow them
	pollErr  bool       // the last poll failed (Run's goroutine only)
}

// account is a sending identity: the unit of serialisation and rate limits.
type account struct {
	ch   steward.Channel
	addr string
}

func accountOf(d *steward.Delivery) account { return account{d.Channel, d.Account} }

// hold keeps an account's deliveries back after a rate limit.
type hold struct {
	until     time.Time // end of a timed wait; zero with a challenge
	challenge string    // set while an operator must answer it
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.kick = make(chan struct{}, 1)
		w.busy = map[account]bool{}
		w.holds = map[account]hold{}
	})
}

// Run sends due deliveries until ctx ends, then waits for the sends in
// flight to finish and returns nil. Sends in flight are not cut off by the
// cancellation (their outcome would be unknown and unrecorded); each is
// bounded by AttemptTimeout. Returns Invalid if Store, Reader or Capture
// is missing.
func (w *Worker) Run(ctx context.Context) error {
	const op steward.Op = "outbound.Run"
	if w.Store == nil || w.Reader == nil || w.Capture == nil {
		return steward.E(op, steward.Invalid, "outbound worker needs Store, Reader and Capture")
	}
	w.init()
	w.restoreHolds(ctx)
	t := time.NewTimer(w.poll())
	defer t.Stop()
	for {
		w.dispatch(ctx)
		t.Reset(w.poll())
		select {
		case <-ctx.Done():
			w.wg.Wait()
			return nil
		case <-w.kick:
		case <-t.C:
		}
	}
}

// Kick wakes Run to look for due deliveries now. It never blocks; kicks
// while Run is busy merge into one.
func (w *Worker) Kick() {
	w.init()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Enqueue stores a new delivery and wakes Run. The caller (whoever just
// captured an outbound record) fills RecordID, Channel, Account, Op and
// ConversationID; the store assigns ID and times. Returns Invalid for an
// incomplete delivery, Conflict if the record already has one, and the
// store's errors.
func (w *Worker) Enqueue(ctx context.Context, d *steward.Delivery) error {
	const op steward.Op = "outbound.Enqueue"
	if d == nil || d.RecordID == "" || d.Channel == "" || d.Account == "" {
		return steward.E(op, steward.Invalid, "delivery needs a record, a channel and an account")
	}
	switch d.Op {
	case steward.SendMessage, steward.SendEdit, steward.SendDelete, steward.SendReaction:
	default:
		return steward.Errorf(op, steward.Invalid, "delivery op %q is not message, edit, delete or reaction", d.Op)
	}
	if d.State != "" && d.State != steward.DeliveryQueued {
		return steward.E(op, steward.Invalid, "a new delivery must be queued")
	}
	d.State = steward.DeliveryQueued
	if d.NextAttemptAt.IsZero() {
		d.NextAttemptAt = w.now()
	}
	if err := w.Store.EnqueueDelivery(ctx, d); err != nil {
		return steward.E(op, err)
	}
	w.notify(d)
	w.Kick()
	return nil
}

// Retry makes a failed, rate-limited or queued delivery due now; an
// administrator calls it. A failed delivery gets one more attempt (its
// attempt count is kept, so the archive's event ids stay unique). A
// delivery waiting out a timed rate limit is released together with its
// account. Returns NotFound if no waiting or failed delivery has that id,
// Conflict if the account awaits an answer to a challenge (that is
// SubmittedChallenge's job).
func (w *Worker) Retry(ctx context.Context, id string) error {
	const op steward.Op = "outbound.Retry"
	w.init()
	ds, err := w.Store.Deliveries(ctx, scanLimit, steward.DeliveryFailed, steward.DeliveryRateLimited, steward.DeliveryQueued)
	if err != nil {
		return steward.E(op, err)
	}
	i := slices.IndexFunc(ds, func(d *steward.Delivery) bool { return d.ID == id })
	if i < 0 {
		return steward.E(op, steward.NotFound, "no queued, rate-limited or failed delivery has that id")
	}
	d := ds[i]
	k := accountOf(d)
	w.holdMu.Lock()
	defer w.holdMu.Unlock()
	w.mu.Lock()
	h, held := w.holds[k]
	if d.Challenge != "" || (held && h.challenge != "") {
		w.mu.Unlock()
		return steward.E(op, steward.Conflict, "the account must first answer the channel's challenge")
	}
	delete(w.holds, k) // an operator's retry overrides a timed wait
	w.mu.Unlock()
	d.State = steward.DeliveryQueued
	d.NextAttemptAt = w.now()
	if err := w.save(ctx, d); err != nil {
		return steward.E(op, err)
	}
	w.Kick()
	return nil
}

// SubmittedChallenge is called after an operator answered the channel's
// challenge for account (the answer itself goes to the channel, not here).
// Every delivery of that account waiting on a challenge becomes due now,
// with the challenge cleared, and the account sends again. Answering twice
// is harmless. Returns Invalid for an empty account and the store's errors;
// deliveries it could not release stay waiting and can be released by
// calling it again.
func (w *Worker) SubmittedChallenge(ctx context.Context, acct string) error {
	const op steward.Op = "outbound.SubmittedChallenge"
	if acct == "" {
		return steward.E(op, steward.Invalid, "account is required")
	}
	w.init()
	// Under holdMu no delivery can be parked between the release below and
	// the lifting of the hold: it would wait for a challenge already answered.
	w.holdMu.Lock()
	defer w.holdMu.Unlock()
	ds, err := w.Store.Deliveries(ctx, scanLimit, steward.DeliveryRateLimited)
	if err != nil {
		return steward.E(op, err)
	}
	// Oldest first, so that a partial failure releases the head of the
	// account's queue rather than its tail.
	slices.SortStableFunc(ds, older)
	now := w.now()
	var firstErr error
	for _, d := range ds {
		if d.Account != acct || d.Challenge == "" {
			continue
		}
		d.State, d.Challenge, d.LastError, d.NextAttemptAt = steward.DeliveryQueued, "", "", now
		if err := w.save(ctx, d); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return steward.E(op, firstErr)
	}
	w.mu.Lock()
	for k, h := range w.holds {
		if k.addr == acct && h.challenge != "" {
			delete(w.holds, k)
		}
	}
	w.mu.Unlock()
	w.Kick()
	return nil
}

// restoreHolds rebuilds the account holds from the outbox, so that a
// restart does not send an account's new deliveries past one waiting on a
// challenge. Without it the channel would refuse them anyway and the hold
// would be learned again, so a failure here is only logged.
func (w *Worker) restoreHolds(ctx context.Context) {
	ds, err := w.Store.Deliveries(ctx, scanLimit, steward.DeliveryRateLimited)
	if err != nil {
		w.logger().Warn("outbound: rate-limit holds not restored", "err", err)
		return
	}
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range ds {
		k := accountOf(d)
		h := w.holds[k]
		switch {
		case d.Challenge != "":
			h.challenge = d.Challenge
		case d.NextAttemptAt.After(now) && d.NextAttemptAt.After(h.until):
			h.until = d.NextAttemptAt
		default:
			continue
		}
		w.holds[k] = h
	}
}

// dispatch lists due deliveries and starts an attempt for the oldest of
// each idle account while slots are free. Deliveries of held accounts are
// parked. It does not wait for the attempts; each kicks Run when done.
func (w *Worker) dispatch(ctx context.Context) {
	w.mu.Lock()
	free := w.concurrency() - w.inflight
	w.mu.Unlock()
	if free <= 0 || ctx.Err() != nil {
		return
	}
	now := w.now()
	// A batch much larger than the slots, so that one account's backlog
	// (sent one at a time) rarely hides other accounts' due deliveries.
	due, err := w.Store.DueDeliveries(ctx, now, max(256, 64*w.concurrency()))
	if err != nil {
		if ctx.Err() == nil && !w.pollErr {
			w.logger().Error("outbound: cannot list due deliveries", "err", err)
		}
		w.pollErr = ctx.Err() == nil
		return
	}
	if w.pollErr {
		w.logger().Info("outbound: listing due deliveries works again")
		w.pollErr = false
	}
	// The store orders by due time; an account's messages must leave in
	// the order they were written, so pick by creation.
	slices.SortStableFunc(due, older)
	for _, d := range due {
		if ctx.Err() != nil {
			return
		}
		k := accountOf(d)
		w.mu.Lock()
		if w.busy[k] {
			w.mu.Unlock()
			continue
		}
		if _, held := w.heldLocked(k, now); held {
			w.mu.Unlock()
			w.park(ctx, d, k)
			continue
		}
		if w.inflight >= w.concurrency() {
			w.mu.Unlock()
			return
		}
		w.busy[k] = true
		w.inflight++
		w.wg.Add(1)
		w.mu.Unlock()
		go w.attempt(ctx, d, k)
	}
}

// heldLocked reports the account's hold, dropping one that has expired.
// w.mu must be held.
func (w *Worker) heldLocked(k account, now time.Time) (hold, bool) {
	h, ok := w.holds[k]
	if !ok {
		return h, false
	}
	if h.challenge == "" && !now.Before(h.until) {
		delete(w.holds, k)
		return h, false
	}
	return h, true
}

// park moves a due delivery of a held account out of the due set until
// the hold ends, without an attempt. Keeping it due instead would let a
// long backlog behind a challenge fill every poll and starve other
// accounts.
func (w *Worker) park(ctx context.Context, d *steward.Delivery, k account) {
	w.holdMu.Lock()
	defer w.holdMu.Unlock()
	w.mu.Lock()
	h, held := w.heldLocked(k, w.now())
	w.mu.Unlock()
	if !held {
		return // released meanwhile; the next poll sends it
	}
	cur, ok := w.fresh(ctx, d)
	if !ok {
		return
	}
	cur.State, cur.Challenge = steward.DeliveryRateLimited, h.challenge
	if h.challenge != "" {
		cur.NextAttemptAt = w.now().Add(awaitOperator)
		cur.LastError = "waiting: the account must answer the channel's challenge"
	} else {
		cur.NextAttemptAt = h.until
		cur.LastError = "waiting: the account is rate limited by the channel"
	}
	if err := w.save(ctx, cur); err != nil {
		w.logger().Error("outbound: cannot park delivery", "delivery", cur.ID, "err", err)
	}
}

// fresh re-reads d and returns it if it is still waiting and due: the
// listing it came from may be stale (sent by an attempt just finished,
// cancelled, released).
func (w *Worker) fresh(ctx context.Context, d *steward.Delivery) (*steward.Delivery, bool) {
	cur, err := w.Store.DeliveryByRecord(ctx, d.RecordID)
	if err != nil {
		if !steward.Is(steward.NotFound, err) {
			w.logger().Error("outbound: cannot read delivery", "delivery", d.ID, "err", err)
		}
		return nil, false
	}
	if cur.ID != d.ID || cur.NextAttemptAt.After(w.now()) ||
		(cur.State != steward.DeliveryQueued && cur.State != steward.DeliveryRateLimited) {
		return nil, false
	}
	return cur, true
}

// save stores d's mutable fields and tells Notify.
func (w *Worker) save(ctx context.Context, d *steward.Delivery) error {
	d.UpdatedAt = w.now()
	if err := w.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	w.notify(d)
	return nil
}

func (w *Worker) notify(d *steward.Delivery) {
	if w.Notify == nil {
		return
	}
	c := *d
	c.Results = slices.Clone(d.Results)
	w.Notify(&c)
}

// older orders deliveries by creation, then id (time-ordered UUIDv7).
func older(a, b *steward.Delivery) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

func (w *Worker) poll() time.Duration { return orDuration(w.Poll, DefaultPoll) }
func (w *Worker) attemptTimeout() time.Duration {
	return orDuration(w.AttemptTimeout, DefaultAttemptTimeout)
}

func (w *Worker) concurrency() int {
	if w.Concurrency > 0 {
		return w.Concurrency
	}
	return DefaultConcurrency
}

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts > 0 {
		return w.MaxAttempts
	}
	return DefaultMaxAttempts
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
