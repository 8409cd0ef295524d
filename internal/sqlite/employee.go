package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectEmployeeSQL = `SELECT id, external_id, user_name, display_name, email,
	department, title, seniority, active, created_at, updated_at FROM employees`

// CreateEmployee stores e, assigning ID, CreatedAt and UpdatedAt when they
// are empty. Returns Invalid if UserName is empty, Conflict if UserName or
// ExternalID is taken.
func (db *DB) CreateEmployee(ctx context.Context, e *steward.Employee) error {
	const op steward.Op = "sqlite.CreateEmployee"
	if e == nil || e.UserName == "" {
		return steward.E(op, steward.Invalid, "employee needs a user name")
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
	_, err := db.w.ExecContext(ctx, `INSERT INTO employees (id, external_id, user_name, display_name,
		email, department, title, seniority, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, nullString(e.ExternalID), e.UserName, e.DisplayName, e.Email, e.Department,
		e.Title, e.Seniority, e.Active, nanos(e.CreatedAt), nanos(e.UpdatedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "employee id, user name or external id already taken")
	}
	return nil
}

// UpdateEmployee replaces every stored field of e.ID but its creation
// time, setting UpdatedAt to now when it is zero. Returns NotFound if there
// is no such employee, Invalid if UserName is empty, Conflict if the new
// UserName or ExternalID is someone else's.
func (db *DB) UpdateEmployee(ctx context.Context, e *steward.Employee) error {
	const op steward.Op = "sqlite.UpdateEmployee"
	if e == nil || e.UserName == "" {
		return steward.E(op, steward.Invalid, "employee needs a user name")
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE employees SET external_id = ?, user_name = ?,
		display_name = ?, email = ?, department = ?, title = ?, seniority = ?, active = ?,
		updated_at = ? WHERE id = ?`,
		nullString(e.ExternalID), e.UserName, e.DisplayName, e.Email, e.Department, e.Title,
		e.Seniority, e.Active, nanos(e.UpdatedAt), e.ID)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "user name or external id already taken")
	}
	return rowsAffected(op, res, "employee not found")
}

// EmployeeByID returns NotFound if there is none.
func (db *DB) EmployeeByID(ctx context.Context, id string) (*steward.Employee, error) {
	const op steward.Op = "sqlite.EmployeeByID"
	return db.employee(ctx, op, selectEmployeeSQL+` WHERE id = ?`, id)
}

// EmployeeByUserName returns NotFound if there is none.
func (db *DB) EmployeeByUserName(ctx context.Context, userName string) (*steward.Employee, error) {
	const op steward.Op = "sqlite.EmployeeByUserName"
	return db.employee(ctx, op, selectEmployeeSQL+` WHERE user_name = ?`, userName)
}

// Employees lists employees ordered by user name.
func (db *DB) Employees(ctx context.Context) ([]*steward.Employee, error) {
	const op steward.Op = "sqlite.Employees"
	return queryAll(ctx, db, op, scanEmployee, selectEmployeeSQL+` ORDER BY user_name`)
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
	var ext sql.NullString
	var created, updated int64
	err := s.Scan(&e.ID, &ext, &e.UserName, &e.DisplayName, &e.Email, &e.Department,
		&e.Title, &e.Seniority, &e.Active, &created, &updated)
	if err != nil {
		return nil, err
	}
	e.ExternalID = ext.String
	e.CreatedAt, e.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &e, nil
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
