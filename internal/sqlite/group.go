package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectGroupSQL = `SELECT id, external_id, display_name, created_at, updated_at FROM org_groups`

// memberChunk bounds the ids bound in one statement, well under SQLite's
// limit on host parameters.
const memberChunk = 500

// CreateGroup stores g and its members in one transaction, assigning ID,
// CreatedAt and UpdatedAt when empty. Returns Invalid if DisplayName is
// empty or a member is not an undeleted employee, Conflict if the ID or
// ExternalID is taken.
func (db *DB) CreateGroup(ctx context.Context, g *steward.Group) error {
	const op steward.Op = "sqlite.CreateGroup"
	if g == nil || g.DisplayName == "" {
		return steward.E(op, steward.Invalid, "group needs a display name")
	}
	if g.ID == "" {
		g.ID = steward.NewID()
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now()
	}
	if g.UpdatedAt.IsZero() {
		g.UpdatedAt = g.CreatedAt
	}
	g.Members = memberSet(g.Members)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO org_groups (id, external_id, display_name,
			display_name_fold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			g.ID, nullString(g.ExternalID), g.DisplayName, foldUserName(g.DisplayName),
			nanos(g.CreatedAt), nanos(g.UpdatedAt))
		if err != nil {
			return err
		}
		_, err = insertMembers(ctx, tx, g.ID, g.Members, g.UpdatedAt)
		return err
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "group id or external id already taken")
	}
	return nil
}

// UpdateGroup replaces the display name, external id and member set of
// g.ID. Only the difference is written, so members that stay keep their
// membership row and a large group costs little to rename.
func (db *DB) UpdateGroup(ctx context.Context, g *steward.Group) error {
	const op steward.Op = "sqlite.UpdateGroup"
	if g == nil || g.DisplayName == "" {
		return steward.E(op, steward.Invalid, "group needs a display name")
	}
	if g.UpdatedAt.IsZero() {
		g.UpdatedAt = now()
	}
	g.Members = memberSet(g.Members)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE org_groups SET external_id = ?, display_name = ?,
			display_name_fold = ?, updated_at = ? WHERE id = ?`,
			nullString(g.ExternalID), g.DisplayName, foldUserName(g.DisplayName), nanos(g.UpdatedAt), g.ID)
		if err != nil {
			return err
		}
		if err := rowsAffected(op, res, "group not found"); err != nil {
			return err
		}
		old, err := groupMembers(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		var gone []string
		for _, id := range old {
			if _, ok := slices.BinarySearch(g.Members, id); !ok {
				gone = append(gone, id)
			}
		}
		if err := deleteMembers(ctx, tx, g.ID, gone); err != nil {
			return err
		}
		_, err = insertMembers(ctx, tx, g.ID, g.Members, g.UpdatedAt)
		return err
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "external id already taken")
	}
	return nil
}

// GroupByID returns the group with its members, or NotFound.
func (db *DB) GroupByID(ctx context.Context, id string) (*steward.Group, error) {
	const op steward.Op = "sqlite.GroupByID"
	gs, _, err := db.Groups(ctx, steward.GroupQuery{ID: id})
	if err != nil {
		return nil, steward.E(op, err)
	}
	if len(gs) == 0 {
		return nil, steward.E(op, steward.NotFound, "group not found")
	}
	return gs[0], nil
}

// Groups returns the groups matching q and how many match before paging,
// read in one snapshot.
func (db *DB) Groups(ctx context.Context, q steward.GroupQuery) ([]*steward.Group, int, error) {
	const op steward.Op = "sqlite.Groups"
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, steward.E(op, steward.Invalid, "offset and limit must not be negative")
	}
	var where []string
	var args []any
	if q.ID != "" {
		where, args = append(where, "id = ?"), append(args, q.ID)
	}
	if q.DisplayName != "" {
		where, args = append(where, "display_name_fold = ?"), append(args, foldUserName(q.DisplayName))
	}
	if q.ExternalID != "" {
		where, args = append(where, "external_id = ?"), append(args, q.ExternalID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit == 0 {
		limit = -1
	}
	var out []*steward.Group
	var total int
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_groups`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, selectGroupSQL+cond+` ORDER BY display_name_fold, id LIMIT ? OFFSET ?`,
			append(args, limit, q.Offset)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if q.WithoutMembers {
			return nil
		}
		for _, g := range out {
			if g.Members, err = groupMembers(ctx, tx, g.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, dbErr(op, db.checkClosed(err), "")
	}
	return out, total, nil
}

// DeleteGroup removes the group; its memberships go with it (ON DELETE
// CASCADE). Returns NotFound.
func (db *DB) DeleteGroup(ctx context.Context, id string) error {
	const op steward.Op = "sqlite.DeleteGroup"
	res, err := db.w.ExecContext(ctx, `DELETE FROM org_groups WHERE id = ?`, id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "group not found")
}

// AddGroupMembers adds the employees that are not yet members and reports
// them. Returns NotFound for an unknown group, Invalid if an id is not an
// undeleted employee.
func (db *DB) AddGroupMembers(ctx context.Context, groupID string, employeeIDs []string, at time.Time) ([]string, error) {
	const op steward.Op = "sqlite.AddGroupMembers"
	if at.IsZero() {
		at = now()
	}
	var added []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, op, groupID); err != nil {
			return err
		}
		var err error
		if added, err = insertMembers(ctx, tx, groupID, memberSet(employeeIDs), at); err != nil || len(added) == 0 {
			return err
		}
		return touchGroup(ctx, tx, groupID, at)
	})
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return added, nil
}

// RemoveGroupMembers removes the employees that are members and reports
// them. Returns NotFound for an unknown group.
func (db *DB) RemoveGroupMembers(ctx context.Context, groupID string, employeeIDs []string, at time.Time) ([]string, error) {
	const op steward.Op = "sqlite.RemoveGroupMembers"
	if at.IsZero() {
		at = now()
	}
	var removed []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := groupExists(ctx, tx, op, groupID); err != nil {
			return err
		}
		old, err := groupMembers(ctx, tx, groupID)
		if err != nil {
			return err
		}
		for _, id := range memberSet(employeeIDs) {
			if _, ok := slices.BinarySearch(old, id); ok {
				removed = append(removed, id)
			}
		}
		if len(removed) == 0 {
			return nil
		}
		if err := deleteMembers(ctx, tx, groupID, removed); err != nil {
			return err
		}
		return touchGroup(ctx, tx, groupID, at)
	})
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return removed, nil
}

// GroupsOfEmployee lists the employee's groups without their members.
func (db *DB) GroupsOfEmployee(ctx context.Context, employeeID string) ([]*steward.Group, error) {
	const op steward.Op = "sqlite.GroupsOfEmployee"
	return queryAll(ctx, db, op, scanGroup, selectGroupSQL+` WHERE id IN
		(SELECT group_id FROM group_members WHERE employee_id = ?) ORDER BY display_name_fold, id`, employeeID)
}

func groupExists(ctx context.Context, tx *sql.Tx, op steward.Op, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_groups WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return steward.E(op, steward.NotFound, "group not found")
	}
	return nil
}

func touchGroup(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE org_groups SET updated_at = ? WHERE id = ?`, nanos(at), id)
	return err
}

// groupMembers returns a group's member ids in ascending order.
func groupMembers(ctx context.Context, q querier, groupID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT employee_id FROM group_members WHERE group_id = ?
		ORDER BY employee_id`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// insertMembers adds the ids (sorted, without duplicates) that are not
// members yet and returns them. It first checks that every id is an
// undeleted employee: the foreign key would catch unknown ids, but not
// deleted employees, and its error would not say which id was wrong.
func insertMembers(ctx context.Context, tx *sql.Tx, groupID string, ids []string, at time.Time) ([]string, error) {
	var added []string
	for chunk := range slices.Chunk(ids, memberChunk) {
		args := make([]any, 0, len(chunk)+1)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM employees WHERE deleted_at IS NULL AND id IN (`+
			placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		known := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range chunk {
			if !known[id] {
				return nil, steward.Errorf("sqlite.insertMembers", steward.Invalid, "member %q is not an employee", id)
			}
		}
		for _, id := range chunk {
			res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, employee_id, added_at)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, groupID, id, nanos(at))
			if err != nil {
				return nil, err
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, err
			} else if n > 0 {
				added = append(added, id)
			}
		}
	}
	return added, nil
}

func deleteMembers(ctx context.Context, tx *sql.Tx, groupID string, ids []string) error {
	for chunk := range slices.Chunk(ids, memberChunk) {
		args := []any{groupID}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND employee_id IN (`+
			placeholders(len(chunk))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// memberSet returns ids sorted without duplicates or empty strings; nil
// if none remain.
func memberSet(ids []string) []string {
	out := slices.Clone(ids)
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func scanGroup(s scanner) (*steward.Group, error) {
	var g steward.Group
	var ext sql.NullString
	var created, updated int64
	if err := s.Scan(&g.ID, &ext, &g.DisplayName, &created, &updated); err != nil {
		return nil, err
	}
	g.ExternalID = ext.String
	g.CreatedAt, g.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &g, nil
}
