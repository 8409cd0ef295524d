package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectTokenSQL = `SELECT id, name, scopes, employee_id, hash, created_at, expires_at,
	revoked_at, last_used_at FROM tokens`

// CreateToken stores t, assigning ID and CreatedAt when empty. Returns
// Invalid if Name or Hash is empty, Conflict if the name (or, against all
// odds, the hash) is taken. EmployeeID is stored as given: whether it
// names an employee, and fits the scopes, is steward.IssueToken's call.
func (db *DB) CreateToken(ctx context.Context, t *steward.Token) error {
	const op steward.Op = "sqlite.CreateToken"
	if t == nil || t.Name == "" || len(t.Hash) == 0 {
		return steward.E(op, steward.Invalid, "token needs a name and a hash")
	}
	for _, s := range t.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t\r\n") {
			return steward.Errorf(op, steward.Invalid, "bad scope %q", s)
		}
	}
	if t.ID == "" {
		t.ID = steward.NewID()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO tokens (id, name, scopes, employee_id, hash,
		created_at, expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, joinScopes(t.Scopes), nullString(t.EmployeeID), t.Hash, nanos(t.CreatedAt),
		nullNanos(t.ExpiresAt), nullNanos(t.RevokedAt), nullNanos(t.LastUsedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "token name already taken")
	}
	return nil
}

// TokenByHash returns NotFound if no token has that hash. It returns
// revoked and expired tokens too; whether one is usable is the caller's
// call (Token.Usable).
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (*steward.Token, error) {
	const op steward.Op = "sqlite.TokenByHash"
	t, err := scanToken(db.r.QueryRowContext(ctx, selectTokenSQL+` WHERE hash = ?`, blob(hash)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "token not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return t, nil
}

// Tokens lists all tokens, newest first.
func (db *DB) Tokens(ctx context.Context) ([]*steward.Token, error) {
	const op steward.Op = "sqlite.Tokens"
	return queryAll(ctx, db, op, scanToken, selectTokenSQL+` ORDER BY created_at DESC, id DESC`)
}

// RevokeToken marks the token revoked at the given time. Revoking a token
// again keeps the first revocation time. Returns NotFound.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	const op steward.Op = "sqlite.RevokeToken"
	if at.IsZero() {
		at = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?)
		WHERE id = ?`, nanos(at), id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "token not found")
}

// touchEvery is the resolution of Token.LastUsedAt.
const touchEvery = time.Minute

// TouchToken records a use at the given time. Returns NotFound if there is
// no such token.
//
// The API touches a token on every request, and each write here is an
// fsynced commit that waits behind appends for the one writer; so a use
// less than touchEvery after the recorded one is not written, and an
// earlier one never is.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	const op steward.Op = "sqlite.TouchToken"
	if at.IsZero() {
		at = now()
	}
	var last sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT last_used_at FROM tokens WHERE id = ?`, id).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return steward.E(op, steward.NotFound, "token not found")
	} else if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	if last.Valid && nanos(at)-last.Int64 < int64(touchEvery) {
		return nil
	}
	_, err = db.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, nanos(at), id, nanos(at))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

func scanToken(s scanner) (*steward.Token, error) {
	var t steward.Token
	var scopes string
	var employee sql.NullString
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := s.Scan(&t.ID, &t.Name, &scopes, &employee, &t.Hash, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	t.EmployeeID = employee.String
	for _, s := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, steward.Scope(s))
	}
	t.CreatedAt = fromNanos(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromNullNanos(expires), fromNullNanos(revoked), fromNullNanos(used)
	return &t, nil
}

func joinScopes(scopes []steward.Scope) string {
	var b strings.Builder
	for i, s := range scopes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(s))
	}
	return b.String()
}
