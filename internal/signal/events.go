package signal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Event is one server-sent event. Type is "message" when the server named
// none; signal-cli names its events "receive", with Data the JSON params of
// a receive notification (see DecodeNotification). ID is the stream's last
// event id at dispatch, empty if the server never sent one.
type Event struct {
	Type string
	Data []byte
	ID   string
}

// maxEventLine bounds one SSE line; an envelope is one line of JSON.
const maxEventLine = MaxNotificationSize + 64

// errLineTooLong reports a line past maxEventLine.
var errLineTooLong = errors.New("signal: event-stream line too long")

// sseParser implements the event-stream interpretation of the HTML
// Living Standard (§9.2.6): fields event, data, id and retry; lines
// beginning with ':' are comments (signal-cli's keep-alives); an empty
// line dispatches; an unterminated event at end of stream is discarded.
type sseParser struct {
	typ     string
	data    bytes.Buffer
	hasData bool
	lastID  string // the last event ID buffer; persists across events
	retry   time.Duration
}

// line feeds one line (without its terminator). It returns the event to
// dispatch, if this line completed one.
func (p *sseParser) line(l []byte) (Event, bool) {
	if len(l) == 0 {
		if !p.hasData {
			p.typ = ""
			return Event{}, false
		}
		ev := Event{Type: p.typ, Data: bytes.TrimSuffix(bytes.Clone(p.data.Bytes()), []byte("\n")), ID: p.lastID}
		if ev.Type == "" {
			ev.Type = "message"
		}
		p.typ, p.hasData = "", false
		p.data.Reset()
		return ev, true
	}
	if l[0] == ':' {
		return Event{}, false
	}
	field, value := l, []byte(nil)
	if i := bytes.IndexByte(l, ':'); i >= 0 {
		field, value = l[:i], l[i+1:]
		value = bytes.TrimPrefix(value, []byte(" "))
	}
	switch string(field) {
	case "event":
		p.typ = string(value)
	case "data":
		if p.data.Len()+len(value) > maxEventLine {
			// Drop an absurd event rather than grow without bound; the
			// decoder would refuse it anyway.
			p.data.Reset()
			p.hasData = false
			return Event{}, false
		}
		p.data.Write(value)
		p.data.WriteByte('\n')
		p.hasData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.lastID = string(value)
		}
	case "retry":
		if n, err := strconv.ParseUint(string(value), 10, 31); err == nil && len(value) > 0 {
			p.retry = time.Duration(n) * time.Millisecond
		}
	}
	return Event{}, false
}

// scanLines splits on \r\n, \n or a lone \r, as the SSE grammar requires.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // need one more byte to tell \r from \r\n
		}
	}
	// An unterminated final line is discarded, like the event it belongs to.
	if atEOF {
		return len(data), nil, nil
	}
	return 0, nil, nil
}

// ReadEvents parses an event stream from r and calls fn for each complete
// event, in order. It returns fn's first error, r's error, or nil at end of
// stream. An event cut off by the end of the stream is not delivered.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	var p sseParser
	return readEvents(r, &p, nil, fn)
}

func readEvents(r io.Reader, p *sseParser, onLine func(), fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	sc.Split(scanLines)
	for sc.Scan() {
		if onLine != nil {
			onLine()
		}
		if ev, ok := p.line(sc.Bytes()); ok {
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return errLineTooLong
	}
	return sc.Err()
}

// State describes an event stream's connection for capture-health alerts:
// a stream that stays disconnected, or connected without events for
// longer than the organization's traffic makes plausible, is a capture gap.
type State struct {
	Connected    bool
	Since        time.Time // when Connected last changed
	LastEvent    time.Time // when the handler last returned nil
	LastActivity time.Time // when anything, keep-alives included, last arrived
	LastEventID  string    // the id resumption will send, if any
	Reconnects   int       // connection attempts after the first
	LastError    string    // why the stream last dropped; never shown to users raw
}

// Events follows GET {BaseURL}/api/v1/events of a signal-cli daemon.
//
// Delivery contract: the handler runs synchronously, one event at a time,
// and must return nil only once the event is durably captured. On a
// handler error the stream's last id does not advance: when the server
// gives ids, the connection is dropped and re-opened with Last-Event-ID so
// the server can replay. signal-cli itself sends no ids and cannot replay,
// so an id-less event is instead retried in-process, with the same
// backoff, until the handler accepts it or ctx ends; a handler that can
// never capture an event (malformed input) must quarantine it and return
// nil, or the stream stalls by design rather than lose a record.
type Events struct {
	Client  *Client
	Account string // "" follows every account of the daemon

	MinBackoff  time.Duration // default 500ms
	MaxBackoff  time.Duration // default 30s
	IdleTimeout time.Duration // default 45s: three missed signal-cli keep-alives

	// OnState, if set, is called after every state change, synchronously.
	OnState func(State)

	mu    sync.Mutex
	state State
}

// State returns a snapshot of the connection state.
func (s *Events) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *Events) update(f func(*State)) {
	s.mu.Lock()
	f(&s.state)
	st := s.state
	s.mu.Unlock()
	if s.OnState != nil {
		s.OnState(st)
	}
}

func (s *Events) setConnected(c bool, errText string) {
	s.update(func(st *State) {
		if st.Connected != c || st.Since.IsZero() {
			st.Since = time.Now()
		}
		st.Connected = c
		if errText != "" {
			st.LastError = errText
		}
	})
}

// errHandler marks a handler failure inside readEvents.
type errHandler struct{ err error }

func (e errHandler) Error() string { return "handler: " + e.err.Error() }

// Stream connects and delivers events to handler until ctx ends, and then
// returns ctx's error. Every event is passed on, whatever its type;
// signal-cli sends only "receive". It reconnects after any failure with capped
// exponential backoff and jitter. It returns early only for a permanent
// refusal: HTTP 4xx other than 408/429 (400 is signal-cli's answer to an
// unknown account), as an Invalid error.
func (s *Events) Stream(ctx context.Context, handler func(Event) error) error {
	const op steward.Op = "signal.Events.Stream"
	if s.Client == nil || handler == nil {
		return steward.E(op, steward.Invalid, "event stream needs a client and a handler")
	}
	minB, maxB := s.minBackoff(), s.maxBackoff()
	var p sseParser
	attempt := 0
	for {
		delivered, err := s.connect(ctx, &p, handler)
		if ctx.Err() != nil {
			s.setConnected(false, "")
			return ctx.Err()
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			s.setConnected(false, perm.Error())
			return steward.E(op, steward.Invalid, perm.msg)
		}
		msg := "stream ended"
		if err != nil {
			msg = err.Error()
		}
		s.setConnected(false, msg)
		if delivered {
			attempt = 0
		}
		base := minB
		if p.retry > 0 {
			base = min(p.retry, maxB)
		}
		if err := sleep(ctx, backoff(base, maxB, attempt)); err != nil {
			return err
		}
		attempt++
		s.update(func(st *State) { st.Reconnects++ })
	}
}

// backoff returns base·2^attempt capped at maxB, with equal jitter: half
// fixed, half random, so that many connectors restarting together spread.
func backoff(base, maxB time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < maxB; i++ {
		d *= 2
	}
	d = min(d, maxB)
	half := d / 2
	return half + rand.N(half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// connect runs one connection. delivered reports whether any event was
// handled, which resets the backoff.
func (s *Events) connect(ctx context.Context, p *sseParser, handler func(Event) error) (delivered bool, err error) {
	u := s.Client.url("/api/v1/events")
	if s.Account != "" {
		u += "?account=" + url.QueryEscape(s.Account)
	}
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, u, nil)
	if err != nil {
		return false, &permanentError{"bad daemon URL"}
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if p.lastID != "" {
		req.Header.Set("Last-Event-ID", p.lastID)
	}
	resp, err := s.Client.http().Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return false, errors.New("event stream answered HTTP " + strconv.Itoa(resp.StatusCode))
	case resp.StatusCode == http.StatusBadRequest && s.Account != "":
		return false, &permanentError{"daemon does not know account " + s.Account}
	default:
		return false, &permanentError{"event stream answered HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return false, errors.New("event stream has content type " + strconv.Quote(ct))
	}
	s.setConnected(true, "")

	// The watchdog ends a connection that went silent: a half-open TCP
	// connection would otherwise look connected forever.
	idle := s.IdleTimeout
	if idle <= 0 {
		idle = 45 * time.Second
	}
	errIdle := errors.New("no data or keep-alive within " + idle.String())
	watchdog := time.AfterFunc(idle, func() { cancel(errIdle) })
	defer watchdog.Stop()
	onLine := func() {
		watchdog.Reset(idle)
		// Activity alone is not a state change worth an OnState call.
		s.mu.Lock()
		s.state.LastActivity = time.Now()
		s.mu.Unlock()
	}

	// Parse with a copy so that an event's id only becomes the stream's
	// resumption point once the handler has accepted the event.
	work := sseParser{lastID: p.lastID, retry: p.retry}
	err = readEvents(resp.Body, &work, onLine, func(ev Event) error {
		// The daemon is not at fault while the handler works or is
		// retried; dropping the connection then would lose whatever
		// signal-cli already wrote to it.
		watchdog.Stop()
		for try := 0; ; try++ {
			herr := handler(ev)
			if herr == nil {
				break
			}
			s.update(func(st *State) { st.LastError = "handler: " + herr.Error() })
			if ev.ID != "" {
				return errHandler{herr}
			}
			if err := sleep(cctx, backoff(s.minBackoff(), s.maxBackoff(), try)); err != nil {
				return err
			}
		}
		watchdog.Reset(idle)
		delivered = true
		p.lastID, p.retry = ev.ID, work.retry
		s.update(func(st *State) { st.LastEvent, st.LastEventID = time.Now(), ev.ID })
		return nil
	})
	p.retry = work.retry
	if c := context.Cause(cctx); c != nil && ctx.Err() == nil {
		return delivered, c
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return delivered, err
}

func (s *Events) minBackoff() time.Duration {
	if s.MinBackoff > 0 {
		return s.MinBackoff
	}
	return 500 * time.Millisecond
}

func (s *Events) maxBackoff() time.Duration {
	if s.MaxBackoff > s.minBackoff() {
		return s.MaxBackoff
	}
	return max(30*time.Second, s.minBackoff())
}
