package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectCaseSQL = `SELECT id, name, description, custodians, from_at, until_at, hold_id, owner,
	created_by, created_at, closed_by, closed_at, version FROM cases`

// CreateCase stores c at Version 1, setting CreatedAt to now when it is
// zero. Its scope is stored as given: discovery vets it. Returns Invalid
// without a case or an ID; Conflict if a case has c.ID.
func (db *DB) CreateCase(ctx context.Context, c *steward.Case) error {
	const op steward.Op = "sqlite.CreateCase"
	if c == nil || c.ID == "" {
		return steward.E(op, steward.Invalid, "a case needs an id")
	}
	custodians, err := encodeStrings(c.Custodians)
	if err != nil {
		return steward.E(op, steward.Invalid, "custodians cannot be encoded", err)
	}
	created := c.CreatedAt
	if created.IsZero() {
		created = now()
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO cases (id, name, description, custodians, from_at, until_at,
		hold_id, owner, created_by, created_at, closed_by, closed_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		c.ID, c.Name, c.Description, custodians, nullNanos(c.From), nullNanos(c.Until), c.HoldID, c.Owner,
		c.CreatedBy, nanos(created), c.ClosedBy, nullNanos(c.ClosedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a case with that id exists")
	}
	c.CreatedAt, c.Version = created, 1
	return nil
}

// CaseByID returns a case, closed or not. Returns NotFound.
func (db *DB) CaseByID(ctx context.Context, id string) (*steward.Case, error) {
	const op steward.Op = "sqlite.CaseByID"
	c, err := scanCase(db.r.QueryRowContext(ctx, selectCaseSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "case not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return c, nil
}

// Cases lists cases, newest first; closed ones only with includeClosed.
func (db *DB) Cases(ctx context.Context, includeClosed bool) ([]*steward.Case, error) {
	const op steward.Op = "sqlite.Cases"
	query := selectCaseSQL
	if !includeClosed {
		query += ` WHERE closed_at IS NULL`
	}
	return queryAll(ctx, db, op, scanCase, query+` ORDER BY created_at DESC, id DESC`)
}

// UpdateCase saves c's scope and description if the stored case is open
// and still at c.Version, then sets c.Version to the next version.
// Returns Invalid without a case or an ID; Conflict if the case changed
// or was closed; NotFound.
func (db *DB) UpdateCase(ctx context.Context, c *steward.Case) error {
	const op steward.Op = "sqlite.UpdateCase"
	if c == nil || c.ID == "" {
		return steward.E(op, steward.Invalid, "no case")
	}
	custodians, err := encodeStrings(c.Custodians)
	if err != nil {
		return steward.E(op, steward.Invalid, "custodians cannot be encoded", err)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET name = ?, description = ?, custodians = ?,
			from_at = ?, until_at = ?, hold_id = ?, owner = ?, version = version + 1
			WHERE id = ? AND version = ? AND closed_at IS NULL`,
			c.Name, c.Description, custodians, nullNanos(c.From), nullNanos(c.Until), c.HoldID, c.Owner,
			c.ID, c.Version)
		if err != nil {
			return err
		}
		return guardedUpdate(ctx, tx, op, res, "cases", c.ID, "case not found",
			"the case was changed or closed by someone else")
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	c.Version++
	return nil
}

// CloseCase closes a case as of at, incrementing its version. Returns
// Invalid without by or at; Conflict if already closed; NotFound.
func (db *DB) CloseCase(ctx context.Context, id, by string, at time.Time) error {
	const op steward.Op = "sqlite.CloseCase"
	if by == "" || at.IsZero() {
		return steward.E(op, steward.Invalid, "closing a case needs who closes it and when")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var closed sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT closed_at FROM cases WHERE id = ?`, id).Scan(&closed)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return steward.E(op, steward.NotFound, "case not found")
		case err != nil:
			return err
		case closed.Valid:
			return steward.Errorf(op, steward.Conflict, "case %s was already closed on %s", id,
				fromNanos(closed.Int64).Format(time.DateOnly))
		}
		_, err = tx.ExecContext(ctx, `UPDATE cases SET closed_by = ?, closed_at = ?, version = version + 1
			WHERE id = ?`, by, nanos(at), id)
		return err
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

// AddSavedSearch stores s, setting CreatedAt to now when zero. Returns
// Invalid without a search, an ID or a case; NotFound if its case does
// not exist; Conflict if a saved search has s.ID.
func (db *DB) AddSavedSearch(ctx context.Context, s *steward.SavedSearch) error {
	const op steward.Op = "sqlite.AddSavedSearch"
	if s == nil || s.ID == "" || s.CaseID == "" {
		return steward.E(op, steward.Invalid, "a saved search needs an id and a case")
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = now()
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := caseExists(ctx, tx, op, s.CaseID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO saved_searches (id, case_id, name, query, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.CaseID, s.Name, s.Query, s.CreatedBy, nanos(created))
		return err
	})
	if err != nil {
		return db.txErr(op, err, "a saved search with that id exists")
	}
	s.CreatedAt = created
	return nil
}

// SavedSearches lists a case's saved searches, oldest first. Returns
// NotFound if there is no such case.
func (db *DB) SavedSearches(ctx context.Context, caseID string) ([]*steward.SavedSearch, error) {
	const op steward.Op = "sqlite.SavedSearches"
	var out []*steward.SavedSearch
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := caseExists(ctx, tx, op, caseID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, case_id, name, query, created_by, created_at
			FROM saved_searches WHERE case_id = ? ORDER BY created_at, id`, caseID)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanSavedSearch)
		return err
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return out, nil
}

// DeleteSavedSearch removes a case's saved search. Returns NotFound if
// the case has no search with that id.
func (db *DB) DeleteSavedSearch(ctx context.Context, caseID, id string) error {
	const op steward.Op = "sqlite.DeleteSavedSearch"
	res, err := db.w.ExecContext(ctx, `DELETE FROM saved_searches WHERE case_id = ? AND id = ?`, caseID, id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr(op, db.checkClosed(err), "")
	} else if n == 0 {
		return steward.E(op, steward.NotFound, "saved search not found")
	}
	return nil
}

// caseExists returns NotFound unless a case has id.
func caseExists(ctx context.Context, tx *sql.Tx, op steward.Op, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return steward.E(op, steward.NotFound, "case not found")
	}
	return nil
}

func scanCase(s scanner) (*steward.Case, error) {
	var c steward.Case
	var custodians string
	var from, until, closed sql.NullInt64
	var created int64
	err := s.Scan(&c.ID, &c.Name, &c.Description, &custodians, &from, &until, &c.HoldID, &c.Owner,
		&c.CreatedBy, &created, &c.ClosedBy, &closed, &c.Version)
	if err != nil {
		return nil, err
	}
	if c.Custodians, err = decodeStrings(custodians); err != nil {
		return nil, fmt.Errorf("case %s: custodians: %w", c.ID, err)
	}
	c.From, c.Until, c.ClosedAt = fromNullNanos(from), fromNullNanos(until), fromNullNanos(closed)
	c.CreatedAt = fromNanos(created)
	return &c, nil
}

func scanSavedSearch(s scanner) (*steward.SavedSearch, error) {
	var x steward.SavedSearch
	var created int64
	if err := s.Scan(&x.ID, &x.CaseID, &x.Name, &x.Query, &x.CreatedBy, &created); err != nil {
		return nil, err
	}
	x.CreatedAt = fromNanos(created)
	return &x, nil
}
