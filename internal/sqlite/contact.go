package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectContactSQL = `SELECT id, employee_id, channel, address, display_name,
	consent_state, consent_version, created_at, updated_at FROM contacts`

// CreateContact stores c, assigning ID, CreatedAt and UpdatedAt when they
// are empty. Returns Invalid if EmployeeID, Channel or Address is empty,
// Conflict if the employee already has a contact at that channel address,
// NotFound if the employee does not exist.
func (db *DB) CreateContact(ctx context.Context, c *steward.Contact) error {
	const op steward.Op = "sqlite.CreateContact"
	if c == nil || c.EmployeeID == "" || c.Channel == "" || c.Address == "" {
		return steward.E(op, steward.Invalid, "contact needs an employee, a channel and an address")
	}
	if c.ID == "" {
		c.ID = steward.NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO contacts (id, employee_id, channel, address,
		display_name, consent_state, consent_version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.EmployeeID, string(c.Channel), c.Address, c.DisplayName, string(c.ConsentState),
		c.ConsentVersion, nanos(c.CreatedAt), nanos(c.UpdatedAt))
	if err != nil {
		msg := "contact already exists"
		if kind, _ := classify(err); kind == steward.NotFound {
			msg = "employee not found"
		}
		return dbErr(op, db.checkClosed(err), msg)
	}
	return nil
}

// UpdateContact replaces the display name and consent fields of c.ID,
// setting UpdatedAt to now when it is zero. Returns NotFound if there is
// no such contact.
func (db *DB) UpdateContact(ctx context.Context, c *steward.Contact) error {
	const op steward.Op = "sqlite.UpdateContact"
	if c == nil {
		return steward.E(op, steward.Invalid, "no contact")
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE contacts SET display_name = ?, consent_state = ?,
		consent_version = ?, updated_at = ? WHERE id = ?`,
		c.DisplayName, string(c.ConsentState), c.ConsentVersion, nanos(c.UpdatedAt), c.ID)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "contact not found")
}

// ContactByID returns NotFound if there is none.
func (db *DB) ContactByID(ctx context.Context, id string) (*steward.Contact, error) {
	const op steward.Op = "sqlite.ContactByID"
	return db.contact(ctx, op, selectContactSQL+` WHERE id = ?`, id)
}

// ContactByAddress returns the employee's contact at an address, or NotFound.
func (db *DB) ContactByAddress(ctx context.Context, employeeID string, ch steward.Channel, address string) (*steward.Contact, error) {
	const op steward.Op = "sqlite.ContactByAddress"
	return db.contact(ctx, op, selectContactSQL+` WHERE employee_id = ? AND channel = ? AND address = ?`,
		employeeID, string(ch), address)
}

// ContactsByEmployee lists an employee's contacts by channel and address;
// none, for an unknown employee.
func (db *DB) ContactsByEmployee(ctx context.Context, employeeID string) ([]*steward.Contact, error) {
	const op steward.Op = "sqlite.ContactsByEmployee"
	return queryAll(ctx, db, op, scanContact,
		selectContactSQL+` WHERE employee_id = ? ORDER BY channel, address`, employeeID)
}

func (db *DB) contact(ctx context.Context, op steward.Op, query string, args ...any) (*steward.Contact, error) {
	c, err := scanContact(db.r.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "contact not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return c, nil
}

func scanContact(s scanner) (*steward.Contact, error) {
	var c steward.Contact
	var created, updated int64
	err := s.Scan(&c.ID, &c.EmployeeID, &c.Channel, &c.Address, &c.DisplayName,
		&c.ConsentState, &c.ConsentVersion, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &c, nil
}
