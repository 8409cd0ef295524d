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

const selectBatchSQL = `SELECT id, action, required_approvals, state, requested_by, created_at, approvals,
	executed_by, executed_at, cancelled_by, cancelled_at, cancel_reason, updated_at FROM disposition_batches`

// batchRecordRows is how many batch records one INSERT carries, seven
// parameters each: a batch of 100,000 takes 200 statements.
const batchRecordRows = 500

// AddBatch stores a proposed batch and its records, in their order,
// setting CreatedAt to now when it is zero and UpdatedAt to CreatedAt
// when it is zero. Its fields are stored as given: records.Propose makes
// them. Returns Invalid without a batch or an ID; Conflict if a batch has
// b.ID.
func (db *DB) AddBatch(ctx context.Context, b *steward.DispositionBatch) error {
	const op steward.Op = "sqlite.AddBatch"
	if b == nil || b.ID == "" {
		return steward.E(op, steward.Invalid, "a batch needs an id")
	}
	approvals, err := encodeApprovals(b.Approvals)
	if err != nil {
		return steward.E(op, steward.Invalid, "approvals cannot be encoded", err)
	}
	created, updated := b.CreatedAt, b.UpdatedAt
	if created.IsZero() {
		created = now()
	}
	if updated.IsZero() {
		updated = created
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO disposition_batches (id, action, required_approvals,
			state, requested_by, created_at, approvals, executed_by, executed_at, cancelled_by, cancelled_at,
			cancel_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, string(b.Action), b.RequiredApprovals, string(b.State), b.RequestedBy, nanos(created),
			approvals, b.ExecutedBy, nullNanos(b.ExecutedAt), b.CancelledBy, nullNanos(b.CancelledAt),
			b.CancelReason, nanos(updated)); err != nil {
			return err
		}
		return insertBatchRecords(ctx, tx, b.ID, b.Records)
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a batch with that id exists")
	}
	b.CreatedAt, b.UpdatedAt = created, updated
	return nil
}

func insertBatchRecords(ctx context.Context, tx *sql.Tx, batchID string, recs []steward.BatchRecord) error {
	row := "(" + placeholders(7) + ")"
	args := make([]any, 0, batchRecordRows*7)
	for seq := 0; seq < len(recs); {
		n := min(len(recs)-seq, batchRecordRows)
		args = args[:0]
		for i, r := range recs[seq : seq+n] {
			args = append(args, batchID, seq+i, r.RecordID, r.ItemID, r.Authority, r.Reason, nullNanos(&r.DueAt))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO batch_records (batch_id, seq, record_id, item_id,
			authority, reason, due_at) VALUES `+strings.Repeat(row+", ", n-1)+row, args...); err != nil {
			return err
		}
		seq += n
	}
	return nil
}

// BatchByID returns a batch with its records. Returns NotFound.
func (db *DB) BatchByID(ctx context.Context, id string) (*steward.DispositionBatch, error) {
	const op steward.Op = "sqlite.BatchByID"
	var b *steward.DispositionBatch
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = scanBatch(tx.QueryRowContext(ctx, selectBatchSQL+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return steward.E(op, steward.NotFound, "disposition batch not found")
		} else if err != nil {
			return err
		}
		return readBatchRecords(ctx, tx, b)
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return b, nil
}

// Batches lists the batches in state (any when empty), newest first,
// each with its records.
func (db *DB) Batches(ctx context.Context, state steward.BatchState) ([]*steward.DispositionBatch, error) {
	const op steward.Op = "sqlite.Batches"
	query, args := selectBatchSQL, []any{}
	if state != "" {
		query, args = query+` WHERE state = ?`, append(args, string(state))
	}
	var bs []*steward.DispositionBatch
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query+` ORDER BY created_at DESC, id DESC`, args...)
		if err != nil {
			return err
		}
		if bs, err = collect(rows, scanBatch); err != nil {
			return err
		}
		for _, b := range bs {
			if err := readBatchRecords(ctx, tx, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return bs, nil
}

func readBatchRecords(ctx context.Context, tx *sql.Tx, b *steward.DispositionBatch) error {
	rows, err := tx.QueryContext(ctx, `SELECT record_id, item_id, authority, reason, due_at
		FROM batch_records WHERE batch_id = ? ORDER BY seq`, b.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r steward.BatchRecord
		var due sql.NullInt64
		if err := rows.Scan(&r.RecordID, &r.ItemID, &r.Authority, &r.Reason, &due); err != nil {
			return err
		}
		if due.Valid {
			r.DueAt = fromNanos(due.Int64)
		}
		b.Records = append(b.Records, r)
	}
	return rows.Err()
}

// UpdateBatch saves b's workflow fields (State, Approvals, ExecutedBy,
// ExecutedAt, CancelledBy, CancelledAt, CancelReason, UpdatedAt), if the
// stored UpdatedAt is still prev (to the microsecond); its records and
// the rest are never changed. A zero UpdatedAt is set to now, or to a
// microsecond after prev should the clock not have passed it. Returns
// Conflict if the batch changed since prev; NotFound; Invalid for a zero
// prev or an UpdatedAt not after prev, which would let the next writer
// holding prev overwrite this change unseen.
func (db *DB) UpdateBatch(ctx context.Context, b *steward.DispositionBatch, prev time.Time) error {
	const op steward.Op = "sqlite.UpdateBatch"
	if b == nil || b.ID == "" {
		return steward.E(op, steward.Invalid, "no disposition batch")
	}
	if prev.IsZero() {
		return steward.E(op, steward.Invalid, "the UpdatedAt read is needed to detect concurrent changes")
	}
	updated := b.UpdatedAt
	if updated.IsZero() {
		updated = now()
		if micros(updated) <= micros(prev) {
			updated = prev.Add(time.Microsecond)
		}
	} else if micros(updated) <= micros(prev) {
		return steward.E(op, steward.Invalid, "UpdatedAt must be later than the version replaced")
	}
	approvals, err := encodeApprovals(b.Approvals)
	if err != nil {
		return steward.E(op, steward.Invalid, "approvals cannot be encoded", err)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE disposition_batches SET state = ?, approvals = ?,
			executed_by = ?, executed_at = ?, cancelled_by = ?, cancelled_at = ?, cancel_reason = ?,
			updated_at = ? WHERE id = ? AND updated_at / 1000 = ?`,
			string(b.State), approvals, b.ExecutedBy, nullNanos(b.ExecutedAt), b.CancelledBy,
			nullNanos(b.CancelledAt), b.CancelReason, nanos(updated), b.ID, micros(prev))
		if err != nil {
			return err
		}
		return guardedUpdate(ctx, tx, op, res, "disposition_batches", b.ID, "disposition batch not found",
			"the batch was changed by someone else")
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	b.UpdatedAt = updated
	return nil
}

// AddTombstones stores tombstones, all or none; one for a record that
// already has one, or listed twice, is ignored, so that a crashed
// execution can be resumed. Returns Invalid for a tombstone without a
// record or a batch.
func (db *DB) AddTombstones(ctx context.Context, ts []steward.Tombstone) error {
	const op steward.Op = "sqlite.AddTombstones"
	for _, t := range ts {
		if t.RecordID == "" || t.BatchID == "" {
			return steward.E(op, steward.Invalid, "a tombstone needs a record and a batch")
		}
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO tombstones (record_id, leaf_index, leaf_hash, item_id,
			authority, action, disposed_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (record_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, t := range ts {
			if _, err := st.ExecContext(ctx, t.RecordID, t.LeafIndex, t.LeafHash[:], t.ItemID, t.Authority,
				string(t.Action), nanos(t.DisposedAt), t.BatchID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// TombstoneByRecord returns a record's tombstone. Returns NotFound when
// the record was never disposed of.
func (db *DB) TombstoneByRecord(ctx context.Context, recordID string) (*steward.Tombstone, error) {
	const op steward.Op = "sqlite.TombstoneByRecord"
	var t steward.Tombstone
	var hash []byte
	var disposed int64
	err := db.r.QueryRowContext(ctx, `SELECT record_id, leaf_index, leaf_hash, item_id, authority, action,
		disposed_at, batch_id FROM tombstones WHERE record_id = ?`, recordID).Scan(&t.RecordID, &t.LeafIndex,
		&hash, &t.ItemID, &t.Authority, &t.Action, &disposed, &t.BatchID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "the record has no tombstone")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	if len(hash) != len(t.LeafHash) {
		return nil, steward.Errorf(op, steward.Integrity, "tombstone of %s: leaf hash of %d bytes", recordID, len(hash))
	}
	copy(t.LeafHash[:], hash)
	t.DisposedAt = fromNanos(disposed)
	return &t, nil
}

// AddCertificate stores a batch's signed certificate, setting CreatedAt
// to now when it is zero. Returns Invalid without a certificate, a batch
// ID or a note; Conflict if the batch already has a certificate; NotFound
// if there is no such batch.
func (db *DB) AddCertificate(ctx context.Context, c *steward.SignedCertificate) error {
	const op steward.Op = "sqlite.AddCertificate"
	if c == nil || c.BatchID == "" || len(c.Note) == 0 {
		return steward.E(op, steward.Invalid, "a certificate needs a batch and a note")
	}
	created := c.CreatedAt
	if created.IsZero() {
		created = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO disposition_certificates (batch_id, note, record_id, created_at)
		VALUES (?, ?, ?, ?)`, c.BatchID, c.Note, c.RecordID, nanos(created))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "the batch already has a certificate")
	}
	c.CreatedAt = created
	return nil
}

// CertificateByBatch returns a batch's certificate. Returns NotFound.
func (db *DB) CertificateByBatch(ctx context.Context, batchID string) (*steward.SignedCertificate, error) {
	const op steward.Op = "sqlite.CertificateByBatch"
	var c steward.SignedCertificate
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT batch_id, note, record_id, created_at FROM disposition_certificates
		WHERE batch_id = ?`, batchID).Scan(&c.BatchID, &c.Note, &c.RecordID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "the batch has no certificate")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	c.CreatedAt = fromNanos(created)
	return &c, nil
}

// encodeApprovals returns the stored JSON form of approvals, at UTC.
func encodeApprovals(as []steward.BatchApproval) (string, error) {
	if len(as) == 0 {
		return "[]", nil
	}
	utc := make([]steward.BatchApproval, len(as))
	for i, a := range as {
		utc[i] = steward.BatchApproval{By: a.By, At: a.At.UTC()}
	}
	b, err := json.Marshal(utc)
	return string(b), err
}

func scanBatch(s scanner) (*steward.DispositionBatch, error) {
	var b steward.DispositionBatch
	var approvals string
	var created, updated int64
	var executed, cancelled sql.NullInt64
	err := s.Scan(&b.ID, &b.Action, &b.RequiredApprovals, &b.State, &b.RequestedBy, &created, &approvals,
		&b.ExecutedBy, &executed, &b.CancelledBy, &cancelled, &b.CancelReason, &updated)
	if err != nil {
		return nil, err
	}
	if approvals != "[]" {
		if err := json.Unmarshal([]byte(approvals), &b.Approvals); err != nil {
			return nil, fmt.Errorf("batch %s: approvals: %w", b.ID, err)
		}
	}
	b.CreatedAt, b.UpdatedAt = fromNanos(created), fromNanos(updated)
	b.ExecutedAt, b.CancelledAt = fromNullNanos(executed), fromNullNanos(cancelled)
	return &b, nil
}
