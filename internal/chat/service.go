// Package chat is what an employee does with their work identity: see
// their contacts and conversations, read them, send, react, delete, run
// groups and link their phone. The web inbox and the JSON API both call
// it; it owns the rules (membership, consent before sending, audit of
// every read) so that neither front end can bypass them.
//
// Every send goes through the one pipeline: it is captured (sealed,
// durable) first and only then queued for the channel.
package chat

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Linker links Steward as a device of an employee's own account.
// signal.Client implements it.
type Linker interface {
	StartLink(ctx context.Context) (string, error)
	FinishLink(ctx context.Context, deviceLinkURI, deviceName string) (string, error)
}

// GroupChange is a group operation an employee asks Steward to make.
type GroupChange struct {
	Employee     *steward.Employee
	Channel      steward.Channel
	Conversation *steward.Conversation // nil when the group is being created
	Operation    string                // create, add, make_admin
	Members      []string              // addresses added or promoted
	Request      GroupRequest          // the request as made, to replay once approved
}

// Group operations as GroupChange.Operation names them.
const (
	GroupCreate    = "create"
	GroupAdd       = "add"
	GroupMakeAdmin = "make_admin"
)

// GroupRule is the group-chat governance hook, asked before every group
// change is made on the channel. It returns nil to allow it, or
// Permission with a reason the employee sees: a refusal, or a change that
// waits for someone's approval (the rule then records the request).
// Without a rule every change that passes consent is allowed.
type GroupRule interface {
	CheckGroup(ctx context.Context, ch GroupChange) error
}

// Service is the employee-facing chat logic. cmd/steward sets the fields.
type Service struct {
	Store    steward.Store
	Pipeline *pipeline.Pipeline
	Reader   *pipeline.Reader
	Consent  *consent.Service
	// Enqueue hands an archived outbound record to the outbox.
	Enqueue func(ctx context.Context, d *steward.Delivery) error
	Groups  map[steward.Channel]steward.GroupManager
	Linkers map[steward.Channel]Linker
	Rule    GroupRule
	Hub     *Hub
	Logger  *slog.Logger
	Now     func() time.Time

	titles sync.Map // conversation id → group title seen in sealed content
	links  sync.Map // identity id → *LinkSession
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// actorOf names an employee in audit records.
func actorOf(employeeID string) string { return "employee:" + employeeID }

// Employee returns the employee and their identities. Returns NotFound.
func (s *Service) Employee(ctx context.Context, employeeID string) (*steward.Employee, []*steward.Identity, error) {
	const op steward.Op = "chat.Employee"
	e, err := s.Store.EmployeeByID(ctx, employeeID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	ids, err := s.Store.IdentitiesByEmployee(ctx, employeeID)
	if err != nil {
		return nil, nil, steward.E(op, err)
	}
	return e, ids, nil
}

// Contacts lists the employee's contacts with their consent states.
func (s *Service) Contacts(ctx context.Context, employeeID string) ([]*steward.Contact, error) {
	cs, err := s.Store.ContactsByEmployee(ctx, employeeID)
	if err != nil {
		return nil, steward.E(steward.Op("chat.Contacts"), err)
	}
	return cs, nil
}

// AddContact adds an outside contact for the employee and sends the
// consent request; see consent.Service.Request for the errors. actor is
// who asked (the employee, or an admin for them); it is audited.
func (s *Service) AddContact(ctx context.Context, actor, employeeID string, req AddContactRequest) (*steward.Contact, error) {
	const op steward.Op = "chat.AddContact"
	if req.Channel == "" {
		req.Channel = "signal"
	}
	c, err := s.Consent.Request(ctx, employeeID, req.Channel, req.Address, req.DisplayName)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: "contact.add", Subject: c.ID,
		Details: map[string]any{"employee_id": employeeID, "channel": c.Channel}}); err != nil {
		return nil, steward.E(op, err)
	}
	return c, nil
}

// me is what the service knows about the acting employee.
type me struct {
	emp   *steward.Employee
	ids   []*steward.Identity
	addrs map[string]*steward.Identity // active identities by address
	// inherited are the work identities of departed direct reports: their
	// conversations, and what still arrives at their numbers, pass to the
	// manager for records continuity. They can be read, never sent from
	// (offboarding suspends them).
	inherited map[string]*steward.Identity
	departed  map[string]*steward.Employee // by employee id
}

// sees reports whether address is one of the viewer's identities or an
// inherited one on channel ch.
func (m *me) sees(ch steward.Channel, address string) bool {
	if id, ok := m.addrs[address]; ok && id.Channel == ch {
		return true
	}
	id, ok := m.inherited[address]
	return ok && id.Channel == ch
}

func (s *Service) me(ctx context.Context, employeeID string) (*me, error) {
	e, ids, err := s.Employee(ctx, employeeID)
	if err != nil {
		return nil, err
	}
	if !e.Active {
		return nil, steward.E(steward.Permission, "the employee is not active")
	}
	m := &me{emp: e, ids: ids, addrs: map[string]*steward.Identity{}, inherited: map[string]*steward.Identity{},
		departed: map[string]*steward.Employee{}}
	for _, id := range ids {
		if id.Status == steward.IdentityActive || id.Status == steward.IdentityPendingLink {
			m.addrs[id.Address] = id
		}
	}
	// Reports name their manager by Steward id (Entra ID) or by the
	// manager's own identity-provider id, kept as externalId (Okta).
	reports, _, err := s.Store.QueryEmployees(ctx, steward.EmployeeQuery{ManagerID: e.ID, IncludeDeleted: true})
	if err != nil {
		return nil, err
	}
	if e.ExternalID != "" && e.ExternalID != e.ID {
		more, _, err := s.Store.QueryEmployees(ctx, steward.EmployeeQuery{ManagerID: e.ExternalID, IncludeDeleted: true})
		if err != nil {
			return nil, err
		}
		reports = append(reports, more...)
	}
	// …and those who named the viewer their successor.
	successors, err := s.Store.SucceededBy(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for _, id := range successors {
		if r, err := s.Store.EmployeeByID(ctx, id); err == nil {
			reports = append(reports, r)
		}
	}
	for _, r := range reports {
		if r.Active || m.departed[r.ID] != nil {
			continue
		}
		// A configured successor other than the viewer takes precedence.
		if succ, err := steward.SuccessorID(ctx, s.Store, r); err != nil {
			return nil, err
		} else if succ != e.ID {
			continue
		}
		rids, err := s.Store.IdentitiesByEmployee(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		m.departed[r.ID] = r
		for _, id := range rids {
			m.inherited[id.Address] = id
		}
	}
	return m, nil
}

// addressesSeen lists the viewer's own and inherited addresses on ch.
func (m *me) addressesSeen(ch steward.Channel) []string {
	out := m.addresses(ch)
	for a, id := range m.inherited {
		if id.Channel == ch {
			out = append(out, a)
		}
	}
	return out
}

func (m *me) addresses(ch steward.Channel) []string {
	var out []string
	for _, id := range m.ids {
		if id.Channel == ch {
			out = append(out, id.Address)
		}
	}
	return out
}

// Conversations lists the employee's conversations, newest activity first.
func (s *Service) Conversations(ctx context.Context, employeeID string) ([]ConversationView, error) {
	const op steward.Op = "chat.Conversations"
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	contacts, err := s.contactsSeen(ctx, m)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var out []ConversationView
	chans := map[steward.Channel]bool{}
	for _, id := range m.ids {
		chans[id.Channel] = true
	}
	for _, id := range m.inherited {
		chans[id.Channel] = true
	}
	for ch := range chans {
		sums, err := s.Store.ConversationsOf(ctx, ch, m.addressesSeen(ch))
		if err != nil {
			return nil, steward.E(op, err)
		}
		for _, sum := range sums {
			v := s.view(ctx, m, &sum.Conversation, sum.Members, contacts)
			if sum.LastLeaf >= 0 {
				if r, err := s.Store.RecordAt(ctx, sum.LastLeaf); err == nil {
					t := r.CapturedAt
					v.LastActivity = &t
				}
			}
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b ConversationView) int {
		switch {
		case a.LastActivity == nil && b.LastActivity == nil:
			return 0
		case a.LastActivity == nil:
			return 1
		case b.LastActivity == nil:
			return -1
		}
		return b.LastActivity.Compare(*a.LastActivity)
	})
	return out, nil
}

// contactsSeen is contactsByAddress for the viewer and every departed
// report whose conversations they inherited (their own contacts win).
func (s *Service) contactsSeen(ctx context.Context, m *me) (map[string]*steward.Contact, error) {
	out, err := s.contactsByAddress(ctx, m.emp.ID)
	if err != nil {
		return nil, err
	}
	for id := range m.departed {
		theirs, err := s.contactsByAddress(ctx, id)
		if err != nil {
			return nil, err
		}
		for k, c := range theirs {
			if _, ok := out[k]; !ok {
				out[k] = c
			}
		}
	}
	return out, nil
}

func (s *Service) contactsByAddress(ctx context.Context, employeeID string) (map[string]*steward.Contact, error) {
	cs, err := s.Store.ContactsByEmployee(ctx, employeeID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*steward.Contact, len(cs))
	for _, c := range cs {
		m[string(c.Channel)+"\x00"+c.Address] = c
	}
	return m, nil
}

// view builds a conversation's list entry and says whether the employee
// may send in it now.
func (s *Service) view(ctx context.Context, m *me, conv *steward.Conversation, members []steward.Member, contacts map[string]*steward.Contact) ConversationView {
	v := ConversationView{ID: conv.ID, Channel: conv.Channel, Kind: conv.Kind, CanSend: true}
	var others []string
	for _, mb := range members {
		p := PartyView{Address: mb.Address, Admin: mb.Admin}
		if id, ok := m.addrs[mb.Address]; ok && id.Channel == conv.Channel {
			p.Me, p.EmployeeID, p.Name = true, m.emp.ID, m.emp.DisplayName
		} else if id, ok := m.inherited[mb.Address]; ok && id.Channel == conv.Channel {
			p.EmployeeID = id.EmployeeID
			if d := m.departed[id.EmployeeID]; d != nil {
				p.Name = d.DisplayName + " (departed)"
			}
		} else if c := contacts[string(conv.Channel)+"\x00"+mb.Address]; c != nil {
			p.ContactID, p.Name, p.ConsentState = c.ID, c.DisplayName, c.ConsentState
		} else if id, err := s.Store.IdentityByAddress(ctx, conv.Channel, mb.Address); err == nil {
			p.EmployeeID = id.EmployeeID
			if e, err := s.Store.EmployeeByID(ctx, id.EmployeeID); err == nil {
				p.Name = e.DisplayName
			}
		}
		if !p.Me {
			name := p.Name
			if name == "" {
				name = p.Address
			}
			others = append(others, name)
			if p.EmployeeID == "" && p.ConsentState != steward.ConsentActive && v.CanSend {
				v.CanSend = false
				v.Blocked = blockedReason(name, p.ConsentState)
			}
		}
		v.Members = append(v.Members, p)
	}
	if conv.Kind == steward.ConversationGroup {
		v.Title = "Group"
		if t, ok := s.titles.Load(conv.ID); ok {
			v.Title = t.(string)
		}
	} else {
		v.Title = strings.Join(others, ", ")
	}
	return v
}

func blockedReason(name string, st steward.ConsentState) string {
	switch st {
	case steward.ConsentPending:
		return "Waiting for " + name + " to accept the recording notice."
	case steward.ConsentDeclined:
		return name + " declined to be recorded; messages cannot be exchanged."
	case steward.ConsentExpired:
		return name + " did not answer the recording notice in time. Add them again to send a new request."
	case steward.ConsentRevoked:
		return name + " withdrew consent (STOP); messages cannot be exchanged."
	}
	return name + " has not consented to be recorded; add them as a contact first."
}

// conversation loads a conversation the employee takes part in. Returns
// NotFound for one they are not in, so its existence is not revealed.
func (s *Service) conversation(ctx context.Context, m *me, id string) (*steward.Conversation, []steward.Member, error) {
	conv, err := s.Store.ConversationByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	members, err := s.Store.Members(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, mb := range members {
		if m.sees(conv.Channel, mb.Address) {
			return conv, members, nil
		}
	}
	return nil, nil, steward.E(steward.NotFound, "conversation not found")
}

// ConversationWith returns the direct conversation between the employee's
// identity and a contact of theirs, creating it if needed. Returns
// NotFound for someone else's contact.
func (s *Service) ConversationWith(ctx context.Context, employeeID, contactID string) (*ConversationView, error) {
	const op steward.Op = "chat.ConversationWith"
	m, err := s.me(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	c, err := s.Store.ContactByID(ctx, contactID)
	if err != nil || c.EmployeeID != employeeID {
		return nil, steward.E(op, steward.NotFound, "contact not found")
	}
	acct := ""
	for _, id := range m.ids {
		if id.Channel == c.Channel {
			acct = id.Address
		}
	}
	if acct == "" {
		return nil, steward.Errorf(op, steward.Permission, "you have no %s work identity", c.Channel)
	}
	pair := []string{acct, c.Address}
	slices.Sort(pair)
	conv, err := s.Store.EnsureConversation(ctx, &steward.Conversation{Channel: c.Channel, Kind: steward.ConversationDirect,
		Key: "direct:" + strings.Join(pair, ",")})
	if err != nil {
		return nil, steward.E(op, err)
	}
	have, err := s.Store.Members(ctx, conv.ID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if len(have) < 2 {
		now := s.now()
		if err := s.Store.AddMembers(ctx, conv.ID, []steward.Member{{Address: acct, AddedAt: now}, {Address: c.Address, AddedAt: now}}); err != nil {
			return nil, steward.E(op, err)
		}
		if have, err = s.Store.Members(ctx, conv.ID); err != nil {
			return nil, steward.E(op, err)
		}
	}
	contacts, err := s.contactsByAddress(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	v := s.view(ctx, m, conv, have, contacts)
	return &v, nil
}

// Subscribe streams the employee's live events until the returned
// function is called.
func (s *Service) Subscribe(employeeID string) (<-chan Event, func()) {
	return s.Hub.Subscribe(employeeID)
}
