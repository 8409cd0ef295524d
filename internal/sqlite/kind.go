package sqlite

import (
	"context"

	"github.com/steward-gov/steward/internal/steward"
)

// RecordsByKind returns up to limit records of kind with leaf index below
// before (-1: no bound), newest first. Dead letters and capture gaps have
// a partial index (migration 003), audit records another (006); other
// kinds scan the log. Returns Invalid for a limit below 1.
func (db *DB) RecordsByKind(ctx context.Context, kind steward.RecordKind, before int64, limit int) ([]*steward.Record, error) {
	const op steward.Op = "sqlite.RecordsByKind"
	if limit < 1 {
		return nil, steward.E(op, steward.Invalid, "limit must be positive")
	}
	if before < 0 {
		before = 1 << 62
	}
	return db.queryRecords(ctx, op, selectRecordSQL+` WHERE r.kind = ? AND r.leaf_index < ?
		ORDER BY r.leaf_index DESC LIMIT ?`, string(kind), before, limit)
}

// queryRecords runs a query of selectRecordSQL's columns on the read pool
// and returns its records.
func (db *DB) queryRecords(ctx context.Context, op steward.Op, q string, args ...any) ([]*steward.Record, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	defer rows.Close()
	var out []*steward.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, dbErr(op, err, "")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return out, nil
}
