package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Store is what Build reads besides content: records, conversations and
// the directory (to resolve names), and the schedule (to name each
// record's item and authority). *sqlite.DB implements it.
type Store interface {
	RecordByID(ctx context.Context, id string) (*steward.Record, error)
	ConversationByID(ctx context.Context, id string) (*steward.Conversation, error)
	Members(ctx context.Context, conversationID string) ([]steward.Member, error)
	IdentityByAddress(ctx context.Context, ch steward.Channel, address string) (*steward.Identity, error)
	EmployeeByID(ctx context.Context, id string) (*steward.Employee, error)
	ContactByID(ctx context.Context, id string) (*steward.Contact, error)
	Schedule(ctx context.Context) (steward.Schedule, error)
	AssignmentByRecord(ctx context.Context, recordID string) (*steward.RecordAssignment, error)
}

// Log gives the signed checkpoint and the inclusion proofs. *archive.Log
// implements it.
type Log interface {
	Checkpoint(ctx context.Context, minSize int64) (*steward.Checkpoint, error)
	InclusionProof(ctx context.Context, index int64, cp *steward.Checkpoint) (*archive.Proof, error)
}

// Auditor archives an audit record. *pipeline.Pipeline implements it.
type Auditor interface {
	Audit(ctx context.Context, e pipeline.AuditEntry) (steward.RecordRef, error)
}

// Deps are the parts Build needs. All are required but Now.
type Deps struct {
	Store  Store
	Log    Log
	Reader *pipeline.Reader
	Audit  Auditor
	// Signer is the log's note signer (the checkpoint key); it signs the
	// manifest. PublicKey is its verifier key ("vkey"), copied into the
	// package as log.pub.
	Signer    note.Signer
	PublicKey string
	// Actor is who builds the package, as the audit trail names them.
	Actor string
	// PackageID names the package; empty means a new UUID. It must be a
	// portable file name (letters, digits, '.', '_', '-').
	PackageID string
	Now       func() time.Time
}

// opBuild names the helpers' errors after the function callers see.
const opBuild steward.Op = "transfer.Build"

// auditChunk bounds the record ids one audit record lists.
const auditChunk = 2000

// Build writes a transfer package of the records ids to outDir, which
// must not exist, and returns its manifest. ids may list message, event
// and consent records; a message brings its attachments (an attachment
// travels with its message and is refused alone). The package is built
// in a sibling directory and renamed into place when complete, so outDir
// either holds a whole package or does not exist. Files are written
// owner-only: a package holds plaintext content.
//
// Reading content is audited before any is read: one audit record
// (action "transfer.read", purpose "transfer") per 2,000 records, naming
// them and the package.
//
// progress, if set, is called with the records written so far and the
// total. Errors: Invalid for no ids, another kind of record, or deps
// missing; NotFound for an unknown id; Gone for a record whose content
// disposition destroyed; Conflict if outDir exists; Integrity if a leaf
// or attachment does not match what the log holds; otherwise those of
// the store, log and file system.
func Build(ctx context.Context, d Deps, ids []string, outDir string, progress func(done, total int64)) (*Manifest, error) {
	const op steward.Op = "transfer.Build"
	if d.Store == nil || d.Log == nil || d.Reader == nil || d.Audit == nil || d.Signer == nil || d.PublicKey == "" {
		return nil, steward.E(op, steward.Invalid, "transfer needs a store, the log, a reader, an auditor, the log's signer and its public key")
	}
	if len(ids) == 0 {
		return nil, steward.E(op, steward.Invalid, "no records to transfer")
	}
	verifier, err := archive.NewVerifier(strings.TrimSpace(d.PublicKey))
	if err != nil {
		return nil, steward.E(op, err)
	}
	if verifier.Name() != d.Signer.Name() || verifier.KeyHash() != d.Signer.KeyHash() {
		return nil, steward.E(op, steward.Invalid, "the public key is not the signer's")
	}
	if _, err := os.Lstat(outDir); err == nil {
		return nil, steward.Errorf(op, steward.Conflict, "%s already exists; a package is written to a new directory", outDir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, steward.E(op, steward.Unavailable, err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	id := d.PackageID
	if id == "" {
		id = steward.NewID()
	} else if !safeName(id) {
		return nil, steward.Errorf(op, steward.Invalid, "package id %q is not a portable file name", id)
	}
	b := &builder{d: d, ctx: ctx, progress: progress, names: newNames(ctx, d.Store),
		m: &Manifest{Format: Format, PackageID: id, CreatedAt: now().UTC(), Origin: d.Signer.Name()}}
	if err := b.load(ids); err != nil {
		return nil, steward.E(op, err)
	}
	if err := b.audit(outDir); err != nil {
		return nil, steward.E(op, err)
	}
	cp, err := d.Log.Checkpoint(ctx, b.maxLeaf()+1)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := archive.ParseCheckpoint(cp.Note, verifier, verifier.Name()); err != nil {
		return nil, steward.E(op, steward.Internal, "the log's checkpoint does not verify with its public key", err)
	}
	b.cp = cp
	b.m.Checkpoint = CheckpointRef{TreeSize: cp.Size, Root: hex.EncodeToString(cp.Root[:])}

	parent := filepath.Dir(filepath.Clean(outDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, steward.E(op, steward.Unavailable, err)
	}
	b.dir, err = os.MkdirTemp(parent, "."+filepath.Base(outDir)+".partial-")
	if err != nil {
		return nil, steward.E(op, steward.Unavailable, err)
	}
	defer func() {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}()
	if err := b.write(); err != nil {
		return nil, steward.E(op, err)
	}
	if err := os.Rename(b.dir, outDir); err != nil {
		return nil, steward.E(op, steward.Unavailable, err)
	}
	b.dir = ""
	return b.m, nil
}

// builder holds one Build's state.
type builder struct {
	d        Deps
	ctx      context.Context
	progress func(done, total int64)
	names    *names
	m        *Manifest
	cp       *steward.Checkpoint
	dir      string

	items []*item          // every record, in leaf order
	byID  map[string]*item //
	sched steward.Schedule
	rows  []Row
	files map[string]File // written so far, by path
	done  int64
}

// item is one record of the package as it is being written.
type item struct {
	rec        *steward.Record
	meta       steward.RecordMeta
	content    *steward.Content // messages and events, once opened
	att        steward.Attachment
	parent     *item   // an attachment's message
	atts       []*item // a message's attachments
	decisionOf *item   // a policy decision's message
	decisions  []*item // a message's policy decisions
	actsOn     *item   // an event shown with its message
	file       string
}

// load reads the records, adds the attachments of messages, and takes
// the attachments and policy decisions listed with their message.
func (b *builder) load(ids []string) error {
	b.byID = make(map[string]*item, len(ids))
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	add := func(rec *steward.Record) (*item, error) {
		if it := b.byID[rec.ID]; it != nil {
			return it, nil
		}
		it := &item{rec: rec}
		if err := jsonUnmarshal(rec.Meta, &it.meta); err != nil {
			return nil, steward.Errorf(opBuild, steward.Integrity, "record %s: metadata is not JSON", rec.ID)
		}
		if rec.Shredded() {
			return nil, steward.Errorf(opBuild, steward.Gone, "record %s was disposed of: its content no longer exists", rec.ID)
		}
		b.byID[rec.ID] = it
		b.items = append(b.items, it)
		return it, nil
	}
	var decisions []*item
	for _, id := range ids {
		rec, err := b.d.Store.RecordByID(b.ctx, id)
		if err != nil {
			return steward.E(fmt.Sprintf("record %s", id), err)
		}
		var meta steward.RecordMeta
		_ = jsonUnmarshal(rec.Meta, &meta) // add checks it
		switch {
		case rec.Kind == steward.RecordMessage || rec.Kind == steward.RecordEvent || rec.Kind == steward.RecordConsent:
		case rec.Kind == steward.RecordAttachment && asked[meta.Parent]:
			continue // its message brings it
		case rec.Kind == steward.RecordAttachment:
			return steward.Errorf(opBuild, steward.Invalid, "record %s is an attachment: transfer its message, which brings it", id)
		case rec.Kind == steward.RecordPolicy && asked[meta.Subject]:
		default:
			return steward.Errorf(opBuild, steward.Invalid, "record %s is a %s record; a transfer package holds messages, events and consent messages, with their attachments and policy decisions", id, rec.Kind)
		}
		it, err := add(rec)
		if err != nil {
			return err
		}
		if rec.Kind == steward.RecordPolicy {
			decisions = append(decisions, it)
		}
	}
	for _, it := range slices.Clone(b.items) {
		if it.rec.Kind != steward.RecordMessage {
			continue
		}
		for _, aid := range it.meta.Attachments {
			rec, err := b.d.Store.RecordByID(b.ctx, aid)
			if err != nil {
				return steward.E(fmt.Sprintf("attachment %s of record %s", aid, it.rec.ID), err)
			}
			a, err := add(rec)
			if err != nil {
				return err
			}
			a.parent = it
			it.atts = append(it.atts, a)
		}
	}
	// A policy decision is listed, with its message's file, but not
	// shown: it holds the policy's findings, not the message.
	for _, d := range decisions {
		d.decisionOf = b.byID[d.meta.Subject]
		d.decisionOf.decisions = append(d.decisionOf.decisions, d)
	}
	slices.SortFunc(b.items, func(x, y *item) int { return cmpInt(x.rec.LeafIndex, y.rec.LeafIndex) })
	return nil
}

func (b *builder) maxLeaf() int64 { return b.items[len(b.items)-1].rec.LeafIndex }

// audit records the read of every record's content before any is read.
func (b *builder) audit(outDir string) error {
	ids := make([]string, len(b.items))
	for i, it := range b.items {
		ids[i] = it.rec.ID
	}
	for chunk := range slices.Chunk(ids, auditChunk) {
		_, err := b.d.Audit.Audit(b.ctx, pipeline.AuditEntry{Actor: b.d.Actor, Action: "transfer.read", Subject: b.m.PackageID,
			Details: map[string]any{"purpose": "transfer", "package": b.m.PackageID, "records": chunk, "out": outDir}})
		if err != nil {
			return err
		}
	}
	return nil
}

// write writes every file of the package into b.dir.
func (b *builder) write() error {
	var err error
	if b.sched, err = b.d.Store.Schedule(b.ctx); err != nil {
		return err
	}
	b.files = map[string]File{}
	convs := map[string][]*item{}
	var order []string
	for _, it := range b.items {
		if it.parent != nil || it.decisionOf != nil {
			continue // written with its message
		}
		c := it.rec.ConversationID
		if _, ok := convs[c]; !ok {
			order = append(order, c)
		}
		convs[c] = append(convs[c], it)
	}
	slices.Sort(order)
	for _, c := range order {
		if err := b.conversation(c, convs[c]); err != nil {
			return err
		}
	}
	if err := b.prove(); err != nil {
		return err
	}
	if err := b.writeMetadata(); err != nil {
		return err
	}
	if err := b.writeFile(CheckpointFile, b.cp.Note); err != nil {
		return err
	}
	if err := b.writeFile(PublicKeyFile, []byte(strings.TrimSpace(b.d.PublicKey)+"\n")); err != nil {
		return err
	}
	if err := b.writeFile(ReadmeFile, readme(b.m, len(order))); err != nil {
		return err
	}
	for _, f := range b.files {
		b.m.Files = append(b.m.Files, f)
	}
	slices.SortFunc(b.m.Files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	body, err := b.m.encode()
	if err != nil {
		return steward.E(steward.Internal, err)
	}
	if err := b.create(ManifestFile, func(w io.Writer) error { _, err := w.Write(body); return err }, false); err != nil {
		return err
	}
	sig, err := signManifest(b.d.Signer, b.m.PackageID, body)
	if err != nil {
		return err
	}
	return b.create(SignatureFile, func(w io.Writer) error { _, err := w.Write(sig); return err }, false)
}

// prove adds every record to the manifest with its inclusion proof.
func (b *builder) prove() error {
	for _, it := range b.items {
		p, err := b.d.Log.InclusionProof(b.ctx, it.rec.LeafIndex, b.cp)
		if err != nil {
			return err
		}
		if archive.LeafHash(it.rec.Leaf) != p.LeafHash {
			return steward.Errorf(opBuild, steward.Integrity, "record %s: its leaf does not match the log's leaf hash", it.rec.ID)
		}
		r := Record{RecordID: it.rec.ID, LeafIndex: it.rec.LeafIndex, Kind: it.rec.Kind, File: it.file,
			Leaf: base64.StdEncoding.EncodeToString(it.rec.Leaf), LeafHash: hex.EncodeToString(p.LeafHash[:]),
			Meta: string(it.rec.Meta), Proof: make([]string, len(p.Hashes))}
		for i, h := range p.Hashes {
			r.Proof[i] = hex.EncodeToString(h[:])
		}
		b.m.Records = append(b.m.Records, r)
	}
	return nil
}

// writeFile writes a listed file.
func (b *builder) writeFile(rel string, data []byte) error {
	return b.create(rel, func(w io.Writer) error { _, err := w.Write(data); return err }, true)
}

// create writes a new file at rel (slash-separated) through fill, and
// lists it with its digest when listed is set.
func (b *builder) create(rel string, fill func(io.Writer) error, listed bool) error {
	p := filepath.Join(b.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return steward.E(steward.Unavailable, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return steward.E(steward.Unavailable, err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	// No fsync per file: it cost half the build time, and the package is
	// not the record (the archive is). A package cut short by a crash
	// fails verification and is built again.
	err = fill(cw)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = steward.E(steward.Unavailable, cerr)
	}
	if err != nil {
		return err
	}
	if listed {
		b.files[rel] = File{Path: rel, Size: cw.n, SHA256: hexSum(h)}
	}
	return nil
}

func (b *builder) step() {
	b.done++
	if b.progress != nil {
		b.progress(b.done, int64(len(b.items)))
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// signatureMagic starts the text of manifest.sig.
const signatureMagic = "steward transfer package v1"

// signManifest returns manifest.sig: a signed note whose text names the
// package and manifest.json's SHA-256.
func signManifest(s note.Signer, packageID string, manifest []byte) ([]byte, error) {
	sum := sha256.Sum256(manifest)
	text := signatureMagic + "\npackage " + packageID + "\nmanifest-sha256 " + hex.EncodeToString(sum[:]) + "\n"
	sig, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return nil, steward.E(steward.Internal, "cannot sign the manifest", err)
	}
	return sig, nil
}

// readme is README.txt: the layout and how to verify, for people.
func readme(m *Manifest, conversations int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Steward transfer package %s\n", m.PackageID)
	fmt.Fprintf(&b, "Created %s from the archive log %q.\n\n", m.CreatedAt.Format(time.RFC3339), m.Origin)
	fmt.Fprintf(&b, "It holds %d records in %d conversations. Each message is an RFC 5322 e-mail (.eml) with its\n",
		len(m.Records), conversations)
	b.WriteString(`attachments, in conversations/<conversation id>/; edits, deletions, reactions and receipts
transferred with a message are shown in the message's file.

  manifest.json    every file with its SHA-256, every record with its log leaf and inclusion proof
  manifest.sig     the log key's signature of manifest.json (C2SP signed note)
  checkpoint.txt   the signed checkpoint of the log that every proof leads to
  log.pub          the log's public key; compare it with the key the agency publishes
  metadata.csv     one row per record, pipe-delimited; metadata.json holds the same rows

To verify: steward transfer verify --public-key <the agency's published key> <this directory>
It checks every file's digest, the signatures, and every record's inclusion in the log.
`)
	return []byte(b.String())
}
