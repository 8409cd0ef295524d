package steward

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// LocalCredential is an employee's local password, for installations
// without an identity provider (and steward demo). Hash is the argon2id
// hash in the PHC string format, which carries its own parameters and
// salt: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>.
type LocalCredential struct {
	EmployeeID string    `json:"employee_id"`
	Hash       string    `json:"-"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// LocalCredentialStore keeps local passwords, one per employee.
type LocalCredentialStore interface {
	// SetLocalPassword stores c, replacing the employee's earlier password.
	// Returns Invalid if EmployeeID or Hash is empty, NotFound if the
	// employee does not exist. The store never sees a plaintext password.
	SetLocalPassword(ctx context.Context, c *LocalCredential) error
	// LocalCredential returns the employee's password hash, or NotFound if
	// they have none.
	LocalCredential(ctx context.Context, employeeID string) (*LocalCredential, error)
}

// The password hash is argon2id (RFC 9106) with the second of the RFC's
// recommended parameter sets: 64 MiB of memory, 3 passes, 4 lanes, a
// 128-bit random salt and a 256-bit tag. On the project's 2-core machines
// one hash takes on the order of 100 ms, slow enough to make guessing a
// stolen hash expensive and fast enough for a sign-in. Passwords are never
// hashed with MD5, SHA-x or any other fast hash.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 3
	argonThreads = 4
	argonSalt    = 16
	argonKey     = 32

	// MinPasswordLength is the fewest characters a local password may have.
	MinPasswordLength = 12
	// maxPasswordBytes bounds the input to the hash.
	maxPasswordBytes = 1024
)

// argonSlots bounds how many hashes run at once, so that a burst of
// sign-ins costs at most 4 × 64 MiB of memory; the others wait.
var argonSlots = make(chan struct{}, 4)

func argonHash(password string, salt []byte, m uint32, t uint32, p uint8, keyLen uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey([]byte(password), salt, t, m, p, keyLen)
}

// CheckPasswordRules returns Invalid unless the password has at least
// MinPasswordLength characters and is at most 1024 bytes long.
func CheckPasswordRules(password string) error {
	const op Op = "steward.CheckPasswordRules"
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return Errorf(op, Invalid, "a password needs at least %d characters", MinPasswordLength)
	}
	if len(password) > maxPasswordBytes || !utf8.ValidString(password) {
		return E(op, Invalid, "a password may be at most 1024 bytes of UTF-8 text")
	}
	return nil
}

// HashPassword returns the argon2id hash of password, with a fresh salt,
// in the PHC string format. Returns Invalid if the password breaks
// CheckPasswordRules.
func HashPassword(password string) (string, error) {
	const op Op = "steward.HashPassword"
	if err := CheckPasswordRules(password); err != nil {
		return "", E(op, err)
	}
	salt := make([]byte, argonSalt)
	if _, err := rand.Read(salt); err != nil {
		return "", E(op, Internal, err)
	}
	key := argonHash(password, salt, argonMemory, argonTime, argonThreads, argonKey)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// argonParams is a parsed PHC string.
type argonParams struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

func parseArgon2id(encoded string) (*argonParams, error) {
	const op Op = "steward.parseArgon2id"
	bad := E(op, Invalid, "not an argon2id password hash")
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return nil, bad
	}
	var a argonParams
	var p uint32
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &a.m, &a.t, &p); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", a.m, a.t, p) != f[3] {
		return nil, bad
	}
	// Bounds, so that a tampered row cannot make one sign-in allocate
	// gigabytes or spin for minutes.
	if p < 1 || p > 16 || a.t < 1 || a.t > 10 || a.m < 8*p || a.m > 256*1024 {
		return nil, bad
	}
	a.p = uint8(p)
	var err error
	if a.salt, err = base64.RawStdEncoding.Strict().DecodeString(f[4]); err != nil || len(a.salt) < 8 || len(a.salt) > 64 {
		return nil, bad
	}
	if a.key, err = base64.RawStdEncoding.Strict().DecodeString(f[5]); err != nil || len(a.key) < 16 || len(a.key) > 64 {
		return nil, bad
	}
	return &a, nil
}

// VerifyPassword reports whether password matches the argon2id hash
// encoded, comparing in constant time. Returns Invalid if encoded is not
// an argon2id PHC string within sane bounds.
func VerifyPassword(encoded, password string) (bool, error) {
	const op Op = "steward.VerifyPassword"
	a, err := parseArgon2id(encoded)
	if err != nil {
		return false, E(op, err)
	}
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes] // hashed anyway, so the time does not tell
	}
	key := argonHash(password, a.salt, a.m, a.t, a.p, uint32(len(a.key)))
	return subtle.ConstantTimeCompare(key, a.key) == 1, nil
}

// needsRehash reports whether a hash was made with other parameters than
// HashPassword uses today.
func needsRehash(encoded string) bool {
	a, err := parseArgon2id(encoded)
	return err != nil || a.m != argonMemory || a.t != argonTime || a.p != argonThreads ||
		len(a.salt) != argonSalt || len(a.key) != argonKey
}

// dummyHash is verified against when a sign-in names nobody, so that an
// unknown user name takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	var raw [18]byte
	_, _ = rand.Read(raw[:])
	h, err := HashPassword(base64.RawURLEncoding.EncodeToString(raw[:]))
	if err != nil {
		panic(err)
	}
	return h
})

// SetLocalPassword hashes password and stores it as the employee's local
// password. Returns Invalid if the password breaks CheckPasswordRules,
// NotFound if the employee does not exist.
func SetLocalPassword(ctx context.Context, cs LocalCredentialStore, employeeID, password string, now time.Time) error {
	const op Op = "steward.SetLocalPassword"
	h, err := HashPassword(password)
	if err != nil {
		return E(op, err)
	}
	if err := cs.SetLocalPassword(ctx, &LocalCredential{EmployeeID: employeeID, Hash: h, UpdatedAt: now.UTC()}); err != nil {
		return E(op, err)
	}
	return nil
}

// EmployeeLookup is the part of EmployeeStore that sign-in needs.
type EmployeeLookup interface {
	EmployeeByID(ctx context.Context, id string) (*Employee, error)
	QueryEmployees(ctx context.Context, q EmployeeQuery) ([]*Employee, int, error)
}

// SignedInEmployee returns the employee with this id if they may be
// signed in: they exist, are active and are not deleted. Returns
// Unauthenticated otherwise, Unavailable if the store cannot answer.
func SignedInEmployee(ctx context.Context, el EmployeeLookup, id string) (*Employee, error) {
	const op Op = "steward.SignedInEmployee"
	e, err := el.EmployeeByID(ctx, id)
	if Is(NotFound, err) || (err == nil && (!e.Active || e.DeletedAt != nil)) {
		return nil, E(op, Unauthenticated, "your account is not active; ask an administrator")
	}
	if err != nil {
		return nil, E(op, err)
	}
	return e, nil
}

// MatchEmployee finds the active employee that a sign-in name stands for:
// the one whose user name is name, compared case-insensitively, or else
// the only active one whose email is name, compared case-insensitively.
// This is how the identity provider's claim (email, preferred_username,
// upn) is matched to the employees provisioned over SCIM. Returns NotFound
// if no active employee matches, or more than one matches by email;
// Unavailable if the store cannot answer.
func MatchEmployee(ctx context.Context, el EmployeeLookup, name string) (*Employee, error) {
	const op Op = "steward.MatchEmployee"
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 320 {
		return nil, E(op, NotFound, "no active employee has that name")
	}
	es, _, err := el.QueryEmployees(ctx, EmployeeQuery{UserName: name, Limit: 2})
	if err != nil {
		return nil, E(op, err)
	}
	for _, e := range es {
		if e.Active && e.DeletedAt == nil {
			return e, nil
		}
	}
	if len(es) > 0 {
		// The user name is someone's, who is not active. Their email must
		// not let another record stand in for them.
		return nil, E(op, NotFound, "no active employee has that name")
	}
	es, _, err = el.QueryEmployees(ctx, EmployeeQuery{Email: name, Limit: 10})
	if err != nil {
		return nil, E(op, err)
	}
	var found *Employee
	for _, e := range es {
		if !e.Active || e.DeletedAt != nil {
			continue
		}
		if found != nil {
			return nil, E(op, NotFound, "more than one active employee has that email")
		}
		found = e
	}
	if found == nil {
		return nil, E(op, NotFound, "no active employee has that name")
	}
	return found, nil
}

// LocalSignIn returns the active employee whose user name (or email) and
// local password these are. Whether the name is unknown, the employee is
// inactive or has no password, or the password is wrong, it answers the
// same Unauthenticated error after the same argon2id work, so that the
// answer does not tell whether an account exists. A correct password
// hashed with older parameters is rehashed (best-effort). Returns
// Unavailable if the store cannot answer.
func LocalSignIn(ctx context.Context, el EmployeeLookup, cs LocalCredentialStore, name, password string, now time.Time) (*Employee, error) {
	const op Op = "steward.LocalSignIn"
	wrong := E(op, Unauthenticated, "The user name or password is not right.")
	e, err := MatchEmployee(ctx, el, name)
	if err != nil && !Is(NotFound, err) {
		return nil, E(op, err)
	}
	encoded := ""
	if e != nil {
		c, err := cs.LocalCredential(ctx, e.ID)
		switch {
		case err == nil:
			encoded = c.Hash
		case !Is(NotFound, err):
			return nil, E(op, err)
		}
	}
	if encoded == "" {
		_, _ = VerifyPassword(dummyHash(), password)
		return nil, wrong
	}
	ok, err := VerifyPassword(encoded, password)
	if err != nil {
		return nil, E(op, Internal, "stored password hash is unreadable", err)
	}
	if !ok {
		return nil, wrong
	}
	if needsRehash(encoded) {
		if h, err := HashPassword(password); err == nil {
			_ = cs.SetLocalPassword(ctx, &LocalCredential{EmployeeID: e.ID, Hash: h, UpdatedAt: now.UTC()})
		}
	}
	return e, nil
}
