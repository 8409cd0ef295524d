package signalsim

import (
	"fmt"
	"strings"
	"time"
)

// Consent answers a contact gives to the first message it receives.
const (
	ConsentAccept  = "accept"  // replies Contact.AcceptWord
	ConsentDecline = "decline" // replies Contact.DeclineWord
	ConsentIgnore  = "ignore"  // never answers
)

// Default consent words of a Contact.
const (
	DefaultAcceptWord  = "ACCEPT"
	DefaultDeclineWord = "DECLINE"
	DefaultStopWord    = "STOP"
)

// Contact is a scripted outside party (a customer, a supplier) the
// daemon's accounts can write to.
//
// When an account sends it a direct message, the contact, after
// ReplyDelay, acknowledges the message with a delivery receipt and (unless
// it ignores the conversation) a read receipt. The first message of each
// account is taken as Steward's consent request and answered AcceptWord or
// DeclineWord (by default "ACCEPT" and "DECLINE") according to Consent
// (empty means accept), or not at all for "ignore". A contact that
// accepted then answers each later message with its next line of Replies,
// until they run out. On its k-th scripted reply (k from 1) the contact
// also, deterministically:
//
//   - quotes the message it answers when k is even;
//   - reacts with 👍 to that message when k is a multiple of 3;
//   - edits its previous scripted reply (appending " (edited)") when k is
//     a multiple of 4;
//   - deletes its previous scripted reply for everyone when k is a
//     multiple of 5;
//   - sends back, as new attachments, the files of the message it answers;
//   - when k equals StopAfter, then sends StopWord (by default "STOP") as
//     a message of its own, revoking consent: from then on it only sends
//     receipts.
//
// Edits, group messages (to a group the contact is a member of) and
// messages after a decline or a stop only get receipts.
type Contact struct {
	Number     string // +E164
	UUID       string // ACI; derived from Number when empty
	Name       string // profile name, sent as sourceName
	Consent    string // ConsentAccept (default), ConsentDecline or ConsentIgnore
	Replies    []string
	ReplyDelay time.Duration

	AcceptWord  string // the accepting reply; DefaultAcceptWord when empty
	DeclineWord string // the declining reply; DefaultDeclineWord when empty
	StopWord    string // the revoking message; DefaultStopWord when empty
	StopAfter   int    // send StopWord after the k-th scripted reply; 0: never
}

// convo is one account's conversation state with one contact.
type convo struct {
	inbox       []incoming // received, not yet reacted to (FIFO)
	received    int
	consent     string // "" until answered: accepted, declined, ignored; stopped after StopWord
	replies     int
	lastReplyTS int64
	lastReply   string
}

// AddContact registers (or replaces) a scripted contact.
func (s *Server) AddContact(c Contact) {
	if c.UUID == "" {
		c.UUID = deriveUUID("contact:" + c.Number)
	}
	c.Consent = strings.ToLower(c.Consent)
	if c.Consent == "" {
		c.Consent = ConsentAccept
	}
	if c.AcceptWord == "" {
		c.AcceptWord = DefaultAcceptWord
	}
	if c.DeclineWord == "" {
		c.DeclineWord = DefaultDeclineWord
	}
	if c.StopWord == "" {
		c.StopWord = DefaultStopWord
	}
	c.Replies = append([]string(nil), c.Replies...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[c.Number] = &c
}

func (s *Server) lookupContactLocked(id string) *Contact {
	if c := s.contacts[id]; c != nil {
		return c
	}
	for _, c := range s.contacts {
		if c.UUID == id {
			return c
		}
	}
	return nil
}

// incoming is a message a contact receives.
type incoming struct {
	ts    int64
	text  string
	atts  []Attachment
	files [][]byte
	edit  bool
	group bool
}

// contactReceiveLocked hands in to the contact. Each message gets its own
// timer, but every firing takes the oldest message of the conversation,
// so a contact always reacts in the order messages were sent, even when
// timers with equal delays fire out of order.
func (s *Server) contactReceiveLocked(a *account, c *Contact, in incoming) {
	cv := a.convos[c.Number]
	if cv == nil {
		cv = &convo{}
		a.convos[c.Number] = cv
	}
	cv.inbox = append(cv.inbox, in)
	s.received = append(s.received, Received{Contact: c.Number, Account: a.number, Text: in.text,
		Attachments: len(in.atts), Group: in.group, Edit: in.edit})
	s.afterLocked(c.ReplyDelay, func() {
		in := cv.inbox[0]
		cv.inbox = cv.inbox[1:]
		s.contactReact(a, c, cv, in)
	})
}

// contactReact runs under s.mu, once the contact's delay has passed.
func (s *Server) contactReact(a *account, c *Contact, cv *convo, in incoming) {
	from := func() *Envelope { return s.envelopeFrom(c.Number, c.UUID, c.Name, s.nowTS()) }
	receipt := func(delivery bool) {
		env := from()
		env.ReceiptMessage = &ReceiptMessage{When: env.Timestamp, IsDelivery: delivery, IsRead: !delivery, Timestamps: []int64{in.ts}}
		s.emitLocked(a.number, env)
	}
	receipt(true)
	if c.Consent != ConsentIgnore {
		receipt(false)
	}
	if in.edit || in.group {
		return
	}
	cv.received++
	message := func(text string, mutate func(*DataMessage)) int64 {
		env := from()
		dm := &DataMessage{Timestamp: env.Timestamp, Message: strPtr(text)}
		if mutate != nil {
			mutate(dm)
		}
		env.DataMessage = dm
		s.emitLocked(a.number, env)
		return env.Timestamp
	}
	if cv.received == 1 {
		switch c.Consent {
		case ConsentAccept:
			cv.consent = "accepted"
			message(c.AcceptWord, nil)
		case ConsentDecline:
			cv.consent = "declined"
			message(c.DeclineWord, nil)
		default:
			cv.consent = "ignored"
		}
		return
	}
	if cv.consent != "accepted" || cv.replies >= len(c.Replies) {
		return
	}
	text := c.Replies[cv.replies]
	cv.replies++
	k := cv.replies
	ts := message(text, func(dm *DataMessage) {
		if k%2 == 0 {
			dm.Quote = &Quote{ID: in.ts, Author: a.number, AuthorNumber: a.number, AuthorUUID: a.uuid, Text: in.text}
		}
		for i, f := range in.files {
			dm.Attachments = append(dm.Attachments, s.storeAttachmentLocked(f, in.atts[i].ContentType, in.atts[i].Filename))
		}
	})
	if k%3 == 0 {
		env := from()
		env.DataMessage = &DataMessage{Timestamp: env.Timestamp, Reaction: &Reaction{
			Emoji: "👍", TargetAuthor: a.number, TargetAuthorNumber: a.number, TargetAuthorUUID: a.uuid, TargetSentTimestamp: in.ts,
		}}
		s.emitLocked(a.number, env)
	}
	if k%4 == 0 && cv.lastReplyTS != 0 {
		env := from()
		env.EditMessage = &EditMessage{TargetSentTimestamp: cv.lastReplyTS, DataMessage: DataMessage{
			Timestamp: env.Timestamp, Message: strPtr(cv.lastReply + " (edited)"),
		}}
		s.emitLocked(a.number, env)
	}
	if k%5 == 0 && cv.lastReplyTS != 0 {
		env := from()
		env.DataMessage = &DataMessage{Timestamp: env.Timestamp, RemoteDelete: &RemoteDelete{Timestamp: cv.lastReplyTS}}
		s.emitLocked(a.number, env)
	}
	cv.lastReplyTS, cv.lastReply = ts, text
	if c.StopAfter > 0 && k == c.StopAfter {
		cv.consent = "stopped"
		message(c.StopWord, nil)
	}
}

// PhoneSend simulates the employee sending text to recipient (a number)
// natively from the phone the daemon is linked to as a secondary device:
// account receives a syncMessage.sentMessage from itself, device 1. It
// returns the message's sent timestamp. A scripted contact that is the
// recipient reacts as it would to a send over JSON-RPC.
func (s *Server) PhoneSend(account, recipient, text string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[account]
	if a == nil {
		return 0, fmt.Errorf("signalsim: unknown account %s", account)
	}
	pr, rerr := s.resolve(recipient)
	if rerr != nil {
		return 0, fmt.Errorf("signalsim: %s", rerr.Message)
	}
	ts := s.nowTS()
	env := s.envelopeFrom(a.number, a.uuid, "", ts)
	env.SyncMessage = &SyncMessage{SentMessage: &SentMessage{
		Destination: firstNonEmpty(pr.number, pr.uuid), DestinationNumber: pr.number, DestinationUUID: pr.uuid,
		DataMessage: DataMessage{Timestamp: ts, Message: strPtr(text)},
	}}
	s.emitLocked(a.number, env)
	switch {
	case pr.contact != nil:
		a.known[pr.number] = true
		s.contactReceiveLocked(a, pr.contact, incoming{ts: ts, text: text})
	case pr.acc != nil && pr.acc != a:
		in := s.envelopeFrom(a.number, a.uuid, "", ts)
		in.DataMessage = &DataMessage{Timestamp: ts, Message: strPtr(text)}
		s.emitLocked(pr.acc.number, in)
	}
	return ts, nil
}
