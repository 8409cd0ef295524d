package steward

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func TestHashPasswordFormat(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	// The PHC string: algorithm, version, parameters, salt, hash.
	m := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=4\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("hash %q is not the expected PHC string", h)
	}
	// It is argon2id itself, recomputable from the string alone.
	salt, _ := base64.RawStdEncoding.DecodeString(m[1])
	key, _ := base64.RawStdEncoding.DecodeString(m[2])
	if want := argon2.IDKey([]byte(pw), salt, 3, 64*1024, 4, 32); string(want) != string(key) {
		t.Fatal("the hash is not argon2id(password, salt, t=3, m=64 MiB, p=4)")
	}
	// A fresh salt each time.
	h2, _ := HashPassword(pw)
	if h2 == h {
		t.Fatal("two hashes of one password are equal")
	}

	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{pw, true},
		{"Correct horse battery staple", false},
		{"correct horse battery stapl", false},
		{"", false},
	} {
		ok, err := VerifyPassword(h, tc.pw)
		if err != nil || ok != tc.ok {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.ok)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                         false,
		"elevenchars":              false,
		"twelve chars":             true,
		"ünïcödé ünï":              false, // 11 characters, more bytes
		"ünïcödé ünïc":             true,
		strings.Repeat("a", 1024):  true,
		strings.Repeat("a", 1025):  false,
		"bad utf8 \xff\xfe\xfd...": false,
	} {
		err := CheckPasswordRules(pw)
		if (err == nil) != ok || (err != nil && !Is(Invalid, err)) {
			t.Errorf("CheckPasswordRules(%q) = %v, want ok=%v", pw, err, ok)
		}
		if _, err := HashPassword(pw); (err == nil) != ok {
			t.Errorf("HashPassword(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func TestVerifyPasswordRejectsBadHashes(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	for _, h := range []string{
		"",
		"plain text",
		"$argon2i$v=19$m=65536,t=3,p=4$" + salt + "$" + key,          // not the id variant
		"$argon2id$v=16$m=65536,t=3,p=4$" + salt + "$" + key,         // old version
		"$argon2id$v=19$m=4194304,t=3,p=4$" + salt + "$" + key,       // 4 GiB
		"$argon2id$v=19$m=65536,t=1000,p=4$" + salt + "$" + key,      // too many passes
		"$argon2id$v=19$m=65536,t=3,p=0$" + salt + "$" + key,         // no lanes
		"$argon2id$v=19$m=65536,t=3,p=4,x=1$" + salt + "$" + key,     // junk
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$",               // no hash
		"$argon2id$v=19$m=65536,t=3,p=4$$" + key,                     // no salt
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "=$" + key,        // padded
		"$5$rounds=5000$salt$" + key,                                 // SHA-crypt
		"5f4dcc3b5aa765d61d8327deb882cf99",                           // MD5
		"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key + "$xx", // extra field
	} {
		ok, err := VerifyPassword(h, "whatever password")
		if ok || !Is(Invalid, err) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want Invalid", h, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("twelve chars")
	if needsRehash(h) {
		t.Error("a current hash needs rehashing")
	}
	salt := make([]byte, 16)
	old := "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" +
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte("twelve chars"), salt, 2, 19456, 1, 32))
	if ok, err := VerifyPassword(old, "twelve chars"); !ok || err != nil {
		t.Fatalf("hash with other parameters: %v, %v", ok, err)
	}
	if !needsRehash(old) {
		t.Error("a hash with other parameters does not need rehashing")
	}
}

// memLookup is a tiny EmployeeLookup and LocalCredentialStore.
type memLookup struct {
	emps  []*Employee
	creds map[string]*LocalCredential
}

func (m *memLookup) EmployeeByID(ctx context.Context, id string) (*Employee, error) {
	for _, e := range m.emps {
		if e.ID == id {
			return e, nil
		}
	}
	return nil, E(NotFound, "no employee")
}

func (m *memLookup) QueryEmployees(ctx context.Context, q EmployeeQuery) ([]*Employee, int, error) {
	var out []*Employee
	for _, e := range m.emps {
		if e.DeletedAt == nil && (q.UserName == "" || strings.EqualFold(e.UserName, q.UserName)) &&
			(q.Email == "" || strings.EqualFold(e.Email, q.Email)) {
			out = append(out, e)
		}
	}
	return out, len(out), nil
}

func (m *memLookup) SetLocalPassword(ctx context.Context, c *LocalCredential) error {
	m.creds[c.EmployeeID] = c
	return nil
}

func (m *memLookup) LocalCredential(ctx context.Context, id string) (*LocalCredential, error) {
	if c, ok := m.creds[id]; ok {
		return c, nil
	}
	return nil, E(NotFound, "none")
}

func TestMatchEmployee(t *testing.T) {
	del := time.Now()
	m := &memLookup{emps: []*Employee{
		{ID: "a", UserName: "ada@example.org", Email: "ada@example.org", Active: true},
		{ID: "b", UserName: "bob", Email: "robert@example.org", Active: true},
		{ID: "c", UserName: "cy", Email: "shared@example.org", Active: true},
		{ID: "d", UserName: "dee", Email: "shared@example.org", Active: true},
		{ID: "e", UserName: "eve@example.org", Email: "eve@example.org", Active: false},
		{ID: "f", UserName: "fay", Email: "eve@example.org", Active: true},
		{ID: "g", UserName: "gil", Email: "gil@example.org", Active: true, DeletedAt: &del},
	}}
	for name, want := range map[string]string{
		"ADA@example.ORG":    "a", // user name, any case
		" bob ":              "b", // trimmed
		"Robert@Example.org": "b", // email, any case
		"shared@example.org": "",  // two active employees have it: ambiguous
		"eve@example.org":    "",  // an inactive employee's user name: no one else stands in
		"fay":                "f",
		"gil@example.org":    "", // deleted
		"robert":             "", // neither user name nor email
		"":                   "",
	} {
		e, err := MatchEmployee(context.Background(), m, name)
		switch {
		case want == "" && !Is(NotFound, err):
			t.Errorf("MatchEmployee(%q) = %+v, %v; want NotFound", name, e, err)
		case want != "" && (err != nil || e.ID != want):
			t.Errorf("MatchEmployee(%q) = %+v, %v; want %s", name, e, err, want)
		}
	}
}

func TestLocalSignIn(t *testing.T) {
	ctx := context.Background()
	m := &memLookup{creds: map[string]*LocalCredential{}, emps: []*Employee{
		{ID: "a", UserName: "ada", Active: true},
		{ID: "b", UserName: "bob", Active: false},
		{ID: "c", UserName: "cy", Active: true},
	}}
	const pw = "correct horse battery staple"
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		if err := SetLocalPassword(ctx, m, id, pw, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := SetLocalPassword(ctx, m, "c", "short", now); !Is(Invalid, err) {
		t.Errorf("short password: %v", err)
	}
	if !strings.HasPrefix(m.creds["a"].Hash, "$argon2id$") || strings.Contains(m.creds["a"].Hash, pw) {
		t.Errorf("stored %q", m.creds["a"].Hash)
	}
	e, err := LocalSignIn(ctx, m, m, "ADA", pw, now)
	if err != nil || e.ID != "a" {
		t.Fatalf("LocalSignIn = %+v, %v", e, err)
	}
	var msg string
	for _, tc := range [][2]string{{"ada", "wrong password"}, {"bob", pw}, {"cy", pw}, {"nobody", pw}} {
		_, err := LocalSignIn(ctx, m, m, tc[0], tc[1], now)
		if !Is(Unauthenticated, err) {
			t.Errorf("%v: %v", tc, err)
			continue
		}
		if msg == "" {
			msg = PublicMessage(err)
		} else if PublicMessage(err) != msg {
			t.Errorf("%v: %q, others %q", tc, PublicMessage(err), msg)
		}
	}

	// A hash with older parameters is replaced on a successful sign-in.
	salt := make([]byte, 16)
	m.creds["a"].Hash = "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" +
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(pw), salt, 2, 19456, 1, 32))
	if _, err := LocalSignIn(ctx, m, m, "ada", pw, now); err != nil {
		t.Fatal(err)
	}
	if needsRehash(m.creds["a"].Hash) {
		t.Errorf("not rehashed: %q", m.creds["a"].Hash)
	}
}
