package web

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// memAccounts is an in-memory Accounts for this package's tests, keeping
// the contracts that storetest checks of real stores. Tokens come from
// the tokens fake.
type memAccounts struct {
	mu        sync.Mutex
	employees map[string]*steward.Employee
	sessions  map[string]*steward.Session // by id
	creds     map[string]steward.LocalCredential
	tokens    *tokens
	err       error // when set, every call fails with it (a store that cannot answer)
	touches   int
}

var _ Accounts = (*memAccounts)(nil)

func newAccounts(ts *tokens) *memAccounts {
	return &memAccounts{employees: map[string]*steward.Employee{}, sessions: map[string]*steward.Session{},
		creds: map[string]steward.LocalCredential{}, tokens: ts}
}

func (m *memAccounts) addEmployee(e steward.Employee) *steward.Employee {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := e
	m.employees[c.ID] = &c
	return &c
}

// setActive changes an employee's active flag, as SCIM deprovisioning would.
func (m *memAccounts) setActive(id string, active bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.employees[id].Active = active
}

func (m *memAccounts) count(employeeID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sessions {
		if employeeID == "" || s.EmployeeID == employeeID {
			n++
		}
	}
	return n
}

func (m *memAccounts) CreateSession(ctx context.Context, s *steward.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if len(s.Hash) == 0 || s.EmployeeID == "" || s.Method == "" || s.ExpiresAt.IsZero() {
		return steward.E(steward.Invalid, "bad session")
	}
	if _, ok := m.employees[s.EmployeeID]; !ok {
		return steward.E(steward.NotFound, "no employee")
	}
	for _, o := range m.sessions {
		if string(o.Hash) == string(s.Hash) {
			return steward.E(steward.Conflict, "hash taken")
		}
	}
	if s.ID == "" {
		s.ID = steward.NewID()
	}
	c := *s
	m.sessions[s.ID] = &c
	return nil
}

func (m *memAccounts) SessionByHash(ctx context.Context, hash []byte) (*steward.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	for _, s := range m.sessions {
		if string(s.Hash) == string(hash) {
			c := *s
			return &c, nil
		}
	}
	return nil, steward.E(steward.NotFound, "no session")
}

func (m *memAccounts) TouchSession(ctx context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	s, ok := m.sessions[id]
	if !ok {
		return steward.E(steward.NotFound, "no session")
	}
	m.touches++
	if at.After(s.LastSeenAt) {
		s.LastSeenAt = at
	}
	return nil
}

func (m *memAccounts) DeleteSession(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if _, ok := m.sessions[id]; !ok {
		return steward.E(steward.NotFound, "no session")
	}
	delete(m.sessions, id)
	return nil
}

func (m *memAccounts) DeleteEmployeeSessions(ctx context.Context, employeeID string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	n := 0
	for id, s := range m.sessions {
		if s.EmployeeID == employeeID {
			delete(m.sessions, id)
			n++
		}
	}
	return n, nil
}

func (m *memAccounts) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	n := 0
	for id, s := range m.sessions {
		if s.Check(now) != nil {
			delete(m.sessions, id)
			n++
		}
	}
	return n, nil
}

func (m *memAccounts) SetLocalPassword(ctx context.Context, c *steward.LocalCredential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if _, ok := m.employees[c.EmployeeID]; !ok {
		return steward.E(steward.NotFound, "no employee")
	}
	m.creds[c.EmployeeID] = *c
	return nil
}

func (m *memAccounts) LocalCredential(ctx context.Context, employeeID string) (*steward.LocalCredential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	c, ok := m.creds[employeeID]
	if !ok {
		return nil, steward.E(steward.NotFound, "no password")
	}
	return &c, nil
}

func (m *memAccounts) TokenByID(ctx context.Context, id string) (*steward.Token, error) {
	m.mu.Lock()
	fail := m.err
	m.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	m.tokens.mu.Lock()
	defer m.tokens.mu.Unlock()
	for _, t := range m.tokens.m {
		if t.ID == id {
			c := *t
			return &c, nil
		}
	}
	return nil, steward.E(steward.NotFound, "no token")
}

func (m *memAccounts) EmployeeByID(ctx context.Context, id string) (*steward.Employee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	e, ok := m.employees[id]
	if !ok {
		return nil, steward.E(steward.NotFound, "no employee")
	}
	c := *e
	return &c, nil
}

func (m *memAccounts) QueryEmployees(ctx context.Context, q steward.EmployeeQuery) ([]*steward.Employee, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, 0, m.err
	}
	var out []*steward.Employee
	for _, e := range m.employees {
		if e.DeletedAt != nil ||
			(q.UserName != "" && !strings.EqualFold(e.UserName, q.UserName)) ||
			(q.Email != "" && !strings.EqualFold(e.Email, q.Email)) {
			continue
		}
		c := *e
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *steward.Employee) int { return strings.Compare(a.ID, b.ID) })
	n := len(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, n, nil
}
