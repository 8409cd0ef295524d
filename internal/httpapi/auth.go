package httpapi

import (
	"context"
	"net/http"
	"slices"
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

// authenticate admits a request only with a usable bearer token that
// carries scope (a machine principal) or acts for an employee
// (Token.EmployeeID) who holds one of roles now: roles are looked up on
// every request, so a change of group or mapping takes effect at once. A
// missing, unknown, expired or revoked token is Unauthenticated (401); a
// valid token with neither is Permission (403).
func (s *Server) authenticate(scope steward.Scope, roles []steward.Role, next http.Handler) http.Handler {
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
			ok, err := s.hasRole(r.Context(), t, roles)
			if err != nil {
				s.writeError(w, r, steward.E(op, err))
				return
			}
			if !ok {
				s.writeError(w, r, steward.Errorf(op, steward.Permission, "this token lacks the %q scope and its employee every role that may call this route", scope))
				return
			}
		}
		_ = s.Store.TouchToken(r.Context(), t.ID, s.now()) // best effort
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey, t)))
	})
}

// hasRole reports whether t acts for an employee who now holds one of
// roles. A token acting for no employee, or for an unknown, inactive or
// deleted one, holds none.
func (s *Server) hasRole(ctx context.Context, t *steward.Token, roles []steward.Role) (bool, error) {
	if t.EmployeeID == "" || len(roles) == 0 {
		return false, nil
	}
	have, err := steward.EmployeeRoles(ctx, s.Store, t.EmployeeID)
	if steward.Is(steward.NotFound, err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range have {
		if slices.Contains(roles, r) {
			return true, nil
		}
	}
	return false, nil
}
