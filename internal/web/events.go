package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// events is GET /inbox/events: the employee's live events as server-sent
// events, "event: <type>" with the chat.Event as JSON data. Events carry
// no content; the page refetches what they name. A comment is sent every
// 15 seconds to keep proxies from closing the stream, and the session is
// checked again every second and before each event, so the stream ends
// within about a second of a sign-out, a deactivation or a revoked token,
// as well as when the client goes. The checks do not count as activity:
// an open stream alone does not keep a session from idling out.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.events"
	secret := sessionSecret(r)
	if secret == "" {
		s.failStatus(w, r, http.StatusUnauthorized, steward.E(op, steward.Unauthenticated, "You are signed out. Sign in again."))
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout

	evs, cancel := s.Backend.Subscribe(employeeOf(r))
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}

	keepAlive, recheck := s.keepAlive, s.recheck
	if keepAlive <= 0 {
		keepAlive = 15 * time.Second
	}
	if recheck <= 0 {
		recheck = time.Second
	}
	tick := time.NewTicker(min(keepAlive, recheck))
	defer tick.Stop()
	lastWrite, lastCheck := s.clock(), s.clock()
	// valid checks the session again; a store that cannot answer for now
	// does not end the stream, an ended session does.
	valid := func() bool {
		lastCheck = s.clock()
		_, err := s.resolve(r.Context(), secret, false)
		if err != nil && signedOut(err) {
			s.logger().Debug("inbox event stream ends: signed out", "err", err)
			return false
		}
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-evs:
			if !ok {
				return
			}
			if s.clock().Sub(lastCheck) >= time.Second && !valid() {
				return
			}
			data, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", eventName(ev.Type), data); err != nil {
				return
			}
			lastWrite = s.clock()
		case <-tick.C:
			now := s.clock()
			if now.Sub(lastCheck) >= recheck && !valid() {
				return
			}
			if now.Sub(lastWrite) < keepAlive {
				continue
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			lastWrite = now
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// eventName keeps an event type to the characters an SSE event line may
// safely hold.
func eventName(t string) string {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, t)
	if n == "" {
		return "message"
	}
	return n
}
