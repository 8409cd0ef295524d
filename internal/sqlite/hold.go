package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectHoldSQL = `SELECT id, name, reason, owner, custodians, conversations, from_at, until_at, query,
	created_by, created_at, released_by, released_at, release_reason FROM holds`

// CreateHold stores h, setting CreatedAt to now when it is zero. Its
// scope and release fields are stored as given: records.CheckHold vets
// them. Returns Invalid without a hold or an ID; Conflict if a hold has
// h.ID.
func (db *DB) CreateHold(ctx context.Context, h *steward.Hold) error {
	const op steward.Op = "sqlite.CreateHold"
	if h == nil || h.ID == "" {
		return steward.E(op, steward.Invalid, "a hold needs an id")
	}
	custodians, err := encodeStrings(h.Custodians)
	if err != nil {
		return steward.E(op, steward.Invalid, "custodians cannot be encoded", err)
	}
	conversations, err := encodeStrings(h.Conversations)
	if err != nil {
		return steward.E(op, steward.Invalid, "conversations cannot be encoded", err)
	}
	created := h.CreatedAt
	if created.IsZero() {
		created = now()
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO holds (id, name, reason, owner, custodians, conversations,
		from_at, until_at, query, created_by, created_at, released_by, released_at, release_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.Name, h.Reason, h.Owner, custodians, conversations, nullNanos(h.From), nullNanos(h.Until),
		h.Query, h.CreatedBy, nanos(created), h.ReleasedBy, nullNanos(h.ReleasedAt), h.ReleaseReason)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a hold with that id exists")
	}
	h.CreatedAt = created
	return nil
}

// HoldByID returns a hold, released or not. Returns NotFound.
func (db *DB) HoldByID(ctx context.Context, id string) (*steward.Hold, error) {
	const op steward.Op = "sqlite.HoldByID"
	h, err := scanHold(db.r.QueryRowContext(ctx, selectHoldSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "hold not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return h, nil
}

// Holds lists holds, newest first. Without includeReleased it lists those
// not released by the store's clock: a hold whose release is dated in the
// future is still listed, because it still freezes records until then.
func (db *DB) Holds(ctx context.Context, includeReleased bool) ([]*steward.Hold, error) {
	const op steward.Op = "sqlite.Holds"
	query, args := selectHoldSQL, []any{}
	if !includeReleased {
		query, args = query+` WHERE released_at IS NULL OR released_at > ?`, append(args, nanos(now()))
	}
	return queryAll(ctx, db, op, scanHold, query+` ORDER BY created_at DESC, id DESC`, args...)
}

// ReleaseHold releases a hold: by, reason and at are stored as given
// (records.Release vets them). Returns Invalid without by or at; Conflict
// if the hold is already released; NotFound.
func (db *DB) ReleaseHold(ctx context.Context, id, by, reason string, at time.Time) error {
	const op steward.Op = "sqlite.ReleaseHold"
	if by == "" || at.IsZero() {
		return steward.E(op, steward.Invalid, "a release needs who releases and when")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var released sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT released_at FROM holds WHERE id = ?`, id).Scan(&released)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return steward.E(op, steward.NotFound, "hold not found")
		case err != nil:
			return err
		case released.Valid:
			return steward.Errorf(op, steward.Conflict, "hold %s was already released on %s", id,
				fromNanos(released.Int64).Format(time.DateOnly))
		}
		_, err = tx.ExecContext(ctx, `UPDATE holds SET released_by = ?, released_at = ?, release_reason = ?
			WHERE id = ?`, by, nanos(at), reason, id)
		return err
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

// AddHoldNotices stores notices, all or none; a notice for a hold and
// custodian already noticed is ignored, and so is its repeat within ns.
// A zero SentAt is stored as now. Returns Invalid for a notice without a
// hold or a custodian; NotFound, storing none, if a notice names no hold.
func (db *DB) AddHoldNotices(ctx context.Context, ns []steward.HoldNotice) error {
	const op steward.Op = "sqlite.AddHoldNotices"
	for _, n := range ns {
		if n.HoldID == "" || n.Custodian == "" {
			return steward.E(op, steward.Invalid, "a hold notice needs a hold and a custodian")
		}
	}
	at := now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, n := range ns {
			sent := n.SentAt
			if sent.IsZero() {
				sent = at
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO hold_notices (hold_id, custodian, sent_at,
				notice_record_id, acknowledged_at, ack_record_id) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (hold_id, custodian) DO NOTHING`,
				n.HoldID, n.Custodian, nanos(sent), n.NoticeRecordID, nullNanos(n.AcknowledgedAt), n.AckRecordID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "hold not found")
	}
	return nil
}

// HoldNotices lists a hold's notices by custodian. Returns NotFound if
// there is no such hold.
func (db *DB) HoldNotices(ctx context.Context, holdID string) ([]steward.HoldNotice, error) {
	const op steward.Op = "sqlite.HoldNotices"
	var ns []*steward.HoldNotice
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM holds WHERE id = ?`, holdID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return steward.E(op, steward.NotFound, "hold not found")
		}
		rows, err := tx.QueryContext(ctx, `SELECT hold_id, custodian, sent_at, notice_record_id,
			acknowledged_at, ack_record_id FROM hold_notices WHERE hold_id = ? ORDER BY custodian`, holdID)
		if err != nil {
			return err
		}
		ns, err = collect(rows, scanHoldNotice)
		return err
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return derefAll(ns), nil
}

// AcknowledgeHoldNotice records a custodian's acknowledgement at at (now
// if zero). Returns Conflict if the notice is already acknowledged;
// NotFound if there is no notice for the hold and custodian.
func (db *DB) AcknowledgeHoldNotice(ctx context.Context, holdID, custodian string, at time.Time, ackRecordID string) error {
	const op steward.Op = "sqlite.AcknowledgeHoldNotice"
	if at.IsZero() {
		at = now()
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var acked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT acknowledged_at FROM hold_notices WHERE hold_id = ? AND custodian = ?`,
			holdID, custodian).Scan(&acked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return steward.E(op, steward.NotFound, "no notice of that hold to that custodian")
		case err != nil:
			return err
		case acked.Valid:
			return steward.E(op, steward.Conflict, "the notice is already acknowledged")
		}
		_, err = tx.ExecContext(ctx, `UPDATE hold_notices SET acknowledged_at = ?, ack_record_id = ?
			WHERE hold_id = ? AND custodian = ?`, nanos(at), ackRecordID, holdID, custodian)
		return err
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

func scanHold(s scanner) (*steward.Hold, error) {
	var h steward.Hold
	var custodians, conversations string
	var from, until, released sql.NullInt64
	var created int64
	err := s.Scan(&h.ID, &h.Name, &h.Reason, &h.Owner, &custodians, &conversations, &from, &until, &h.Query,
		&h.CreatedBy, &created, &h.ReleasedBy, &released, &h.ReleaseReason)
	if err != nil {
		return nil, err
	}
	if h.Custodians, err = decodeStrings(custodians); err != nil {
		return nil, fmt.Errorf("hold %s: custodians: %w", h.ID, err)
	}
	if h.Conversations, err = decodeStrings(conversations); err != nil {
		return nil, fmt.Errorf("hold %s: conversations: %w", h.ID, err)
	}
	h.From, h.Until, h.ReleasedAt = fromNullNanos(from), fromNullNanos(until), fromNullNanos(released)
	h.CreatedAt = fromNanos(created)
	return &h, nil
}

func scanHoldNotice(s scanner) (*steward.HoldNotice, error) {
	var n steward.HoldNotice
	var sent int64
	var acked sql.NullInt64
	if err := s.Scan(&n.HoldID, &n.Custodian, &sent, &n.NoticeRecordID, &acked, &n.AckRecordID); err != nil {
		return nil, err
	}
	n.SentAt, n.AcknowledgedAt = fromNanos(sent), fromNullNanos(acked)
	return &n, nil
}
