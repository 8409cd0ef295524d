package steward

import (
	"context"
	"time"
)

// A FOIARequest is one request for records under the Freedom of Information
// Act, 5 U.S.C. 552: who asked, for what, when it arrived, and where it
// stands. Its status fields are a snapshot of its history of FOIAEvents;
// package foia derives them (foia.Apply, foia.Replay) and computes the
// statutory clock from the same history (foia.Deadlines), so the two never
// disagree.
//
// The request is agency business, not message content: FOIA logs are
// routinely published. The requester's contact details are personal data
// and are shown only to those who work the request.
type FOIARequest struct {
	ID          string          `json:"id"`
	Requester   FOIARequester   `json:"requester"`
	Description string          `json:"description"` // the records sought, in the requester's words
	FeeCategory FOIAFeeCategory `json:"fee_category,omitempty"`

	// ReceivedAt is when the component responsible for the request received
	// it. The statutory clock starts from this receipt.
	ReceivedAt time.Time `json:"received_at"`
	// FirstReceivedAt, if set, is when the request first reached any
	// component designated to receive FOIA requests, before it was routed
	// to the right one. The clock then starts no later than ten working
	// days after it (5 U.S.C. 552(a)(6)(A)(ii)).
	FirstReceivedAt time.Time `json:"first_received_at,omitzero"`
	// ExpediteRequested says the request itself asked for expedited
	// processing, so the 10-day decision on it runs from ReceivedAt.
	ExpediteRequested bool `json:"expedite_requested,omitempty"`

	// InitialTrack is the track the request was placed in at intake; events
	// may move it later, and Track says where it is now.
	InitialTrack FOIATrack `json:"initial_track"`

	// Snapshot of the history; set only by package foia.
	Track         FOIATrack         `json:"track"`
	Status        FOIAStatus        `json:"status"`
	Disposition   FOIADisposition   `json:"disposition,omitempty"`    // set by the final response
	AppealOutcome FOIAAppealOutcome `json:"appeal_outcome,omitempty"` // set by the appeal decision
	// Version counts the events applied. A store uses it to refuse an event
	// appended against a stale snapshot.
	Version int `json:"version"`

	CaseID    string    `json:"case_id,omitempty"` // the discovery case that holds its search and review, if any
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FOIARequester is the person or organisation that made a request, and where
// the response goes.
type FOIARequester struct {
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Email        string `json:"email,omitempty"`
	Address      string `json:"address,omitempty"` // postal address, free form
}

// FOIATrack is the processing queue a request is placed in (5 U.S.C.
// 552(a)(6)(D), multitrack processing). The track orders the work; it does
// not change the statutory time limit.
type FOIATrack string

const (
	FOIASimple    FOIATrack = "simple"
	FOIAComplex   FOIATrack = "complex"
	FOIAExpedited FOIATrack = "expedited" // only after expedited processing is granted
)

// FOIAFeeCategory is the requester category that decides which fees may be
// charged (5 U.S.C. 552(a)(4)(A)(ii) and the OMB Uniform Freedom of
// Information Fee Schedule and Guidelines). Empty means not yet determined.
type FOIAFeeCategory string

const (
	FOIAFeeCommercial  FOIAFeeCategory = "commercial"  // search, review and duplication
	FOIAFeeEducational FOIAFeeCategory = "educational" // duplication beyond 100 pages
	FOIAFeeScientific  FOIAFeeCategory = "scientific"  // non-commercial scientific institution; as educational
	FOIAFeeNewsMedia   FOIAFeeCategory = "news_media"  // as educational
	FOIAFeeOther       FOIAFeeCategory = "other"       // search beyond 2 hours and duplication beyond 100 pages
)

// FOIAStatus is where a request stands. The lifecycle is
//
//	received → acknowledged → searching ⇄ reviewing → final_response → appeal_received → appeal_decided
//
// with tolled entered from any open status and left back to it, and
// final_response reachable from every open status. Searching and reviewing
// together are "in process".
type FOIAStatus string

const (
	FOIAReceived       FOIAStatus = "received"
	FOIAAcknowledged   FOIAStatus = "acknowledged"
	FOIASearching      FOIAStatus = "searching"
	FOIAReviewing      FOIAStatus = "reviewing"
	FOIATolled         FOIAStatus = "tolled" // awaiting the requester; the clock is stopped
	FOIAFinalResponse  FOIAStatus = "final_response"
	FOIAAppealReceived FOIAStatus = "appeal_received"
	FOIAAppealDecided  FOIAStatus = "appeal_decided"
)

// Open reports whether the request still awaits its final response.
func (s FOIAStatus) Open() bool {
	switch s {
	case FOIAReceived, FOIAAcknowledged, FOIASearching, FOIAReviewing, FOIATolled:
		return true
	}
	return false
}

// FOIADisposition is how a final response disposed of a request. The values
// follow the categories of the annual FOIA report to the Department of
// Justice.
type FOIADisposition string

const (
	FOIAFullGrant        FOIADisposition = "full_grant"
	FOIAPartialGrant     FOIADisposition = "partial_grant" // partly granted, partly withheld under exemptions
	FOIAFullDenial       FOIADisposition = "full_denial"   // withheld in full under exemptions
	FOIANoRecords        FOIADisposition = "no_records"
	FOIAReferred         FOIADisposition = "referred" // all records referred to another agency or component
	FOIAWithdrawn        FOIADisposition = "withdrawn"
	FOIAFeeRelated       FOIADisposition = "fee_related" // e.g. the requester would not commit to fees
	FOIANotDescribed     FOIADisposition = "not_reasonably_described"
	FOIAImproper         FOIADisposition = "improper_request"
	FOIANotAgencyRecord  FOIADisposition = "not_agency_record"
	FOIADuplicate        FOIADisposition = "duplicate"
	FOIAOtherDisposition FOIADisposition = "other"
)

// FOIAAppealOutcome is how an administrative appeal was decided.
type FOIAAppealOutcome string

const (
	FOIAAffirmed          FOIAAppealOutcome = "affirmed"
	FOIAPartlyReversed    FOIAAppealOutcome = "partly_reversed" // partly affirmed, partly reversed or remanded
	FOIAReversed          FOIAAppealOutcome = "reversed"        // completely reversed or remanded
	FOIAAppealClosedOther FOIAAppealOutcome = "closed_other"    // withdrawn, untimely, or closed for another reason
)

// FOIATollReason says why the clock was stopped. The statute allows the
// agency one request to the requester for information, and as many
// clarifications of fees as needed (5 U.S.C. 552(a)(6)(A)(ii)(I)–(II)).
type FOIATollReason string

const (
	FOIATollInformation FOIATollReason = "information"
	FOIATollFee         FOIATollReason = "fee"
)

// FOIACircumstance is the "unusual circumstance" that justifies a
// 10-working-day extension (5 U.S.C. 552(a)(6)(B)(iii)).
type FOIACircumstance string

const (
	FOIAFieldFacilities FOIACircumstance = "field_facilities" // records held at field facilities or separate establishments
	FOIAVoluminous      FOIACircumstance = "voluminous"       // a voluminous amount of separate and distinct records
	FOIAConsultation    FOIACircumstance = "consultation"     // consultation with another agency or two or more components
)

// FOIAEventKind is what happened to a request.
type FOIAEventKind string

const (
	FOIAEventAcknowledged      FOIAEventKind = "acknowledged"       // acknowledgment sent to the requester
	FOIAEventSearchStarted     FOIAEventKind = "search_started"     //
	FOIAEventReviewStarted     FOIAEventKind = "review_started"     //
	FOIAEventTolled            FOIAEventKind = "tolled"             // the agency asked the requester; Toll says why
	FOIAEventTollEnded         FOIAEventKind = "toll_ended"         // the requester's answer was received
	FOIAEventExtended          FOIAEventKind = "extended"           // written notice of unusual circumstances sent; Days, Circumstance
	FOIAEventExpediteRequested FOIAEventKind = "expedite_requested" // the requester asked for expedited processing
	FOIAEventExpediteGranted   FOIAEventKind = "expedite_granted"   // the track becomes expedited
	FOIAEventExpediteDenied    FOIAEventKind = "expedite_denied"    //
	FOIAEventTrackChanged      FOIAEventKind = "track_changed"      // Track
	FOIAEventFinalResponse     FOIAEventKind = "final_response"     // the determination was sent; Disposition
	FOIAEventAppealReceived    FOIAEventKind = "appeal_received"    //
	FOIAEventAppealDecided     FOIAEventKind = "appeal_decided"     // AppealOutcome
)

// FOIAEvent is one entry in a request's history. Events are immutable and
// applied in order; each one's At is no earlier than the one before.
//
// At is when the thing happened, which is not always when it was entered:
// for receipts (toll_ended, expedite_requested, appeal_received) it is when
// the agency received the requester's message, and the agency's after-hours
// rule applies to it; for the agency's own acts it is when the act was done.
type FOIAEvent struct {
	ID         string        `json:"id"`
	RequestID  string        `json:"request_id"`
	Kind       FOIAEventKind `json:"kind"`
	At         time.Time     `json:"at"`
	Actor      string        `json:"actor,omitempty"` // who recorded it
	RecordedAt time.Time     `json:"recorded_at"`

	Toll          FOIATollReason    `json:"toll,omitempty"`           // tolled
	Days          int               `json:"days,omitempty"`           // extended: working days, 1–10; 0 means 10
	Circumstance  FOIACircumstance  `json:"circumstance,omitempty"`   // extended
	Track         FOIATrack         `json:"track,omitempty"`          // track_changed
	Disposition   FOIADisposition   `json:"disposition,omitempty"`    // final_response
	AppealOutcome FOIAAppealOutcome `json:"appeal_outcome,omitempty"` // appeal_decided
}

// FOIARequestFilter selects requests to list. Zero fields select all.
type FOIARequestFilter struct {
	Status   []FOIAStatus // any of these
	OpenOnly bool         // only requests awaiting a final response or an appeal decision
	CaseID   string
	// Limit is the most to return, 0 for the store's default page. A
	// store may return fewer, so page until a page comes back empty.
	Limit int
	After string // the last ID of the previous page; pages run in ID order
}

// FOIARequestStore keeps FOIA requests and their histories. The store only
// persists: the rules of what may happen next live in package foia, and
// callers run foia.Apply before AppendFOIAEvent.
type FOIARequestStore interface {
	// CreateFOIARequest stores a new request, validated by foia.Intake, with
	// Version 0 and no events. Returns Conflict if the ID exists.
	CreateFOIARequest(ctx context.Context, r *FOIARequest) error
	// FOIARequest returns NotFound if there is no such request.
	FOIARequest(ctx context.Context, id string) (*FOIARequest, error)
	// FOIARequests lists requests matching f in ID order.
	FOIARequests(ctx context.Context, f FOIARequestFilter) ([]*FOIARequest, error)
	// UpdateFOIARequester corrects the requester's details, description,
	// fee category or case link of r.ID, leaving the history and snapshot
	// untouched. Returns NotFound if there is no such request.
	UpdateFOIARequester(ctx context.Context, r *FOIARequest) error
	// AppendFOIAEvent atomically appends ev to the history of r.ID and
	// replaces the stored snapshot (Track, Status, Disposition,
	// AppealOutcome, Version, UpdatedAt) with r's, the result of
	// foia.Apply; the intake fields stay as stored. It
	// returns Conflict, storing nothing, if the stored Version is not
	// r.Version-1: another event was appended since the caller read the
	// request, and the caller must read and apply again. Returns NotFound
	// if there is no such request.
	AppendFOIAEvent(ctx context.Context, r *FOIARequest, ev *FOIAEvent) error
	// FOIAEvents returns the history of a request in the order appended,
	// empty for a request with none. Returns NotFound if there is no such
	// request.
	FOIAEvents(ctx context.Context, requestID string) ([]FOIAEvent, error)
}
