package signalsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// JSON-RPC error codes: the standard ones, and those signal-cli gives its
// command exceptions (SignalJsonRpcCommandHandler).
const (
	codeParseError      = -32700
	codeInvalidRequest  = -32600
	codeMethodNotFound  = -32601
	codeInvalidParams   = -32602
	codeInternalError   = -32603
	codeUserError       = -1 // UserErrorException
	codeUntrustedKey    = -4 // UntrustedKeyErrorException
	codeRateLimit       = -5 // RateLimitErrorException
	codeCaptchaRejected = -6 // CaptchaRejectedErrorException
)

const maxRequest = 200 << 20 // attachments travel base64 in the request

// rpcError is a JSON-RPC error object. signal-cli always writes data:
// null, or {"response":<the command's output>} when the command wrote
// one before failing (a send's result, so that per-recipient outcomes
// survive the error).
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

func errParams(format string, a ...any) *rpcError {
	return &rpcError{Code: codeInvalidParams, Message: fmt.Sprintf(format, a...)}
}

func errUser(format string, a ...any) *rpcError {
	return &rpcError{Code: codeUserError, Message: fmt.Sprintf(format, a...)}
}

type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

func (s *Server) serveRPC(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	body = bytes.TrimSpace(body)
	var out any
	switch {
	case len(body) > 0 && body[0] == '[':
		var batch []json.RawMessage
		if err := json.Unmarshal(body, &batch); err != nil {
			out = rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: codeParseError, Message: "Parse error"}, ID: json.RawMessage("null")}
			break
		}
		if len(batch) == 0 {
			out = rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: codeInvalidRequest, Message: "Invalid request: empty batch"}, ID: json.RawMessage("null")}
			break
		}
		var resps []rpcResponse
		for _, m := range batch {
			if resp, ok := s.handleOne(m); ok {
				resps = append(resps, resp)
			}
		}
		if len(resps) > 0 {
			out = resps
		}
	default:
		if !json.Valid(body) {
			out = rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: codeParseError, Message: "Parse error"}, ID: json.RawMessage("null")}
			break
		}
		if resp, ok := s.handleOne(body); ok {
			out = resp
		}
	}
	if out == nil {
		w.WriteHeader(http.StatusCreated)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		b, _ = json.Marshal(rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: codeInternalError, Message: err.Error()}, ID: json.RawMessage("null")})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// handleOne runs one request object; ok is false for a notification.
func (s *Server) handleOne(raw json.RawMessage) (resp rpcResponse, ok bool) {
	resp.JSONRPC = "2.0"
	var req rpcRequest
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &req) != nil {
		resp.ID = json.RawMessage("null")
		resp.Error = &rpcError{Code: codeInvalidRequest, Message: "Invalid request"}
		return resp, true
	}
	notification := len(req.ID) == 0
	resp.ID = req.ID
	if notification {
		resp.ID = json.RawMessage("null")
	}
	if req.JSONRPC != "2.0" || req.Method == nil {
		resp.Error = &rpcError{Code: codeInvalidRequest, Message: "Invalid request"}
		return resp, true
	}
	var p params
	if len(req.Params) > 0 && string(req.Params) != "null" {
		if req.Params[0] != '{' || json.Unmarshal(req.Params, &p) != nil {
			resp.Error = errParams("params must be an object")
			return resp, !notification
		}
	}
	if p == nil {
		p = params{}
	}
	result, rerr := s.dispatch(*req.Method, p)
	if rerr != nil {
		resp.Error = rerr
	} else {
		resp.Result = result
		if result == nil {
			resp.Result = struct{}{}
		}
	}
	return resp, !notification
}

func (s *Server) dispatch(method string, p params) (result any, rerr *rpcError) {
	defer func() {
		if v := recover(); v != nil {
			result, rerr = nil, &rpcError{Code: codeInternalError, Message: fmt.Sprint("internal error: ", v)}
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "listAccounts":
		out := make([]map[string]string, 0, len(s.order))
		for _, n := range s.order {
			out = append(out, map[string]string{"number": n})
		}
		return out, nil
	case "startLink":
		return s.startLink()
	case "finishLink":
		return s.finishLink(p)
	case "version":
		return map[string]string{"version": "0.0.0-signalsim"}, nil
	}
	handlers := map[string]func(*account, params) (any, *rpcError){
		"send":          s.send,
		"sendReaction":  s.sendReaction,
		"remoteDelete":  s.remoteDelete,
		"updateGroup":   s.updateGroup,
		"listGroups":    s.listGroups,
		"getAttachment": s.getAttachment,
		"sendTyping":    s.sendTyping,
		"sendReceipt": func(*account, params) (any, *rpcError) {
			return map[string]any{"timestamp": s.nowTS(), "results": []any{}}, nil
		},
		"listContacts":             s.listContacts,
		"submitRateLimitChallenge": s.submitRateLimitChallenge,
		"listIdentities":           func(*account, params) (any, *rpcError) { return []any{}, nil },
	}
	h, ok := handlers[method]
	if !ok {
		return nil, &rpcError{Code: codeMethodNotFound, Message: "Method not implemented"}
	}
	// Multi-account mode: account-scoped methods need "account".
	accRaw, has := p["account"]
	var acc string
	if !has || json.Unmarshal(accRaw, &acc) != nil || acc == "" {
		return nil, errParams("Method requires valid account parameter")
	}
	a := s.lookupAccountLocked(acc)
	if a == nil {
		return nil, errParams("Specified account does not exist")
	}
	delete(p, "account")
	return h(a, p)
}

// params holds a request's params. Following signal-cli's namespace, a
// list may be a scalar or an array, under the singular or plural name.
type params map[string]json.RawMessage

func (p params) has(name string) bool {
	v, ok := p[name]
	return ok && string(v) != "null"
}

func (p params) str(name string) (string, *rpcError) {
	v, ok := p[name]
	if !ok || string(v) == "null" {
		return "", nil
	}
	var x string
	if err := json.Unmarshal(v, &x); err != nil {
		return "", errParams("%s must be a string", name)
	}
	return x, nil
}

func (p params) list(name string) ([]string, *rpcError) {
	for _, n := range []string{name, name + "s"} {
		v, ok := p[n]
		if !ok || string(v) == "null" {
			continue
		}
		var one string
		if json.Unmarshal(v, &one) == nil {
			return []string{one}, nil
		}
		var many []string
		if err := json.Unmarshal(v, &many); err != nil {
			return nil, errParams("%s must be a string or an array of strings", n)
		}
		return many, nil
	}
	return nil, nil
}

func (p params) int64(name string) (int64, *rpcError) {
	v, ok := p[name]
	if !ok || string(v) == "null" {
		return 0, nil
	}
	var n int64
	if json.Unmarshal(v, &n) == nil {
		return n, nil
	}
	var str string
	if json.Unmarshal(v, &str) == nil {
		if n, err := strconv.ParseInt(str, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, errParams("%s must be an integer", name)
}

func (p params) bool(name string) (bool, *rpcError) {
	v, ok := p[name]
	if !ok || string(v) == "null" {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, errParams("%s must be a boolean", name)
	}
	return b, nil
}

// target is the conversation of a send: recipients or a group.
type target struct {
	recipients []string
	group      *group
}

func (s *Server) target(p params) (target, *rpcError) {
	var t target
	rs, e := p.list("recipient")
	if e != nil {
		return t, e
	}
	gid, e := p.str("groupId")
	if e != nil {
		return t, e
	}
	if p.has("username") {
		return t, errUser("Username not found")
	}
	switch {
	case len(rs) > 0 && gid != "":
		return t, errParams("recipient and groupId are mutually exclusive")
	case gid != "":
		g := s.groups[gid]
		if g == nil {
			return t, errUser("Invalid group id: %s", gid)
		}
		t.group = g
	case len(rs) > 0:
		t.recipients = rs
	default:
		return t, errParams("No recipients given")
	}
	return t, nil
}

var (
	reE164 = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)
	reUUID = regexp.MustCompile(`^(PNI:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// peer is a resolved recipient: a held account, a contact, or an unknown
// address (unregistered).
type peer struct {
	number, uuid string
	acc          *account
	contact      *Contact
}

func (s *Server) resolve(r string) (peer, *rpcError) {
	if a := s.lookupAccountLocked(r); a != nil {
		return peer{number: a.number, uuid: a.uuid, acc: a}, nil
	}
	if c := s.lookupContactLocked(strings.TrimPrefix(r, "PNI:")); c != nil {
		return peer{number: c.Number, uuid: c.UUID, contact: c}, nil
	}
	switch {
	case reE164.MatchString(r):
		return peer{number: r}, nil
	case reUUID.MatchString(r):
		return peer{uuid: strings.TrimPrefix(r, "PNI:")}, nil
	case strings.HasPrefix(r, "u:"):
		return peer{}, errUser("Username not found: %s", r)
	}
	return peer{}, errUser("Invalid recipient: %q", r)
}

// recipientAddress is signal-cli's JsonRecipientAddress: every field is
// written, null when unknown.
type recipientAddress struct {
	UUID     *string `json:"uuid"`
	Number   *string `json:"number"`
	Username *string `json:"username"`
}

func address(pr peer) recipientAddress {
	var a recipientAddress
	if pr.uuid != "" {
		a.UUID = strPtr(pr.uuid)
	}
	if pr.number != "" {
		a.Number = strPtr(pr.number)
	}
	return a
}

// sendResult is signal-cli's JsonSendMessageResult. groupId is set for
// sends to a group (not for updateGroup's results); token (the
// proof-required challenge) and retryAfterSeconds only for rate-limit
// failures that carry them.
type sendResult struct {
	RecipientAddress  recipientAddress `json:"recipientAddress"`
	GroupID           string           `json:"groupId,omitempty"`
	Type              string           `json:"type"`
	Token             *string          `json:"token,omitempty"`
	RetryAfterSeconds *int64           `json:"retryAfterSeconds,omitempty"`
}

// deliverable decides a recipient's result, applying the rate limits. A
// recipient the account never sent to before counts against
// RateLimitAfter once it succeeds.
func (s *Server) deliverable(a *account, pr peer) sendResult {
	r := sendResult{RecipientAddress: address(pr), Type: "SUCCESS"}
	if pr.acc == nil && pr.contact == nil {
		r.Type = "UNREGISTERED_FAILURE"
		return r
	}
	key := pr.number
	if a.known[key] {
		return r
	}
	if n := s.rateLimitAfter; n > 0 && a.newSent >= n {
		// Signal's 428 proof-required failure: a challenge token, and
		// how long to wait instead of answering it.
		if a.challenge == "" {
			s.seq++
			a.challenge = deriveUUID(fmt.Sprint("challenge:", a.number, ":", s.seq))
		}
		r.Type = "RATE_LIMIT_FAILURE"
		r.Token = strPtr(a.challenge)
		r.RetryAfterSeconds = int64Ptr(int64(s.opts.RateLimitRetryAfter / time.Second))
		return r
	}
	if n := s.opts.RateLimitNewContacts; n > 0 {
		now := s.opts.Now()
		kept := a.recent[:0]
		for _, t := range a.recent {
			if now.Sub(t) < time.Minute {
				kept = append(kept, t)
			}
		}
		a.recent = kept
		if len(a.recent) >= n {
			// A plain 413/429 rate limit: Retry-After, no challenge.
			wait := a.recent[0].Add(time.Minute).Sub(now)
			r.Type = "RATE_LIMIT_FAILURE"
			r.RetryAfterSeconds = int64Ptr(int64((wait + time.Second - 1) / time.Second))
			return r
		}
		a.recent = append(a.recent, now)
	}
	a.known[key] = true
	a.newSent++
	return r
}

// sendOutcome is signal-cli's SendMessageResultUtils.outputResult: a send
// that succeeded for nobody (and had recipients) is an error carrying the
// result as data.response, with code -4 when every failure is an identity
// failure, -5 when every one is a rate limit, and -1 otherwise.
func sendOutcome(ts int64, results []sendResult) (any, *rpcError) {
	out := map[string]any{"timestamp": ts, "results": results}
	if len(results) == 0 {
		return out, nil
	}
	identity, rate := true, true
	for _, r := range results {
		if r.Type == "SUCCESS" {
			return out, nil
		}
		identity = identity && r.Type == "IDENTITY_FAILURE"
		rate = rate && r.Type == "RATE_LIMIT_FAILURE"
	}
	e := &rpcError{Code: codeUserError, Message: "Failed to send message", Data: map[string]any{"response": out}}
	switch {
	case identity:
		e.Code, e.Message = codeUntrustedKey, "Failed to send message due to untrusted identities"
	case rate:
		e.Code, e.Message = codeRateLimit, "Failed to send message due to rate limiting"
	}
	return nil, e
}

// submitRateLimitChallenge lifts the account's proof-required rate limit
// when challenge is the token the account was given and captcha is not
// empty (signal-cli strips a "signalcaptcha://" prefix). The account may
// then write to RateLimitAfter new recipients again. Anything else is
// rejected with code -6, as Signal rejects a bad captcha.
func (s *Server) submitRateLimitChallenge(a *account, p params) (any, *rpcError) {
	challenge, e := p.str("challenge")
	if e != nil {
		return nil, e
	}
	captcha, e := p.str("captcha")
	if e != nil {
		return nil, e
	}
	captcha = strings.ReplaceAll(captcha, "signalcaptcha://", "")
	if a.challenge == "" || challenge != a.challenge || captcha == "" {
		return nil, &rpcError{Code: codeCaptchaRejected,
			Message: "Captcha rejected, it may be outdated, already used or solved from a different IP address."}
	}
	a.challenge = ""
	a.newSent = 0
	s.log.Debug("signalsim: rate-limit challenge solved", "account", a.number)
	return nil, nil
}

// parseDataURI decodes data:<MIME>;filename=<n>;base64,<data>.
func parseDataURI(u string) (contentType, filename string, data []byte, err error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return "", "", nil, fmt.Errorf("attachment %.40q is not a data: URI (paths are not supported by the simulator)", u)
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", nil, fmt.Errorf("malformed data URI")
	}
	parts := strings.Split(meta, ";")
	contentType = parts[0]
	isB64 := false
	for _, part := range parts[1:] {
		if part == "base64" {
			isB64 = true
		} else if v, ok := strings.CutPrefix(part, "filename="); ok {
			// signal-cli URL-decodes parameter values.
			if filename, err = url.QueryUnescape(v); err != nil {
				return "", "", nil, fmt.Errorf("data URI filename is not URL-encoded")
			}
		}
	}
	if !isB64 {
		return "", "", nil, fmt.Errorf("data URI is not base64")
	}
	data, err = base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", "", nil, fmt.Errorf("data URI payload is not base64")
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return contentType, filename, data, nil
}

func (s *Server) send(a *account, p params) (any, *rpcError) {
	t, e := s.target(p)
	if e != nil {
		return nil, e
	}
	msg, e := p.str("message")
	if e != nil {
		return nil, e
	}
	uris, e := p.list("attachment")
	if e != nil {
		return nil, e
	}
	quoteTS, e := p.int64("quoteTimestamp")
	if e != nil {
		return nil, e
	}
	quoteAuthor, e := p.str("quoteAuthor")
	if e != nil {
		return nil, e
	}
	quoteText, e := p.str("quoteMessage")
	if e != nil {
		return nil, e
	}
	editTS, e := p.int64("editTimestamp")
	if e != nil {
		return nil, e
	}
	if quoteTS != 0 && quoteAuthor == "" {
		return nil, errUser("Quote author parameter is missing")
	}
	if msg == "" && len(uris) == 0 && !p.has("sticker") {
		return nil, errUser("No message given")
	}
	var atts []Attachment
	var files [][]byte
	for _, u := range uris {
		ct, fn, data, err := parseDataURI(u)
		if err != nil {
			return nil, errUser("%v", err)
		}
		atts = append(atts, s.storeAttachmentLocked(data, ct, fn))
		files = append(files, data)
	}
	ts := s.nowTS()
	dm := DataMessage{Timestamp: ts, Attachments: atts}
	if msg != "" {
		dm.Message = strPtr(msg)
	}
	if quoteTS != 0 {
		q := &Quote{ID: quoteTS, Text: quoteText}
		if quoteAuthor != "" {
			if qa, err := s.resolve(quoteAuthor); err == nil {
				q.AuthorNumber, q.AuthorUUID = qa.number, qa.uuid
			} else {
				q.AuthorNumber = quoteAuthor
			}
			q.Author = firstNonEmpty(q.AuthorNumber, q.AuthorUUID)
		}
		dm.Quote = q
	}
	results := []sendResult{}
	deliver := func(pr peer, gi *GroupInfo) {
		r := s.deliverable(a, pr)
		if gi != nil {
			r.GroupID = gi.GroupID
		}
		results = append(results, r)
		if r.Type != "SUCCESS" {
			return
		}
		d := dm
		d.GroupInfo = gi
		switch {
		case pr.acc != nil:
			env := s.envelopeFrom(a.number, a.uuid, "", ts)
			if editTS != 0 {
				env.EditMessage = &EditMessage{TargetSentTimestamp: editTS, DataMessage: d}
			} else {
				env.DataMessage = &d
			}
			s.emitLocked(pr.acc.number, env)
		case pr.contact != nil:
			s.contactReceiveLocked(a, pr.contact, incoming{ts: ts, text: msg, atts: atts, files: files, edit: editTS != 0, group: gi != nil})
		}
	}
	if t.group != nil {
		g := t.group
		if !g.isMember(a.number) {
			return nil, errUser("You are not a member of this group")
		}
		gi := &GroupInfo{GroupID: g.id, GroupName: g.name, Revision: g.revision, Type: "DELIVER"}
		for _, m := range g.members {
			if m == a.number {
				continue
			}
			pr, _ := s.resolve(m)
			deliver(pr, gi)
		}
	} else {
		// Resolve everyone first, so a bad recipient sends nothing.
		var peers []peer
		for _, r := range t.recipients {
			pr, e := s.resolve(r)
			if e != nil {
				return nil, e
			}
			peers = append(peers, pr)
		}
		for _, pr := range peers {
			deliver(pr, nil)
		}
	}
	return sendOutcome(ts, results)
}

// envelopeFrom builds an envelope sent by number/uuid at ts.
func (s *Server) envelopeFrom(number, uuid, name string, ts int64) *Envelope {
	now := s.nowTS()
	return &Envelope{
		Source: firstNonEmpty(number, uuid), SourceNumber: number, SourceUUID: uuid, SourceName: name,
		SourceDevice: 1, Timestamp: ts, ServerReceivedTimestamp: now, ServerDeliveredTimestamp: now,
	}
}

// sendAction is the common part of sendReaction and remoteDelete: held
// accounts receive dm; contacts merely acknowledge.
func (s *Server) sendAction(a *account, p params, dm DataMessage) (any, *rpcError) {
	t, e := s.target(p)
	if e != nil {
		return nil, e
	}
	ts := s.nowTS()
	dm.Timestamp = ts
	var peers []peer
	var gi *GroupInfo
	if t.group != nil {
		if !t.group.isMember(a.number) {
			return nil, errUser("You are not a member of this group")
		}
		gi = &GroupInfo{GroupID: t.group.id, GroupName: t.group.name, Revision: t.group.revision, Type: "DELIVER"}
		for _, m := range t.group.members {
			if m != a.number {
				pr, _ := s.resolve(m)
				peers = append(peers, pr)
			}
		}
	} else {
		for _, r := range t.recipients {
			pr, e := s.resolve(r)
			if e != nil {
				return nil, e
			}
			peers = append(peers, pr)
		}
	}
	results := []sendResult{}
	for _, pr := range peers {
		r := sendResult{RecipientAddress: address(pr), Type: "SUCCESS"}
		if pr.acc == nil && pr.contact == nil {
			r.Type = "UNREGISTERED_FAILURE"
		}
		if gi != nil {
			r.GroupID = gi.GroupID
		}
		results = append(results, r)
		if pr.acc != nil {
			d := dm
			d.GroupInfo = gi
			env := s.envelopeFrom(a.number, a.uuid, "", ts)
			env.DataMessage = &d
			s.emitLocked(pr.acc.number, env)
		}
	}
	return sendOutcome(ts, results)
}

func (s *Server) sendReaction(a *account, p params) (any, *rpcError) {
	emoji, e := p.str("emoji")
	if e != nil {
		return nil, e
	}
	author, e := p.str("targetAuthor")
	if e != nil {
		return nil, e
	}
	target, e := p.int64("targetTimestamp")
	if e != nil {
		return nil, e
	}
	remove, e := p.bool("remove")
	if e != nil {
		return nil, e
	}
	if emoji == "" || author == "" || target == 0 {
		return nil, errParams("emoji, targetAuthor and targetTimestamp are required")
	}
	ta, e := s.resolve(author)
	if e != nil {
		return nil, e
	}
	rx := &Reaction{Emoji: emoji, TargetAuthor: firstNonEmpty(ta.number, ta.uuid), TargetAuthorNumber: ta.number, TargetAuthorUUID: ta.uuid, TargetSentTimestamp: target, IsRemove: remove}
	return s.sendAction(a, p, DataMessage{Reaction: rx})
}

func (s *Server) remoteDelete(a *account, p params) (any, *rpcError) {
	target, e := p.int64("targetTimestamp")
	if e != nil {
		return nil, e
	}
	if target == 0 {
		return nil, errParams("targetTimestamp is required")
	}
	return s.sendAction(a, p, DataMessage{RemoteDelete: &RemoteDelete{Timestamp: target}})
}

func (s *Server) sendTyping(a *account, p params) (any, *rpcError) {
	stop, e := p.bool("stop")
	if e != nil {
		return nil, e
	}
	t, e := s.target(p)
	if e != nil {
		return nil, e
	}
	action := "STARTED"
	if stop {
		action = "STOPPED"
	}
	ts := s.nowTS()
	for _, r := range t.recipients {
		if pr, err := s.resolve(r); err == nil && pr.acc != nil {
			env := s.envelopeFrom(a.number, a.uuid, "", ts)
			env.TypingMessage = &TypingMessage{Action: action, Timestamp: ts}
			s.emitLocked(pr.acc.number, env)
		}
	}
	return map[string]any{}, nil
}

func (s *Server) getAttachment(a *account, p params) (any, *rpcError) {
	id, e := p.str("id")
	if e != nil {
		return nil, e
	}
	if id == "" {
		return nil, errParams("id is required")
	}
	data, ok := s.attachments[id]
	if !ok {
		return nil, errUser("Unable to find attachment: %s", id)
	}
	return map[string]string{"data": b64(data)}, nil
}

func (s *Server) listContacts(a *account, p params) (any, *rpcError) {
	out := []map[string]any{}
	for _, n := range sortedKeys(s.contacts) {
		c := s.contacts[n]
		out = append(out, map[string]any{"number": c.Number, "uuid": c.UUID, "name": c.Name, "isBlocked": false})
	}
	return out, nil
}

func (s *Server) startLink() (any, *rpcError) {
	s.seq++
	seed := fmt.Sprint("link:", s.seq)
	uuid := base64.RawURLEncoding.EncodeToString(digest(seed)[:16])
	pub := base64.StdEncoding.EncodeToString(append([]byte{0x05}, digest(seed+":key")...))
	uri := "sgnl://linkdevice?uuid=" + uuid + "&pub_key=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(pub)
	s.links[uri] = true
	return map[string]string{"deviceLinkUri": uri}, nil
}

// finishLink completes at once: the simulated phone has always scanned
// the code already.
func (s *Server) finishLink(p params) (any, *rpcError) {
	uri, e := p.str("deviceLinkUri")
	if e != nil {
		return nil, e
	}
	name, e := p.str("deviceName")
	if e != nil {
		return nil, e
	}
	if uri == "" {
		return nil, errParams("deviceLinkUri is required")
	}
	if !s.links[uri] {
		return nil, errUser("Link request error: unknown or expired device link URI")
	}
	delete(s.links, uri)
	var number string
	if len(s.linkNumbers) > 0 {
		number, s.linkNumbers = s.linkNumbers[0], s.linkNumbers[1:]
	} else {
		s.seq++
		number = fmt.Sprintf("+1555%07d", s.seq)
	}
	s.addAccountLocked(number)
	s.log.Debug("signalsim: linked device", "number", number, "device", name)
	return map[string]string{"number": number}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
