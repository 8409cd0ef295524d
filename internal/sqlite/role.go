package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// SetRoleMappings replaces every mapping in one transaction. Group names
// are trimmed; mappings that differ only in the case of the group name
// count once, keeping the first spelling.
func (db *DB) SetRoleMappings(ctx context.Context, ms []steward.RoleMapping) error {
	const op steward.Op = "sqlite.SetRoleMappings"
	if err := steward.CheckRoleMappings(ms); err != nil {
		return steward.E(op, err)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_mappings`); err != nil {
			return err
		}
		for _, m := range ms {
			g := strings.TrimSpace(m.Group)
			if _, err := tx.ExecContext(ctx, `INSERT INTO role_mappings (group_name, group_name_fold, role)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, g, foldUserName(g), string(m.Role)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// RoleMappings lists the mappings ordered by case-folded group, then role.
func (db *DB) RoleMappings(ctx context.Context) ([]steward.RoleMapping, error) {
	const op steward.Op = "sqlite.RoleMappings"
	ms, err := queryAll(ctx, db, op, func(s scanner) (*steward.RoleMapping, error) {
		var m steward.RoleMapping
		err := s.Scan(&m.Group, &m.Role)
		return &m, err
	}, `SELECT group_name, role FROM role_mappings ORDER BY group_name_fold, role`)
	if err != nil {
		return nil, err
	}
	out := make([]steward.RoleMapping, 0, len(ms))
	for _, m := range ms {
		out = append(out, *m)
	}
	return out, nil
}
