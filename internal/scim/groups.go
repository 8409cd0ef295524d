package scim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// Groups map onto steward.Group: displayName, externalId and members
// (employee ids). Unlike Users, a Group is not stored as sent: it has
// nothing else worth keeping, and members live in their own table so
// that a group of thousands changes one row at a time.

// groupResource returns the group in canonical shape, without id and meta.
// Members are given when the group was read with them.
func groupResource(g *steward.Group, base string) map[string]any {
	m := map[string]any{"displayName": g.DisplayName}
	if g.ExternalID != "" {
		m["externalId"] = g.ExternalID
	}
	if len(g.Members) > 0 {
		ms := make([]any, len(g.Members))
		for i, id := range g.Members {
			ms[i] = map[string]any{"value": id, "$ref": base + "/Users/" + id, "type": "User"}
		}
		m["members"] = ms
	}
	return m
}

func renderGroup(g *steward.Group, base string) map[string]any {
	out := groupResource(g, base)
	out["schemas"] = []string{URNGroup}
	out["id"] = g.ID
	out["meta"] = meta("Group", g.CreatedAt, g.UpdatedAt, base+"/Groups/"+g.ID)
	return out
}

// groupFrom returns prev (or a new group) with its fields taken from res,
// a normalized Group resource.
func groupFrom(res map[string]any, prev *steward.Group) (*steward.Group, error) {
	const op steward.Op = "scim.groupFrom"
	g := &steward.Group{}
	if prev != nil {
		c := *prev
		g = &c
	}
	g.DisplayName, _ = res["displayName"].(string)
	if g.DisplayName == "" {
		return nil, invalid(op, typeInvalidValue, "displayName is required")
	}
	g.ExternalID, _ = res["externalId"].(string)
	g.Members = nil
	for _, v := range asList(res["members"]) {
		m, _ := v.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, invalid(op, typeInvalidValue, "every member needs a value, the member's id")
		}
		if t, _ := m["type"].(string); t != "" && !strings.EqualFold(t, "User") {
			return nil, invalid(op, typeInvalidValue, fmt.Sprintf("member %s: only Users can be members, not %s", id, t))
		}
		g.Members = append(g.Members, id)
	}
	slices.Sort(g.Members)
	g.Members = slices.Compact(g.Members)
	return g, nil
}

// memberDiff returns the ids in b but not a, and in a but not b; both are
// sorted.
func memberDiff(a, b []string) (added, removed []string) {
	for _, id := range b {
		if _, ok := slices.BinarySearch(a, id); !ok {
			added = append(added, id)
		}
	}
	for _, id := range a {
		if _, ok := slices.BinarySearch(b, id); !ok {
			removed = append(removed, id)
		}
	}
	return added, removed
}

func groupDetails(g *steward.Group, added, removed []string, paths []string) map[string]any {
	d := map[string]any{"display_name": g.DisplayName, "external_id": g.ExternalID}
	if added != nil {
		d["added"] = added
	}
	if removed != nil {
		d["removed"] = removed
	}
	if paths != nil {
		d["paths"] = paths
	}
	return d
}

// group returns the group id, with its members unless withoutMembers.
func (s *Server) group(ctx context.Context, op steward.Op, id string, withoutMembers bool) (*steward.Group, error) {
	gs, _, err := s.Store.Groups(ctx, steward.GroupQuery{ID: id, WithoutMembers: withoutMembers})
	if err != nil {
		return nil, steward.E(op, err)
	}
	if len(gs) == 0 {
		return nil, notFound(op, "group not found")
	}
	return gs[0], nil
}

// listGroups is GET /Groups.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	lq, err := s.parseListQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.queryGroups(w, r, lq)
}

// searchGroups is POST /Groups/.search.
func (s *Server) searchGroups(w http.ResponseWriter, r *http.Request) {
	lq, err := s.parseSearch(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.queryGroups(w, r, lq)
}

// queryGroups answers a query as queryUsers does. Members are read only
// if the answer shows them or the filter tests them: Entra ID asks with
// excludedAttributes=members, and a large group's members are costly.
func (s *Server) queryGroups(w http.ResponseWriter, r *http.Request, lq listQuery) {
	const op steward.Op = "scim.queryGroups"
	ctx, base := r.Context(), s.base(r)
	withoutMembers := lq.proj.excludes("members") && (lq.filter == nil || !mentions(lq.filter, "members"))
	var out []any
	if lq.filter == nil {
		q := steward.GroupQuery{Offset: lq.start - 1, Limit: lq.count, WithoutMembers: withoutMembers}
		if lq.count == 0 {
			q.Offset, q.Limit, q.WithoutMembers = 0, 1, true
		}
		gs, n, err := s.Store.Groups(ctx, q)
		if err != nil {
			s.fail(w, r, steward.E(op, err))
			return
		}
		for _, g := range gs {
			if lq.count > 0 {
				out = append(out, lq.proj.apply(renderGroup(g, base), groupType))
			}
		}
		writeList(w, out, n, lq.start)
		return
	}
	h := hints(lq.filter)
	q := steward.GroupQuery{ID: h["id"], DisplayName: h["displayName"], ExternalID: h["externalId"], WithoutMembers: withoutMembers}
	if q.ID == "" && q.DisplayName == "" && q.ExternalID == "" {
		_, n, err := s.Store.Groups(ctx, steward.GroupQuery{Limit: 1, WithoutMembers: true})
		if err != nil {
			s.fail(w, r, steward.E(op, err))
			return
		}
		if n > s.maxScan() {
			s.fail(w, r, typed(typeTooMany, steward.Errorf(op, steward.Invalid,
				"the filter would scan %d groups; filter on displayName or externalId", n)))
			return
		}
	}
	gs, _, err := s.Store.Groups(ctx, q)
	if err != nil {
		s.fail(w, r, steward.E(op, err))
		return
	}
	var matched []map[string]any
	for _, g := range gs {
		if rendered := renderGroup(g, base); lq.filter.match(rendered, scope{rt: groupType}) {
			matched = append(matched, rendered)
		}
	}
	for _, m := range page(matched, lq) {
		out = append(out, lq.proj.apply(m, groupType))
	}
	writeList(w, out, len(matched), lq.start)
}

// getGroup is GET /Groups/{id}.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.getGroup"
	lq, err := s.parseListQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.group(r.Context(), op, r.PathValue("id"), lq.proj.excludes("members"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, lq.proj.apply(renderGroup(g, s.base(r)), groupType))
}

// createGroup is POST /Groups. Entra ID creates groups empty and adds
// members by PATCH; Okta may send members at once.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.createGroup"
	lq, body, err := s.writeRequest(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := normalize(body, groupType)
	var g *steward.Group
	if err == nil {
		g, err = groupFrom(res, nil)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g.CreatedAt = s.now()
	g.UpdatedAt = g.CreatedAt
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Store.CreateGroup(r.Context(), g); err != nil {
		s.fail(w, r, steward.E(op, err))
		return
	}
	ev := &Change{Kind: GroupChanged, GroupID: g.ID, Added: g.Members}
	if err := s.committed(r, "scim.group.create", "group:"+g.ID, groupDetails(g, g.Members, nil, nil), ev); err != nil {
		s.fail(w, r, err)
		return
	}
	rendered := renderGroup(g, s.base(r))
	w.Header().Set("Location", rendered["meta"].(map[string]any)["location"].(string))
	writeJSON(w, http.StatusCreated, lq.proj.apply(rendered, groupType))
}

// replaceGroup is PUT /Groups/{id}: name, externalId and members are
// replaced together. It answers 200 with the group.
func (s *Server) replaceGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.replaceGroup"
	lq, body, err := s.writeRequest(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, err := s.group(r.Context(), op, r.PathValue("id"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := normalize(body, groupType)
	var g *steward.Group
	if err == nil {
		g, err = groupFrom(res, prev)
	}
	if err == nil {
		g, err = s.saveGroup(r, op, "scim.group.replace", prev, g, nil)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, lq.proj.apply(renderGroup(g, s.base(r)), groupType))
}

// saveGroup writes g over prev if anything changed, audits and reports.
func (s *Server) saveGroup(r *http.Request, op steward.Op, action string,
	prev, g *steward.Group, paths []string) (*steward.Group, error) {
	added, removed := memberDiff(prev.Members, g.Members)
	changed := added != nil || removed != nil || g.DisplayName != prev.DisplayName || g.ExternalID != prev.ExternalID
	var ev *Change
	if changed {
		g.UpdatedAt = s.now()
		if err := s.Store.UpdateGroup(r.Context(), g); err != nil {
			return nil, steward.E(op, err)
		}
		ev = &Change{Kind: GroupChanged, GroupID: g.ID, Added: added, Removed: removed}
	} else {
		g = prev
	}
	details := groupDetails(g, added, removed, paths)
	details["changed"] = changed
	return g, s.committed(r, action, "group:"+g.ID, details, ev)
}

// patchGroup is PATCH /Groups/{id}. It answers 204, as Entra ID expects.
//
// A PATCH that only adds members, or only removes them (by value list or
// by members[value eq "…"]), goes straight to the store as one
// AddGroupMembers or RemoveGroupMembers, without reading the members:
// Entra ID sends these a few hundred at a time to groups of any size.
// Anything else is applied to the whole group and saved at once.
func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.patchGroup"
	body, err := s.readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ops, err := parsePatch(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, id := r.Context(), r.PathValue("id")
	// The fast path reads only whether the group exists; the store makes
	// the add or remove idempotent and reports what really changed, which
	// is what OnChange and the audit record carry.
	if add, remove, ok := memberOps(ops); ok {
		g, err := s.group(ctx, op, id, true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var added, removed []string
		if add != nil {
			added, err = s.Store.AddGroupMembers(ctx, id, add, s.now())
		} else {
			removed, err = s.Store.RemoveGroupMembers(ctx, id, remove, s.now())
		}
		if err != nil {
			s.fail(w, r, steward.E(op, err))
			return
		}
		var ev *Change
		if added != nil || removed != nil {
			ev = &Change{Kind: GroupChanged, GroupID: id, Added: added, Removed: removed}
		}
		details := groupDetails(g, added, removed, []string{"members"})
		details["changed"] = ev != nil
		if err := s.committed(r, "scim.group.patch", "group:"+id, details, ev); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	prev, err := s.group(ctx, op, id, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := groupResource(prev, s.base(r))
	paths, err := applyPatch(res, ops, groupType, prev.ID)
	if err == nil {
		res, err = normalize(res, groupType)
	}
	var g *steward.Group
	if err == nil {
		g, err = groupFrom(res, prev)
	}
	if err == nil {
		_, err = s.saveGroup(r, op, "scim.group.patch", prev, g, paths)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// memberOps returns the member ids of a PATCH whose operations all add
// members by value list, or all remove members by value list or by
// members[value eq "…"] filters (or alternatives of them), and false for
// any other PATCH.
func memberOps(ops []patchOp) (add, remove []string, ok bool) {
	for _, po := range ops {
		p, err := ParsePath(po.path)
		if po.path == "" || err != nil || p.URN != "" || !strings.EqualFold(p.Attr, "members") || p.Sub != "" {
			return nil, nil, false
		}
		var ids []string
		switch {
		case po.op == "add" && p.Filter == nil, po.op == "remove" && p.Filter == nil && po.hasValue:
			l, isList := po.value.([]any)
			if !isList {
				return nil, nil, false
			}
			for _, v := range l {
				m, _ := v.(map[string]any)
				id, _ := lookupCI(m, "value").(string)
				if id == "" {
					return nil, nil, false // the general path reports the error
				}
				ids = append(ids, id)
			}
		case po.op == "remove" && p.Filter != nil && !po.hasValue:
			if ids, ok = valueEqualities(p.Filter); !ok {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
		if po.op == "add" {
			add = append(add, ids...)
		} else {
			remove = append(remove, ids...)
		}
	}
	// A PATCH that both adds and removes must apply atomically, and two
	// store calls are not; the general path does it in one UpdateGroup.
	if add != nil && remove != nil || add == nil && remove == nil {
		return nil, nil, false
	}
	return add, remove, true
}

// valueEqualities returns the strings of a filter made only of value eq
// "…" joined by or.
func valueEqualities(f Expr) ([]string, bool) {
	switch f := f.(type) {
	case *Logical:
		if f.Op != "or" {
			return nil, false
		}
		l, ok1 := valueEqualities(f.L)
		r, ok2 := valueEqualities(f.R)
		return append(l, r...), ok1 && ok2
	case *Compare:
		v, isStr := f.Value.(string)
		if f.Op == "eq" && isStr && f.Path.URN == "" && f.Path.Filter == nil && f.Path.Sub == "" &&
			strings.EqualFold(f.Path.Attr, "value") {
			return []string{v}, true
		}
	}
	return nil, false
}

// deleteGroup is DELETE /Groups/{id}. Groups hold no records, so the group
// is removed; the change reports the members it had.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "scim.deleteGroup"
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, err := s.group(r.Context(), op, r.PathValue("id"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.DeleteGroup(r.Context(), prev.ID); err != nil {
		s.fail(w, r, steward.E(op, err))
		return
	}
	ev := &Change{Kind: GroupDeleted, GroupID: prev.ID, Removed: prev.Members}
	if err := s.committed(r, "scim.group.delete", "group:"+prev.ID, groupDetails(prev, nil, prev.Members, nil), ev); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
