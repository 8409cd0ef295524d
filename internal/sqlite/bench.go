package sqlite

import (
	"context"
	"os"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// RawInsertBench is the baseline that `steward bench capture` measures
// capture against: the fastest this store could take the same rows. It
// creates a new database at path, which must not exist, with the store's
// schema and PRAGMAs, then inserts recs (records and record_keys rows,
// exactly as AppendTx would) as plain INSERTs through prepared statements,
// batch rows per transaction, each transaction committed durably. It
// returns the time taken by the inserts alone, not by creating the file.
//
// recs are inserted as they are; their LeafIndex values must be 0, 1, 2...
func RawInsertBench(ctx context.Context, path string, recs []*steward.Record, batch int) (time.Duration, error) {
	const op steward.Op = "sqlite.RawInsertBench"
	if batch <= 0 {
		return 0, steward.E(op, steward.Invalid, "batch must be positive")
	}
	if _, err := os.Stat(path); err == nil {
		return 0, steward.E(op, steward.Conflict, "database file already exists")
	}
	db, err := Open(path)
	if err != nil {
		return 0, steward.E(op, err)
	}
	defer db.Close()

	start := time.Now()
	for len(recs) > 0 {
		n := min(batch, len(recs))
		if err := db.rawInsert(ctx, recs[:n]); err != nil {
			return 0, dbErr(op, err, "")
		}
		recs = recs[n:]
	}
	return time.Since(start), nil
}

func (db *DB) rawInsert(ctx context.Context, recs []*steward.Record) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ctx = context.WithoutCancel(ctx) // as AppendTx does
	if err := db.ins.insertRows(ctx, tx, recs); err != nil {
		return err
	}
	return tx.Commit()
}
