package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

// SetSuccessor names successorID as employeeID's successor, or clears it
// when successorID is empty. Returns NotFound if either employee does not
// exist, Invalid if they are the same.
func (db *DB) SetSuccessor(ctx context.Context, employeeID, successorID string) error {
	const op steward.Op = "sqlite.SetSuccessor"
	if employeeID == "" || employeeID == successorID {
		return steward.E(op, steward.Invalid, "an employee cannot succeed themselves")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range []string{employeeID, successorID} {
			if id == "" {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM employees WHERE id = ?`, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return steward.E(op, steward.NotFound, "employee not found")
			}
		}
		if successorID == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM successors WHERE employee_id = ?`, employeeID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO successors (employee_id, successor_id, set_at) VALUES (?, ?, ?)
			ON CONFLICT (employee_id) DO UPDATE SET successor_id = excluded.successor_id, set_at = excluded.set_at`,
			employeeID, successorID, nanos(now()))
		return err
	})
	var se *steward.Error
	if errors.As(err, &se) {
		return err
	}
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// SuccessorOf returns employeeID's configured successor, or "".
func (db *DB) SuccessorOf(ctx context.Context, employeeID string) (string, error) {
	const op steward.Op = "sqlite.SuccessorOf"
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT successor_id FROM successors WHERE employee_id = ?`, employeeID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", dbErr(op, db.checkClosed(err), "")
	}
	return id, nil
}

// SucceededBy lists the employees whose configured successor is
// successorID, oldest setting first.
func (db *DB) SucceededBy(ctx context.Context, successorID string) ([]string, error) {
	const op steward.Op = "sqlite.SucceededBy"
	rows, err := db.r.QueryContext(ctx, `SELECT employee_id FROM successors WHERE successor_id = ? ORDER BY set_at, employee_id`, successorID)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(op, err, "")
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return out, nil
}
