// Package httpapi serves Steward's JSON API under /api/v1 and the health
// checks. Every route is listed once in the routes table with the scope it
// needs; only /healthz and /readyz are unauthenticated, and no debug or
// profiling handler is ever mounted here.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// RecordOpener decrypts archived content. keys.Envelope implements it.
type RecordOpener interface {
	OpenRecord(ctx context.Context, r *steward.Record) ([]byte, error)
	RecordKey(ctx context.Context, r *steward.Record) ([]byte, error)
}

// Server holds what the handlers need. cmd/steward fills every field.
type Server struct {
	Store    steward.Store
	Log      *archive.Log
	Pipeline *pipeline.Pipeline
	Opener   RecordOpener
	Blobs    steward.BlobStore
	Logger   *slog.Logger
	// MaxCaptureBody bounds a capture request, attachments included.
	MaxCaptureBody int64
	Now            func() time.Time
	// DirectoryChanged, if set, is called after employees' identities
	// change, so cached directory lookups are dropped at once.
	DirectoryChanged func()
	Chat             *chat.Service
	Consent          *consent.Service
	// Outbox lets an admin retry deliveries and release those waiting on
	// an answered rate-limit challenge.
	Outbox interface {
		Retry(ctx context.Context, id string) error
		SubmittedChallenge(ctx context.Context, account string) error
	}
	// Challengers answer a channel's rate-limit challenges (CAPTCHAs).
	Challengers map[steward.Channel]Challenger
	// Health reports capture health: connections, silent accounts, gaps.
	Health func(ctx context.Context) any
}

// Challenger passes an operator's answer to a rate-limit challenge to the
// channel. signal.Client implements it.
type Challenger interface {
	SubmitRateLimitChallenge(ctx context.Context, account, challenge, captcha string) error
}

// route is one row of the authorization table.
type route struct {
	pattern string        // ServeMux pattern, method first
	scope   steward.Scope // "" means unauthenticated (health checks only)
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// routes is the single table of every route and the scope it requires.
// api/openapi.yaml mirrors it; tests check both the document and every
// allow and deny in the table.
var routes = []route{
	{"GET /healthz", "", (*Server).healthz},
	{"GET /readyz", "", (*Server).readyz},
	{"POST /api/v1/capture", steward.ScopeCapture, (*Server).capture},
	{"GET /api/v1/records/{id}", steward.ScopeRead, (*Server).getRecord},
	{"GET /api/v1/records/{id}/blob", steward.ScopeRead, (*Server).getRecordBlob},
	{"GET /api/v1/records/{id}/proof", steward.ScopeRead, (*Server).getRecordProof},
	{"GET /api/v1/checkpoint", steward.ScopeRead, (*Server).getCheckpoint},
	{"GET /api/v1/tokens", steward.ScopeAdmin, (*Server).listTokens},
	{"POST /api/v1/tokens", steward.ScopeAdmin, (*Server).createToken},
	{"DELETE /api/v1/tokens/{id}", steward.ScopeAdmin, (*Server).revokeToken},
	{"GET /api/v1/employees", steward.ScopeAdmin, (*Server).listEmployees},
	{"POST /api/v1/employees", steward.ScopeAdmin, (*Server).createEmployee},
	{"GET /api/v1/employees/{id}", steward.ScopeAdmin, (*Server).getEmployee},
	{"PUT /api/v1/employees/{id}/identities", steward.ScopeAdmin, (*Server).putIdentity},
	{"POST /api/v1/employees/{id}/contacts", steward.ScopeAdmin, (*Server).adminAddContact},
	{"GET /api/v1/contacts", steward.ScopeInbox, (*Server).listContacts},
	{"POST /api/v1/contacts", steward.ScopeInbox, (*Server).addContact},
	{"GET /api/v1/contacts/{id}/consent", steward.ScopeRead, (*Server).getConsentHistory},
	{"GET /api/v1/consent/texts", steward.ScopeAdmin, (*Server).listConsentTexts},
	{"PUT /api/v1/consent/text", steward.ScopeAdmin, (*Server).putConsentText},
	{"GET /api/v1/conversations", steward.ScopeInbox, (*Server).listConversations},
	{"POST /api/v1/conversations", steward.ScopeInbox, (*Server).createConversation},
	{"GET /api/v1/conversations/{id}/messages", steward.ScopeInbox, (*Server).listMessages},
	{"POST /api/v1/conversations/{id}/messages", steward.ScopeInbox, (*Server).sendMessage},
	{"DELETE /api/v1/conversations/{id}/messages/{record}", steward.ScopeInbox, (*Server).deleteMessage},
	{"POST /api/v1/conversations/{id}/reactions", steward.ScopeInbox, (*Server).react},
	{"PATCH /api/v1/conversations/{id}/members", steward.ScopeInbox, (*Server).updateMembers},
	{"GET /api/v1/attachments/{id}", steward.ScopeInbox, (*Server).getAttachment},
	{"GET /api/v1/stream", steward.ScopeInbox, (*Server).stream},
	{"POST /api/v1/identities/{id}/link", steward.ScopeInbox, (*Server).startLink},
	{"GET /api/v1/identities/{id}/link", steward.ScopeInbox, (*Server).getLink},
	{"POST /api/v1/identities/{id}/challenge", steward.ScopeAdmin, (*Server).answerChallenge},
	{"GET /api/v1/deliveries", steward.ScopeAdmin, (*Server).listDeliveries},
	{"POST /api/v1/deliveries/{id}/retry", steward.ScopeAdmin, (*Server).retryDelivery},
	{"GET /api/v1/capture-health", steward.ScopeAdmin, (*Server).captureHealth},
	{"GET /api/v1/dead-letters", steward.ScopeAdmin, (*Server).listDeadLetters},
	{"GET /api/v1/audit", steward.ScopeAudit, (*Server).listAudit},
}

// Routes lists every pattern with its scope, for documentation and tests.
func Routes() map[string]steward.Scope {
	m := make(map[string]steward.Scope, len(routes))
	for _, rt := range routes {
		m[rt.pattern] = rt.scope
	}
	return m
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.handler
		var hf http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if rt.scope != "" {
			hf = s.authenticate(rt.scope, hf)
		}
		mux.Handle(rt.pattern, hf)
	}
	// paths knows every route's path regardless of method, so that a known
	// path asked with the wrong method gets 405 rather than 404.
	paths := http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if allow[path] == nil {
			paths.HandleFunc(path, func(http.ResponseWriter, *http.Request) {})
		}
		allow[path] = append(allow[path], method)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		const op steward.Op = "httpapi"
		if _, p := paths.Handler(r); p != "" {
			w.Header().Set("Allow", strings.Join(allow[p], ", "))
			s.writeErrorStatus(w, r, http.StatusMethodNotAllowed, steward.E(op, steward.Invalid, "method not allowed"))
			return
		}
		s.writeError(w, r, steward.E(op, steward.NotFound, "no such route"))
	})
	return securityHeaders(noHead(mux))
}

// noHead refuses HEAD on the API. ServeMux lets HEAD through to GET
// handlers, which would decrypt, audit and then discard a read.
func noHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Allow", "GET")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only while the store answers. It is unauthenticated,
// so it says nothing about the archive beyond "ready".
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.readyz"), steward.Unavailable, "store unavailable", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
