package httpapi

import (
	"net/http"
	"strings"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// EmployeeRequest is the body of POST /api/v1/employees, for installations
// without an identity provider; SCIM provisioning will create the same
// records.
type EmployeeRequest struct {
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Department  string `json:"department,omitempty"`
	Title       string `json:"title,omitempty"`
	Seniority   string `json:"seniority,omitempty"`
	// ManagerID is the manager's employee id: who approves this
	// employee's requests. Provisioned employees get it from SCIM.
	ManagerID string `json:"manager_id,omitempty"`
}

// IdentityRequest is the body of PUT /api/v1/employees/{id}/identities:
// the employee's work identity on a channel.
type IdentityRequest struct {
	Channel string               `json:"channel"`
	Address string               `json:"address"`
	Mode    steward.IdentityMode `json:"mode"`
}

// createEmployee is POST /api/v1/employees. Audited.
func (s *Server) createEmployee(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createEmployee"
	var req EmployeeRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	e := &steward.Employee{UserName: strings.TrimSpace(req.UserName), DisplayName: strings.TrimSpace(req.DisplayName),
		Email: req.Email, Department: req.Department, Title: req.Title, Seniority: req.Seniority, Active: true,
		ManagerID: req.ManagerID}
	if e.UserName == "" || e.DisplayName == "" || len(e.UserName) > 256 || len(e.DisplayName) > 256 {
		s.writeError(w, r, steward.E(op, steward.Invalid, "user_name and display_name are required (at most 256 bytes)"))
		return
	}
	if err := s.Store.CreateEmployee(r.Context(), e); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "employee.create",
		Subject: e.ID, Details: map[string]any{"user_name": e.UserName}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// listEmployees is GET /api/v1/employees.
func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request) {
	es, err := s.Store.Employees(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"employees": es})
}

// EmployeeResponse is an employee with their work identities.
type EmployeeResponse struct {
	*steward.Employee
	Identities []*steward.Identity `json:"identities"`
}

// getEmployee is GET /api/v1/employees/{id}.
func (s *Server) getEmployee(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getEmployee"
	e, err := s.Store.EmployeeByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ids, err := s.Store.IdentitiesByEmployee(r.Context(), e.ID)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if ids == nil {
		ids = []*steward.Identity{}
	}
	writeJSON(w, http.StatusOK, EmployeeResponse{Employee: e, Identities: ids})
}

// putIdentity is PUT /api/v1/employees/{id}/identities: gives the employee
// a work identity on a channel, or changes the mode of the one they hold
// at that address. Audited. A governed identity is active at once; a
// linked one waits for the device link (pending_link).
func (s *Server) putIdentity(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putIdentity"
	var req IdentityRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ch := steward.Channel(strings.ToLower(strings.TrimSpace(req.Channel)))
	addr := strings.TrimSpace(req.Address)
	if ch == "" || addr == "" || len(addr) > 64 || strings.ContainsAny(addr, " \t\r\n") {
		s.writeError(w, r, steward.E(op, steward.Invalid, "channel and address are required; address has no spaces"))
		return
	}
	status := steward.IdentityActive
	switch req.Mode {
	case steward.IdentityGoverned:
	case steward.IdentityLinked:
		status = steward.IdentityPendingLink
	default:
		s.writeError(w, r, steward.E(op, steward.Invalid, "mode must be governed or linked"))
		return
	}
	e, err := s.Store.EmployeeByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	id, err := s.Store.IdentityByAddress(r.Context(), ch, addr)
	code := http.StatusOK
	switch {
	case err == nil && id.EmployeeID != e.ID:
		s.writeError(w, r, steward.E(op, steward.Conflict, "that address is another employee's work identity"))
		return
	case err == nil:
		id.Mode, id.Status, id.UpdatedAt = req.Mode, status, s.now().UTC()
		err = s.Store.UpdateIdentity(r.Context(), id)
	case steward.Is(steward.NotFound, err):
		id = &steward.Identity{EmployeeID: e.ID, Channel: ch, Address: addr, Mode: req.Mode, Status: status}
		err = s.Store.CreateIdentity(r.Context(), id)
		code = http.StatusCreated
	}
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if s.DirectoryChanged != nil {
		s.DirectoryChanged()
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "identity.put",
		Subject: id.ID, Details: map[string]any{"employee_id": e.ID, "channel": string(ch), "address": addr, "mode": string(req.Mode)}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, code, id)
}

// SuccessorRequest is the body of PUT /api/v1/employees/{id}/successor.
type SuccessorRequest struct {
	// SuccessorID takes over the employee's conversations and group admin
	// rights when they leave; empty clears it (the manager then does).
	SuccessorID string `json:"successor_id"`
}

// putSuccessor is PUT /api/v1/employees/{id}/successor. Audited.
func (s *Server) putSuccessor(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putSuccessor"
	var req SuccessorRequest
	if err := decodeJSON(r.Body, 4<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	id := r.PathValue("id")
	if err := s.Store.SetSuccessor(r.Context(), id, req.SuccessorID); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "employee.successor.set",
		Subject: id, Details: map[string]any{"successor_id": req.SuccessorID}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"employee_id": id, "successor_id": req.SuccessorID})
}
