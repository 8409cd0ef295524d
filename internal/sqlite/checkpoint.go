package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectCheckpointSQL = `SELECT size, root, note, created_at FROM checkpoints`

// AddCheckpoint stores cp, setting CreatedAt when it is zero. A checkpoint
// for a size already stored is ignored: the first one issued stands.
func (db *DB) AddCheckpoint(ctx context.Context, cp *steward.Checkpoint) error {
	const op steward.Op = "sqlite.AddCheckpoint"
	if cp == nil || cp.Size < 0 {
		return steward.E(op, steward.Invalid, "bad checkpoint")
	}
	if cp.CreatedAt.IsZero() {
		cp.CreatedAt = now()
	}
	_, err := db.w.ExecContext(ctx,
		`INSERT OR IGNORE INTO checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)`,
		cp.Size, cp.Root[:], blob(cp.Note), nanos(cp.CreatedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// Checkpoints returns every checkpoint, smallest size first.
func (db *DB) Checkpoints(ctx context.Context) ([]*steward.Checkpoint, error) {
	const op steward.Op = "sqlite.Checkpoints"
	rows, err := db.r.QueryContext(ctx, selectCheckpointSQL+` ORDER BY size`)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	defer rows.Close()
	var cps []*steward.Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, dbErr(op, err, "")
		}
		cps = append(cps, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return cps, nil
}

// LatestCheckpoint returns the checkpoint of the largest size, or NotFound.
func (db *DB) LatestCheckpoint(ctx context.Context) (*steward.Checkpoint, error) {
	const op steward.Op = "sqlite.LatestCheckpoint"
	cp, err := scanCheckpoint(db.r.QueryRowContext(ctx, selectCheckpointSQL+` ORDER BY size DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "no checkpoint issued")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return cp, nil
}

func scanCheckpoint(s scanner) (*steward.Checkpoint, error) {
	var cp steward.Checkpoint
	var root []byte
	var created int64
	if err := s.Scan(&cp.Size, &root, &cp.Note, &created); err != nil {
		return nil, err
	}
	if len(root) != len(cp.Root) {
		return nil, steward.Errorf("", steward.Internal, "checkpoint %d: root of %d bytes", cp.Size, len(root))
	}
	copy(cp.Root[:], root)
	cp.CreatedAt = fromNanos(created)
	return &cp, nil
}
