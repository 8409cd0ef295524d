package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func testCheckpoints(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	_, err := s.LatestCheckpoint(ctx)
	wantKind(t, "LatestCheckpoint on an empty store", err, steward.NotFound)
	list, err := s.Checkpoints(ctx)
	must(t, "Checkpoints", err)
	if len(list) != 0 {
		t.Fatalf("Checkpoints on an empty store = %d", len(list))
	}

	base := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	cp := func(size int64, note string) *steward.Checkpoint {
		return &steward.Checkpoint{Size: size, Root: sha256.Sum256([]byte(note)),
			Note: []byte("steward.example/log\n" + note + "\n"), CreatedAt: base.Add(time.Duration(size) * time.Second)}
	}
	five, two, nine := cp(5, "five"), cp(2, "two"), cp(9, "nine")
	for _, c := range []*steward.Checkpoint{five, two, nine} {
		must(t, "AddCheckpoint", s.AddCheckpoint(ctx, c))
	}
	// A second checkpoint for size 5 is ignored: the first one issued stands.
	must(t, "AddCheckpoint for a stored size", s.AddCheckpoint(ctx, cp(5, "five again")))

	list, err = s.Checkpoints(ctx)
	must(t, "Checkpoints", err)
	var got []steward.Checkpoint
	for _, c := range list {
		got = append(got, normCheckpoint(c))
	}
	same(t, "Checkpoints", got, []steward.Checkpoint{normCheckpoint(two), normCheckpoint(five), normCheckpoint(nine)})
	latest, err := s.LatestCheckpoint(ctx)
	must(t, "LatestCheckpoint", err)
	same(t, "LatestCheckpoint", normCheckpoint(latest), normCheckpoint(nine))
}

func testTokens(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	created := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	expires := created.Add(90 * 24 * time.Hour).Add(123 * time.Microsecond)
	hash := func(secret string) []byte { h := sha256.Sum256([]byte(secret)); return h[:] }

	ci := &steward.Token{Name: "ci", Scopes: []steward.Scope{steward.ScopeCapture, steward.ScopeRead},
		Hash: hash("ci-secret"), CreatedAt: created, ExpiresAt: &expires}
	must(t, "CreateToken", s.CreateToken(ctx, ci))
	if ci.ID == "" {
		t.Fatalf("CreateToken assigned no ID")
	}
	got, err := s.TokenByHash(ctx, hash("ci-secret"))
	must(t, "TokenByHash", err)
	same(t, "TokenByHash", normToken(got), normToken(ci))
	_, err = s.TokenByHash(ctx, hash("wrong"))
	wantKind(t, "TokenByHash unknown", err, steward.NotFound)
	wantKind(t, "duplicate name", s.CreateToken(ctx, &steward.Token{Name: "ci", Hash: hash("other")}), steward.Conflict)

	admin := &steward.Token{Name: "admin", Scopes: []steward.Scope{steward.ScopeAdmin},
		Hash: hash("admin-secret"), CreatedAt: created.Add(time.Hour)}
	noScopes := &steward.Token{Name: "bare", Hash: hash("bare-secret"), CreatedAt: created.Add(2 * time.Hour)}
	must(t, "CreateToken", s.CreateToken(ctx, admin))
	must(t, "CreateToken", s.CreateToken(ctx, noScopes))
	got, err = s.TokenByHash(ctx, hash("bare-secret"))
	must(t, "TokenByHash", err)
	if len(got.Scopes) != 0 || got.ExpiresAt != nil || got.RevokedAt != nil || got.LastUsedAt != nil {
		t.Fatalf("bare token read back as %+v", got)
	}

	list, err := s.Tokens(ctx)
	must(t, "Tokens", err)
	var names []string
	for _, tk := range list {
		names = append(names, tk.Name)
	}
	same(t, "Tokens, newest first", names, []string{"bare", "admin", "ci"})

	used := created.Add(24 * time.Hour)
	must(t, "TouchToken", s.TouchToken(ctx, ci.ID, used))
	got, err = s.TokenByHash(ctx, ci.Hash)
	must(t, "TokenByHash", err)
	if got.LastUsedAt == nil || !ts(*got.LastUsedAt).Equal(ts(used)) {
		t.Fatalf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
	}
	later := used.Add(time.Hour)
	must(t, "TouchToken", s.TouchToken(ctx, ci.ID, later))
	got, err = s.TokenByHash(ctx, ci.Hash)
	must(t, "TokenByHash", err)
	if got.LastUsedAt == nil || !ts(*got.LastUsedAt).Equal(ts(later)) {
		t.Fatalf("LastUsedAt = %v, want %v", got.LastUsedAt, later)
	}

	revoked := created.Add(48 * time.Hour)
	must(t, "RevokeToken", s.RevokeToken(ctx, ci.ID, revoked))
	got, err = s.TokenByHash(ctx, ci.Hash)
	must(t, "TokenByHash", err)
	if got.RevokedAt == nil || !ts(*got.RevokedAt).Equal(ts(revoked)) {
		t.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, revoked)
	}
	if got.Usable(revoked.Add(time.Second)) {
		t.Fatalf("revoked token still usable")
	}
	wantKind(t, "RevokeToken unknown", s.RevokeToken(ctx, steward.NewID(), revoked), steward.NotFound)

	// An inbox token names the employee it acts for; others name none.
	emp := newEmployee(t, s, "inbox")
	inbox := &steward.Token{Name: "inbox", Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: emp.ID,
		Hash: hash("inbox-secret"), CreatedAt: created.Add(3 * time.Hour)}
	must(t, "CreateToken inbox", s.CreateToken(ctx, inbox))
	got, err = s.TokenByHash(ctx, inbox.Hash)
	must(t, "TokenByHash inbox", err)
	same(t, "inbox token", normToken(got), normToken(inbox))
	list, err = s.Tokens(ctx)
	must(t, "Tokens", err)
	if len(list) != 4 || list[0].EmployeeID != emp.ID {
		t.Fatalf("Tokens = %+v, want the inbox token first, with employee %s", list, emp.ID)
	}
	for _, tk := range list[1:] {
		if tk.EmployeeID != "" {
			t.Fatalf("token %s has employee %q, want none", tk.Name, tk.EmployeeID)
		}
	}
}

// testLifecycle checks Ping, and that a closed store says Unavailable.
func testLifecycle(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	must(t, "Ping", s.Ping(ctx))
	must(t, "Close", s.Close())
	err := s.AppendTx(ctx, func(tx steward.LogTx) error { return nil })
	wantKind(t, "AppendTx after Close", err, steward.Unavailable)
	wantKind(t, "Ping after Close", s.Ping(ctx), steward.Unavailable)
}

func normCheckpoint(c *steward.Checkpoint) steward.Checkpoint {
	n := *c
	n.CreatedAt = ts(n.CreatedAt)
	n.Note = bytesOrNil(n.Note)
	return n
}

func normToken(tk *steward.Token) steward.Token {
	n := *tk
	n.CreatedAt = ts(n.CreatedAt)
	n.ExpiresAt, n.RevokedAt, n.LastUsedAt = tsp(n.ExpiresAt), tsp(n.RevokedAt), tsp(n.LastUsedAt)
	n.Hash = bytesOrNil(n.Hash)
	if len(n.Scopes) == 0 {
		n.Scopes = nil
	}
	return n
}
