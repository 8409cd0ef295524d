package steward

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSessionCheck(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	s := &Session{CreatedAt: t0, LastSeenAt: t0.Add(time.Hour), ExpiresAt: t0.Add(12 * time.Hour), IdleTimeout: 30 * time.Minute}
	for _, tc := range []struct {
		at time.Duration
		ok bool
	}{
		{time.Hour, true},
		{89*time.Minute + 59*time.Second, true},
		{90 * time.Minute, false}, // idle
		{13 * time.Hour, false},   // both
	} {
		err := s.Check(t0.Add(tc.at))
		if (err == nil) != tc.ok || (err != nil && !Is(Unauthenticated, err)) {
			t.Errorf("Check at +%v = %v, want ok=%v", tc.at, err, tc.ok)
		}
	}
	s.LastSeenAt = t0.Add(12*time.Hour - time.Minute)
	if err := s.Check(t0.Add(12 * time.Hour)); !Is(Unauthenticated, err) || !strings.Contains(PublicMessage(err), "expired") {
		t.Errorf("absolute timeout while active: %v", err)
	}
	s.IdleTimeout = 0
	s.LastSeenAt = t0
	if err := s.Check(t0.Add(11 * time.Hour)); err != nil {
		t.Errorf("no idle timeout: %v", err)
	}
}

// memSessions is a tiny SessionStore.
type memSessions struct{ m map[string]*Session }

func (m *memSessions) CreateSession(ctx context.Context, s *Session) error {
	c := *s
	m.m[s.ID] = &c
	return nil
}

func (m *memSessions) SessionByHash(ctx context.Context, hash []byte) (*Session, error) {
	for _, s := range m.m {
		if string(s.Hash) == string(hash) {
			c := *s
			return &c, nil
		}
	}
	return nil, E(NotFound, "none")
}

func (m *memSessions) TouchSession(ctx context.Context, id string, at time.Time) error { return nil }

func (m *memSessions) DeleteSession(ctx context.Context, id string) error {
	if _, ok := m.m[id]; !ok {
		return E(NotFound, "none")
	}
	delete(m.m, id)
	return nil
}

func (m *memSessions) DeleteEmployeeSessions(ctx context.Context, id string) (int, error) {
	return 0, nil
}
func (m *memSessions) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return 0, nil
}

func TestStartAndAuthenticateSession(t *testing.T) {
	ctx := context.Background()
	ss := &memSessions{m: map[string]*Session{}}
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	spec := SessionSpec{EmployeeID: "e1", Method: SessionOIDC, Lifetime: 12 * time.Hour, Idle: 30 * time.Minute}
	secret, s, err := StartSession(ctx, ss, spec, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "stws_") || len(secret) != 5+43 || string(s.Hash) != string(HashTokenSecret(secret)) ||
		!s.ExpiresAt.Equal(now.Add(12*time.Hour)) || !s.LastSeenAt.Equal(now) || s.IdleTimeout != 30*time.Minute {
		t.Fatalf("StartSession = %q, %+v", secret, s)
	}
	if got, err := AuthenticateSession(ctx, ss, " "+secret+" ", now.Add(time.Minute)); err != nil || got.ID != s.ID {
		t.Fatalf("AuthenticateSession = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "stws_other", secret + "x"} {
		if _, err := AuthenticateSession(ctx, ss, bad, now); !Is(Unauthenticated, err) {
			t.Errorf("AuthenticateSession(%q) = %v", bad, err)
		}
	}
	// An expired session is refused and deleted.
	if _, err := AuthenticateSession(ctx, ss, secret, now.Add(31*time.Minute)); !Is(Unauthenticated, err) {
		t.Errorf("idle session: %v", err)
	}
	if len(ss.m) != 0 {
		t.Error("expired session not deleted")
	}

	for name, sp := range map[string]SessionSpec{
		"no employee":            {Method: SessionOIDC, Lifetime: time.Hour},
		"unknown method":         {EmployeeID: "e1", Method: "magic", Lifetime: time.Hour},
		"token without id":       {EmployeeID: "e1", Method: SessionToken, Lifetime: time.Hour},
		"token id without token": {EmployeeID: "e1", Method: SessionLocal, TokenID: "t1", Lifetime: time.Hour},
		"no lifetime":            {EmployeeID: "e1", Method: SessionLocal},
		"negative idle":          {EmployeeID: "e1", Method: SessionLocal, Lifetime: time.Hour, Idle: -1},
	} {
		if _, _, err := StartSession(ctx, ss, sp, now); !Is(Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}
