package httpapi

import (
	"net/http"
	"strconv"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/steward"
)

// PoliciesBody is the answer of GET /api/v1/policies.
type PoliciesBody struct {
	Policies   []*steward.Policy `json:"policies"`
	SetVersion int64             `json:"set_version"`
}

// listPolicies is GET /api/v1/policies: the policies in force.
func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps, v, err := s.Store.Policies(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listPolicies"), err))
		return
	}
	if ps == nil {
		ps = []*steward.Policy{}
	}
	writeJSON(w, http.StatusOK, PoliciesBody{Policies: ps, SetVersion: v})
}

// createPolicy is POST /api/v1/policies. The condition is compiled and
// type-checked before anything is stored; a bad one is 400 with the
// compiler's message. Audited.
func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createPolicy"
	var p steward.Policy
	if err := decodeJSON(r.Body, 64<<10, &p); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	p.ID, p.Version, p.Deleted = "", 0, false
	saved, err := s.Compliance.SavePolicy(r.Context(), actor(r.Context()), &p)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

// getPolicy is GET /api/v1/policies/{id}, with ?history=true every version.
func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getPolicy"
	if r.URL.Query().Get("history") == "true" {
		h, err := s.Store.PolicyHistory(r.Context(), r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"versions": h})
		return
	}
	p, err := s.Store.PolicyByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// putPolicy is PUT /api/v1/policies/{id}: a new version. The body's
// version must be the current one (409 otherwise). Audited.
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putPolicy"
	var p steward.Policy
	if err := decodeJSON(r.Body, 64<<10, &p); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Store.PolicyByID(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	p.ID, p.Deleted = r.PathValue("id"), false
	saved, err := s.Compliance.SavePolicy(r.Context(), actor(r.Context()), &p)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

// deletePolicy is DELETE /api/v1/policies/{id}?version=N: retires the
// policy (its history stays). Audited.
func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.deletePolicy"
	v, err := strconv.Atoi(r.URL.Query().Get("version"))
	if err != nil || v < 1 {
		s.writeError(w, r, steward.E(op, steward.Invalid, "say which version you are deleting: ?version=N"))
		return
	}
	if err := s.Compliance.DeletePolicy(r.Context(), actor(r.Context()), r.PathValue("id"), v); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// dryRun is POST /api/v1/policies/dry-run: what proposed policies would
// have done to the archive's recent messages. Reads content: compliance
// officers only, audited.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.dryRun"
	var req compliance.DryRunRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	rep, err := s.Compliance.DryRun(r.Context(), actor(r.Context()), req)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// listDetectors is GET /api/v1/dlp/detectors: the custom detectors.
func (s *Server) listDetectors(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Store.Detectors(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listDetectors"), err))
		return
	}
	if ds == nil {
		ds = []*steward.CustomDetector{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"detectors": ds})
}

// saveDetector is POST /api/v1/dlp/detectors (new) and PUT
// /api/v1/dlp/detectors/{id} (new version). Audited.
func (s *Server) saveDetector(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.saveDetector"
	var d steward.CustomDetector
	if err := decodeJSON(r.Body, 1<<20, &d); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	status := http.StatusCreated
	d.ID = ""
	if id := r.PathValue("id"); id != "" {
		if _, err := s.Store.DetectorByID(r.Context(), id); err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		d.ID, status = id, http.StatusOK
	} else {
		d.Version = 0
	}
	saved, err := s.Compliance.SaveDetector(r.Context(), actor(r.Context()), &d)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, status, saved)
}

// EDMBody is the body of PUT /api/v1/dlp/detectors/{id}/edm: the hex
// SHA-256 of each normalized sensitive value, as `steward dlp edm-hash`
// prints them. The values themselves never reach Steward.
type EDMBody struct {
	Hashes []string `json:"hashes"`
}

// putEDM is PUT /api/v1/dlp/detectors/{id}/edm. Audited (a count only).
func (s *Server) putEDM(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putEDM"
	var body EDMBody
	if err := decodeJSON(r.Body, 64<<20, &body); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	n, err := s.Compliance.SetEDMHashes(r.Context(), actor(r.Context()), r.PathValue("id"), body.Hashes)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"values": n})
}

// listReview is GET /api/v1/review: the queue, filtered by state,
// quarantine, assignee (an employee id, or "me") and policy, paged with
// ?after=ID&limit=N.
func (s *Server) listReview(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listReview"
	q := r.URL.Query()
	f := steward.ReviewFilter{State: steward.ReviewState(q.Get("state")), Quarantine: steward.QuarantineState(q.Get("quarantine")),
		Assignee: q.Get("assignee"), PolicyID: q.Get("policy"), After: q.Get("after")}
	if f.Assignee == "me" {
		if f.Assignee = employeeOf(r); f.Assignee == "" {
			s.writeError(w, r, steward.E(op, steward.Invalid, "assignee=me needs a token acting for an employee"))
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			s.writeError(w, r, steward.E(op, steward.Invalid, "limit is a number"))
			return
		}
		f.Limit = n
	}
	items, err := s.Store.ReviewItems(r.Context(), f)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if items == nil {
		items = []*steward.ReviewItem{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// getReview is GET /api/v1/review/{id}: the item with its message in
// context. A read of content for the review: audited.
func (s *Server) getReview(w http.ResponseWriter, r *http.Request) {
	v, err := s.Compliance.Review(r.Context(), actor(r.Context()), employeeOf(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getReview"), err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// actReview is POST /api/v1/review/{id}/actions: assign, escalate,
// resolve, release, reject or reopen. Audited with its note.
func (s *Server) actReview(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.actReview"
	var a compliance.ReviewAction
	if err := decodeJSON(r.Body, 64<<10, &a); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	it, err := s.Compliance.Act(r.Context(), actor(r.Context()), employeeOf(r), r.PathValue("id"), a)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// reviewStats is GET /api/v1/review/stats: each rule's hit rate,
// reviewer outcomes and the silent-rule alarm. Counts only, no content.
func (s *Server) reviewStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.Compliance.RuleStats(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.reviewStats"), err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": st})
}

// SuppressionRequest is the body of POST /api/v1/suppressions. For
// kind "value", Value is the matched value in the clear; only its keyed
// digest is stored.
type SuppressionRequest struct {
	PolicyID string                  `json:"policy_id"`
	Kind     steward.SuppressionKind `json:"kind"`
	Value    string                  `json:"value"`
	Reason   string                  `json:"reason"`
	Days     int                     `json:"days,omitempty"` // expires after; 0 never
}

// listSuppressions is GET /api/v1/suppressions.
func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	xs, err := s.Store.Suppressions(r.Context(), s.now())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listSuppressions"), err))
		return
	}
	if xs == nil {
		xs = []*steward.Suppression{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": xs})
}

// addSuppression is POST /api/v1/suppressions. Audited.
func (s *Server) addSuppression(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.addSuppression"
	var req SuppressionRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	x := &steward.Suppression{PolicyID: req.PolicyID, Kind: req.Kind, Value: req.Value, Reason: req.Reason}
	if req.Days < 0 || req.Days > 3650 {
		s.writeError(w, r, steward.E(op, steward.Invalid, "days is between 0 (never expires) and 3650"))
		return
	}
	if req.Days > 0 {
		t := s.now().UTC().AddDate(0, 0, req.Days)
		x.ExpiresAt = &t
	}
	value := ""
	if x.Kind == steward.SuppressValue {
		value, x.Value = req.Value, ""
	}
	saved, err := s.Compliance.AddSuppression(r.Context(), actor(r.Context()), x, value)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

// deleteSuppression is DELETE /api/v1/suppressions/{id}. Audited.
func (s *Server) deleteSuppression(w http.ResponseWriter, r *http.Request) {
	if err := s.Compliance.DeleteSuppression(r.Context(), actor(r.Context()), r.PathValue("id")); err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.deleteSuppression"), err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listApprovals is GET /api/v1/approvals: requests waiting for the
// signed-in employee's answer (?state= to see answered ones).
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) {
	state := steward.ApprovalState(r.URL.Query().Get("state"))
	if state == "" {
		state = steward.ApprovalPending
	}
	as, err := s.Compliance.Approvals(r.Context(), employeeOf(r), state)
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listApprovals"), err))
		return
	}
	if as == nil {
		as = []*steward.Approval{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": as})
}

// ApprovalDecision is the body of POST /api/v1/approvals/{id}.
type ApprovalDecision struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
}

// decideApproval is POST /api/v1/approvals/{id}: the named approver says
// yes or no. On yes the group change is made at once, as the requester.
// Audited.
func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.decideApproval"
	var d ApprovalDecision
	if err := decodeJSON(r.Body, 64<<10, &d); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	a, err := s.Compliance.DecideApproval(r.Context(), employeeOf(r), r.PathValue("id"), d.Approve, d.Note)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// confirmMessage is POST /api/v1/conversations/{id}/messages/{record}/confirm:
// the sender confirms a message policy warned about, with a justification
// that is archived with it.
func (s *Server) confirmMessage(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.confirmMessage"
	var body struct {
		Justification string `json:"justification"`
	}
	if err := decodeJSON(r.Body, 64<<10, &body); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	resp, err := s.Chat.Confirm(r.Context(), employeeOf(r), r.PathValue("id"), r.PathValue("record"), body.Justification)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusAccepted, resp)
}
