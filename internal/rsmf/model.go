package rsmf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Version is the RSMF version this package writes and validates.
const Version = "2.0.0"

// ConversationType says whether a conversation's membership is fixed.
type ConversationType string

const (
	// Direct conversations keep the same participants throughout.
	Direct ConversationType = "direct"
	// Channel conversations are joined and left over time.
	Channel ConversationType = "channel"
)

// EventType is the kind of an event, exactly RSMF's vocabulary.
type EventType string

const (
	Message    EventType = "message"
	Join       EventType = "join"
	Leave      EventType = "leave"
	History    EventType = "history"
	Disclaimer EventType = "disclaimer"
	Unknown    EventType = "unknown"
)

// Direction says whose device an event was collected from, relative to the
// conversation's custodian.
type Direction string

const (
	Incoming Direction = "incoming"
	Outgoing Direction = "outgoing"
)

// ReceiptAction is what a read receipt reports.
type ReceiptAction string

const (
	Read      ReceiptAction = "read"
	Delivered ReceiptAction = "delivered"
)

// Participant is a person or account as it was when the events happened:
// callers pass the identity captured with the record, not today's
// directory entry, so a renamed account still shows its name of the time.
type Participant struct {
	// ID identifies the participant within one manifest; required.
	ID string
	// Display is the name shown for the participant.
	Display string
	// Email is the participant's address. A value that is not a valid
	// address is moved to a custom "Email" property by the RSMF writer,
	// because the schema types the field as an e-mail address.
	Email string
	// AccountID is the platform's own identifier, such as a phone number.
	AccountID string
	// Avatar is an optional image written into rsmf.zip beside the
	// attachments; its ID is the file name.
	Avatar *Attachment
	// Custom holds further name/value metadata; empty values are dropped.
	Custom map[string]string
}

// Conversation is a thread on one platform.
type Conversation struct {
	// ID identifies the conversation within one manifest; required.
	ID string
	// Platform names where the conversation took place, such as "signal";
	// required.
	Platform string
	// Display is the conversation's name, if it has one.
	Display string
	// Type is Direct or Channel; empty leaves it unstated.
	Type ConversationType
	// Custodian is the participant ID of the person whose account the
	// conversation was collected from.
	Custodian string
	// Participants lists participant IDs: all of them for a direct
	// conversation, and those present at its first event for a channel.
	Participants []string
	// Custom holds further name/value metadata; empty values are dropped.
	Custom map[string]string
}

// Event is one thing that happened in a conversation. Deleted and edited
// messages keep their text and revisions: every format this package and
// its siblings write shows them.
type Event struct {
	// ID identifies the event within its conversation; Steward uses the
	// archive record ID. Needed for threading (Parent) and recommended
	// always.
	ID string
	// Type is required.
	Type EventType
	// Parent is the ID of the event this one replies to.
	Parent string
	// Body is the text, already redacted for production.
	Body string
	// Participant is the ID of the participant who caused the event.
	Participant string
	// Conversation is the ID of the conversation; required.
	Conversation string
	// Timestamp is when the event happened; it is written in UTC.
	Timestamp time.Time
	// Direction is Incoming, Outgoing or empty.
	Direction Direction
	// Deleted reports that the sender deleted the message after sending.
	Deleted bool
	// Edits are the revisions of the body, oldest first.
	Edits []Edit
	// Reactions on the event.
	Reactions []Reaction
	// Attachments carried by the event.
	Attachments []Attachment
	// ReadReceipts report who received or read the event, and when.
	ReadReceipts []ReadReceipt
	// Custom holds further name/value metadata; empty values are dropped.
	Custom map[string]string
}

// Edit is one revision of an event's body.
type Edit struct {
	// Participant is the ID of the editor; empty means the event's sender.
	Participant string
	Timestamp   time.Time
	Previous    string
	New         string
}

// Reaction is one reaction value with the participants who gave it.
type Reaction struct {
	// Value is the reaction, such as an emoji; required.
	Value string
	// Count is how many times it was given; zero means len(Participants).
	Count int
	// Participants are participant IDs.
	Participants []string
}

// ReadReceipt is one delivery or read report.
type ReadReceipt struct {
	Participant string
	Timestamp   time.Time
	Action      ReceiptAction
}

// Attachment is a file carried by an event (or a participant's avatar).
// Content is opened only while the file is written, so a caller may
// describe many attachments without holding their bytes.
type Attachment struct {
	// ID is the file's name inside rsmf.zip: a plain name without path
	// separators, unique within one .rsmf file. Steward uses
	// "<attachment id>-<file name>".
	ID string
	// Display is the name shown to reviewers, usually the original name.
	Display string
	// ContentType is the MIME type captured with the file, if known; it is
	// used by the EML writer and never guessed from the name.
	ContentType string
	// Size is the length in bytes. When positive and the content is
	// available, writers check the content has exactly this length.
	Size int64
	// SHA256 is the content's digest, if known; writers check it and fail
	// with steward.Integrity on a mismatch.
	SHA256 []byte
	// Open returns the content. Nil means the content is not available (for
	// example it was missing at capture): writers then leave the file out,
	// say so in the event and report a warning.
	Open func() (io.ReadCloser, error)
}

// FromBytes returns an Open function over b, for content already in memory.
func FromBytes(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// WriteTo copies the attachment's content to w, verifying the declared Size
// and SHA256. A mismatch is a steward.Integrity error; an attachment
// without content is steward.NotFound.
func (a *Attachment) WriteTo(w io.Writer) (int64, error) {
	const op steward.Op = "rsmf.Attachment.WriteTo"
	if a.Open == nil {
		return 0, steward.Errorf(op, steward.NotFound, "attachment %q has no content", a.ID)
	}
	rc, err := a.Open()
	if err != nil {
		return 0, steward.E(op, steward.Unavailable, "cannot open attachment "+a.ID, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), rc)
	if err != nil {
		return n, steward.E(op, "copying attachment "+a.ID, err)
	}
	if a.Size > 0 && n != a.Size {
		return n, steward.Errorf(op, steward.Integrity, "attachment %q has %d bytes, expected %d", a.ID, n, a.Size)
	}
	if len(a.SHA256) > 0 && !bytes.Equal(h.Sum(nil), a.SHA256) {
		return n, steward.Errorf(op, steward.Integrity, "attachment %q does not match its SHA-256 %s",
			a.ID, hex.EncodeToString(a.SHA256))
	}
	return n, nil
}

// Manifest is the content of one .rsmf file: the events and every
// participant and conversation they refer to.
type Manifest struct {
	// EventCollectionID ties together the files cut from one conversation;
	// the Splitter sets it to the conversation ID.
	EventCollectionID string
	Participants      []Participant
	Conversations     []Conversation
	// Events in the order they are to be shown: by time, then ID.
	Events []Event
}

// timestamp formats t as RFC 3339 in UTC with the fraction it has, the
// form every writer here uses.
func timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
