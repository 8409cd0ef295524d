package httpapi

import (
	"net/http"
	"time"

	"github.com/steward-gov/steward/internal/discovery"
	"github.com/steward-gov/steward/internal/steward"
)

// CaseRequest is the body of POST /api/v1/cases and PUT
// /api/v1/cases/{id}: a case's scope, and who answers for it.
type CaseRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Owner is the counsel who answers for the case; default the employee
	// the caller's token acts for.
	Owner      string     `json:"owner,omitempty"`
	Custodians []string   `json:"custodians"`
	From       *time.Time `json:"from,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	// Hold, on creation only, also places a legal hold over the case's
	// custodians and dates, linked to it.
	Hold bool `json:"hold,omitempty"`
	// Version, on update only, is the version of the case the change was
	// made to: a case changed since is a conflict.
	Version int64 `json:"version,omitempty"`
}

func (c CaseRequest) toCase(r *http.Request) *steward.Case {
	owner := c.Owner
	if owner == "" {
		owner = employeeOf(r)
	}
	return &steward.Case{Name: c.Name, Description: c.Description, Owner: owner, Custodians: c.Custodians,
		From: c.From, Until: c.Until, Version: c.Version}
}

// CaseSearchRequest is the body of POST /api/v1/cases/{id}/search.
type CaseSearchRequest struct {
	Query string `json:"query"`
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// SavedSearchRequest is the body of POST /api/v1/cases/{id}/searches.
type SavedSearchRequest struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// discovery returns the discovery service, or Unavailable when the
// server was built without one.
func (s *Server) discovery(op steward.Op) (*discovery.Service, error) {
	if s.Discovery == nil {
		return nil, steward.E(op, steward.Unavailable, "eDiscovery is not available here")
	}
	return s.Discovery, nil
}

// listCases is GET /api/v1/cases: open cases, newest first; with
// ?closed=true closed ones too. Not audited: a case's scope is not
// content.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listCases"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs, err := d.Cases(r.Context(), r.URL.Query().Get("closed") == "true")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if cs == nil {
		cs = []*steward.Case{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cs})
}

// createCase is POST /api/v1/cases. Audited.
func (s *Server) createCase(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createCase"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req CaseRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	c, err := d.CreateCase(r.Context(), principal(r.Context()), req.toCase(r), req.Hold)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// getCase is GET /api/v1/cases/{id}.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getCase"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := d.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// putCase is PUT /api/v1/cases/{id}: a new scope for an open case, at the
// version named in the body. Audited.
func (s *Server) putCase(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putCase"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req CaseRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if req.Version < 1 {
		s.writeError(w, r, steward.E(op, steward.Invalid, "say which version of the case you changed: version"))
		return
	}
	if req.Hold {
		s.writeError(w, r, steward.E(op, steward.Invalid, "a hold is placed when a case is created, or on its own through /api/v1/holds"))
		return
	}
	c := req.toCase(r)
	c.ID = r.PathValue("id")
	c, err = d.UpdateCase(r.Context(), principal(r.Context()), c)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// closeCase is POST /api/v1/cases/{id}/close. Audited.
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.closeCase"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := d.CloseCase(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// searchCase is POST /api/v1/cases/{id}/search: a page of hits within the
// case, each with its context and highlights. A read of content, audited
// before it is answered.
func (s *Server) searchCase(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.searchCase"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req CaseSearchRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	res, err := d.Search(r.Context(), principal(r.Context()), r.PathValue("id"), req.Query, req.After, req.Limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// listSavedSearches is GET /api/v1/cases/{id}/searches.
func (s *Server) listSavedSearches(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listSavedSearches"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ss, err := d.SavedSearches(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if ss == nil {
		ss = []*steward.SavedSearch{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"searches": ss})
}

// saveSearch is POST /api/v1/cases/{id}/searches. Audited.
func (s *Server) saveSearch(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.saveSearch"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req SavedSearchRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ss, err := d.SaveSearch(r.Context(), principal(r.Context()), r.PathValue("id"), req.Name, req.Query)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, ss)
}

// deleteSavedSearch is DELETE /api/v1/cases/{id}/searches/{search}.
// Audited.
func (s *Server) deleteSavedSearch(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.deleteSavedSearch"
	d, err := s.discovery(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := d.DeleteSavedSearch(r.Context(), principal(r.Context()), r.PathValue("id"), r.PathValue("search")); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
