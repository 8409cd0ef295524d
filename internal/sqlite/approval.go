package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectApprovalSQL = `SELECT id, kind, subject, requested_by, approver, payload, reason, state,
	decided_by, decided_at, created_at FROM approvals`

// AddApproval stores a, which must be pending (an empty State is taken as
// pending), setting CreatedAt to now when it is zero; DecidedBy and
// DecidedAt are not stored, and are cleared in a. Returns Invalid if
// ID, Kind or RequestedBy is empty, the state is not pending or the
// payload cannot be encoded as JSON; Conflict if an approval has a.ID.
func (db *DB) AddApproval(ctx context.Context, a *steward.Approval) error {
	const op steward.Op = "sqlite.AddApproval"
	if a == nil || a.ID == "" || a.Kind == "" || a.RequestedBy == "" {
		return steward.E(op, steward.Invalid, "an approval needs an id, a kind and a requester")
	}
	if a.State != "" && a.State != steward.ApprovalPending {
		return steward.Errorf(op, steward.Invalid, "a new approval is pending, not %s", a.State)
	}
	var payload sql.NullString
	if len(a.Payload) > 0 {
		b, err := json.Marshal(a.Payload)
		if err != nil {
			return steward.E(op, steward.Invalid, "payload cannot be encoded", err)
		}
		payload = sql.NullString{String: string(b), Valid: true}
	}
	created := a.CreatedAt
	if created.IsZero() {
		created = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO approvals (id, kind, subject, requested_by, approver,
		payload, reason, state, decided_by, decided_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', NULL, ?)`,
		a.ID, a.Kind, a.Subject, a.RequestedBy, a.Approver, payload, a.Reason,
		string(steward.ApprovalPending), nanos(created))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "an approval with that id exists")
	}
	a.State, a.CreatedAt, a.DecidedBy, a.DecidedAt = steward.ApprovalPending, created, "", nil
	return nil
}

// ApprovalByID returns one. Returns NotFound.
func (db *DB) ApprovalByID(ctx context.Context, id string) (*steward.Approval, error) {
	const op steward.Op = "sqlite.ApprovalByID"
	a, err := scanApproval(db.r.QueryRowContext(ctx, selectApprovalSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "approval not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return a, nil
}

// Approvals lists approvals of kind (any if empty) in state (any if
// empty), only those whose Approver is approver when it is not empty,
// newest first.
func (db *DB) Approvals(ctx context.Context, kind string, state steward.ApprovalState, approver string) ([]*steward.Approval, error) {
	const op steward.Op = "sqlite.Approvals"
	var where []string
	var args []any
	for _, eq := range []struct{ col, val string }{
		{"kind", kind},
		{"state", string(state)},
		{"approver", approver},
	} {
		if eq.val != "" {
			where, args = append(where, eq.col+" = ?"), append(args, eq.val)
		}
	}
	query := selectApprovalSQL
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return queryAll(ctx, db, op, scanApproval, query+` ORDER BY created_at DESC, id DESC`, args...)
}

// DecideApproval moves a pending approval to state, approved or denied,
// decided by by at at (now if zero). Returns Invalid for another state or
// an empty by, Conflict if the approval is no longer pending, NotFound.
func (db *DB) DecideApproval(ctx context.Context, id string, state steward.ApprovalState, by string, at time.Time) error {
	const op steward.Op = "sqlite.DecideApproval"
	if state != steward.ApprovalApproved && state != steward.ApprovalDenied {
		return steward.Errorf(op, steward.Invalid, "an approval is decided approved or denied, not %q", state)
	}
	if by == "" {
		return steward.E(op, steward.Invalid, "a decision needs someone who made it")
	}
	if at.IsZero() {
		at = now()
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?
			WHERE id = ? AND state = ?`, string(state), by, nanos(at), id, string(steward.ApprovalPending))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var cur steward.ApprovalState
		err = tx.QueryRowContext(ctx, `SELECT state FROM approvals WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.E(op, steward.NotFound, "approval not found")
		} else if err != nil {
			return err
		}
		return steward.Errorf(op, steward.Conflict, "the approval is already %s", cur)
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

func scanApproval(s scanner) (*steward.Approval, error) {
	var a steward.Approval
	var payload sql.NullString
	var decided sql.NullInt64
	var created int64
	err := s.Scan(&a.ID, &a.Kind, &a.Subject, &a.RequestedBy, &a.Approver, &payload, &a.Reason, &a.State,
		&a.DecidedBy, &decided, &created)
	if err != nil {
		return nil, err
	}
	if payload.Valid {
		if err := json.Unmarshal([]byte(payload.String), &a.Payload); err != nil {
			return nil, fmt.Errorf("approval %s: payload: %w", a.ID, err)
		}
	}
	a.DecidedAt, a.CreatedAt = fromNullNanos(decided), fromNanos(created)
	return &a, nil
}
