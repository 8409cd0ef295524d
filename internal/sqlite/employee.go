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

// A deleted employee's row keeps its user name and external id in the
// former_* columns, so selectEmployeeSQL reads them from there.
const selectEmployeeSQL = `SELECT id,
	CASE WHEN deleted_at IS NULL THEN external_id ELSE former_external_id END,
	CASE WHEN deleted_at IS NULL THEN user_name ELSE former_user_name END,
	display_name, email, department, title, seniority, employee_number, organization,
	manager_id, capstone_official, caveats, active, scim_json, created_at, updated_at, deleted_at
	FROM employees`

// foldUserName is the stored form of a user name for case-insensitive
// comparison. Upper then lower case maps the characters that have more
// than one case variant (such as ſ and s, or K and the Kelvin sign) to one.
func foldUserName(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// CreateEmployee stores e, assigning ID, CreatedAt and UpdatedAt when they
// are empty. Returns Invalid if UserName is empty, Conflict if UserName
// (compared case-insensitively) or ExternalID is taken.
func (db *DB) CreateEmployee(ctx context.Context, e *steward.Employee) error {
	const op steward.Op = "sqlite.CreateEmployee"
	if e == nil || e.UserName == "" {
		return steward.E(op, steward.Invalid, "employee needs a user name")
	}
	caveats, err := encodeCaveats(e.Caveats)
	if err != nil {
		return steward.E(op, steward.Invalid, "bad caveats", err)
	}
	if e.ID == "" {
		e.ID = steward.NewID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now()
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	e.DeletedAt = nil
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := userNameFree(ctx, tx, e.UserName, e.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO employees (id, external_id, user_name, user_name_fold,
			display_name, email, department, title, seniority, employee_number, organization, manager_id,
			capstone_official, caveats, active, scim_json, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, nullString(e.ExternalID), e.UserName, foldUserName(e.UserName), e.DisplayName, e.Email,
			e.Department, e.Title, e.Seniority, e.EmployeeNumber, e.Organization, e.ManagerID,
			e.CapstoneOfficial, caveats, e.Active, nullText(e.SCIMResource), nanos(e.CreatedAt), nanos(e.UpdatedAt))
		return err
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "employee id, user name or external id already taken")
	}
	return nil
}

// UpdateEmployee replaces every stored field of e.ID but its creation and
// deletion times, setting UpdatedAt to now when it is zero. Returns
// NotFound if there is no such employee or it is deleted, Invalid if
// UserName is empty, Conflict if the new UserName or ExternalID is someone
// else's.
func (db *DB) UpdateEmployee(ctx context.Context, e *steward.Employee) error {
	const op steward.Op = "sqlite.UpdateEmployee"
	if e == nil || e.UserName == "" {
		return steward.E(op, steward.Invalid, "employee needs a user name")
	}
	caveats, err := encodeCaveats(e.Caveats)
	if err != nil {
		return steward.E(op, steward.Invalid, "bad caveats", err)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = now()
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := userNameFree(ctx, tx, e.UserName, e.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE employees SET external_id = ?, user_name = ?,
			user_name_fold = ?, display_name = ?, email = ?, department = ?, title = ?, seniority = ?,
			employee_number = ?, organization = ?, manager_id = ?, capstone_official = ?, caveats = ?,
			active = ?, scim_json = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
			nullString(e.ExternalID), e.UserName, foldUserName(e.UserName), e.DisplayName, e.Email,
			e.Department, e.Title, e.Seniority, e.EmployeeNumber, e.Organization, e.ManagerID,
			e.CapstoneOfficial, caveats, e.Active, nullText(e.SCIMResource), nanos(e.UpdatedAt), e.ID)
		if err != nil {
			return err
		}
		return rowsAffected(op, res, "employee not found")
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "user name or external id already taken")
	}
	return nil
}

// userNameFree returns Conflict if an undeleted employee other than id
// has userName in another case; the UNIQUE constraint catches the same
// case. It runs in the writing transaction, which holds SQLite's write
// lock, so no other writer can take the name between check and write.
func userNameFree(ctx context.Context, tx *sql.Tx, userName, id string) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM employees
		WHERE user_name_fold = ? AND deleted_at IS NULL AND id != ?`, foldUserName(userName), id).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return steward.E(steward.Op("sqlite.userNameFree"), steward.Conflict, "user name already taken")
	}
	return nil
}

// DeleteEmployee marks the employee deleted and inactive, moves its user
// name and external id to the former_* columns (user_name takes the
// tombstone "deleted:<id>", which no sign-in name looks like) and removes
// its group memberships, in one transaction. Returns NotFound if there is
// no such undeleted employee.
func (db *DB) DeleteEmployee(ctx context.Context, id string, at time.Time) error {
	const op steward.Op = "sqlite.DeleteEmployee"
	if at.IsZero() {
		at = now()
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE employees SET former_user_name = user_name,
			former_external_id = external_id, user_name = 'deleted:' || id, user_name_fold = '',
			external_id = NULL, active = 0, deleted_at = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`, nanos(at), nanos(at), id)
		if err != nil {
			return err
		}
		if err := rowsAffected(op, res, "employee not found"); err != nil {
			return err
		}
		// Groups that lose a member changed too.
		if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET updated_at = ? WHERE id IN
			(SELECT group_id FROM group_members WHERE employee_id = ?)`, nanos(at), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM group_members WHERE employee_id = ?`, id)
		return err
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// EmployeeByID returns NotFound if there is none; deleted employees are
// returned with DeletedAt set.
func (db *DB) EmployeeByID(ctx context.Context, id string) (*steward.Employee, error) {
	const op steward.Op = "sqlite.EmployeeByID"
	return db.employee(ctx, op, selectEmployeeSQL+` WHERE id = ?`, id)
}

// EmployeeByUserName returns NotFound if no undeleted employee has exactly
// this user name.
func (db *DB) EmployeeByUserName(ctx context.Context, userName string) (*steward.Employee, error) {
	const op steward.Op = "sqlite.EmployeeByUserName"
	return db.employee(ctx, op, selectEmployeeSQL+` WHERE user_name = ? AND deleted_at IS NULL`, userName)
}

// Employees lists the employees not deleted, ordered by user name.
func (db *DB) Employees(ctx context.Context) ([]*steward.Employee, error) {
	const op steward.Op = "sqlite.Employees"
	return queryAll(ctx, db, op, scanEmployee, selectEmployeeSQL+` WHERE deleted_at IS NULL ORDER BY user_name`)
}

// QueryEmployees returns the undeleted employees matching q, ordered by
// folded user name and id, and how many match before paging. The count
// and the page are read in one snapshot, so they agree.
func (db *DB) QueryEmployees(ctx context.Context, q steward.EmployeeQuery) ([]*steward.Employee, int, error) {
	const op steward.Op = "sqlite.QueryEmployees"
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, steward.E(op, steward.Invalid, "offset and limit must not be negative")
	}
	var where []string
	if !q.IncludeDeleted {
		where = append(where, "deleted_at IS NULL")
	}
	var args []any
	if q.UserName != "" {
		where, args = append(where, "user_name_fold = ?"), append(args, foldUserName(q.UserName))
	}
	if q.ExternalID != "" {
		where, args = append(where, "external_id = ?"), append(args, q.ExternalID)
	}
	if q.Email != "" {
		where, args = append(where, "email = ? COLLATE NOCASE"), append(args, q.Email)
	}
	if q.ManagerID != "" {
		where, args = append(where, "manager_id = ?"), append(args, q.ManagerID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit == 0 {
		limit = -1 // SQLite: no limit
	}
	var out []*steward.Employee
	var total int
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM employees`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, selectEmployeeSQL+cond+` ORDER BY user_name_fold, id LIMIT ? OFFSET ?`,
			append(args, limit, q.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEmployee(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, dbErr(op, db.checkClosed(err), "")
	}
	return out, total, nil
}

func (db *DB) employee(ctx context.Context, op steward.Op, query string, arg string) (*steward.Employee, error) {
	e, err := scanEmployee(db.r.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "employee not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return e, nil
}

func scanEmployee(s scanner) (*steward.Employee, error) {
	var e steward.Employee
	var ext, userName, resource sql.NullString
	var caveats string
	var created, updated int64
	var deleted sql.NullInt64
	err := s.Scan(&e.ID, &ext, &userName, &e.DisplayName, &e.Email, &e.Department, &e.Title,
		&e.Seniority, &e.EmployeeNumber, &e.Organization, &e.ManagerID, &e.CapstoneOfficial, &caveats,
		&e.Active, &resource, &created, &updated, &deleted)
	if err != nil {
		return nil, err
	}
	e.ExternalID, e.UserName = ext.String, userName.String
	if caveats != "" && caveats != "[]" {
		if err := json.Unmarshal([]byte(caveats), &e.Caveats); err != nil {
			return nil, fmt.Errorf("employee %s: caveats: %w", e.ID, err)
		}
	}
	if resource.Valid {
		e.SCIMResource = []byte(resource.String)
	}
	e.CreatedAt, e.UpdatedAt = fromNanos(created), fromNanos(updated)
	e.DeletedAt = fromNullNanos(deleted)
	return &e, nil
}

// encodeCaveats returns the stored JSON form of caveats; none is "[]".
func encodeCaveats(cs []string) (string, error) {
	if len(cs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(cs)
	return string(b), err
}

// nullText binds nil as NULL and anything else as TEXT, so that an
// optional document reads back exactly as written, byte for byte.
func nullText(b []byte) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}

// queryAll runs a query on the read pool and scans every row with scan.
func queryAll[T any](ctx context.Context, db *DB, op steward.Op, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbErr(op, err, "")
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return out, nil
}

// rowsAffected returns NotFound with msg if an UPDATE touched no row.
func rowsAffected(op steward.Op, res sql.Result, msg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbErr(op, err, "")
	}
	if n == 0 {
		return steward.E(op, steward.NotFound, msg)
	}
	return nil
}
