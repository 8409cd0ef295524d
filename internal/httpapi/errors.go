package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/steward-gov/steward/internal/steward"
)

// statusOf is the one table that maps error kinds to HTTP statuses.
var statusOf = map[steward.Kind]int{
	steward.Invalid:         http.StatusBadRequest,
	steward.NotFound:        http.StatusNotFound,
	steward.Conflict:        http.StatusConflict,
	steward.Unauthenticated: http.StatusUnauthorized,
	steward.Permission:      http.StatusForbidden,
	steward.Unavailable:     http.StatusServiceUnavailable,
	steward.Internal:        http.StatusInternalServerError,
	steward.Other:           http.StatusInternalServerError,
	steward.TooLarge:        http.StatusRequestEntityTooLarge,
	steward.ConsentRequired: http.StatusConflict,
	steward.Gone:            http.StatusGone,
	steward.Integrity:       http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err's kind.
func StatusOf(err error) int {
	if s, ok := statusOf[steward.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with err's status and public message. Internal errors
// are logged in full and shown to the caller only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErrorStatus(w, r, StatusOf(err), err)
}

// writeErrorStatus is writeError with the status chosen by the caller, for
// the few answers (405) that no error kind describes.
func (s *Server) writeErrorStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 && status != http.StatusServiceUnavailable || steward.KindOf(err) == steward.Integrity {
		s.logger().Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.logger().Debug("request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="steward"`)
	}
	var body ErrorBody
	body.Error.Code = steward.KindOf(err).String()
	body.Error.Message = steward.PublicMessage(err)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
