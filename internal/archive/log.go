package archive

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// Options configures a Log. Zero values take the documented defaults.
type Options struct {
	// Origin names the log in its checkpoints. Default: the signer's name,
	// which GenerateKey sets to the origin.
	Origin string
	// CheckpointEvery issues a checkpoint once the log has grown by this
	// many records since the last one. Default 1000.
	CheckpointEvery int64
	// CheckpointInterval issues a checkpoint this often if the log grew
	// since the last stored one. Default 10s.
	CheckpointInterval time.Duration
	// MaxBatch is the most records one group commit takes. An Append
	// with more records than this is committed alone. Default 1024.
	MaxBatch int
	// Logger receives checkpoint failures and other conditions that are
	// not returned to callers. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock for CapturedAt and checkpoint times. Default time.Now.
	Now func() time.Time
}

// Result is the outcome of appending one record.
type Result struct {
	Ref steward.RecordRef
	// Replayed is true if the idempotency key was already in the log (or
	// earlier in the same batch): Ref is the original record, and nothing
	// new was stored. Replay goes by key alone; the retried record's other
	// fields are not compared with the original's.
	Replayed bool
}

// Log is the append side of the archive log. It funnels every Append
// through one writer goroutine that commits whatever is waiting as one
// store transaction (group commit), keeps the right edge of the Merkle tree
// in memory, and issues signed checkpoints.
//
// A Log is safe for concurrent use. Several processes may append to the
// same store (e.g. the server and an offline tool); each notices the
// other's records at its next commit. Proof and checkpoint reads go to the
// store and may run in any process.
type Log struct {
	store  steward.LogStore
	signer note.Signer
	origin string
	opts   Options
	log    *slog.Logger

	size   atomic.Int64                       // committed records seen by this Log
	latest atomic.Pointer[steward.Checkpoint] // the largest stored checkpoint

	// ctx is the writer's context. It outlives Open's caller and is
	// cancelled only when Close gives up waiting.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.RWMutex // guards closed; held for reading while sending on reqs or cpReqs
	closed bool
	reqs   chan *request
	cpReqs chan *cpRequest
	done   chan struct{} // closed when the writer has exited

	// The asynchronous checkpoint store. Storing a checkpoint is a durable
	// write of its own; doing it off the writer goroutine keeps it out of
	// the capture path.
	cpMu      sync.Mutex
	cpPending *steward.Checkpoint
	cpKick    chan struct{}
	cpStop    chan struct{}
	cpDone    chan struct{}

	// Writer-owned state: touched only by the writer goroutine (and by
	// Open before it starts).
	tree         frontier
	signed       int64 // size of the last checkpoint signed
	keys         []string
	syncq        chan synced   // committed batches waiting for Sync
	synced       chan struct{} // closed when the syncer has exited
	ins          []*steward.Record
	seen         map[string]steward.RecordRef
	insertFailed bool
}

// request is one Append call travelling to the writer.
type request struct {
	ctx  context.Context
	recs []*steward.Record
	sums []recordSums // digests computed on the caller's goroutine
	res  []Result
	err  error
	done chan struct{} // buffered; the writer sends once
}

type recordSums struct{ meta, sealed steward.Hash }

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

func (r *request) finish(err error) {
	r.err = err
	r.done <- struct{}{}
}

// undo clears what a failed commit wrote into the caller's records.
func (r *request) undo() {
	for _, rec := range r.recs {
		rec.LeafIndex, rec.CapturedAt, rec.Leaf, rec.TreeHashes = -1, time.Time{}, nil, nil
	}
	clear(r.res)
}

type cpRequest struct {
	minSize int64
	reply   chan cpReply // buffered
}

type cpReply struct {
	cp    *steward.Checkpoint
	fresh bool // signed for this request; the caller stores it
	err   error
}

// Open starts a Log over store, signing checkpoints with signer. It reads
// the log's size and the right edge of its tree from the store, and checks
// the latest stored checkpoint against it (logging an error, not failing,
// if they disagree: capture must go on, and Verify names the damage).
func Open(ctx context.Context, store steward.LogStore, signer note.Signer, opts Options) (*Log, error) {
	const op steward.Op = "archive.Open"
	if store == nil || signer == nil {
		return nil, steward.E(op, steward.Invalid, "archive log needs a store and a checkpoint signer")
	}
	if opts.Origin == "" {
		opts.Origin = signer.Name()
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{
		store:  store,
		signer: signer,
		origin: opts.Origin,
		opts:   opts,
		log:    opts.Logger,
		reqs:   make(chan *request, opts.MaxBatch),
		cpReqs: make(chan *cpRequest),
		done:   make(chan struct{}),
		cpKick: make(chan struct{}, 1),
		cpStop: make(chan struct{}),
		cpDone: make(chan struct{}),
		syncq:  make(chan synced, 64),
		synced: make(chan struct{}),
		seen:   make(map[string]steward.RecordRef),
	}
	size, err := store.LogSize(ctx)
	if err != nil {
		return nil, steward.E(op, "cannot read archive log size", err)
	}
	rd := storeReader(func(idx []int64) ([]steward.Hash, error) { return store.ReadHashes(ctx, idx) })
	if err := l.tree.load(size, rd); err != nil {
		return nil, steward.E(op, "cannot read archive tree", err)
	}
	l.size.Store(size)
	switch cp, err := store.LatestCheckpoint(ctx); {
	case steward.Is(steward.NotFound, err):
	case err != nil:
		return nil, steward.E(op, "cannot read latest checkpoint", err)
	default:
		l.latest.Store(cp)
		l.signed = cp.Size
		l.checkLatest(cp, rd)
	}
	l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go l.run()
	go l.runSyncer()
	go l.runCheckpointer()
	return l, nil
}

// checkLatest logs loudly if the stored log no longer matches its own
// latest checkpoint: a sign of a restored backup, truncation or tampering.
func (l *Log) checkLatest(cp *steward.Checkpoint, rd tlog.HashReader) {
	if cp.Size > l.tree.size {
		l.log.Error("archive: log is shorter than its latest checkpoint; it was truncated or rolled back",
			"checkpoint_size", cp.Size, "log_size", l.tree.size)
		return
	}
	root, err := tlog.TreeHash(cp.Size, rd)
	if err != nil {
		l.log.Error("archive: cannot check latest checkpoint", "size", cp.Size, "err", err)
	} else if steward.Hash(root) != cp.Root {
		l.log.Error("archive: stored tree does not match the latest checkpoint", "size", cp.Size)
	}
}

// Sync makes every record committed so far durable; see LogStore.Sync.
// Sources that answer a replay from a store lookup call it first.
func (l *Log) Sync(ctx context.Context) error {
	return l.store.Sync(ctx)
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// Size returns the number of committed records this Log knows of. Records
// appended by another process count once this Log has committed after them.
func (l *Log) Size() int64 { return l.size.Load() }

// Append captures recs atomically: when it returns nil every record is
// durably committed (or was already, see Result.Replayed); when it returns
// an error none of them is. The caller sets ID, Kind, IdempotencyKey, Meta,
// Sealed, KeyID and WrappedKey; Append sets LeafIndex, CapturedAt, Leaf and
// TreeHashes on the records it stores. Results are in the order of recs.
//
// Returns Invalid (and queues nothing) if a record is malformed: an unknown
// kind, an empty or oversized ID or idempotency key, or Meta that is not
// JSON. Returns Unavailable if the log is closed or ctx ends before the
// records reach a commit. A failed commit returns the store's error with
// its kind kept (Unavailable when the store cannot take writes, Conflict
// for a reused record ID). In every error case nothing was captured, and
// the caller may retry with the same idempotency keys.
func (l *Log) Append(ctx context.Context, recs ...*steward.Record) ([]Result, error) {
	const op steward.Op = "archive.Append"
	if len(recs) == 0 {
		return nil, nil
	}
	r := requestPool.Get().(*request)
	r.sums = r.sums[:0]
	for i, rec := range recs {
		if msg := checkRecord(rec); msg != "" {
			requestPool.Put(r)
			return nil, steward.Errorf(op, steward.Invalid, "record %d: %s", i, msg)
		}
		// Hash content here, on the caller's goroutine, so the single
		// writer only assembles leaves.
		r.sums = append(r.sums, recordSums{sha256.Sum256(rec.Meta), sha256.Sum256(rec.Sealed)})
	}
	r.ctx, r.recs, r.res = ctx, recs, make([]Result, len(recs))

	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		requestPool.Put(r)
		return nil, steward.E(op, steward.Unavailable, "log closed")
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.mu.RUnlock()
		requestPool.Put(r)
		return nil, steward.E(op, steward.Unavailable, "request cancelled before capture", ctx.Err())
	}
	l.mu.RUnlock()

	// Once queued, wait for the outcome even if ctx ends: the writer owns
	// the records until then, and the wait is bounded by one commit.
	<-r.done
	res, err := r.res, r.err
	*r = request{done: r.done, sums: r.sums[:0]}
	requestPool.Put(r)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkRecord returns why rec cannot be appended, or "".
func checkRecord(rec *steward.Record) string {
	switch {
	case rec == nil:
		return "nil record"
	case !steward.ValidRecordKind(rec.Kind):
		return fmt.Sprintf("unknown record kind %q", rec.Kind)
	case rec.ID == "" || len(rec.ID) > MaxIDLen:
		return fmt.Sprintf("record id must be 1 to %d bytes", MaxIDLen)
	case rec.IdempotencyKey == "" || len(rec.IdempotencyKey) > MaxKeyLen:
		return fmt.Sprintf("idempotency key must be 1 to %d bytes", MaxKeyLen)
	case !json.Valid(rec.Meta):
		return "metadata is not valid JSON"
	}
	return ""
}

// minBatch is the least a batch takes of what is waiting, so that a short
// queue is not split into commits of a record or two.
const minBatch = 16

// synced is a committed batch waiting to be made durable.
type synced struct {
	reqs []*request
	size int64 // log size after the batch
}

// runSyncer makes committed batches durable and only then answers their
// requests. While it waits for the disk, the writer builds and commits the
// next batch; one Sync covers every batch committed before it, so under
// load each fsync serves several batches.
func (l *Log) runSyncer() {
	const op steward.Op = "archive.Append"
	defer close(l.synced)
	var pending []synced
	for s := range l.syncq {
		pending = append(pending[:0], s)
	drain:
		for {
			select {
			case s, ok := <-l.syncq:
				if !ok {
					break drain
				}
				pending = append(pending, s)
			default:
				break drain
			}
		}
		err := l.store.Sync(l.ctx)
		if err != nil {
			// Committed but not known to be on disk: the caller is told it
			// failed, retries, and the retry is answered as a replay.
			err = steward.E(op, "capture not confirmed durable; retry it", err)
		}
		for _, p := range pending {
			// The size first: a caller woken by finish may read it at once.
			if err == nil {
				l.size.Store(p.size)
			}
			for _, r := range p.reqs {
				r.finish(err)
			}
		}
		clear(pending)
	}
}

// run is the writer goroutine.
func (l *Log) run() {
	defer close(l.done)
	defer close(l.syncq) // after the last commit: the syncer drains and exits
	tick := time.NewTicker(l.opts.CheckpointInterval)
	defer tick.Stop()
	var (
		batch []*request
		carry *request // taken from the queue but did not fit the last batch
	)
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					l.finish()
					return
				}
				first = r
			case c := <-l.cpReqs:
				l.serveCheckpoint(c)
				continue
			case <-tick.C:
				if l.tree.size > l.latestSize() {
					l.issue()
				}
				continue
			}
		}
		// Group commit: take what is already waiting, without waiting
		// for more. Under load the queue refills during each commit, so
		// batches grow exactly when fsyncs are the bottleneck.
		batch = append(batch[:0], first)
		n := len(first.recs)
		// Take about half of what is waiting, not all of it. Producers
		// whose items are in the batch can only prepare their next items
		// after it commits; leaving half queued keeps both cores busy
		// (one committing, the other preparing) instead of alternating.
		limit := min(l.opts.MaxBatch, max(minBatch, (len(l.reqs)+1)/2))
	drain:
		for n < limit {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break drain // seen again, and handled, at the top
				}
				if n+len(r.recs) > limit {
					carry = r
					break drain
				}
				batch = append(batch, r)
				n += len(r.recs)
			default:
				break drain
			}
		}
		l.commit(batch)
		clear(batch) // drop references to finished requests
		if l.tree.size-l.signed >= l.opts.CheckpointEvery {
			l.issue()
		}
	}
}

// finish runs when Close has closed the queue and it is drained.
func (l *Log) finish() {
	if l.tree.size > l.latestSize() {
		l.issue()
	}
}

// commit appends a batch in one store transaction and reports the outcome
// to every request in it.
func (l *Log) commit(batch []*request) {
	const op steward.Op = "archive.Append"
	// A caller that gave up before its records reached a transaction is
	// told so, and its records are not stored.
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.finish(steward.E(op, steward.Unavailable, "request cancelled before capture", err))
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	saved := l.tree
	now := l.opts.Now().UTC()
	// Replays are rare, so the first attempt skips the idempotency lookup
	// and lets the store's unique index catch a replay as a Conflict; only
	// then is the batch redone with the lookup. This saves the writer, the
	// one serial stage of capture, a query per batch.
	lookup := false
	var err error
	for {
		l.insertFailed = false
		err = l.store.AppendTx(l.ctx, func(tx steward.LogTx) error {
			l.tree = saved // in case the store retries fn after a failed attempt
			return l.appendTx(tx, live, now, lookup)
		})
		if err == nil {
			break
		}
		l.tree = saved
		for _, r := range live {
			r.undo()
		}
		if lookup || !l.insertFailed || !steward.Is(steward.Conflict, err) {
			break
		}
		lookup = true
	}
	if err != nil {
		// One request's bad record (say, a reused record ID) must not
		// fail the strangers it was batched with: retry each alone.
		if l.insertFailed && len(live) > 1 {
			for _, r := range live {
				l.commit([]*request{r})
			}
			return
		}
		err = steward.E(op, "capture not committed; nothing was stored", err)
		for _, r := range live {
			r.finish(err)
		}
		return
	}
	l.syncq <- synced{reqs: slices.Clone(live), size: l.tree.size}
}

// appendTx is the body of a batch's transaction. With lookup unset it
// assumes no record of the batch is stored yet, and relies on the store
// to refuse a duplicate.
func (l *Log) appendTx(tx steward.LogTx, batch []*request, now time.Time, lookup bool) error {
	size, err := tx.Size()
	if err != nil {
		return err
	}
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		if hs, err := l.tree.ReadHashes(idx); err == nil {
			return hs, nil
		}
		return storeReader(tx.ReadHashes).ReadHashes(idx)
	})
	if size != l.tree.size {
		// Another process appended since our last commit. Its records
		// are durable and part of the tree: continue from them.
		l.log.Warn("archive: log grew outside this process; continuing from the stored tree",
			"expected_size", l.tree.size, "size", size)
		if err := l.tree.load(size, storeReader(tx.ReadHashes)); err != nil {
			return err
		}
	}

	keys := l.keys[:0]
	for _, r := range batch {
		for _, rec := range r.recs {
			keys = append(keys, rec.IdempotencyKey)
		}
	}
	l.keys = keys
	var found map[string]steward.RecordRef
	if lookup {
		if found, err = tx.FindByIdempotencyKeys(keys); err != nil {
			return err
		}
	}
	// Empty seen key by key: clear() would cost the map's high-water
	// capacity on every batch, however small.
	defer func() {
		for _, k := range keys {
			delete(l.seen, k)
		}
		clear(keys) // don't pin callers' strings
	}()

	nanos := now.UnixNano()
	ins := l.ins[:0]
	defer func() { clear(ins); l.ins = ins[:0] }()
	for _, r := range batch {
		// A request is one item: if its first record is already in the
		// log, the whole request is a replay and stores nothing, even
		// records the original did not have (a replay must never add
		// attachments to a message captured earlier).
		if _, ok := l.lookup(found, r.recs[0].IdempotencyKey); ok {
			for i, rec := range r.recs {
				ref, _ := l.lookup(found, rec.IdempotencyKey)
				r.res[i] = Result{Ref: ref, Replayed: true}
			}
			continue
		}
		for i, rec := range r.recs {
			key := rec.IdempotencyKey
			if ref, ok := l.lookup(found, key); ok {
				r.res[i] = Result{Ref: ref, Replayed: true}
				continue
			}
			n := l.tree.size
			// One allocation holds the leaf and the tree hashes this
			// leaf stores: 1 + (number of subtrees it completes).
			ll := leafLen(rec.Kind, rec.ID, key)
			nh := 1 + bits.TrailingZeros64(^uint64(n))
			buf := make([]byte, 0, ll+nh*tlog.HashSize)
			buf = appendLeaf(buf, rec.Kind, rec.ID, key, nanos, r.sums[i].meta, r.sums[i].sealed)
			hashes, err := tlog.StoredHashes(n, buf, rd)
			if err != nil {
				return err
			}
			buf = appendHashes(buf, hashes)
			rec.LeafIndex, rec.CapturedAt = n, now
			rec.Leaf, rec.TreeHashes = buf[:ll:ll], buf[ll:]
			ins = append(ins, rec)
			l.tree.push(hashes)
			ref := steward.RecordRef{ID: rec.ID, LeafIndex: n, Kind: rec.Kind}
			l.seen[key] = ref
			r.res[i] = Result{Ref: ref}
		}
	}
	// One call for the whole batch lets the store use multi-row inserts.
	if err := tx.InsertRecords(ins); err != nil {
		l.insertFailed = true
		return err
	}
	return nil
}

// lookup finds a key stored before this batch or earlier in it.
func (l *Log) lookup(found map[string]steward.RecordRef, key string) (steward.RecordRef, bool) {
	if ref, ok := found[key]; ok {
		return ref, true
	}
	ref, ok := l.seen[key]
	return ref, ok
}

func (l *Log) latestSize() int64 {
	if cp := l.latest.Load(); cp != nil {
		return cp.Size
	}
	return 0
}

func (l *Log) setLatest(cp *steward.Checkpoint) {
	for {
		old := l.latest.Load()
		if old != nil && old.Size >= cp.Size {
			return
		}
		if l.latest.CompareAndSwap(old, cp) {
			return
		}
	}
}

// sign signs a checkpoint for the current tree. Writer goroutine only.
func (l *Log) sign() (*steward.Checkpoint, error) {
	// Never sign what could still be lost: a checkpoint handed to an
	// auditor must stay satisfiable after a power cut.
	if err := l.store.Sync(l.ctx); err != nil {
		return nil, err
	}
	root, err := l.tree.root()
	if err != nil {
		return nil, err
	}
	cp, err := signCheckpoint(l.signer, l.origin, l.tree.size, root, l.opts.Now().UTC())
	if err != nil {
		return nil, err
	}
	l.signed = cp.Size
	return cp, nil
}

// issue signs a checkpoint and hands it to the checkpoint store. A failure
// is logged, never returned: the records it covers are already durable,
// and the next checkpoint covers them too.
func (l *Log) issue() {
	cp, err := l.sign()
	if err != nil {
		l.log.Error("archive: cannot sign checkpoint", "size", l.tree.size, "err", err)
		return
	}
	l.cpMu.Lock()
	l.cpPending = cp // a newer checkpoint supersedes one not yet stored
	l.cpMu.Unlock()
	select {
	case l.cpKick <- struct{}{}:
	default:
	}
}

func (l *Log) runCheckpointer() {
	defer close(l.cpDone)
	for {
		select {
		case <-l.cpKick:
			l.storePending()
		case <-l.cpStop:
			l.storePending()
			return
		}
	}
}

func (l *Log) storePending() {
	l.cpMu.Lock()
	cp := l.cpPending
	l.cpPending = nil
	l.cpMu.Unlock()
	if cp == nil {
		return
	}
	if err := l.store.AddCheckpoint(l.ctx, cp); err != nil {
		l.log.Error("archive: cannot store checkpoint", "size", cp.Size, "err", err)
		return
	}
	l.setLatest(cp)
}

func (l *Log) serveCheckpoint(c *cpRequest) {
	const op steward.Op = "archive.Checkpoint"
	if cp := l.latest.Load(); cp != nil && cp.Size >= c.minSize {
		c.reply <- cpReply{cp: cp}
		return
	}
	if c.minSize > l.tree.size {
		// Another process (an offline tool) may have appended: catch up
		// with the stored tree before deciding the log is too short.
		if err := l.sync(); err != nil {
			c.reply <- cpReply{err: err}
			return
		}
	}
	if c.minSize > l.tree.size {
		c.reply <- cpReply{err: steward.Errorf(op, steward.Invalid, "log has %d records, fewer than %d", l.tree.size, c.minSize)}
		return
	}
	cp, err := l.sign()
	c.reply <- cpReply{cp: cp, fresh: true, err: err}
}

// sync brings the in-memory tree up to the stored log, in an otherwise
// empty write transaction so that no append can interleave. Writer
// goroutine only.
func (l *Log) sync() error {
	err := l.store.AppendTx(l.ctx, func(tx steward.LogTx) error {
		size, err := tx.Size()
		if err != nil || size == l.tree.size {
			return err
		}
		return l.tree.load(size, storeReader(tx.ReadHashes))
	})
	if err == nil {
		l.size.Store(l.tree.size)
	}
	return err
}

// Checkpoint returns a stored checkpoint covering at least minSize
// records: the latest if it does, or else a new one for the current size,
// signed now and stored before Checkpoint returns.
//
// Returns Invalid if the log has fewer than minSize records, and
// Unavailable if the log is closed (and the latest checkpoint is too
// small) or the checkpoint cannot be stored.
func (l *Log) Checkpoint(ctx context.Context, minSize int64) (*steward.Checkpoint, error) {
	const op steward.Op = "archive.Checkpoint"
	if cp := l.latest.Load(); cp != nil && cp.Size >= minSize {
		return cp, nil
	}
	c := &cpRequest{minSize: minSize, reply: make(chan cpReply, 1)}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil, steward.E(op, steward.Unavailable, "log closed")
	}
	select {
	case l.cpReqs <- c:
	case <-ctx.Done():
		l.mu.RUnlock()
		return nil, steward.E(op, steward.Unavailable, "cancelled", ctx.Err())
	}
	l.mu.RUnlock()
	rep := <-c.reply
	if rep.err != nil {
		return nil, steward.E(op, rep.err)
	}
	if rep.fresh {
		if err := l.store.AddCheckpoint(ctx, rep.cp); err != nil {
			return nil, steward.E(op, "cannot store checkpoint", err)
		}
		l.setLatest(rep.cp)
	}
	return rep.cp, nil
}

// Close stops the log: later Appends return Unavailable, queued ones are
// committed, a final checkpoint is issued and stored if the log grew, and
// the goroutines exit. If ctx ends first, pending commits are abandoned
// (their callers get errors) and Close returns Unavailable. Closing twice
// is not an error.
func (l *Log) Close(ctx context.Context) error {
	const op steward.Op = "archive.Close"
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.cpDone
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()

	var err error
	select {
	case <-l.done:
	case <-ctx.Done():
		err = steward.E(op, steward.Unavailable, "archive log did not drain in time", ctx.Err())
		l.cancel()
		<-l.done
	}
	<-l.synced
	close(l.cpStop)
	<-l.cpDone
	l.cancel()
	return err
}
