package steward

import (
	"context"
	"errors"
	"time"
)

// SendOp is what an outbound delivery asks the channel to do.
type SendOp string

const (
	SendMessage  SendOp = "message"  // a new message (Body and Attachments)
	SendEdit     SendOp = "edit"     // a new text for Target
	SendDelete   SendOp = "delete"   // delete Target for everyone
	SendReaction SendOp = "reaction" // Emoji on Target, or its removal
)

// SendRequest is one thing a channel adapter is asked to send from a work
// identity. Target and ReplyTo are channel message ids as the adapter's own
// capture assigns them, so an adapter can address what it captured.
type SendRequest struct {
	Op          SendOp
	Account     string   // the work identity's address
	Recipients  []string // direct recipients; empty for a group
	GroupID     string   // the channel's group id
	Body        string
	Attachments []Attachment // with Data
	ReplyTo     string       // channel id of the quoted message
	Target      string       // channel id of the message acted on
	Emoji       string
	Remove      bool
}

// Delivery statuses of one recipient. A channel's own vocabulary maps to
// these; anything it does not name is StatusFailed, so a new failure kind
// is never shown as success.
const (
	StatusQueued          = "queued"       // not yet handed to the channel
	StatusSent            = "sent"         // accepted by the channel's server
	StatusDelivered       = "delivered"    // the recipient's device has it (receipt)
	StatusRead            = "read"         // the recipient read it (receipt)
	StatusUnregistered    = "unregistered" // the address has no account on the channel
	StatusRateLimited     = "rate_limited" // the channel refused for now; retried with backoff
	StatusNetworkFailure  = "network_failure"
	StatusIdentityChanged = "identity_changed" // the recipient's safety number changed
	StatusFailed          = "failed"
)

// RecipientStatus is one recipient's outcome.
type RecipientStatus struct {
	Address string `json:"address"`
	Status  string `json:"status"`
	Detail  string `json:"detail,omitempty"` // the channel's own code, e.g. UNREGISTERED_FAILURE
}

// SendResult is what a channel adapter reports for a send.
type SendResult struct {
	// ChannelMessageID is the id the channel gave the sent message, in the
	// form the adapter's capture uses for the same message when it comes
	// back (receipts, reactions, replies).
	ChannelMessageID string
	SentAt           time.Time
	Recipients       []RecipientStatus
}

// ChannelSender sends on a channel. Per-recipient failures are not errors:
// they are in SendResult.Recipients. A *RateLimitError (possibly wrapped)
// means nothing was sent and the channel wants the caller to wait or an
// operator to solve a challenge; Invalid means the request can never
// succeed; other errors are worth retrying.
type ChannelSender interface {
	Send(ctx context.Context, req *SendRequest) (*SendResult, error)
}

// RateLimitError says a channel refused to send for now. Challenge, when
// set, is a token an operator must answer (for Signal, a CAPTCHA) before
// the account may send again.
type RateLimitError struct {
	RetryAfter time.Duration
	Challenge  string
	Msg        string
}

func (e *RateLimitError) Error() string {
	if e.Msg != "" {
		return "rate limited: " + e.Msg
	}
	return "rate limited"
}

// AsRateLimit returns the *RateLimitError in err's chain, if any.
func AsRateLimit(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	ok := errors.As(err, &rl)
	return rl, ok
}

// DeliveryState is where an outbound delivery stands.
type DeliveryState string

const (
	DeliveryQueued      DeliveryState = "queued"       // waiting for its next attempt
	DeliverySent        DeliveryState = "sent"         // handed to the channel; see Results
	DeliveryRateLimited DeliveryState = "rate_limited" // waiting out a rate limit, or a challenge
	DeliveryFailed      DeliveryState = "failed"       // gave up; see LastError
	DeliveryCancelled   DeliveryState = "cancelled"    // withdrawn before it was sent (e.g. consent revoked)
)

// Delivery is the durable outbox entry for one archived outbound record.
// It holds no content: the sender opens the archived record to send it, so
// the outbox never keeps message text at rest.
type Delivery struct {
	ID               string            `json:"id"`
	RecordID         string            `json:"record_id"` // the archived item to send
	Channel          Channel           `json:"channel"`
	Account          string            `json:"account"`
	Op               SendOp            `json:"op"`
	ConversationID   string            `json:"conversation_id,omitempty"`
	State            DeliveryState     `json:"state"`
	Attempts         int               `json:"attempts"`
	NextAttemptAt    time.Time         `json:"next_attempt_at"`
	LastError        string            `json:"last_error,omitempty"`
	Challenge        string            `json:"challenge,omitempty"` // a rate-limit challenge awaiting an operator
	ChannelMessageID string            `json:"channel_message_id,omitempty"`
	Results          []RecipientStatus `json:"results,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
}

// DeliveryStore keeps the outbox.
type DeliveryStore interface {
	// EnqueueDelivery stores d, assigning ID and times when empty. Returns
	// Conflict if the record already has a delivery.
	EnqueueDelivery(ctx context.Context, d *Delivery) error
	// UpdateDelivery replaces the mutable fields of d.ID (state, attempts,
	// next attempt, error, challenge, channel id, results). Returns NotFound.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// DueDeliveries lists queued and rate-limited deliveries whose next
	// attempt is at or before now, oldest first, at most limit.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// DeliveryByRecord returns NotFound if the record has none.
	DeliveryByRecord(ctx context.Context, recordID string) (*Delivery, error)
	// DeliveryByChannelID returns the delivery whose sent message has that
	// channel id, or NotFound.
	DeliveryByChannelID(ctx context.Context, ch Channel, channelMessageID string) (*Delivery, error)
	// Deliveries lists deliveries in any of states (all if none), newest
	// first, at most limit.
	Deliveries(ctx context.Context, limit int, states ...DeliveryState) ([]*Delivery, error)
}

// GroupManager creates and changes groups on a channel from a work
// identity. Addresses are channel addresses. Returns Invalid for a request
// the channel can never accept, *RateLimitError when it refuses for now.
type GroupManager interface {
	// CreateGroup creates a group with the account and members in it and
	// returns the channel's group id.
	CreateGroup(ctx context.Context, account, title string, members []string) (string, error)
	// UpdateGroup adds and removes members and promotes admins.
	UpdateGroup(ctx context.Context, account, groupID string, add, remove, admins []string) error
}
