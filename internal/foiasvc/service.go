// Package foiasvc works Freedom of Information Act requests (issue 7): it
// takes them in, records what happens to them, and answers with their
// statutory clock and the report of what falls due. The rules are package
// foia's; this package reads and writes the store around them and audits
// every change.
//
// A request's history is the only source of its status and its clock:
// each event is checked by foia.Apply against the stored history before it
// is appended, and the clock is recomputed from the history on every read,
// at the time of the read.
package foiasvc

import (
	"context"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/foia"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// EventWithdrawn is the kind a caller may give to record that the
// requester withdrew the request. It is stored as a final response with
// the disposition withdrawn, which is how the annual report counts it.
const EventWithdrawn steward.FOIAEventKind = "withdrawn"

// Service keeps FOIA requests. Set the fields, then use it from any
// goroutine.
type Service struct {
	Store    steward.FOIARequestStore
	Pipeline *pipeline.Pipeline // for audit records
	// Calendar is the agency's: zone, cutoff and closures. The zero
	// Calendar counts in UTC; build the agency's with foia.NewCalendar.
	Calendar foia.Calendar
	Now      func() time.Time
}

// Request is a request as the API shows it: the request, its history,
// and its clock at the moment it was read.
type Request struct {
	Request steward.FOIARequest `json:"request"`
	Clock   foia.Clock          `json:"clock"`
	Events  []steward.FOIAEvent `json:"events"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) audit(ctx context.Context, actor, action, subject string, details map[string]any) error {
	_, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
	return err
}

// Create takes in a new request. A request without an ID gets a new one;
// agencies that number their requests ("2026-FOIA-00123") give their own.
// Intake fields are vetted by foia.Intake; the creator, the creation time
// and the snapshot are set here. An ID may not hold / ? # or %: it is a
// path segment of the API. Audited (foia.request.create) before it
// is stored, the requester's details with it. Returns Invalid or TooLarge
// (a field, see foia.Intake), Conflict if the ID is taken.
func (s *Service) Create(ctx context.Context, actor string, r steward.FOIARequest) (*Request, error) {
	const op steward.Op = "foiasvc.Create"
	if strings.TrimSpace(r.ID) == "" {
		r.ID = steward.NewID()
	}
	if strings.ContainsAny(r.ID, "/?#%") {
		// The ID is a path segment of the API; these would make the
		// request unreachable by it.
		return nil, steward.E(op, steward.Invalid, "a request id may not hold / ? # or %")
	}
	r, err := foia.Intake(r)
	if err != nil {
		return nil, steward.E(op, err)
	}
	now := s.now()
	r.CreatedAt, r.UpdatedAt, r.CreatedBy = now, now, actor
	if err := s.audit(ctx, actor, "foia.request.create", r.ID, map[string]any{"request": r}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.CreateFOIARequest(ctx, &r); err != nil {
		return nil, steward.E(op, err)
	}
	return s.view(op, r, nil)
}

// view computes the clock of r at now.
func (s *Service) view(op steward.Op, r steward.FOIARequest, events []steward.FOIAEvent) (*Request, error) {
	c, err := foia.Deadlines(r, events, s.Calendar, s.now())
	if err != nil {
		return nil, steward.E(op, err)
	}
	if events == nil {
		events = []steward.FOIAEvent{}
	}
	return &Request{Request: r, Clock: c, Events: events}, nil
}

// Request returns a request with its history and its clock as of now.
// Not audited: FOIA logs are routinely published, and the route is
// limited to those who work or audit requests. Returns NotFound, and
// Integrity if the stored history does not replay.
func (s *Service) Request(ctx context.Context, id string) (*Request, error) {
	const op steward.Op = "foiasvc.Request"
	r, err := s.Store.FOIARequest(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	evs, err := s.Store.FOIAEvents(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	return s.view(op, *r, evs)
}

// Requests lists requests matching f in ID order, a page at a time (see
// steward.FOIARequestFilter). Returns Invalid for a negative limit.
func (s *Service) Requests(ctx context.Context, f steward.FOIARequestFilter) ([]*steward.FOIARequest, error) {
	rs, err := s.Store.FOIARequests(ctx, f)
	if err != nil {
		return nil, steward.E(steward.Op("foiasvc.Requests"), err)
	}
	return rs, nil
}

// Record applies ev to request id and stores it: ev.At defaults to now,
// ev.Actor is actor, and the event's ID and recording time are set here.
// Kind EventWithdrawn records a final response with the disposition
// withdrawn. With version above 0 the request must still be at that
// version, so that a person acting on a page they read earlier does not
// act on a request someone else has moved. Audited (foia.request.event)
// before it is stored.
//
// Returns Invalid for a malformed event, Conflict for one the lifecycle
// or the clock does not allow now (see foia.Apply) or a stale version,
// NotFound, and Integrity if the stored history does not replay.
func (s *Service) Record(ctx context.Context, actor, id string, ev steward.FOIAEvent, version int) (*Request, error) {
	const op steward.Op = "foiasvc.Record"
	cur, err := s.Store.FOIARequest(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if version > 0 && cur.Version != version {
		return nil, steward.Errorf(op, steward.Conflict, "the request is at version %d, not %d: someone else recorded an event since", cur.Version, version)
	}
	history, err := s.Store.FOIAEvents(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if ev.Kind == EventWithdrawn {
		if ev.Disposition != "" && ev.Disposition != steward.FOIAWithdrawn {
			return nil, steward.E(op, steward.Invalid, "a withdrawal has no other disposition")
		}
		ev.Kind, ev.Disposition = steward.FOIAEventFinalResponse, steward.FOIAWithdrawn
	}
	now := s.now()
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.ID, ev.RequestID, ev.Actor, ev.RecordedAt = steward.NewID(), id, actor, now
	next, err := foia.Apply(*cur, history, ev, s.Calendar)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.audit(ctx, actor, "foia.request.event", id, map[string]any{"event": ev,
		"from": cur.Status, "to": next.Status}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AppendFOIAEvent(ctx, &next, &ev); err != nil {
		return nil, steward.E(op, err)
	}
	return s.view(op, next, append(history, ev))
}

// Due lists the pending deadlines of every request still open, soonest
// first, as of now: with within >= 0 only those due within that many
// working days, overdue ones included (see foia.DueReport). Returns
// Integrity, naming the request, if a stored history does not replay.
func (s *Service) Due(ctx context.Context, within int) ([]foia.DueRow, error) {
	const op steward.Op = "foiasvc.Due"
	var dockets []foia.Docket
	f := steward.FOIARequestFilter{OpenOnly: true}
	for {
		page, err := s.Store.FOIARequests(ctx, f)
		if err != nil {
			return nil, steward.E(op, err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			evs, err := s.Store.FOIAEvents(ctx, r.ID)
			if err != nil {
				return nil, steward.E(op, err)
			}
			dockets = append(dockets, foia.Docket{Request: *r, Events: evs})
		}
		f.After = page[len(page)-1].ID
	}
	rows, err := foia.DueReport(dockets, s.Calendar, s.now(), within)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if rows == nil {
		rows = []foia.DueRow{}
	}
	return rows, nil
}
