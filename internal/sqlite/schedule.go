package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectScheduleItemSQL = `SELECT v.id, v.version, v.schedule, v.item, v.title, v.authority, v.permanent,
	v.retention_years, v.retention_months, v.retention_days, v.cutoff_period, v.cutoff_event, v.action,
	v.notes, v.to_be_confirmed, v.deleted, v.updated_by, v.updated_at FROM schedule_item_versions v`

const selectAssignmentRuleSQL = `SELECT v.id, v.version, v.name, v.description, v.condition, v.item_id,
	v.priority, v.enabled, v.deleted, v.updated_by, v.updated_at FROM assignment_rule_versions v`

// SaveScheduleItem stores it as the next version of item it.ID, or as a
// new item when the ID is unknown, sets it.Version and it.UpdatedAt (to
// now), and returns the new schedule version. The item's terms are
// stored as given: records.CheckItem vets them. Returns Invalid without
// an item or an ID; Conflict if it.Version is not the current version (0
// for a new item), or if it deletes an item that an enabled rule, not
// deleted, still names.
func (db *DB) SaveScheduleItem(ctx context.Context, it *steward.ScheduleItem) (int64, error) {
	const op steward.Op = "sqlite.SaveScheduleItem"
	if it == nil || it.ID == "" {
		return 0, steward.E(op, steward.Invalid, "a schedule item needs an id")
	}
	at, next := now(), it.Version+1
	var set int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, op, "schedule_items", "schedule item", it.ID, it.Version); err != nil {
			return err
		}
		if it.Deleted {
			var rule string
			err := tx.QueryRowContext(ctx, `SELECT name FROM assignment_rules
				WHERE item_id = ? AND deleted = 0 AND enabled = 1 ORDER BY name LIMIT 1`, it.ID).Scan(&rule)
			if err == nil {
				return steward.Errorf(op, steward.Conflict, "enabled rule %q still assigns records to item %s", rule, it.ID)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_item_versions (id, version, schedule, item,
			title, authority, permanent, retention_years, retention_months, retention_days, cutoff_period,
			cutoff_event, action, notes, to_be_confirmed, deleted, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.ID, next, it.Schedule, it.Item, it.Title, it.Authority, it.Permanent, it.Retention.Years,
			it.Retention.Months, it.Retention.Days, string(it.Cutoff.Period), it.Cutoff.Event, string(it.Action),
			it.Notes, it.ToBeConfirmed, it.Deleted, it.UpdatedBy, nanos(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_items (id, version, deleted) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted`,
			it.ID, next, it.Deleted); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `UPDATE schedule_set SET version = version + 1 RETURNING version`).Scan(&set)
	})
	if err != nil {
		return 0, db.txErr(op, err, "")
	}
	it.Version, it.UpdatedAt = next, at
	return set, nil
}

// Schedule returns the current version of every item not deleted, by ID,
// and the schedule version, both read from one snapshot.
func (db *DB) Schedule(ctx context.Context) (steward.Schedule, error) {
	const op steward.Op = "sqlite.Schedule"
	var s steward.Schedule
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM schedule_set`).Scan(&s.Version); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, selectScheduleItemSQL+`
			JOIN schedule_items c ON c.id = v.id AND c.version = v.version
			WHERE c.deleted = 0 ORDER BY v.id`)
		if err != nil {
			return err
		}
		items, err := collect(rows, scanScheduleItem)
		if err != nil {
			return err
		}
		s.Items = derefAll(items)
		return nil
	})
	if err != nil {
		return steward.Schedule{}, dbErr(op, db.checkClosed(err), "")
	}
	return s, nil
}

// ScheduleItemHistory returns every version of an item, oldest first.
// Returns NotFound.
func (db *DB) ScheduleItemHistory(ctx context.Context, id string) ([]*steward.ScheduleItem, error) {
	const op steward.Op = "sqlite.ScheduleItemHistory"
	items, err := queryAll(ctx, db, op, scanScheduleItem, selectScheduleItemSQL+` WHERE v.id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, steward.E(op, steward.NotFound, "schedule item not found")
	}
	return items, nil
}

// SaveAssignmentRule stores r as the next version of rule r.ID, or as a
// new rule when r.ID is unknown (a new ID is assigned when it is empty),
// sets r.ID, r.Version and r.UpdatedAt (to now), and returns the new
// rule-set version. The condition is stored as given: records.Compile
// vets it. Returns Invalid without a rule; Conflict if r.Version is not
// the current version (0 for a new rule), if another rule not deleted has
// r.Name, or if r is enabled and not deleted but its item is not in the
// schedule (unknown or deleted): records.Compile would refuse the rule
// set, and this check, unlike one made before saving, cannot race a
// change to the schedule.
func (db *DB) SaveAssignmentRule(ctx context.Context, r *steward.AssignmentRule) (int64, error) {
	const op steward.Op = "sqlite.SaveAssignmentRule"
	if r == nil {
		return 0, steward.E(op, steward.Invalid, "no assignment rule")
	}
	id, at, next := r.ID, now(), r.Version+1
	if id == "" {
		id = steward.NewID()
	}
	var set int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, op, "assignment_rules", "assignment rule", id, r.Version); err != nil {
			return err
		}
		if r.Enabled && !r.Deleted {
			var deleted bool
			err := tx.QueryRowContext(ctx, `SELECT deleted FROM schedule_items WHERE id = ?`, r.ItemID).Scan(&deleted)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && deleted) {
				return steward.Errorf(op, steward.Conflict, "rule %q names item %q, which is not in the schedule", r.Name, r.ItemID)
			} else if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignment_rule_versions (id, version, name, description,
			condition, item_id, priority, enabled, deleted, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, next, r.Name, r.Description, r.Condition, r.ItemID, r.Priority, r.Enabled, r.Deleted,
			r.UpdatedBy, nanos(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignment_rules (id, version, name, item_id, enabled, deleted)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version,
			name = excluded.name, item_id = excluded.item_id, enabled = excluded.enabled, deleted = excluded.deleted`,
			id, next, r.Name, r.ItemID, r.Enabled, r.Deleted); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `UPDATE assignment_rule_set SET version = version + 1 RETURNING version`).Scan(&set)
	})
	if err != nil {
		return 0, db.txErr(op, err, "another assignment rule has that name")
	}
	r.ID, r.Version, r.UpdatedAt = id, next, at
	return set, nil
}

// AssignmentRules returns the current version of every rule not deleted,
// by priority then name, and the rule-set version, both read from one
// snapshot.
func (db *DB) AssignmentRules(ctx context.Context) ([]*steward.AssignmentRule, int64, error) {
	const op steward.Op = "sqlite.AssignmentRules"
	var rs []*steward.AssignmentRule
	var set int64
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM assignment_rule_set`).Scan(&set); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, selectAssignmentRuleSQL+`
			JOIN assignment_rules c ON c.id = v.id AND c.version = v.version
			WHERE c.deleted = 0 ORDER BY v.priority, v.name, v.id`)
		if err != nil {
			return err
		}
		rs, err = collect(rows, scanAssignmentRule)
		return err
	})
	if err != nil {
		return nil, 0, dbErr(op, db.checkClosed(err), "")
	}
	return rs, set, nil
}

func scanScheduleItem(s scanner) (*steward.ScheduleItem, error) {
	var it steward.ScheduleItem
	var updated int64
	err := s.Scan(&it.ID, &it.Version, &it.Schedule, &it.Item, &it.Title, &it.Authority, &it.Permanent,
		&it.Retention.Years, &it.Retention.Months, &it.Retention.Days, &it.Cutoff.Period, &it.Cutoff.Event,
		&it.Action, &it.Notes, &it.ToBeConfirmed, &it.Deleted, &it.UpdatedBy, &updated)
	if err != nil {
		return nil, err
	}
	it.UpdatedAt = fromNanos(updated)
	return &it, nil
}

func scanAssignmentRule(s scanner) (*steward.AssignmentRule, error) {
	var r steward.AssignmentRule
	var updated int64
	err := s.Scan(&r.ID, &r.Version, &r.Name, &r.Description, &r.Condition, &r.ItemID, &r.Priority,
		&r.Enabled, &r.Deleted, &r.UpdatedBy, &updated)
	if err != nil {
		return nil, err
	}
	r.UpdatedAt = fromNanos(updated)
	return &r, nil
}
