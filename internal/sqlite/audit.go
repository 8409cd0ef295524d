package sqlite

import (
	"context"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// AuditRecords returns the audit records matching f, newest first. The
// filters on actor, action and subject read the plaintext metadata (no
// content is involved); the partial index of migration 006 keeps the walk
// to audit records. Returns Invalid for a limit below 1.
func (db *DB) AuditRecords(ctx context.Context, f steward.AuditFilter) ([]*steward.Record, error) {
	const op steward.Op = "sqlite.AuditRecords"
	if f.Limit < 1 {
		return nil, steward.E(op, steward.Invalid, "limit must be positive")
	}
	q := selectRecordSQL + ` WHERE r.kind = 'audit'`
	var args []any
	if f.Before >= 0 {
		q += ` AND r.leaf_index < ?`
		args = append(args, f.Before)
	}
	if f.Actor != "" {
		q += ` AND json_extract(r.meta, '$.actor') = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			q += ` AND substr(json_extract(r.meta, '$.action'), 1, ?) = ?`
			args = append(args, len(f.Action), f.Action)
		} else {
			q += ` AND json_extract(r.meta, '$.action') = ?`
			args = append(args, f.Action)
		}
	}
	if f.Subject != "" {
		q += ` AND json_extract(r.meta, '$.subject') = ?`
		args = append(args, f.Subject)
	}
	if !f.Since.IsZero() {
		q += ` AND r.captured_at >= ?`
		args = append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND r.captured_at < ?`
		args = append(args, nanos(f.Until))
	}
	q += ` ORDER BY r.leaf_index DESC LIMIT ?`
	args = append(args, f.Limit)
	return db.queryRecords(ctx, op, q, args...)
}
