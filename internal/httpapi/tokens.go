package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Name   string          `json:"name"`
	Scopes []steward.Scope `json:"scopes"`
	TTL    string          `json:"ttl,omitempty"` // Go duration, e.g. "720h"; empty = no expiry
	// EmployeeID is whom an inbox token acts for (required with "inbox").
	EmployeeID string `json:"employee_id,omitempty"`
}

// TokenResponse carries a new token's secret, shown this once only.
type TokenResponse struct {
	Token  string         `json:"token"`
	Detail *steward.Token `json:"detail"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Store.Tokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

// createToken is POST /api/v1/tokens. Audited.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createToken"
	var req TokenRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			s.writeError(w, r, steward.E(op, steward.Invalid, "ttl is not a duration such as 720h"))
			return
		}
		ttl = d
	}
	// Separation of duties: administering Steward must not be a way to
	// read content or the audit trail, nor to destroy records. Such
	// tokens are issued on the host (`steward token create`, itself
	// audited) or come from roles.
	for _, sc := range req.Scopes {
		if sc == steward.ScopeRead || sc == steward.ScopeAudit || sc == steward.ScopeCompliance || sc == steward.ScopeRecords ||
			sc == steward.ScopeDiscovery || sc == steward.ScopeFOIA {
			s.writeError(w, r, steward.Errorf(op, steward.Permission,
				"a %q token cannot be issued through the API: issue it on the host with `steward token create`, or map the reader's group to a role", sc))
			return
		}
	}
	if req.EmployeeID != "" {
		if _, err := s.Store.EmployeeByID(r.Context(), req.EmployeeID); err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
	}
	spec := steward.TokenSpec{Name: req.Name, Scopes: req.Scopes, EmployeeID: req.EmployeeID, TTL: ttl}
	secret, t, err := s.Pipeline.IssueToken(r.Context(), s.Store, actor(r.Context()), spec, s.now())
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, TokenResponse{Token: secret, Detail: t})
}

// revokeToken is DELETE /api/v1/tokens/{id}. Audited.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.revokeToken"
	id := r.PathValue("id")
	if err := s.Pipeline.RevokeToken(r.Context(), s.Store, actor(r.Context()), id, s.now()); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

func urlPathEscape(s string) string { return url.PathEscape(s) }
