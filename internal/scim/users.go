package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// maxUserName bounds userName, as the admin API does.
const maxUserName = 256

// liveEmployee returns the employee id unless there is none or it is
// deleted; a deleted User answers 404, like one that never existed.
func (s *Server) liveEmployee(ctx context.Context, op steward.Op, id string) (*steward.Employee, error) {
	e, err := s.Store.EmployeeByID(ctx, id)
	if steward.Is(steward.NotFound, err) || err == nil && e.DeletedAt != nil {
		return nil, notFound(op, "user not found")
	}
	if err != nil {
		return nil, steward.E(op, err)
	}
	return e, nil
}

// userResource returns the employee's User resource in canonical shape,
// without id and meta: the stored one, or for an employee never
// provisioned over SCIM (made by an administrator or the demo) one made
// from its fields.
func userResource(e *steward.Employee) (map[string]any, error) {
	if e.SCIMResource != nil {
		dec := json.NewDecoder(bytes.NewReader(e.SCIMResource))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, steward.E(steward.Op("scim.userResource"), steward.Integrity,
				fmt.Sprintf("stored SCIM resource of employee %s is not a JSON object", e.ID), err)
		}
		return m, nil
	}
	m := map[string]any{"userName": e.UserName, "active": e.Active}
	set := func(into map[string]any, k, v string) {
		if v != "" {
			into[k] = v
		}
	}
	set(m, "displayName", e.DisplayName)
	set(m, "externalId", e.ExternalID)
	set(m, "title", e.Title)
	if e.Email != "" {
		m["emails"] = []any{map[string]any{"value": e.Email, "type": "work", "primary": true}}
	}
	ent := map[string]any{}
	set(ent, "employeeNumber", e.EmployeeNumber)
	set(ent, "department", e.Department)
	set(ent, "organization", e.Organization)
	if e.ManagerID != "" {
		ent["manager"] = map[string]any{"value": e.ManagerID}
	}
	if len(ent) > 0 {
		m[URNEnterprise] = ent
	}
	gov := map[string]any{}
	set(gov, "seniority", e.Seniority)
	if e.CapstoneOfficial {
		gov["capstoneOfficial"] = true
	}
	if len(e.Caveats) > 0 {
		cs := make([]any, len(e.Caveats))
		for i, c := range e.Caveats {
			cs[i] = c
		}
		gov["caveats"] = cs
	}
	if len(gov) > 0 {
		m[URNGovernance] = gov
	}
	return m, nil
}

// renderUser returns the resource as served: with schemas, id and meta.
func renderUser(e *steward.Employee, res map[string]any, base string) map[string]any {
	out := make(map[string]any, len(res)+3)
	for k, v := range res {
		out[k] = v
	}
	out["schemas"] = schemasOf(res, userType)
	out["id"] = e.ID
	out["meta"] = meta("User", e.CreatedAt, e.UpdatedAt, base+"/Users/"+e.ID)
	return out
}

func meta(resourceType string, created, updated time.Time, location string) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": updated.UTC().Format(time.RFC3339Nano),
		"location":     location,
	}
}

// employeeFrom returns prev (or a new employee) with its fields taken
// from res, a normalized User resource, which it keeps as SCIMResource.
// An attribute absent from res clears its field, except active: an absent
// active leaves an existing employee as it was and makes a new one
// active, so that a PUT that leaves it out never locks anyone out or
// lets anyone back in.
func employeeFrom(res map[string]any, prev *steward.Employee) (*steward.Employee, error) {
	const op steward.Op = "scim.employeeFrom"
	e := &steward.Employee{Active: true}
	if prev != nil {
		c := *prev
		e = &c
	}
	str := func(m map[string]any, k string) string { s, _ := lookupCI(m, k).(string); return s }
	e.UserName = str(res, "userName")
	if e.UserName == "" {
		return nil, invalid(op, typeInvalidValue, "userName is required")
	}
	if len(e.UserName) > maxUserName {
		return nil, invalid(op, typeInvalidValue, fmt.Sprintf("userName is longer than %d bytes", maxUserName))
	}
	e.ExternalID = str(res, "externalId")
	e.Title = str(res, "title")
	name, _ := res["name"].(map[string]any)
	e.DisplayName = str(res, "displayName")
	if e.DisplayName == "" {
		e.DisplayName = str(name, "formatted")
	}
	if e.DisplayName == "" {
		e.DisplayName = joinNonEmpty(str(name, "givenName"), str(name, "familyName"))
	}
	e.Email = workEmail(res)
	ent, _ := res[URNEnterprise].(map[string]any)
	e.EmployeeNumber, e.Department, e.Organization = str(ent, "employeeNumber"), str(ent, "department"), str(ent, "organization")
	mgr, _ := lookupCI(ent, "manager").(map[string]any)
	e.ManagerID = str(mgr, "value")
	gov, _ := res[URNGovernance].(map[string]any)
	e.Seniority = str(gov, "seniority")
	e.CapstoneOfficial, _ = lookupCI(gov, "capstoneOfficial").(bool)
	e.Caveats = nil
	for _, c := range asList(lookupCI(gov, "caveats")) {
		if s, ok := c.(string); ok && s != "" {
			e.Caveats = append(e.Caveats, s)
		}
	}
	if a, ok := res["active"].(bool); ok {
		e.Active = a
	}
	b, err := encode(res)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	e.SCIMResource = b
	return e, nil
}

// workEmail picks the employee's address: the first of type work, else
// the primary one, else the first. The store indexes it, which is how a
// filter on emails[type eq "work"].value finds candidates.
func workEmail(res map[string]any) string {
	var primary, first string
	for _, v := range asList(res["emails"]) {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		val, _ := m["value"].(string)
		if val == "" {
			continue
		}
		if t, _ := m["type"].(string); fold(t) == "work" {
			return val
		}
		if p, _ := m["primary"].(bool); p && primary == "" {
			primary = val
		}
		if first == "" {
			first = val
		}
	}
	if primary != "" {
		return primary
	}
	return first
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// changedFields names the fields that differ between a and b.
func changedFields(a, b *steward.Employee) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"external_id", a.ExternalID == b.ExternalID},
		{"user_name", a.UserName == b.UserName},
		{"display_name", a.DisplayName == b.DisplayName},
		{"email", a.Email == b.Email},
		{"department", a.Department == b.Department},
		{"title", a.Title == b.Title},
		{"seniority", a.Seniority == b.Seniority},
		{"employee_number", a.EmployeeNumber == b.EmployeeNumber},
		{"organization", a.Organization == b.Organization},
		{"manager_id", a.ManagerID == b.ManagerID},
		{"capstone_official", a.CapstoneOfficial == b.CapstoneOfficial},
		{"caveats", slices.Equal(a.Caveats, b.Caveats)},
		{"active", a.Active == b.Active},
		{"scim_resource", bytes.Equal(a.SCIMResource, b.SCIMResource)},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// transition says what kind of change going from prev to next is; "" if
// nothing changed.
func transition(prev, next *steward.Employee) (ChangeKind, []string) {
	fields := changedFields(prev, next)
	switch {
	case len(fields) == 0:
		return "", nil
	case prev.Active && !next.Active:
		return UserDeactivated, fields
	case !prev.Active && next.Active:
		return UserReactivated, fields
	}
	return UserUpdated, fields
}

func userDetails(e *steward.Employee, kind ChangeKind, fields, paths []string) map[string]any {
	d := map[string]any{"user_name": e.UserName, "external_id": e.ExternalID, "active": e.Active,
		"change": string(kind)}
	if kind == "" {
		d["change"] = "none"
	}
	if fields != nil {
		d["fields"] = fields
	}
	if paths != nil {
		d["paths"] = paths
	}
	return d
}

// listUsers is GET /Users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	lq, err := s.parseListQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.queryUsers(w, r, lq)
}

// searchUsers is POST /Users/.search.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	lq, err := s.parseSearch(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.queryUsers(w, r, lq)
}

// queryUsers answers a query. Without a filter the store pages. With one,
// the candidates are found through an index when the filter pins
// userName, externalId, id or the work email (as identity providers'
// matching queries do), else by a bounded scan; the filter is then
// evaluated on each candidate's resource, and the matches paged.
func (s *Server) queryUsers(w http.ResponseWriter, r *http.Request, lq listQuery) {
	const op steward.Op = "scim.queryUsers"
	ctx, base := r.Context(), s.base(r)
	var out []any
	var total int
	emit := func(rendered map[string]any) { out = append(out, lq.proj.apply(rendered, userType)) }
	if lq.filter == nil {
		q := steward.EmployeeQuery{Offset: lq.start - 1, Limit: lq.count}
		if lq.count == 0 {
			q.Offset, q.Limit = 0, 1 // only the total is wanted
		}
		es, n, err := s.Store.QueryEmployees(ctx, q)
		if err != nil {
			s.fail(w, r, steward.E(op, err))
			return
		}
		total = n
		for _, e := range es {
			if lq.count == 0 {
				break
			}
			res, err := userResource(e)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			emit(renderUser(e, res, base))
		}
		writeList(w, out, total, lq.start)
		return
	}
	cands, err := s.userCandidates(ctx, lq.filter)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var matched []map[string]any
	for _, e := range cands {
		res, err := userResource(e)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if rendered := renderUser(e, res, base); lq.filter.match(rendered, scope{rt: userType}) {
			matched = append(matched, rendered)
		}
	}
	for _, m := range page(matched, lq) {
		emit(m)
	}
	writeList(w, out, len(matched), lq.start)
}

// userCandidates returns every employee that could match f. The hints
// must never exclude a match; they may include non-matches, which the
// caller's evaluation of f drops. The work-email hint relies on Email
// being the first work address (workEmail), so a second work address is
// found only by a filter without that hint.
func (s *Server) userCandidates(ctx context.Context, f Expr) ([]*steward.Employee, error) {
	const op steward.Op = "scim.userCandidates"
	h := hints(f)
	if id, ok := h["id"]; ok {
		e, err := s.liveEmployee(ctx, op, id)
		if steward.Is(steward.NotFound, err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*steward.Employee{e}, nil
	}
	q := steward.EmployeeQuery{UserName: h["userName"], ExternalID: h["externalId"], Email: h["workEmail"]}
	if q == (steward.EmployeeQuery{}) {
		_, n, err := s.Store.QueryEmployees(ctx, steward.EmployeeQuery{Limit: 1})
		if err != nil {
			return nil, steward.E(op, err)
		}
		if n > s.maxScan() {
			return nil, typed(typeTooMany, steward.Errorf(op, steward.Invalid,
				"the filter would scan %d users; filter on userName, externalId or the work email", n))
		}
	}
	es, _, err := s.Store.QueryEmployees(ctx, q)
	if err != nil {
		return nil, steward.E(op, err)
	}
	return es, nil
}

// getUser is GET /Users/{id}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.getUser"
	lq, err := s.parseListQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.liveEmployee(r.Context(), op, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, e, lq.proj)
}

func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, e *steward.Employee, pr projection) {
	res, err := userResource(e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rendered := renderUser(e, res, s.base(r))
	if status == http.StatusCreated {
		w.Header().Set("Location", rendered["meta"].(map[string]any)["location"].(string))
	}
	writeJSON(w, status, pr.apply(rendered, userType))
}

// createUser is POST /Users. A userName taken (in any case) or an
// externalId taken is 409 uniqueness: identity providers then look the
// user up and PATCH it instead.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.createUser"
	lq, body, err := s.writeRequest(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := normalize(body, userType)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := employeeFrom(res, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	// The store checks uniqueness of userName (in any case) and externalId
	// inside its write transaction, so there is no look-up here that a
	// concurrent writer could race.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Store.CreateEmployee(r.Context(), e); err != nil {
		s.fail(w, r, steward.E(op, err))
		return
	}
	ev := &Change{Kind: UserCreated, EmployeeID: e.ID, Employee: e}
	if err := s.committed(r, "scim.user.create", "employee:"+e.ID, userDetails(e, UserCreated, nil, nil), ev); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusCreated, e, lq.proj)
}

// replaceUser is PUT /Users/{id}: the body replaces the whole resource
// (Okta updates profiles this way). id and meta in it are ignored.
func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request) {
	s.updateUser(w, r, "scim.replaceUser", "scim.user.replace", func(_ map[string]any, body map[string]any, _ string) (map[string]any, []string, error) {
		return body, nil, nil
	})
}

// patchUser is PATCH /Users/{id}. It answers 200 with the resource.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	s.updateUser(w, r, "scim.patchUser", "scim.user.patch", func(res map[string]any, body map[string]any, id string) (map[string]any, []string, error) {
		ops, err := parsePatch(body)
		if err != nil {
			return nil, nil, err
		}
		paths, err := applyPatch(res, ops, userType, id)
		return res, paths, err
	})
}

// updateUser runs PUT and PATCH: under the write lock it reads the
// employee, lets change make the new resource from the current one and
// the body, normalizes and maps it, and writes only if something changed,
// so a repeated provisioning cycle leaves everything as it was.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, op steward.Op, action string,
	change func(cur, body map[string]any, id string) (map[string]any, []string, error)) {
	lq, body, err := s.writeRequest(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := r.Context()
	prev, err := s.liveEmployee(ctx, op, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := userResource(prev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, paths, err := change(cur, body, prev.ID)
	if err == nil {
		res, err = normalize(res, userType)
	}
	var next *steward.Employee
	if err == nil {
		next, err = employeeFrom(res, prev)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Identity providers resend what they already sent, every cycle and on
	// every retry. Writing only real changes keeps UpdatedAt meaningful and
	// keeps OnChange from revoking sessions of someone who did not change.
	kind, fields := transition(prev, next)
	if kind != "" {
		next.UpdatedAt = s.now()
		if err := s.Store.UpdateEmployee(ctx, next); err != nil {
			s.fail(w, r, steward.E(op, err))
			return
		}
	} else {
		next = prev
	}
	var ev *Change
	if kind != "" {
		ev = &Change{Kind: kind, EmployeeID: next.ID, Employee: next, Previous: prev, Fields: fields}
	}
	if err := s.committed(r, action, "employee:"+next.ID, userDetails(next, kind, fields, paths), ev); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, next, lq.proj)
}

// deleteUser is DELETE /Users/{id}. The employee is marked deleted and
// inactive, not destroyed: records keep naming them. From then on the
// User answers 404, and its userName and externalId may be provisioned
// again for a new employee.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.deleteUser"
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx := r.Context()
	prev, err := s.liveEmployee(ctx, op, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	at := s.now()
	if err := s.Store.DeleteEmployee(ctx, prev.ID, at); err != nil {
		s.fail(w, r, steward.E(op, err))
		return
	}
	gone := *prev
	gone.Active, gone.DeletedAt, gone.UpdatedAt = false, &at, at
	ev := &Change{Kind: UserDeleted, EmployeeID: prev.ID, Employee: &gone, Previous: prev, Fields: []string{"deleted_at"}}
	if prev.Active {
		ev.Fields = append(ev.Fields, "active")
	}
	if err := s.committed(r, "scim.user.delete", "employee:"+prev.ID, userDetails(&gone, UserDeleted, nil, nil), ev); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
