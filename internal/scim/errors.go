package scim

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/steward-gov/steward/internal/steward"
)

// SCIM error types (RFC 7644 §3.12, Table 9): the scimType member of an
// error response, which tells the client what to fix.
const (
	typeInvalidFilter = "invalidFilter" // bad filter syntax or comparison
	typeTooMany       = "tooMany"       // the filter would make the server do too much
	typeUniqueness    = "uniqueness"    // a unique attribute's value is taken
	typeMutability    = "mutability"    // an attempt to change an immutable or read-only attribute
	typeInvalidSyntax = "invalidSyntax" // the request body is not a valid SCIM message
	typeInvalidPath   = "invalidPath"   // a PATCH path is malformed
	typeNoTarget      = "noTarget"      // a PATCH path selects nothing where something is needed
	typeInvalidValue  = "invalidValue"  // a value is missing, of the wrong type or not allowed
)

// scimError attaches a scimType to an error. The steward error it wraps
// keeps the kind, so the status still comes from statusOf.
type scimError struct {
	scimType string
	err      error
}

func (e *scimError) Error() string { return e.err.Error() }
func (e *scimError) Unwrap() error { return e.err }

// typed returns err with a scimType. Use it with steward.E for the kind:
//
//	typed(typeInvalidFilter, steward.E(op, steward.Invalid, "bad filter"))
func typed(scimType string, err error) error { return &scimError{scimType: scimType, err: err} }

// invalid is the common case: an Invalid error with a scimType.
func invalid(op steward.Op, scimType, msg string) error {
	return typed(scimType, steward.E(op, steward.Invalid, msg))
}

// statusOf is the one table from error kinds to HTTP statuses for SCIM,
// with the scimType a kind implies when the error names none. Kinds not
// listed are internal errors.
var statusOf = map[steward.Kind]struct {
	status   int
	scimType string
}{
	steward.Invalid:         {http.StatusBadRequest, typeInvalidValue},
	steward.NotFound:        {http.StatusNotFound, ""},
	steward.Conflict:        {http.StatusConflict, typeUniqueness},
	steward.Unauthenticated: {http.StatusUnauthorized, ""},
	steward.Permission:      {http.StatusForbidden, ""},
	steward.Unavailable:     {http.StatusServiceUnavailable, ""},
	steward.TooLarge:        {http.StatusRequestEntityTooLarge, ""},
	// A deleted employee answers as if it never existed (RFC 7644 §3.6).
	steward.Gone: {http.StatusNotFound, ""},
}

// errorBody is the SCIM error response (RFC 7644 §3.12). Status is a
// string there, not a number.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// errorResponse returns the status and body for err, with the status
// override if it is not 0. Internal errors say only "internal error"; the
// caller logs the detail.
func errorResponse(err error, override int) (int, errorBody) {
	st, ok := statusOf[steward.KindOf(err)]
	if !ok {
		st.status = http.StatusInternalServerError
	}
	var se *scimError
	if errors.As(err, &se) && ok {
		st.scimType = se.scimType
	} else if override != 0 {
		st.scimType = "" // 405 and 415 have no scimType
	}
	if override != 0 {
		st.status = override
	}
	return st.status, errorBody{
		Schemas:  []string{URNError},
		Status:   strconv.Itoa(st.status),
		ScimType: st.scimType,
		Detail:   steward.PublicMessage(err),
	}
}

// writeError answers with err in the SCIM error form.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErrorStatus(w, r, 0, err)
}

// writeErrorStatus is writeError with a status no kind describes (405,
// 415); 0 means the status follows the kind.
func (s *Server) writeErrorStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	st, body := errorResponse(err, status)
	if st >= 500 && st != http.StatusServiceUnavailable {
		s.logger().Error("scim request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.logger().Debug("scim request refused", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	switch st {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="steward-scim"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, st, body)
}
