package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

// SetLocalPassword stores the employee's password hash, replacing any
// earlier one. Returns Invalid if EmployeeID or Hash is empty, NotFound if
// the employee does not exist.
func (db *DB) SetLocalPassword(ctx context.Context, c *steward.LocalCredential) error {
	const op steward.Op = "sqlite.SetLocalPassword"
	if c == nil || c.EmployeeID == "" || c.Hash == "" {
		return steward.E(op, steward.Invalid, "a local password needs an employee and a hash")
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO local_credentials (employee_id, hash, updated_at)
		VALUES (?, ?, ?) ON CONFLICT (employee_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		c.EmployeeID, c.Hash, nanos(c.UpdatedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "employee not found")
	}
	return nil
}

// LocalCredential returns the employee's password hash, or NotFound.
func (db *DB) LocalCredential(ctx context.Context, employeeID string) (*steward.LocalCredential, error) {
	const op steward.Op = "sqlite.LocalCredential"
	c := steward.LocalCredential{EmployeeID: employeeID}
	var updated int64
	err := db.r.QueryRowContext(ctx, `SELECT hash, updated_at FROM local_credentials WHERE employee_id = ?`,
		employeeID).Scan(&c.Hash, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "no local password")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	c.UpdatedAt = fromNanos(updated)
	return &c, nil
}
