// Package httpapi serves Steward's JSON API under /api/v1 and the health
// checks. Every route is listed once in the routes table with the scope it
// needs; only /healthz and /readyz are unauthenticated, and no debug or
// profiling handler is ever mounted here.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/discovery"
	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/httproute"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/steward"
)

// RecordOpener decrypts archived content. keys.Envelope implements it.
type RecordOpener interface {
	OpenRecord(ctx context.Context, r *steward.Record) ([]byte, error)
	RecordKey(ctx context.Context, r *steward.Record) ([]byte, error)
}

// Server holds what the handlers need. cmd/steward fills every field.
type Server struct {
	Store    steward.Store
	Log      *archive.Log
	Pipeline *pipeline.Pipeline
	Opener   RecordOpener
	Blobs    steward.BlobStore
	Logger   *slog.Logger
	// MaxCaptureBody bounds a capture request, attachments included.
	MaxCaptureBody int64
	Now            func() time.Time
	// DirectoryChanged, if set, is called after employees' identities
	// change, so cached directory lookups are dropped at once.
	DirectoryChanged func()
	Chat             *chat.Service
	Consent          *consent.Service
	// Exports serves the FRA report and transfer packages: the log's
	// signer and public key, and DATA/transfers.
	Exports *Exports
	// Compliance keeps policies, detectors, the review queue and approvals.
	Compliance *compliance.Service
	// Records keeps the file plan, assignment rules, holds and
	// disposition.
	Records *recordkeeping.Service
	// Discovery keeps eDiscovery cases and searches under them; nil
	// answers its routes with 503.
	Discovery *discovery.Service
	// FOIA keeps FOIA requests, their clocks and the due report; nil
	// answers its routes with 503.
	FOIA *foiasvc.Service
	// Outbox lets an admin retry deliveries and release those waiting on
	// an answered rate-limit challenge.
	Outbox interface {
		Retry(ctx context.Context, id string) error
		SubmittedChallenge(ctx context.Context, account string) error
	}
	// Challengers answer a channel's rate-limit challenges (CAPTCHAs).
	Challengers map[steward.Channel]Challenger
	// Health reports capture health: connections, silent accounts, gaps.
	Health func(ctx context.Context) any
}

// Challenger passes an operator's answer to a rate-limit challenge to the
// channel. signal.Client implements it.
type Challenger interface {
	SubmitRateLimitChallenge(ctx context.Context, account, challenge, captcha string) error
}

// route is one row of the authorization table.
type route struct {
	pattern string        // ServeMux pattern, method first
	scope   steward.Scope // "" means unauthenticated (health checks only)
	// roles may call the route when the token acts for an employee
	// (Token.EmployeeID) who holds one of them (steward.EmployeeRoles).
	roles   []steward.Role
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// Role sets of the authorization table. Separation of duties: the admin
// role reaches configuration only, never a route that returns content; the
// auditor reads the audit trail and verifies; the records roles read
// records and consent evidence; employees and supervisors use their own
// inbox.
var (
	noRoles      []steward.Role
	adminRoles   = []steward.Role{steward.RoleAdmin}
	auditRoles   = []steward.Role{steward.RoleAuditor}
	recordsRoles = []steward.Role{steward.RoleComplianceOfficer, steward.RoleRecordsManager,
		steward.RoleFOIAOfficer, steward.RoleLegal}
	verifyRoles = []steward.Role{steward.RoleComplianceOfficer, steward.RoleRecordsManager,
		steward.RoleFOIAOfficer, steward.RoleLegal, steward.RoleAuditor}
	inboxRoles = []steward.Role{steward.RoleEmployee, steward.RoleSupervisor}
	// dlpRoles test detectors on text they supply, and configure policies
	// and detectors: no archived content.
	dlpRoles = []steward.Role{steward.RoleComplianceOfficer, steward.RoleAdmin}
	// reviewRoles read flagged content in context and run dry runs over
	// the archive: compliance officers only, never admins.
	reviewRoles = []steward.Role{steward.RoleComplianceOfficer}
	// Records management: records managers keep the file plan and the
	// rules and run disposition; counsel places and releases holds with
	// them; auditors read holds, batches and certificates. Admins reach
	// none of it: disposition destroys content.
	recordsManagerRoles  = []steward.Role{steward.RoleRecordsManager}
	holdRoles            = []steward.Role{steward.RoleRecordsManager, steward.RoleLegal}
	holdReadRoles        = []steward.Role{steward.RoleRecordsManager, steward.RoleLegal, steward.RoleAuditor}
	dispositionReadRoles = []steward.Role{steward.RoleRecordsManager, steward.RoleAuditor}
	// eDiscovery: counsel opens cases and searches under them (content);
	// records managers see which cases exist and their scope, to keep
	// holds and disposition in step. Admins reach none of it.
	caseRoles     = []steward.Role{steward.RoleLegal}
	caseReadRoles = []steward.Role{steward.RoleLegal, steward.RoleRecordsManager}
	// FOIA: FOIA officers work requests; auditors read them and the due
	// report. Requests name requesters (personal data), so no one else.
	foiaRoles     = []steward.Role{steward.RoleFOIAOfficer}
	foiaReadRoles = []steward.Role{steward.RoleFOIAOfficer, steward.RoleAuditor}
	// fraRoles read the FRA capture-lag report: metadata only, no content.
	fraRoles = []steward.Role{steward.RoleRecordsManager, steward.RoleAuditor}
)

// routes is the single table of every route, the scope a machine token
// needs and the roles an employee needs. api/openapi.yaml and
// docs/authorization.md mirror it; tests check both documents and every
// allow and deny in the table.
var routes = []route{
	{"GET /healthz", "", nil, (*Server).healthz},
	{"GET /readyz", "", nil, (*Server).readyz},
	{"POST /api/v1/capture", steward.ScopeCapture, noRoles, (*Server).capture},
	{"GET /api/v1/records/{id}", steward.ScopeRead, recordsRoles, (*Server).getRecord},
	{"GET /api/v1/records/{id}/blob", steward.ScopeRead, recordsRoles, (*Server).getRecordBlob},
	{"GET /api/v1/records/{id}/proof", steward.ScopeRead, verifyRoles, (*Server).getRecordProof},
	{"GET /api/v1/checkpoint", steward.ScopeRead, verifyRoles, (*Server).getCheckpoint},
	{"GET /api/v1/tokens", steward.ScopeAdmin, adminRoles, (*Server).listTokens},
	{"POST /api/v1/tokens", steward.ScopeAdmin, adminRoles, (*Server).createToken},
	{"DELETE /api/v1/tokens/{id}", steward.ScopeAdmin, adminRoles, (*Server).revokeToken},
	{"GET /api/v1/employees", steward.ScopeAdmin, adminRoles, (*Server).listEmployees},
	{"POST /api/v1/employees", steward.ScopeAdmin, adminRoles, (*Server).createEmployee},
	{"GET /api/v1/employees/{id}", steward.ScopeAdmin, adminRoles, (*Server).getEmployee},
	{"PUT /api/v1/employees/{id}/identities", steward.ScopeAdmin, adminRoles, (*Server).putIdentity},
	{"PUT /api/v1/employees/{id}/successor", steward.ScopeAdmin, adminRoles, (*Server).putSuccessor},
	{"POST /api/v1/employees/{id}/contacts", steward.ScopeAdmin, adminRoles, (*Server).adminAddContact},
	{"GET /api/v1/contacts", steward.ScopeInbox, inboxRoles, (*Server).listContacts},
	{"POST /api/v1/contacts", steward.ScopeInbox, inboxRoles, (*Server).addContact},
	{"GET /api/v1/contacts/{id}/consent", steward.ScopeRead, recordsRoles, (*Server).getConsentHistory},
	{"GET /api/v1/consent/texts", steward.ScopeAdmin, adminRoles, (*Server).listConsentTexts},
	{"PUT /api/v1/consent/text", steward.ScopeAdmin, adminRoles, (*Server).putConsentText},
	{"GET /api/v1/conversations", steward.ScopeInbox, inboxRoles, (*Server).listConversations},
	{"POST /api/v1/conversations", steward.ScopeInbox, inboxRoles, (*Server).createConversation},
	{"GET /api/v1/conversations/{id}/messages", steward.ScopeInbox, inboxRoles, (*Server).listMessages},
	{"POST /api/v1/conversations/{id}/messages", steward.ScopeInbox, inboxRoles, (*Server).sendMessage},
	{"DELETE /api/v1/conversations/{id}/messages/{record}", steward.ScopeInbox, inboxRoles, (*Server).deleteMessage},
	{"POST /api/v1/conversations/{id}/messages/{record}/confirm", steward.ScopeInbox, inboxRoles, (*Server).confirmMessage},
	{"POST /api/v1/conversations/{id}/reactions", steward.ScopeInbox, inboxRoles, (*Server).react},
	{"PATCH /api/v1/conversations/{id}/members", steward.ScopeInbox, inboxRoles, (*Server).updateMembers},
	{"GET /api/v1/attachments/{id}", steward.ScopeInbox, inboxRoles, (*Server).getAttachment},
	{"GET /api/v1/stream", steward.ScopeInbox, inboxRoles, (*Server).stream},
	{"POST /api/v1/identities/{id}/link", steward.ScopeInbox, inboxRoles, (*Server).startLink},
	{"GET /api/v1/identities/{id}/link", steward.ScopeInbox, inboxRoles, (*Server).getLink},
	{"POST /api/v1/identities/{id}/challenge", steward.ScopeAdmin, adminRoles, (*Server).answerChallenge},
	{"GET /api/v1/deliveries", steward.ScopeAdmin, adminRoles, (*Server).listDeliveries},
	{"POST /api/v1/deliveries/{id}/retry", steward.ScopeAdmin, adminRoles, (*Server).retryDelivery},
	{"GET /api/v1/capture-health", steward.ScopeAdmin, adminRoles, (*Server).captureHealth},
	{"GET /api/v1/dead-letters", steward.ScopeAdmin, adminRoles, (*Server).listDeadLetters},
	{"GET /api/v1/role-mappings", steward.ScopeAdmin, adminRoles, (*Server).listRoleMappings},
	{"PUT /api/v1/role-mappings", steward.ScopeAdmin, adminRoles, (*Server).putRoleMappings},
	{"POST /api/v1/dlp/scan", steward.ScopeAdmin, dlpRoles, (*Server).dlpScan},
	{"GET /api/v1/dlp/detectors", steward.ScopeAdmin, dlpRoles, (*Server).listDetectors},
	{"POST /api/v1/dlp/detectors", steward.ScopeAdmin, dlpRoles, (*Server).saveDetector},
	{"PUT /api/v1/dlp/detectors/{id}", steward.ScopeAdmin, dlpRoles, (*Server).saveDetector},
	{"PUT /api/v1/dlp/detectors/{id}/edm", steward.ScopeAdmin, dlpRoles, (*Server).putEDM},
	{"GET /api/v1/policies", steward.ScopeAdmin, dlpRoles, (*Server).listPolicies},
	{"POST /api/v1/policies", steward.ScopeAdmin, dlpRoles, (*Server).createPolicy},
	{"POST /api/v1/policies/dry-run", steward.ScopeCompliance, reviewRoles, (*Server).dryRun},
	{"GET /api/v1/policies/{id}", steward.ScopeAdmin, dlpRoles, (*Server).getPolicy},
	{"PUT /api/v1/policies/{id}", steward.ScopeAdmin, dlpRoles, (*Server).putPolicy},
	{"DELETE /api/v1/policies/{id}", steward.ScopeAdmin, dlpRoles, (*Server).deletePolicy},
	{"GET /api/v1/review", steward.ScopeCompliance, reviewRoles, (*Server).listReview},
	{"GET /api/v1/review/stats", steward.ScopeCompliance, dlpRoles, (*Server).reviewStats},
	{"GET /api/v1/suppressions", steward.ScopeCompliance, reviewRoles, (*Server).listSuppressions},
	{"POST /api/v1/suppressions", steward.ScopeCompliance, reviewRoles, (*Server).addSuppression},
	{"DELETE /api/v1/suppressions/{id}", steward.ScopeCompliance, reviewRoles, (*Server).deleteSuppression},
	{"GET /api/v1/review/{id}", steward.ScopeCompliance, reviewRoles, (*Server).getReview},
	{"POST /api/v1/review/{id}/actions", steward.ScopeCompliance, reviewRoles, (*Server).actReview},
	{"GET /api/v1/approvals", steward.ScopeInbox, inboxRoles, (*Server).listApprovals},
	{"POST /api/v1/approvals/{id}", steward.ScopeInbox, inboxRoles, (*Server).decideApproval},
	{"GET /api/v1/audit", steward.ScopeAudit, auditRoles, (*Server).listAudit},
	{"GET /api/v1/schedules", steward.ScopeRecords, recordsManagerRoles, (*Server).listSchedules},
	{"GET /api/v1/schedules/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).getSchedule},
	{"PUT /api/v1/schedules/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).putSchedule},
	{"DELETE /api/v1/schedules/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).deleteSchedule},
	{"GET /api/v1/assignment-rules", steward.ScopeRecords, recordsManagerRoles, (*Server).listRules},
	{"POST /api/v1/assignment-rules", steward.ScopeRecords, recordsManagerRoles, (*Server).createRule},
	{"PUT /api/v1/assignment-rules/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).putRule},
	{"DELETE /api/v1/assignment-rules/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).deleteRule},
	{"GET /api/v1/records/{id}/assignment", steward.ScopeRecords, recordsManagerRoles, (*Server).getAssignment},
	{"PUT /api/v1/records/{id}/assignment", steward.ScopeRecords, recordsManagerRoles, (*Server).putAssignment},
	{"GET /api/v1/holds", steward.ScopeRecords, holdReadRoles, (*Server).listHolds},
	{"POST /api/v1/holds", steward.ScopeRecords, holdRoles, (*Server).createHold},
	{"POST /api/v1/holds/preview", steward.ScopeRecords, holdRoles, (*Server).previewDraftHold},
	{"GET /api/v1/holds/{id}", steward.ScopeRecords, holdReadRoles, (*Server).getHold},
	{"GET /api/v1/holds/{id}/preview", steward.ScopeRecords, holdRoles, (*Server).previewHold},
	{"POST /api/v1/holds/{id}/release", steward.ScopeRecords, holdRoles, (*Server).releaseHold},
	{"GET /api/v1/hold-notices", steward.ScopeInbox, inboxRoles, (*Server).listHoldNotices},
	{"POST /api/v1/hold-notices/{id}/acknowledge", steward.ScopeInbox, inboxRoles, (*Server).acknowledgeHoldNotice},
	{"GET /api/v1/cutoff-events", steward.ScopeRecords, recordsManagerRoles, (*Server).listCutoffEvents},
	{"POST /api/v1/cutoff-events", steward.ScopeRecords, recordsManagerRoles, (*Server).addCutoffEvent},
	{"GET /api/v1/reports/eligibility", steward.ScopeRecords, recordsManagerRoles, (*Server).eligibilityReport},
	{"GET /api/v1/reports/unscheduled", steward.ScopeRecords, recordsManagerRoles, (*Server).unscheduledReport},
	{"GET /api/v1/disposition/batches", steward.ScopeRecords, dispositionReadRoles, (*Server).listBatches},
	{"POST /api/v1/disposition/batches", steward.ScopeRecords, recordsManagerRoles, (*Server).proposeBatch},
	{"GET /api/v1/disposition/batches/{id}", steward.ScopeRecords, dispositionReadRoles, (*Server).getBatch},
	{"POST /api/v1/disposition/batches/{id}/approve", steward.ScopeRecords, recordsManagerRoles, (*Server).approveBatch},
	{"POST /api/v1/disposition/batches/{id}/cancel", steward.ScopeRecords, recordsManagerRoles, (*Server).cancelBatch},
	{"POST /api/v1/disposition/batches/{id}/execute", steward.ScopeRecords, recordsManagerRoles, (*Server).executeBatch},
	{"GET /api/v1/disposition/batches/{id}/certificate", steward.ScopeRecords, dispositionReadRoles, (*Server).getCertificate},
	{"GET /api/v1/reports/fra", steward.ScopeRecords, fraRoles, (*Server).getFRAReport},
	{"POST /api/v1/transfers", steward.ScopeRecords, recordsManagerRoles, (*Server).postTransfer},
	{"GET /api/v1/transfers/{id}", steward.ScopeRecords, recordsManagerRoles, (*Server).getTransfer},
	{"GET /api/v1/cases", steward.ScopeDiscovery, caseReadRoles, (*Server).listCases},
	{"POST /api/v1/cases", steward.ScopeDiscovery, caseRoles, (*Server).createCase},
	{"GET /api/v1/cases/{id}", steward.ScopeDiscovery, caseReadRoles, (*Server).getCase},
	{"PUT /api/v1/cases/{id}", steward.ScopeDiscovery, caseRoles, (*Server).putCase},
	{"POST /api/v1/cases/{id}/close", steward.ScopeDiscovery, caseRoles, (*Server).closeCase},
	{"POST /api/v1/cases/{id}/search", steward.ScopeDiscovery, caseRoles, (*Server).searchCase},
	{"GET /api/v1/cases/{id}/searches", steward.ScopeDiscovery, caseReadRoles, (*Server).listSavedSearches},
	{"POST /api/v1/cases/{id}/searches", steward.ScopeDiscovery, caseRoles, (*Server).saveSearch},
	{"DELETE /api/v1/cases/{id}/searches/{search}", steward.ScopeDiscovery, caseRoles, (*Server).deleteSavedSearch},
	{"GET /api/v1/foia/requests", steward.ScopeFOIA, foiaReadRoles, (*Server).listFOIARequests},
	{"POST /api/v1/foia/requests", steward.ScopeFOIA, foiaRoles, (*Server).createFOIARequest},
	{"GET /api/v1/foia/requests/{id}", steward.ScopeFOIA, foiaReadRoles, (*Server).getFOIARequest},
	{"POST /api/v1/foia/requests/{id}/events", steward.ScopeFOIA, foiaRoles, (*Server).addFOIAEvent},
	{"GET /api/v1/foia/reports/due", steward.ScopeFOIA, foiaReadRoles, (*Server).foiaDueReport},
}

// Routes lists every pattern with its scope, for documentation and tests.
func Routes() map[string]steward.Scope {
	m := make(map[string]steward.Scope, len(routes))
	for _, rt := range routes {
		m[rt.pattern] = rt.scope
	}
	return m
}

// RouteAccess is one row of the authorization table as documented.
type RouteAccess struct {
	Pattern string
	Scope   steward.Scope
	Roles   []steward.Role
}

// RouteTable returns the authorization table in its order.
func RouteTable() []RouteAccess {
	out := make([]RouteAccess, 0, len(routes))
	for _, rt := range routes {
		out = append(out, RouteAccess{Pattern: rt.pattern, Scope: rt.scope, Roles: slices.Clone(rt.roles)})
	}
	return out
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.handler
		var hf http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if rt.scope != "" {
			hf = s.authenticate(rt.scope, rt.roles, hf)
		}
		mux.Handle(rt.pattern, hf)
	}
	// A known path asked with the wrong method gets 405 rather than 404.
	var methods httproute.Methods
	for _, rt := range routes {
		methods.Add(rt.pattern)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		const op steward.Op = "httpapi"
		if allow, known := methods.Allow(r); known {
			w.Header().Set("Allow", allow)
			s.writeErrorStatus(w, r, http.StatusMethodNotAllowed, steward.E(op, steward.Invalid, "method not allowed"))
			return
		}
		s.writeError(w, r, steward.E(op, steward.NotFound, "no such route"))
	})
	return securityHeaders(noHead(mux))
}

// noHead refuses HEAD on the API. ServeMux lets HEAD through to GET
// handlers, which would decrypt, audit and then discard a read.
func noHead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Allow", "GET")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only while the store answers. It is unauthenticated,
// so it says nothing about the archive beyond "ready".
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.readyz"), steward.Unavailable, "store unavailable", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
