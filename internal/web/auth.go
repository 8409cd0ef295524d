package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// cookieName holds the session: a random 256-bit secret whose SHA-256 is
// the session's key in the store (steward.Session). Nothing else about
// the session is in the browser; ending it on the server ends it.
const cookieName = "steward_session"

// legacyCookie is the cookie that, before sessions, held the inbox token's
// secret itself. It is cleared wherever it is seen.
const legacyCookie = "steward_inbox"

const (
	defaultIdle     = 30 * time.Minute
	defaultLifetime = 12 * time.Hour
)

// Accounts is what sign-in reads and keeps: sessions, local passwords,
// tokens by id, and employees. A steward.Store satisfies it.
type Accounts interface {
	steward.SignInStore
	steward.EmployeeLookup
}

// IdentityProvider is the organization's OpenID provider, as the relying
// party in internal/oidc (*oidc.Provider) presents it.
type IdentityProvider interface {
	// AuthCodeURL starts a sign-in: it sets its flow cookie on w and
	// returns the URL to send the browser to. returnTo comes back from
	// Exchange.
	AuthCodeURL(w http.ResponseWriter, r *http.Request, returnTo string) (string, error)
	// Exchange finishes a sign-in at the callback and returns the claim
	// that names the employee (an email or user name) and returnTo.
	// Returns Unauthenticated when the sign-in must start again.
	Exchange(w http.ResponseWriter, r *http.Request) (claim, returnTo string, err error)
	// LogoutURL is where to send the browser so that its session at the
	// identity provider ends too, coming back to returnTo; "" if the
	// provider offers no sign-out.
	LogoutURL(w http.ResponseWriter, r *http.Request, returnTo string) string
}

type ctxKey int

const principalKey ctxKey = 0

// principal is who a request that passed authenticate acts as.
type principal struct {
	session  *steward.Session
	employee *steward.Employee
	token    *steward.Token // the inbox token of a SessionToken session
}

// principalFrom returns the signed-in principal of a request that passed
// authenticate, or nil.
func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey).(*principal)
	return p
}

// employeeOf returns whom the request acts for.
func employeeOf(r *http.Request) string {
	if p := principalFrom(r.Context()); p != nil {
		return p.session.EmployeeID
	}
	return ""
}

// actorOf names the caller in audit records: the token, as the API names
// it, for a session started with an inbox token; otherwise the employee.
func actorOf(r *http.Request) string {
	p := principalFrom(r.Context())
	switch {
	case p == nil:
		return "anonymous"
	case p.token != nil:
		return "token:" + p.token.ID + " (" + p.token.Name + ")"
	}
	return employeeActor(p.session.EmployeeID)
}

func employeeActor(id string) string { return "employee:" + id }

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return defaultIdle
}

func (s *Server) sessionLifetime() time.Duration {
	if s.SessionLifetime > 0 {
		return s.SessionLifetime
	}
	return defaultLifetime
}

// touchEvery is how stale LastSeenAt may be before a request records
// itself: each touch is an fsynced write, so not every request makes one.
// It is a small part of the idle timeout, so the timeout stays accurate
// to within a minute.
func touchEvery(sess *steward.Session) time.Duration {
	if sess.IdleTimeout <= 0 {
		return time.Minute
	}
	return min(time.Minute, sess.IdleTimeout/16)
}

// resolve checks a session secret afresh: the session exists and has
// neither idled out nor expired, its employee is still active and not
// deleted, and a session started with an inbox token still has a usable
// inbox token of the same employee. A session that fails is deleted, and
// an employee found inactive loses every session at once. With touch, the
// request counts as activity for the idle timeout.
//
// It fails with Unauthenticated when the session is over, and otherwise
// with the store's error (e.g. Unavailable), which is not a sign-out.
func (s *Server) resolve(ctx context.Context, secret string, touch bool) (*principal, error) {
	const op steward.Op = "web.session"
	signedOut := func(err error) error {
		return steward.E(op, steward.Unauthenticated, "You are signed out. Sign in again.", err)
	}
	if s.Accounts == nil {
		return nil, steward.E(op, steward.Internal, "no session store configured")
	}
	now := s.clock()
	sess, err := steward.AuthenticateSession(ctx, s.Accounts, secret, now)
	if steward.Is(steward.Unauthenticated, err) {
		return nil, signedOut(err)
	} else if err != nil {
		return nil, steward.E(op, err)
	}
	emp, err := steward.SignedInEmployee(ctx, s.Accounts, sess.EmployeeID)
	if steward.Is(steward.Unauthenticated, err) {
		if n, derr := s.Accounts.DeleteEmployeeSessions(ctx, sess.EmployeeID); derr != nil {
			s.logger().Warn("inbox: could not end an inactive employee's sessions", "employee", sess.EmployeeID, "err", derr)
		} else {
			s.logger().Info("inbox: inactive employee signed out", "employee", sess.EmployeeID, "sessions", n)
		}
		return nil, signedOut(err)
	} else if err != nil {
		return nil, steward.E(op, err)
	}
	p := &principal{session: sess, employee: emp}
	if sess.Method == steward.SessionToken {
		t, err := s.Accounts.TokenByID(ctx, sess.TokenID)
		if steward.Is(steward.NotFound, err) || (err == nil && (!t.Usable(now) || !t.Has(steward.ScopeInbox) || t.EmployeeID != sess.EmployeeID)) {
			_ = s.Accounts.DeleteSession(ctx, sess.ID) // best-effort: it is refused either way
			return nil, signedOut(steward.E(op, steward.Unauthenticated, "the session's inbox token was revoked or expired", err))
		} else if err != nil {
			return nil, steward.E(op, err)
		}
		p.token = t
	}
	if touch && now.Sub(sess.LastSeenAt) >= touchEvery(sess) {
		err := s.Accounts.TouchSession(ctx, sess.ID, now)
		if steward.Is(steward.NotFound, err) {
			return nil, signedOut(err) // signed out by another request meanwhile
		} else if err != nil {
			s.logger().Warn("inbox: could not record session activity", "session", sess.ID, "err", err)
		} else {
			sess.LastSeenAt = now
		}
	}
	return p, nil
}

// signedOut reports whether err means the session is over (rather than
// that the store could not answer for now).
func signedOut(err error) bool {
	return steward.Is(steward.Unauthenticated, err) || steward.Is(steward.Permission, err)
}

func sessionSecret(r *http.Request) string {
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value
	}
	return ""
}

// dropLegacy clears the pre-session cookie, which held a token secret.
func (s *Server) dropLegacy(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(legacyCookie); err == nil {
		c := s.cookie("", -1)
		c.Name = legacyCookie
		http.SetCookie(w, c)
	}
}

// authenticate admits a request only with a session cookie whose session
// is still good, checked afresh on every request (resolve). Without one, a
// page is redirected to sign-in and a script's request gets 401.
func (s *Server) authenticate(acc access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.dropLegacy(w, r)
		secret := sessionSecret(r)
		p, err := s.resolve(r.Context(), secret, true)
		if err != nil {
			if !signedOut(err) {
				s.fail(w, r, err)
				return
			}
			if secret != "" {
				http.SetCookie(w, s.cookie("", -1))
			}
			if acc == data || wantsJSON(r) {
				s.failStatus(w, r, http.StatusUnauthorized, steward.E(steward.Op("web.authenticate"), steward.Unauthenticated, "You are signed out. Sign in again.", err))
				return
			}
			target := loginPath
			if next := r.URL.RequestURI(); r.Method == http.MethodGet && next != basePath && safeNext(next) {
				target += "?next=" + url.QueryEscape(next)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// cookie builds the session cookie; maxAge < 0 deletes it. It lives only
// for the browser session: the session's own timeouts are checked on the
// server on every request anyway.
func (s *Server) cookie(secret string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    secret,
		Path:     "/inbox",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.Secure,
		SameSite: http.SameSiteStrictMode,
	}
}

// safeNext reports whether p may be redirected to after sign-in: a path of
// the inbox itself, never another site.
func safeNext(p string) bool {
	if !strings.HasPrefix(p, basePath) || strings.HasPrefix(p, loginPath) || strings.HasPrefix(p, "/inbox/static/") ||
		strings.HasPrefix(p, "/inbox/auth/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\\r\n\t\"'<>") {
		return false
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

func nextOr(p string) string {
	if safeNext(p) {
		return p
	}
	return basePath
}

// clientIP is the address the request came from, for the sign-in limiter
// and the audit trail. Forwarding headers are not trusted: anyone can set
// them.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit records a sign-in event through s.Audit, if set.
func (s *Server) audit(ctx context.Context, actor, action, subject string, details map[string]any) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit(ctx, actor, action, subject, details)
}

// auditFailure records a refused sign-in. Its own failure is logged only:
// it must not change what the browser is told.
func (s *Server) auditFailure(r *http.Request, method steward.SessionMethod, subject string, cause error, extra map[string]any) {
	details := map[string]any{"method": string(method), "ip": clientIP(r), "reason": steward.KindOf(cause).String()}
	for k, v := range extra {
		details[k] = v
	}
	if err := s.audit(r.Context(), "anonymous", "inbox.signin.failed", subject, details); err != nil {
		s.logger().Error("inbox: could not audit a failed sign-in", "method", method, "err", err)
	}
}

// startSession signs employeeID in: it ends the browser's earlier session
// if any, starts a new one (a fresh secret, so a planted cookie is never
// promoted), records the sign-in in the audit trail, and sets the cookie.
// If the audit record cannot be made, the session is deleted again and
// the sign-in refused.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, employeeID string, method steward.SessionMethod, tokenID string, extra map[string]any) error {
	const op steward.Op = "web.startSession"
	ctx := r.Context()
	if s.Accounts == nil {
		return steward.E(op, steward.Internal, "no session store configured")
	}
	now := s.clock()
	if old := sessionSecret(r); old != "" {
		if sess, err := s.Accounts.SessionByHash(ctx, steward.HashTokenSecret(old)); err == nil {
			_ = s.Accounts.DeleteSession(ctx, sess.ID)
		}
	}
	if n, err := s.Accounts.DeleteExpiredSessions(ctx, now); err != nil {
		s.logger().Warn("inbox: could not remove expired sessions", "err", err)
	} else if n > 0 {
		s.logger().Debug("inbox: removed expired sessions", "count", n)
	}
	secret, sess, err := steward.StartSession(ctx, s.Accounts, steward.SessionSpec{EmployeeID: employeeID, Method: method,
		TokenID: tokenID, Lifetime: s.sessionLifetime(), Idle: s.idleTimeout()}, now)
	if err != nil {
		return steward.E(op, err)
	}
	details := map[string]any{"method": string(method), "session_id": sess.ID, "ip": clientIP(r)}
	if tokenID != "" {
		details["token_id"] = tokenID
	}
	for k, v := range extra {
		details[k] = v
	}
	actor := employeeActor(employeeID)
	if err := s.audit(ctx, actor, "inbox.signin", actor, details); err != nil {
		_ = s.Accounts.DeleteSession(ctx, sess.ID)
		return steward.E(op, steward.Unavailable, "Your sign-in could not be recorded, so it was refused. Try again shortly.", err)
	}
	s.dropLegacy(w, r)
	http.SetCookie(w, s.cookie(secret, 0))
	return nil
}

// tokenSignIn resolves a pasted inbox token. It fails with Unauthenticated
// for a missing, unknown, expired or revoked token, Permission for one
// that is not an employee's inbox token, and otherwise with the
// authenticator's own error (e.g. Unavailable).
func (s *Server) tokenSignIn(ctx context.Context, secret string) (*steward.Token, error) {
	const op steward.Op = "web.tokenSignIn"
	if secret == "" {
		return nil, steward.E(op, steward.Unauthenticated, "Paste your inbox token to sign in.")
	}
	if s.Authenticate == nil {
		return nil, steward.E(op, steward.Internal, "no authenticator configured")
	}
	t, err := s.Authenticate(ctx, secret)
	if steward.Is(steward.NotFound, err) || steward.Is(steward.Unauthenticated, err) || (err == nil && (t == nil || !t.Usable(s.clock()))) {
		return nil, steward.E(op, steward.Unauthenticated, "That token is not valid, or it has expired or been revoked.", err)
	}
	if err != nil {
		return nil, steward.E(op, err)
	}
	if !t.Has(steward.ScopeInbox) || t.EmployeeID == "" {
		return nil, steward.E(op, steward.Permission, "This token cannot open an inbox. Ask an administrator for your inbox token.")
	}
	return t, nil
}

type loginData struct {
	Next  string
	Error string
	OIDC  bool   // offer "Sign in with your organization"
	Local bool   // offer local user name and password sign-in
	User  string // the user name typed into the local form
}

// loginData returns what the sign-in page offers.
func (s *Server) loginData(next, msg string) *loginData {
	return &loginData{Next: next, Error: msg, OIDC: s.OIDC != nil, Local: s.localEnabled()}
}

// localEnabled reports whether local password sign-in is offered: only
// when asked for and no identity provider is configured.
func (s *Server) localEnabled() bool { return s.LocalLogin && s.OIDC == nil }

// loginPage is GET /inbox/login: the ways to sign in. Its script also
// takes a token from the URL fragment (#token=…), which browsers never
// send to the server, and submits it.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.dropLegacy(w, r)
	next := nextOr(r.URL.Query().Get("next"))
	if secret := sessionSecret(r); secret != "" {
		_, err := s.resolve(r.Context(), secret, false)
		if err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		if signedOut(err) {
			http.SetCookie(w, s.cookie("", -1))
		}
	}
	s.render(w, r, http.StatusOK, "login", s.loginData(next, ""))
}

// login is POST /inbox/login: check the inbox token and start a session
// tied to it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.render(w, r, statusOf(err), "login", s.loginData(basePath, s.publicError(r, err)))
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	next := nextOr(r.PostFormValue("next"))
	t, err := s.tokenSignIn(r.Context(), secret)
	if err == nil {
		err = s.startSession(w, r, t.EmployeeID, steward.SessionToken, t.ID, nil)
	} else if signedOut(err) {
		s.auditFailure(r, steward.SessionToken, "token", err, nil)
	}
	if err != nil {
		s.render(w, r, statusOf(err), "login", s.loginData(next, s.publicError(r, err)))
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout is POST /inbox/logout: end the session on the server and forget
// the cookie. An inbox token it was started with stays valid.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if err := s.Accounts.DeleteSession(r.Context(), p.session.ID); err != nil && !steward.Is(steward.NotFound, err) {
		s.fail(w, r, err)
		return
	}
	actor := employeeActor(p.session.EmployeeID)
	if err := s.audit(r.Context(), actor, "inbox.signout", actor, map[string]any{"method": string(p.session.Method),
		"session_id": p.session.ID, "ip": clientIP(r)}); err != nil {
		s.logger().Error("inbox: could not audit a sign-out", "session", p.session.ID, "err", err)
	}
	http.SetCookie(w, s.cookie("", -1))
	// A session from the identity provider ends there too, or the next
	// "Sign in" would silently sign the same person in again.
	if p.session.Method == steward.SessionOIDC && s.OIDC != nil {
		if u := s.OIDC.LogoutURL(w, r, loginPath); u != "" {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
}
