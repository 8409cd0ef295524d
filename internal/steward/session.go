package steward

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// SessionMethod says how a web session was started.
type SessionMethod string

const (
	// SessionOIDC was started by signing in at the organization's identity
	// provider (OpenID Connect).
	SessionOIDC SessionMethod = "oidc"
	// SessionLocal was started with a local user name and password, for
	// installations without an identity provider.
	SessionLocal SessionMethod = "local"
	// SessionToken was started with an inbox token; it lasts only as long as
	// the token stays usable (Session.TokenID).
	SessionToken SessionMethod = "token"
)

// ValidSessionMethod reports whether m is a known method.
func ValidSessionMethod(m SessionMethod) bool {
	return m == SessionOIDC || m == SessionLocal || m == SessionToken
}

// Session is a signed-in browser of the web inbox. The browser holds a
// random 256-bit secret in a cookie; the store keeps only its SHA-256 (as
// for tokens: a secret that cannot be guessed needs no slow hash), so a
// copy of the database does not let anyone take over a session.
//
// A session ends at ExpiresAt whatever happens (the absolute timeout), or
// IdleTimeout after LastSeenAt, whichever comes first (Session.Check).
type Session struct {
	ID         string        `json:"id"`
	EmployeeID string        `json:"employee_id"`
	Method     SessionMethod `json:"method"`
	// TokenID is the inbox token a SessionToken session was started with:
	// the session ends as soon as that token is revoked or expires. Empty
	// for other methods.
	TokenID    string    `json:"token_id,omitempty"`
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // the absolute timeout
	// IdleTimeout is how long the session survives without a request; 0
	// means only the absolute timeout applies.
	IdleTimeout time.Duration `json:"idle_timeout"`
}

// Check reports whether the session may be used at time now. Returns
// Unauthenticated once the absolute or the idle timeout has passed.
func (s *Session) Check(now time.Time) error {
	const op Op = "steward.Session.Check"
	if !now.Before(s.ExpiresAt) {
		return E(op, Unauthenticated, "your session has expired; sign in again")
	}
	if s.IdleTimeout > 0 && !now.Before(s.LastSeenAt.Add(s.IdleTimeout)) {
		return E(op, Unauthenticated, "you were signed out after a period of inactivity; sign in again")
	}
	return nil
}

// SessionStore keeps web sessions. Authorization is the caller's job:
// whoever holds a session's secret is that session.
type SessionStore interface {
	// CreateSession stores s, assigning ID when empty. Returns Invalid if
	// the hash, employee, method or expiry is missing; NotFound if the
	// employee (or, when given, the token) does not exist; Conflict if the
	// id or hash is taken.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session whose secret has this hash, expired
	// or not (Session.Check decides), or NotFound.
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records a request at time at: LastSeenAt becomes at
	// unless it is already later. Returns NotFound if there is no such
	// session.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends one session (sign-out). Returns NotFound if there
	// is no such session.
	DeleteSession(ctx context.Context, id string) error
	// DeleteEmployeeSessions ends every session of the employee at once,
	// for offboarding, and returns how many there were. An employee with no
	// session (or none at all) is not an error.
	DeleteEmployeeSessions(ctx context.Context, employeeID string) (int, error)
	// DeleteExpiredSessions removes the sessions that Check would refuse at
	// time now (absolute or idle timeout passed) and returns how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// SignInStore is everything the inbox's sign-in keeps: sessions, local
// passwords, and the look-up of a token by id, through which a session
// started with an inbox token is checked against that token on every
// request.
type SignInStore interface {
	SessionStore
	LocalCredentialStore
	// TokenByID returns the token with this id, usable or not, or NotFound.
	TokenByID(ctx context.Context, id string) (*Token, error)
}

// sessionPrefix marks session secrets, as tokenPrefix marks tokens, so
// that a leaked one is recognised.
const sessionPrefix = "stws_"

// SessionSpec says what session to start.
type SessionSpec struct {
	EmployeeID string
	Method     SessionMethod
	TokenID    string        // required with SessionToken, refused otherwise
	Lifetime   time.Duration // the absolute timeout, > 0
	Idle       time.Duration // the idle timeout; 0 means none
}

// StartSession creates a session with a fresh 256-bit secret and stores
// only its hash. The secret, for the cookie, is returned once. Returns
// Invalid for a bad spec (no employee, unknown method, a token id with the
// wrong method, a lifetime that is not positive, a negative idle timeout),
// NotFound if the employee or token does not exist.
func StartSession(ctx context.Context, ss SessionStore, spec SessionSpec, now time.Time) (string, *Session, error) {
	const op Op = "steward.StartSession"
	if spec.EmployeeID == "" || !ValidSessionMethod(spec.Method) {
		return "", nil, E(op, Invalid, "a session needs an employee and a known method")
	}
	if (spec.Method == SessionToken) != (spec.TokenID != "") {
		return "", nil, E(op, Invalid, "a token session needs its token, and only a token session may name one")
	}
	if spec.Lifetime <= 0 || spec.Idle < 0 {
		return "", nil, E(op, Invalid, "a session needs a positive lifetime and an idle timeout that is not negative")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, E(op, Internal, err)
	}
	secret := sessionPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now = now.UTC()
	s := &Session{ID: NewID(), EmployeeID: spec.EmployeeID, Method: spec.Method, TokenID: spec.TokenID,
		Hash: HashTokenSecret(secret), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(spec.Lifetime),
		IdleTimeout: spec.Idle}
	if err := ss.CreateSession(ctx, s); err != nil {
		return "", nil, E(op, err)
	}
	return secret, s, nil
}

// AuthenticateSession returns the session whose secret this is, if it may
// be used at time now. A session found expired is deleted (best-effort).
// It neither touches the session nor checks the employee or the token:
// that is the front end's job, which knows whether a request counts as
// activity. Returns Unauthenticated for a missing, unknown or expired
// session; Unavailable if the store cannot answer.
func AuthenticateSession(ctx context.Context, ss SessionStore, secret string, now time.Time) (*Session, error) {
	const op Op = "steward.AuthenticateSession"
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, E(op, Unauthenticated, "you are not signed in")
	}
	s, err := ss.SessionByHash(ctx, HashTokenSecret(secret))
	if Is(NotFound, err) {
		return nil, E(op, Unauthenticated, "you are not signed in, or your session has ended")
	}
	if err != nil {
		return nil, E(op, err)
	}
	if err := s.Check(now); err != nil {
		// Best-effort: the session is refused either way, and
		// DeleteExpiredSessions removes what this leaves.
		_ = ss.DeleteSession(ctx, s.ID)
		return nil, E(op, err)
	}
	return s, nil
}
