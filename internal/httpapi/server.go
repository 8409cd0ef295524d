// Package httpapi serves Steward's JSON API under /api/v1 and the health
// checks. Every route is listed once in the routes table with the scope it
// needs; only /healthz and /readyz are unauthenticated, and no debug or
// profiling handler is ever mounted here.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/steward-gov/steward/internal/archive"
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
}

// route is one row of the authorization table.
type route struct {
	pattern string        // ServeMux pattern, method first
	scope   steward.Scope // "" means unauthenticated (health checks only)
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// routes is the single table of every route and the scope it requires.
// docs/api.md and api/openapi.yaml mirror it; a test walks it.
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
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, steward.E(steward.Op("httpapi"), steward.NotFound, "no such route"))
	})
	return securityHeaders(mux)
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

// readyz answers 200 only while the store answers and the log takes writes.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.readyz"), steward.Unavailable, "store unavailable", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "log_size": s.Log.Size()})
}
