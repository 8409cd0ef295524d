package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

const (
	logSizeSQL = `SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM records`

	selectTreeHashesSQL = `SELECT tree_hashes FROM records WHERE leaf_index = ?`

	// A shredded record has no record_keys row, so the LEFT JOIN yields a
	// NULL wrapped key, which scans as a nil slice.
	selectRecordSQL = `SELECT r.leaf_index, r.id, r.kind, r.idem_key, r.conversation_id, r.captured_at,
		r.meta, r.sealed, r.key_id, k.wrapped, r.leaf, r.tree_hashes
		FROM records r LEFT JOIN record_keys k ON k.leaf_index = r.leaf_index`
)

// maxParams bounds the number of values in one IN list, well under
// SQLite's limit on bound parameters.
const maxParams = 500

// hashSize is the length of one stored tree hash.
const hashSize = int64(len(steward.Hash{}))

// scanPage is how many records ScanRecords reads per query.
const scanPage = 256

// AppendTx runs fn in one write transaction on the writer connection,
// begun IMMEDIATE so it holds the file's write lock from the start. It
// commits if fn returns nil, durably since synchronous=FULL, and rolls back
// otherwise, returning fn's error unchanged. Returns Unavailable if the
// write lock cannot be had within the busy timeout, the disk is full, or
// the DB is closed.
//
// The LogTx is valid only during fn and must not be used concurrently. fn
// must not call the DB's other writing methods: the one writer connection
// is taken, so they would wait until ctx ends. Reads through the DB do not
// see the transaction's inserts; reads through the LogTx do.
func (db *DB) AppendTx(ctx context.Context, fn func(tx steward.LogTx) error) error {
	const op steward.Op = "sqlite.AppendTx"
	if db.closed.Load() {
		return steward.E(op, steward.Unavailable, "storage unavailable", errClosed)
	}
	// The append transaction commits with synchronous=NORMAL: its WAL
	// frames are written but not fsynced, and the archive log calls Sync
	// (one fsync for every batch committed meanwhile) before it
	// acknowledges anything. That takes the fsync off the single writer's
	// path. Every other write keeps synchronous=FULL, so the connection
	// is pinned to switch the mode for this transaction alone.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	defer conn.ExecContext(context.Background(), `PRAGMA synchronous = FULL`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	defer tx.Rollback() // a no-op after Commit

	// Statements run under a context that cannot be canceled: with a
	// cancelable one the driver starts a watcher goroutine per statement,
	// which costs more than the insert itself. Cancellation still takes
	// effect between statements: each LogTx call checks ctx, and
	// database/sql rolls the transaction back once ctx ends.
	t := &logTx{ctx: ctx, sctx: context.WithoutCancel(ctx), tx: tx, db: db}
	if err := tx.QueryRowContext(t.sctx, logSizeSQL).Scan(&t.size); err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}

	err = fn(t)
	t.done = true
	if err != nil {
		return err
	}
	if t.broken != nil {
		return t.broken
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			// database/sql rolls a transaction back by itself when its
			// context ends; Commit then reports only ErrTxDone.
			err = ctx.Err()
		}
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

// logTx is the steward.LogTx of one AppendTx call.
type logTx struct {
	ctx  context.Context // AppendTx's
	sctx context.Context // ctx without its cancellation, for statements
	tx   *sql.Tx
	db   *DB
	size int64 // log size including this transaction's inserts

	selHashes *sql.Stmt

	done bool
	// broken is set by a failure that may have left the transaction
	// half-done: an insert with its record row in but not its key row, or
	// an I/O error or full disk, after which SQLite may have rolled the
	// whole transaction back on its own and would run later statements
	// outside any transaction. Nothing more may run or commit.
	broken error
}

// fail records err as breaking the transaction unless it is one that
// SQLite confines to the failed statement: a constraint violation, or
// one of ours raised before any statement ran.
func (t *logTx) fail(err error) error {
	switch steward.KindOf(err) {
	case steward.Conflict, steward.NotFound, steward.Invalid:
	default:
		t.broken = err
	}
	return err
}

var errTxDone = errors.New("log transaction used after AppendTx returned")

func (t *logTx) check(op steward.Op) error {
	switch {
	case t.done:
		return steward.E(op, steward.Internal, errTxDone)
	case t.broken != nil:
		return t.broken
	case t.ctx.Err() != nil:
		return dbErr(op, t.ctx.Err(), "")
	}
	return nil
}

// Size returns the log size, counting the records inserted so far in this
// transaction. It does not touch the database.
func (t *logTx) Size() (int64, error) {
	if err := t.check("sqlite.LogTx.Size"); err != nil {
		return 0, err
	}
	return t.size, nil
}

// FindByIdempotencyKeys looks keys up, seeing this transaction's inserts.
func (t *logTx) FindByIdempotencyKeys(keys []string) (map[string]steward.RecordRef, error) {
	const op steward.Op = "sqlite.LogTx.FindByIdempotencyKeys"
	if err := t.check(op); err != nil {
		return nil, err
	}
	found, err := findByKeys(t.sctx, t.tx, keys)
	if err != nil {
		return nil, t.fail(dbErr(op, err, ""))
	}
	return found, nil
}

// FindByIdempotencyKeys looks committed keys up on the read pool.
func (db *DB) FindByIdempotencyKeys(ctx context.Context, keys []string) (map[string]steward.RecordRef, error) {
	const op steward.Op = "sqlite.FindByIdempotencyKeys"
	found, err := findByKeys(ctx, db.r, keys)
	if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return found, nil
}

// findByKeysSQL takes every key in one JSON array parameter, so the
// statement text never changes with the number of keys: it is parsed once
// per connection instead of once per append batch.
const findByKeysSQL = `SELECT idem_key, id, leaf_index, kind FROM records
	WHERE idem_key IN (SELECT value FROM json_each(?))`

// findByKeys looks keys up. Keys that are empty or absent are left out of
// the result.
func findByKeys(ctx context.Context, q querier, keys []string) (map[string]steward.RecordRef, error) {
	found := make(map[string]steward.RecordRef)
	if len(keys) == 0 {
		return found, nil
	}
	arg, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, findByKeysSQL, string(arg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var ref steward.RecordRef
		if err := rows.Scan(&key, &ref.ID, &ref.LeafIndex, &ref.Kind); err != nil {
			return nil, err
		}
		if key != "" {
			found[key] = ref
		}
	}
	return found, rows.Err()
}

// ReadHashes reads stored tree hashes, seeing this transaction's inserts.
func (t *logTx) ReadHashes(indexes []int64) ([]steward.Hash, error) {
	const op steward.Op = "sqlite.LogTx.ReadHashes"
	if err := t.check(op); err != nil {
		return nil, err
	}
	if t.selHashes == nil {
		t.selHashes = t.tx.StmtContext(t.sctx, t.db.selHashesW)
	}
	hs, err := t.db.readHashes(t.sctx, op, t.selHashes, indexes)
	if err != nil {
		return nil, t.fail(err)
	}
	return hs, nil
}

// InsertRecords appends rs, writing each records row and, unless a record
// has no wrapped key, its record_keys row, in multi-row statements.
func (t *logTx) InsertRecords(rs []*steward.Record) error {
	const op steward.Op = "sqlite.LogTx.InsertRecords"
	if err := t.check(op); err != nil {
		return err
	}
	for i, r := range rs {
		switch {
		case r == nil:
			return steward.E(op, steward.Invalid, "no record")
		case r.LeafIndex != t.size+int64(i):
			// The caller computed tree hashes for a different position;
			// storing them would corrupt the tree.
			return steward.Errorf(op, steward.Internal, "record at leaf %d, log size is %d", r.LeafIndex, t.size+int64(i))
		case r.ID == "", r.IdempotencyKey == "", r.Kind == "":
			return steward.E(op, steward.Invalid, "record needs an id, an idempotency key and a kind")
		case r.CapturedAt.IsZero():
			return steward.E(op, steward.Invalid, "record needs a capture time")
		}
	}
	if err := t.db.ins.insertRows(t.sctx, t.tx, rs); err != nil {
		// Part of a multi-row batch may be written: the transaction is
		// unusable whatever the error, and must be abandoned.
		t.broken = dbErr(op, err, "record id or idempotency key already in the log")
		return t.broken
	}
	t.size += int64(len(rs))
	return nil
}

// Sync makes every append committed so far durable, by fsyncing the WAL
// file that holds their frames. SQLite's WAL recovery keeps a commit only
// if every frame up to it is intact (frame checksums chain), so once the
// WAL is synced, every transaction committed before is on disk. Returns
// Unavailable if the sync fails.
func (db *DB) Sync(ctx context.Context) error {
	const op steward.Op = "sqlite.Sync"
	if db.closed.Load() {
		return steward.E(op, steward.Unavailable, "storage unavailable", errClosed)
	}
	// Opened anew each time: SQLite may truncate the WAL, and a fresh
	// descriptor always names the current file.
	f, err := os.Open(db.walPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no WAL: everything was checkpointed into the database, durably
	}
	if err != nil {
		return steward.E(op, steward.Unavailable, "cannot open the write-ahead log", err)
	}
	defer f.Close()
	if err := syncFile(f); err != nil {
		return steward.E(op, steward.Unavailable, "cannot sync the write-ahead log", err)
	}
	return nil
}

// LogSize returns the number of committed records. Leaf indexes are dense,
// so that is one more than the largest.
func (db *DB) LogSize(ctx context.Context) (int64, error) {
	const op steward.Op = "sqlite.LogSize"
	var n int64
	if err := db.r.QueryRowContext(ctx, logSizeSQL).Scan(&n); err != nil {
		return 0, dbErr(op, db.checkClosed(err), "")
	}
	return n, nil
}

// RecordByID returns NotFound if no record has that id.
func (db *DB) RecordByID(ctx context.Context, id string) (*steward.Record, error) {
	const op steward.Op = "sqlite.RecordByID"
	r, err := scanRecord(db.r.QueryRowContext(ctx, selectRecordSQL+` WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "record not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return r, nil
}

// RecordAt returns NotFound for an index with no record.
func (db *DB) RecordAt(ctx context.Context, index int64) (*steward.Record, error) {
	const op steward.Op = "sqlite.RecordAt"
	r, err := scanRecord(db.r.QueryRowContext(ctx, selectRecordSQL+` WHERE r.leaf_index = ?`, index))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "record not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return r, nil
}

// ScanRecords calls fn for each record from leaf index from on, in order,
// and returns fn's first error unchanged. It reads a page at a time and
// calls fn with no query open, so fn may use the store itself, and a long
// scan holds no read transaction that would keep the WAL from being
// checkpointed. Records committed during the scan are visited too.
func (db *DB) ScanRecords(ctx context.Context, from int64, fn func(*steward.Record) error) error {
	const op steward.Op = "sqlite.ScanRecords"
	if from < 0 {
		return steward.E(op, steward.Invalid, "negative leaf index")
	}
	page := make([]*steward.Record, 0, scanPage)
	for {
		var err error
		page, err = db.recordPage(ctx, from, page[:0])
		if err != nil {
			return dbErr(op, db.checkClosed(err), "")
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		from = page[len(page)-1].LeafIndex + 1
	}
}

// recordPage appends to page up to scanPage records from leaf index from
// on. It is the hot loop of verification, so it reads rows from the driver
// directly rather than through database/sql's Scan, which would copy every
// blob a second time.
func (db *DB) recordPage(ctx context.Context, from int64, page []*steward.Record) ([]*steward.Record, error) {
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, selectRecordSQL+` WHERE r.leaf_index >= ? ORDER BY r.leaf_index LIMIT ?`,
			[]driver.NamedValue{{Ordinal: 1, Value: from}, {Ordinal: 2, Value: int64(scanPage)}})
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, recordCols+1) // and the wrapped key
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			r, err := recordFromValues(dest)
			if err != nil {
				return err
			}
			page = append(page, r)
		}
	})
	return page, err
}

// recordFromValues builds a record from one row of selectRecordSQL as the
// driver returns it. It keeps the driver's byte slices: modernc.org/sqlite
// copies each blob into a new slice for every row. storetest's Log/Scan
// would catch a driver that reused them, since callers keep the records.
func recordFromValues(v []driver.Value) (*steward.Record, error) {
	var c columns
	r := &steward.Record{
		LeafIndex:      c.int64(v[0]),
		ID:             c.string(v[1]),
		Kind:           steward.RecordKind(c.string(v[2])),
		IdempotencyKey: c.string(v[3]),
		ConversationID: c.nullString(v[4]),
		CapturedAt:     fromNanos(c.int64(v[5])),
		Meta:           c.bytes(v[6]),
		Sealed:         c.bytes(v[7]),
		KeyID:          c.string(v[8]),
		WrappedKey:     c.bytes(v[9]),
		Leaf:           c.bytes(v[10]),
		TreeHashes:     c.bytes(v[11]),
	}
	return r, c.err
}

// columns converts driver values, remembering the first that has the
// wrong type.
type columns struct{ err error }

func (c *columns) bad(v driver.Value, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("record row: %T where %s belongs", v, want)
	}
}

func (c *columns) int64(v driver.Value) int64 {
	n, ok := v.(int64)
	if !ok {
		c.bad(v, "an integer")
	}
	return n
}

func (c *columns) string(v driver.Value) string {
	s, ok := v.(string)
	if !ok {
		c.bad(v, "text")
	}
	return s
}

// nullString reads NULL as "".
func (c *columns) nullString(v driver.Value) string {
	if v == nil {
		return ""
	}
	return c.string(v)
}

// bytes accepts NULL too: an empty blob and a shredded key read as nil.
func (c *columns) bytes(v driver.Value) []byte {
	b, ok := v.([]byte)
	if !ok && v != nil {
		c.bad(v, "a blob")
	}
	return b
}

// ReadHashes returns the stored tree hashes at the given tlog storage
// indexes, reading each owning leaf's row once. Returns NotFound if any
// hash is not stored.
func (db *DB) ReadHashes(ctx context.Context, indexes []int64) ([]steward.Hash, error) {
	const op steward.Op = "sqlite.ReadHashes"
	return db.readHashes(ctx, op, db.selHashesR, indexes)
}

// ShredKey deletes the record_keys row of the record with that id. With
// secure_delete on, SQLite zeroes the freed bytes in the database file;
// see Checkpoint for the copies the WAL may still hold.
func (db *DB) ShredKey(ctx context.Context, id string) error {
	const op steward.Op = "sqlite.ShredKey"
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	defer tx.Rollback()
	var leaf int64
	err = tx.QueryRowContext(ctx, `SELECT leaf_index FROM records WHERE id = ?`, id).Scan(&leaf)
	if errors.Is(err, sql.ErrNoRows) {
		return steward.E(op, steward.NotFound, "record not found")
	} else if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM record_keys WHERE leaf_index = ?`, leaf); err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	if err := tx.Commit(); err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(s scanner) (*steward.Record, error) {
	var r steward.Record
	var conv sql.NullString
	var captured int64
	err := s.Scan(&r.LeafIndex, &r.ID, &r.Kind, &r.IdempotencyKey, &conv, &captured,
		&r.Meta, &r.Sealed, &r.KeyID, &r.WrappedKey, &r.Leaf, &r.TreeHashes)
	if err != nil {
		return nil, err
	}
	r.ConversationID = conv.String
	r.CapturedAt = fromNanos(captured)
	return &r, nil
}

// hashLocation says where tlog storage index i is kept: in the tree_hashes
// of leaf, as its off'th hash.
//
// tlog.StoredHashes(m, ...) returns the hashes stored when leaf m is
// appended, which occupy the consecutive indexes from
// tlog.StoredHashIndex(0, m): the leaf hash, then the root of each subtree
// that leaf m completes. A subtree hash at level L, position n, is
// completed by its last leaf, m = (n+1)<<L - 1.
func hashLocation(i int64) (leaf, off int64) {
	level, n := tlog.SplitStoredHashIndex(i)
	leaf = (n+1)<<level - 1
	return leaf, i - tlog.StoredHashIndex(0, leaf)
}

// readHashes looks up each index's owning leaf with stmt, a prepared
// selectTreeHashesSQL, once per distinct leaf.
func (db *DB) readHashes(ctx context.Context, op steward.Op, stmt *sql.Stmt, indexes []int64) ([]steward.Hash, error) {
	hashes := make([]steward.Hash, len(indexes))
	var (
		lastLeaf int64 = -1
		last     []byte
		seen     map[int64][]byte // beyond the last leaf; made when needed
	)
	for i, idx := range indexes {
		if idx < 0 {
			return nil, steward.E(op, steward.Invalid, "negative hash index")
		}
		leaf, off := hashLocation(idx)
		if leaf != lastLeaf {
			b, ok := seen[leaf]
			if !ok {
				err := stmt.QueryRowContext(ctx, leaf).Scan(&b)
				if errors.Is(err, sql.ErrNoRows) {
					return nil, steward.Errorf(op, steward.NotFound, "tree hash %d not stored", idx)
				} else if err != nil {
					return nil, dbErr(op, db.checkClosed(err), "")
				}
				if seen == nil {
					seen = make(map[int64][]byte)
				}
				seen[leaf] = b
			}
			lastLeaf, last = leaf, b
		}
		if (off+1)*hashSize > int64(len(last)) {
			return nil, steward.Errorf(op, steward.NotFound, "tree hash %d not stored", idx)
		}
		copy(hashes[i][:], last[off*hashSize:])
	}
	return hashes, nil
}
