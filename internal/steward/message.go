package steward

import "time"

// Channel names a messaging network: "signal", later "whatsapp", "sms",
// "telegram"; "api" marks items from custom connectors.
type Channel string

// Direction says which way a message travelled relative to the organization.
type Direction string

const (
	DirInbound  Direction = "inbound"  // from an outside party to an employee
	DirOutbound Direction = "outbound" // from an employee to an outside party
	DirInternal Direction = "internal" // between two work identities
)

// ValidDirection reports whether d is one of the known directions.
func ValidDirection(d Direction) bool {
	return d == DirInbound || d == DirOutbound || d == DirInternal
}

// EventType names what a captured item is. "message" is a new message; the
// rest act on an earlier one or on the conversation.
type EventType string

const (
	EventMessage    EventType = "message"
	EventEdit       EventType = "edit"       // a new revision of Target's text
	EventDelete     EventType = "delete"     // the sender deleted Target for everyone
	EventReaction   EventType = "reaction"   // an emoji on Target, or its removal
	EventMembership EventType = "membership" // members added to or removed from a group
	EventReceipt    EventType = "receipt"    // delivered, read or viewed
	EventConsent    EventType = "consent"    // a consent request, reply or state change
	EventDelivery   EventType = "delivery"   // the outcome of sending Target: channel id and per-recipient status
)

// ValidEventType reports whether t is one of the known event types.
func ValidEventType(t EventType) bool {
	switch t {
	case EventMessage, EventEdit, EventDelete, EventReaction, EventMembership, EventReceipt, EventConsent, EventDelivery:
		return true
	}
	return false
}

// Party is one end of a message: an address on a channel and, once resolved,
// whose it is.
type Party struct {
	Address    string `json:"address"`
	Name       string `json:"name,omitempty"`
	EmployeeID string `json:"employee_id,omitempty"` // set when the address is a work identity
	ContactID  string `json:"contact_id,omitempty"`  // set when the address is a known outside contact
}

// ConversationRef names a conversation as the channel knows it: a group id,
// or for a direct chat nothing (the pipeline derives one from the parties).
type ConversationRef struct {
	ID    string           `json:"id,omitempty"` // channel's group id
	Kind  ConversationKind `json:"kind,omitempty"`
	Title string           `json:"title,omitempty"`
}

// Item is one normalized thing a source hands to the pipeline: a message or
// an event, in either direction, before capture. Sources (channel
// connectors, the capture API) build Items; nothing else does.
type Item struct {
	IdempotencyKey   string          `json:"idempotency_key"`
	Type             EventType       `json:"type"`
	Channel          Channel         `json:"channel"`
	ChannelMessageID string          `json:"channel_message_id"`
	Conversation     ConversationRef `json:"conversation"`
	Direction        Direction       `json:"direction"`
	Sender           Party           `json:"sender"`
	Recipients       []Party         `json:"recipients,omitempty"`
	Body             string          `json:"body,omitempty"`
	Attachments      []Attachment    `json:"attachments,omitempty"`
	ReplyTo          string          `json:"reply_to,omitempty"` // channel id of the quoted message
	Target           string          `json:"target,omitempty"`   // channel id an event acts on
	Emoji            string          `json:"emoji,omitempty"`
	Remove           bool            `json:"remove,omitempty"` // a reaction's removal
	MembersAdded     []Party         `json:"members_added,omitempty"`
	MembersRemoved   []Party         `json:"members_removed,omitempty"`
	Receipt          string          `json:"receipt,omitempty"` // delivered, read, viewed
	SentAt           time.Time       `json:"sent_at"`
	ReceivedAt       time.Time       `json:"received_at"`
	Extra            map[string]any  `json:"extra,omitempty"` // channel-specific fields kept verbatim
}

// ExtraAttachmentsMissing is the Item.Extra key under which a channel
// adapter lists attachments it could not download after every retry, so
// the record says they existed instead of silently dropping them.
const ExtraAttachmentsMissing = "attachments_missing"

// Attachment is a file carried by a message. Data is present only between
// the source and capture; afterwards the bytes live sealed in the blob store
// and are addressed by the SHA-256 of that sealed form.
type Attachment struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256,omitempty"` // hex digest of the plaintext; sealed, never in Meta
	Data        []byte `json:"-"`
	RecordID    string `json:"record_id,omitempty"` // the attachment's own archive record
}

// Content is what a record seals: everything about a captured item that is
// not plaintext metadata. It is encoded as JSON before sealing.
type Content struct {
	Body           string          `json:"body,omitempty"`
	Sender         Party           `json:"sender"`
	Recipients     []Party         `json:"recipients,omitempty"`
	Conversation   ConversationRef `json:"conversation"`
	Attachments    []Attachment    `json:"attachments,omitempty"`
	Emoji          string          `json:"emoji,omitempty"`
	Remove         bool            `json:"remove,omitempty"`
	MembersAdded   []Party         `json:"members_added,omitempty"`
	MembersRemoved []Party         `json:"members_removed,omitempty"`
	Receipt        string          `json:"receipt,omitempty"`
	Extra          map[string]any  `json:"extra,omitempty"`
	// Details holds the sealed payload of non-message records (audit
	// details, consent texts, policy findings).
	Details map[string]any `json:"details,omitempty"`
	// Policy is what policy decided about a message or edit, sealed with
	// it so the decision and the policy version travel with the record.
	Policy *PolicyOutcome `json:"policy,omitempty"`
}
