package steward

import (
	"context"
	"slices"
	"time"
)

// Scope is a permission an API token carries.
type Scope string

const (
	ScopeCapture Scope = "capture" // submit items through the capture API
	ScopeRead    Scope = "read"    // read records, proofs and checkpoints (every read is audited)
	ScopeAdmin   Scope = "admin"   // administer the installation
)

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool { return s == ScopeCapture || s == ScopeRead || s == ScopeAdmin }

// Token is an API bearer token. The secret itself is never stored: only its
// SHA-256, which is enough because the secret is 256 random bits and cannot
// be guessed or brute-forced the way a password can.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []Scope    `json:"scopes"`
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
