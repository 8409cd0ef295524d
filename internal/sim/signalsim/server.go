// Package signalsim is a fake signal-cli daemon for demos and tests. It
// stands in for `signal-cli daemon --http` started without -a, that is in
// multi-account mode, and speaks the documented HTTP surface of that
// daemon (protocols.md §1, signal-cli-jsonrpc(5)):
//
//   - POST /api/v1/rpc: JSON-RPC 2.0, single or batch. A Content-Type not
//     starting with application/json is answered 415, another method 405,
//     a request made only of notifications 201 with an empty body, anything
//     else 200 with the JSON-RPC response(s).
//   - GET /api/v1/events[?account=+E164|ACI]: text/event-stream, one
//     `event:receive` per envelope whose data line is the receive
//     notification's params object {"envelope":…,"account":…}, and a `:`
//     comment line as keep-alive every Options.KeepAlive (15 s by default).
//     An unknown account is answered 400 with no body; no account follows
//     every account. During an Outage, and after Close, the answer is 503.
//     Like signal-cli, no event carries an SSE id, so nothing can be
//     replayed with Last-Event-ID.
//   - GET /api/v1/check: 200.
//
// Receive mode: the simulator behaves like `--receive-mode on-connection`.
// Envelopes produced while no event stream for their account is connected
// stay queued (on a real deployment they stay on Signal's servers) and are
// delivered, in order, as soon as a matching stream connects. An envelope
// written to a connection that then breaks is lost, as with signal-cli;
// envelopes still waiting in a stream's buffer when Drop cuts it are put
// back at the head of their account's queue.
//
// Scripted outside contacts (AddContact) answer what the daemon's accounts
// send them: delivery and read receipts for every message, a consent reply
// to the first message, then their scripted lines, with deterministic
// reactions, edits and deletes, and optionally a STOP (see Contact). A
// number that is neither an account nor a contact is not registered on
// Signal: sends to it get UNREGISTERED_FAILURE and updateGroup refuses it.
//
// Sending follows signal-cli: send (with editTimestamp an edit),
// sendReaction, remoteDelete and updateGroup (create, members,
// removeMembers, admins, removeAdmins) from any account, to held accounts
// (which receive the envelopes), contacts and groups; results are
// {"timestamp","results":[{"recipientAddress","groupId"?,"type",
// "token"?,"retryAfterSeconds"?}]}. A send that succeeds for no recipient
// is a JSON-RPC error with that result in data.response: -5 when every
// recipient was rate limited, -4 when every identity changed, else -1.
// Options.RateLimitAfter and RateLimitNewContacts simulate Signal's rate
// limits; submitRateLimitChallenge answers a proof-required challenge.
//
// All timestamps come from
// Options.Now and are strictly increasing, so runs are reproducible given
// a deterministic clock; only the scheduling uses real timers (Close stops
// them).
//
// The package uses the standard library only and does not know Steward's
// connector: compatibility is proven by tests that drive the real
// connector against it.
package signalsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultKeepAlive is signal-cli's keep-alive interval on the event stream.
const DefaultKeepAlive = 15 * time.Second

// Options configure a Server.
type Options struct {
	// KeepAlive is the interval of `:` comments on event streams
	// (DefaultKeepAlive when zero).
	KeepAlive time.Duration
	// Now is the clock for every timestamp (time.Now when nil).
	Now func() time.Time
	// Logger receives debug logs (discarded when nil).
	Logger *slog.Logger
	// RateLimitNewContacts, when positive, lets an account send to at most
	// this many recipients it never sent to before within any minute (by
	// Now); further first sends get result type RATE_LIMIT_FAILURE with
	// retryAfterSeconds and no challenge, like Signal's plain 413/429.
	RateLimitNewContacts int
	// RateLimitAfter, when positive, is Signal's proof-required (428) rate
	// limit: once an account has written over JSON-RPC to this many
	// recipients it never wrote to before, every further first send gets
	// result type RATE_LIMIT_FAILURE with a challenge token and
	// retryAfterSeconds, until submitRateLimitChallenge answers the token
	// with a non-empty captcha; then the count starts again. Recipients
	// the account already wrote to are never limited. A send that reaches
	// nobody because of it fails as signal-cli's does: JSON-RPC error -5
	// with the results in data.response. See SetRateLimitAfter.
	RateLimitAfter int
	// RateLimitRetryAfter is the retryAfterSeconds of a proof-required
	// failure (DefaultRateLimitRetryAfter when zero).
	RateLimitRetryAfter time.Duration
}

// DefaultRateLimitRetryAfter is how long a proof-required rate limit
// tells a sender to wait when it does not answer the challenge.
const DefaultRateLimitRetryAfter = time.Hour

// Server is the simulated daemon. It is safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger

	mu          sync.Mutex
	closed      bool
	done        chan struct{}
	lastTS      int64
	seq         int
	accounts    map[string]*account // by number
	order       []string            // account numbers in order of addition
	contacts    map[string]*Contact // by number
	groups      map[string]*group   // by base64 id
	groupOrder  []string
	attachments map[string][]byte
	subs        map[*sub]struct{}
	timers      map[*time.Timer]struct{}
	links       map[string]bool // pending device link URIs
	linkNumbers []string        // numbers the next finishLink calls link
	down        int             // outages in progress; event streams are refused while positive

	rateLimitAfter int // Options.RateLimitAfter, changed by SetRateLimitAfter

	// received is every message a scripted contact received, in order,
	// for tests to check what actually left Steward (see Received).
	received []Received
}

// Received is one message as a scripted contact got it.
type Received struct {
	Contact     string `json:"contact"`
	Account     string `json:"account"`
	Text        string `json:"text"`
	Attachments int    `json:"attachments"`
	Group       bool   `json:"group,omitempty"`
	Edit        bool   `json:"edit,omitempty"`
}

// Received returns what scripted contacts have received so far, oldest
// first; contact "" means every contact.
func (s *Server) Received(contact string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Received
	for _, r := range s.received {
		if contact == "" || r.Contact == contact {
			out = append(out, r)
		}
	}
	return out
}

type account struct {
	number string
	uuid   string
	queue  []queued
	known  map[string]bool   // recipients sent to before
	recent []time.Time       // first sends, for RateLimitNewContacts
	convos map[string]*convo // by contact number

	newSent   int    // new recipients written to, for RateLimitAfter
	challenge string // the pending proof-required challenge token
}

type queued struct {
	account string
	data    []byte
}

// sub is one connected event stream.
type sub struct {
	account string // "" = all
	pending []queued
	notify  chan struct{}
	cut     chan struct{}
}

// New returns a Server without accounts or contacts.
func New(opts Options) *Server {
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = DefaultKeepAlive
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimitRetryAfter <= 0 {
		opts.RateLimitRetryAfter = DefaultRateLimitRetryAfter
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opts:        opts,
		log:         log,
		done:        make(chan struct{}),
		accounts:    map[string]*account{},
		contacts:    map[string]*Contact{},
		groups:      map[string]*group{},
		attachments: map[string][]byte{},
		subs:        map[*sub]struct{}{},
		timers:      map[*time.Timer]struct{}{},
		links:       map[string]bool{},

		rateLimitAfter: opts.RateLimitAfter,
	}
}

// SetRateLimitAfter changes Options.RateLimitAfter at run time; 0 turns
// the proof-required rate limit off. Either way every account's count of
// new recipients starts again from zero and pending challenges are
// dropped.
func (s *Server) SetRateLimitAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitAfter = n
	for _, a := range s.accounts {
		a.newSent, a.challenge = 0, ""
	}
}

// Challenge returns the proof-required challenge token account was given
// and has not answered yet, or "".
func (s *Server) Challenge(account string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[account]; a != nil {
		return a.challenge
	}
	return ""
}

// AddAccount registers an account (a Steward work identity, +E164) the
// daemon holds. Adding an existing account does nothing.
func (s *Server) AddAccount(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAccountLocked(number)
}

func (s *Server) addAccountLocked(number string) *account {
	if a, ok := s.accounts[number]; ok {
		return a
	}
	a := &account{number: number, uuid: deriveUUID("account:" + number), known: map[string]bool{}, convos: map[string]*convo{}}
	s.accounts[number] = a
	s.order = append(s.order, number)
	return a
}

// Inject queues envelope (an Envelope, or anything that encodes to a JSON
// object) as a `receive` for account, exactly as if Signal had delivered
// it. It fails for an unknown account or an envelope that is not a JSON
// object.
func (s *Server) Inject(account string, envelope any) error {
	b, err := json.Marshal(envelope)
	if err != nil {
		return err
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("signalsim: envelope is not a JSON object")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accounts[account] == nil {
		return fmt.Errorf("signalsim: unknown account %s", account)
	}
	s.emitLocked(account, json.RawMessage(b))
	return nil
}

// StoreAttachment stores data as an attachment the daemon holds (as if it
// had been received) and returns its description, for building envelopes
// to Inject.
func (s *Server) StoreAttachment(data []byte, contentType, filename string) Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeAttachmentLocked(data, contentType, filename)
}

func (s *Server) storeAttachmentLocked(data []byte, contentType, filename string) Attachment {
	s.seq++
	ext := ""
	if i := strings.LastIndexByte(filename, '.'); i >= 0 && i < len(filename)-1 {
		ext = filename[i:]
	} else if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
		ext = exts[0]
	}
	id := fmt.Sprintf("sim%s%s", hex.EncodeToString(digest(fmt.Sprint("attachment:", s.seq))[:8]), ext)
	s.attachments[id] = append([]byte(nil), data...)
	return Attachment{ContentType: contentType, Filename: filename, ID: id, Size: int64(len(data))}
}

// ExpectLink sets the number the next finishLink links; without it a
// number is made up.
func (s *Server) ExpectLink(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linkNumbers = append(s.linkNumbers, number)
}

// Drop cuts every connected event stream, as a network failure would.
// Envelopes not yet written to a stream are kept for the next connection.
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked()
}

func (s *Server) dropLocked() {
	for c := range s.subs {
		s.unsubscribeLocked(c)
		close(c.cut)
	}
}

// Outage cuts every connected event stream, as Drop does, and answers new
// event-stream requests 503 for d, as a daemon that is restarting or
// unreachable would. JSON-RPC keeps working, and envelopes produced
// meanwhile are queued and delivered once a stream connects again, so an
// outage loses nothing a client had not already received.
func (s *Server) Outage(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.down++
	s.dropLocked()
	s.afterLocked(d, func() { s.down-- })
}

// Close stops every pending timer and ends every event stream. Later
// sends are still answered, but contacts no longer react.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.dropLocked()
	close(s.done)
}

// after runs f under s.mu after d, unless the server is closed first.
func (s *Server) afterLocked(d time.Duration, f func()) {
	if s.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.timers[t]; !ok {
			return // stopped by Close
		}
		delete(s.timers, t)
		f()
	})
	s.timers[t] = struct{}{}
}

// nowTS returns a fresh millisecond timestamp: Now, but strictly greater
// than every timestamp handed out before (Signal ids messages by it).
func (s *Server) nowTS() int64 {
	ts := s.opts.Now().UnixMilli()
	if ts <= s.lastTS {
		ts = s.lastTS + 1
	}
	s.lastTS = ts
	return ts
}

// emitLocked delivers envelope to every stream following account, or
// queues it when none does.
func (s *Server) emitLocked(account string, envelope any) {
	data, err := json.Marshal(notification{Envelope: envelope, Account: account})
	if err != nil {
		s.log.Error("signalsim: encoding envelope", "err", err)
		return
	}
	q := queued{account: account, data: data}
	delivered := false
	for c := range s.subs {
		if c.account == "" || c.account == account {
			c.pending = append(c.pending, q)
			select {
			case c.notify <- struct{}{}:
			default:
			}
			delivered = true
		}
	}
	if !delivered {
		a := s.accounts[account]
		a.queue = append(a.queue, q)
		s.log.Debug("signalsim: queued envelope, no stream connected", "account", account)
	}
}

func (s *Server) unsubscribeLocked(c *sub) {
	if _, ok := s.subs[c]; !ok {
		return
	}
	delete(s.subs, c)
	// Give unwritten envelopes back to their accounts, unless another
	// stream still follows them.
	for i := len(c.pending) - 1; i >= 0; i-- {
		q := c.pending[i]
		if s.followedLocked(q.account) {
			continue
		}
		a := s.accounts[q.account]
		a.queue = append([]queued{q}, a.queue...)
	}
	c.pending = nil
}

func (s *Server) followedLocked(account string) bool {
	for c := range s.subs {
		if c.account == "" || c.account == account {
			return true
		}
	}
	return false
}

// Handler returns the daemon's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/rpc", s.serveRPC)
	mux.HandleFunc("/api/v1/events", s.serveEvents)
	// Not part of signal-cli: the simulator's own inspection surface, so a
	// test in another process can see what a contact was sent.
	mux.HandleFunc("GET /sim/received", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		out := s.Received(r.URL.Query().Get("contact"))
		if out == nil {
			out = []Received{}
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("/api/v1/check", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

func (s *Server) lookupAccountLocked(id string) *account {
	if a := s.accounts[id]; a != nil {
		return a
	}
	for _, a := range s.accounts {
		if a.uuid == id {
			return a
		}
	}
	return nil
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	c := &sub{notify: make(chan struct{}, 1), cut: make(chan struct{})}
	s.mu.Lock()
	if s.closed || s.down > 0 {
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if acc := r.URL.Query().Get("account"); acc != "" {
		a := s.lookupAccountLocked(acc)
		if a == nil {
			s.mu.Unlock()
			w.WriteHeader(http.StatusBadRequest) // signal-cli sends no body
			return
		}
		c.account = a.number
	}
	// on-connection receive mode: hand over what waited for a receiver.
	for _, n := range s.order {
		if c.account != "" && c.account != n {
			continue
		}
		a := s.accounts[n]
		c.pending = append(c.pending, a.queue...)
		a.queue = nil
	}
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.unsubscribeLocked(c)
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl.Flush()

	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	for {
		s.mu.Lock()
		batch := c.pending
		c.pending = nil
		s.mu.Unlock()
		for i, q := range batch {
			if _, err := fmt.Fprintf(w, "event:receive\ndata:%s\n\n", q.data); err != nil {
				// Like signal-cli, what was written to a broken
				// connection is lost; the rest goes back.
				s.requeue(c, batch[i+1:])
				return
			}
		}
		if len(batch) > 0 {
			fl.Flush()
		}
		select {
		case <-c.notify:
		case <-tick.C:
			// signal-cli's keep-alive is a bare comment line.
			if _, err := io.WriteString(w, ":\n"); err != nil {
				return
			}
			fl.Flush()
		case <-c.cut:
			return
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

func (s *Server) requeue(c *sub, rest []queued) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.pending = append(rest, c.pending...)
}

// deriveUUID makes a stable UUID-shaped id from seed.
func deriveUUID(seed string) string {
	d := digest(seed)
	d[6] = d[6]&0x0f | 0x40
	d[8] = d[8]&0x3f | 0x80
	h := hex.EncodeToString(d[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func digest(seed string) []byte {
	d := sha256.Sum256([]byte(seed))
	return d[:]
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func int64Ptr(n int64) *int64 { return &n }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Queued reports how many envelopes for account wait for an event stream
// to connect.
func (s *Server) Queued(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[account]; a != nil {
		return len(a.queue)
	}
	return 0
}
