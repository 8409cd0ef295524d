package signal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultMaxResponse bounds a JSON-RPC response body. getAttachment returns
// the file base64-encoded, so this must exceed the largest attachment
// Signal allows (100 MiB) by the encoding's third.
const DefaultMaxResponse = 160 << 20

// Client calls a signal-cli daemon started with --http and without -a
// (multi-account mode). Every account-scoped helper takes the account
// (+E164) and sends it as the "account" param. The zero HTTP uses
// http.DefaultClient; callers should set one with timeouts, but must not
// use a client-wide Timeout for Events, which is a long-lived stream.
type Client struct {
	BaseURL     string       // e.g. "http://127.0.0.1:8080"
	HTTP        *http.Client // nil means http.DefaultClient
	MaxResponse int64        // 0 means DefaultMaxResponse

	lastID atomic.Int64
}

// RPCError is a JSON-RPC error object returned by the daemon. It is the
// wrapped cause of the steward error Call returns.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.Code, e.Message) }

// response returns the command output signal-cli attached to the error,
// if any. When a send reaches no recipient, signal-cli still writes the
// send's result and reports it as the error's data
// {"response":{"timestamp":…,"results":[…]}} (SignalJsonRpcCommandHandler,
// getErrorDataNode), so the per-recipient outcomes are not lost.
func (e *RPCError) response() (SendResult, bool) {
	var d struct {
		Response *SendResult `json:"response"`
	}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &d) != nil || d.Response == nil {
		return SendResult{}, false
	}
	d.Response.mapStatuses()
	return *d.Response, true
}

// JSON-RPC error codes: the standard ones, and those signal-cli uses for
// its command exceptions (they mirror the CLI's exit codes; see
// SignalJsonRpcCommandHandler).
const (
	codeParseError      = -32700
	codeInvalidRequest  = -32600
	codeMethodNotFound  = -32601
	codeInvalidParams   = -32602
	codeInternalError   = -32603
	codeUserError       = -1
	codeIOError         = -3
	codeUntrustedKey    = -4
	codeRateLimit       = -5
	codeCaptchaRejected = -6
)

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) url(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
	ID      int64  `json:"id"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *RPCError       `json:"error"`
	ID      json.RawMessage `json:"id"`
}

// Call invokes method with params over POST {BaseURL}/api/v1/rpc and
// decodes the result into result (which may be nil). Each call carries a
// fresh numeric id and the response must echo it.
//
// Errors: Unavailable for network failures, HTTP 5xx, an I/O error or rate
// limit reported by the daemon (a rate limit also carries a
// *steward.RateLimitError), and a 421 (the daemon's Host check);
// Invalid for invalid params, unknown methods, user errors, a rejected
// CAPTCHA and HTTP 400;
// Conflict for an untrusted identity key; TooLarge when the response
// exceeds MaxResponse; Internal for anything that means this client or the
// daemon is broken (415, 405, malformed responses).
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	op := steward.Op("signal.Call " + method)
	id := c.lastID.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", Method: method, Params: params, ID: id})
	if err != nil {
		return steward.E(op, steward.Invalid, "params cannot be encoded as JSON", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/api/v1/rpc"), bytes.NewReader(body))
	if err != nil {
		return steward.E(op, steward.Invalid, "bad daemon URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http().Do(req)
	if err != nil {
		return steward.E(op, steward.Unavailable, "signal-cli daemon unreachable", err)
	}
	defer resp.Body.Close()
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return steward.E(op, steward.Unavailable, "reading the daemon's response failed", err)
	}
	if int64(len(raw)) > limit {
		return steward.Errorf(op, steward.TooLarge, "daemon response exceeds %d bytes", limit)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusCreated:
		// Notification-only: never expected, since every call has an id.
		return steward.E(op, steward.Internal, "daemon answered a call as a notification (201)")
	case resp.StatusCode == http.StatusMisdirectedRequest:
		return steward.E(op, steward.Unavailable, "daemon refused the Host header (421): bind it to the address used here")
	case resp.StatusCode == http.StatusBadRequest:
		return steward.E(op, steward.Invalid, "daemon rejected the request (400)")
	case resp.StatusCode == http.StatusTooManyRequests:
		return steward.E(op, steward.Unavailable, "rate limited by the daemon (429)")
	case resp.StatusCode >= 500:
		return steward.Errorf(op, steward.Unavailable, "daemon error (HTTP %d)", resp.StatusCode)
	default:
		return steward.Errorf(op, steward.Internal, "unexpected HTTP %d from daemon", resp.StatusCode)
	}
	var r rpcResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return steward.E(op, steward.Internal, "daemon response is not a JSON-RPC object", err)
	}
	if string(r.ID) != fmt.Sprint(id) && r.Error == nil {
		return steward.Errorf(op, steward.Internal, "daemon response id %s does not match request id %d", r.ID, id)
	}
	if r.Error != nil {
		return rpcErr(op, r.Error)
	}
	if result == nil || len(r.Result) == 0 || string(r.Result) == "null" {
		return nil
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return steward.E(op, steward.Internal, "daemon result has an unexpected shape", err)
	}
	return nil
}

// rpcErr classifies a JSON-RPC error. Codes come first; the message is
// consulted only for rate limits, which some signal-cli versions report
// as a generic failure mentioning the server's 413/429 or a
// RateLimitException.
//
// A rate limit is Unavailable and carries a *steward.RateLimitError (find
// it with steward.AsRateLimit) next to the *RPCError: see rateLimitOf.
func rpcErr(op steward.Op, e *RPCError) error {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Code == codeRateLimit || strings.Contains(msg, "rate limit") || strings.Contains(msg, "ratelimit") ||
		strings.Contains(msg, "[413]") || strings.Contains(msg, "[429]"):
		return steward.E(op, steward.Unavailable, "rate limited by Signal; retry later", error(&rateLimited{rateLimitOf(e), e}))
	case e.Code == codeCaptchaRejected:
		return steward.E(op, steward.Invalid, "Signal rejected the CAPTCHA: solve a new one, from the same network as the daemon", error(e))
	case e.Code == codeInvalidParams || e.Code == codeInvalidRequest || e.Code == codeParseError || e.Code == codeUserError:
		return steward.E(op, steward.Invalid, "signal-cli rejected the request: "+e.Message, error(e))
	case e.Code == codeMethodNotFound:
		return steward.E(op, steward.Invalid, "signal-cli does not support this method", error(e))
	case e.Code == codeIOError:
		return steward.E(op, steward.Unavailable, "signal-cli could not reach Signal", error(e))
	case e.Code == codeUntrustedKey:
		return steward.E(op, steward.Conflict, "a recipient's safety number changed", error(e))
	}
	return steward.E(op, steward.Internal, error(e))
}

// rateLimitOf reads a rate-limit error. signal-cli answers a send whose
// every recipient was rate limited (SendMessageResultUtils.outputResult,
// RateLimitErrorException) with
//
//	{"code":-5,"message":"Failed to send message due to rate limiting",
//	 "data":{"response":{"timestamp":…,"results":[{"recipientAddress":{…},
//	   "type":"RATE_LIMIT_FAILURE","token":"<challenge>","retryAfterSeconds":N}]}}}
//
// where token is present when Signal wants proof (a CAPTCHA) before the
// account may send again, and retryAfterSeconds when Signal said how long
// to wait. Challenge is the first token, RetryAfter the longest wait.
func rateLimitOf(e *RPCError) *steward.RateLimitError {
	rl := &steward.RateLimitError{Msg: e.Message}
	r, _ := e.response()
	for _, x := range r.Results {
		if rl.Challenge == "" && x.Token != "" {
			rl.Challenge = x.Token
		}
		if x.RetryAfterSeconds != nil {
			if d := time.Duration(*x.RetryAfterSeconds) * time.Second; d > rl.RetryAfter {
				rl.RetryAfter = d
			}
		}
	}
	return rl
}

// rateLimited keeps both the steward.RateLimitError and the daemon's
// RPCError in an error chain.
type rateLimited struct {
	rl  *steward.RateLimitError
	rpc *RPCError
}

func (r *rateLimited) Error() string   { return r.rpc.Error() }
func (r *rateLimited) Unwrap() []error { return []error{r.rl, r.rpc} }

// Check reports whether the daemon is up: GET /api/v1/check must answer
// 200. Returns Unavailable otherwise.
func (c *Client) Check(ctx context.Context) error {
	const op steward.Op = "signal.Check"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/api/v1/check"), nil)
	if err != nil {
		return steward.E(op, steward.Invalid, "bad daemon URL", err)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return steward.E(op, steward.Unavailable, "signal-cli daemon unreachable", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return steward.Errorf(op, steward.Unavailable, "daemon check answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// withAccount encodes params as a JSON object with "account" added, since
// a multi-account daemon needs the account inside params.
func withAccount(account string, params any) (map[string]json.RawMessage, error) {
	if account == "" {
		return nil, errors.New("account is required")
	}
	m := map[string]json.RawMessage{}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
	}
	a, _ := json.Marshal(account)
	m["account"] = a
	return m, nil
}

func (c *Client) callAccount(ctx context.Context, op steward.Op, method, account string, params, result any) error {
	p, err := withAccount(account, params)
	if err != nil {
		return steward.E(op, steward.Invalid, err.Error())
	}
	if err := c.Call(ctx, method, p, result); err != nil {
		return steward.E(op, err)
	}
	return nil
}

// SendParams are the params of `send`, named as in signal-cli-jsonrpc(5).
// Exactly one of Recipients, GroupID or Username must be set.
type SendParams struct {
	Recipients     []string `json:"recipient,omitempty"` // number, ACI, PNI:<uuid> or u:<username>
	GroupID        string   `json:"groupId,omitempty"`   // base64
	Username       string   `json:"username,omitempty"`
	Message        string   `json:"message,omitempty"`
	Attachments    []string `json:"attachments,omitempty"` // path or data:<MIME>;filename=<n>;base64,<data>
	QuoteTimestamp int64    `json:"quoteTimestamp,omitempty"`
	QuoteAuthor    string   `json:"quoteAuthor,omitempty"`
	QuoteMessage   string   `json:"quoteMessage,omitempty"`
	QuoteMention   []string `json:"quoteMention,omitempty"`
	EditTimestamp  int64    `json:"editTimestamp,omitempty"` // turns the send into an edit of that message
	Mentions       []string `json:"mention,omitempty"`       // start:length:recipient, UTF-16 units
	TextStyles     []string `json:"textStyle,omitempty"`
	Sticker        string   `json:"sticker,omitempty"`
	ViewOnce       bool     `json:"viewOnce,omitempty"`
	NoteToSelf     bool     `json:"noteToSelf,omitempty"`
	NotifySelf     bool     `json:"notifySelf,omitempty"`
	NoUrgent       bool     `json:"noUrgent,omitempty"`
	PreviewURL     string   `json:"previewUrl,omitempty"`
	PreviewTitle   string   `json:"previewTitle,omitempty"`
	StoryTimestamp int64    `json:"storyTimestamp,omitempty"`
	StoryAuthor    string   `json:"storyAuthor,omitempty"`
}

// DeliveryStatus is a per-recipient send outcome in steward's vocabulary.
type DeliveryStatus string

const (
	StatusDelivered       DeliveryStatus = "delivered" // accepted by Signal's server for the recipient
	StatusUnregistered    DeliveryStatus = "unregistered"
	StatusRateLimited     DeliveryStatus = "rate_limited"
	StatusNetworkFailure  DeliveryStatus = "network_failure"
	StatusIdentityChanged DeliveryStatus = "identity_changed"
	StatusFailed          DeliveryStatus = "failed"
)

// StatusOf maps a signal-cli send result type to a DeliveryStatus; unknown
// types are failures, so a new failure kind is never reported as success.
func StatusOf(signalType string) DeliveryStatus {
	switch signalType {
	case "SUCCESS":
		return StatusDelivered
	case "UNREGISTERED_FAILURE":
		return StatusUnregistered
	case "RATE_LIMIT_FAILURE":
		return StatusRateLimited
	case "NETWORK_FAILURE":
		return StatusNetworkFailure
	case "IDENTITY_FAILURE":
		return StatusIdentityChanged
	}
	return StatusFailed
}

// Address is a Signal address as signal-cli reports it.
type Address struct {
	UUID     string `json:"uuid,omitempty"`
	Number   string `json:"number,omitempty"`
	Username string `json:"username,omitempty"`
}

// RecipientResult is one recipient's outcome. Type is signal-cli's raw
// value; Status is its mapping, filled by the helpers. For a
// RATE_LIMIT_FAILURE, Token is the challenge to answer with
// SubmitRateLimitChallenge when Signal wants proof (a CAPTCHA), and
// RetryAfterSeconds how long Signal asked to wait, when it said.
type RecipientResult struct {
	RecipientAddress  Address        `json:"recipientAddress"`
	GroupID           string         `json:"groupId,omitempty"`
	Type              string         `json:"type"`
	Token             string         `json:"token,omitempty"`
	RetryAfterSeconds *int64         `json:"retryAfterSeconds,omitempty"`
	Status            DeliveryStatus `json:"-"`
}

// SendResult is the result of send, sendReaction and remoteDelete.
// Timestamp is the sent timestamp: the Signal id of the new message.
type SendResult struct {
	Timestamp int64             `json:"timestamp"`
	Results   []RecipientResult `json:"results"`
}

// AllDelivered reports whether every recipient's status is delivered.
func (r SendResult) AllDelivered() bool {
	for _, x := range r.Results {
		if x.Status != StatusDelivered {
			return false
		}
	}
	return true
}

func (r *SendResult) mapStatuses() {
	for i := range r.Results {
		r.Results[i].Status = StatusOf(r.Results[i].Type)
	}
}

// sendCall runs a send-like method. When the daemon reports an error but
// attached the send's result (signal-cli does when no recipient succeeded:
// code -1, -4 or -5 with data.response), the result is returned with the
// error, so callers can see every recipient's outcome.
func (c *Client) sendCall(ctx context.Context, op steward.Op, method, account string, p any) (SendResult, error) {
	var r SendResult
	err := c.callAccount(ctx, op, method, account, p, &r)
	if err != nil {
		var re *RPCError
		if errors.As(err, &re) {
			if resp, ok := re.response(); ok {
				r = resp
			}
		}
	}
	r.mapStatuses()
	return r, err
}

func oneTarget(recipients []string, groupID, username string) bool {
	n := 0
	for _, set := range []bool{len(recipients) > 0, groupID != "", username != ""} {
		if set {
			n++
		}
	}
	return n == 1
}

// Send sends a message (or, with EditTimestamp, an edit) from account.
// Per-recipient failures are not errors: inspect Results[i].Status. But
// signal-cli turns a send that reached no recipient into an error (code -1,
// -4 for only identity failures, -5 for only rate limits); the results are
// then returned with the error. Returns Invalid unless exactly one of
// Recipients, GroupID, Username is set.
func (c *Client) Send(ctx context.Context, account string, p SendParams) (SendResult, error) {
	const op steward.Op = "signal.Send"
	if !oneTarget(p.Recipients, p.GroupID, p.Username) {
		return SendResult{}, steward.E(op, steward.Invalid, "send needs exactly one of recipients, group id or username")
	}
	return c.sendCall(ctx, op, "send", account, p)
}

// ReactionParams are the params of `sendReaction`.
type ReactionParams struct {
	Recipients      []string `json:"recipient,omitempty"`
	GroupID         string   `json:"groupId,omitempty"`
	Username        string   `json:"username,omitempty"`
	Emoji           string   `json:"emoji"`
	TargetAuthor    string   `json:"targetAuthor"`
	TargetTimestamp int64    `json:"targetTimestamp"`
	Remove          bool     `json:"remove,omitempty"`
	Story           bool     `json:"story,omitempty"`
}

// SendReaction reacts to (or, with Remove, un-reacts to) the message
// TargetAuthor sent at TargetTimestamp.
func (c *Client) SendReaction(ctx context.Context, account string, p ReactionParams) (SendResult, error) {
	const op steward.Op = "signal.SendReaction"
	if !oneTarget(p.Recipients, p.GroupID, p.Username) || p.Emoji == "" || p.TargetAuthor == "" || p.TargetTimestamp == 0 {
		return SendResult{}, steward.E(op, steward.Invalid, "reaction needs one target conversation, an emoji, a target author and timestamp")
	}
	return c.sendCall(ctx, op, "sendReaction", account, p)
}

// RemoteDeleteParams are the params of `remoteDelete`.
type RemoteDeleteParams struct {
	Recipients      []string `json:"recipient,omitempty"`
	GroupID         string   `json:"groupId,omitempty"`
	Username        string   `json:"username,omitempty"`
	TargetTimestamp int64    `json:"targetTimestamp"`
}

// RemoteDelete deletes for everyone the account's message sent at
// TargetTimestamp. The archive keeps the original; see Items.
func (c *Client) RemoteDelete(ctx context.Context, account string, p RemoteDeleteParams) (SendResult, error) {
	const op steward.Op = "signal.RemoteDelete"
	if !oneTarget(p.Recipients, p.GroupID, p.Username) || p.TargetTimestamp == 0 {
		return SendResult{}, steward.E(op, steward.Invalid, "remote delete needs one target conversation and a target timestamp")
	}
	return c.sendCall(ctx, op, "remoteDelete", account, p)
}

// UpdateGroupParams are the params of `updateGroup`. Members adds members:
// signal-cli has no "addMembers" parameter. An empty GroupID creates a
// group.
type UpdateGroupParams struct {
	GroupID                   string   `json:"groupId,omitempty"`
	Name                      string   `json:"name,omitempty"`
	Description               string   `json:"description,omitempty"`
	Avatar                    string   `json:"avatar,omitempty"`
	Members                   []string `json:"members,omitempty"`
	RemoveMembers             []string `json:"removeMembers,omitempty"`
	Admins                    []string `json:"admins,omitempty"`
	RemoveAdmins              []string `json:"removeAdmins,omitempty"`
	Ban                       []string `json:"ban,omitempty"`
	Unban                     []string `json:"unban,omitempty"`
	ResetLink                 bool     `json:"resetLink,omitempty"`
	Link                      string   `json:"link,omitempty"` // enabled, enabled-with-approval, disabled
	SetPermissionAddMember    string   `json:"setPermissionAddMember,omitempty"`
	SetPermissionEditDetails  string   `json:"setPermissionEditDetails,omitempty"`
	SetPermissionSendMessages string   `json:"setPermissionSendMessages,omitempty"`
	Expiration                *int64   `json:"expiration,omitempty"` // seconds; 0 turns the timer off
}

// UpdateGroupResult is the result of `updateGroup`.
type UpdateGroupResult struct {
	GroupID   string            `json:"groupId,omitempty"`
	Timestamp int64             `json:"timestamp,omitempty"`
	Results   []RecipientResult `json:"results,omitempty"`
}

// UpdateGroup changes (or, without GroupID, creates) a group.
func (c *Client) UpdateGroup(ctx context.Context, account string, p UpdateGroupParams) (UpdateGroupResult, error) {
	const op steward.Op = "signal.UpdateGroup"
	var r UpdateGroupResult
	err := c.callAccount(ctx, op, "updateGroup", account, p, &r)
	for i := range r.Results {
		r.Results[i].Status = StatusOf(r.Results[i].Type)
	}
	return r, err
}

// GroupMember is a member of a group as listGroups reports it.
type GroupMember struct {
	Number  string `json:"number,omitempty"`
	UUID    string `json:"uuid,omitempty"`
	IsAdmin bool   `json:"isAdmin,omitempty"`
}

// Group is one entry of listGroups.
type Group struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name,omitempty"`
	Description           string        `json:"description,omitempty"`
	IsMember              bool          `json:"isMember"`
	IsBlocked             bool          `json:"isBlocked"`
	Members               []GroupMember `json:"members,omitempty"`
	PendingMembers        []GroupMember `json:"pendingMembers,omitempty"`
	RequestingMembers     []GroupMember `json:"requestingMembers,omitempty"`
	Admins                []GroupMember `json:"admins,omitempty"` // deprecated: see Members[i].IsAdmin
	Banned                []GroupMember `json:"banned,omitempty"`
	PermissionAddMember   string        `json:"permissionAddMember,omitempty"`
	PermissionEditDetails string        `json:"permissionEditDetails,omitempty"`
	PermissionSendMessage string        `json:"permissionSendMessage,omitempty"`
	GroupInviteLink       string        `json:"groupInviteLink,omitempty"`
	MessageExpirationTime int64         `json:"messageExpirationTime,omitempty"`
}

// ListGroups lists the account's groups, or only those in groupIDs.
func (c *Client) ListGroups(ctx context.Context, account string, groupIDs ...string) ([]Group, error) {
	const op steward.Op = "signal.ListGroups"
	p := struct {
		GroupID  []string `json:"groupId,omitempty"`
		Detailed bool     `json:"detailed"`
	}{groupIDs, true}
	var gs []Group
	err := c.callAccount(ctx, op, "listGroups", account, p, &gs)
	return gs, err
}

// GetAttachment returns the bytes of the attachment id, which the daemon
// has stored on receipt. recipient or groupID names the conversation the
// attachment came from (see AttachmentRef). Returns Invalid for an
// unknown id and Internal if the daemon's data is not base64.
func (c *Client) GetAttachment(ctx context.Context, account, id, recipient, groupID string) ([]byte, error) {
	const op steward.Op = "signal.GetAttachment"
	if id == "" {
		return nil, steward.E(op, steward.Invalid, "attachment id is required")
	}
	p := struct {
		ID        string `json:"id"`
		Recipient string `json:"recipient,omitempty"`
		GroupID   string `json:"groupId,omitempty"`
	}{id, recipient, groupID}
	var raw json.RawMessage
	if err := c.callAccount(ctx, op, "getAttachment", account, p, &raw); err != nil {
		return nil, err
	}
	// The result is {"data":"<base64>"}; a bare string is accepted too.
	var s string
	var obj struct {
		Data *string `json:"data"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Data != nil {
		s = *obj.Data
	} else if json.Unmarshal(raw, &s) != nil {
		return nil, steward.E(op, steward.Internal, "getAttachment result has an unexpected shape")
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, steward.E(op, steward.Internal, "attachment data is not base64", err)
	}
	return data, nil
}

// SubmitRateLimitChallenge answers a rate-limit challenge of account: the
// token from a proof-required failure (steward.RateLimitError.Challenge,
// RecipientResult.Token) and the captcha an operator got by solving the
// CAPTCHA at https://signalcaptchas.org/challenge/generate.html (the
// "signalcaptcha://…" link; signal-cli strips the scheme). Returns Invalid
// when either is empty or Signal rejects the captcha (code -6: outdated,
// already used, or solved from another IP address than the daemon's).
func (c *Client) SubmitRateLimitChallenge(ctx context.Context, account, challenge, captcha string) error {
	const op steward.Op = "signal.SubmitRateLimitChallenge"
	if challenge == "" || captcha == "" {
		return steward.E(op, steward.Invalid, "challenge and captcha are required")
	}
	p := struct {
		Challenge string `json:"challenge"`
		Captcha   string `json:"captcha"`
	}{challenge, captcha}
	return c.callAccount(ctx, op, "submitRateLimitChallenge", account, p, nil)
}

// StartLink begins linking the daemon as a new device of an existing
// Signal account and returns the sgnl://linkdevice URI to show as a QR
// code. Like FinishLink it is not account-scoped: the account does not
// exist on the daemon until linking finishes.
func (c *Client) StartLink(ctx context.Context) (string, error) {
	const op steward.Op = "signal.StartLink"
	var r struct {
		DeviceLinkURI string `json:"deviceLinkUri"`
	}
	if err := c.Call(ctx, "startLink", nil, &r); err != nil {
		return "", steward.E(op, err)
	}
	if r.DeviceLinkURI == "" {
		return "", steward.E(op, steward.Internal, "startLink returned no deviceLinkUri")
	}
	return r.DeviceLinkURI, nil
}

// FinishLink waits until the phone scanned the URI from StartLink and
// returns the linked account's number. It blocks for as long as the user
// takes, so ctx should carry a deadline.
func (c *Client) FinishLink(ctx context.Context, deviceLinkURI, deviceName string) (string, error) {
	const op steward.Op = "signal.FinishLink"
	if deviceLinkURI == "" || deviceName == "" {
		return "", steward.E(op, steward.Invalid, "device link URI and device name are required")
	}
	p := struct {
		DeviceLinkURI string `json:"deviceLinkUri"`
		DeviceName    string `json:"deviceName"`
	}{deviceLinkURI, deviceName}
	var r struct {
		Number string `json:"number"`
	}
	if err := c.Call(ctx, "finishLink", p, &r); err != nil {
		return "", steward.E(op, err)
	}
	return r.Number, nil
}
