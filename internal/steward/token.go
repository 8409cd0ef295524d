package steward

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// Scope is a permission an API token carries.
type Scope string

const (
	ScopeCapture Scope = "capture" // submit items through the capture API
	ScopeRead    Scope = "read"    // read records, proofs and checkpoints (every read is audited)
	ScopeAdmin   Scope = "admin"   // administer the installation
	// ScopeInbox acts as one employee (Token.EmployeeID): their contacts,
	// conversations and sends, and nothing else. Sign-in through the
	// identity provider will issue the same principal.
	ScopeInbox Scope = "inbox"
	// ScopeScim provisions employees and groups over SCIM 2.0 (/scim/v2),
	// the identity provider's token; it grants nothing else.
	ScopeScim Scope = "scim"
	// ScopeAudit reads the audit trail (GET /api/v1/audit): the auditor's
	// scope. No other scope, admin included, reads it.
	ScopeAudit Scope = "audit"
	// ScopeCompliance works the compliance review queue and runs policy
	// dry runs, both of which read content: a surveillance system's
	// token. Like read and audit, it is issued only on the host.
	ScopeCompliance Scope = "compliance"
	// ScopeRecords runs records management: the file plan, assignment
	// rules, legal holds, the eligibility reports and disposition, which
	// destroys content. A records system's token; like compliance it is
	// issued only on the host.
	ScopeRecords Scope = "records"
	// ScopeDiscovery works eDiscovery cases: their searches read content
	// across custodians. A litigation-support system's token; like
	// compliance and records it is issued only on the host.
	ScopeDiscovery Scope = "discovery"
	// ScopeFOIA works FOIA requests: intake, their history and clock, and
	// the due report. Requests name requesters, so like discovery it is
	// issued only on the host.
	ScopeFOIA Scope = "foia"
)

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool {
	return s == ScopeCapture || s == ScopeRead || s == ScopeAdmin || s == ScopeInbox || s == ScopeScim || s == ScopeAudit ||
		s == ScopeCompliance || s == ScopeRecords || s == ScopeDiscovery || s == ScopeFOIA
}

// Token is an API bearer token. The secret itself is never stored: only its
// SHA-256, which is enough because the secret is 256 random bits and cannot
// be guessed or brute-forced the way a password can.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []Scope    `json:"scopes"`
	EmployeeID string     `json:"employee_id,omitempty"` // whom an inbox token acts for
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Has reports whether the token carries scope s. The admin scope does not
// imply the others: separation of duties keeps content reads explicit.
func (t *Token) Has(s Scope) bool { return slices.Contains(t.Scopes, s) }

// Usable reports whether the token may authenticate at time now.
func (t *Token) Usable(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// TokenStore keeps API tokens.
type TokenStore interface {
	// CreateToken stores t. Returns Conflict if the name is taken.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns NotFound if no token has that hash.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// Tokens lists all tokens, newest first.
	Tokens(ctx context.Context) ([]*Token, error)
	// RevokeToken marks the named token revoked. Returns NotFound.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken records a use. Best-effort: callers may ignore its error.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// tokenPrefix marks Steward secrets so that secret scanners and people can
// recognise one that leaked.
const tokenPrefix = "stw_"

// HashTokenSecret returns the stored form of a token secret.
func HashTokenSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenSpec says what token to issue.
type TokenSpec struct {
	Name   string
	Scopes []Scope
	// EmployeeID is whom an inbox-scoped token acts for; required with
	// ScopeInbox and refused without it.
	EmployeeID string
	TTL        time.Duration // 0 means no expiry
}

// IssueToken creates a token with a fresh 256-bit secret and stores only its
// hash. The secret is returned once and cannot be recovered later.
// Returns Invalid for an empty or over-long name, an unknown scope, a
// negative ttl, or an employee id given without the inbox scope (or the
// inbox scope without one); Conflict if the name is taken.
func IssueToken(ctx context.Context, ts TokenStore, spec TokenSpec, now time.Time) (string, *Token, error) {
	const op Op = "steward.IssueToken"
	name := strings.TrimSpace(spec.Name)
	if name == "" || len(name) > 128 {
		return "", nil, E(op, Invalid, "token name must be 1-128 characters")
	}
	if len(spec.Scopes) == 0 {
		return "", nil, E(op, Invalid, "a token needs at least one scope (capture, read, admin, inbox, scim, audit, compliance, records)")
	}
	for _, s := range spec.Scopes {
		if !ValidScope(s) {
			return "", nil, Errorf(op, Invalid, "unknown scope %q (want capture, read, admin, inbox, scim, audit, compliance or records)", s)
		}
	}
	if slices.Contains(spec.Scopes, ScopeInbox) != (spec.EmployeeID != "") {
		return "", nil, E(op, Invalid, "an inbox token needs an employee, and only an inbox token may name one")
	}
	if spec.TTL < 0 {
		return "", nil, E(op, Invalid, "ttl must not be negative")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, E(op, Internal, err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	t := &Token{ID: NewID(), Name: name, Scopes: slices.Compact(slices.Sorted(slices.Values(spec.Scopes))),
		EmployeeID: spec.EmployeeID, Hash: HashTokenSecret(secret), CreatedAt: now.UTC()}
	if spec.TTL > 0 {
		exp := now.Add(spec.TTL).UTC()
		t.ExpiresAt = &exp
	}
	if err := ts.CreateToken(ctx, t); err != nil {
		return "", nil, E(op, err)
	}
	return secret, t, nil
}

// ParseScopes splits a comma-separated scope list. Returns Invalid for an
// unknown scope.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !ValidScope(Scope(f)) {
			return nil, Errorf("steward.ParseScopes", Invalid, "unknown scope %q (want capture, read, admin, inbox, scim, audit, compliance or records)", f)
		}
		out = append(out, Scope(f))
	}
	return out, nil
}

// Authenticate returns the usable token whose secret this is. Every front
// end (API bearer tokens, the inbox's sign-in cookie) checks secrets here
// and only here. Returns Unauthenticated for an unknown, expired or
// revoked token; Unavailable if the store cannot answer.
func Authenticate(ctx context.Context, ts TokenStore, secret string, now time.Time) (*Token, error) {
	const op Op = "steward.Authenticate"
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, E(op, Unauthenticated, "a token is required")
	}
	t, err := ts.TokenByHash(ctx, HashTokenSecret(secret))
	if Is(NotFound, err) || (err == nil && !t.Usable(now)) {
		return nil, E(op, Unauthenticated, "the token is unknown, expired or revoked")
	}
	if err != nil {
		return nil, E(op, err)
	}
	return t, nil
}
