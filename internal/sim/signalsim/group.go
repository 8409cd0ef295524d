package signalsim

import (
	"fmt"
	"slices"
)

type group struct {
	id          string // base64 of the 32-byte group id
	name        string
	description string
	members     []string // numbers, in order of joining
	admins      map[string]bool
	known       map[string]bool // everyone who ever was a member
	revision    int64
}

func (g *group) isMember(n string) bool { return slices.Contains(g.members, n) }

func (s *Server) updateGroup(a *account, p params) (any, *rpcError) {
	gid, e := p.str("groupId")
	if e != nil {
		return nil, e
	}
	name, e := p.str("name")
	if e != nil {
		return nil, e
	}
	desc, e := p.str("description")
	if e != nil {
		return nil, e
	}
	add, e := p.list("member")
	if e != nil {
		return nil, e
	}
	remove, e := p.list("removeMember")
	if e != nil {
		return nil, e
	}
	admins, e := p.list("admin")
	if e != nil {
		return nil, e
	}
	unadmins, e := p.list("removeAdmin")
	if e != nil {
		return nil, e
	}
	resolveAll := func(rs []string) ([]string, *rpcError) {
		var out []string
		for _, r := range rs {
			pr, e := s.resolve(r)
			if e != nil {
				return nil, e
			}
			if pr.acc == nil && pr.contact == nil {
				// signal-cli resolves members before changing the group
				// (UnregisteredRecipientException → UserErrorException).
				return nil, errUser("The user %s is not registered.", r)
			}
			out = append(out, pr.number)
		}
		return out, nil
	}
	var err *rpcError
	if add, err = resolveAll(add); err != nil {
		return nil, err
	}
	if remove, err = resolveAll(remove); err != nil {
		return nil, err
	}
	if admins, err = resolveAll(admins); err != nil {
		return nil, err
	}
	if unadmins, err = resolveAll(unadmins); err != nil {
		return nil, err
	}

	created := false
	var g *group
	if gid == "" {
		s.seq++
		g = &group{id: b64(digest(fmt.Sprint("group:", s.seq))), members: []string{a.number}, admins: map[string]bool{a.number: true}, known: map[string]bool{}}
		s.groups[g.id] = g
		s.groupOrder = append(s.groupOrder, g.id)
		created = true
	} else {
		g = s.groups[gid]
		if g == nil {
			return nil, errUser("Invalid group id: %s", gid)
		}
		if !g.isMember(a.number) {
			return nil, errUser("You are not a member of this group")
		}
	}
	if p.has("name") {
		g.name = name
	}
	if p.has("description") {
		g.description = desc
	}
	for _, m := range add {
		if !g.isMember(m) {
			g.members = append(g.members, m)
		}
	}
	var removed []string
	for _, m := range remove {
		if i := slices.Index(g.members, m); i >= 0 {
			g.members = slices.Delete(g.members, i, i+1)
			delete(g.admins, m)
			removed = append(removed, m)
		}
	}
	for _, m := range admins {
		if !g.isMember(m) {
			return nil, errUser("Cannot make %s an admin: not a member", m)
		}
		g.admins[m] = true
	}
	for _, m := range unadmins {
		delete(g.admins, m)
	}
	for _, m := range g.members {
		g.known[m] = true
	}
	g.revision++
	ts := s.nowTS()
	gi := &GroupInfo{GroupID: g.id, GroupName: g.name, Revision: g.revision, Type: "UPDATE"}
	results := []sendResult{}
	// Every other member, and those just removed, learn of the update.
	// Unlike a send's, updateGroup's results carry no groupId
	// (SendMessageResultUtils.getJsonSendMessageResults without a group).
	for _, m := range append(slices.Clone(g.members), removed...) {
		if m == a.number {
			continue
		}
		pr, _ := s.resolve(m)
		results = append(results, sendResult{RecipientAddress: address(pr), Type: "SUCCESS"})
		if pr.acc != nil {
			env := s.envelopeFrom(a.number, a.uuid, "", ts)
			env.DataMessage = &DataMessage{Timestamp: ts, GroupInfo: gi}
			s.emitLocked(pr.acc.number, env)
		}
	}
	out := map[string]any{"timestamp": ts, "results": results}
	if created {
		out["groupId"] = g.id
	}
	return out, nil
}

type memberJSON struct {
	Number  string `json:"number,omitempty"`
	UUID    string `json:"uuid,omitempty"`
	IsAdmin bool   `json:"isAdmin"`
}

func (s *Server) listGroups(a *account, p params) (any, *rpcError) {
	ids, e := p.list("groupId")
	if e != nil {
		return nil, e
	}
	out := []map[string]any{}
	for _, id := range s.groupOrder {
		g := s.groups[id]
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		if !g.known[a.number] {
			continue // the account never learnt of this group
		}
		members := []memberJSON{}
		adminList := []memberJSON{}
		for _, m := range g.members {
			pr, _ := s.resolve(m)
			mj := memberJSON{Number: pr.number, UUID: pr.uuid, IsAdmin: g.admins[m]}
			if mj.UUID == "" {
				mj.UUID = deriveUUID("number:" + m)
			}
			members = append(members, mj)
			if mj.IsAdmin {
				adminList = append(adminList, mj)
			}
		}
		out = append(out, map[string]any{
			"id":                    g.id,
			"name":                  g.name,
			"description":           g.description,
			"isMember":              g.isMember(a.number),
			"isBlocked":             false,
			"messageExpirationTime": 0,
			"members":               members,
			"pendingMembers":        []memberJSON{},
			"requestingMembers":     []memberJSON{},
			"admins":                adminList,
			"banned":                []memberJSON{},
			"permissionAddMember":   "EVERY_MEMBER",
			"permissionEditDetails": "EVERY_MEMBER",
			"permissionSendMessage": "EVERY_MEMBER",
			"groupInviteLink":       nil,
		})
	}
	return out, nil
}
