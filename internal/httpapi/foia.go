package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/foia"
	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/steward"
)

// FOIARequestBody is the body of POST /api/v1/foia/requests: a request as
// it arrived. ID is the agency's tracking number, or empty for a new one.
type FOIARequestBody struct {
	ID                string                  `json:"id,omitempty"`
	Requester         steward.FOIARequester   `json:"requester"`
	Description       string                  `json:"description"`
	FeeCategory       steward.FOIAFeeCategory `json:"fee_category,omitempty"`
	ReceivedAt        time.Time               `json:"received_at"`
	FirstReceivedAt   time.Time               `json:"first_received_at,omitzero"`
	ExpediteRequested bool                    `json:"expedite_requested,omitempty"`
	Track             steward.FOIATrack       `json:"track,omitempty"` // simple (default) or complex
	CaseID            string                  `json:"case_id,omitempty"`
}

// FOIAEventBody is the body of POST /api/v1/foia/requests/{id}/events.
// Kind is a steward.FOIAEventKind or "withdrawn"; At defaults to now.
// Version, if set, is the version of the request the event was decided
// on: a request moved since is a conflict.
type FOIAEventBody struct {
	Kind          steward.FOIAEventKind     `json:"kind"`
	At            time.Time                 `json:"at,omitzero"`
	Toll          steward.FOIATollReason    `json:"toll,omitempty"`
	Days          int                       `json:"days,omitempty"`
	Circumstance  steward.FOIACircumstance  `json:"circumstance,omitempty"`
	Track         steward.FOIATrack         `json:"track,omitempty"`
	Disposition   steward.FOIADisposition   `json:"disposition,omitempty"`
	AppealOutcome steward.FOIAAppealOutcome `json:"appeal_outcome,omitempty"`
	Version       int                       `json:"version,omitempty"`
}

// FOIADueBody is the answer of GET /api/v1/foia/reports/due.
type FOIADueBody struct {
	AsOf time.Time     `json:"as_of"`
	Rows []foia.DueRow `json:"rows"`
}

// foiaService returns the FOIA service, or Unavailable when the server
// was built without one.
func (s *Server) foiaService(op steward.Op) (*foiasvc.Service, error) {
	if s.FOIA == nil {
		return nil, steward.E(op, steward.Unavailable, "FOIA requests are not available here")
	}
	return s.FOIA, nil
}

// listFOIARequests is GET /api/v1/foia/requests: requests in ID order,
// ?status= (repeatable), ?open=true, ?case=, ?after= and ?limit= as in
// steward.FOIARequestFilter. Not audited: the FOIA log is agency business.
func (s *Server) listFOIARequests(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listFOIARequests"
	svc, err := s.foiaService(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	f := steward.FOIARequestFilter{OpenOnly: q.Get("open") == "true", CaseID: q.Get("case"), After: q.Get("after"), Limit: limit}
	for _, st := range q["status"] {
		f.Status = append(f.Status, steward.FOIAStatus(st))
	}
	rs, err := svc.Requests(r.Context(), f)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if rs == nil {
		rs = []*steward.FOIARequest{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rs})
}

// createFOIARequest is POST /api/v1/foia/requests. Audited.
func (s *Server) createFOIARequest(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createFOIARequest"
	svc, err := s.foiaService(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b FOIARequestBody
	if err := decodeJSON(r.Body, 256<<10, &b); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	req, err := svc.Create(r.Context(), principal(r.Context()), steward.FOIARequest{ID: b.ID, Requester: b.Requester,
		Description: b.Description, FeeCategory: b.FeeCategory, ReceivedAt: b.ReceivedAt, FirstReceivedAt: b.FirstReceivedAt,
		ExpediteRequested: b.ExpediteRequested, InitialTrack: b.Track, CaseID: b.CaseID})
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, req)
}

// getFOIARequest is GET /api/v1/foia/requests/{id}: the request, its
// history and its clock as of now.
func (s *Server) getFOIARequest(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getFOIARequest"
	svc, err := s.foiaService(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := svc.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// addFOIAEvent is POST /api/v1/foia/requests/{id}/events: 201 with the
// request as it stands after the event; 409 for an event the lifecycle or
// the clock does not allow now. Audited.
func (s *Server) addFOIAEvent(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.addFOIAEvent"
	svc, err := s.foiaService(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b FOIAEventBody
	if err := decodeJSON(r.Body, 16<<10, &b); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ev := steward.FOIAEvent{Kind: b.Kind, At: b.At, Toll: b.Toll, Days: b.Days, Circumstance: b.Circumstance,
		Track: b.Track, Disposition: b.Disposition, AppealOutcome: b.AppealOutcome}
	req, err := svc.Record(r.Context(), principal(r.Context()), r.PathValue("id"), ev, b.Version)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, req)
}

// foiaDueReport is GET /api/v1/foia/reports/due?within=N: pending
// deadlines due within N working days, overdue ones included; every
// pending deadline without within.
func (s *Server) foiaDueReport(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.foiaDueReport"
	svc, err := s.foiaService(op)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	within := -1
	if v := r.URL.Query().Get("within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			s.writeError(w, r, steward.E(op, steward.Invalid, "within must be a number of working days from 0 to 10000"))
			return
		}
		within = n
	}
	rows, err := svc.Due(r.Context(), within)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, FOIADueBody{AsOf: s.now().UTC(), Rows: rows})
}
