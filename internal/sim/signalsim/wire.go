package signalsim

// The JSON shapes below mirror what signal-cli renders for a `receive`
// notification (signal-cli's json/*.java classes, as summarised in
// protocols.md §1). They are exported so that tests and demos can build
// envelopes for Server.Inject.

// Envelope is a Signal envelope as signal-cli writes it.
type Envelope struct {
	Source                   string          `json:"source,omitempty"` // deprecated, still sent by signal-cli
	SourceNumber             string          `json:"sourceNumber,omitempty"`
	SourceUUID               string          `json:"sourceUuid,omitempty"`
	SourceName               string          `json:"sourceName,omitempty"`
	SourceDevice             int             `json:"sourceDevice,omitempty"`
	Timestamp                int64           `json:"timestamp"`
	ServerReceivedTimestamp  int64           `json:"serverReceivedTimestamp,omitempty"`
	ServerDeliveredTimestamp int64           `json:"serverDeliveredTimestamp,omitempty"`
	DataMessage              *DataMessage    `json:"dataMessage,omitempty"`
	EditMessage              *EditMessage    `json:"editMessage,omitempty"`
	SyncMessage              *SyncMessage    `json:"syncMessage,omitempty"`
	ReceiptMessage           *ReceiptMessage `json:"receiptMessage,omitempty"`
	TypingMessage            *TypingMessage  `json:"typingMessage,omitempty"`
}

// DataMessage is a message, or an action on one. expiresInSeconds and
// viewOnce are always written, as signal-cli does.
type DataMessage struct {
	Timestamp        int64         `json:"timestamp"`
	Message          *string       `json:"message,omitempty"`
	ExpiresInSeconds int64         `json:"expiresInSeconds"`
	ViewOnce         bool          `json:"viewOnce"`
	Attachments      []Attachment  `json:"attachments,omitempty"`
	Quote            *Quote        `json:"quote,omitempty"`
	Reaction         *Reaction     `json:"reaction,omitempty"`
	RemoteDelete     *RemoteDelete `json:"remoteDelete,omitempty"`
	GroupInfo        *GroupInfo    `json:"groupInfo,omitempty"`
}

// Attachment describes a stored file; its bytes are fetched with
// getAttachment(id).
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Filename    string `json:"filename,omitempty"`
	ID          string `json:"id,omitempty"`
	Size        int64  `json:"size,omitempty"`
}

// Quote is the message a reply quotes; ID is its sent timestamp.
type Quote struct {
	ID           int64  `json:"id"`
	Author       string `json:"author,omitempty"` // deprecated
	AuthorNumber string `json:"authorNumber,omitempty"`
	AuthorUUID   string `json:"authorUuid,omitempty"`
	Text         string `json:"text,omitempty"`
}

// Reaction is an emoji on the target author's message.
type Reaction struct {
	Emoji               string `json:"emoji"`
	TargetAuthor        string `json:"targetAuthor,omitempty"` // deprecated
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	IsRemove            bool   `json:"isRemove"`
}

// RemoteDelete deletes the sender's message sent at Timestamp.
type RemoteDelete struct {
	Timestamp int64 `json:"timestamp"`
}

// GroupInfo ties a data message to a group; Type is DELIVER or UPDATE.
type GroupInfo struct {
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName,omitempty"`
	Revision  int64  `json:"revision,omitempty"`
	Type      string `json:"type,omitempty"`
}

// EditMessage sits at envelope level: it replaces the text of the
// sender's message sent at TargetSentTimestamp.
type EditMessage struct {
	TargetSentTimestamp int64       `json:"targetSentTimestamp"`
	DataMessage         DataMessage `json:"dataMessage"`
}

// SyncMessage is what the account's other devices report.
type SyncMessage struct {
	SentMessage *SentMessage `json:"sentMessage,omitempty"`
}

// SentMessage is a message sent from the linked phone; signal-cli
// flattens the data message's fields into it.
type SentMessage struct {
	Destination       string `json:"destination,omitempty"` // deprecated
	DestinationNumber string `json:"destinationNumber,omitempty"`
	DestinationUUID   string `json:"destinationUuid,omitempty"`
	DataMessage
}

// ReceiptMessage acknowledges the account's messages sent at Timestamps.
type ReceiptMessage struct {
	When       int64   `json:"when"`
	IsDelivery bool    `json:"isDelivery"`
	IsRead     bool    `json:"isRead"`
	IsViewed   bool    `json:"isViewed"`
	Timestamps []int64 `json:"timestamps"`
}

// TypingMessage is a typing indicator.
type TypingMessage struct {
	Action    string `json:"action"`
	Timestamp int64  `json:"timestamp"`
	GroupID   string `json:"groupId,omitempty"`
}

// notification is the params object of a `receive` notification, which is
// also the data line of an HTTP event.
type notification struct {
	Envelope any    `json:"envelope"`
	Account  string `json:"account"`
}

func strPtr(s string) *string { return &s }
