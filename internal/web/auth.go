package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// cookieName holds the session: the inbox token's secret itself, so that
// revoking the token ends the session at once and the server keeps no
// session state.
const cookieName = "steward_inbox"

type ctxKey int

const tokenKey ctxKey = 0

// tokenFrom returns the signed-in token of a request that passed
// authenticate.
func tokenFrom(ctx context.Context) *steward.Token {
	t, _ := ctx.Value(tokenKey).(*steward.Token)
	return t
}

// employeeOf returns whom the request acts for.
func employeeOf(r *http.Request) string {
	if t := tokenFrom(r.Context()); t != nil {
		return t.EmployeeID
	}
	return ""
}

// actorOf names the caller in audit records, as the API does.
func actorOf(r *http.Request) string {
	if t := tokenFrom(r.Context()); t != nil {
		return "token:" + t.ID + " (" + t.Name + ")"
	}
	return "anonymous"
}

// session resolves a secret to a token that may use the inbox. It fails
// with Unauthenticated for a missing, unknown, expired or revoked token,
// Permission for one that is not an employee's inbox token, and otherwise
// with the authenticator's own error (e.g. Unavailable).
func (s *Server) session(ctx context.Context, secret string) (*steward.Token, error) {
	const op steward.Op = "web.session"
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

// signedOut reports whether err means the session is over (rather than
// that the authenticator could not answer for now).
func signedOut(err error) bool {
	return steward.Is(steward.Unauthenticated, err) || steward.Is(steward.Permission, err)
}

// authenticate admits a request only with a session cookie whose token is
// still good, checked afresh on every request. Without one, a page is
// redirected to sign-in and a script's request gets 401.
func (s *Server) authenticate(acc access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie(cookieName)
		secret := ""
		if c != nil {
			secret = c.Value
		}
		t, err := s.session(r.Context(), secret)
		if err != nil {
			if !signedOut(err) {
				s.fail(w, r, err)
				return
			}
			if c != nil {
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, t)))
	})
}

// cookie builds the session cookie; maxAge < 0 deletes it. It lives only
// for the browser session: the token's own expiry and revocation are
// checked on every request anyway.
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
		strings.Contains(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
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

// loginPage is GET /inbox/login: the form to paste a token. Its script
// also takes a token from the URL fragment (#token=…), which browsers
// never send to the server, and submits it.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := nextOr(r.URL.Query().Get("next"))
	if c, err := r.Cookie(cookieName); err == nil {
		_, err := s.session(r.Context(), c.Value)
		if err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		if signedOut(err) {
			http.SetCookie(w, s.cookie("", -1))
		}
	}
	s.render(w, r, http.StatusOK, "login", &loginData{Next: next})
}

// login is POST /inbox/login: check the token and start the session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.render(w, r, statusOf(err), "login", &loginData{Next: basePath, Error: s.publicError(r, err)})
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	next := nextOr(r.PostFormValue("next"))
	if _, err := s.session(r.Context(), secret); err != nil {
		s.render(w, r, statusOf(err), "login", &loginData{Next: next, Error: s.publicError(r, err)})
		return
	}
	http.SetCookie(w, s.cookie(secret, 0))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout is POST /inbox/logout: forget the session in this browser. The
// token itself stays valid until an administrator revokes it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie("", -1))
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
}

type loginData struct {
	Next  string
	Error string
}
