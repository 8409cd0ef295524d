package signal

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Sender sends from the daemon's accounts for Steward's outbound delivery.
// It implements steward.ChannelSender and steward.GroupManager on top of
// Client, with the mapping below (params named as in signal-cli-jsonrpc(5)):
//
//	message   send          recipient|groupId, message, attachments (data: URIs),
//	                        quoteTimestamp+quoteAuthor from ReplyTo
//	edit      send          the same, plus editTimestamp from Target
//	delete    remoteDelete  recipient|groupId, targetTimestamp from Target
//	reaction  sendReaction  recipient|groupId, emoji, targetAuthor and
//	                        targetTimestamp from Target, remove
//
// Target and ReplyTo are channel message ids as Items assigns them
// ("<account>:<author>:<timestamp>", see ParseMessageID) and must belong to
// the request's account. Edits and deletes may only target the account's
// own messages, as Signal allows.
//
// Errors: Invalid for a request that can never succeed (malformed, ids of
// another account, a recipient or group signal-cli refuses);
// *steward.RateLimitError (wrapped, kind Unavailable) when every recipient
// was rate limited, with the CAPTCHA challenge when Signal wants one (see
// Client.SubmitRateLimitChallenge); Unavailable for transport trouble.
// Per-recipient failures are never errors, even when no recipient
// succeeded (signal-cli reports that case as an error carrying the
// results; Send turns it back into a result).
type Sender struct {
	Client *Client
}

var (
	_ steward.ChannelSender = (*Sender)(nil)
	_ steward.GroupManager  = (*Sender)(nil)
)

// MessageID is a message's channel id, as Items assigns it: the account
// that saw it, its author (the account's own number for its own messages,
// else the sender's ACI UUID or number) and its sent timestamp, which is
// Signal's id for the message.
type MessageID struct {
	Account   string
	Author    string
	Timestamp int64
}

// String returns "<account>:<author>:<timestamp>".
func (id MessageID) String() string {
	return id.Account + ":" + id.Author + ":" + strconv.FormatInt(id.Timestamp, 10)
}

var (
	reE164   = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)
	reAuthor = regexp.MustCompile(`^(\+[1-9][0-9]{5,14}|(PNI:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
	reDigits = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// ParseMessageID parses the channel id of a message, "<account>:<author>:
// <timestamp>". The account must be a +E164 number, the author a +E164
// number, an ACI UUID or PNI:<uuid>, and the timestamp a positive number
// of milliseconds. Ids of derived items (with a suffix such as ":edit",
// ":reaction" or ":receipt:…") do not name a message Signal can address
// and are refused. Returns Invalid.
func ParseMessageID(s string) (MessageID, error) {
	const op steward.Op = "signal.ParseMessageID"
	bad := steward.E(op, steward.Invalid, "not a Signal message id: want <account>:<author>:<timestamp>")
	i, j := strings.IndexByte(s, ':'), strings.LastIndexByte(s, ':')
	if i < 0 || j <= i {
		return MessageID{}, bad
	}
	id := MessageID{Account: s[:i], Author: s[i+1 : j]}
	ts := s[j+1:]
	if !reE164.MatchString(id.Account) || !reAuthor.MatchString(id.Author) || !reDigits.MatchString(ts) {
		return MessageID{}, bad
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return MessageID{}, bad
	}
	id.Timestamp = n
	return id, nil
}

// messageID parses a Target or ReplyTo of req, which must belong to
// req.Account and, when own is set, be the account's own message.
func messageID(op steward.Op, req *steward.SendRequest, field, s string, own bool) (MessageID, error) {
	if s == "" {
		return MessageID{}, steward.E(op, steward.Invalid, field+" is required for a "+string(req.Op))
	}
	id, err := ParseMessageID(s)
	if err != nil {
		return MessageID{}, steward.E(op, steward.Invalid, field+" is not a Signal message id", err)
	}
	if id.Account != req.Account {
		return MessageID{}, steward.E(op, steward.Invalid, field+" names a message of another account")
	}
	if own && id.Author != req.Account {
		return MessageID{}, steward.E(op, steward.Invalid, "Signal lets an account "+string(req.Op)+" only its own messages")
	}
	return id, nil
}

// DataURI encodes an attachment as the data URI signal-cli accepts in
// `send`: data:<MIME>;filename=<name>;base64,<data>. The filename is
// URL-escaped (signal-cli URL-decodes parameter values) and parameters of
// the content type are dropped; an unusable content type becomes
// application/octet-stream.
func DataURI(a steward.Attachment) string {
	ct := "application/octet-stream"
	if mt, _, err := mime.ParseMediaType(a.ContentType); err == nil && strings.Count(mt, "/") == 1 {
		ct = mt
	}
	var b strings.Builder
	b.WriteString("data:")
	b.WriteString(ct)
	if a.Filename != "" {
		b.WriteString(";filename=")
		b.WriteString(url.QueryEscape(a.Filename))
	}
	b.WriteString(";base64,")
	b.WriteString(base64.StdEncoding.EncodeToString(a.Data))
	return b.String()
}

// Send implements steward.ChannelSender; see Sender for the mapping.
//
// The result's ChannelMessageID is "<account>:<account>:<timestamp>" with
// the timestamp signal-cli gave the sent message (for an edit or a delete,
// that of the edit or delete message itself): the id Items gives the
// account's own message, and the Target of the receipts that acknowledge
// it. Recipients holds one status per recipient signal-cli reported (for a
// group, the other members), with Detail the raw signal-cli type.
func (s *Sender) Send(ctx context.Context, req *steward.SendRequest) (*steward.SendResult, error) {
	const op steward.Op = "signal.Sender.Send"
	if req == nil {
		return nil, steward.E(op, steward.Invalid, "no request")
	}
	if req.Account == "" {
		return nil, steward.E(op, steward.Invalid, "account is required")
	}
	if (len(req.Recipients) > 0) == (req.GroupID != "") {
		return nil, steward.E(op, steward.Invalid, "a send needs either recipients or a group id")
	}
	for _, r := range req.Recipients {
		if r == "" {
			return nil, steward.E(op, steward.Invalid, "empty recipient")
		}
	}
	var (
		r   SendResult
		err error
	)
	switch req.Op {
	case steward.SendMessage, steward.SendEdit:
		p := SendParams{Recipients: req.Recipients, GroupID: req.GroupID, Message: req.Body}
		if req.ReplyTo != "" {
			q, err := messageID(op, req, "reply_to", req.ReplyTo, false)
			if err != nil {
				return nil, err
			}
			p.QuoteTimestamp, p.QuoteAuthor = q.Timestamp, q.Author
		}
		if req.Op == steward.SendEdit {
			t, err := messageID(op, req, "target", req.Target, true)
			if err != nil {
				return nil, err
			}
			if len(req.Attachments) > 0 {
				return nil, steward.E(op, steward.Invalid, "a Signal edit changes the text only, not attachments")
			}
			p.EditTimestamp = t.Timestamp
		}
		for _, a := range req.Attachments {
			if len(a.Data) == 0 {
				return nil, steward.E(op, steward.Invalid, "attachment "+strconv.Quote(a.Filename)+" has no data")
			}
			p.Attachments = append(p.Attachments, DataURI(a))
		}
		if p.Message == "" && len(p.Attachments) == 0 {
			return nil, steward.E(op, steward.Invalid, "nothing to send: no body and no attachments")
		}
		r, err = s.Client.Send(ctx, req.Account, p)
	case steward.SendDelete:
		t, perr := messageID(op, req, "target", req.Target, true)
		if perr != nil {
			return nil, perr
		}
		r, err = s.Client.RemoteDelete(ctx, req.Account, RemoteDeleteParams{Recipients: req.Recipients, GroupID: req.GroupID, TargetTimestamp: t.Timestamp})
	case steward.SendReaction:
		t, perr := messageID(op, req, "target", req.Target, false)
		if perr != nil {
			return nil, perr
		}
		if req.Emoji == "" {
			return nil, steward.E(op, steward.Invalid, "a reaction needs an emoji")
		}
		r, err = s.Client.SendReaction(ctx, req.Account, ReactionParams{Recipients: req.Recipients, GroupID: req.GroupID,
			Emoji: req.Emoji, TargetAuthor: t.Author, TargetTimestamp: t.Timestamp, Remove: req.Remove})
	default:
		return nil, steward.E(op, steward.Invalid, "unknown send op "+strconv.Quote(string(req.Op)))
	}
	if err != nil && !noRecipientAccepted(err, r) {
		return nil, steward.E(op, err)
	}
	if r.Timestamp <= 0 {
		return nil, steward.E(op, steward.Internal, "signal-cli returned no timestamp for the sent message")
	}
	out := &steward.SendResult{
		ChannelMessageID: MessageID{Account: req.Account, Author: req.Account, Timestamp: r.Timestamp}.String(),
		SentAt:           msTime(r.Timestamp),
		Recipients:       make([]steward.RecipientStatus, 0, len(r.Results)),
	}
	for _, x := range r.Results {
		a := x.RecipientAddress
		out.Recipients = append(out.Recipients, steward.RecipientStatus{
			Address: firstNonEmpty(a.Number, a.UUID, a.Username),
			Status:  RecipientStatus(x.Type),
			Detail:  x.Type,
		})
	}
	return out, nil
}

// noRecipientAccepted reports whether err is signal-cli's report of a send
// that reached none of its recipients for reasons other than a rate limit
// (code -1 "Failed to send message", or -4 when every recipient's identity
// changed), with the per-recipient results attached: those are outcomes,
// not errors.
func noRecipientAccepted(err error, r SendResult) bool {
	if _, ok := steward.AsRateLimit(err); ok || len(r.Results) == 0 {
		return false
	}
	var re *RPCError
	return errors.As(err, &re) && (re.Code == codeUserError || re.Code == codeUntrustedKey)
}

// RecipientStatus maps a signal-cli send result type to a steward
// delivery status (steward.Status*): SUCCESS is sent (accepted by Signal's
// server; receipts later say delivered and read), and any type it does not
// know is failed, so a new failure kind is never shown as success.
func RecipientStatus(signalType string) string {
	switch signalType {
	case "SUCCESS":
		return steward.StatusSent
	case "UNREGISTERED_FAILURE":
		return steward.StatusUnregistered
	case "RATE_LIMIT_FAILURE":
		return steward.StatusRateLimited
	case "NETWORK_FAILURE":
		return steward.StatusNetworkFailure
	case "IDENTITY_FAILURE":
		return steward.StatusIdentityChanged
	}
	return steward.StatusFailed
}

// CreateGroup implements steward.GroupManager with `updateGroup` without
// groupId, name and members; signal-cli leaves the account itself out of
// members and makes it the group's admin. Returns the group id (base64).
func (s *Sender) CreateGroup(ctx context.Context, account, title string, members []string) (string, error) {
	const op steward.Op = "signal.Sender.CreateGroup"
	if err := noEmpty(op, members); err != nil {
		return "", err
	}
	r, err := s.Client.UpdateGroup(ctx, account, UpdateGroupParams{Name: title, Members: members})
	if err != nil {
		return "", steward.E(op, err)
	}
	if r.GroupID == "" {
		return "", steward.E(op, steward.Internal, "signal-cli created a group but returned no group id")
	}
	return r.GroupID, nil
}

// UpdateGroup implements steward.GroupManager with `updateGroup`: groupId,
// members (added), removeMembers and admins (promoted). A call that
// changes nothing sends nothing.
func (s *Sender) UpdateGroup(ctx context.Context, account, groupID string, add, remove, admins []string) error {
	const op steward.Op = "signal.Sender.UpdateGroup"
	if groupID == "" {
		return steward.E(op, steward.Invalid, "group id is required")
	}
	for _, l := range [][]string{add, remove, admins} {
		if err := noEmpty(op, l); err != nil {
			return err
		}
	}
	if len(add)+len(remove)+len(admins) == 0 {
		return nil
	}
	_, err := s.Client.UpdateGroup(ctx, account, UpdateGroupParams{GroupID: groupID, Members: add, RemoveMembers: remove, Admins: admins})
	if err != nil {
		return steward.E(op, err)
	}
	return nil
}

func noEmpty(op steward.Op, addrs []string) error {
	for _, a := range addrs {
		if a == "" {
			return steward.E(op, steward.Invalid, "empty member address")
		}
	}
	return nil
}
