package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"slices"

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

// AddMembers adds ms to the conversation, with AddedAt set to now where it
// is zero. Members already present keep their AddedAt and take the new
// Admin flag; an address given twice takes the last one's. Returns
// NotFound if the conversation does not exist, Invalid if an address is
// empty.
func (db *DB) AddMembers(ctx context.Context, conversationID string, ms []steward.Member) error {
	const op steward.Op = "sqlite.AddMembers"
	for _, m := range ms {
		if m.Address == "" {
			return steward.E(op, steward.Invalid, "member needs an address")
		}
	}
	added := now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE id = ?`, conversationID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.E(op, steward.NotFound, "conversation not found")
		} else if err != nil {
			return err
		}
		for _, m := range ms {
			at := m.AddedAt
			if at.IsZero() {
				at = added
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO conversation_members (conversation_id, address, admin, added_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id, address) DO UPDATE SET admin = excluded.admin`,
				conversationID, m.Address, m.Admin, nanos(at))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "conversation not found")
	}
	return nil
}

// RemoveMembers removes addresses from the conversation; addresses that
// are not members, and unknown conversations, are ignored.
func (db *DB) RemoveMembers(ctx context.Context, conversationID string, addresses []string) error {
	const op steward.Op = "sqlite.RemoveMembers"
	if len(addresses) == 0 {
		return nil
	}
	arg, err := json.Marshal(addresses)
	if err != nil {
		return steward.E(op, steward.Internal, err)
	}
	_, err = db.w.ExecContext(ctx, `DELETE FROM conversation_members
		WHERE conversation_id = ? AND address IN (SELECT value FROM json_each(?))`, conversationID, string(arg))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// Members lists a conversation's members ordered by address; none for an
// unknown conversation.
func (db *DB) Members(ctx context.Context, conversationID string) ([]steward.Member, error) {
	const op steward.Op = "sqlite.Members"
	rows, err := db.r.QueryContext(ctx, `SELECT conversation_id, address, admin, added_at
		FROM conversation_members WHERE conversation_id = ? ORDER BY address`, conversationID)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	var ms []steward.Member
	err = scanMembers(rows, func(_ string, m steward.Member) { ms = append(ms, m) })
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return ms, nil
}

// conversationsOfSQL lists the conversations of which any address in a
// JSON array is a member, on a channel, with the leaf index of each one's
// newest record (-1 for none), newest activity first. The CROSS JOIN makes
// SQLite start from the members' index rather than from every
// conversation on the channel; the MAX subquery is answered from the end
// of records_conversation.
const conversationsOfSQL = `SELECT c.id, c.channel, c.kind, c.key, c.title, c.created_at,
	COALESCE((SELECT MAX(r.leaf_index) FROM records r WHERE r.conversation_id = c.id), -1) AS last_leaf
	FROM (SELECT DISTINCT conversation_id FROM conversation_members
		WHERE address IN (SELECT value FROM json_each(?))) m
	CROSS JOIN conversations c ON c.id = m.conversation_id
	WHERE c.channel = ?
	ORDER BY last_leaf DESC, c.created_at DESC, c.id DESC`

// ConversationsOf lists the conversations on channel ch of which any of
// addresses is a member, each with all its members (by address) and
// LastLeaf, newest activity first; conversations without records come
// last, the newest created first. None if addresses is empty.
func (db *DB) ConversationsOf(ctx context.Context, ch steward.Channel, addresses []string) ([]*steward.ConversationSummary, error) {
	const op steward.Op = "sqlite.ConversationsOf"
	if len(addresses) == 0 {
		return nil, nil
	}
	arg, err := json.Marshal(addresses)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	var out []*steward.ConversationSummary
	// One read transaction, so the members belong to the same snapshot as
	// the list.
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, conversationsOfSQL, string(arg), string(ch))
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]*steward.ConversationSummary{}
		var ids []string
		for rows.Next() {
			var cs steward.ConversationSummary
			var created int64
			if err := rows.Scan(&cs.ID, &cs.Channel, &cs.Kind, &cs.Key, &cs.Title, &created, &cs.LastLeaf); err != nil {
				return err
			}
			cs.CreatedAt = fromNanos(created)
			out = append(out, &cs)
			byID[cs.ID] = &cs
			ids = append(ids, cs.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if len(ids) == 0 {
			return nil
		}
		idArg, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		mrows, err := tx.QueryContext(ctx, `SELECT conversation_id, address, admin, added_at
			FROM conversation_members WHERE conversation_id IN (SELECT value FROM json_each(?))
			ORDER BY conversation_id, address`, string(idArg))
		if err != nil {
			return err
		}
		return scanMembers(mrows, func(conv string, m steward.Member) {
			if cs := byID[conv]; cs != nil {
				cs.Members = append(cs.Members, m)
			}
		})
	})
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return out, nil
}

// scanMembers reads rows of (conversation_id, address, admin, added_at),
// handing each to fn, and closes rows.
func scanMembers(rows *sql.Rows, fn func(conversationID string, m steward.Member)) error {
	defer rows.Close()
	for rows.Next() {
		var conv string
		var m steward.Member
		var added int64
		if err := rows.Scan(&conv, &m.Address, &m.Admin, &added); err != nil {
			return err
		}
		m.AddedAt = fromNanos(added)
		fn(conv, m)
	}
	return rows.Err()
}

// ConversationRecords returns up to limit records whose ConversationID is
// id and whose leaf index is greater than after, oldest first, each with
// its wrapped key unless shredded. None for an unknown conversation.
// Returns Invalid if id is empty or limit is not positive.
func (db *DB) ConversationRecords(ctx context.Context, id string, after int64, limit int) ([]*steward.Record, error) {
	const op steward.Op = "sqlite.ConversationRecords"
	if id == "" || limit < 1 {
		return nil, steward.E(op, steward.Invalid, "need a conversation id and a positive limit")
	}
	return queryAll(ctx, db, op, scanRecord, selectRecordSQL+`
		WHERE r.conversation_id = ? AND r.leaf_index > ? ORDER BY r.leaf_index LIMIT ?`, id, after, limit)
}

// LastConversationRecords returns the newest limit records whose
// ConversationID is id, oldest first, each with its wrapped key unless
// shredded. None for an unknown conversation. Returns Invalid if id is
// empty or limit is not positive.
func (db *DB) LastConversationRecords(ctx context.Context, id string, limit int) ([]*steward.Record, error) {
	return db.conversationRecordsBefore(ctx, "sqlite.LastConversationRecords", id, math.MaxInt64, limit)
}

// ConversationRecordsBefore is LastConversationRecords restricted to leaf
// indexes below before.
func (db *DB) ConversationRecordsBefore(ctx context.Context, id string, before int64, limit int) ([]*steward.Record, error) {
	return db.conversationRecordsBefore(ctx, "sqlite.ConversationRecordsBefore", id, before, limit)
}

func (db *DB) conversationRecordsBefore(ctx context.Context, op steward.Op, id string, before int64, limit int) ([]*steward.Record, error) {
	if id == "" || limit < 1 {
		return nil, steward.E(op, steward.Invalid, "need a conversation id and a positive limit")
	}
	recs, err := queryAll(ctx, db, op, scanRecord, selectRecordSQL+`
		WHERE r.conversation_id = ? AND r.leaf_index < ? ORDER BY r.leaf_index DESC LIMIT ?`, id, before, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(recs)
	return recs, nil
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
