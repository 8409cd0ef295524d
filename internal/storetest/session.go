package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testSignIn checks steward.SignInStore: sessions, local passwords and
// tokens by id.
func testSignIn(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("SessionExpiry", func(t *testing.T) { testSessionExpiry(t, open) })
	t.Run("LocalCredentials", func(t *testing.T) { testLocalCredentials(t, open) })
	t.Run("TokenByID", func(t *testing.T) { testTokenByID(t, open) })
}

func signInEmployee(t *testing.T, s steward.Store, userName string) *steward.Employee {
	t.Helper()
	e := &steward.Employee{UserName: userName, DisplayName: userName, Active: true}
	must(t, "CreateEmployee", s.CreateEmployee(ctx, e))
	return e
}

func sessionHash(secret string) []byte { h := sha256.Sum256([]byte(secret)); return h[:] }

func normSession(s *steward.Session) steward.Session {
	c := *s
	c.CreatedAt, c.LastSeenAt, c.ExpiresAt = ts(c.CreatedAt), ts(c.LastSeenAt), ts(c.ExpiresAt)
	c.Hash = bytesOrNil(c.Hash)
	return c
}

func testSessions(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada, bob := signInEmployee(t, s, "ada"), signInEmployee(t, s, "bob")
	created := time.Date(2025, 6, 1, 9, 0, 0, 123456000, time.UTC)

	a1 := &steward.Session{EmployeeID: ada.ID, Method: steward.SessionOIDC, Hash: sessionHash("a1"),
		CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(12 * time.Hour), IdleTimeout: 30 * time.Minute}
	must(t, "CreateSession", s.CreateSession(ctx, a1))
	if a1.ID == "" {
		t.Fatal("CreateSession assigned no ID")
	}
	got, err := s.SessionByHash(ctx, sessionHash("a1"))
	must(t, "SessionByHash", err)
	same(t, "SessionByHash", normSession(got), normSession(a1))
	_, err = s.SessionByHash(ctx, sessionHash("nope"))
	wantKind(t, "SessionByHash unknown", err, steward.NotFound)

	// The same hash twice, or a session of nobody, is refused.
	dup := *a1
	dup.ID = ""
	wantKind(t, "duplicate hash", s.CreateSession(ctx, &dup), steward.Conflict)
	wantKind(t, "unknown employee", s.CreateSession(ctx, &steward.Session{EmployeeID: steward.NewID(),
		Method: steward.SessionLocal, Hash: sessionHash("x"), ExpiresAt: created.Add(time.Hour)}), steward.NotFound)
	wantKind(t, "no hash", s.CreateSession(ctx, &steward.Session{EmployeeID: ada.ID,
		Method: steward.SessionLocal, ExpiresAt: created.Add(time.Hour)}), steward.Invalid)
	wantKind(t, "no expiry", s.CreateSession(ctx, &steward.Session{EmployeeID: ada.ID,
		Method: steward.SessionLocal, Hash: sessionHash("y")}), steward.Invalid)

	// A token session keeps its token id; an unknown token is refused.
	tok := &steward.Token{Name: "ada inbox", Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: ada.ID,
		Hash: sessionHash("token"), CreatedAt: created}
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	a2 := &steward.Session{EmployeeID: ada.ID, Method: steward.SessionToken, TokenID: tok.ID, Hash: sessionHash("a2"),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	must(t, "CreateSession with token", s.CreateSession(ctx, a2))
	if !a2.LastSeenAt.Equal(created) {
		t.Fatalf("CreateSession left LastSeenAt %v, want CreatedAt %v", a2.LastSeenAt, created)
	}
	got, err = s.SessionByHash(ctx, sessionHash("a2"))
	must(t, "SessionByHash", err)
	same(t, "token session", normSession(got), normSession(a2))
	wantKind(t, "unknown token", s.CreateSession(ctx, &steward.Session{EmployeeID: ada.ID, Method: steward.SessionToken,
		TokenID: steward.NewID(), Hash: sessionHash("z"), ExpiresAt: created.Add(time.Hour)}), steward.NotFound)

	// Touching moves LastSeenAt forward, never back.
	later := created.Add(10 * time.Minute)
	must(t, "TouchSession", s.TouchSession(ctx, a1.ID, later))
	must(t, "TouchSession earlier", s.TouchSession(ctx, a1.ID, created.Add(time.Minute)))
	got, err = s.SessionByHash(ctx, sessionHash("a1"))
	must(t, "SessionByHash", err)
	if !ts(got.LastSeenAt).Equal(ts(later)) {
		t.Fatalf("LastSeenAt = %v, want %v", got.LastSeenAt, later)
	}
	wantKind(t, "TouchSession unknown", s.TouchSession(ctx, steward.NewID(), later), steward.NotFound)

	// Sign-out ends one session.
	b1 := &steward.Session{EmployeeID: bob.ID, Method: steward.SessionLocal, Hash: sessionHash("b1"),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, b1))
	must(t, "DeleteSession", s.DeleteSession(ctx, a2.ID))
	_, err = s.SessionByHash(ctx, sessionHash("a2"))
	wantKind(t, "deleted session", err, steward.NotFound)
	wantKind(t, "DeleteSession again", s.DeleteSession(ctx, a2.ID), steward.NotFound)

	// Offboarding ends all of an employee's sessions, and no one else's.
	a3 := &steward.Session{EmployeeID: ada.ID, Method: steward.SessionLocal, Hash: sessionHash("a3"),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	must(t, "CreateSession", s.CreateSession(ctx, a3))
	n, err := s.DeleteEmployeeSessions(ctx, ada.ID)
	must(t, "DeleteEmployeeSessions", err)
	if n != 2 {
		t.Fatalf("DeleteEmployeeSessions = %d, want 2", n)
	}
	for _, h := range []string{"a1", "a3"} {
		_, err = s.SessionByHash(ctx, sessionHash(h))
		wantKind(t, "offboarded session "+h, err, steward.NotFound)
	}
	if _, err = s.SessionByHash(ctx, sessionHash("b1")); err != nil {
		t.Fatalf("another employee's session went too: %v", err)
	}
	n, err = s.DeleteEmployeeSessions(ctx, ada.ID)
	if err != nil || n != 0 {
		t.Fatalf("DeleteEmployeeSessions with none left = %d, %v", n, err)
	}
	if n, err = s.DeleteEmployeeSessions(ctx, steward.NewID()); err != nil || n != 0 {
		t.Fatalf("DeleteEmployeeSessions of nobody = %d, %v", n, err)
	}
}

func testSessionExpiry(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada := signInEmployee(t, s, "ada")
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	mk := func(name string, expires time.Duration, idle time.Duration, seen time.Duration) {
		must(t, "CreateSession "+name, s.CreateSession(ctx, &steward.Session{EmployeeID: ada.ID, Method: steward.SessionOIDC,
			Hash: sessionHash(name), CreatedAt: t0, LastSeenAt: t0.Add(seen), ExpiresAt: t0.Add(expires), IdleTimeout: idle}))
	}
	now := t0.Add(2 * time.Hour)
	mk("fresh", 12*time.Hour, 30*time.Minute, 110*time.Minute)       // seen 10 min ago
	mk("idle", 12*time.Hour, 30*time.Minute, 90*time.Minute)         // seen exactly 30 min ago
	mk("absolute", 2*time.Hour, 0, 119*time.Minute)                  // expires now
	mk("no idle limit", 12*time.Hour, 0, 0)                          // seen 2 h ago, no idle timeout
	mk("idle later", 12*time.Hour, 30*time.Minute, 91*time.Minute+1) // idle in 1 min

	n, err := s.DeleteExpiredSessions(ctx, now)
	must(t, "DeleteExpiredSessions", err)
	if n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, want 2", n)
	}
	for name, kept := range map[string]bool{"fresh": true, "idle": false, "absolute": false, "no idle limit": true, "idle later": true} {
		got, err := s.SessionByHash(ctx, sessionHash(name))
		switch {
		case kept && err != nil:
			t.Errorf("%s: %v", name, err)
		case !kept && !steward.Is(steward.NotFound, err):
			t.Errorf("%s: not deleted (%v)", name, err)
		case kept && got.Check(now) != nil:
			t.Errorf("%s: kept but Check refuses it: %v", name, got.Check(now))
		}
	}
}

func testLocalCredentials(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ada := signInEmployee(t, s, "ada")
	_, err := s.LocalCredential(ctx, ada.ID)
	wantKind(t, "LocalCredential none", err, steward.NotFound)

	at := time.Date(2025, 6, 1, 9, 0, 0, 5000, time.UTC)
	c := &steward.LocalCredential{EmployeeID: ada.ID, Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", UpdatedAt: at}
	must(t, "SetLocalPassword", s.SetLocalPassword(ctx, c))
	got, err := s.LocalCredential(ctx, ada.ID)
	must(t, "LocalCredential", err)
	same(t, "LocalCredential", steward.LocalCredential{EmployeeID: got.EmployeeID, Hash: got.Hash, UpdatedAt: ts(got.UpdatedAt)},
		steward.LocalCredential{EmployeeID: ada.ID, Hash: c.Hash, UpdatedAt: ts(at)})

	// Setting again replaces it.
	c2 := &steward.LocalCredential{EmployeeID: ada.ID, Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdDI$aGFzaDI", UpdatedAt: at.Add(time.Hour)}
	must(t, "SetLocalPassword again", s.SetLocalPassword(ctx, c2))
	got, err = s.LocalCredential(ctx, ada.ID)
	must(t, "LocalCredential", err)
	if got.Hash != c2.Hash || !ts(got.UpdatedAt).Equal(ts(c2.UpdatedAt)) {
		t.Fatalf("LocalCredential after replace = %+v", got)
	}

	wantKind(t, "unknown employee", s.SetLocalPassword(ctx, &steward.LocalCredential{EmployeeID: steward.NewID(), Hash: c.Hash, UpdatedAt: at}), steward.NotFound)
	wantKind(t, "no hash", s.SetLocalPassword(ctx, &steward.LocalCredential{EmployeeID: ada.ID, UpdatedAt: at}), steward.Invalid)
	wantKind(t, "no employee", s.SetLocalPassword(ctx, &steward.LocalCredential{Hash: c.Hash, UpdatedAt: at}), steward.Invalid)
}

func testTokenByID(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	created := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	tok := &steward.Token{Name: "ci", Scopes: []steward.Scope{steward.ScopeCapture}, Hash: sessionHash("ci"), CreatedAt: created}
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	got, err := s.TokenByID(ctx, tok.ID)
	must(t, "TokenByID", err)
	same(t, "TokenByID", normToken(got), normToken(tok))
	must(t, "RevokeToken", s.RevokeToken(ctx, tok.ID, created.Add(time.Hour)))
	got, err = s.TokenByID(ctx, tok.ID)
	must(t, "TokenByID revoked", err)
	if got.RevokedAt == nil || got.Usable(created.Add(2*time.Hour)) {
		t.Fatalf("TokenByID of a revoked token = %+v", got)
	}
	_, err = s.TokenByID(ctx, steward.NewID())
	wantKind(t, "TokenByID unknown", err, steward.NotFound)
}
