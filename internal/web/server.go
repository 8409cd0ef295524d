// Package web serves the employee web inbox under /inbox/: server-rendered
// pages (html/template) with embedded CSS and a little vanilla JavaScript,
// live updates over server-sent events, and nothing else. It holds no state
// of its own: every page is built from a Backend (a *chat.Service), and the
// session is the employee's inbox token, kept in an HttpOnly cookie and
// checked again on every request.
//
// Every route is listed once in the routes table with who may call it;
// every status an error kind maps to is in errors.go.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/chat"
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
	// Authenticate resolves a token secret to its token. It is the one
	// sign-in seam: today a per-employee inbox token, later a session
	// issued after OIDC sign-in, both yielding a token with EmployeeID
	// and steward.ScopeInbox. Unknown secrets should be NotFound or
	// Unauthenticated.
	Authenticate func(ctx context.Context, secret string) (*steward.Token, error)
	Logger       *slog.Logger
	// Secure marks the session cookie Secure (set it whenever the inbox is
	// served over HTTPS, directly or behind a proxy).
	Secure bool
	// MaxUpload bounds one send, text and files together; 0 means 100 MiB.
	MaxUpload int64

	// Tests shorten these; zero means the defaults.
	keepAlive time.Duration // SSE keep-alive comment interval (15s)
	recheck   time.Duration // SSE token re-validation interval (5s)
	now       func() time.Time
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
	paths := http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range routes {
		h := rt.handler
		var hf http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if rt.access != public {
			hf = s.authenticate(rt.access, hf)
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet {
			hf = s.sameOrigin(hf)
		}
		mux.Handle(rt.pattern, hf)
		if allow[path] == nil {
			paths.HandleFunc(path, func(http.ResponseWriter, *http.Request) {})
		}
		allow[path] = append(allow[path], method)
	}
	// Anything else under /inbox/ is a 405 for a known path or a 404, and
	// like every non-public route it needs a session first.
	mux.Handle(basePath, s.authenticate(page, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const op steward.Op = "web"
		if _, p := paths.Handler(r); p != "" {
			w.Header().Set("Allow", strings.Join(allow[p], ", "))
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
