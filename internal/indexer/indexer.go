// Package indexer keeps the blind search index current with the archive
// log, off the capture path.
//
// An Indexer tails the log from the position the index recorded last
// (sqlite.Index.Progress), opens each message in plaintext for the moment
// it takes to hash it, and adds the documents together with the new
// position in one transaction (AddUpTo), so that a restart resumes where
// the index says it got to and adds nothing twice. Capture never waits for
// it: it is woken by a poll, or by Wake after an append, and catches up in
// batches.
//
// Edits and deletions are folded into the message they act on: the
// message's document is rebuilt from its record and added again (Add
// replaces), with the edit's text beside the original body and Edited
// set, or with Deleted set. The original text stays searchable: the
// archive keeps it, and so must discovery. Only the edit at hand is folded
// into a rebuilt document, so of three revisions the middle one is not
// searchable once the third is indexed.
package indexer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/extract"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// Store is the part of the archive the indexer reads. sqlite.DB
// implements it.
type Store interface {
	LogSize(ctx context.Context) (int64, error)
	RecordAt(ctx context.Context, index int64) (*steward.Record, error)
	RecordByID(ctx context.Context, id string) (*steward.Record, error)
	ScanRecords(ctx context.Context, from int64, fn func(*steward.Record) error) error
	FindByIdempotencyKeys(ctx context.Context, keys []string) (map[string]steward.RecordRef, error)
}

// Index is the part of the search index the indexer writes.
// sqlite.Index implements it.
type Index interface {
	AddUpTo(ctx context.Context, next int64, docs ...*search.Doc) error
	Progress(ctx context.Context) (int64, error)
	Remove(ctx context.Context, ids ...string) error
}

// Defaults of the Indexer's bounds.
const (
	DefaultBatch = 512
	// DefaultMaxText bounds the text taken from one attachment. The rest
	// of a very long document is not searchable; capture's DLP scan has
	// its own bounds.
	DefaultMaxText = 1 << 20
)

// Indexer adds archived messages to a search index. Set the fields, then
// call Run (or Sync); Remove may be called from any goroutine.
type Indexer struct {
	Store  Store
	Index  Index
	Reader *pipeline.Reader // opens records and attachments
	// Batch is how many log records one transaction covers; 0 means
	// DefaultBatch.
	Batch int
	// Limits bound the extraction of one attachment's text; a zero
	// MaxText means DefaultMaxText.
	Limits extract.Limits
	Logger *slog.Logger
	Now    func() time.Time

	// mu orders batches and removals: a removal waits for the batch in
	// progress, whose documents may be the removed ones read just before
	// they were shredded, and the next batch finds them shredded.
	mu   sync.Mutex
	wake chan struct{}
	once sync.Once
}

func (x *Indexer) init() { x.once.Do(func() { x.wake = make(chan struct{}, 1) }) }

// Wake asks a running indexer to look at the log now rather than at its
// next poll. It never blocks, so capture can call it after every append.
func (x *Indexer) Wake() {
	x.init()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Run indexes until ctx ends: whenever woken, and at least every poll. A
// failed batch is logged and tried again at the next turn; Run returns
// only ctx's error.
func (x *Indexer) Run(ctx context.Context, poll time.Duration) error {
	x.init()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := x.Sync(ctx); err != nil && ctx.Err() == nil {
			x.logger().Error("search indexing failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-x.wake:
		}
	}
}

// Sync indexes the log up to its present size, a batch at a time, and
// returns how many records it went past. Returns Unavailable if the store
// or the index cannot be read or written; the records of a failed batch
// are tried again from the index's progress.
func (x *Indexer) Sync(ctx context.Context) (int64, error) {
	const op steward.Op = "indexer.Sync"
	var total int64
	for {
		n, err := x.step(ctx)
		total += n
		if err != nil {
			return total, steward.E(op, err)
		}
		if n == 0 {
			if total >= catchUpLog {
				x.logger().Info("search index caught up with the log", "records", total)
			}
			return total, nil
		}
	}
}

// Remove deletes the documents of ids from the index, as disposition does
// once it has shredded them. It waits for the batch in progress.
func (x *Indexer) Remove(ctx context.Context, ids []string) error {
	const op steward.Op = "indexer.Remove"
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.Index.Remove(ctx, ids...); err != nil {
		return steward.E(op, err)
	}
	return nil
}

// Lag says how far the index is behind the log: the records not yet
// indexed, and how long ago the oldest of them was captured (0 when none).
func (x *Indexer) Lag(ctx context.Context) (records int64, behind time.Duration, err error) {
	const op steward.Op = "indexer.Lag"
	size, err := x.Store.LogSize(ctx)
	if err != nil {
		return 0, 0, steward.E(op, err)
	}
	next, err := x.Index.Progress(ctx)
	if err != nil {
		return 0, 0, steward.E(op, err)
	}
	if next >= size {
		return 0, 0, nil
	}
	rec, err := x.Store.RecordAt(ctx, next)
	if err != nil {
		return size - next, 0, steward.E(op, err)
	}
	return size - next, max(0, x.now().Sub(rec.CapturedAt)), nil
}

var errFull = errors.New("batch full")

// catchUpLog is the number of records after which catching up is worth a
// log line: after a restart or a burst, not on every poll.
const catchUpLog = 10000

// step indexes one batch from the index's progress and returns how many
// log records it covered.
func (x *Indexer) step(ctx context.Context) (int64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	from, err := x.Index.Progress(ctx)
	if err != nil {
		return 0, err
	}
	b := &batch{x: x, docs: map[string]*entry{}}
	limit := x.Batch
	if limit <= 0 {
		limit = DefaultBatch
	}
	next, n := from, 0
	err = x.Store.ScanRecords(ctx, from, func(r *steward.Record) error {
		if n == limit {
			return errFull
		}
		if err := b.add(ctx, r); err != nil {
			return err
		}
		next, n = r.LeafIndex+1, n+1
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	docs := b.finish()
	if err := x.Index.AddUpTo(ctx, next, docs...); err != nil {
		return 0, err
	}
	x.logger().Debug("search index batch", "from", from, "next", next, "documents", len(docs))
	return int64(n), nil
}

func (x *Indexer) logger() *slog.Logger {
	if x.Logger == nil {
		return slog.Default()
	}
	return x.Logger
}

func (x *Indexer) now() time.Time {
	if x.Now == nil {
		return time.Now()
	}
	return x.Now()
}

// entry is a document being built, with the revisions folded into it.
type entry struct {
	doc      *search.Doc
	body     string
	revs     []string
	attached []string // attachments' text
}

// batch gathers the documents of one transaction, in the order first seen.
type batch struct {
	x     *Indexer
	docs  map[string]*entry
	order []string
}

// add folds one log record into the batch: a message becomes a document,
// an edit or deletion changes its target's; other kinds are passed over.
func (b *batch) add(ctx context.Context, r *steward.Record) error {
	switch r.Kind {
	case steward.RecordMessage:
		_, err := b.entry(ctx, r)
		return err
	case steward.RecordEvent:
	default:
		return nil
	}
	meta, c, err := b.x.Reader.OpenRecord(ctx, r)
	if steward.Is(steward.Gone, err) {
		return nil
	} else if err != nil {
		return err
	}
	typ := steward.EventType(meta.Type)
	if (typ != steward.EventEdit && typ != steward.EventDelete) || meta.Target == "" {
		return nil
	}
	// A target is found by the idempotency key the pipeline gives an item
	// without one of its own: channel:channel-id.
	key := meta.Channel + ":" + meta.Target
	refs, err := b.x.Store.FindByIdempotencyKeys(ctx, []string{key})
	if err != nil {
		return err
	}
	ref, ok := refs[key]
	if !ok || ref.Kind != steward.RecordMessage {
		return nil // the target is not archived (yet): nothing to fold into
	}
	t, err := b.x.Store.RecordByID(ctx, ref.ID)
	if err != nil {
		return err
	}
	e, err := b.entry(ctx, t)
	if err != nil || e == nil {
		return err
	}
	if typ == steward.EventEdit {
		e.revs = append(e.revs, c.Body)
		e.doc.Edited = true
	} else {
		e.doc.Deleted = true
	}
	return nil
}

// entry returns the batch's document of message record r, building it
// from the record the first time; nil if r's content was shredded.
func (b *batch) entry(ctx context.Context, r *steward.Record) (*entry, error) {
	if e, ok := b.docs[r.ID]; ok {
		return e, nil
	}
	meta, c, err := b.x.Reader.OpenRecord(ctx, r)
	if steward.Is(steward.Gone, err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	d := &search.Doc{
		ID: r.ID, ConversationID: r.ConversationID, Channel: meta.Channel, Direction: meta.Direction,
		From: party(c.Sender), Sent: r.CapturedAt,
	}
	if meta.SentAt != nil && !meta.SentAt.IsZero() {
		d.Sent = *meta.SentAt
	}
	for _, p := range c.Recipients {
		d.To = append(d.To, party(p))
	}
	for _, p := range append([]steward.Party{c.Sender}, c.Recipients...) {
		if p.EmployeeID != "" && !slices.Contains(d.Custodians, p.EmployeeID) {
			d.Custodians = append(d.Custodians, p.EmployeeID)
		}
	}
	e := &entry{doc: d, body: c.Body}
	for _, a := range c.Attachments {
		d.HasAttachment = true
		if a.Filename != "" {
			d.Filenames = append(d.Filenames, a.Filename)
		}
		text, err := b.attachmentText(ctx, a)
		if err != nil {
			return nil, err
		}
		if text != "" {
			e.attached = append(e.attached, text)
		}
	}
	if d.DLP, err = b.detectors(ctx, c.Policy); err != nil {
		return nil, err
	}
	b.docs[r.ID] = e
	b.order = append(b.order, r.ID)
	return e, nil
}

// attachmentText extracts the text of an attachment, bounded by the
// indexer's limits. A shredded or missing attachment has none.
func (b *batch) attachmentText(ctx context.Context, a steward.Attachment) (string, error) {
	if a.RecordID == "" {
		return "", nil
	}
	_, _, data, err := b.x.Reader.Attachment(ctx, a.RecordID)
	switch {
	case steward.Is(steward.Gone, err), steward.Is(steward.NotFound, err):
		return "", nil
	case err != nil:
		return "", err
	}
	lim := b.x.Limits
	if lim.MaxText <= 0 {
		lim.MaxText = DefaultMaxText
	}
	res := extract.Extract(a.Filename, a.ContentType, data, lim)
	clear(data)
	texts := make([]string, 0, len(res.Parts))
	for _, p := range res.Parts {
		if p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n"), nil
}

// detectors returns the names of the DLP detectors that found something in
// a message: those of its redacted spans, and those its archived policy
// decision lists for the body and the attachments.
func (b *batch) detectors(ctx context.Context, po *steward.PolicyOutcome) ([]string, error) {
	if po == nil {
		return nil, nil
	}
	var names []string
	addName := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, s := range po.Redact {
		addName(s.Detector)
	}
	if po.Decision == "" {
		return names, nil
	}
	rec, err := b.x.Store.RecordByID(ctx, po.Decision)
	if steward.Is(steward.NotFound, err) {
		return names, nil
	} else if err != nil {
		return nil, err
	}
	_, c, err := b.x.Reader.OpenRecord(ctx, rec)
	if steward.Is(steward.Gone, err) {
		return names, nil
	} else if err != nil {
		return nil, err
	}
	// Details went through JSON: spans are objects, per-attachment counts
	// are objects of numbers.
	if spans, ok := c.Details["body_findings"].([]any); ok {
		for _, s := range spans {
			if m, ok := s.(map[string]any); ok {
				n, _ := m["detector"].(string)
				addName(n)
			}
		}
	}
	if atts, ok := c.Details["attachment_findings"].([]any); ok {
		for _, a := range atts {
			m, _ := a.(map[string]any)
			for n, v := range m {
				if f, ok := v.(float64); ok && f > 0 {
					addName(n)
				}
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// finish returns the batch's documents with their text assembled: the
// body, its later revisions, then the attachments' text.
func (b *batch) finish() []*search.Doc {
	docs := make([]*search.Doc, 0, len(b.order))
	for _, id := range b.order {
		e := b.docs[id]
		e.doc.Text = append(append([]string{e.body}, e.revs...), e.attached...)
		docs = append(docs, e.doc)
	}
	return docs
}

func party(p steward.Party) search.Party { return search.Party{Address: p.Address, Name: p.Name} }
