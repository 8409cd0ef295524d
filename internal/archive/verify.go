package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/steward"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Store steward.LogStore  // required
	Blobs steward.BlobStore // attachment bytes; nil skips blob checks
	// Verifier is the log's public checkpoint key (required), and Origin
	// its origin line (default: Verifier.Name()).
	Verifier note.Verifier
	Origin   string
	// Open, if set, is called for every record whose data key still
	// exists and should return nil if the record's content decrypts and
	// authenticates. It is called from several goroutines at once.
	Open func(ctx context.Context, r *steward.Record) error
	// Trusted is a checkpoint note saved earlier outside the archive
	// (published, escrowed, or kept by an auditor). It is the only defence
	// against an archive cut back to an earlier state.
	Trusted []byte
	// Progress, if set, is called about every 1000 records and at the end
	// with the records checked so far and the log size when Verify began.
	// Calls come from one goroutine.
	Progress func(done, total int64)
	// Workers is how many goroutines hash content, check blobs and
	// decrypt. Default GOMAXPROCS.
	Workers int
	// MaxProblems caps Report.Problems; further problems are only
	// counted in Report.Omitted. Zero means no cap.
	MaxProblems int
}

// Report is what Verify found.
type Report struct {
	Records     int64     `json:"records"`     // records checked
	Shredded    int64     `json:"shredded"`    // records whose data key is destroyed
	Decrypted   int64     `json:"decrypted"`   // records Open confirmed
	Checkpoints int64     `json:"checkpoints"` // stored checkpoints checked
	Bytes       int64     `json:"bytes"`       // meta, sealed, leaf and blob bytes hashed
	Unsigned    int64     `json:"unsigned"`    // records after the last valid checkpoint
	Problems    []Problem `json:"problems"`
	Omitted     int64     `json:"omitted,omitempty"` // problems beyond MaxProblems
}

// OK reports whether the archive verified without a problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.Omitted == 0 }

// Problem is one thing wrong with the archive.
type Problem struct {
	LeafIndex  int64  `json:"leaf_index"`           // the record's leaf index, or -1
	RecordID   string `json:"record_id,omitempty"`  // the record's id, if about a record
	Checkpoint int64  `json:"checkpoint,omitempty"` // the stored checkpoint's size, if about one
	What       string `json:"what"`
}

func (p Problem) String() string {
	switch {
	case p.LeafIndex >= 0 && p.RecordID != "":
		return fmt.Sprintf("leaf %d (record %s): %s", p.LeafIndex, p.RecordID, p.What)
	case p.LeafIndex >= 0:
		return fmt.Sprintf("leaf %d: %s", p.LeafIndex, p.What)
	}
	return p.What
}

// Verify re-derives the whole archive from its records and checks it
// against everything stored about it: every leaf, every stored tree hash,
// every checkpoint signature and root, the consistency of consecutive
// checkpoints, attachment blobs, decryptability (with Open) and, if given,
// a checkpoint saved outside the archive. It names every bad record and
// checkpoint rather than stopping at the first; integrity failures are
// Problems in the Report, and the error is only for failing to read
// (returned with the partial Report).
//
// Memory is O(log n) in the number of records: the tree is rebuilt from
// its right frontier as records stream past, while reading, hashing, blob
// checks and Open run on Workers goroutines each. The store is read in
// segments, with concurrent ScanRecords calls from different starting
// indexes, and each record handed to fn is kept after fn returns (the
// store must not reuse it). The algorithm is specified in
// docs/archive-format.md.
func Verify(ctx context.Context, opts VerifyOptions) (*Report, error) {
	const op steward.Op = "archive.Verify"
	if opts.Store == nil || opts.Verifier == nil {
		return nil, steward.E(op, steward.Invalid, "verify needs a store and a checkpoint verifier key")
	}
	if opts.Origin == "" {
		opts.Origin = opts.Verifier.Name()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	v := &verifier{opts: opts, rep: &Report{}, lastValid: -1}
	total, err := opts.Store.LogSize(ctx)
	if err != nil {
		return v.rep, steward.E(op, "cannot read log size", err)
	}
	v.total = total
	cps, err := opts.Store.Checkpoints(ctx)
	if err != nil {
		return v.rep, steward.E(op, "cannot read checkpoints", err)
	}
	v.prepare(cps)
	v.reachTargets() // size-0 checkpoints

	if err := v.scan(ctx); err != nil {
		// A partial scan cannot judge truncation or the remaining
		// checkpoints, so finish is skipped.
		return v.rep, steward.E(op, "cannot read archive", err)
	}
	v.finish()
	return v.rep, nil
}

// A target is a (size, root) claim to check when the rebuilt tree reaches
// that size: a stored checkpoint or the trusted one.
type target struct {
	size    int64
	root    steward.Hash
	trusted bool
	next    int  // index in targets of the next stored checkpoint, or -1
	matched bool // its root equals the rebuilt tree's
}

type verifier struct {
	opts  VerifyOptions
	rep   *Report
	total int64

	targets   []target // by size
	ti        int      // next target to reach
	lastValid int64    // size of the largest signed stored checkpoint, for Unsigned

	// Ordered stage state.
	tree     frontier
	next     int64 // leaf index expected next
	broken   bool  // a gap in the leaf indexes: the tree cannot be rebuilt past it
	lastGood int64 // size of the last checkpoint whose root matched

	// Consistency of consecutive stored checkpoints: while the tree grows
	// from cons.old.size to cons.new.size, capture the hashes
	// tlog.ProveTree will ask for.
	cons     *consistency
	reported int64
}

type consistency struct {
	old, new int // indexes in targets
	want     map[int64]bool
	have     map[int64]tlog.Hash
}

func (v *verifier) problem(p Problem) {
	if v.opts.MaxProblems > 0 && len(v.rep.Problems) >= v.opts.MaxProblems {
		v.rep.Omitted++
		return
	}
	v.rep.Problems = append(v.rep.Problems, p)
}

func (v *verifier) cpProblem(size int64, format string, args ...any) {
	v.problem(Problem{LeafIndex: -1, Checkpoint: size, What: fmt.Sprintf(format, args...)})
}

// prepare checks the signatures of the stored and trusted checkpoints and
// lines up the valid ones as targets.
func (v *verifier) prepare(cps []*steward.Checkpoint) {
	for _, cp := range cps {
		v.rep.Checkpoints++
		parsed, err := ParseCheckpoint(cp.Note, v.opts.Verifier, v.opts.Origin)
		if err != nil {
			v.cpProblem(cp.Size, "checkpoint %d: signature or origin does not verify", cp.Size)
			continue
		}
		if parsed.Size != cp.Size || parsed.Root != cp.Root {
			v.cpProblem(cp.Size, "checkpoint %d: stored size or root differs from its signed note (size %d)", cp.Size, parsed.Size)
		}
		// From here on, trust only what is signed.
		v.targets = append(v.targets, target{size: parsed.Size, root: parsed.Root})
		v.lastValid = max(v.lastValid, parsed.Size)
	}
	if len(v.opts.Trusted) > 0 {
		t, err := ParseCheckpoint(v.opts.Trusted, v.opts.Verifier, v.opts.Origin)
		if err != nil {
			v.problem(Problem{LeafIndex: -1, What: "saved checkpoint: signature or origin does not verify"})
		} else {
			v.targets = append(v.targets, target{size: t.Size, root: t.Root, trusted: true})
		}
	}
	slices.SortStableFunc(v.targets, func(a, b target) int {
		switch {
		case a.size != b.size:
			return int(min(max(a.size-b.size, -1), 1))
		case a.trusted != b.trusted:
			if a.trusted {
				return 1
			}
			return -1
		}
		return 0
	})
	next := -1
	for i := len(v.targets) - 1; i >= 0; i-- {
		v.targets[i].next = next
		if !v.targets[i].trusted {
			next = i
		}
	}
}

// reachTargets checks every target at the current tree size.
func (v *verifier) reachTargets() {
	for v.ti < len(v.targets) && v.targets[v.ti].size == v.tree.size {
		v.checkTarget(v.ti)
		v.ti++
	}
}

func (v *verifier) checkTarget(i int) {
	t := &v.targets[i]
	root, err := v.tree.root()
	if err != nil {
		v.cpProblem(t.size, "checkpoint %d: cannot rebuild tree: %v", t.size, err)
		return
	}
	t.matched = root == t.root
	switch {
	case t.trusted && !t.matched:
		v.problem(Problem{LeafIndex: -1, What: fmt.Sprintf("archive diverges from saved checkpoint (size %d)", t.size)})
	case t.trusted:
	case !t.matched && v.lastGood >= 0:
		v.cpProblem(t.size, "checkpoint %d: root does not match the records (the difference is in leaves %d to %d)", t.size, v.lastGood, t.size-1)
		v.lastGood = -1
	case !t.matched:
		v.cpProblem(t.size, "checkpoint %d: root does not match the records", t.size)
	default:
		v.lastGood = t.size
	}
	if t.trusted {
		return
	}
	if c := v.cons; c != nil && c.new == i {
		v.checkConsistency(c)
		v.cons = nil
	}
	if t.matched && t.next >= 0 && t.size > 0 && v.targets[t.next].size > t.size {
		v.startConsistency(i, t.next)
	}
}

// startConsistency notes which hashes tlog.ProveTree needs for the proof
// from targets[old] to targets[new], and captures those already on the
// frontier; the rest are produced by the records still to come.
func (v *verifier) startConsistency(old, new int) {
	c := &consistency{old: old, new: new, want: map[int64]bool{}, have: map[int64]tlog.Hash{}}
	dry := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		for _, x := range idx {
			c.want[x] = true
		}
		return make([]tlog.Hash, len(idx)), nil
	})
	if _, err := tlog.ProveTree(v.targets[new].size, v.targets[old].size, dry); err != nil {
		return
	}
	for x := range c.want {
		if h, ok := v.tree.lookup(x); ok {
			c.have[x] = h
		}
	}
	v.cons = c
}

func (v *verifier) checkConsistency(c *consistency) {
	o, n := &v.targets[c.old], &v.targets[c.new]
	if !o.matched || !n.matched {
		return // already reported; a proof between mismatched roots says nothing more
	}
	rd := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := c.have[x]
			if !ok {
				return nil, fmt.Errorf("hash %d not captured", x)
			}
			out[i] = h
		}
		return out, nil
	})
	p, err := tlog.ProveTree(n.size, o.size, rd)
	if err == nil {
		err = tlog.CheckTree(p, n.size, tlog.Hash(n.root), o.size, tlog.Hash(o.root))
	}
	if err != nil {
		v.cpProblem(n.size, "checkpoint %d: not consistent with checkpoint %d: %v", n.size, o.size, err)
	}
}

// A vchunk is a run of consecutive records travelling through the
// pipeline: workers fill out in any order, the ordered stage consumes
// chunks in scan order.
type vchunk struct {
	recs []*steward.Record
	out  []vresult
	done chan struct{}
}

type vresult struct {
	leafHash  tlog.Hash // the leaf hash to build the tree with (see leafHashFor)
	problems  []string
	bytes     int64
	shredded  bool
	decrypted bool
}

const (
	chunkSize   = 256
	segmentSize = 4 * chunkSize
)

// A segment is a range of leaf indexes that one scanner reads with its own
// ScanRecords call. Reading the store is usually the most expensive part
// of verification (decoding rows), so several segments are read at once;
// the ordered stage still consumes them in order.
type segment struct {
	from, to int64        // leaf indexes [from, to); to < 0 means to the end of the log
	chunks   chan *vchunk // the segment's chunks, in order; closed when read
}

// errSegmentEnd stops a segment's ScanRecords.
var errSegmentEnd = errors.New("end of segment")

// scan streams the records through the scanners, the workers and the
// ordered stage:
//
//	feeder ─▶ segments ─▶ scanners ─▶ chunks ─▶ workers (any order)
//	   └────▶ segments, in order ─▶ ordered stage (waits for each chunk)
//
// Memory is bounded by the segments in flight, a few thousand records.
// It relies on ScanRecords handing over each *Record for good: the record
// is still being read after fn returns.
func (v *verifier) scan(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := v.opts.Workers

	work := make(chan *vchunk, n*2)
	var workers sync.WaitGroup
	for range n {
		workers.Add(1)
		go func() {
			defer workers.Done()
			w := &worker{v: v, sum: sha256.New(), buf: make([]byte, 64<<10)}
			for c := range work {
				for i, r := range c.recs {
					w.check(ctx, r, &c.out[i])
				}
				close(c.done)
			}
		}()
	}

	segOrder := make(chan *segment, n+1)
	segWork := make(chan *segment, n+1)
	go func() {
		defer close(segWork)
		defer close(segOrder)
		for from := int64(0); ; from += segmentSize {
			s := &segment{from: from, to: from + segmentSize, chunks: make(chan *vchunk, segmentSize/chunkSize+1)}
			last := s.to >= v.total
			if last {
				s.to = -1 // and pick up records appended since Verify began
			}
			select {
			case segOrder <- s:
			case <-ctx.Done():
				return
			}
			segWork <- s
			if last {
				return
			}
		}
	}()

	var (
		errOnce  sync.Once
		firstErr error
		scanners sync.WaitGroup
	)
	for range n {
		scanners.Add(1)
		go func() {
			defer scanners.Done()
			for s := range segWork {
				if ctx.Err() == nil {
					if err := v.scanSegment(ctx, s, work); err != nil {
						errOnce.Do(func() { firstErr = err; cancel() })
					}
				}
				close(s.chunks)
			}
		}()
	}

	for s := range segOrder {
		for c := range s.chunks {
			<-c.done
			v.consume(c)
		}
	}
	scanners.Wait()
	close(work)
	workers.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// scanSegment reads one segment and sends its chunks to s.chunks, for the
// ordered stage, and to work, for the workers.
func (v *verifier) scanSegment(ctx context.Context, s *segment, work chan<- *vchunk) error {
	cur := &vchunk{recs: make([]*steward.Record, 0, chunkSize)}
	send := func() {
		cur.out = make([]vresult, len(cur.recs))
		cur.done = make(chan struct{})
		s.chunks <- cur
		work <- cur
		cur = &vchunk{recs: make([]*steward.Record, 0, chunkSize)}
	}
	err := v.opts.Store.ScanRecords(ctx, s.from, func(r *steward.Record) error {
		if s.to >= 0 && r.LeafIndex >= s.to {
			return errSegmentEnd // only after a gap in the leaf indexes
		}
		cur.recs = append(cur.recs, r)
		if len(cur.recs) == chunkSize {
			send()
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// Stop at the segment's last leaf rather than at the first leaf
		// past it, which would make the store read one page too many.
		if r.LeafIndex == s.to-1 {
			return errSegmentEnd
		}
		return nil
	})
	if errors.Is(err, errSegmentEnd) {
		err = nil
	}
	if err == nil && len(cur.recs) > 0 {
		send()
	}
	return err
}

// consume runs the ordered checks on a chunk: leaf index order, tree
// hashes, checkpoints.
func (v *verifier) consume(c *vchunk) {
	for i, rec := range c.recs {
		res := &c.out[i]
		v.rep.Records++
		v.rep.Bytes += res.bytes
		if res.shredded {
			v.rep.Shredded++
		}
		if res.decrypted {
			v.rep.Decrypted++
		}
		idx := rec.LeafIndex
		inTree := true
		switch {
		case idx < v.next:
			v.problem(Problem{LeafIndex: idx, RecordID: rec.ID,
				What: fmt.Sprintf("leaf index out of order or repeated (expected %d)", v.next)})
			inTree = false
		case idx > v.next:
			v.problem(Problem{LeafIndex: v.next,
				What: fmt.Sprintf("records at leaf indexes %d to %d are missing", v.next, idx-1)})
			v.broken = true
			v.next = idx
		}
		for _, what := range res.problems {
			v.problem(Problem{LeafIndex: idx, RecordID: rec.ID, What: what})
		}
		if !inTree {
			continue
		}
		v.next++
		if !v.broken {
			v.grow(rec, res.leafHash)
		}
	}
	if v.opts.Progress != nil && v.rep.Records-v.reported >= 1000 {
		v.reported = v.rep.Records
		v.opts.Progress(v.rep.Records, v.total)
	}
}

// grow appends one leaf to the rebuilt tree and checks the record's
// stored tree hashes against the recomputed ones. The tree keeps the
// recomputed hashes, so one altered record does not implicate later ones.
func (v *verifier) grow(rec *steward.Record, leafHash tlog.Hash) {
	n := v.tree.size
	hashes, err := tlog.StoredHashesForRecordHash(n, leafHash, &v.tree)
	if err != nil {
		// Cannot happen with a correct frontier; stop rebuilding rather
		// than report noise.
		v.problem(Problem{LeafIndex: n, RecordID: rec.ID, What: "cannot rebuild tree: " + err.Error()})
		v.broken = true
		return
	}
	if len(rec.TreeHashes) != len(hashes)*tlog.HashSize || !equalHashes(rec.TreeHashes, hashes) {
		v.problem(Problem{LeafIndex: n, RecordID: rec.ID, What: "stored tree hashes altered"})
	}
	if c := v.cons; c != nil {
		base := tlog.StoredHashIndex(0, n)
		for k := range hashes {
			if c.want[base+int64(k)] {
				c.have[base+int64(k)] = hashes[k]
			}
		}
	}
	v.tree.push(hashes)
	v.reachTargets()
}

func equalHashes(b []byte, hs []tlog.Hash) bool {
	for i := range hs {
		if !bytes.Equal(b[i*tlog.HashSize:(i+1)*tlog.HashSize], hs[i][:]) {
			return false
		}
	}
	return true
}

// finish reports what can only be judged once the scan is over.
func (v *verifier) finish() {
	size := v.next
	for ; v.ti < len(v.targets); v.ti++ {
		t := v.targets[v.ti]
		switch {
		case t.size > size && t.trusted:
			v.problem(Problem{LeafIndex: -1, What: fmt.Sprintf("archive truncated or rolled back: saved checkpoint covers %d records, archive has %d", t.size, size)})
		case t.size > size:
			v.cpProblem(t.size, "checkpoint %d: covers %d records, archive has %d (archive truncated or rolled back)", t.size, t.size, size)
		default: // only reachable after a gap
			v.cpProblem(t.size, "checkpoint %d: cannot be checked, records are missing before it", t.size)
		}
	}
	v.rep.Unsigned = size - min(max(v.lastValid, 0), size)
	if v.opts.Progress != nil {
		v.opts.Progress(v.rep.Records, v.total)
	}
}

// worker does the per-record checks that need no order: the expensive
// ones (content hashing, blobs, decryption).
type worker struct {
	v    *verifier
	leaf []byte
	sum  hash.Hash
	buf  []byte
}

func (w *worker) check(ctx context.Context, rec *steward.Record, res *vresult) {
	var probs []string
	res.bytes = int64(len(rec.Meta) + len(rec.Sealed) + len(rec.Leaf))
	w.leaf = appendLeaf(w.leaf[:0], rec.Kind, rec.ID, rec.IdempotencyKey, rec.CapturedAt.UnixNano(),
		sha256.Sum256(rec.Meta), sha256.Sum256(rec.Sealed))
	match := bytes.Equal(w.leaf, rec.Leaf)
	if !match {
		probs = append(probs, "leaf does not match record")
	}
	// A matching leaf is well formed iff the record's strings are in
	// bounds; only a mismatching one needs the full decoder.
	if match && !leafStringsOK(rec) {
		probs = append(probs, "stored leaf is malformed")
	} else if !match {
		if _, err := DecodeLeaf(rec.Leaf); err != nil {
			probs = append(probs, "stored leaf is malformed")
		}
	}
	res.leafHash = leafHashFor(w.leaf, rec, match)

	// A matching leaf proves the metadata is what the log committed to,
	// and the log only ever commits json.Marshal output; parsing it again
	// would cost a tenth of verify's time for nothing. Altered metadata
	// fails the leaf check first.
	if !match && !json.Valid(rec.Meta) {
		probs = append(probs, "metadata is not valid JSON")
	} else if w.v.opts.Blobs != nil && bytes.Contains(rec.Meta, []byte(`"blob"`)) {
		var m struct {
			Blob *steward.BlobRef `json:"blob"`
		}
		if err := json.Unmarshal(rec.Meta, &m); err != nil {
			probs = append(probs, "metadata blob reference is malformed")
		} else if m.Blob != nil {
			if p := w.checkBlob(ctx, rec, m.Blob, res); p != "" {
				probs = append(probs, p)
			}
		}
	}

	res.shredded = rec.Shredded()
	if !res.shredded && w.v.opts.Open != nil {
		if err := w.v.opts.Open(ctx, rec); err != nil {
			probs = append(probs, "content does not decrypt: "+err.Error())
		} else {
			res.decrypted = true
		}
	}
	res.problems = probs
}

func leafStringsOK(rec *steward.Record) bool {
	return len(rec.Kind) > 0 && len(rec.Kind) <= MaxKindLen &&
		len(rec.ID) > 0 && len(rec.ID) <= MaxIDLen &&
		len(rec.IdempotencyKey) > 0 && len(rec.IdempotencyKey) <= MaxKeyLen
}

// leafHashFor picks the leaf hash to rebuild the tree with. Normally the
// record, its stored leaf and its stored leaf hash (the first of
// TreeHashes) all agree. When one of the three was altered, the two that
// still agree are what the log committed to, and building on them keeps
// the damage attributed to this record alone, instead of spreading it to
// the later records that store hashes over it and to every later
// checkpoint.
func leafHashFor(recomputed []byte, rec *steward.Record, match bool) tlog.Hash {
	a := tlog.RecordHash(recomputed)
	if match {
		return a
	}
	b := tlog.RecordHash(rec.Leaf)
	if len(rec.TreeHashes) >= tlog.HashSize && bytes.Equal(rec.TreeHashes[:tlog.HashSize], a[:]) {
		return a // the stored leaf was altered
	}
	return b // the record was altered (or everything was; the checkpoints will say)
}

// checkBlob checks an attachment's sealed bytes against its BlobRef and
// returns a problem or "".
func (w *worker) checkBlob(ctx context.Context, rec *steward.Record, ref *steward.BlobRef, res *vresult) string {
	rc, err := w.v.opts.Blobs.Get(ctx, ref.Key)
	switch {
	case steward.Is(steward.NotFound, err) && rec.Shredded():
		return "" // disposition may delete the bytes of shredded content
	case steward.Is(steward.NotFound, err):
		return "attachment blob missing"
	case err != nil:
		return "attachment blob unreadable: " + err.Error()
	}
	defer rc.Close()
	w.sum.Reset()
	n, err := io.CopyBuffer(w.sum, rc, w.buf)
	res.bytes += n
	if err != nil {
		return "attachment blob unreadable: " + err.Error()
	}
	if n != ref.Size || !strings.EqualFold(hex.EncodeToString(w.sum.Sum(nil)), ref.SHA256) {
		return "attachment blob altered"
	}
	return ""
}
