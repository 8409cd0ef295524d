package signal

import (
	"context"
	"log/slog"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// ExtraAttachmentsMissing is the Item.Extra key listing, as []AttachmentRef,
// attachments that could not be downloaded after every retry. They are
// recorded, never silently dropped.
const ExtraAttachmentsMissing = steward.ExtraAttachmentsMissing

// Connector captures everything a signal-cli daemon receives, for every
// account it holds: it follows the event stream, decodes each envelope,
// downloads attachments at once, and hands each item to Capture. It returns
// from an event only after every item of it was captured, so nothing is
// acknowledged to the stream before durable capture.
type Connector struct {
	Client *Client
	// Capture must return only after the item is durably captured. An
	// error makes the stream retry the whole event; items already captured
	// are then replays, stored once.
	Capture func(ctx context.Context, it *steward.Item) error
	Logger  *slog.Logger
	// AttachmentRetries is how often a failed download is retried (default 3).
	AttachmentRetries int
	// Gap, if set, is told of every period the event stream was down after
	// having been up, once it is up again: nothing was captured in it.
	Gap func(ctx context.Context, from, to time.Time, reason string) error
	// OnState, if set, sees every change of the stream's state.
	OnState func(State)
	// DeadLetter, if set, keeps an event that cannot be decoded or mapped,
	// with the reason; it must return only once the event is durably kept.
	// Without it such events are logged and skipped.
	DeadLetter func(ctx context.Context, raw []byte, reason string) error

	events *Events
	ctx    context.Context
	down   time.Time // when the stream last dropped; zero while up or before the first connection
	reason string
	wasUp  bool
}

// Run follows the daemon until ctx ends. Returns Invalid if the daemon
// refuses the stream for good (e.g. an unknown account).
func (c *Connector) Run(ctx context.Context) error {
	c.ctx = ctx
	c.events = &Events{Client: c.Client, OnState: c.state}
	return c.events.Stream(ctx, c.handle)
}

// state turns connection changes into capture-gap records. It runs on the
// stream's goroutine, so the gap is recorded before any event of the new
// connection is handled.
func (c *Connector) state(s State) {
	if c.OnState != nil {
		c.OnState(s)
	}
	switch {
	case !s.Connected && c.down.IsZero() && c.wasUp:
		c.down, c.reason = s.Since, s.LastError
	case s.Connected:
		c.wasUp = true
		if !c.down.IsZero() && c.Gap != nil {
			if err := c.Gap(c.ctx, c.down, s.Since, c.reason); err != nil {
				c.logger().Error("signal: capture gap not recorded", "from", c.down, "to", s.Since, "err", err)
			}
		}
		c.down = time.Time{}
	}
}

// State reports the event stream's connection state, for capture-health
// alerts; zero before Run.
func (c *Connector) State() State {
	if c.events == nil {
		return State{}
	}
	return c.events.State()
}

func (c *Connector) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Connector) handle(e Event) error {
	if e.Type != "" && e.Type != "receive" {
		return nil
	}
	n, err := DecodeNotification(e.Data)
	if err != nil {
		return c.deadLetter(e.Data, err)
	}
	if n.Exception != nil {
		c.logger().Warn("signal: daemon reported an envelope it could not process",
			"account", n.Account, "type", n.Exception.Type)
	}
	items, err := n.Items(n.Account)
	if err != nil {
		return c.deadLetter(e.Data, err)
	}
	if n.Exception != nil && len(items) == 0 {
		// signal-cli received something it could not decrypt or parse: a
		// message was sent that no one can read. Keep the evidence.
		return c.deadLetter(e.Data, steward.Errorf("", steward.Invalid, "signal-cli could not process an envelope (%s)", n.Exception.Type))
	}
	for i := range items {
		c.fetchAttachments(&items[i])
		if err := c.Capture(c.ctx, &items[i]); err != nil {
			return err
		}
	}
	return nil
}

// deadLetter keeps an event that cannot be captured as items. Its error
// (the event could not even be kept) makes the stream retry the event.
// Only the reason and size are logged, never the content.
func (c *Connector) deadLetter(raw []byte, cause error) error {
	c.logger().Error("signal: envelope not understood; kept as a dead letter", "err", cause, "bytes", len(raw))
	if c.DeadLetter == nil {
		return nil
	}
	return c.DeadLetter(c.ctx, raw, steward.PublicMessage(cause))
}

// fetchAttachments fills each attachment's bytes, checking the size the
// envelope announced. One that cannot be had after the retries is moved to
// Extra[ExtraAttachmentsMissing], so the record says it existed.
func (c *Connector) fetchAttachments(it *steward.Item) {
	refs := AttachmentRefs(it)
	if len(refs) == 0 || len(refs) != len(it.Attachments) {
		return
	}
	retries := c.AttachmentRetries
	if retries <= 0 {
		retries = 3
	}
	var kept []steward.Attachment
	var missing []AttachmentRef
	for i, ref := range refs {
		data, err := c.download(ref, retries)
		if err != nil {
			c.logger().Warn("signal: attachment missing after retries", "account", ref.Account, "err", err)
			missing = append(missing, ref)
			continue
		}
		a := it.Attachments[i]
		a.Data, a.Size = data, int64(len(data))
		kept = append(kept, a)
	}
	it.Attachments = kept
	if len(missing) > 0 {
		it.Extra[ExtraAttachmentsMissing] = missing
	}
}

func (c *Connector) download(ref AttachmentRef, retries int) ([]byte, error) {
	const op steward.Op = "signal.Connector.download"
	var last error
	for try := 0; try <= retries; try++ {
		if try > 0 {
			if err := sleep(c.ctx, backoff(200*time.Millisecond, 5*time.Second, try)); err != nil {
				return nil, err
			}
		}
		data, err := c.Client.GetAttachment(c.ctx, ref.Account, ref.ID, ref.Recipient, ref.GroupID)
		if err != nil {
			last = err
			continue
		}
		if ref.Size > 0 && int64(len(data)) != ref.Size {
			last = steward.Errorf(op, steward.Integrity, "attachment is %d bytes, the envelope announced %d", len(data), ref.Size)
			continue
		}
		// signal-cli reports no digest of the plaintext; the pipeline
		// records the SHA-256 of what was downloaded.
		return data, nil
	}
	return nil, last
}
