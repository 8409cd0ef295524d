package compliance

import (
	"context"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// peopleTTL bounds how stale a cached employee's attributes may be when
// policy reads them. Directory changes made through Steward invalidate
// the cache at once (Forget); the TTL covers everything else.
const peopleTTL = 30 * time.Second

// peopleCache keeps what policy needs to know about employees and
// addresses, so that a decision does not cost several store reads per
// party.
type peopleCache struct {
	mu  sync.Mutex
	m   map[string]cachedPerson
	ids map[string]cachedIdentity // channel + "\x00" + address
}

// cachedIdentity is the work identity at an address, or its absence.
type cachedIdentity struct {
	id *steward.Identity // nil: an outside address
	at time.Time
}

type cachedPerson struct {
	p  policy.Party
	at time.Time
}

// Forget drops every cached employee; cmd/steward calls it whenever the
// directory changes (SCIM, identity changes, role mappings).
func (s *Service) Forget() {
	s.people.mu.Lock()
	s.people.m, s.people.ids = nil, nil
	s.people.mu.Unlock()
}

// identity returns the work identity at an address, nil for an outside
// one, cached like employees' attributes.
func (s *Service) identity(ctx context.Context, ch steward.Channel, address string) (*steward.Identity, error) {
	key := string(ch) + "\x00" + address
	now := s.now()
	s.people.mu.Lock()
	if c, ok := s.people.ids[key]; ok && now.Sub(c.at) < peopleTTL {
		s.people.mu.Unlock()
		return c.id, nil
	}
	s.people.mu.Unlock()
	id, err := s.Store.IdentityByAddress(ctx, ch, address)
	if steward.Is(steward.NotFound, err) {
		id, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.people.mu.Lock()
	if s.people.ids == nil {
		s.people.ids = map[string]cachedIdentity{}
	}
	s.people.ids[key] = cachedIdentity{id, now}
	s.people.mu.Unlock()
	return id, nil
}

// employee returns the policy view of an employee: attributes as the
// identity provider set them and roles as mapped now. This is the role at
// capture time, which is what the decision records.
func (s *Service) employee(ctx context.Context, id string) (policy.Party, error) {
	now := s.now()
	s.people.mu.Lock()
	if c, ok := s.people.m[id]; ok && now.Sub(c.at) < peopleTTL {
		s.people.mu.Unlock()
		return c.p, nil
	}
	s.people.mu.Unlock()
	e, err := s.Store.EmployeeByID(ctx, id)
	if err != nil {
		return policy.Party{}, err
	}
	roles, err := steward.EmployeeRoles(ctx, s.Store, id)
	if err != nil {
		return policy.Party{}, err
	}
	p := policy.Party{Inside: true, EmployeeID: e.ID, Name: e.DisplayName, Department: e.Department,
		Title: e.Title, Seniority: e.Seniority, Capstone: e.CapstoneOfficial, Caveats: e.Caveats}
	for _, r := range roles {
		p.Roles = append(p.Roles, string(r))
	}
	s.people.mu.Lock()
	if s.people.m == nil {
		s.people.m = map[string]cachedPerson{}
	}
	s.people.m[id] = cachedPerson{p, now}
	s.people.mu.Unlock()
	return p, nil
}

// party resolves one address on a channel: an employee's work identity,
// or an outside party whose consent state is as owner (the employee on
// our side of the conversation) knows it.
func (s *Service) party(ctx context.Context, ch steward.Channel, address, employeeID, owner string) (policy.Party, error) {
	if employeeID == "" {
		id, err := s.identity(ctx, ch, address)
		if err != nil {
			return policy.Party{}, err
		}
		if id != nil {
			employeeID = id.EmployeeID
		}
	}
	if employeeID != "" {
		p, err := s.employee(ctx, employeeID)
		if err != nil && !steward.Is(steward.NotFound, err) {
			return policy.Party{}, err
		}
		p.Address, p.Inside = address, true
		return p, nil
	}
	p := policy.Party{Address: address, Country: policy.CountryCode(address), Consent: "none"}
	if owner != "" {
		c, err := s.Store.ContactByAddress(ctx, owner, ch, address)
		switch {
		case err == nil:
			p.Consent, p.Name = string(c.ConsentState), c.DisplayName
		case !steward.Is(steward.NotFound, err):
			return policy.Party{}, err
		}
	}
	return p, nil
}

// messageInput builds what message policies see of an item. Recipients
// of a group message are the conversation's other members.
func (s *Service) messageInput(ctx context.Context, it *steward.Item, conv *steward.Conversation) (*policy.MessageInput, error) {
	in := &policy.MessageInput{
		Channel: string(it.Channel), Direction: string(it.Direction), Mode: "governed",
		ConversationType: string(steward.ConversationDirect), Length: len(it.Body),
		Time: it.SentAt, SampleKey: it.IdempotencyKey, Findings: map[string]int{},
	}
	if it.SentAt.IsZero() {
		in.Time = s.now()
	}
	sender, err := s.party(ctx, it.Channel, it.Sender.Address, it.Sender.EmployeeID, "")
	if err != nil {
		return nil, err
	}
	// Steward's own sends carry its ids; anything else an employee sent
	// was sent from the native app and is seen only after the fact.
	if sender.Inside && !strings.HasPrefix(it.ChannelMessageID, "steward:") {
		in.Mode = "linked"
	}
	owner := sender.EmployeeID
	addrs := make([]string, 0, len(it.Recipients))
	ids := map[string]string{}
	for _, r := range it.Recipients {
		addrs = append(addrs, r.Address)
		ids[r.Address] = r.EmployeeID
	}
	if conv != nil {
		in.ConversationType = string(conv.Kind)
	}
	// A direct conversation's members are its two parties; only a group's
	// are worth a read of the member list.
	if conv != nil && conv.Kind == steward.ConversationGroup {
		members, err := s.Store.Members(ctx, conv.ID)
		if err != nil {
			return nil, err
		}
		in.ConversationSize = len(members)
		addrs = addrs[:0]
		for _, m := range members {
			if m.Address != it.Sender.Address {
				addrs = append(addrs, m.Address)
			}
		}
	}
	var outside []string
	for _, a := range addrs {
		p, err := s.party(ctx, it.Channel, a, ids[a], "")
		if err != nil {
			return nil, err
		}
		// A linked identity's phone shows what arrives before Steward, its
		// linked device, sees it: nothing inbound can be held there.
		if p.Inside && it.Direction == steward.DirInbound && in.Mode != "linked" {
			if id, err := s.identity(ctx, it.Channel, a); err == nil && id != nil && id.Mode == steward.IdentityLinked {
				in.Mode = "linked"
			}
		}
		if p.Inside && owner == "" {
			owner = p.EmployeeID
		}
		if !p.Inside {
			outside = append(outside, a)
			continue
		}
		in.Recipients = append(in.Recipients, p)
	}
	// Outside parties' consent is as the employee on our side knows it.
	for _, a := range outside {
		p, err := s.party(ctx, it.Channel, a, "", owner)
		if err != nil {
			return nil, err
		}
		in.Recipients = append(in.Recipients, p)
	}
	if !sender.Inside && owner != "" {
		if sender, err = s.party(ctx, it.Channel, it.Sender.Address, "", owner); err != nil {
			return nil, err
		}
	}
	in.Sender = sender
	if in.ConversationSize == 0 {
		in.ConversationSize = 1 + len(in.Recipients)
	}
	for _, a := range it.Attachments {
		in.Attachments = append(in.Attachments, policy.Attachment{Filename: path.Base(a.Filename),
			Type: a.ContentType, Size: int64(len(a.Data)), Scannable: true})
	}
	return in, nil
}
