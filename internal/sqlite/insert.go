package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// rowsPerInsert is how many rows one multi-row INSERT carries. Each
// statement execution through database/sql and the driver has a fixed cost
// that dwarfs the work of one small row, so rows go in groups: 64 rows of
// 11 columns is 704 parameters, far under SQLite's limit of 32766.
const rowsPerInsert = 64

// recordCols is the number of columns an insert writes to records.
const recordCols = 11

// insertStmts holds the prepared multi-row INSERTs of the records and
// record_keys tables for every power-of-two row count up to rowsPerInsert.
// They are prepared once, at Open, on the writer pool: preparing inside an
// append would need a second connection while the transaction holds the
// only one. Any batch splits into power-of-two chunks.
type insertStmts struct {
	records map[int]*sql.Stmt
	keys    map[int]*sql.Stmt
}

func (s *insertStmts) prepare(ctx context.Context, on *sql.DB) error {
	s.records, s.keys = map[int]*sql.Stmt{}, map[int]*sql.Stmt{}
	for n := 1; n <= rowsPerInsert; n *= 2 {
		var err error
		if s.records[n], err = on.PrepareContext(ctx, multiInsert("records",
			"leaf_index, id, kind, idem_key, conversation_id, captured_at, meta, sealed, key_id, leaf, tree_hashes",
			recordCols, n)); err != nil {
			return err
		}
		if s.keys[n], err = on.PrepareContext(ctx, multiInsert("record_keys", "leaf_index, wrapped", 2, n)); err != nil {
			return err
		}
	}
	return nil
}

func multiInsert(table, cols string, ncols, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", ncols), ",") + ")"
	return "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

func (s *insertStmts) close() {
	for _, m := range []map[int]*sql.Stmt{s.records, s.keys} {
		for _, st := range m {
			st.Close()
		}
	}
}

// chunk returns the largest power of two that is at most n and rowsPerInsert.
func chunk(n int) int {
	c := 1
	for c*2 <= n && c*2 <= rowsPerInsert {
		c *= 2
	}
	return c
}

// insertRows writes recs, in order, to records and record_keys in tx,
// rowsPerInsert rows per statement. It is the one insert path: append
// transactions and the raw-insert benchmark both use it, so the benchmark
// measures exactly what the log does minus the log's own work.
func (s *insertStmts) insertRows(ctx context.Context, tx *sql.Tx, recs []*steward.Record) error {
	args := make([]any, 0, rowsPerInsert*recordCols)
	kargs := make([]any, 0, rowsPerInsert*2)
	for len(recs) > 0 {
		part := recs[:chunk(len(recs))]
		recs = recs[len(part):]
		args, kargs = args[:0], kargs[:0]
		for _, r := range part {
			args = append(args, r.LeafIndex, r.ID, string(r.Kind), r.IdempotencyKey, nullString(r.ConversationID),
				nanos(r.CapturedAt), blob(r.Meta), blob(r.Sealed), r.KeyID, blob(r.Leaf), blob(r.TreeHashes))
			if len(r.WrappedKey) > 0 {
				kargs = append(kargs, r.LeafIndex, r.WrappedKey)
			}
		}
		if _, err := tx.StmtContext(ctx, s.records[len(part)]).ExecContext(ctx, args...); err != nil {
			return err
		}
		// Shredded records (only in tests and imports) have no key row,
		// so the key rows may be fewer: insert them in chunks of their own.
		for k := kargs; len(k) > 0; {
			n := chunk(len(k) / 2)
			if _, err := tx.StmtContext(ctx, s.keys[n]).ExecContext(ctx, k[:2*n]...); err != nil {
				return err
			}
			k = k[2*n:]
		}
	}
	clear(args[:cap(args)]) // don't pin callers' bytes
	clear(kargs[:cap(kargs)])
	return nil
}
