// Package sqlite implements steward.Store on an embedded SQLite database
// file, through the pure-Go modernc.org/sqlite driver.
//
// One file holds the whole store. Writes go through a single connection, so
// they never contend inside the process; reads use a small pool of their
// own and, in WAL mode, never wait for the writer. Several processes may
// open the same file: SQLite's file locks serialize their writers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/steward-gov/steward/internal/steward"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// readers is the size of the read pool. Readers never block one another or
// the writer in WAL mode; more than a few buys nothing on a small machine.
const readers = 4

// DB is a Steward store in one SQLite file. It is safe for concurrent use.
type DB struct {
	w *sql.DB // the single writer connection
	r *sql.DB // the read pool; its connections are query_only

	// Statements for the append path, prepared once on the writer and bound
	// to each append transaction with Tx.StmtContext.
	ins        insertStmts
	selHashesW *sql.Stmt // tree-hash lookup inside append transactions
	selHashesR *sql.Stmt // the same on the read pool

	walPath string // the -wal file that Sync makes durable

	closed atomic.Bool
}

var _ steward.Store = (*DB)(nil)

// Open opens the store in the file at path, creating it if needed, and
// brings its schema up to date. It is safe for two processes to open the
// same file at once. Returns Unavailable if the file cannot be opened.
func Open(path string) (*DB, error) {
	const op steward.Op = "sqlite.Open"
	ctx := context.Background()

	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "bad database path", err)
	}
	// One connection that never expires: the prepared statements and the
	// page cache stay warm, and in-process writers queue in database/sql
	// rather than spinning in SQLite's busy handler.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	db := &DB{w: w, walPath: path + "-wal"}
	err = db.setWAL(ctx)
	if err == nil {
		err = db.migrate(ctx)
	}
	if err != nil {
		w.Close()
		return nil, dbErr(op, err, "")
	}

	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, steward.E(op, steward.Invalid, "bad database path", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	db.r = r
	if err := db.ins.prepare(ctx, w); err != nil {
		db.Close()
		return nil, dbErr(op, err, "")
	}

	for _, p := range []struct {
		s   **sql.Stmt
		on  *sql.DB
		sql string
	}{
		{&db.selHashesW, w, selectTreeHashesSQL},
		{&db.selHashesR, r, selectTreeHashesSQL},
	} {
		if *p.s, err = p.on.PrepareContext(ctx, p.sql); err != nil {
			db.Close()
			return nil, dbErr(op, err, "")
		}
	}
	return db, nil
}

// Close closes the database. Calls made after Close return Unavailable.
func (db *DB) Close() error {
	const op steward.Op = "sqlite.Close"
	if db.closed.Swap(true) {
		return nil
	}
	var errs []error
	db.ins.close()
	for _, s := range []*sql.Stmt{db.selHashesW, db.selHashesR} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	if err := errors.Join(errs...); err != nil {
		return steward.E(op, steward.Internal, err)
	}
	return nil
}

// Ping reports whether both the writer and a reader can reach the file.
// Returns Unavailable if not.
func (db *DB) Ping(ctx context.Context) error {
	const op steward.Op = "sqlite.Ping"
	if err := db.w.PingContext(ctx); err != nil {
		return db.unavailable(op, err)
	}
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return db.unavailable(op, err)
	}
	return nil
}

// Checkpoint copies the write-ahead log into the database file and truncates
// the log to zero bytes.
//
// Disposition should call it after shredding keys: with secure_delete on,
// SQLite overwrites a deleted key in the database file, but earlier copies
// of its page can linger in the WAL file until the log is reset. It waits
// for readers to finish (up to the busy timeout) and returns Unavailable
// if they do not.
func (db *DB) Checkpoint(ctx context.Context) error {
	const op steward.Op = "sqlite.Checkpoint"
	var busy, logFrames, checkpointed int
	err := db.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	if busy != 0 {
		return steward.E(op, steward.Unavailable, "database busy, checkpoint incomplete")
	}
	return nil
}

// busyTimeout is how long a connection waits for another's lock.
const busyTimeout = 10 * time.Second

// setWAL puts the database in WAL mode, so that readers never block the
// writer. The mode is stored in the file and holds for every connection
// from then on, which is why it is not in the DSN: converting takes an
// exclusive lock for which SQLite does not wait, so two processes opening
// a new file together could fail to connect at all. Here it is retried.
func (db *DB) setWAL(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		var mode string
		err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("journal mode is %q, not wal", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("set journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// dsn returns the modernc data source name for the file at path. Every
// connection gets the same PRAGMAs (and journal_mode=WAL, see setWAL):
//
//   - synchronous=FULL so a commit is fsynced before it returns: a capture is
//     acknowledged only once it is on disk;
//   - busy_timeout so another process's write waits instead of failing;
//   - foreign_keys, which SQLite leaves off by default;
//   - secure_delete so that shredded data keys are overwritten with zeros in
//     the file rather than left in free pages;
//   - wal_autocheckpoint at 10000 pages (about 40 MB) rather than 1000: a
//     checkpoint runs inside the commit that crosses the mark, and fewer,
//     larger ones cost appends about a third less commit time; and
//     journal_size_limit so that the WAL file shrinks back after a burst;
//   - temp_store=MEMORY: a multi-row INSERT that can fail on a UNIQUE
//     constraint keeps a statement journal so it can be undone alone, and
//     on disk that journal's writes took a fifth of the writer's time in
//     the capture benchmark. It holds only pages of the current statement
//     (sealed content, never plaintext) and is dropped when it ends.
//
// Writers begin IMMEDIATE so that a transaction takes the write lock up
// front and cannot fail halfway with SQLITE_BUSY when upgrading from a
// read. Readers are query_only, as a guard against a write slipping onto
// the pool that bypasses the writer's ordering, and read the file through
// a memory map (up to the 2 GB the library allows), which makes a full
// scan, as verify does, about a quarter faster than read(2) per page.
func dsn(p string, readOnly bool) string {
	return buildDSN(p, readOnly, []string{"synchronous(FULL)", "foreign_keys(ON)"}, nil)
}

// buildDSN is the file: URI of a database at p with the PRAGMAs every
// Steward database shares (busy timeout, secure_delete, WAL limits,
// memory temp store), the given ones, and per role: readers query_only
// with the memory map, the writer IMMEDIATE with writerPragmas.
func buildDSN(p string, readOnly bool, pragmas, writerPragmas []string) string {
	q := url.Values{}
	for _, pragma := range append([]string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"secure_delete(ON)",
		"wal_autocheckpoint(10000)",
		"journal_size_limit(67108864)",
		"temp_store(MEMORY)",
	}, pragmas...) {
		q.Add("_pragma", pragma)
	}
	if readOnly {
		q.Set("_query_only", "1")
		q.Add("_pragma", "mmap_size(1099511627776)")
	} else {
		q.Set("_txlock", "immediate")
		for _, pragma := range writerPragmas {
			q.Add("_pragma", pragma)
		}
	}
	// In a file: URI SQLite decodes %XX escapes and treats ? and # as
	// delimiters, so those three must be escaped in the path itself.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	return "file:" + esc + "?" + q.Encode()
}

// migrate applies the embedded migrations in name order, each in its own
// transaction, and records each applied name. BEGIN IMMEDIATE serializes
// concurrent migrators: a second process waits for the first, then finds
// the name recorded and skips it.
//
// Every step runs in an IMMEDIATE transaction, even creating the
// migrations table: a statement that reads the schema and then writes
// would have to upgrade its lock, and SQLite fails such an upgrade at once
// with SQLITE_BUSY, without waiting, when another connection writes first.
func (db *DB) migrate(ctx context.Context) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		base := path.Base(name)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, base).Scan(&n); err != nil {
			return err
		} else if n != 0 {
			return nil
		}
		buf, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, base)
		return err
	})
}

// inTx runs fn in a write transaction on the writer and commits it if fn
// returns nil. The error is database/sql's or fn's, unwrapped.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, db.w, fn)
}

// readTx runs fn in a transaction on the read pool, so that all its
// queries see one snapshot of the database. The error is database/sql's or
// fn's, unwrapped.
func (db *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, db.r, fn)
}

// runTx runs fn in a transaction on pool and commits it if fn returns nil.
func runTx(ctx context.Context, pool *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// errClosed stands in for database/sql's unexported "database is closed".
var errClosed = errors.New("sqlite: database is closed")

// checkClosed replaces err with errClosed if the DB has been closed, so
// that dbErr reports Unavailable rather than Internal.
func (db *DB) checkClosed(err error) error {
	if err != nil && db.closed.Load() {
		return fmt.Errorf("%w: %w", errClosed, err)
	}
	return err
}

// unavailable wraps err as Unavailable whatever its cause.
func (db *DB) unavailable(op steward.Op, err error) error {
	return steward.E(op, steward.Unavailable, "storage unavailable", err)
}

// dbErr wraps err, returned by database/sql or the driver, as a steward
// error whose kind follows the SQLite result code. msg, when not empty,
// replaces the generic message for Conflict and NotFound, the two kinds a
// caller acts on and so should be told about precisely.
func dbErr(op steward.Op, err error, msg string) error {
	var se *steward.Error
	if errors.As(err, &se) {
		return steward.E(op, err)
	}
	kind, generic := classify(err)
	if msg == "" || (kind != steward.Conflict && kind != steward.NotFound) {
		msg = generic
	}
	return steward.E(op, kind, msg, err)
}

// classify maps a database error to a kind and a message safe to show.
func classify(err error) (steward.Kind, string) {
	var se *sqlite.Error
	switch {
	case errors.As(err, &se):
		code := se.Code()
		switch code & 0xff { // the primary code; the driver reports extended ones
		case sqlite3.SQLITE_FULL:
			return steward.Unavailable, "storage is full"
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT:
			return steward.Unavailable, "storage unavailable"
		case sqlite3.SQLITE_CONSTRAINT:
			switch code {
			case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
				return steward.Conflict, "already exists"
			case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
				return steward.NotFound, "referenced item not found"
			}
			return steward.Invalid, "constraint violated"
		}
	case errors.Is(err, errClosed), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return steward.Unavailable, "storage unavailable"
	}
	return steward.Internal, ""
}

// Times are stored as unix nanoseconds, which keeps them exact and ordered.
// The zero time.Time has no nanosecond representation in int64 range, so
// optional times are NULL when zero or nil.

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// now is the store's clock for timestamps that callers leave empty.
func now() time.Time { return time.Now().UTC() }

// blob returns b, or an empty non-nil slice: the driver binds a nil slice
// as NULL, which NOT NULL columns reject.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullString binds "" as NULL, for optional columns with a UNIQUE
// constraint that must admit many empty values, and for those that a
// partial index leaves out when empty.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
