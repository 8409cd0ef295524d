package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

//go:embed index_migrations/*.sql
var indexMigrationFS embed.FS

// Index is the blind full-text index, a search.Index in an SQLite file of
// its own (index.db) with FTS5. It stores keyed hashes of tokens, never
// text (see search.Keyer), and is safe for concurrent use: one writer
// connection, and readers that never wait for it.
//
// The index can be rebuilt from the archive, so its commits are not
// fsynced one by one (synchronous=NORMAL): a crash may lose the last
// commits, never corrupt the file, and the indexer re-adds from where the
// index says it got to (AddUpTo, Progress).
type Index struct {
	w, r  *sql.DB
	keyer *search.Keyer
	ins   indexStmts

	closed atomic.Bool
}

var _ search.Index = (*Index)(nil)

// ftsColumns names the FTS5 column of each search.Column.
var ftsColumns = [search.NumColumns]string{
	search.ColText: "text", search.ColPrefix: "pfx", search.ColSender: "sender",
	search.ColRecipients: "recipients", search.ColMembers: "members", search.ColFiles: "files",
	search.ColMeta: "meta",
}

// The rowid of a document orders the index newest first: the sent time,
// counted down from search.MaxTime in milliseconds, above tieBits bits
// that tell apart documents sent in the same millisecond. FTS5 walks its
// doclists in rowid order, so a page of hits is the first rows that match,
// and a date range is a rowid range, both without sorting. 16 bits allow
// 65,536 documents in one millisecond (an import of a channel that keeps
// whole seconds may bring thousands); fewer would make the index smaller,
// since FTS5 stores the differences between rowids.
const (
	tieBits = 16
	tieMask = 1<<tieBits - 1
)

var maxMilli = search.MaxTime.UnixMilli()

// orderKey returns the smallest rowid of documents sent at ms.
func orderKey(ms int64) int64 { return (maxMilli - 1 - ms) << tieBits }

// OpenIndex opens the index in the file at path, creating it if needed,
// with the index key (search.DeriveKey of the KEK). Returns Invalid if the
// key is not search.KeySize bytes, Conflict if the file was built under
// another key, Unavailable if the file cannot be opened.
func OpenIndex(path string, key []byte) (*Index, error) {
	const op steward.Op = "sqlite.OpenIndex"
	ctx := context.Background()
	keyer, err := search.NewKeyer(key)
	if err != nil {
		return nil, steward.E(op, err)
	}
	w, err := sql.Open("sqlite", indexDSN(path, false))
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "bad index path", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	x := &Index{w: w, keyer: keyer}
	// The store's conversion to WAL, which retries while another process
	// holds the lock, needs nothing of a DB but its writer.
	err = (&DB{w: w}).setWAL(ctx)
	if err == nil {
		err = migrateIndex(ctx, w)
	}
	if err != nil {
		w.Close()
		return nil, dbErr(op, err, "")
	}
	if err := x.checkKey(ctx); err != nil {
		w.Close()
		return nil, steward.E(op, err)
	}
	if x.r, err = sql.Open("sqlite", indexDSN(path, true)); err != nil {
		w.Close()
		return nil, steward.E(op, steward.Invalid, "bad index path", err)
	}
	x.r.SetMaxOpenConns(readers)
	x.r.SetMaxIdleConns(readers)
	if err := x.ins.prepare(ctx, w); err != nil {
		x.Close()
		return nil, dbErr(op, err, "")
	}
	return x, nil
}

// indexDSN is dsn with the index's PRAGMAs: synchronous=NORMAL (see
// Index), secure_delete so that removed entries are zeroed in the file, a
// 64 MB page cache for the writer, whose FTS5 segment merges read back
// what it wrote, and the memory map for readers.
func indexDSN(p string, readOnly bool) string {
	return buildDSN(p, readOnly, []string{"synchronous(NORMAL)"}, []string{"cache_size(-65536)"})
}

// migrateIndex applies the embedded index migrations as DB.migrate applies
// the store's.
func migrateIndex(ctx context.Context, w *sql.DB) error {
	err := runTx(ctx, w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(indexMigrationFS, "index_migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		err := runTx(ctx, w, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, path.Base(name)).Scan(&n); err != nil || n != 0 {
				return err
			}
			buf, err := fs.ReadFile(indexMigrationFS, name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, path.Base(name))
			return err
		})
		if err != nil {
			return fmt.Errorf("index migration %s: %w", name, err)
		}
	}
	return nil
}

// checkKey records the key's check value in a new index, and compares it
// in an old one: hashes under another key would find nothing, silently.
func (x *Index) checkKey(ctx context.Context) error {
	const op steward.Op = "sqlite.Index.checkKey"
	want := x.keyer.Check()
	var got string
	err := runTx(ctx, x.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO index_info (name, value) VALUES ('key_check', ?) ON CONFLICT DO NOTHING`, want); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM index_info WHERE name = 'key_check'`).Scan(&got)
	})
	if err != nil {
		return dbErr(op, err, "")
	}
	if got != want {
		return steward.E(op, steward.Conflict, "the search index was built under another key; rebuild it")
	}
	return nil
}

// indexStmts are the writer's statements, prepared once.
type indexStmts struct {
	rowidOf, delFTS, delDoc, insDoc, insFTS *sql.Stmt
}

func (s *indexStmts) prepare(ctx context.Context, w *sql.DB) error {
	cols := strings.Join(ftsColumns[:], ", ")
	for _, p := range []struct {
		s   **sql.Stmt
		sql string
	}{
		{&s.rowidOf, `SELECT rowid FROM docs WHERE id = ?`},
		{&s.delFTS, `DELETE FROM fts WHERE rowid = ?`},
		{&s.delDoc, `DELETE FROM docs WHERE rowid = ?`},
		{&s.insDoc, `INSERT INTO docs (rowid, id, conversation_id, sent) VALUES (?, ?, ?, ?)`},
		{&s.insFTS, `INSERT INTO fts (rowid, ` + cols + `) VALUES (?` + strings.Repeat(", ?", len(ftsColumns)) + `)`},
	} {
		var err error
		if *p.s, err = w.PrepareContext(ctx, p.sql); err != nil {
			return err
		}
	}
	return nil
}

func (s *indexStmts) close() {
	for _, st := range []*sql.Stmt{s.rowidOf, s.delFTS, s.delDoc, s.insDoc, s.insFTS} {
		if st != nil {
			st.Close()
		}
	}
}

// Close closes the index. Calls made after Close return Unavailable.
func (x *Index) Close() error {
	const op steward.Op = "sqlite.Index.Close"
	if x.closed.Swap(true) {
		return nil
	}
	x.ins.close()
	var errs []error
	if x.r != nil {
		errs = append(errs, x.r.Close())
	}
	errs = append(errs, x.w.Close())
	if err := errors.Join(errs...); err != nil {
		return steward.E(op, steward.Internal, err)
	}
	return nil
}

// err wraps a database error, reporting one after Close as Unavailable.
func (x *Index) err(op steward.Op, err error) error {
	if err != nil && x.closed.Load() {
		err = fmt.Errorf("%w: %w", errClosed, err)
	}
	return dbErr(op, err, "")
}

// Add implements search.Index. The documents are hashed before the write
// transaction begins, on every core, so the lock is held for the inserts
// alone.
func (x *Index) Add(ctx context.Context, docs ...*search.Doc) error {
	return x.add(ctx, "sqlite.Index.Add", nil, docs)
}

// AddUpTo is Add that also records next as the index's progress, in the
// same transaction: the position in the archive log from which its
// indexer goes on. The index commits without fsync (see Index), so a crash
// may take its last commits, but never a commit without its progress or
// the other way round: the indexer resumes from Progress.
func (x *Index) AddUpTo(ctx context.Context, next int64, docs ...*search.Doc) error {
	return x.add(ctx, "sqlite.Index.AddUpTo", &next, docs)
}

// Progress returns the progress last recorded by AddUpTo, 0 if none.
func (x *Index) Progress(ctx context.Context) (int64, error) {
	const op steward.Op = "sqlite.Index.Progress"
	var next int64
	err := x.r.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM index_info WHERE name = 'progress'`).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, x.err(op, err)
	}
	return next, nil
}

func (x *Index) add(ctx context.Context, op steward.Op, next *int64, docs []*search.Doc) error {
	blind, err := x.blind(docs)
	if err != nil {
		return steward.E(op, err)
	}
	// FTS5 buffers a transaction's entries in memory and writes them out as
	// one segment, but only while rowids rise: a smaller rowid flushes the
	// buffer first, and with a segment per document, merging them becomes
	// the whole cost. Messages arrive nearly, not exactly, in sent order, so
	// the old versions go first, then the batch in rowid order.
	blind = latest(blind)
	slices.SortFunc(blind, func(a, b *search.BlindDoc) int {
		return cmp.Or(cmp.Compare(orderKey(a.Sent.UnixMilli())|tieOf(a.ID), orderKey(b.Sent.UnixMilli())|tieOf(b.ID)), strings.Compare(a.ID, b.ID))
	})
	err = runTx(ctx, x.w, func(tx *sql.Tx) error {
		rowidOf, insDoc, insFTS := tx.StmtContext(ctx, x.ins.rowidOf), tx.StmtContext(ctx, x.ins.insDoc), tx.StmtContext(ctx, x.ins.insFTS)
		ids := make([]string, len(blind))
		for i, b := range blind {
			ids[i] = b.ID
		}
		if err := x.remove(ctx, tx, rowidOf, ids); err != nil {
			return err
		}
		args := make([]any, 1+len(ftsColumns))
		for _, b := range blind {
			rowid, err := insertDoc(ctx, insDoc, b.ID, b.ConversationID, b.Sent)
			if err != nil {
				return err
			}
			args[0] = rowid
			for c, toks := range b.Columns {
				args[1+c] = strings.Join(toks, " ")
			}
			if _, err := insFTS.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		if next != nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO index_info (name, value) VALUES ('progress', ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, strconv.FormatInt(*next, 10))
			return err
		}
		return nil
	})
	if err != nil {
		return x.err(op, err)
	}
	return nil
}

// latest returns bs without the documents a later one of the same id
// replaces.
func latest(bs []*search.BlindDoc) []*search.BlindDoc {
	last := make(map[string]int, len(bs))
	for i, b := range bs {
		last[b.ID] = i
	}
	if len(last) == len(bs) {
		return bs
	}
	out := make([]*search.BlindDoc, 0, len(last))
	for i, b := range bs {
		if last[b.ID] == i {
			out = append(out, b)
		}
	}
	return out
}

// blind hashes docs, in parallel when there are enough to share out:
// hashing is most of the cost of indexing a document.
func (x *Index) blind(docs []*search.Doc) ([]*search.BlindDoc, error) {
	out := make([]*search.BlindDoc, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs)/32+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(docs); i += workers {
				b, err := x.keyer.Blind(docs[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = b
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// insertDoc inserts a row of docs and returns its rowid: the order key of
// sent, and the first free tie from tieOf(id) on.
func insertDoc(ctx context.Context, ins *sql.Stmt, id, conv string, sent time.Time) (int64, error) {
	ms := sent.UnixMilli()
	base, tie := orderKey(ms), tieOf(id)
	for tries := 0; ; tries++ {
		_, err := ins.ExecContext(ctx, base|tie, id, conv, ms)
		if err == nil {
			return base | tie, nil
		}
		if !isPrimaryKeyConflict(err) || tries == tieMask {
			return 0, err
		}
		tie = (tie + 1) & tieMask
	}
}

// tieOf spreads documents sent in the same millisecond over the rowids of
// that millisecond; Add probes onwards from it if the rowid is taken.
func tieOf(id string) int64 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int64(h.Sum32() & tieMask)
}

func isPrimaryKeyConflict(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// remove deletes the documents with these ids that are indexed, inside
// tx, in rowid order for the reason Add gives.
func (x *Index) remove(ctx context.Context, tx *sql.Tx, rowidOf *sql.Stmt, ids []string) error {
	var rowids []int64
	for _, id := range ids {
		var rowid int64
		switch err := rowidOf.QueryRowContext(ctx, id).Scan(&rowid); {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return err
		}
		rowids = append(rowids, rowid)
	}
	slices.Sort(rowids)
	delFTS, delDoc := tx.StmtContext(ctx, x.ins.delFTS), tx.StmtContext(ctx, x.ins.delDoc)
	for _, rowid := range rowids {
		if _, err := delFTS.ExecContext(ctx, rowid); err != nil {
			return err
		}
		if _, err := delDoc.ExecContext(ctx, rowid); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements search.Index. FTS5's secure-delete option takes the
// document's entries out of the index's pages at once, and SQLite's
// secure_delete zeroes the freed space; older copies of those pages may
// stay in the WAL file until the next checkpoint (see Optimize).
func (x *Index) Remove(ctx context.Context, ids ...string) error {
	const op steward.Op = "sqlite.Index.Remove"
	err := runTx(ctx, x.w, func(tx *sql.Tx) error {
		return x.remove(ctx, tx, tx.StmtContext(ctx, x.ins.rowidOf), ids)
	})
	if err != nil {
		return x.err(op, err)
	}
	return nil
}

// Optimize merges the index into one segment, the fastest to search, and
// truncates the WAL file. It rewrites the whole index, minutes for
// millions of documents: run it after a bulk load or a disposition run,
// not after each Add. Returns Unavailable if readers keep the WAL busy.
func (x *Index) Optimize(ctx context.Context) error {
	const op steward.Op = "sqlite.Index.Optimize"
	if _, err := x.w.ExecContext(ctx, `INSERT INTO fts (fts) VALUES ('optimize')`); err != nil {
		return x.err(op, err)
	}
	var busy, logFrames, checkpointed int
	if err := x.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return x.err(op, err)
	}
	if busy != 0 {
		return steward.E(op, steward.Unavailable, "index busy, checkpoint incomplete")
	}
	return nil
}

// searchSQL pages through the documents that match, in rowid order, with
// a relevance score if rank: bm25, which weighs matches in the text fully
// and in its prefixes by half (the other columns say who and when, no
// measure of relevance), and is negative, lower for better matches.
func searchSQL(rank bool) string {
	score := "0.0"
	if rank {
		score = "-bm25(fts, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0)"
	}
	return `SELECT fts.rowid, d.id, d.conversation_id, d.sent, ` + score + `
FROM fts JOIN docs d ON d.rowid = fts.rowid
WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid <= ?
ORDER BY fts.rowid LIMIT ?`
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q *search.Query, f search.Filter) ([]search.Hit, error) {
	const op steward.Op = "sqlite.Index.Search"
	pl, err := x.keyer.Plan(q, f)
	if err != nil {
		return nil, steward.E(op, err)
	}
	// Rowids from the newest admitted millisecond to the oldest.
	lo, hi := orderKey(pl.Until-1), orderKey(pl.Since)|tieMask
	if f.After != "" {
		after, err := strconv.ParseInt(f.After, 10, 64)
		if err != nil || after < 0 {
			return nil, steward.E(op, steward.Invalid, "bad cursor")
		}
		lo = max(lo, after+1)
	}
	if pl.Empty() || lo > hi {
		return nil, nil
	}
	match := renderFTS(pl.Root)
	limit := f.PageSize()
	if !pl.Verify {
		hits, _, err := x.page(ctx, match, f.Rank, lo, hi, limit)
		if err != nil {
			return nil, x.err(op, err)
		}
		return hits, nil
	}
	// The index narrowed a long wildcard to its first MaxHashedPrefix
	// runes: open each candidate and keep those that truly match.
	var hits []search.Hit
	for len(hits) < limit {
		batch := max(2*(limit-len(hits)), 32)
		cands, last, err := x.page(ctx, match, f.Rank, lo, hi, batch)
		if err != nil {
			return nil, x.err(op, err)
		}
		for _, h := range cands {
			d, err := f.Load(ctx, h.ID)
			if steward.Is(steward.NotFound, err) || steward.Is(steward.Gone, err) {
				continue
			}
			if err != nil {
				return nil, steward.E(op, err)
			}
			if d != nil && search.Match(q, d) {
				if hits = append(hits, h); len(hits) == limit {
					break
				}
			}
		}
		if len(cands) < batch {
			break
		}
		lo = last + 1
	}
	return hits, nil
}

// page returns up to limit matching documents with rowids in [lo, hi],
// and the rowid of the last.
func (x *Index) page(ctx context.Context, match string, rank bool, lo, hi int64, limit int) ([]search.Hit, int64, error) {
	rows, err := x.r.QueryContext(ctx, searchSQL(rank), match, lo, hi, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var hits []search.Hit
	var rowid int64
	for rows.Next() {
		var h search.Hit
		var ms int64
		if err := rows.Scan(&rowid, &h.ID, &h.ConversationID, &ms, &h.Rank); err != nil {
			return nil, 0, err
		}
		h.Sent = time.UnixMilli(ms).UTC()
		h.Cursor = strconv.FormatInt(rowid, 10)
		hits = append(hits, h)
	}
	return hits, rowid, rows.Err()
}

// renderFTS writes a plan's condition in FTS5's query syntax. Every
// operand is a hashed token, which is an FTS5 bareword; phrases are quoted
// all the same, and every group parenthesized, so that no precedence rule
// of FTS5 matters.
func renderFTS(c *search.Cond) string {
	var b strings.Builder
	renderCond(&b, c)
	return b.String()
}

func renderCond(b *strings.Builder, c *search.Cond) {
	switch c.Op {
	case search.CondAll, search.CondPhrase:
		renderColumns(b, c.Columns)
		renderPhrase(b, c.Tokens)
	case search.CondNear:
		// FTS5's NEAR counts the tokens between two phrases; w/N counts
		// the distance between their positions, one more.
		b.WriteString("text : NEAR(")
		renderPhrase(b, c.Kids[0].Tokens)
		b.WriteByte(' ')
		renderPhrase(b, c.Kids[1].Tokens)
		fmt.Fprintf(b, ", %d)", c.N-1)
	default:
		sep := map[search.CondOp]string{search.CondAnd: " AND ", search.CondOr: " OR ", search.CondAndNot: " NOT "}[c.Op]
		b.WriteByte('(')
		for i, k := range c.Kids {
			if i > 0 {
				b.WriteString(sep)
			}
			renderCond(b, k)
		}
		b.WriteByte(')')
	}
}

func renderColumns(b *strings.Builder, cols search.ColumnSet) {
	var names []string
	for c := range search.NumColumns {
		if cols.Has(c) {
			names = append(names, ftsColumns[c])
		}
	}
	if len(names) == 1 {
		b.WriteString(names[0])
	} else {
		b.WriteString("{" + strings.Join(names, " ") + "}")
	}
	b.WriteString(" : ")
}

func renderPhrase(b *strings.Builder, toks []string) {
	b.WriteByte('"')
	b.WriteString(strings.Join(toks, " "))
	b.WriteByte('"')
}

// RawFTS is the baseline that `steward bench search` times the blind index
// against: what an ordinary FTS5 index of the same documents costs. It
// stores the plaintext, so it exists for benchmarks in temporary files
// only, never in a data directory.
//
// Its table has the blind index's columns but plain words, tokenized by
// FTS5's unicode61, and answers wildcards from FTS5's own term index
// rather than from a column of prefixes. Queries are translated from the
// same parsed query, with the same rowid order, join and ranking, so the
// two differ only by blindness. Dates inside OR or NOT are not translated
// (Invalid): they are not needed to compare speed.
type RawFTS struct {
	w, r *sql.DB
	ins  *sql.Stmt
}

const rawSchema = `
CREATE TABLE docs (
	rowid           INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	conversation_id TEXT NOT NULL,
	sent            INTEGER NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5(
	text, sender, recipients, members, files, meta,
	content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);`

// OpenRawFTS creates a baseline index in a new file at path. Returns
// Conflict if the file exists.
func OpenRawFTS(path string) (*RawFTS, error) {
	const op steward.Op = "sqlite.OpenRawFTS"
	if _, err := os.Stat(path); err == nil {
		return nil, steward.E(op, steward.Conflict, "index file already exists")
	}
	x := &RawFTS{}
	var err error
	if x.w, err = sql.Open("sqlite", indexDSN(path, false)); err != nil {
		return nil, steward.E(op, steward.Invalid, "bad index path", err)
	}
	x.w.SetMaxOpenConns(1)
	err = (&DB{w: x.w}).setWAL(context.Background())
	if err == nil {
		_, err = x.w.Exec(rawSchema)
	}
	if err == nil {
		x.ins, err = x.w.Prepare(`INSERT INTO docs (rowid, id, conversation_id, sent) VALUES (?, ?, ?, ?)`)
	}
	if err == nil {
		x.r, err = sql.Open("sqlite", indexDSN(path, true))
	}
	if err != nil {
		x.Close()
		return nil, dbErr(op, err, "")
	}
	x.r.SetMaxOpenConns(readers)
	return x, nil
}

// Close closes the baseline index.
func (x *RawFTS) Close() error {
	if x.ins != nil {
		x.ins.Close()
	}
	if x.r != nil {
		x.r.Close()
	}
	return x.w.Close()
}

// Add indexes docs in plaintext in one transaction; ids must be new.
func (x *RawFTS) Add(ctx context.Context, docs ...*search.Doc) error {
	const op steward.Op = "sqlite.RawFTS.Add"
	// In rowid order, as Index.Add inserts.
	docs = slices.Clone(docs)
	slices.SortFunc(docs, func(a, b *search.Doc) int {
		return cmp.Compare(orderKey(search.ClampTime(a.Sent).UnixMilli())|tieOf(a.ID), orderKey(search.ClampTime(b.Sent).UnixMilli())|tieOf(b.ID))
	})
	err := runTx(ctx, x.w, func(tx *sql.Tx) error {
		ins := tx.StmtContext(ctx, x.ins)
		fts, err := tx.PrepareContext(ctx, `INSERT INTO fts (rowid, text, sender, recipients, members, files, meta) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer fts.Close()
		for _, d := range docs {
			rowid, err := insertDoc(ctx, ins, d.ID, d.ConversationID, search.ClampTime(d.Sent))
			if err != nil {
				return err
			}
			parties := func(ps ...search.Party) string {
				var b strings.Builder
				for _, p := range ps {
					b.WriteString(p.Address + " " + p.Name + " ")
				}
				return b.String()
			}
			meta := []string{"all", "conv" + rawTag(d.ConversationID), "chan" + rawTag(d.Channel), "dir" + rawTag(string(d.Direction))}
			for _, c := range d.Custodians {
				meta = append(meta, "cust"+rawTag(c))
			}
			for _, s := range d.DLP {
				meta = append(meta, "dlp"+rawTag(s))
			}
			for _, f := range []struct {
				set bool
				tag string
			}{{d.HasAttachment, "att"}, {d.Deleted, "del"}, {d.Edited, "edit"}} {
				if f.set {
					meta = append(meta, f.tag)
				}
			}
			_, err = fts.ExecContext(ctx, rowid, strings.Join(d.Text, "\n"), parties(d.From), parties(d.To...),
				parties(d.Participants...), strings.Join(d.Filenames, "\n"), strings.Join(meta, " "))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return dbErr(op, err, "")
	}
	return nil
}

// rawTag makes a value one FTS5 token: its letters and digits, lower-cased.
func rawTag(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s))
}

// Search returns the number of hits of the first page of q within f, found
// as Index.Search finds them. Long wildcards are answered exactly by FTS5.
func (x *RawFTS) Search(ctx context.Context, q *search.Query, f search.Filter) (int, error) {
	const op steward.Op = "sqlite.RawFTS.Search"
	if err := f.Check(); err != nil {
		return 0, steward.E(op, err)
	}
	since, until := search.MinTime.UnixMilli(), search.MaxTime.UnixMilli()
	if !f.Since.IsZero() {
		since = max(since, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		until = min(until, f.Until.UnixMilli())
	}
	top := []*search.Node{q.Root()}
	if q.Root().Op == search.OpAnd {
		top = q.Root().Kids
	}
	var conds []string
	for _, n := range top {
		if n.Op == search.OpField && (n.Field == search.FieldBefore || n.Field == search.FieldAfter || n.Field == search.FieldOn) {
			day, _ := time.Parse(time.DateOnly, n.Value)
			lo, hi := day, day.AddDate(0, 0, 1)
			switch n.Field {
			case search.FieldBefore:
				lo, hi = search.MinTime, day
			case search.FieldAfter:
				lo, hi = hi, search.MaxTime
			}
			since, until = max(since, lo.UnixMilli()), min(until, hi.UnixMilli())
			continue
		}
		c, err := rawCond(n)
		if err != nil {
			return 0, steward.E(op, steward.Invalid, err.Error())
		}
		conds = append(conds, c)
	}
	for _, a := range []struct {
		tag string
		ids []string
	}{{"cust", f.Custodians}, {"conv", f.Conversations}} {
		if len(a.ids) > 0 {
			var alts []string
			for _, id := range a.ids {
				alts = append(alts, `meta : "`+a.tag+rawTag(id)+`"`)
			}
			conds = append(conds, "("+strings.Join(alts, " OR ")+")")
		}
	}
	if len(conds) == 0 {
		conds = []string{`meta : "all"`}
	}
	if since >= until {
		return 0, nil
	}
	rows, err := x.r.QueryContext(ctx, searchSQL(f.Rank), strings.Join(conds, " AND "), orderKey(until-1), orderKey(since)|tieMask, f.PageSize())
	if err != nil {
		return 0, dbErr(op, err, "")
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var rowid, ms int64
		var id, conv string
		var rank float64
		if err := rows.Scan(&rowid, &id, &conv, &ms, &rank); err != nil {
			return 0, dbErr(op, err, "")
		}
		n++
	}
	return n, rows.Err()
}

// rawCond translates a query node to FTS5 over plaintext.
func rawCond(n *search.Node) (string, error) {
	quote := func(words []string) string { return `"` + strings.Join(words, " ") + `"` }
	switch n.Op {
	case search.OpPhrase:
		return "text : " + quote(n.Words), nil
	case search.OpPrefix:
		return "text : " + quote(n.Words) + "*", nil
	case search.OpNear:
		return fmt.Sprintf("text : NEAR(%s %s, %d)", quote(n.Kids[0].Words), quote(n.Kids[1].Words), n.N-1), nil
	case search.OpNot:
		c, err := rawCond(n.Kids[0])
		return `(meta : "all" NOT ` + c + ")", err
	case search.OpAnd, search.OpOr:
		var pos, neg []string
		for _, k := range n.Kids {
			if n.Op == search.OpAnd && k.Op == search.OpNot {
				c, err := rawCond(k.Kids[0])
				if err != nil {
					return "", err
				}
				neg = append(neg, c)
				continue
			}
			c, err := rawCond(k)
			if err != nil {
				return "", err
			}
			pos = append(pos, c)
		}
		if n.Op == search.OpOr {
			return "(" + strings.Join(pos, " OR ") + ")", nil
		}
		if len(pos) == 0 {
			pos = []string{`meta : "all"`}
		}
		c := "(" + strings.Join(pos, " AND ") + ")"
		if len(neg) > 0 {
			c = "(" + c + " NOT (" + strings.Join(neg, " OR ") + "))"
		}
		return c, nil
	}
	words := search.Tokens(n.Value)
	switch n.Field {
	case search.FieldFrom:
		return "sender : " + quote(words), nil
	case search.FieldTo:
		return "recipients : " + quote(words), nil
	case search.FieldParticipant:
		return "{sender recipients members} : " + quote(words), nil
	case search.FieldFilename:
		return "files : " + quote(words), nil
	case search.FieldCustodian:
		return `meta : "cust` + rawTag(n.Value) + `"`, nil
	case search.FieldConversation:
		return `meta : "conv` + rawTag(n.Value) + `"`, nil
	case search.FieldChannel:
		return `meta : "chan` + rawTag(n.Value) + `"`, nil
	case search.FieldDirection:
		return `meta : "dir` + rawTag(n.Value) + `"`, nil
	case search.FieldDLP:
		return `meta : "dlp` + rawTag(n.Value) + `"`, nil
	case search.FieldHas:
		return `meta : "att"`, nil
	case search.FieldDeleted, search.FieldEdited:
		tag := map[search.Field]string{search.FieldDeleted: `meta : "del"`, search.FieldEdited: `meta : "edit"`}[n.Field]
		if n.Value == "false" {
			return `(meta : "all" NOT ` + tag + ")", nil
		}
		return tag, nil
	}
	return "", fmt.Errorf("the baseline does not translate %s: inside OR or NOT", n.Field)
}
