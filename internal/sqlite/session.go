package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectSessionSQL = `SELECT id, employee_id, method, token_id, hash, created_at, last_seen_at,
	expires_at, idle_timeout FROM sessions`

// CreateSession stores s, assigning ID when empty. Returns Invalid if the
// hash, employee, method or expiry is missing, NotFound if the employee or
// token does not exist, Conflict if the id or hash is taken.
func (db *DB) CreateSession(ctx context.Context, s *steward.Session) error {
	const op steward.Op = "sqlite.CreateSession"
	if s == nil || len(s.Hash) == 0 || s.EmployeeID == "" || s.Method == "" || s.ExpiresAt.IsZero() || s.IdleTimeout < 0 {
		return steward.E(op, steward.Invalid, "session needs a hash, an employee, a method and an expiry")
	}
	if s.ID == "" {
		s.ID = steward.NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now()
	}
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO sessions (id, employee_id, method, token_id, hash,
		created_at, last_seen_at, expires_at, idle_timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.EmployeeID, string(s.Method), nullString(s.TokenID), s.Hash, nanos(s.CreatedAt),
		nanos(s.LastSeenAt), nanos(s.ExpiresAt), int64(s.IdleTimeout))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "session already exists, or its employee or token does not")
	}
	return nil
}

// SessionByHash returns the session whose secret has this hash, expired or
// not, or NotFound.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (*steward.Session, error) {
	const op steward.Op = "sqlite.SessionByHash"
	s, err := scanSession(db.r.QueryRowContext(ctx, selectSessionSQL+` WHERE hash = ?`, blob(hash)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "session not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return s, nil
}

// TouchSession moves LastSeenAt forward to at (never back). Returns
// NotFound if there is no such session.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	const op steward.Op = "sqlite.TouchSession"
	if at.IsZero() {
		at = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`,
		nanos(at), id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "session not found")
}

// DeleteSession removes one session. Returns NotFound if there is none.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	const op steward.Op = "sqlite.DeleteSession"
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "session not found")
}

// DeleteEmployeeSessions removes every session of the employee in one
// statement and returns how many there were.
func (db *DB) DeleteEmployeeSessions(ctx context.Context, employeeID string) (int, error) {
	const op steward.Op = "sqlite.DeleteEmployeeSessions"
	return db.deleteSessions(ctx, op, `DELETE FROM sessions WHERE employee_id = ?`, employeeID)
}

// DeleteExpiredSessions removes the sessions past their absolute or idle
// timeout at time now, and returns how many there were.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	const op steward.Op = "sqlite.DeleteExpiredSessions"
	n := nanos(now)
	return db.deleteSessions(ctx, op, `DELETE FROM sessions
		WHERE expires_at <= ? OR (idle_timeout > 0 AND last_seen_at + idle_timeout <= ?)`, n, n)
}

func (db *DB) deleteSessions(ctx context.Context, op steward.Op, query string, args ...any) (int, error) {
	res, err := db.w.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, dbErr(op, db.checkClosed(err), "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbErr(op, err, "")
	}
	return int(n), nil
}

// TokenByID returns the token with this id, usable or not, or NotFound.
func (db *DB) TokenByID(ctx context.Context, id string) (*steward.Token, error) {
	const op steward.Op = "sqlite.TokenByID"
	t, err := scanToken(db.r.QueryRowContext(ctx, selectTokenSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "token not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return t, nil
}

func scanSession(s scanner) (*steward.Session, error) {
	var ss steward.Session
	var method string
	var token sql.NullString
	var created, seen, expires, idle int64
	if err := s.Scan(&ss.ID, &ss.EmployeeID, &method, &token, &ss.Hash, &created, &seen, &expires, &idle); err != nil {
		return nil, err
	}
	ss.Method, ss.TokenID = steward.SessionMethod(method), token.String
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromNanos(created), fromNanos(seen), fromNanos(expires)
	ss.IdleTimeout = time.Duration(idle)
	return &ss, nil
}
