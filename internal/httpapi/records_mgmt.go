package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/steward"
)

// The records-management routes (issue 6): the file plan, assignment
// rules, legal holds and their notices, cutoff events, the eligibility and
// unscheduled reports, and disposition. Every change is audited by
// recordkeeping before it is stored; none of these routes returns message
// content.

// principal names the caller in records workflows and in their audit
// records: the employee a token acts for, so that one person is one
// approver whichever token they use (the two-person rule compares these),
// or else the machine token itself.
func principal(ctx context.Context) string {
	t := tokenFrom(ctx)
	switch {
	case t == nil:
		return "anonymous"
	case t.EmployeeID != "":
		return t.EmployeeID
	}
	return "token:" + t.ID + " (" + t.Name + ")"
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, steward.Errorf(steward.Op("httpapi.queryInt"), steward.Invalid, "%s must be a non-negative whole number", name)
	}
	return n, nil
}

// queryVersion reads the ?version=N a retirement must name.
func queryVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.URL.Query().Get("version"))
	if err != nil || v < 1 {
		return 0, steward.E(steward.Op("httpapi.queryVersion"), steward.Invalid, "say which version you are deleting: ?version=N")
	}
	return v, nil
}

// ScheduleBody is the answer of GET /api/v1/schedules.
type ScheduleBody struct {
	Version int64                  `json:"version"`
	Items   []steward.ScheduleItem `json:"items"`
}

// listSchedules is GET /api/v1/schedules: the file plan in force.
func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	sched, err := s.Store.Schedule(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listSchedules"), err))
		return
	}
	if sched.Items == nil {
		sched.Items = []steward.ScheduleItem{}
	}
	writeJSON(w, http.StatusOK, ScheduleBody{Version: sched.Version, Items: sched.Items})
}

// getSchedule is GET /api/v1/schedules/{id}: the item's current version,
// deleted or not; with ?history=true every version, oldest first.
func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	h, err := s.Store.ScheduleItemHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getSchedule"), err))
		return
	}
	if r.URL.Query().Get("history") == "true" {
		writeJSON(w, http.StatusOK, map[string]any{"versions": h})
		return
	}
	writeJSON(w, http.StatusOK, h[len(h)-1])
}

// putSchedule is PUT /api/v1/schedules/{id}: a new item (version 0) or
// the item's next version. Audited.
func (s *Server) putSchedule(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putSchedule"
	var it steward.ScheduleItem
	if err := decodeJSON(r.Body, 64<<10, &it); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	it.ID, it.Deleted = r.PathValue("id"), false
	saved, err := s.Records.SaveItem(r.Context(), principal(r.Context()), &it)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	status := http.StatusOK
	if saved.Version == 1 {
		status = http.StatusCreated
	}
	writeJSON(w, status, saved)
}

// deleteSchedule is DELETE /api/v1/schedules/{id}?version=N. Audited.
func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.deleteSchedule"
	v, err := queryVersion(r)
	if err == nil {
		err = s.Records.DeleteItem(r.Context(), principal(r.Context()), r.PathValue("id"), v)
	}
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RulesBody is the answer of GET /api/v1/assignment-rules.
type RulesBody struct {
	Rules      []*steward.AssignmentRule `json:"rules"`
	SetVersion int64                     `json:"set_version"`
}

// listRules is GET /api/v1/assignment-rules: the rules in force, in the
// order they run.
func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	rs, v, err := s.Store.AssignmentRules(r.Context())
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listRules"), err))
		return
	}
	if rs == nil {
		rs = []*steward.AssignmentRule{}
	}
	writeJSON(w, http.StatusOK, RulesBody{Rules: rs, SetVersion: v})
}

// createRule is POST /api/v1/assignment-rules. The condition is compiled
// before anything is stored. Audited.
func (s *Server) createRule(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createRule"
	var rule steward.AssignmentRule
	if err := decodeJSON(r.Body, 64<<10, &rule); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	rule.ID, rule.Version, rule.Deleted = "", 0, false
	saved, err := s.Records.SaveRule(r.Context(), principal(r.Context()), &rule)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, saved)
}

// putRule is PUT /api/v1/assignment-rules/{id}: the rule's next version.
// Audited.
func (s *Server) putRule(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putRule"
	var rule steward.AssignmentRule
	if err := decodeJSON(r.Body, 64<<10, &rule); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Records.Rule(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	rule.ID, rule.Deleted = r.PathValue("id"), false
	saved, err := s.Records.SaveRule(r.Context(), principal(r.Context()), &rule)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

// deleteRule is DELETE /api/v1/assignment-rules/{id}?version=N. Audited.
func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.deleteRule"
	v, err := queryVersion(r)
	if err == nil {
		err = s.Records.DeleteRule(r.Context(), principal(r.Context()), r.PathValue("id"), v)
	}
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// AssignmentBody is the answer of GET and PUT
// /api/v1/records/{id}/assignment.
type AssignmentBody struct {
	RecordID string                     `json:"record_id"`
	Current  steward.RecordAssignment   `json:"current"`
	History  []steward.RecordAssignment `json:"history"`
}

// getAssignment is GET /api/v1/records/{id}/assignment: the record's
// schedule assignment and every earlier one. Metadata only: not a read of
// content.
func (s *Server) getAssignment(w http.ResponseWriter, r *http.Request) {
	h, err := s.Records.Assignment(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getAssignment"), err))
		return
	}
	writeJSON(w, http.StatusOK, AssignmentBody{RecordID: r.PathValue("id"), Current: h[len(h)-1], History: h})
}

// ReassignRequest is the body of PUT /api/v1/records/{id}/assignment.
type ReassignRequest struct {
	ItemID string `json:"item_id"`
	Reason string `json:"reason"`
}

// putAssignment is PUT /api/v1/records/{id}/assignment: the record, with
// its attachments and policy decision, moves to another item. Audited.
func (s *Server) putAssignment(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putAssignment"
	var req ReassignRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	id := r.PathValue("id")
	if _, err := s.Records.Reassign(r.Context(), principal(r.Context()), id, req.ItemID, req.Reason); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	h, err := s.Records.Assignment(r.Context(), id)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, AssignmentBody{RecordID: id, Current: h[len(h)-1], History: h})
}

// HoldRequest is the body of POST /api/v1/holds and of POST
// /api/v1/holds/preview: a hold's scope, and who answers for it.
type HoldRequest struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Owner is the employee who answers for the hold; default the
	// employee the caller's token acts for.
	Owner         string     `json:"owner,omitempty"`
	Custodians    []string   `json:"custodians,omitempty"`
	Conversations []string   `json:"conversations,omitempty"`
	From          *time.Time `json:"from,omitempty"`
	Until         *time.Time `json:"until,omitempty"`
	Query         string     `json:"query,omitempty"`
}

func (h HoldRequest) hold(r *http.Request) *steward.Hold {
	owner := h.Owner
	if owner == "" {
		owner = employeeOf(r)
	}
	return &steward.Hold{Name: h.Name, Reason: h.Reason, Owner: owner, Custodians: h.Custodians,
		Conversations: h.Conversations, From: h.From, Until: h.Until, Query: h.Query}
}

// listHolds is GET /api/v1/holds: holds in force, newest first; with
// ?released=true released ones too.
func (s *Server) listHolds(w http.ResponseWriter, r *http.Request) {
	hs, err := s.Store.Holds(r.Context(), r.URL.Query().Get("released") == "true")
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listHolds"), err))
		return
	}
	if hs == nil {
		hs = []*steward.Hold{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": hs})
}

// createHold is POST /api/v1/holds: a legal hold, in force at once; its
// custodians are sent a notice. Audited.
func (s *Server) createHold(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createHold"
	var req HoldRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	h, err := s.Records.CreateHold(r.Context(), principal(r.Context()), req.hold(r))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

// getHold is GET /api/v1/holds/{id}: a hold with its notices.
func (s *Server) getHold(w http.ResponseWriter, r *http.Request) {
	h, err := s.Records.Hold(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getHold"), err))
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// ReasonRequest is the body of the routes that end something for a
// reason: releasing a hold, cancelling a batch.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// releaseHold is POST /api/v1/holds/{id}/release. Audited.
func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.releaseHold"
	var req ReasonRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	h, err := s.Records.ReleaseHold(r.Context(), principal(r.Context()), r.PathValue("id"), req.Reason)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// previewHold is GET /api/v1/holds/{id}/preview: which records the hold
// covers now.
func (s *Server) previewHold(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.previewHold"
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	p, err := s.Records.PreviewHold(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// previewDraftHold is POST /api/v1/holds/preview: which records a hold
// with this scope would cover, before it is placed.
func (s *Server) previewDraftHold(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.previewDraftHold"
	var req HoldRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	p, err := s.Records.PreviewDraft(r.Context(), req.hold(r), limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// listHoldNotices is GET /api/v1/hold-notices: the hold notices sent to
// the signed-in employee; with ?released=true those of released holds too.
func (s *Server) listHoldNotices(w http.ResponseWriter, r *http.Request) {
	ns, err := s.Records.Notices(r.Context(), employeeOf(r), r.URL.Query().Get("released") == "true")
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listHoldNotices"), err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

// acknowledgeHoldNotice is POST /api/v1/hold-notices/{id}/acknowledge:
// the signed-in employee acknowledges the notice of hold {id}. The
// acknowledgement is archived.
func (s *Server) acknowledgeHoldNotice(w http.ResponseWriter, r *http.Request) {
	n, err := s.Records.Acknowledge(r.Context(), employeeOf(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.acknowledgeHoldNotice"), err))
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// listCutoffEvents is GET /api/v1/cutoff-events?subject=: the dated
// events of a subject.
func (s *Server) listCutoffEvents(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listCutoffEvents"
	sub := r.URL.Query().Get("subject")
	if strings.TrimSpace(sub) == "" {
		s.writeError(w, r, steward.E(op, steward.Invalid, "say whose events: ?subject= a record, conversation or employee id"))
		return
	}
	es, err := s.Store.CutoffEvents(r.Context(), sub)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if es == nil {
		es = []*steward.CutoffEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": es})
}

// CutoffEventRequest is the body of POST /api/v1/cutoff-events.
type CutoffEventRequest struct {
	Name    string    `json:"name"`
	Subject string    `json:"subject"`
	At      time.Time `json:"at"`
}

// addCutoffEvent is POST /api/v1/cutoff-events: the date an event
// happened, from which event-based cutoffs run. Audited.
func (s *Server) addCutoffEvent(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.addCutoffEvent"
	var req CutoffEventRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	e, err := s.Records.RecordEvent(r.Context(), principal(r.Context()),
		&steward.CutoffEvent{Name: req.Name, Subject: req.Subject, At: req.At})
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

// eligibilityReport is GET /api/v1/reports/eligibility: what may be
// destroyed or transferred now, and why.
func (s *Server) eligibilityReport(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.eligibilityReport"
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	rep, err := s.Records.Report(r.Context(), recordkeeping.ReportQuery{Action: steward.DispositionAction(q.Get("action")),
		ItemID: q.Get("item"), All: q.Get("all") == "true", Limit: limit})
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// unscheduledReport is GET /api/v1/reports/unscheduled: records no rule
// could place.
func (s *Server) unscheduledReport(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.unscheduledReport"
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	as, err := s.Records.Unscheduled(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": as})
}

// listBatches is GET /api/v1/disposition/batches[?state=].
func (s *Server) listBatches(w http.ResponseWriter, r *http.Request) {
	bs, err := s.Records.Batches(r.Context(), steward.BatchState(r.URL.Query().Get("state")))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.listBatches"), err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": bs})
}

// proposeBatch is POST /api/v1/disposition/batches. Audited.
func (s *Server) proposeBatch(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.proposeBatch"
	var req recordkeeping.ProposeRequest
	if err := decodeJSON(r.Body, 8<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	b, err := s.Records.Propose(r.Context(), principal(r.Context()), req)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

// getBatch is GET /api/v1/disposition/batches/{id}.
func (s *Server) getBatch(w http.ResponseWriter, r *http.Request) {
	b, err := s.Records.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getBatch"), err))
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// approveBatch is POST /api/v1/disposition/batches/{id}/approve. Audited.
func (s *Server) approveBatch(w http.ResponseWriter, r *http.Request) {
	b, err := s.Records.Approve(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.approveBatch"), err))
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// cancelBatch is POST /api/v1/disposition/batches/{id}/cancel. Audited.
func (s *Server) cancelBatch(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.cancelBatch"
	var req ReasonRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	b, err := s.Records.Cancel(r.Context(), principal(r.Context()), r.PathValue("id"), req.Reason)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// executeBatch is POST /api/v1/disposition/batches/{id}/execute. Audited;
// destroys content.
func (s *Server) executeBatch(w http.ResponseWriter, r *http.Request) {
	x, err := s.Records.Execute(r.Context(), principal(r.Context()), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.executeBatch"), err))
		return
	}
	writeJSON(w, http.StatusOK, ExecutionBody{Batch: x.Batch, Certificate: certificateBody(x.Certificate),
		Shredded: x.Shredded, WALPending: x.WALPending})
}

// ExecutionBody is the answer of POST
// /api/v1/disposition/batches/{id}/execute.
type ExecutionBody struct {
	Batch       *steward.DispositionBatch `json:"batch"`
	Certificate CertificateBody           `json:"certificate"`
	Shredded    int                       `json:"shredded"`
	WALPending  bool                      `json:"wal_pending,omitempty"`
}

// CertificateBody is a signed certificate of disposition: the C2SP signed
// note, verbatim, whose text is the certificate's canonical encoding.
type CertificateBody struct {
	BatchID   string    `json:"batch_id"`
	Note      string    `json:"note"`
	RecordID  string    `json:"record_id"`
	CreatedAt time.Time `json:"created_at"`
}

func certificateBody(c *steward.SignedCertificate) CertificateBody {
	return CertificateBody{BatchID: c.BatchID, Note: string(c.Note), RecordID: c.RecordID, CreatedAt: c.CreatedAt}
}

// getCertificate is GET /api/v1/disposition/batches/{id}/certificate:
// the batch's signed certificate; with Accept: text/plain the bare note,
// ready for a verifier.
func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request) {
	c, err := s.Records.Certificate(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getCertificate"), err))
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(c.Note)
		return
	}
	writeJSON(w, http.StatusOK, certificateBody(c))
}
