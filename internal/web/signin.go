package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// oidcStart is GET /inbox/auth/oidc: send the browser to the
// organization's identity provider. 404 when none is configured.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.oidcStart"
	if s.OIDC == nil {
		s.fail(w, r, steward.E(op, steward.NotFound, "Sign-in through an identity provider is not set up here."))
		return
	}
	u, err := s.OIDC.AuthCodeURL(w, r, nextOr(r.URL.Query().Get("next")))
	if err != nil {
		s.render(w, r, statusOf(err), "login", s.loginData(basePath, s.publicError(r, err)))
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// oidcCallback is GET /inbox/auth/callback, where the identity provider
// sends the browser back: finish the sign-in, match the claim to an
// active employee (user name or email, case-insensitively), and start a
// session.
//
// It answers a page that moves on to the inbox by itself rather than a
// redirect: the browser arrived here on a navigation from the identity
// provider's site, and a redirect would keep that cross-site origin, so
// the SameSite=Strict session cookie would not be sent with it.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.oidcCallback"
	if s.OIDC == nil {
		s.fail(w, r, steward.E(op, steward.NotFound, "Sign-in through an identity provider is not set up here."))
		return
	}
	refuse := func(err error) {
		s.render(w, r, statusOf(err), "login", s.loginData(basePath, s.publicError(r, err)))
	}
	claim, returnTo, err := s.OIDC.Exchange(w, r)
	if err != nil {
		if signedOut(err) {
			s.auditFailure(r, steward.SessionOIDC, "oidc", err, map[string]any{"message": steward.PublicMessage(err)})
		}
		refuse(err)
		return
	}
	if s.Accounts == nil {
		refuse(steward.E(op, steward.Internal, "no session store configured"))
		return
	}
	emp, err := steward.MatchEmployee(r.Context(), s.Accounts, claim)
	if steward.Is(steward.NotFound, err) {
		err = steward.E(op, steward.Unauthenticated,
			"You signed in to your organization, but that account has no active Steward inbox. Ask an administrator.", err)
		s.auditFailure(r, steward.SessionOIDC, "oidc:"+claim, err, map[string]any{"claim": claim})
	}
	if err == nil {
		err = s.startSession(w, r, emp.ID, steward.SessionOIDC, "", map[string]any{"claim": claim})
	}
	if err != nil {
		refuse(err)
		return
	}
	s.render(w, r, http.StatusOK, "continue", &continueData{Next: nextOr(returnTo)})
}

type continueData struct{ Next string }

// localLogin is POST /inbox/login/local: user name and password, for
// installations without an identity provider. 404 unless enabled and no
// identity provider is configured.
//
// Every refusal reads the same, whether the name is unknown, the employee
// inactive or without a password, or the password wrong, and takes the
// same argon2id work (steward.LocalSignIn). Failures are counted per
// client address and user name; past maxFailures in failureWindow, that
// pair is refused without checking the password until the window passes.
func (s *Server) localLogin(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.localLogin"
	if !s.localEnabled() {
		s.fail(w, r, steward.E(op, steward.NotFound, "Local sign-in is not enabled here."))
		return
	}
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.render(w, r, statusOf(err), "login", s.loginData(basePath, s.publicError(r, err)))
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	if len(user) > 320 {
		user = user[:320]
	}
	password := r.PostFormValue("password")
	next := nextOr(r.PostFormValue("next"))
	refuse := func(status int, msg string) {
		d := s.loginData(next, msg)
		d.User = user
		s.render(w, r, status, "login", d)
	}
	if s.Accounts == nil {
		refuse(http.StatusInternalServerError, s.publicError(r, steward.E(op, steward.Internal, "no session store configured")))
		return
	}
	key := clientIP(r) + "\x00" + strings.ToLower(user)
	now := s.clock()
	lim := s.limiter()
	if !lim.allow(key, now) {
		subject, details := s.attempted(r, user)
		details["limited"] = true
		s.auditFailure(r, steward.SessionLocal, subject, steward.E(op, steward.Unauthenticated), details)
		refuse(http.StatusTooManyRequests, "Too many failed sign-ins. Wait 15 minutes and try again, or ask an administrator.")
		return
	}
	emp, err := steward.LocalSignIn(r.Context(), s.Accounts, s.Accounts, user, password, now)
	if steward.Is(steward.Unauthenticated, err) {
		lim.fail(key, now)
		subject, details := s.attempted(r, user)
		s.auditFailure(r, steward.SessionLocal, subject, err, details)
		refuse(http.StatusUnauthorized, steward.PublicMessage(err))
		return
	}
	if err == nil {
		lim.reset(key)
		err = s.startSession(w, r, emp.ID, steward.SessionLocal, "", map[string]any{"user": user})
	}
	if err != nil {
		refuse(statusOf(err), s.publicError(r, err))
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// attempted names a failed local sign-in for the audit trail. The name
// typed is recorded only when it is an employee's: people type passwords
// into the user name field, and the audit trail keeps what it is given
// for ever.
func (s *Server) attempted(r *http.Request, user string) (string, map[string]any) {
	e, err := steward.MatchEmployee(r.Context(), s.Accounts, user)
	if err != nil {
		return "user:unknown", map[string]any{"user_known": false}
	}
	return employeeActor(e.ID), map[string]any{"user": user, "user_known": true}
}

const (
	maxFailures   = 5
	failureWindow = 15 * time.Minute
	// maxTracked bounds the limiter's memory: past it, entries whose
	// failures have all left the window are dropped.
	maxTracked = 10000
)

// attemptLimiter counts failed sign-ins per key in a sliding window.
type attemptLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func (s *Server) limiter() *attemptLimiter {
	s.limitOnce.Do(func() { s.attempts = &attemptLimiter{failures: map[string][]time.Time{}} })
	return s.attempts
}

// recent drops the failures of key older than the window; l.mu is held.
func (l *attemptLimiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && !now.Before(fs[i].Add(failureWindow)) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = fs
	return fs
}

// allow reports whether key may try again at time now.
func (l *attemptLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) < maxFailures
}

// fail counts a failure of key at time now.
func (l *attemptLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) >= maxTracked {
		for k := range l.failures {
			l.recent(k, now)
		}
	}
	l.failures[key] = append(l.recent(key, now), now)
}

// reset forgets key's failures after a successful sign-in.
func (l *attemptLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}
