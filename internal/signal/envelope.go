package signal

import (
	"bytes"
	"encoding/json"

	"github.com/steward-gov/steward/internal/steward"
)

// MaxNotificationSize bounds one decoded notification. signal-cli puts
// attachment bytes on disk, never in the envelope, so a legitimate envelope
// is a few kilobytes; anything past this is refused rather than buffered.
const MaxNotificationSize = 1 << 20

// Notification is one `receive` notification from a signal-cli daemon: the
// params object {account, envelope, exception}.
//
// RawEnvelope holds the envelope exactly as received, including fields this
// package does not know; it is what gets archived sealed, so a future
// signal-cli field is never lost even before Envelope learns about it.
type Notification struct {
	Account     string          `json:"account"`
	Envelope    Envelope        `json:"envelope"`
	Exception   *Exception      `json:"exception,omitempty"`
	RawEnvelope json.RawMessage `json:"-"`
}

// Exception is signal-cli's report of an envelope it could not fully
// decrypt or process. The envelope may then carry only its source fields.
type Exception struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

// Envelope is a Signal envelope as signal-cli renders it to JSON. Exactly
// one of the *Message fields is normally set. Fields signal-cli marks as
// deprecated (Source) are still decoded because older daemons only send
// those.
type Envelope struct {
	Source                   string          `json:"source,omitempty"` // deprecated: number or uuid
	SourceNumber             string          `json:"sourceNumber,omitempty"`
	SourceUUID               string          `json:"sourceUuid,omitempty"`
	SourceName               string          `json:"sourceName,omitempty"`
	SourceDevice             int             `json:"sourceDevice,omitempty"`
	Timestamp                int64           `json:"timestamp"`
	ServerReceivedTimestamp  int64           `json:"serverReceivedTimestamp,omitempty"`
	ServerDeliveredTimestamp int64           `json:"serverDeliveredTimestamp,omitempty"`
	DataMessage              *DataMessage    `json:"dataMessage,omitempty"`
	EditMessage              *EditMessage    `json:"editMessage,omitempty"`
	StoryMessage             json.RawMessage `json:"storyMessage,omitempty"`
	SyncMessage              *SyncMessage    `json:"syncMessage,omitempty"`
	CallMessage              json.RawMessage `json:"callMessage,omitempty"`
	ReceiptMessage           *ReceiptMessage `json:"receiptMessage,omitempty"`
	TypingMessage            *TypingMessage  `json:"typingMessage,omitempty"`
}

// DataMessage is a message or an action on one (reaction, remote delete).
// Features this package does not interpret (previews, contacts, polls,
// text styles...) are kept raw so that they reach Item.Extra verbatim.
type DataMessage struct {
	Timestamp          int64           `json:"timestamp,omitempty"`
	Message            string          `json:"message,omitempty"`
	ExpiresInSeconds   int64           `json:"expiresInSeconds,omitempty"`
	IsExpirationUpdate bool            `json:"isExpirationUpdate,omitempty"`
	ViewOnce           bool            `json:"viewOnce,omitempty"`
	Attachments        []Attachment    `json:"attachments,omitempty"`
	Quote              *Quote          `json:"quote,omitempty"`
	Reaction           *Reaction       `json:"reaction,omitempty"`
	RemoteDelete       *RemoteDelete   `json:"remoteDelete,omitempty"`
	Mentions           []Mention       `json:"mentions,omitempty"`
	GroupInfo          *GroupInfo      `json:"groupInfo,omitempty"`
	Sticker            json.RawMessage `json:"sticker,omitempty"`
	Previews           json.RawMessage `json:"previews,omitempty"`
	Contacts           json.RawMessage `json:"contacts,omitempty"`
	TextStyles         json.RawMessage `json:"textStyles,omitempty"`
	StoryContext       json.RawMessage `json:"storyContext,omitempty"`
	PollCreate         json.RawMessage `json:"pollCreate,omitempty"`
	PollVote           json.RawMessage `json:"pollVote,omitempty"`
	PollTerminate      json.RawMessage `json:"pollTerminate,omitempty"`
	PinMessage         json.RawMessage `json:"pinMessage,omitempty"`
	AdminDelete        json.RawMessage `json:"adminDelete,omitempty"`
}

// Attachment describes a file of a message. The bytes are not in the
// envelope: fetch them with Client.GetAttachment(ID).
type Attachment struct {
	ContentType     string `json:"contentType,omitempty"`
	Filename        string `json:"filename,omitempty"`
	ID              string `json:"id,omitempty"`
	Size            int64  `json:"size,omitempty"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	Caption         string `json:"caption,omitempty"`
	UploadTimestamp int64  `json:"uploadTimestamp,omitempty"`
}

// Quote is the message a reply quotes; ID is that message's sent timestamp.
type Quote struct {
	ID           int64           `json:"id"`
	Author       string          `json:"author,omitempty"` // deprecated
	AuthorNumber string          `json:"authorNumber,omitempty"`
	AuthorUUID   string          `json:"authorUuid,omitempty"`
	Text         string          `json:"text,omitempty"`
	Attachments  json.RawMessage `json:"attachments,omitempty"`
}

// Reaction is an emoji on the message sent by the target author at
// TargetSentTimestamp, or its removal when IsRemove is set.
type Reaction struct {
	Emoji               string `json:"emoji"`
	TargetAuthor        string `json:"targetAuthor,omitempty"` // deprecated
	TargetAuthorNumber  string `json:"targetAuthorNumber,omitempty"`
	TargetAuthorUUID    string `json:"targetAuthorUuid,omitempty"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	IsRemove            bool   `json:"isRemove,omitempty"`
}

// RemoteDelete deletes, for everyone, the sender's own message sent at
// Timestamp.
type RemoteDelete struct {
	Timestamp int64 `json:"timestamp"`
}

// Mention is an @-mention; Start and Length count UTF-16 code units.
type Mention struct {
	Name   string `json:"name,omitempty"`
	Number string `json:"number,omitempty"`
	UUID   string `json:"uuid,omitempty"`
	Start  int    `json:"start"`
	Length int    `json:"length"`
}

// GroupInfo ties a data message to a group. Type is "DELIVER" for an
// ordinary group message and "UPDATE" when the group itself changed.
type GroupInfo struct {
	GroupID   string `json:"groupId"` // base64
	GroupName string `json:"groupName,omitempty"`
	Revision  int64  `json:"revision,omitempty"`
	Type      string `json:"type,omitempty"`
}

// EditMessage replaces the text of the sender's message sent at
// TargetSentTimestamp. It sits at envelope level, and inside
// SentMessage for edits made on the linked phone.
type EditMessage struct {
	TargetSentTimestamp int64       `json:"targetSentTimestamp"`
	DataMessage         DataMessage `json:"dataMessage"`
}

// SyncMessage is what the account's other devices (the employee's phone)
// report to this linked device.
type SyncMessage struct {
	SentMessage      *SentMessage    `json:"sentMessage,omitempty"`
	SentStoryMessage json.RawMessage `json:"sentStoryMessage,omitempty"`
	BlockedNumbers   []string        `json:"blockedNumbers,omitempty"`
	BlockedGroupIDs  []string        `json:"blockedGroupIds,omitempty"`
	ReadMessages     []ReadMessage   `json:"readMessages,omitempty"`
	Type             string          `json:"type,omitempty"`
}

// SentMessage is a message the account sent from another device. signal-cli
// flattens the data message's fields into this object, which the embedded
// DataMessage mirrors.
type SentMessage struct {
	Destination       string       `json:"destination,omitempty"` // deprecated
	DestinationNumber string       `json:"destinationNumber,omitempty"`
	DestinationUUID   string       `json:"destinationUuid,omitempty"`
	EditMessage       *EditMessage `json:"editMessage,omitempty"`
	DataMessage
}

// ReadMessage says the account read, on another device, the message sent by
// Sender at Timestamp.
type ReadMessage struct {
	Sender       string `json:"sender,omitempty"` // deprecated
	SenderNumber string `json:"senderNumber,omitempty"`
	SenderUUID   string `json:"senderUuid,omitempty"`
	Timestamp    int64  `json:"timestamp"`
}

// ReceiptMessage says that the envelope's source received, read or viewed
// the account's messages sent at Timestamps.
type ReceiptMessage struct {
	When       int64   `json:"when,omitempty"`
	IsDelivery bool    `json:"isDelivery,omitempty"`
	IsRead     bool    `json:"isRead,omitempty"`
	IsViewed   bool    `json:"isViewed,omitempty"`
	Timestamps []int64 `json:"timestamps,omitempty"`
}

// TypingMessage is a typing indicator. It is never a record.
type TypingMessage struct {
	Action    string `json:"action"` // STARTED or STOPPED
	Timestamp int64  `json:"timestamp,omitempty"`
	GroupID   string `json:"groupId,omitempty"`
}

// wireNotification accepts both shapes a `receive` can arrive in: a JSON-RPC
// notification (socket, TCP, stdin) whose params are {account, envelope},
// and, in manual receive mode, params {subscription, result{...}}. The
// HTTP event stream's data line is the params object itself.
type wireNotification struct {
	JSONRPC *string         `json:"jsonrpc"`
	Method  *string         `json:"method"`
	ID      json.RawMessage `json:"id"`
	Params  json.RawMessage `json:"params"`
}

type wireParams struct {
	Account      string          `json:"account"`
	Envelope     json.RawMessage `json:"envelope"`
	Exception    *Exception      `json:"exception"`
	Subscription json.RawMessage `json:"subscription"`
	Result       json.RawMessage `json:"result"`
}

// DecodeNotification decodes one `receive` notification. b may be a full
// JSON-RPC notification ({"jsonrpc":"2.0","method":"receive","params":…})
// or its bare params object, as carried in a data line of the HTTP event
// stream; manual-mode params ({subscription, result}) are unwrapped too.
//
// Returns TooLarge when b exceeds MaxNotificationSize, and Invalid when b
// is not JSON, names another method, is a response rather than a
// notification, or lacks the account or the envelope. It never panics.
func DecodeNotification(b []byte) (*Notification, error) {
	const op steward.Op = "signal.DecodeNotification"
	if len(b) > MaxNotificationSize {
		return nil, steward.Errorf(op, steward.TooLarge, "notification exceeds %d bytes", MaxNotificationSize)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return nil, steward.E(op, steward.Invalid, "notification is not a JSON object")
	}
	var w wireNotification
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, steward.E(op, steward.Invalid, "notification is not a JSON object", err)
	}
	params := json.RawMessage(b)
	if w.Method != nil || w.JSONRPC != nil {
		if w.JSONRPC == nil || *w.JSONRPC != "2.0" {
			return nil, steward.E(op, steward.Invalid, `notification lacks "jsonrpc":"2.0"`)
		}
		if w.Method == nil || *w.Method != "receive" {
			return nil, steward.E(op, steward.Invalid, `notification method is not "receive"`)
		}
		if len(w.ID) > 0 && string(w.ID) != "null" {
			return nil, steward.E(op, steward.Invalid, "a receive notification carries no id")
		}
		params = w.Params
	}
	p, err := decodeParams(params)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, err.Error())
	}
	if len(p.Result) > 0 && string(p.Result) != "null" && len(p.Envelope) == 0 {
		// Manual receive mode wraps the usual params in "result".
		if p, err = decodeParams(p.Result); err != nil {
			return nil, steward.E(op, steward.Invalid, "result: "+err.Error())
		}
	}
	if p.Account == "" {
		return nil, steward.E(op, steward.Invalid, "notification has no account")
	}
	if len(p.Envelope) == 0 || p.Envelope[0] != '{' {
		return nil, steward.E(op, steward.Invalid, "notification has no envelope object")
	}
	n := &Notification{Account: p.Account, Exception: p.Exception, RawEnvelope: append(json.RawMessage(nil), p.Envelope...)}
	if err := json.Unmarshal(p.Envelope, &n.Envelope); err != nil {
		return nil, steward.E(op, steward.Invalid, "envelope does not match signal-cli's shape", err)
	}
	return n, nil
}

func decodeParams(b json.RawMessage) (wireParams, error) {
	var p wireParams
	if len(b) == 0 || b[0] != '{' {
		return p, errString("params is not a JSON object")
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, errString("params do not match signal-cli's shape")
	}
	return p, nil
}

type errString string

func (e errString) Error() string { return string(e) }
