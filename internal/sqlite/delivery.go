package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const selectDeliverySQL = `SELECT id, record_id, channel, account, op, conversation_id, state,
	attempts, next_attempt_at, last_error, challenge, channel_message_id, results,
	created_at, updated_at FROM deliveries`

// EnqueueDelivery stores d, assigning ID, CreatedAt and UpdatedAt when
// they are empty, NextAttemptAt (CreatedAt) when zero and State (queued)
// when empty. Returns Invalid if RecordID, Channel, Account or Op is
// empty, Conflict if the record already has a delivery.
func (db *DB) EnqueueDelivery(ctx context.Context, d *steward.Delivery) error {
	const op steward.Op = "sqlite.EnqueueDelivery"
	if d == nil || d.RecordID == "" || d.Channel == "" || d.Account == "" || d.Op == "" {
		return steward.E(op, steward.Invalid, "delivery needs a record, a channel, an account and an op")
	}
	results, err := resultsJSON(d.Results)
	if err != nil {
		return steward.E(op, steward.Invalid, "results cannot be encoded", err)
	}
	if d.ID == "" {
		d.ID = steward.NewID()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now()
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	if d.NextAttemptAt.IsZero() {
		d.NextAttemptAt = d.CreatedAt
	}
	if d.State == "" {
		d.State = steward.DeliveryQueued
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO deliveries (id, record_id, channel, account, op,
		conversation_id, state, attempts, next_attempt_at, last_error, challenge,
		channel_message_id, results, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.RecordID, string(d.Channel), d.Account, string(d.Op), d.ConversationID, string(d.State),
		d.Attempts, nanos(d.NextAttemptAt), d.LastError, d.Challenge, nullString(d.ChannelMessageID),
		results, nanos(d.CreatedAt), nanos(d.UpdatedAt))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "record already has a delivery")
	}
	return nil
}

// UpdateDelivery replaces the state, attempts, next attempt time, last
// error, challenge, channel message id and results of d.ID, setting
// UpdatedAt to now when it is zero. Returns NotFound if there is no such
// delivery, Invalid if NextAttemptAt is zero.
func (db *DB) UpdateDelivery(ctx context.Context, d *steward.Delivery) error {
	const op steward.Op = "sqlite.UpdateDelivery"
	if d == nil {
		return steward.E(op, steward.Invalid, "no delivery")
	}
	if d.NextAttemptAt.IsZero() {
		return steward.E(op, steward.Invalid, "delivery needs a next attempt time")
	}
	results, err := resultsJSON(d.Results)
	if err != nil {
		return steward.E(op, steward.Invalid, "results cannot be encoded", err)
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = now()
	}
	res, err := db.w.ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = ?,
		next_attempt_at = ?, last_error = ?, challenge = ?, channel_message_id = ?, results = ?,
		updated_at = ? WHERE id = ?`,
		string(d.State), d.Attempts, nanos(d.NextAttemptAt), d.LastError, d.Challenge,
		nullString(d.ChannelMessageID), results, nanos(d.UpdatedAt), d.ID)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "delivery not found")
}

// dueDeliveriesSQL names the states in the statement, so that SQLite reads
// each from deliveries_due.
const dueDeliveriesSQL = selectDeliverySQL + ` WHERE state IN ('` + string(steward.DeliveryQueued) +
	`', '` + string(steward.DeliveryRateLimited) + `') AND next_attempt_at <= ?
	ORDER BY next_attempt_at, id LIMIT ?`

// DueDeliveries lists up to limit queued and rate-limited deliveries whose
// next attempt is at or before now, the longest due first. Returns Invalid
// if limit is not positive.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*steward.Delivery, error) {
	const op steward.Op = "sqlite.DueDeliveries"
	if limit < 1 {
		return nil, steward.E(op, steward.Invalid, "limit must be positive")
	}
	return queryAll(ctx, db, op, scanDelivery, dueDeliveriesSQL, nanos(now), limit)
}

// DeliveryByRecord returns NotFound if the record has none.
func (db *DB) DeliveryByRecord(ctx context.Context, recordID string) (*steward.Delivery, error) {
	const op steward.Op = "sqlite.DeliveryByRecord"
	return db.delivery(ctx, op, selectDeliverySQL+` WHERE record_id = ?`, recordID)
}

// DeliveryByChannelID returns the delivery whose sent message has that
// channel id (the newest, should a channel ever reuse one), or NotFound.
func (db *DB) DeliveryByChannelID(ctx context.Context, ch steward.Channel, channelMessageID string) (*steward.Delivery, error) {
	const op steward.Op = "sqlite.DeliveryByChannelID"
	return db.delivery(ctx, op, selectDeliverySQL+` WHERE channel = ? AND channel_message_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, string(ch), channelMessageID)
}

// Deliveries lists up to limit deliveries in any of states (all if none
// is given), newest first. Returns Invalid if limit is not positive.
func (db *DB) Deliveries(ctx context.Context, limit int, states ...steward.DeliveryState) ([]*steward.Delivery, error) {
	const op steward.Op = "sqlite.Deliveries"
	if limit < 1 {
		return nil, steward.E(op, steward.Invalid, "limit must be positive")
	}
	if len(states) == 0 {
		return queryAll(ctx, db, op, scanDelivery,
			selectDeliverySQL+` ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	}
	arg, err := json.Marshal(states)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	return queryAll(ctx, db, op, scanDelivery, selectDeliverySQL+`
		WHERE state IN (SELECT value FROM json_each(?)) ORDER BY created_at DESC, id DESC LIMIT ?`,
		string(arg), limit)
}

func (db *DB) delivery(ctx context.Context, op steward.Op, query string, args ...any) (*steward.Delivery, error) {
	d, err := scanDelivery(db.r.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "delivery not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return d, nil
}

// resultsJSON encodes recipient statuses for the results column: NULL
// when there are none.
func resultsJSON(rs []steward.RecipientStatus) (sql.NullString, error) {
	if len(rs) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func scanDelivery(s scanner) (*steward.Delivery, error) {
	var d steward.Delivery
	var channelID, results sql.NullString
	var next, created, updated int64
	err := s.Scan(&d.ID, &d.RecordID, &d.Channel, &d.Account, &d.Op, &d.ConversationID, &d.State,
		&d.Attempts, &next, &d.LastError, &d.Challenge, &channelID, &results, &created, &updated)
	if err != nil {
		return nil, err
	}
	d.ChannelMessageID = channelID.String
	if results.Valid && results.String != "" {
		if err := json.Unmarshal([]byte(results.String), &d.Results); err != nil {
			return nil, steward.E(steward.Internal, "stored delivery results are not JSON", err)
		}
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	return &d, nil
}
