package httpapi

import (
	"net/http"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// RoleMappingsBody is the body of GET and PUT /api/v1/role-mappings.
type RoleMappingsBody struct {
	Mappings []steward.RoleMapping `json:"mappings"`
}

// listRoleMappings is GET /api/v1/role-mappings. Not audited: no content.
func (s *Server) listRoleMappings(w http.ResponseWriter, r *http.Request) {
	ms, err := s.Store.RoleMappings(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listRoleMappings"), err))
		return
	}
	writeJSON(w, http.StatusOK, RoleMappingsBody{Mappings: ms})
}

// putRoleMappings is PUT /api/v1/role-mappings: the mappings are replaced
// as a whole. Audited (role_mappings.set) after the change.
func (s *Server) putRoleMappings(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putRoleMappings"
	var req struct {
		Mappings *[]steward.RoleMapping `json:"mappings"`
	}
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if req.Mappings == nil {
		s.writeError(w, r, steward.E(op, steward.Invalid, "mappings is required (an empty list removes every mapping)"))
		return
	}
	if err := s.Store.SetRoleMappings(r.Context(), *req.Mappings); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ms, err := s.Store.RoleMappings(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	details := make([]map[string]string, 0, len(ms))
	for _, m := range ms {
		details = append(details, map[string]string{"group": m.Group, "role": string(m.Role)})
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "role_mappings.set",
		Details: map[string]any{"mappings": details}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, RoleMappingsBody{Mappings: ms})
}
