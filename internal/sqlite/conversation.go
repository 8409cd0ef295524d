package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectConversationSQL = `SELECT id, channel, kind, key, title, created_at FROM conversations`

// EnsureConversation returns the conversation with c.Channel and c.Key,
// creating it from c, with an ID and CreatedAt assigned when empty, if it
// does not exist. c itself is not modified. Concurrent callers, in this
// process or another, all get the one stored row. Returns Invalid if
// Channel or Key is empty.
func (db *DB) EnsureConversation(ctx context.Context, c *steward.Conversation) (*steward.Conversation, error) {
	const op steward.Op = "sqlite.EnsureConversation"
	if c == nil || c.Channel == "" || c.Key == "" {
		return nil, steward.E(op, steward.Invalid, "conversation needs a channel and a key")
	}
	// Almost every call finds an existing conversation; try the read pool
	// first so that the common case never waits behind an append.
	byKey := selectConversationSQL + ` WHERE channel = ? AND key = ?`
	conv, err := scanConversation(db.r.QueryRowContext(ctx, byKey, string(c.Channel), c.Key))
	if err == nil {
		return conv, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, dbErr(op, db.checkClosed(err), "")
	}

	n := *c
	if n.ID == "" {
		n.ID = steward.NewID()
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now()
	}
	// A racing creator's row wins quietly; reading back on the writer,
	// after the insert, sees whichever row was stored.
	_, err = db.w.ExecContext(ctx, `INSERT INTO conversations (id, channel, kind, key, title, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, key) DO NOTHING`,
		n.ID, string(n.Channel), string(n.Kind), n.Key, n.Title, nanos(n.CreatedAt))
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "conversation id already taken")
	}
	conv, err = scanConversation(db.w.QueryRowContext(ctx, byKey, string(c.Channel), c.Key))
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return conv, nil
}

// ConversationByID returns NotFound if there is none.
func (db *DB) ConversationByID(ctx context.Context, id string) (*steward.Conversation, error) {
	const op steward.Op = "sqlite.ConversationByID"
	conv, err := scanConversation(db.r.QueryRowContext(ctx, selectConversationSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "conversation not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return conv, nil
}

func scanConversation(s scanner) (*steward.Conversation, error) {
	var c steward.Conversation
	var created int64
	if err := s.Scan(&c.ID, &c.Channel, &c.Kind, &c.Key, &c.Title, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromNanos(created)
	return &c, nil
}
