package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const reviewColumns = `i.id, i.record_id, i.decision_id, i.conversation_id, i.channel, i.direction,
	i.employee_id, i.action, i.policies, i.source, i.state, i.quarantine, i.assignee, i.outcome,
	i.created_at, i.updated_at, i.resolved_by, i.resolved_at`

const selectReviewSQL = `SELECT ` + reviewColumns + ` FROM review_items i`

// The page size of ReviewItems: the default and the most it returns.
const (
	defaultReviewLimit = 100
	maxReviewLimit     = 1000
)

// AddReviewItem stores it, assigning ID, CreatedAt, UpdatedAt (CreatedAt)
// and State (open) when they are empty, and returns it with added=true.
// If an item for it.DecisionID is already queued, it is left as it was
// and the stored item is returned with added=false. Returns Invalid if
// RecordID or DecisionID is empty, a policy id is empty, or a state,
// quarantine state, outcome or direction is unknown; Conflict if another
// item has it.ID.
func (db *DB) AddReviewItem(ctx context.Context, it *steward.ReviewItem) (*steward.ReviewItem, bool, error) {
	const op steward.Op = "sqlite.AddReviewItem"
	if it == nil || it.RecordID == "" || it.DecisionID == "" {
		return nil, false, steward.E(op, steward.Invalid, "a review item needs a record and a decision")
	}
	// Defaults go on a copy: a duplicate must leave the caller's item as
	// it was.
	n := *it
	if n.ID == "" {
		n.ID = steward.NewID()
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now()
	}
	if n.UpdatedAt.IsZero() {
		n.UpdatedAt = n.CreatedAt
	}
	if n.State == "" {
		n.State = steward.ReviewOpen
	}
	if err := checkReviewItem(op, &n); err != nil {
		return nil, false, err
	}
	if n.Direction != "" && !steward.ValidDirection(n.Direction) {
		return nil, false, steward.Errorf(op, steward.Invalid, "unknown direction %q", n.Direction)
	}
	if slices.Contains(n.Policies, "") {
		return nil, false, steward.E(op, steward.Invalid, "an empty policy id")
	}
	policies, err := encodeStrings(n.Policies)
	if err != nil {
		return nil, false, steward.E(op, steward.Invalid, "policies cannot be encoded", err)
	}
	var existing *steward.ReviewItem
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO review_items (id, record_id, decision_id,
			conversation_id, channel, direction, employee_id, action, policies, source, state, quarantine,
			assignee, outcome, created_at, updated_at, resolved_by, resolved_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (decision_id) DO NOTHING`,
			n.ID, n.RecordID, n.DecisionID, n.ConversationID, n.Channel, string(n.Direction), n.EmployeeID,
			string(n.Action), policies, n.Source, string(n.State), string(n.Quarantine), n.Assignee,
			string(n.Outcome), nanos(n.CreatedAt), nanos(n.UpdatedAt), n.ResolvedBy, nullNanos(n.ResolvedAt))
		if err != nil {
			return err
		}
		if added, err := res.RowsAffected(); err != nil {
			return err
		} else if added == 0 {
			existing, err = scanReviewItem(tx.QueryRowContext(ctx, selectReviewSQL+` WHERE i.decision_id = ?`, n.DecisionID))
			return err
		}
		for _, p := range n.Policies {
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_item_policies (policy_id, created_at, item_id)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, p, nanos(n.CreatedAt), n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, dbErr(op, db.checkClosed(err), "a review item with that id exists")
	}
	if existing != nil {
		return existing, false, nil
	}
	*it = n
	return it, true, nil
}

// checkReviewItem returns Invalid for an unknown state, quarantine state
// or outcome.
func checkReviewItem(op steward.Op, it *steward.ReviewItem) error {
	switch it.State {
	case steward.ReviewOpen, steward.ReviewAssigned, steward.ReviewEscalated, steward.ReviewResolved:
	default:
		return steward.Errorf(op, steward.Invalid, "unknown review state %q", it.State)
	}
	switch it.Quarantine {
	case steward.QuarantineNone, steward.QuarantineHeld, steward.QuarantineReleased, steward.QuarantineRejected:
	default:
		return steward.Errorf(op, steward.Invalid, "unknown quarantine state %q", it.Quarantine)
	}
	switch it.Outcome {
	case steward.OutcomeNone, steward.OutcomeTruePositive, steward.OutcomeFalsePositive:
	default:
		return steward.Errorf(op, steward.Invalid, "unknown review outcome %q", it.Outcome)
	}
	return nil
}

// ReviewItemByID returns one item. Returns NotFound.
func (db *DB) ReviewItemByID(ctx context.Context, id string) (*steward.ReviewItem, error) {
	const op steward.Op = "sqlite.ReviewItemByID"
	return db.reviewItem(ctx, op, selectReviewSQL+` WHERE i.id = ?`, id)
}

// ReviewItemByRecord returns the newest item for a record. Returns
// NotFound.
func (db *DB) ReviewItemByRecord(ctx context.Context, recordID string) (*steward.ReviewItem, error) {
	const op steward.Op = "sqlite.ReviewItemByRecord"
	return db.reviewItem(ctx, op, selectReviewSQL+` WHERE i.record_id = ?
		ORDER BY i.created_at DESC, i.id DESC LIMIT 1`, recordID)
}

func (db *DB) reviewItem(ctx context.Context, op steward.Op, query string, arg string) (*steward.ReviewItem, error) {
	it, err := scanReviewItem(db.r.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "review item not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return it, nil
}

// ReviewItems lists the items matching f, oldest first, ordered by
// creation time and then ID, so that items created at the same instant
// are neither skipped nor repeated across pages. A limit above 1000 is
// taken as 1000. Returns Invalid for a negative limit or an After cursor
// that names no item.
func (db *DB) ReviewItems(ctx context.Context, f steward.ReviewFilter) ([]*steward.ReviewItem, error) {
	const op steward.Op = "sqlite.ReviewItems"
	limit := f.Limit
	switch {
	case limit < 0:
		return nil, steward.E(op, steward.Invalid, "limit must not be negative")
	case limit == 0:
		limit = defaultReviewLimit
	case limit > maxReviewLimit:
		limit = maxReviewLimit
	}
	// Filtered by policy, the side table's key walks the policy's items in
	// order; otherwise an index of review_items on (column, created_at, id).
	from, created, id := ` FROM review_items i`, "i.created_at", "i.id"
	var where []string
	var args []any
	if f.PolicyID != "" {
		from, created, id = ` FROM review_item_policies rp JOIN review_items i ON i.id = rp.item_id`,
			"rp.created_at", "rp.item_id"
		where, args = append(where, "rp.policy_id = ?"), append(args, f.PolicyID)
	}
	for _, eq := range []struct{ col, val string }{
		{"i.state", string(f.State)},
		{"i.quarantine", string(f.Quarantine)},
		{"i.assignee", f.Assignee},
	} {
		if eq.val != "" {
			where, args = append(where, eq.col+" = ?"), append(args, eq.val)
		}
	}
	var out []*steward.ReviewItem
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		if f.After != "" {
			var after int64
			err := tx.QueryRowContext(ctx, `SELECT created_at FROM review_items WHERE id = ?`, f.After).Scan(&after)
			if errors.Is(err, sql.ErrNoRows) {
				return steward.E(op, steward.Invalid, "the cursor names no review item")
			} else if err != nil {
				return err
			}
			where = append(where, fmt.Sprintf("(%s, %s) > (?, ?)", created, id))
			args = append(args, after, f.After)
		}
		query := `SELECT ` + reviewColumns + from
		if len(where) > 0 {
			query += ` WHERE ` + strings.Join(where, " AND ")
		}
		query += fmt.Sprintf(` ORDER BY %s, %s LIMIT ?`, created, id)
		rows, err := tx.QueryContext(ctx, query, append(args, limit)...)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanReviewItem)
		return err
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return out, nil
}

// UpdateReviewItem saves it's State, Quarantine, Assignee, Outcome,
// ResolvedBy, ResolvedAt and UpdatedAt, if the stored UpdatedAt is still
// prev (to the microsecond). A zero UpdatedAt is set to now, or to a
// microsecond after prev should the clock not have passed it: a stamp
// that did not move would let a second writer holding prev overwrite
// this change unseen. Returns Conflict if the item changed since prev,
// NotFound, Invalid for an unknown state, quarantine state or outcome, a
// zero prev, or an UpdatedAt not after prev.
func (db *DB) UpdateReviewItem(ctx context.Context, it *steward.ReviewItem, prev time.Time) error {
	const op steward.Op = "sqlite.UpdateReviewItem"
	if it == nil || it.ID == "" {
		return steward.E(op, steward.Invalid, "no review item")
	}
	if prev.IsZero() {
		return steward.E(op, steward.Invalid, "the UpdatedAt read is needed to detect concurrent changes")
	}
	if err := checkReviewItem(op, it); err != nil {
		return err
	}
	updated := it.UpdatedAt
	if updated.IsZero() {
		updated = now()
		if micros(updated) <= micros(prev) {
			updated = prev.Add(time.Microsecond)
		}
	} else if micros(updated) <= micros(prev) {
		return steward.E(op, steward.Invalid, "UpdatedAt must be later than the version replaced")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE review_items SET state = ?, quarantine = ?, assignee = ?,
			outcome = ?, resolved_by = ?, resolved_at = ?, updated_at = ?
			WHERE id = ? AND updated_at / 1000 = ?`,
			string(it.State), string(it.Quarantine), it.Assignee, string(it.Outcome), it.ResolvedBy,
			nullNanos(it.ResolvedAt), nanos(updated), it.ID, micros(prev))
		if err != nil {
			return err
		}
		return guardedUpdate(ctx, tx, op, res, "review_items", it.ID, "review item not found",
			"the review item was changed by someone else")
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	it.UpdatedAt = updated
	return nil
}

// micros is t in unix microseconds, the precision at which UpdatedAt
// versions compare. Division truncates toward zero in Go and SQLite alike.
func micros(t time.Time) int64 { return t.UnixNano() / 1000 }

// RuleStats summarises, per policy and ordered by policy id, the review
// items created at or after since (any time if zero). Open counts the
// items not yet resolved, whether open, assigned or escalated.
//
// Without statistics SQLite would rather walk the side table's key, whose
// order the GROUP BY wants, than the index on created_at: a scan of every
// item ever queued to count the last month's. Hence INDEXED BY.
func (db *DB) RuleStats(ctx context.Context, since time.Time) ([]steward.RuleStat, error) {
	const op steward.Op = "sqlite.RuleStats"
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = nanos(since)
	}
	stats, err := queryAll(ctx, db, op, func(s scanner) (*steward.RuleStat, error) {
		var r steward.RuleStat
		err := s.Scan(&r.PolicyID, &r.Items, &r.Open, &r.TruePositives, &r.FalsePositives)
		return &r, err
	}, `SELECT rp.policy_id, COUNT(*),
		SUM(i.state != '`+string(steward.ReviewResolved)+`'),
		SUM(i.outcome = '`+string(steward.OutcomeTruePositive)+`'),
		SUM(i.outcome = '`+string(steward.OutcomeFalsePositive)+`')
		FROM review_item_policies rp INDEXED BY review_item_policies_created
		JOIN review_items i ON i.id = rp.item_id
		WHERE rp.created_at >= ? GROUP BY rp.policy_id ORDER BY rp.policy_id`, from)
	if err != nil {
		return nil, err
	}
	out := make([]steward.RuleStat, 0, len(stats))
	for _, r := range stats {
		out = append(out, *r)
	}
	return out, nil
}

// AddPolicyCounts adds counts to the day's counters of each policy, all
// or none. Returns Invalid for an empty policy id, a day not of the form
// YYYY-MM-DD or a negative count.
func (db *DB) AddPolicyCounts(ctx context.Context, counts []steward.PolicyCount) error {
	const op steward.Op = "sqlite.AddPolicyCounts"
	for _, c := range counts {
		switch {
		case c.PolicyID == "":
			return steward.E(op, steward.Invalid, "a policy count needs a policy")
		case !validDay(c.Day):
			return steward.Errorf(op, steward.Invalid, "day %q is not YYYY-MM-DD", c.Day)
		case c.Evaluated < 0 || c.Matched < 0:
			return steward.E(op, steward.Invalid, "counts must not be negative")
		}
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range counts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO policy_counts (policy_id, day, evaluated, matched)
				VALUES (?, ?, ?, ?) ON CONFLICT (policy_id, day) DO UPDATE SET
				evaluated = evaluated + excluded.evaluated, matched = matched + excluded.matched`,
				c.PolicyID, c.Day, c.Evaluated, c.Matched); err != nil {
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

// PolicyCounts returns the counters of days on or after since
// (YYYY-MM-DD; every day if empty), ordered by policy then day. Returns
// Invalid for a malformed since.
func (db *DB) PolicyCounts(ctx context.Context, since string) ([]steward.PolicyCount, error) {
	const op steward.Op = "sqlite.PolicyCounts"
	if since != "" && !validDay(since) {
		return nil, steward.Errorf(op, steward.Invalid, "day %q is not YYYY-MM-DD", since)
	}
	cs, err := queryAll(ctx, db, op, func(s scanner) (*steward.PolicyCount, error) {
		var c steward.PolicyCount
		err := s.Scan(&c.PolicyID, &c.Day, &c.Evaluated, &c.Matched)
		return &c, err
	}, `SELECT policy_id, day, evaluated, matched FROM policy_counts WHERE day >= ? ORDER BY policy_id, day`, since)
	if err != nil {
		return nil, err
	}
	out := make([]steward.PolicyCount, 0, len(cs))
	for _, c := range cs {
		out = append(out, *c)
	}
	return out, nil
}

// validDay reports whether day is a calendar date written YYYY-MM-DD,
// the form in which days sort as text.
func validDay(day string) bool {
	_, err := time.Parse(time.DateOnly, day)
	return err == nil
}

// AddSuppression stores s, setting CreatedAt to now when it is zero.
// Returns Invalid if ID or PolicyID is empty, the kind is unknown or the
// value empty; Conflict if a suppression has s.ID.
func (db *DB) AddSuppression(ctx context.Context, s *steward.Suppression) error {
	const op steward.Op = "sqlite.AddSuppression"
	switch {
	case s == nil || s.ID == "" || s.PolicyID == "":
		return steward.E(op, steward.Invalid, "a suppression needs an id and a policy (or '*')")
	case s.Kind != steward.SuppressSender && s.Kind != steward.SuppressConversation && s.Kind != steward.SuppressValue:
		return steward.Errorf(op, steward.Invalid, "unknown suppression kind %q", s.Kind)
	case s.Value == "":
		return steward.E(op, steward.Invalid, "a suppression needs a value")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO suppressions (id, policy_id, kind, value, reason,
		created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.PolicyID, string(s.Kind), s.Value, s.Reason, s.CreatedBy, nanos(s.CreatedAt), nullNanos(s.ExpiresAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a suppression with that id exists")
	}
	return nil
}

// Suppressions lists the suppressions that have not expired at at (one
// expiring at exactly that instant has), oldest first.
func (db *DB) Suppressions(ctx context.Context, at time.Time) ([]*steward.Suppression, error) {
	const op steward.Op = "sqlite.Suppressions"
	return queryAll(ctx, db, op, scanSuppression, `SELECT id, policy_id, kind, value, reason, created_by,
		created_at, expires_at FROM suppressions WHERE expires_at IS NULL OR expires_at > ?
		ORDER BY created_at, id`, nanos(at))
}

// DeleteSuppression removes one. Returns NotFound.
func (db *DB) DeleteSuppression(ctx context.Context, id string) error {
	const op steward.Op = "sqlite.DeleteSuppression"
	res, err := db.w.ExecContext(ctx, `DELETE FROM suppressions WHERE id = ?`, id)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "suppression not found")
}

func scanSuppression(s scanner) (*steward.Suppression, error) {
	var x steward.Suppression
	var created int64
	var expires sql.NullInt64
	if err := s.Scan(&x.ID, &x.PolicyID, &x.Kind, &x.Value, &x.Reason, &x.CreatedBy, &created, &expires); err != nil {
		return nil, err
	}
	x.CreatedAt, x.ExpiresAt = fromNanos(created), fromNullNanos(expires)
	return &x, nil
}

func scanReviewItem(s scanner) (*steward.ReviewItem, error) {
	var it steward.ReviewItem
	var policies string
	var created, updated int64
	var resolved sql.NullInt64
	err := s.Scan(&it.ID, &it.RecordID, &it.DecisionID, &it.ConversationID, &it.Channel, &it.Direction,
		&it.EmployeeID, &it.Action, &policies, &it.Source, &it.State, &it.Quarantine, &it.Assignee,
		&it.Outcome, &created, &updated, &it.ResolvedBy, &resolved)
	if err != nil {
		return nil, err
	}
	if it.Policies, err = decodeStrings(policies); err != nil {
		return nil, fmt.Errorf("review item %s: policies: %w", it.ID, err)
	}
	it.CreatedAt, it.UpdatedAt, it.ResolvedAt = fromNanos(created), fromNanos(updated), fromNullNanos(resolved)
	return &it, nil
}

// guardedUpdate reports what an UPDATE guarded by a version (or state)
// condition did: nil when it changed the one row, NotFound when no row of
// table has the id, else Conflict with stale (someone changed it since it
// was read).
func guardedUpdate(ctx context.Context, tx *sql.Tx, op steward.Op, res sql.Result, table, id, missing, stale string) error {
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return steward.E(op, steward.NotFound, missing)
	}
	return steward.E(op, steward.Conflict, stale)
}
