package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/steward"
)

// statusOf returns the HTTP status for err's kind, from the API's table
// (httpapi.StatusOf): there is one mapping for the whole server.
func statusOf(err error) int { return httpapi.StatusOf(err) }

// errorBody is the JSON shape of an error answered to a script: the API's.
type errorBody = httpapi.ErrorBody

// publicError logs err as its status deserves and returns what the user
// may read: steward.PublicMessage, never the internal detail.
func (s *Server) publicError(r *http.Request, err error) string {
	s.logError(r, statusOf(err), err)
	return steward.PublicMessage(err)
}

func (s *Server) logError(r *http.Request, status int, err error) {
	if status >= 500 && status != http.StatusServiceUnavailable || steward.KindOf(err) == steward.Integrity {
		s.logger().Error("inbox request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.logger().Debug("inbox request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// fail answers err with its status: JSON to a script, an error page to a
// browser.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.failStatus(w, r, statusOf(err), err)
}

// failStatus is fail with the status chosen by the caller, for the few
// answers (401 on a data route, 405) that the kind alone does not decide.
func (s *Server) failStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	s.logError(r, status, err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	msg := steward.PublicMessage(err)
	if wantsJSON(r) || status == http.StatusUnauthorized {
		var body errorBody
		body.Error.Code = steward.KindOf(err).String()
		body.Error.Message = msg
		writeJSON(w, status, body)
		return
	}
	s.render(w, r, status, "error", &errorData{Status: status, StatusText: http.StatusText(status), Message: msg,
		SignedIn: principalFrom(r.Context()) != nil})
}

type errorData struct {
	Status     int
	StatusText string
	Message    string
	SignedIn   bool
}

// wantsJSON reports whether the request came from the page's script (which
// says so) or otherwise asks for anything but a page.
func wantsJSON(r *http.Request) bool {
	if r.Header.Get("X-Requested-With") != "" {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") || strings.Contains(accept, "text/event-stream")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// parseForm reads a urlencoded or multipart form of at most limit bytes.
// Files are kept in memory up to 8 MiB, the rest in temporary files that
// the server removes after the request.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	const op steward.Op = "web.parseForm"
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return steward.Errorf(op, steward.TooLarge, "That is too large: the limit is %s.", humanSize(limit))
	}
	return steward.E(op, steward.Invalid, "The form could not be read.", err)
}
