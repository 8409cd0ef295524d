package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectIdentitySQL = `SELECT id, employee_id, channel, address, mode, status,
	created_at, updated_at FROM identities`

// CreateIdentity stores id, assigning ID, CreatedAt and UpdatedAt when they
// are empty. Returns Invalid if EmployeeID, Channel or Address is empty,
// Conflict if the channel address is already an identity, NotFound if the
// employee does not exist.
func (db *DB) CreateIdentity(ctx context.Context, id *steward.Identity) error {
	const op steward.Op = "sqlite.CreateIdentity"
	if id == nil || id.EmployeeID == "" || id.Channel == "" || id.Address == "" {
		return steward.E(op, steward.Invalid, "identity needs an employee, a channel and an address")
	}
	if id.ID == "" {
		id.ID = steward.NewID()
	}
	if id.CreatedAt.IsZero() {
		id.CreatedAt = now()
	}
	if id.UpdatedAt.IsZero() {
		id.UpdatedAt = id.CreatedAt
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO identities (id, employee_id, channel, address,
		mode, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id.ID, id.EmployeeID, string(id.Channel), id.Address, string(id.Mode), string(id.Status),
		nanos(id.CreatedAt), nanos(id.UpdatedAt))
	if err != nil {
		msg := "address already held by an identity"
		if kind, _ := classify(err); kind == steward.NotFound {
			msg = "employee not found" // the only foreign key
		}
		return dbErr(op, db.checkClosed(err), msg)
	}
	return nil
}

// UpdateIdentity replaces the mode and status of id.ID, setting UpdatedAt
// to now when it is zero. Returns NotFound if there is no such identity.
func (db *DB) UpdateIdentity(ctx context.Context, id *steward.Identity) error {
	const op steward.Op = "sqlite.UpdateIdentity"
	if id == nil {
		return steward.E(op, steward.Invalid, "no identity")
	}
	if id.UpdatedAt.IsZero() {
		id.UpdatedAt = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE identities SET mode = ?, status = ?, updated_at = ?
		WHERE id = ?`, string(id.Mode), string(id.Status), nanos(id.UpdatedAt), id.ID)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "identity not found")
}

// IdentityByID returns NotFound if there is none.
func (db *DB) IdentityByID(ctx context.Context, id string) (*steward.Identity, error) {
	const op steward.Op = "sqlite.IdentityByID"
	return db.identity(ctx, op, selectIdentitySQL+` WHERE id = ?`, id)
}

// IdentityByAddress returns NotFound if no identity holds the address.
func (db *DB) IdentityByAddress(ctx context.Context, ch steward.Channel, address string) (*steward.Identity, error) {
	const op steward.Op = "sqlite.IdentityByAddress"
	return db.identity(ctx, op, selectIdentitySQL+` WHERE channel = ? AND address = ?`, string(ch), address)
}

// IdentitiesByEmployee lists an employee's identities by channel and
// address; none, for an unknown employee.
func (db *DB) IdentitiesByEmployee(ctx context.Context, employeeID string) ([]*steward.Identity, error) {
	const op steward.Op = "sqlite.IdentitiesByEmployee"
	return queryAll(ctx, db, op, scanIdentity,
		selectIdentitySQL+` WHERE employee_id = ? ORDER BY channel, address`, employeeID)
}

func (db *DB) identity(ctx context.Context, op steward.Op, query string, args ...any) (*steward.Identity, error) {
	id, err := scanIdentity(db.r.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "identity not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return id, nil
}

func scanIdentity(s scanner) (*steward.Identity, error) {
	var id steward.Identity
	var created, updated int64
	err := s.Scan(&id.ID, &id.EmployeeID, &id.Channel, &id.Address, &id.Mode, &id.Status,
		&created, &updated)
	if err != nil {
		return nil, err
	}
	id.CreatedAt, id.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &id, nil
}
