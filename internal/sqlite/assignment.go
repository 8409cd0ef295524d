package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

const assignmentColumns = `record_id, item_id, rule_id, rule_name, rule_version, schedule_version,
	unscheduled, error, assigned_at, assigned_by, reason`

const selectAssignmentSQL = `SELECT ` + assignmentColumns + ` FROM record_assignments`

// defaultAssignmentLimit is the page of Assignments when the caller names
// none. There is no maximum: eligibility sweeps read large pages, and a
// page shorter than asked must keep meaning the end.
const defaultAssignmentLimit = 100

// assignmentRows is how many assignments one INSERT statement carries:
// 13 parameters each, well under SQLite's 32766, and large enough that a
// batch of 100,000 costs a thousand statements rather than 100,000.
const assignmentRows = 100

// AddAssignments stores the capture-time assignment of each record, all
// or none. A zero AssignedAt is stored as now. Returns Invalid for an
// assignment without a record or an item; Conflict, storing none, if any
// record already has an assignment or is listed twice.
func (db *DB) AddAssignments(ctx context.Context, as []steward.RecordAssignment) error {
	const op steward.Op = "sqlite.AddAssignments"
	for i := range as {
		if as[i].RecordID == "" || as[i].ItemID == "" {
			return steward.E(op, steward.Invalid, "an assignment needs a record and an item")
		}
	}
	if len(as) == 0 {
		return nil
	}
	at := nanos(now())
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// Every first assignment is seq 1, so the primary key alone refuses
		// a record that has one, or that the call lists twice.
		full, err := tx.PrepareContext(ctx, insertAssignmentsSQL(assignmentRows))
		if err != nil {
			return err
		}
		defer full.Close()
		args := make([]any, 0, assignmentRows*13)
		for len(as) > 0 {
			n := min(len(as), assignmentRows)
			args = args[:0]
			for _, a := range as[:n] {
				args = appendAssignment(args, a, 1, at)
			}
			if n == assignmentRows {
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertAssignmentsSQL(n), args...)
			}
			if err != nil {
				return err
			}
			as = as[n:]
		}
		return nil
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a record already has an assignment")
	}
	return nil
}

// insertAssignmentsSQL inserts n current assignments.
func insertAssignmentsSQL(n int) string {
	row := "(" + placeholders(13) + ")"
	return `INSERT INTO record_assignments (record_id, seq, current, item_id, rule_id, rule_name,
		rule_version, schedule_version, unscheduled, error, assigned_at, assigned_by, reason) VALUES ` +
		strings.Repeat(row+", ", n-1) + row
}

// appendAssignment appends the 13 parameters of a current assignment at
// seq, stamped at when its AssignedAt is zero.
func appendAssignment(args []any, a steward.RecordAssignment, seq int, at int64) []any {
	assigned := at
	if !a.AssignedAt.IsZero() {
		assigned = nanos(a.AssignedAt)
	}
	return append(args, a.RecordID, seq, 1, a.ItemID, a.RuleID, a.RuleName, a.RuleVersion, a.ScheduleVersion,
		a.Unscheduled, a.Error, assigned, a.AssignedBy, a.Reason)
}

// AssignmentByRecord returns a record's current assignment. Returns
// NotFound.
func (db *DB) AssignmentByRecord(ctx context.Context, recordID string) (*steward.RecordAssignment, error) {
	const op steward.Op = "sqlite.AssignmentByRecord"
	a, err := scanAssignment(db.r.QueryRowContext(ctx, selectAssignmentSQL+` WHERE record_id = ? AND current = 1`, recordID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "the record has no assignment")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return a, nil
}

// Reassign makes a the current assignment of a.RecordID, keeping the
// previous one in the history. A zero AssignedAt is stored as now.
// Returns Invalid without a record, an item, AssignedBy or Reason;
// NotFound if the record has no assignment.
func (db *DB) Reassign(ctx context.Context, a steward.RecordAssignment) error {
	const op steward.Op = "sqlite.Reassign"
	switch {
	case a.RecordID == "" || a.ItemID == "":
		return steward.E(op, steward.Invalid, "an assignment needs a record and an item")
	case a.AssignedBy == "" || strings.TrimSpace(a.Reason) == "":
		return steward.E(op, steward.Invalid, "a reassignment needs who made it and why")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var seq int
		err := tx.QueryRowContext(ctx, `UPDATE record_assignments SET current = 0
			WHERE record_id = ? AND current = 1 RETURNING seq`, a.RecordID).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.E(op, steward.NotFound, "the record has no assignment")
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, insertAssignmentsSQL(1), appendAssignment(nil, a, seq+1, nanos(now()))...)
		return err
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

// AssignmentHistory returns every assignment a record has had, oldest
// first. Returns NotFound.
func (db *DB) AssignmentHistory(ctx context.Context, recordID string) ([]steward.RecordAssignment, error) {
	const op steward.Op = "sqlite.AssignmentHistory"
	as, err := queryAll(ctx, db, op, scanAssignment, selectAssignmentSQL+` WHERE record_id = ? ORDER BY seq`, recordID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, steward.E(op, steward.NotFound, "the record has no assignment")
	}
	return derefAll(as), nil
}

// Assignments lists current assignments in record-id order after the
// record id after ("" for the first page), at most limit of them (0 means
// 100): only those on itemID when it is set, only unscheduled ones when
// unscheduled is set, both when both are. Returns Invalid for a negative
// limit.
//
// The conditions on current and unscheduled are written into the
// statement, not bound, so that SQLite can use the partial indexes.
func (db *DB) Assignments(ctx context.Context, itemID string, unscheduled bool, after string, limit int) ([]steward.RecordAssignment, error) {
	const op steward.Op = "sqlite.Assignments"
	switch {
	case limit < 0:
		return nil, steward.E(op, steward.Invalid, "limit must not be negative")
	case limit == 0:
		limit = defaultAssignmentLimit
	}
	query := selectAssignmentSQL + ` WHERE current = 1 AND record_id > ?`
	args := []any{after}
	if itemID != "" {
		query, args = query+` AND item_id = ?`, append(args, itemID)
	}
	if unscheduled {
		query += ` AND unscheduled = 1`
	}
	as, err := queryAll(ctx, db, op, scanAssignment, query+` ORDER BY record_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return derefAll(as), nil
}

// AddCutoffEvent stores e, assigning an ID when it is empty and setting
// RecordedAt to now when it is zero. Returns Invalid without a name, a
// subject or a date; Conflict if an event has e's Name and Subject, or
// e.ID.
func (db *DB) AddCutoffEvent(ctx context.Context, e *steward.CutoffEvent) error {
	const op steward.Op = "sqlite.AddCutoffEvent"
	if e == nil || e.Name == "" || e.Subject == "" || e.At.IsZero() {
		return steward.E(op, steward.Invalid, "a cutoff event needs a name, a subject and a date")
	}
	n := *e
	if n.ID == "" {
		n.ID = steward.NewID()
	}
	if n.RecordedAt.IsZero() {
		n.RecordedAt = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO cutoff_events (id, name, subject, at, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?)`, n.ID, n.Name, n.Subject, nanos(n.At), n.RecordedBy, nanos(n.RecordedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "that event is already recorded for the subject")
	}
	*e = n
	return nil
}

// CutoffEvents returns the events of a subject by the date they happened,
// oldest first; none for an unknown subject.
func (db *DB) CutoffEvents(ctx context.Context, subject string) ([]*steward.CutoffEvent, error) {
	const op steward.Op = "sqlite.CutoffEvents"
	return queryAll(ctx, db, op, func(s scanner) (*steward.CutoffEvent, error) {
		var e steward.CutoffEvent
		var at, recorded int64
		if err := s.Scan(&e.ID, &e.Name, &e.Subject, &at, &e.RecordedBy, &recorded); err != nil {
			return nil, err
		}
		e.At, e.RecordedAt = fromNanos(at), fromNanos(recorded)
		return &e, nil
	}, `SELECT id, name, subject, at, recorded_by, recorded_at FROM cutoff_events
		WHERE subject = ? ORDER BY at, id`, subject)
}

func scanAssignment(s scanner) (*steward.RecordAssignment, error) {
	var a steward.RecordAssignment
	var assigned int64
	err := s.Scan(&a.RecordID, &a.ItemID, &a.RuleID, &a.RuleName, &a.RuleVersion, &a.ScheduleVersion,
		&a.Unscheduled, &a.Error, &assigned, &a.AssignedBy, &a.Reason)
	if err != nil {
		return nil, err
	}
	a.AssignedAt = fromNanos(assigned)
	return &a, nil
}

// derefAll copies the values of ps, for the stores whose lists are of
// values.
func derefAll[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
