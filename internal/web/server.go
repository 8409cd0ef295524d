// Package web serves the employee web inbox under /inbox/: server-rendered
// pages (html/template) with embedded CSS and a little vanilla JavaScript,
// live updates over server-sent events, and nothing else. Every page is
// built from a Backend (a *chat.Service).
//
// Sign-in starts a server-side session (steward.Session), whose secret is
// the only thing in the browser's HttpOnly, SameSite=Strict cookie. There
// are three ways in: the organization's identity provider over OpenID
// Connect (when configured), a local user name and password (only when
// enabled and no identity provider is configured), and a pasted inbox
// token, whose session ends when the token does. Every request checks the
// session afresh: its idle and absolute timeouts, and that its employee is
// still active, so a deactivated employee is signed out on the very next
// request.
//
// Every route is listed once in the routes table with who may call it;
// every status an error kind maps to is in errors.go.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/httproute"
	"github.com/steward-gov/steward/internal/steward"
)

// Backend is what the inbox needs from the chat service. A *chat.Service
// satisfies it; tests use a fake. Every method acts as employeeID and must
// refuse what that employee may not see or do.
type Backend interface {
	Employee(ctx context.Context, employeeID string) (*steward.Employee, []*steward.Identity, error)
	Contacts(ctx context.Context, employeeID string) ([]*steward.Contact, error)
	AddContact(ctx context.Context, actor, employeeID string, req chat.AddContactRequest) (*steward.Contact, error)
	Conversations(ctx context.Context, employeeID string) ([]chat.ConversationView, error)
	// ConversationWith opens (creating if needed) the direct conversation
	// with a contact.
	ConversationWith(ctx context.Context, employeeID, contactID string) (*chat.ConversationView, error)
	// Messages is an audited read of the newest limit entries.
	Messages(ctx context.Context, employeeID, conversationID string, limit int) (*chat.ConversationView, []chat.MessageView, error)
	// Send returns steward.ConsentRequired when consent is missing.
	Send(ctx context.Context, employeeID, conversationID string, req chat.SendRequest) (*chat.SendResponse, error)
	React(ctx context.Context, employeeID, conversationID, recordID, emoji string, remove bool) (*chat.SendResponse, error)
	Delete(ctx context.Context, employeeID, conversationID, recordID string) (*chat.SendResponse, error)
	// Confirm sends a message policy held for the sender's justification.
	Confirm(ctx context.Context, employeeID, conversationID, recordID, justification string) (*chat.SendResponse, error)
	CreateGroup(ctx context.Context, employeeID string, req chat.GroupRequest) (*chat.ConversationView, error)
	UpdateGroup(ctx context.Context, employeeID, conversationID string, req chat.GroupRequest) (*chat.ConversationView, error)
	// Attachment is an audited read of an attachment's bytes.
	Attachment(ctx context.Context, employeeID, recordID string) (*chat.AttachmentView, []byte, error)
	StartLink(ctx context.Context, employeeID, identityID string) (*chat.LinkSession, error)
	LinkStatus(ctx context.Context, employeeID, identityID string) (*chat.LinkSession, error)
	// Subscribe delivers live events for the employee until the returned
	// function is called.
	Subscribe(employeeID string) (<-chan chat.Event, func())
}

// Server is the web inbox. cmd/steward fills the exported fields and mounts
// Handler under /inbox/.
type Server struct {
	Backend Backend
	// Accounts keeps sessions and local passwords and finds employees and
	// tokens; a steward.Store satisfies it. Required.
	Accounts Accounts
	// Authenticate resolves a pasted inbox token's secret to its token
	// (steward.Authenticate), for token sign-in. Unknown secrets should be
	// NotFound or Unauthenticated.
	Authenticate func(ctx context.Context, secret string) (*steward.Token, error)
	// OIDC, when set, offers "Sign in with your organization" through the
	// identity provider (an *oidc.Provider whose RedirectURL is this
	// inbox's /inbox/auth/callback).
	OIDC IdentityProvider
	// LocalLogin offers sign-in with a local user name and password
	// (steward.SetLocalPassword), for demos and small installations
	// without an identity provider. It is ignored when OIDC is set.
	LocalLogin bool
	// IdleTimeout ends a session after this long without a request; 0
	// means 30 minutes.
	IdleTimeout time.Duration
	// SessionLifetime ends a session this long after sign-in, active or
	// not; 0 means 12 hours.
	SessionLifetime time.Duration
	// Audit, when set, records sign-ins ("inbox.signin"), refused sign-ins
	// ("inbox.signin.failed") and sign-outs ("inbox.signout"). A sign-in
	// whose record fails is refused; the other two are only logged.
	Audit  func(ctx context.Context, actor, action, subject string, details map[string]any) error
	Logger *slog.Logger
	// Secure marks the session cookie Secure (set it whenever the inbox is
	// served over HTTPS, directly or behind a proxy).
	Secure bool
	// MaxUpload bounds one send, text and files together; 0 means 100 MiB.
	MaxUpload int64

	// Tests shorten these; zero means the defaults.
	keepAlive time.Duration // SSE keep-alive comment interval (15s)
	recheck   time.Duration // SSE session re-validation interval (1s)
	now       func() time.Time

	limitOnce sync.Once
	attempts  *attemptLimiter // failed local sign-ins
}

const (
	basePath      = "/inbox/"
	loginPath     = "/inbox/login"
	defaultUpload = 100 << 20
	formLimit     = 1 << 20 // every form but a send
	messagesShown = 200     // entries of a conversation rendered at once
	// csp is the Content-Security-Policy of every response: no inline
	// script or style, no framing, forms post only here.
	csp = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'"
)

// access says who may call a route and how a refusal is answered.
type access int

const (
	public access = iota // no session needed (sign-in, static assets)
	page                 // a page or form post: without a session, redirect to sign-in
	data                 // fetched by script (fragments, JSON, SSE): without a session, 401
)

// route is one row of the route table.
type route struct {
	pattern string // ServeMux pattern, method first
	access  access
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// routes is the single table of every inbox route.
var routes = []route{
	{"GET /inbox/login", public, (*Server).loginPage},
	{"POST /inbox/login", public, (*Server).login},
	{"POST /inbox/login/local", public, (*Server).localLogin},
	{"GET /inbox/auth/oidc", public, (*Server).oidcStart},
	{"GET /inbox/auth/callback", public, (*Server).oidcCallback},
	{"GET /inbox/static/{file}", public, (*Server).static},
	{"POST /inbox/logout", page, (*Server).logout},
	{"GET /inbox/{$}", page, (*Server).home},
	{"GET /inbox/lists", data, (*Server).lists},
	{"POST /inbox/contacts", page, (*Server).addContact},
	{"POST /inbox/contacts/{id}/open", page, (*Server).openContact},
	{"POST /inbox/groups", page, (*Server).createGroup},
	{"GET /inbox/c/{id}", page, (*Server).conversation},
	{"GET /inbox/c/{id}/messages", data, (*Server).messagesFragment},
	{"POST /inbox/c/{id}/send", page, (*Server).send},
	{"POST /inbox/c/{id}/react", page, (*Server).react},
	{"POST /inbox/c/{id}/delete", page, (*Server).deleteMessage},
	{"POST /inbox/c/{id}/confirm", page, (*Server).confirm},
	{"POST /inbox/c/{id}/members", page, (*Server).members},
	{"GET /inbox/a/{record}", page, (*Server).attachment},
	{"GET /inbox/a/{record}/preview", data, (*Server).preview},
	{"GET /inbox/link/{identity}", page, (*Server).linkPage},
	{"GET /inbox/link/{identity}/status", data, (*Server).linkStatus},
	{"GET /inbox/events", data, (*Server).events},
}

// Routes lists every pattern with whether it needs a session, for
// documentation and tests.
func Routes() map[string]bool {
	m := make(map[string]bool, len(routes))
	for _, rt := range routes {
		m[rt.pattern] = rt.access != public
	}
	return m
}

// Handler returns the inbox's http.Handler. Its patterns include the
// /inbox/ prefix, so mount it as mux.Handle("/inbox/", s.Handler()) without
// stripping the prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	var methods httproute.Methods // for 405 on a known path
	for _, rt := range routes {
		h := rt.handler
		var hf http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if rt.access != public {
			hf = s.authenticate(rt.access, hf)
		}
		if method, _, _ := strings.Cut(rt.pattern, " "); method != http.MethodGet {
			hf = s.sameOrigin(hf)
		}
		mux.Handle(rt.pattern, hf)
		methods.Add(rt.pattern)
	}
	// Anything else under /inbox/ is a 405 for a known path or a 404, and
	// like every non-public route it needs a session first.
	mux.Handle(basePath, s.authenticate(page, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const op steward.Op = "web"
		if allow, known := methods.Allow(r); known {
			w.Header().Set("Allow", allow)
			s.failStatus(w, r, http.StatusMethodNotAllowed, steward.E(op, steward.Invalid, "method not allowed"))
			return
		}
		s.fail(w, r, steward.E(op, steward.NotFound, "There is no such page."))
	})))
	return securityHeaders(noHead(mux))
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// noHead refuses HEAD. ServeMux would run the GET handler, which for a
// conversation or an attachment is an audited read whose result is thrown
// away.
func noHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("Allow", "GET")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses an unsafe request unless the browser shows it came
// from the inbox itself. Sec-Fetch-Site, which page scripts cannot set,
// must be same-origin; without it (older browsers, other clients) the
// Origin header must name this host. A request with neither is refused. An
// Origin naming another host is refused in any case. (Because pages are
// served with Referrer-Policy no-referrer, browsers send "Origin: null" on
// form posts; Sec-Fetch-Site is then what vouches for them.) Together with
// the SameSite=Strict cookie this stops cross-site request forgery,
// including of the sign-in form.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	const op steward.Op = "web.sameOrigin"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isSameOrigin(r) {
			s.fail(w, r, steward.E(op, steward.Permission, "This request did not come from the inbox page, so it was refused. Reload the page and try again."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isSameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	originOK := false
	if origin != "" && origin != "null" {
		scheme, host, ok := strings.Cut(origin, "://")
		if !ok || (scheme != "http" && scheme != "https") || host == "" || strings.ContainsAny(host, "/?#@") ||
			!strings.EqualFold(host, r.Host) {
			return false
		}
		originOK = true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	return originOK
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *Server) maxUpload() int64 {
	if s.MaxUpload > 0 {
		return s.MaxUpload
	}
	return defaultUpload
}
