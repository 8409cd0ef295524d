package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/steward-gov/steward/internal/steward"
)

const selectPolicySQL = `SELECT v.id, v.version, v.name, v.description, v.kind, v.condition, v.action,
	v.reason, v.redact, v.enabled, v.deleted, v.updated_by, v.updated_at FROM policy_versions v`

// currentPolicySQL joins each policy's current version.
const currentPolicySQL = selectPolicySQL + ` JOIN policies p ON p.id = v.id AND p.version = v.version`

// SavePolicy stores p as the next version of policy p.ID, or as a new
// policy when p.ID is unknown (a new ID is assigned when it is empty). It
// sets p.ID, p.Version and p.UpdatedAt (to now) and returns the new
// policy-set version. Returns Invalid per steward.CheckPolicy, Conflict if
// p.Version is not the current version (0 for a new policy) or if another
// policy that is not deleted has p.Name.
func (db *DB) SavePolicy(ctx context.Context, p *steward.Policy) (int64, error) {
	const op steward.Op = "sqlite.SavePolicy"
	if p == nil {
		return 0, steward.E(op, steward.Invalid, "no policy")
	}
	if err := steward.CheckPolicy(p); err != nil {
		return 0, steward.E(op, err)
	}
	redact, err := encodeStrings(p.Redact)
	if err != nil {
		return 0, steward.E(op, steward.Invalid, "redact list cannot be encoded", err)
	}
	id, at, next := p.ID, now(), p.Version+1
	if id == "" {
		id = steward.NewID()
	}
	var set int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, op, "policies", "policy", id, p.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (id, version, name, description,
			kind, condition, action, reason, redact, enabled, deleted, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, next, p.Name, p.Description, string(p.Kind), p.Condition, string(p.Action), p.Reason,
			redact, p.Enabled, p.Deleted, p.UpdatedBy, nanos(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (id, version, name, deleted) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, name = excluded.name,
			deleted = excluded.deleted`, id, next, p.Name, p.Deleted); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `UPDATE policy_set SET version = version + 1 RETURNING version`).Scan(&set)
	})
	if err != nil {
		return 0, db.txErr(op, err, "another policy has that name")
	}
	p.ID, p.Version, p.UpdatedAt = id, next, at
	return set, nil
}

// Policies returns the current version of every policy not deleted, by
// name, and the policy-set version, both read from one snapshot.
func (db *DB) Policies(ctx context.Context) ([]*steward.Policy, int64, error) {
	const op steward.Op = "sqlite.Policies"
	var ps []*steward.Policy
	var set int64
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM policy_set`).Scan(&set); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, currentPolicySQL+` WHERE p.deleted = 0 ORDER BY p.name, p.id`)
		if err != nil {
			return err
		}
		ps, err = collect(rows, scanPolicy)
		return err
	})
	if err != nil {
		return nil, 0, dbErr(op, db.checkClosed(err), "")
	}
	return ps, set, nil
}

// PolicyByID returns the current version of a policy, deleted or not.
// Returns NotFound.
func (db *DB) PolicyByID(ctx context.Context, id string) (*steward.Policy, error) {
	const op steward.Op = "sqlite.PolicyByID"
	p, err := scanPolicy(db.r.QueryRowContext(ctx, currentPolicySQL+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "policy not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return p, nil
}

// PolicyHistory returns every version of a policy, oldest first. Returns
// NotFound.
func (db *DB) PolicyHistory(ctx context.Context, id string) ([]*steward.Policy, error) {
	const op steward.Op = "sqlite.PolicyHistory"
	ps, err := queryAll(ctx, db, op, scanPolicy, selectPolicySQL+` WHERE v.id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, steward.E(op, steward.NotFound, "policy not found")
	}
	return ps, nil
}

func scanPolicy(s scanner) (*steward.Policy, error) {
	var p steward.Policy
	var redact string
	var updated int64
	err := s.Scan(&p.ID, &p.Version, &p.Name, &p.Description, &p.Kind, &p.Condition, &p.Action,
		&p.Reason, &redact, &p.Enabled, &p.Deleted, &p.UpdatedBy, &updated)
	if err != nil {
		return nil, err
	}
	if p.Redact, err = decodeStrings(redact); err != nil {
		return nil, fmt.Errorf("policy %s: redact: %w", p.ID, err)
	}
	p.UpdatedAt = fromNanos(updated)
	return &p, nil
}

// checkVersion returns Conflict unless the current version of id in table
// (policies or detectors, whose rows are thing) is version, counting an
// unknown id as version 0. Saves run it inside their write transaction,
// where the single writer makes check and insert one step.
func checkVersion(ctx context.Context, tx *sql.Tx, op steward.Op, table, thing, id string, version int) error {
	var cur int
	err := tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = ?`, id).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if cur != version {
		if cur == 0 {
			return steward.Errorf(op, steward.Conflict, "%s %s does not exist, so there is no version %d to replace", thing, id, version)
		}
		return steward.Errorf(op, steward.Conflict, "%s %s is at version %d, not %d: someone else changed it", thing, id, cur, version)
	}
	return nil
}

// txErr is dbErr for the error of a transaction whose function may have
// returned a steward error of its own, which passes through as it is.
func (db *DB) txErr(op steward.Op, err error, msg string) error {
	var se *steward.Error
	if errors.As(err, &se) {
		return err
	}
	return dbErr(op, db.checkClosed(err), msg)
}

// collect scans every row of rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// encodeStrings returns the stored JSON form of a list; none is "[]".
func encodeStrings(ss []string) (string, error) {
	if len(ss) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ss)
	return string(b), err
}

// decodeStrings reads what encodeStrings wrote; "[]" reads as nil.
func decodeStrings(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, err
	}
	return ss, nil
}
