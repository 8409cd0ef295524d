package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

type ctxKey int

const tokenKey ctxKey = 0

// tokenFrom returns the authenticated token of a request that passed
// authenticate; nil on unauthenticated routes.
func tokenFrom(ctx context.Context) *steward.Token {
	t, _ := ctx.Value(tokenKey).(*steward.Token)
	return t
}

// actor names the caller in audit records.
func actor(ctx context.Context) string {
	if t := tokenFrom(ctx); t != nil {
		return "token:" + t.ID + " (" + t.Name + ")"
	}
	return "anonymous"
}

// authenticate admits a request only with a usable bearer token carrying
// scope. A missing, unknown, expired or revoked token is Unauthenticated
// (401); a valid token without the scope is Permission (403).
func (s *Server) authenticate(scope steward.Scope, next http.Handler) http.Handler {
	const op steward.Op = "httpapi.authenticate"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			s.writeError(w, r, steward.E(op, steward.Unauthenticated, "a bearer token is required"))
			return
		}
		t, err := steward.Authenticate(r.Context(), s.Store, secret, s.now())
		if err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		if !t.Has(scope) {
			s.writeError(w, r, steward.Errorf(op, steward.Permission, "this token lacks the %q scope", scope))
			return
		}
		_ = s.Store.TouchToken(r.Context(), t.ID, s.now()) // best effort
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, t)))
	})
}
