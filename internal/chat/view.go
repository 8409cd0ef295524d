package chat

import (
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// PartyView is a participant as the inbox shows them.
type PartyView struct {
	Address      string               `json:"address"`
	Name         string               `json:"name,omitempty"`
	EmployeeID   string               `json:"employee_id,omitempty"`
	ContactID    string               `json:"contact_id,omitempty"`
	ConsentState steward.ConsentState `json:"consent_state,omitempty"` // for outside parties the viewer knows
	Admin        bool                 `json:"admin,omitempty"`
	Me           bool                 `json:"me,omitempty"` // one of the viewer's own work identities
}

// ConversationView is one conversation in the viewer's list.
type ConversationView struct {
	ID           string                   `json:"id"`
	Channel      steward.Channel          `json:"channel"`
	Kind         steward.ConversationKind `json:"kind"`
	Title        string                   `json:"title"` // group name, or the other party's name
	Members      []PartyView              `json:"members"`
	LastActivity *time.Time               `json:"last_activity,omitempty"`
	// CanSend is false when no outside member has active consent, and
	// says why in Blocked.
	CanSend bool   `json:"can_send"`
	Blocked string `json:"blocked,omitempty"`
}

// AttachmentView is an attachment of a message; its bytes are fetched
// separately (and that read is audited).
type AttachmentView struct {
	RecordID    string `json:"record_id"`
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
}

// ReactionView is one emoji on a message with who put it there.
type ReactionView struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	By    []string `json:"by"` // display names or addresses
	Mine  bool     `json:"mine,omitempty"`
}

// MessageView is one entry of a conversation as the inbox shows it: a
// message with every later edit, deletion, reaction and receipt applied,
// or a notice (consent request and state, membership change).
type MessageView struct {
	RecordID         string            `json:"record_id"`
	ChannelMessageID string            `json:"channel_message_id"`
	Kind             string            `json:"kind"` // message, consent, notice
	Direction        steward.Direction `json:"direction"`
	Mine             bool              `json:"mine"` // sent by one of the viewer's identities
	Sender           PartyView         `json:"sender"`
	Body             string            `json:"body,omitempty"`
	Edited           bool              `json:"edited,omitempty"`
	Revisions        []string          `json:"revisions,omitempty"` // earlier texts, oldest first
	Deleted          bool              `json:"deleted,omitempty"`   // deleted for everyone; Body is then empty
	Attachments      []AttachmentView  `json:"attachments,omitempty"`
	MissingFiles     int               `json:"missing_files,omitempty"` // attachments the channel could not deliver
	ReplyTo          string            `json:"reply_to,omitempty"`      // record id of the quoted message
	Reactions        []ReactionView    `json:"reactions,omitempty"`
	// Status is the delivery state of the viewer's own messages: queued,
	// sent, delivered, read, or a failure (unregistered, rate_limited,
	// failed, …); for others' messages "" or "held" (awaiting consent).
	Status       string                    `json:"status,omitempty"`
	StatusDetail string                    `json:"status_detail,omitempty"`
	Recipients   []steward.RecipientStatus `json:"recipients,omitempty"`
	SentAt       time.Time                 `json:"sent_at"`
	Notice       string                    `json:"notice,omitempty"`  // the text of a notice entry
	Flagged      string                    `json:"flagged,omitempty"` // e.g. "sent from the phone without consent"
	// Redactions counts the spans policy masked in the delivered copy.
	// The sender sees their original text; everyone else sees the copy.
	Redactions int `json:"redactions,omitempty"`
}

// Event is a live notification for one employee. It carries no content:
// a client refetches what it names.
type Event struct {
	Type           string `json:"type"` // message, contact, delivery, conversation
	ConversationID string `json:"conversation_id,omitempty"`
	RecordID       string `json:"record_id,omitempty"`
	ContactID      string `json:"contact_id,omitempty"`
}

// AddContactRequest is what an employee (or an admin for them) asks to add.
type AddContactRequest struct {
	Channel     steward.Channel `json:"channel"`
	Address     string          `json:"address"`
	DisplayName string          `json:"display_name"`
}

// SendRequest is an employee's new message in a conversation.
type SendRequest struct {
	Body        string               `json:"body"`
	ReplyTo     string               `json:"reply_to,omitempty"` // record id
	Attachments []steward.Attachment `json:"-"`                  // with Data
}

// SendResponse says where the sent message sits and its delivery. The
// message is archived whatever policy decided; Status says what happens
// next: queued (on its way), or one of the policy outcomes
// StatusPolicyBlocked, StatusQuarantined, StatusNeedsConfirmation, with
// Reason saying why. Redactions counts the spans masked in the copy
// that goes out.
type SendResponse struct {
	RecordID   string `json:"record_id"`
	LeafIndex  int64  `json:"leaf_index"`
	DeliveryID string `json:"delivery_id,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	Redactions int    `json:"redactions,omitempty"`
}

// Policy outcomes of a send, as SendResponse.Status and MessageView.Status
// show them.
const (
	StatusPolicyBlocked     = "policy_blocked"     // never sent; Reason says why
	StatusQuarantined       = "quarantined"        // held for a compliance officer
	StatusRejected          = "rejected"           // a compliance officer refused to release it
	StatusNeedsConfirmation = "needs_confirmation" // sent once the sender confirms with a justification
)

// GroupRequest creates a group or changes its members.
type GroupRequest struct {
	Title  string   `json:"title,omitempty"`
	Add    []string `json:"add,omitempty"`    // addresses (contacts' or colleagues')
	Remove []string `json:"remove,omitempty"` // addresses
	Admins []string `json:"admins,omitempty"` // addresses to make admins
	// ApprovalID names the approval this change was granted under; set
	// only by the compliance service when it makes an approved change.
	ApprovalID string `json:"-"`
}

// LinkSession is an in-progress device link for a linked identity.
type LinkSession struct {
	IdentityID string    `json:"identity_id"`
	URI        string    `json:"uri"` // sgnl://linkdevice?…, shown as a QR code
	State      string    `json:"state"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
}
