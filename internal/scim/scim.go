// Package scim is Steward's SCIM 2.0 service provider (RFC 7643, RFC
// 7644) at /scim/v2: identity providers such as Microsoft Entra ID and
// Okta create, update, deactivate and delete employees (Users) and groups
// (Groups) through it, and Steward never keeps a separate user list by
// hand.
//
// Users map onto steward.Employee, and the User resource itself is stored
// with the employee exactly as the identity provider left it (see
// resource.go), so that a GET returns what was sent. Groups map onto
// steward.Group. Deleting a User never destroys records: the employee is
// marked deleted and inactive (steward.EmployeeStore.DeleteEmployee), and
// from then on the User answers 404.
//
// Every request needs a bearer token with the scim scope. Every write is
// audited (Server.Audit) before the answer, and reported (Server.OnChange)
// so that the rest of Steward acts at once on a departure.
//
// User attributes map onto the employee as follows; everything else is
// kept in the stored resource only.
//
//	userName                                  UserName (unique, compared case-insensitively)
//	externalId                                ExternalID (unique)
//	displayName, else name.formatted,
//	  else name.givenName + " " + familyName  DisplayName
//	emails: first of type work, else the
//	  primary one, else the first             Email
//	title                                     Title
//	active ("True"/"False" accepted)          Active (absent: unchanged; true on create)
//	enterprise employeeNumber                 EmployeeNumber
//	enterprise department                     Department
//	enterprise organization                   Organization
//	enterprise manager.value                  ManagerID (as sent; not checked)
//	governance seniority                      Seniority
//	governance capstoneOfficial               CapstoneOfficial
//	governance caveats                        Caveats
//
// where enterprise is urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
// and governance is URNGovernance.
//
// The identity providers' departures from the RFCs that this package
// accepts are listed in ../../../shared/reference/protocols.md §6 and in
// the comments where each is handled; the tests replay their documented
// request sequences.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/httproute"
	"github.com/steward-gov/steward/internal/steward"
)

// Store is what the service provider needs of storage. steward.Store
// provides it.
type Store interface {
	steward.EmployeeStore
	steward.GroupStore
}

// ChangeKind says what a SCIM write did.
type ChangeKind string

const (
	UserCreated     ChangeKind = "user.created"
	UserUpdated     ChangeKind = "user.updated"     // any change but of active
	UserDeactivated ChangeKind = "user.deactivated" // active went from true to false, perhaps with other changes
	UserReactivated ChangeKind = "user.reactivated" // active went from false to true, perhaps with other changes
	UserDeleted     ChangeKind = "user.deleted"     // the employee is deleted, and so inactive
	GroupChanged    ChangeKind = "group.changed"    // created, renamed, or members added or removed
	GroupDeleted    ChangeKind = "group.deleted"    // Removed lists the members it had
)

// Change describes one successful SCIM write that changed something.
type Change struct {
	Kind       ChangeKind
	EmployeeID string // for user changes
	GroupID    string // for group changes
	// Employee is the employee after the change (for UserDeleted, as it was
	// with DeletedAt set); Previous is the employee before it, nil for
	// UserCreated.
	Employee, Previous *steward.Employee
	// Fields names the employee fields that changed, by their JSON names
	// ("active", "department", "seniority", "scim_resource", …).
	Fields []string
	// Added and Removed are the employee ids that joined or left a group.
	Added, Removed []string
}

// Server serves SCIM. Store and Authenticate are required; set the fields
// before calling Handler and do not change them after.
type Server struct {
	Store Store
	// Authenticate returns the usable token whose secret this is, or an
	// Unauthenticated error. The token must carry steward.ScopeScim.
	Authenticate func(ctx context.Context, secret string) (*steward.Token, error)
	// Audit, if set, records every successful write before it is answered:
	// action is "scim.user.create" (… replace, patch, delete) or
	// "scim.group.…", subject "employee:<id>" or "group:<id>". If it fails,
	// the request fails with 500, although the write stands; identity
	// providers retry, and writes are idempotent.
	Audit func(ctx context.Context, action, subject string, details map[string]any) error
	// OnChange, if set, is called synchronously after each successful
	// write that changed something, after Audit and before the answer, so
	// that sessions and tokens of a deactivated employee are revoked
	// before the identity provider hears back. It is called even when
	// Audit failed, since the write stands.
	OnChange func(ctx context.Context, ev Change)
	// BaseURL is the external URL of the SCIM root, such as
	// "https://steward.example.gov/scim/v2", for meta.location and
	// $ref. If empty, it is made from the request's Host.
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
	// MaxBodyBytes bounds a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// MaxResults bounds a page, and is the page size when the client asks
	// none; 0 means 200.
	MaxResults int
	// MaxScan bounds how many resources a filter without an indexed
	// equality (userName, externalId, id, work email; displayName and
	// externalId for groups) may scan; beyond it the answer is 400
	// tooMany. 0 means 100000.
	MaxScan int

	// mu serializes writes. A PATCH reads, modifies and writes the
	// resource; two at once on one user would lose one's change. SCIM
	// writes are few, so one lock costs nothing. Audit and OnChange run
	// under it, so changes are reported in the order they were made; they
	// must not call back into this Server.
	mu sync.Mutex
}

// route is one row of the route table.
type route struct {
	pattern string // ServeMux pattern, method first
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// Prefix is where the handler serves.
const Prefix = "/scim/v2"

// routes is the table of every SCIM route. All need the scim scope.
var routes = []route{
	{"GET " + Prefix + "/Users", (*Server).listUsers},
	{"POST " + Prefix + "/Users", (*Server).createUser},
	{"POST " + Prefix + "/Users/.search", (*Server).searchUsers},
	{"GET " + Prefix + "/Users/{id}", (*Server).getUser},
	{"PUT " + Prefix + "/Users/{id}", (*Server).replaceUser},
	{"PATCH " + Prefix + "/Users/{id}", (*Server).patchUser},
	{"DELETE " + Prefix + "/Users/{id}", (*Server).deleteUser},
	{"GET " + Prefix + "/Groups", (*Server).listGroups},
	{"POST " + Prefix + "/Groups", (*Server).createGroup},
	{"POST " + Prefix + "/Groups/.search", (*Server).searchGroups},
	{"GET " + Prefix + "/Groups/{id}", (*Server).getGroup},
	{"PUT " + Prefix + "/Groups/{id}", (*Server).replaceGroup},
	{"PATCH " + Prefix + "/Groups/{id}", (*Server).patchGroup},
	{"DELETE " + Prefix + "/Groups/{id}", (*Server).deleteGroup},
	{"GET " + Prefix + "/ServiceProviderConfig", (*Server).serviceProviderConfig},
	{"GET " + Prefix + "/ResourceTypes", (*Server).resourceTypes},
	{"GET " + Prefix + "/ResourceTypes/{name}", (*Server).resourceTypeByName},
	{"GET " + Prefix + "/Schemas", (*Server).schemas},
	{"GET " + Prefix + "/Schemas/{id}", (*Server).schemaByID},
}

// Routes lists every route pattern, for documentation and the
// authorization matrix. Every one requires steward.ScopeScim.
func Routes() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.pattern
	}
	return out
}

// Handler returns the SCIM handler, to be mounted at Prefix+"/". It
// authenticates every request, including those for unknown paths, so
// that nothing about the service is learned without a token. It panics if
// Store or Authenticate is nil.
func (s *Server) Handler() http.Handler {
	if s.Store == nil || s.Authenticate == nil {
		panic("scim: Server needs a Store and Authenticate")
	}
	mux := http.NewServeMux()
	var methods httproute.Methods // for 405 on a known path
	for _, rt := range routes {
		h := rt.handler
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		methods.Add(rt.pattern)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		const op steward.Op = "scim"
		if allow, known := methods.Allow(r); known {
			w.Header().Set("Allow", allow)
			s.writeErrorStatus(w, r, http.StatusMethodNotAllowed, steward.E(op, steward.Invalid, "method not allowed"))
			return
		}
		s.writeError(w, r, steward.E(op, steward.NotFound, "no such endpoint"))
	})
	return s.authenticate(mux)
}

type ctxKey int

const tokenKey ctxKey = 0

// actor names the caller in audit records.
func actor(ctx context.Context) string {
	if t, ok := ctx.Value(tokenKey).(*steward.Token); ok {
		return "token:" + t.ID + " (" + t.Name + ")"
	}
	return "anonymous"
}

// authenticate admits a request with a usable bearer token carrying the
// scim scope: without one it is 401, with a token lacking the scope 403.
func (s *Server) authenticate(next http.Handler) http.Handler {
	const op steward.Op = "scim.authenticate"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", responseType(r.Header.Get("Accept")))
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			s.writeError(w, r, steward.E(op, steward.Unauthenticated, "a bearer token is required"))
			return
		}
		t, err := s.Authenticate(r.Context(), secret)
		if err != nil || t == nil {
			if err == nil || steward.Is(steward.NotFound, err) {
				err = steward.E(op, steward.Unauthenticated, "the token is unknown, expired or revoked", err)
			}
			s.writeError(w, r, steward.E(op, err))
			return
		}
		if !t.Has(steward.ScopeScim) {
			s.writeError(w, r, steward.Errorf(op, steward.Permission, "this token lacks the %q scope", steward.ScopeScim))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, t)))
	})
}

// responseType is application/scim+json (RFC 7644 §3.1) unless the client
// accepts only plain JSON.
func responseType(accept string) string {
	const scim = "application/scim+json"
	if accept == "" || strings.Contains(accept, scim) || strings.Contains(accept, "*/*") ||
		!strings.Contains(accept, "application/json") {
		return scim
	}
	return "application/json"
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Server) maxResults() int {
	if s.MaxResults > 0 {
		return s.MaxResults
	}
	return 200
}

func (s *Server) maxScan() int {
	if s.MaxScan > 0 {
		return s.MaxScan
	}
	return 100000
}

// base returns the external URL of the SCIM root.
func (s *Server) base(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimSuffix(s.BaseURL, "/")
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host + Prefix
}

func notFound(op steward.Op, msg string) error { return steward.E(op, steward.NotFound, msg) }

// writeRequest reads what every write (POST, PUT, PATCH) takes: the
// projection its answer is shaped by (attributes, excludedAttributes) and
// the JSON body.
func (s *Server) writeRequest(w http.ResponseWriter, r *http.Request) (listQuery, map[string]any, error) {
	lq, err := s.parseListQuery(r.URL.Query())
	if err != nil {
		return lq, nil, err
	}
	body, err := s.readBody(w, r)
	return lq, body, err
}

// readBody decodes a request body that must be one JSON object, keeping
// numbers as json.Number so that they are stored as sent.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	const op steward.Op = "scim.readBody"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/scim+json" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, &statusError{http.StatusUnsupportedMediaType,
				steward.E(op, steward.Invalid, "send application/scim+json or application/json")}
		}
	}
	limit := s.MaxBodyBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra == nil {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, steward.Errorf(op, steward.TooLarge, "request body exceeds %d bytes", limit)
		}
		return nil, invalid(op, typeInvalidSyntax, "request body is not valid JSON: "+err.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(op, typeInvalidSyntax, "request body must be a JSON object")
	}
	return m, nil
}

// statusError carries a status that no error kind gives (415).
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// fail answers with err, honouring a statusError.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *statusError
	if errors.As(err, &se) {
		s.writeErrorStatus(w, r, se.status, err)
		return
	}
	s.writeError(w, r, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/scim+json")
	}
	w.WriteHeader(status)
	if status == http.StatusNoContent {
		return
	}
	b, err := encode(v)
	if err != nil {
		slog.Error("scim: encode response", "err", err)
		return
	}
	_, _ = w.Write(b)
}

// encode is json.Marshal without HTML escaping, so that "<" in a value is
// stored and returned as "<". Map keys come out sorted, so equal
// resources encode to equal bytes.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeList answers with a ListResponse (RFC 7644 §3.4.2).
func writeList(w http.ResponseWriter, resources []any, total, start int) {
	if resources == nil {
		resources = []any{} // an empty list, as Entra ID's Test Connection expects
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":      []string{URNListResponse},
		"totalResults": total,
		"startIndex":   start,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	})
}

// listQuery is a query's filter, paging and projection.
type listQuery struct {
	filter Expr // nil: everything
	start  int  // 1-based
	count  int  // page size, already bounded
	proj   projection
}

// parseListQuery reads the query parameters of GET /Users and /Groups.
// Parameter names are matched case-insensitively, as some clients vary.
func (s *Server) parseListQuery(q url.Values) (listQuery, error) {
	get := func(name string) (string, bool) {
		for k, v := range q {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}
	filter, _ := get("filter")
	start, _ := get("startIndex")
	count, hasCount := get("count")
	attrs, _ := get("attributes")
	excluded, _ := get("excludedAttributes")
	var c *int
	if hasCount {
		n, err := strconv.Atoi(strings.TrimSpace(count))
		if err != nil {
			return listQuery{}, invalid("scim.parseListQuery", typeInvalidValue, "count must be an integer")
		}
		c = &n
	}
	return s.makeListQuery(filter, start, c, attrs, excluded)
}

func (s *Server) makeListQuery(filter, start string, count *int, attrs, excluded string) (listQuery, error) {
	const op steward.Op = "scim.listQuery"
	lq := listQuery{start: 1, count: s.maxResults()}
	if strings.TrimSpace(filter) != "" {
		f, err := ParseFilter(filter)
		if err != nil {
			return listQuery{}, err
		}
		lq.filter = f
	}
	if start = strings.TrimSpace(start); start != "" {
		n, err := strconv.Atoi(start)
		if err != nil {
			return listQuery{}, invalid(op, typeInvalidValue, "startIndex must be an integer")
		}
		lq.start = max(n, 1) // RFC 7644 §3.4.2.4: less than 1 means 1
	}
	if count != nil {
		lq.count = min(max(*count, 0), s.maxResults())
	}
	var err error
	lq.proj, err = parseProjection(attrs, excluded)
	return lq, err
}

// parseSearch reads the body of POST …/.search (RFC 7644 §3.4.3).
func (s *Server) parseSearch(w http.ResponseWriter, r *http.Request) (listQuery, error) {
	const op steward.Op = "scim.parseSearch"
	body, err := s.readBody(w, r)
	if err != nil {
		return listQuery{}, err
	}
	str := func(name string) (string, error) {
		switch v := lookupCI(body, name).(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		case json.Number:
			return string(v), nil
		case []any:
			var parts []string
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return "", invalid(op, typeInvalidValue, name+" must be a list of strings")
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, ","), nil
		}
		return "", invalid(op, typeInvalidValue, name+" has the wrong type")
	}
	var vals [5]string
	for i, n := range []string{"filter", "startIndex", "count", "attributes", "excludedAttributes"} {
		if vals[i], err = str(n); err != nil {
			return listQuery{}, err
		}
	}
	var count *int
	if vals[2] != "" {
		n, err := strconv.Atoi(vals[2])
		if err != nil {
			return listQuery{}, invalid(op, typeInvalidValue, "count must be an integer")
		}
		count = &n
	}
	return s.makeListQuery(vals[0], vals[1], count, vals[3], vals[4])
}

// page returns the part of items that the query's paging selects.
func page[T any](items []T, lq listQuery) []T {
	from := lq.start - 1
	if from >= len(items) || lq.count == 0 {
		return nil
	}
	return items[from:min(from+lq.count, len(items))]
}

// committed finishes a successful write: it audits it, then reports the
// change. The write already happened, so neither runs with the request's
// context, which the client may cancel by hanging up.
func (s *Server) committed(r *http.Request, action, subject string, details map[string]any, ev *Change) error {
	const op steward.Op = "scim.committed"
	ctx := context.WithoutCancel(r.Context())
	details["actor"] = actor(r.Context())
	var err error
	if s.Audit != nil {
		err = s.Audit(ctx, action, subject, details)
	}
	if ev != nil && s.OnChange != nil {
		s.OnChange(ctx, *ev)
	}
	if err != nil {
		return steward.E(op, steward.Internal, fmt.Sprintf("audit of %s failed", action), err)
	}
	return nil
}
