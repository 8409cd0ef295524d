package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectContactSQL = `SELECT id, employee_id, channel, address, display_name,
	consent_state, consent_version, requested_at, consent_changed_at, consent_reason,
	created_at, updated_at FROM contacts`

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
		display_name, consent_state, consent_version, requested_at, consent_changed_at,
		consent_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.EmployeeID, string(c.Channel), c.Address, c.DisplayName, string(c.ConsentState),
		c.ConsentVersion, nullNanos(c.RequestedAt), nullNanos(c.ConsentChangedAt), c.ConsentReason,
		nanos(c.CreatedAt), nanos(c.UpdatedAt))
	if err != nil {
		msg := "contact already exists"
		if kind, _ := classify(err); kind == steward.NotFound {
			msg = "employee not found"
		}
		return dbErr(op, db.checkClosed(err), msg)
	}
	return nil
}

// UpdateContact replaces the display name and every consent field of c.ID
// (state, version, request time, change time and reason), setting
// UpdatedAt to now when it is zero. Returns NotFound if there is no such
// contact.
func (db *DB) UpdateContact(ctx context.Context, c *steward.Contact) error {
	const op steward.Op = "sqlite.UpdateContact"
	if c == nil {
		return steward.E(op, steward.Invalid, "no contact")
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE contacts SET display_name = ?, consent_state = ?,
		consent_version = ?, requested_at = ?, consent_changed_at = ?, consent_reason = ?,
		updated_at = ? WHERE id = ?`,
		c.DisplayName, string(c.ConsentState), c.ConsentVersion, nullNanos(c.RequestedAt),
		nullNanos(c.ConsentChangedAt), c.ConsentReason, nanos(c.UpdatedAt), c.ID)
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

// ContactsByAddress lists every employee's contact at a channel address,
// oldest first; none if no employee knows the address.
func (db *DB) ContactsByAddress(ctx context.Context, ch steward.Channel, address string) ([]*steward.Contact, error) {
	const op steward.Op = "sqlite.ContactsByAddress"
	return queryAll(ctx, db, op, scanContact,
		selectContactSQL+` WHERE channel = ? AND address = ? ORDER BY created_at, id`, string(ch), address)
}

// PendingContactsBefore lists up to limit contacts in state pending whose
// RequestedAt is before t, oldest request first. Pending contacts without
// a request time are never listed. Returns Invalid if limit is not
// positive.
//
// The state is written into the statement, not bound, so that SQLite can
// use the partial index contacts_pending.
func (db *DB) PendingContactsBefore(ctx context.Context, t time.Time, limit int) ([]*steward.Contact, error) {
	const op steward.Op = "sqlite.PendingContactsBefore"
	if limit < 1 {
		return nil, steward.E(op, steward.Invalid, "limit must be positive")
	}
	if t.IsZero() {
		return nil, nil // nothing is before the zero time, which has no nanosecond form
	}
	return queryAll(ctx, db, op, scanContact, selectContactSQL+
		` WHERE consent_state = '`+string(steward.ConsentPending)+`' AND requested_at < ?
		ORDER BY requested_at, id LIMIT ?`, nanos(t), limit)
}

// AddConsentEvent stores ev, setting At to now when it is zero. Returns
// Invalid if ContactID, RecordID or Action is empty, NotFound if the
// contact does not exist, Conflict if the record is already indexed.
func (db *DB) AddConsentEvent(ctx context.Context, ev *steward.ConsentEvent) error {
	const op steward.Op = "sqlite.AddConsentEvent"
	if ev == nil || ev.ContactID == "" || ev.RecordID == "" || ev.Action == "" {
		return steward.E(op, steward.Invalid, "consent event needs a contact, a record and an action")
	}
	if ev.At.IsZero() {
		ev.At = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO consent_events (contact_id, record_id, action, state,
		version, at) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ContactID, ev.RecordID, ev.Action, string(ev.State), ev.Version, nanos(ev.At))
	if err != nil {
		msg := "record already indexed as a consent event"
		if kind, _ := classify(err); kind == steward.NotFound {
			msg = "contact not found" // the only foreign key
		}
		return dbErr(op, db.checkClosed(err), msg)
	}
	return nil
}

// ConsentEvents lists a contact's consent events, oldest first; none for
// an unknown contact.
func (db *DB) ConsentEvents(ctx context.Context, contactID string) ([]*steward.ConsentEvent, error) {
	const op steward.Op = "sqlite.ConsentEvents"
	return queryAll(ctx, db, op, scanConsentEvent, `SELECT contact_id, record_id, action, state, version, at
		FROM consent_events WHERE contact_id = ? ORDER BY at, rowid`, contactID)
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
	var requested, changed sql.NullInt64
	var created, updated int64
	err := s.Scan(&c.ID, &c.EmployeeID, &c.Channel, &c.Address, &c.DisplayName,
		&c.ConsentState, &c.ConsentVersion, &requested, &changed, &c.ConsentReason, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.RequestedAt, c.ConsentChangedAt = fromNullNanos(requested), fromNullNanos(changed)
	c.CreatedAt, c.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &c, nil
}

func scanConsentEvent(s scanner) (*steward.ConsentEvent, error) {
	var ev steward.ConsentEvent
	var at int64
	if err := s.Scan(&ev.ContactID, &ev.RecordID, &ev.Action, &ev.State, &ev.Version, &at); err != nil {
		return nil, err
	}
	ev.At = fromNanos(at)
	return &ev, nil
}
